/* usock.h: Unix stream sockets for local commands, with the peer's uid
 * (SO_PEERCRED) as the only credential. */
#ifndef USOCK_H
#define USOCK_H
#include <sys/types.h>

/* queue-manager's command socket, relative to the queue directory; its
 * directory is mode 700, the queue owner's (queue-admin(8)) */
#define USOCK_QUEUE_DIR    "admin"
#define USOCK_QUEUE_ADMIN  "admin/socket"

/* a listening socket at path (an old one is removed), non-blocking and
 * close-on-exec, mode mode: the fd, or -1 with errno (ENAMETOOLONG) */
int usock_listen(const char *path, int mode);
/* a connection to path: the fd (close-on-exec), or -1 with errno */
int usock_connect(const char *path);
/* the uid of the process at the other end of fd: 0, or -1 with errno */
int usock_peer_uid(int fd, uid_t *uid);
/* reads and writes on fd give up after secs seconds: 0, or -1 */
int usock_timeout(int fd, unsigned secs);

#endif
