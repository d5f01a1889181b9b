/* priv.h: giving up root in one visible place (STYLE.md 13). */
#ifndef PRIV_H
#define PRIV_H
#include <sys/types.h>

/* become uid and gid for good, gid as the only group: 0, or -1 with errno */
int priv_become(uid_t uid, gid_t gid);
/* run as root, become the owner of path (the queue: quailq) unless that
 * is root: 1 switched, 0 stayed (not root, or a root-owned path), -1
 * with errno */
int priv_become_owner(const char *path);

/* uid and gid of user name from /etc/passwd itself (fgetpwent, no NSS:
 * statically linked programs use it): 1 found, 0 not, -1 with errno */
int priv_lookup(const char *name, uid_t *uid, gid_t *gid);

/* send n bytes with descriptor fd attached (none when fd < 0) on a
 * SOCK_SEQPACKET socket: 0, or -1 with errno */
int priv_sendfd(int sock, const void *buf, size_t n, int fd);
/* receive one datagram of at most max bytes and the descriptor attached
 * to it, close-on-exec, in *fd (-1 when none): its length, 0 at end of
 * file, -1 with errno */
long priv_recvfd(int sock, void *buf, size_t max, int *fd);

/* move argv[1..argc-1] to the heap and clear the originals, so that
 * /proc/PID/cmdline, which any local user may read, shows only argv[0]
 * (recipients and senders of a delivery are nobody else's business):
 * 0, or -1 with ENOMEM (argv untouched) */
int priv_hide_args(int argc, char **argv);

#endif
