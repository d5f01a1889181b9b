/* tlsc.c: a libtls client handshake with poll(2) for the time-outs, and
 * its session file. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tls.h>
#include <unistd.h>
#include "buf.h"
#include "fsx.h"
#include "str.h"
#include "tlsc.h"

#define SESSION_PEM "-----BEGIN SSL SESSION PARAMETERS-----"

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

static int configure(struct tlsx *t, int verify, const char *cafile, const char *certfile, int session)
{
  if (!(t->cfg = tls_config_new())) { errno = ENOMEM; return -1; }
  /* a client certificate that will not load is left out: TLS without it
   * beats a session in the clear */
  if (certfile && tls_config_set_keypair_file(t->cfg, certfile, certfile) < 0) tls_config_clear_keys(t->cfg);
  if (tls_config_set_protocols(t->cfg, TLS_PROTOCOLS_DEFAULT) < 0) { errno = EPROTO; return -1; }
  /* a session file libtls refuses is left out: a full handshake */
  if (session >= 0) (void)tls_config_set_session_fd(t->cfg, session);
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
                 int session, int timeout)
{
  int r;
  memset(t, 0, sizeof *t);
  t->rfd = t->wfd = fd;
  t->timeout = timeout;
  if (tls_init() < 0) { errno = ENOMEM; return -1; }
  if (configure(t, verify, cafile, certfile, session) < 0) return -1;
  if (!(t->conn = tls_client())) { errno = ENOMEM; return -1; }
  if (tls_configure(t->conn, t->cfg) < 0) { errno = EPROTO; return -1; }
  if (tls_connect_socket(t->conn, fd, name) < 0) { errno = EPROTO; return -1; }
  while ((r = tls_handshake(t->conn)) != 0) {
    if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) { errno = EPROTO; return -1; }
    if (wait_want(fd, r, timeout) < 0) return -1;
  }
  return 0;
}

int tlsc_resumed(struct tlsx *t) { return t->conn && tls_conn_session_resumed(t->conn) == 1; }

int tlsc_session_open(const char *path)
{
  struct str old = STR_ZERO;
  int fd = memfd_create("tls-session", MFD_CLOEXEC), e;
  if (fd < 0) return -1;
  if (fchmod(fd, 0600) < 0) goto fail;
  if (file_read(path, &old, TLSC_SESSION_MAX) == 1 && old.len > sizeof SESSION_PEM &&
      !memcmp(old.s, SESSION_PEM, sizeof SESSION_PEM - 1) && fd_write_all(fd, old.s, old.len) < 0)
    goto fail;
  str_free(&old);
  return fd;
fail:
  e = errno;
  str_free(&old);
  close(fd);
  errno = e;
  return -1;
}

int tlsc_session_save(int fd, const char *path)
{
  char tmp[4096], data[TLSC_SESSION_MAX];
  struct stat st;
  ssize_t n;
  int out, e;
  if (fstat(fd, &st) < 0) return -1;
  if (st.st_size <= 0 || st.st_size > (off_t)sizeof data) return 0;   /* nothing to keep */
  if ((n = pread(fd, data, (size_t)st.st_size, 0)) != st.st_size) { if (n >= 0) errno = EIO; return -1; }
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid()) >= sizeof tmp) { errno = ENAMETOOLONG; return -1; }
  if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) return -1;
  e = fd_write_all(out, data, (size_t)n);
  if (close(out) < 0 || e < 0 || rename(tmp, path) < 0) {
    e = errno;
    (void)unlink(tmp);
    errno = e;
    return -1;
  }
  return 0;
}
