/* buf.h: buffered reading and writing on a file descriptor, with an
 * optional timeout on every read and write and a pluggable transport
 * (so TLS can sit under the same buffer). Functions return -1 with errno
 * set on failure; a timeout is ETIMEDOUT. */
#ifndef BUF_H
#define BUF_H
#include <stddef.h>
#include <sys/types.h>
#include "str.h"

#define BUF_SIZE 8192

typedef ssize_t (*buf_op)(void *ctx, int fd, char *, size_t);

struct buf {
  int fd;
  char *x;          /* storage */
  size_t size;      /* its size */
  size_t p, n;      /* read: next unread byte, bytes held; write: n held */
  int timeout;      /* seconds, 0 for none */
  buf_op op;        /* read(2)/write(2) when 0 */
  void *ctx;
};

void buf_init(struct buf *, int fd, char *space, size_t size);
void buf_transport(struct buf *, buf_op, void *ctx);

/* reading */
ssize_t buf_fill(struct buf *);               /* bytes added, 0 at EOF */
ssize_t buf_get(struct buf *, char *, size_t);/* up to n, 0 at EOF */
/* buf_getline: append one line (through '\n') to line, at most max bytes.
 * Returns 1 for a full line, 0 at EOF (line holds any partial text),
 * 2 when the line exceeded max (the rest of it is left unread). */
int buf_getline(struct buf *, struct str *line, size_t max);
size_t buf_buffered(const struct buf *);      /* bytes read ahead */
void buf_discard(struct buf *);               /* drop read-ahead bytes */

/* writing */
int buf_put(struct buf *, const char *, size_t);
int buf_puts(struct buf *, const char *);
int buf_putstr(struct buf *, const struct str *);
int buf_putu(struct buf *, unsigned long long);
int buf_flush(struct buf *);
int buf_putflush(struct buf *, const char *, size_t);

/* whole-fd helpers */
int fd_write_all(int fd, const char *, size_t);
ssize_t fd_read_retry(int fd, char *, size_t);
/* wait for fd readable (events POLLIN) or writable; 0 ok, -1 ETIMEDOUT */
int fd_wait(int fd, int writing, int timeout);

#endif
