/* tlsc.c: a libtls client handshake with poll(2) for the time-outs. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <tls.h>
#include "tlsc.h"

static int wait_want(int fd, ssize_t want, int timeout)
{
  struct pollfd p;
  int r;
  p.fd = fd;
  p.events = want == TLS_WANT_POLLIN ? POLLIN : POLLOUT;
  do r = poll(&p, 1, timeout > 0 ? timeout * 1000 : -1); while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  if (r == 0) { errno = ETIMEDOUT; return -1; }
  return 0;
}

static int configure(struct tlsx *t, int verify, const char *cafile, const char *certfile)
{
  if (!(t->cfg = tls_config_new())) { errno = ENOMEM; return -1; }
  /* a client certificate that will not load is left out: TLS without it
   * beats a session in the clear */
  if (certfile && tls_config_set_keypair_file(t->cfg, certfile, certfile) < 0) tls_config_clear_keys(t->cfg);
  if (tls_config_set_protocols(t->cfg, TLS_PROTOCOLS_DEFAULT) < 0) { errno = EPROTO; return -1; }
  if (!verify) {
    tls_config_insecure_noverifycert(t->cfg);
    tls_config_insecure_noverifyname(t->cfg);
    tls_config_insecure_noverifytime(t->cfg);
  } else if (cafile && tls_config_set_ca_file(t->cfg, cafile) < 0) {
    errno = EPROTO;
    return -1;
  }
  return 0;
}

int tlsc_connect(struct tlsx *t, int fd, const char *name, int verify, const char *cafile, const char *certfile,
                 int timeout)
{
  int r;
  memset(t, 0, sizeof *t);
  t->rfd = t->wfd = fd;
  t->timeout = timeout;
  if (tls_init() < 0) { errno = ENOMEM; return -1; }
  if (configure(t, verify, cafile, certfile) < 0) return -1;
  if (!(t->conn = tls_client())) { errno = ENOMEM; return -1; }
  if (tls_configure(t->conn, t->cfg) < 0) { errno = EPROTO; return -1; }
  if (tls_connect_socket(t->conn, fd, name) < 0) { errno = EPROTO; return -1; }
  while ((r = tls_handshake(t->conn)) != 0) {
    if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) { errno = EPROTO; return -1; }
    if (wait_want(fd, r, timeout) < 0) return -1;
  }
  return 0;
}
