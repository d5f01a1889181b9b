/* qspawn.h: queue-manager's requests to queue-spawn(8), over a
 * SOCK_SEQPACKET socket, one datagram each.
 *
 * A request is a 4-byte token, then NUL-terminated strings, with two
 * descriptors attached (SCM_RIGHTS): the message, opened for reading, and
 * the write end of the delivery's report pipe. The token QSPAWN_REREAD,
 * with no strings and no descriptors, asks the spawner to reread control/.
 * A reply is the token and the delivery's wait status, sent when it ends. */
#ifndef QSPAWN_H
#define QSPAWN_H
#include <stddef.h>
#include <stdint.h>
#include "addr.h"

#define QSPAWN_ARGS_MAX 103                      /* domain, sender, 100 recipients, and one */
#define QSPAWN_REQ_MAX  (4 + QSPAWN_ARGS_MAX * (ADDR_MAX + 1))
#define QSPAWN_REREAD   0xffffffffu

struct qspawn_reply { uint32_t token; int32_t status; };

/* send token, the n strings in args, and fds[0], fds[1] (none when fds
 * is null), without waiting: 0, or -1 with errno set (EMSGSIZE when too
 * long, EAGAIN when the socket is full) */
int qspawn_send(int sock, uint32_t token, char *const *args, size_t n, const int *fds);
/* receive one request into buf (QSPAWN_REQ_MAX bytes): its length, 0 at
 * end of file, -1 with errno (EPROTO when malformed: short, not
 * NUL-terminated, or with other than two descriptors). The strings start
 * at buf + 4 and are split into args (at most max, then a null);
 * *nargs is their count. fds get the descriptors, close-on-exec, or -1. */
long qspawn_recv(int sock, char *buf, uint32_t *token, char **args, size_t max, size_t *nargs, int *fds);

#endif
