/* tlsx.c: libtls used plainly, with poll(2) for the timeouts. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>
#include "buf.h"
#include "tlsx.h"

#define PEM_MAX (1024 * 1024)          /* bytes of a certificate file read from a descriptor */

int tlsx_server(struct tlsx *t, const char *pemfile)
{
  memset(t, 0, sizeof *t);
  t->rfd = t->wfd = -1;
  if (tls_init() < 0 || !(t->cfg = tls_config_new())) { errno = ENOMEM; return -1; }
  if (tls_config_set_keypair_file(t->cfg, pemfile, pemfile) < 0) { errno = EPROTO; return -1; }
  if (!(t->server = tls_server())) { errno = ENOMEM; return -1; }
  if (tls_configure(t->server, t->cfg) < 0) { errno = EPROTO; return -1; }
  return 0;
}

/* the PEM file on fd, read whole into *pem (*len bytes so far, even
 * on failure: the caller clears and frees it): 0, or -1 with errno */
static int read_pem(int fd, char **pem, size_t *len)
{
  size_t cap = 8192;
  ssize_t r;
  *len = 0;
  if (!(*pem = malloc(cap))) return -1;
  while ((r = fd_read_retry(fd, *pem + *len, cap - *len)) > 0) {
    char *p;
    *len += (size_t)r;
    if (*len < cap) continue;
    if (cap >= PEM_MAX) { errno = EFBIG; return -1; }
    if (!(p = malloc(cap * 2))) return -1;
    memcpy(p, *pem, *len);
    explicit_bzero(*pem, *len);
    free(*pem);
    *pem = p, cap *= 2;
  }
  return r < 0 ? -1 : 0;
}

int tlsx_server_fd(struct tlsx *t, int fd)
{
  char *pem = 0;
  size_t n;
  int r, e;
  memset(t, 0, sizeof *t);
  t->rfd = t->wfd = -1;
  if (tls_init() < 0 || !(t->cfg = tls_config_new())) { errno = ENOMEM; return -1; }
  r = read_pem(fd, &pem, &n);
  if (r == 0 && tls_config_set_keypair_mem(t->cfg, (uint8_t *)pem, n, (uint8_t *)pem, n) < 0) {
    errno = EPROTO;
    r = -1;
  }
  e = errno;
  if (pem) { explicit_bzero(pem, n); free(pem); }
  errno = e;
  if (r < 0) return -1;
  if (!(t->server = tls_server())) { errno = ENOMEM; return -1; }
  if (tls_configure(t->server, t->cfg) < 0) { errno = EPROTO; return -1; }
  return 0;
}

/* wait for what libtls wants (TLS_WANT_POLLIN or TLS_WANT_POLLOUT) */
static int wait_for(struct tlsx *t, ssize_t want)
{
  struct pollfd p;
  int r;
  p.fd = want == TLS_WANT_POLLIN ? t->rfd : t->wfd;
  p.events = want == TLS_WANT_POLLIN ? POLLIN : POLLOUT;
  do r = poll(&p, 1, t->timeout > 0 ? t->timeout * 1000 : -1); while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  if (r == 0) { errno = ETIMEDOUT; return -1; }
  return 0;
}

int tlsx_accept(struct tlsx *t, int rfd, int wfd, int timeout)
{
  int r;
  t->rfd = rfd;
  t->wfd = wfd;
  t->timeout = timeout;
  if (tls_accept_fds(t->server, &t->conn, rfd, wfd) < 0) { errno = EPROTO; return -1; }
  while ((r = tls_handshake(t->conn)) != 0) {
    if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) { errno = EPROTO; return -1; }
    if (wait_for(t, r) < 0) return -1;
  }
  return 0;
}

ssize_t tlsx_read(void *session, int fd, char *s, size_t n)
{
  struct tlsx *t = session;
  for (;;) {
    ssize_t r = tls_read(t->conn, s, n);
    if (r >= 0) return r;
    if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) { errno = EPROTO; return -1; }
    if (wait_for(t, r) < 0) return -1;
  }
}

ssize_t tlsx_write(void *session, int fd, char *s, size_t n)
{
  struct tlsx *t = session;
  for (;;) {
    ssize_t r = tls_write(t->conn, s, n);
    if (r >= 0) return r;
    if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) { errno = EPROTO; return -1; }
    if (wait_for(t, r) < 0) return -1;
  }
}

const char *tlsx_version(struct tlsx *t) { return t->conn ? tls_conn_version(t->conn) : 0; }
const char *tlsx_cipher(struct tlsx *t) { return t->conn ? tls_conn_cipher(t->conn) : 0; }

const char *tlsx_error(struct tlsx *t)
{
  const char *e = 0;
  if (t->conn) e = tls_error(t->conn);
  if (!e && t->server) e = tls_error(t->server);
  if (!e && t->cfg) e = tls_config_error(t->cfg);
  return e ? e : "unknown TLS error";
}

void tlsx_close(struct tlsx *t)
{
  if (t->conn) { tls_close(t->conn); tls_free(t->conn); }
  if (t->server) tls_free(t->server);
  if (t->cfg) tls_config_free(t->cfg);
  t->conn = t->server = 0;
  t->cfg = 0;
}
