/* netstring.c: netstrings over buf.h, bounded. Never exits or prints. */
#include <errno.h>
#include "netstring.h"

/* one byte; ENODATA at the end of input */
static int get1(struct buf *b, char *c)
{
  ssize_t r = buf_get(b, c, 1);
  if (r < 0) return -1;
  if (r == 0) { errno = ENODATA; return -1; }
  return 0;
}

int ns_getlen(struct buf *b, unsigned long long max, unsigned long long *len)
{
  unsigned long long n = 0;
  unsigned digits = 0;
  char c;
  ssize_t r = buf_get(b, &c, 1);
  if (r < 0) return -1;
  if (r == 0) return 0;
  for (;;) {
    if (c == ':') break;
    if (c < '0' || c > '9' || (digits == 1 && n == 0)) { errno = EPROTO; return -1; }
    if (++digits > NS_DIGITS_MAX) { errno = EMSGSIZE; return -1; }
    n = n * 10 + (unsigned long long)(c - '0');
    if (get1(b, &c) < 0) return -1;
  }
  if (!digits) { errno = EPROTO; return -1; }
  if (n > max) { errno = EMSGSIZE; return -1; }
  *len = n;
  return 1;
}

int ns_read(struct buf *b, char *s, size_t n)
{
  while (n) {
    ssize_t r = buf_get(b, s, n);
    if (r < 0) return -1;
    if (r == 0) { errno = ENODATA; return -1; }
    s += r;
    n -= (size_t)r;
  }
  return 0;
}

int ns_skip(struct buf *b, unsigned long long n)
{
  char junk[1024];
  while (n) {
    size_t k = n < sizeof junk ? (size_t)n : sizeof junk;
    if (ns_read(b, junk, k) < 0) return -1;
    n -= k;
  }
  return 0;
}

int ns_getcomma(struct buf *b)
{
  char c;
  if (get1(b, &c) < 0) return -1;
  if (c != ',') { errno = EPROTO; return -1; }
  return 0;
}

int ns_get(struct buf *b, struct str *out, size_t max)
{
  unsigned long long len;
  int r = ns_getlen(b, max, &len);
  if (r <= 0) return r;
  if (str_ready(out, (size_t)len + 1) < 0) return -1;
  if (ns_read(b, out->s, (size_t)len) < 0) return -1;
  out->len = (size_t)len;
  out->s[len] = 0;
  return ns_getcomma(b) < 0 ? -1 : 1;
}

unsigned long long ns_size(unsigned long long len)
{
  unsigned long long digits = 1, n = len;
  while (n >= 10) { n /= 10; digits++; }
  return digits + 1 + len + 1;
}

int ns_puthead(struct buf *b, unsigned long long len)
{
  if (buf_putu(b, len) < 0) return -1;
  return buf_put(b, ":", 1);
}

int ns_put(struct buf *b, const char *s, size_t n)
{
  if (ns_puthead(b, n) < 0 || buf_put(b, s, n) < 0) return -1;
  return buf_put(b, ",", 1);
}

int ns_cat(struct str *out, const char *s, size_t n)
{
  if (str_catu(out, n) < 0 || str_catc(out, ':') < 0) return -1;
  if (str_catb(out, s, n) < 0) return -1;
  return str_catc(out, ',');
}
