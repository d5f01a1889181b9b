/* buf.c: buffered fd I/O with timeouts. Never exits or prints. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"

void buf_init(struct buf *b, int fd, char *space, size_t size)
{
  b->fd = fd;
  b->x = space;
  b->size = size;
  b->p = b->n = 0;
  b->timeout = 0;
  b->op = 0;
  b->ctx = 0;
}

void buf_transport(struct buf *b, buf_op op, void *ctx)
{
  b->op = op;
  b->ctx = ctx;
}

int fd_wait(int fd, int writing, int timeout)
{
  struct pollfd p;
  int r;
  if (timeout <= 0) return 0;
  p.fd = fd;
  p.events = writing ? POLLOUT : POLLIN;
  do r = poll(&p, 1, timeout * 1000); while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  if (r == 0) { errno = ETIMEDOUT; return -1; }
  return 0;
}

static ssize_t do_read(struct buf *b, char *s, size_t n)
{
  ssize_t r;
  if (b->op) return b->op(b->ctx, b->fd, s, n);
  if (fd_wait(b->fd, 0, b->timeout) < 0) return -1;
  do r = read(b->fd, s, n); while (r < 0 && errno == EINTR);
  return r;
}

ssize_t buf_fill(struct buf *b)
{
  ssize_t r;
  if (b->p && b->n) memmove(b->x, b->x + b->p, b->n);
  b->p = 0;
  if (b->n == b->size) return 1;      /* full: caller consumes first */
  r = do_read(b, b->x + b->n, b->size - b->n);
  if (r > 0) b->n += (size_t)r;
  return r;
}

ssize_t buf_get(struct buf *b, char *s, size_t n)
{
  ssize_t r;
  if (!b->n) {
    if (n >= b->size) return do_read(b, s, n);
    r = buf_fill(b);
    if (r <= 0) return r;
  }
  if (n > b->n) n = b->n;
  memcpy(s, b->x + b->p, n);
  b->p += n;
  b->n -= n;
  return (ssize_t)n;
}

int buf_getline(struct buf *b, struct str *line, size_t max)
{
  for (;;) {
    char *nl;
    size_t take;
    if (!b->n) {
      ssize_t r = buf_fill(b);
      if (r < 0) return -1;
      if (r == 0) return 0;
    }
    nl = memchr(b->x + b->p, '\n', b->n);
    take = nl ? (size_t)(nl - (b->x + b->p)) + 1 : b->n;
    if (line->len + take > max) {
      take = max > line->len ? max - line->len : 0;
      if (str_catb(line, b->x + b->p, take) < 0) return -1;
      b->p += take;
      b->n -= take;
      return 2;
    }
    if (str_catb(line, b->x + b->p, take) < 0) return -1;
    b->p += take;
    b->n -= take;
    if (nl) return 1;
  }
}

size_t buf_buffered(const struct buf *b) { return b->n; }
void buf_discard(struct buf *b) { b->p = b->n = 0; }

static ssize_t do_write(struct buf *b, const char *s, size_t n)
{
  ssize_t r;
  if (b->op) return b->op(b->ctx, b->fd, (char *)s, n);
  if (fd_wait(b->fd, 1, b->timeout) < 0) return -1;
  do r = write(b->fd, s, n); while (r < 0 && errno == EINTR);
  return r;
}

static int write_all(struct buf *b, const char *s, size_t n)
{
  while (n) {
    ssize_t w = do_write(b, s, n);
    if (w < 0) return -1;
    if (w == 0) { errno = EPIPE; return -1; }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

int buf_flush(struct buf *b)
{
  size_t n = b->n;
  b->n = 0;
  return write_all(b, b->x, n);
}

int buf_put(struct buf *b, const char *s, size_t n)
{
  if (b->n + n > b->size) {
    if (buf_flush(b) < 0) return -1;
    if (n > b->size) return write_all(b, s, n);
  }
  if (n) memcpy(b->x + b->n, s, n);   /* s may be 0 when n is: an empty str */
  b->n += n;
  return 0;
}

int buf_puts(struct buf *b, const char *s) { return buf_put(b, s, strlen(s)); }
int buf_putstr(struct buf *b, const struct str *s) { return buf_put(b, s->s, s->len); }

int buf_putu(struct buf *b, unsigned long long u)
{
  char d[24];
  int i = sizeof d;
  do d[--i] = (char)('0' + u % 10); while ((u /= 10));
  return buf_put(b, d + i, sizeof d - (size_t)i);
}

int buf_putflush(struct buf *b, const char *s, size_t n)
{
  if (buf_put(b, s, n) < 0) return -1;
  return buf_flush(b);
}

int fd_write_all(int fd, const char *s, size_t n)
{
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

ssize_t fd_read_retry(int fd, char *s, size_t n)
{
  ssize_t r;
  do r = read(fd, s, n); while (r < 0 && errno == EINTR);
  return r;
}
