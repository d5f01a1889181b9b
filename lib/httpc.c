/* httpc.c: a small HTTP client for services on this host. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "buf.h"
#include "httpc.h"

#define CHUNK 65536
#define HEAD_MAX 16384   /* the status line and header fields of an answer */

static int inval(void) { errno = EINVAL; return -1; }

/* wait for fd until the deadline */
static int wait_until(int fd, int writing, time_t deadline)
{
  time_t left = deadline - time(0);
  if (left <= 0) { errno = ETIMEDOUT; return -1; }
  return fd_wait(fd, writing, (int)left);
}

/* "IPv4:PORT", "[IPv6]:PORT" or "/path" into sa */
static int address(const char *addr, struct sockaddr_storage *sa, socklen_t *len)
{
  char host[64];
  const char *colon = strrchr(addr, ':');
  unsigned long port = 0;
  size_t n;
  memset(sa, 0, sizeof *sa);
  if (addr[0] == '/') {
    struct sockaddr_un *u = (struct sockaddr_un *)sa;
    if (strlen(addr) >= sizeof u->sun_path) return inval();
    u->sun_family = AF_UNIX;
    strcpy(u->sun_path, addr);
    *len = sizeof *u;
    return 0;
  }
  if (!colon || !(n = scan_ulong(colon + 1, &port)) || colon[1 + n] || !port || port > 65535) return inval();
  n = (size_t)(colon - addr);
  if (addr[0] == '[' && n > 2 && addr[n - 1] == ']') { addr++; n -= 2; }
  if (n >= sizeof host) return inval();
  memcpy(host, addr, n);
  host[n] = 0;
  if (inet_pton(AF_INET, host, &((struct sockaddr_in *)sa)->sin_addr) == 1) {
    sa->ss_family = AF_INET;
    ((struct sockaddr_in *)sa)->sin_port = htons((unsigned short)port);
    *len = sizeof(struct sockaddr_in);
  } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)sa)->sin6_addr) == 1) {
    sa->ss_family = AF_INET6;
    ((struct sockaddr_in6 *)sa)->sin6_port = htons((unsigned short)port);
    *len = sizeof(struct sockaddr_in6);
  } else return inval();
  return 0;
}

int httpc_connect(const char *addr, time_t deadline)
{
  struct sockaddr_storage sa;
  socklen_t len, elen = sizeof(int);
  int fd, err = 0;
  if (address(addr, &sa, &len) < 0) return -1;
  if ((fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) return -1;
  if (connect(fd, (struct sockaddr *)&sa, len) == 0) return fd;
  if (errno != EINPROGRESS || wait_until(fd, 1, deadline) < 0) err = errno;
  else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) err = errno;
  if (!err) return fd;
  close(fd);
  errno = err;
  return -1;
}

int httpc_send(int fd, const char *s, size_t n, time_t deadline)
{
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) { if (wait_until(fd, 1, deadline) < 0) return -1; continue; }
    if (w < 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

int httpc_send_file(int fd, int file, off_t len, time_t deadline)
{
  static char b[CHUNK];
  off_t at = 0;
  while (at < len) {
    ssize_t r = pread(file, b, len - at < CHUNK ? (size_t)(len - at) : CHUNK, at);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return inval();   /* the file shrank */
    if (httpc_send(fd, b, (size_t)r, deadline) < 0) return -1;
    at += r;
  }
  return 0;
}

/* read what is there into a (at most max bytes in all): bytes read, 0 at the end */
static ssize_t get(int fd, struct str *a, size_t max, time_t deadline)
{
  for (;;) {
    ssize_t r;
    if (a->len >= max) { errno = EFBIG; return -1; }
    if (str_ready(a, a->len + CHUNK) < 0) return -1;
    r = read(fd, a->s + a->len, max - a->len < CHUNK ? max - a->len : CHUNK);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) { if (wait_until(fd, 0, deadline) < 0) return -1; continue; }
    if (r > 0) a->len += (size_t)r;
    return r;
  }
}

/* the value of Content-Length in the header text h, or -1 */
static long long content_length(const char *h, size_t n)
{
  size_t i;
  for (i = 0; i + 16 < n; i++) {
    unsigned long v;
    const char *p = h + i + 16;
    if (h[i] != '\n' || !case_equalb(h + i + 1, 15, "content-length:")) continue;
    while (*p == ' ' || *p == '\t') p++;
    return scan_ulong(p, &v) ? (long long)v : -1;
  }
  return -1;
}

int httpc_answer(int fd, time_t deadline, size_t max, struct str *body)
{
  struct str a = STR_ZERO;
  char *end = 0;
  unsigned long status = 0;
  long long clen;
  ssize_t r = 1;
  size_t head;
  while (!end && r > 0) {
    if ((r = get(fd, &a, HEAD_MAX + max, deadline)) < 0) goto fail;
    end = a.len ? memmem(a.s, a.len, "\r\n\r\n", 4) : 0;
  }
  if (!end || a.len < 12 || memcmp(a.s, "HTTP/1.", 7) || scan_ulong(a.s + 9, &status) != 3) { errno = EINVAL; goto fail; }
  head = (size_t)(end - a.s) + 4;
  clen = content_length(a.s, head);
  while ((clen < 0 || a.len - head < (unsigned long long)clen) && r > 0)
    if ((r = get(fd, &a, head + max, deadline)) < 0) goto fail;
  if (clen >= 0 && a.len - head < (unsigned long long)clen) { errno = EINVAL; goto fail; }
  if (str_catb(body, a.s + head, clen >= 0 ? (size_t)clen : a.len - head) < 0 || str_0(body) < 0) goto fail;
  str_free(&a);
  return (int)status;
fail:
  str_free(&a);
  return -1;
}
