/* cdbx.c: cdb lookups and atomic cdb builds (libcdb does the format). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "cdbx.h"
#include "fsx.h"

int cdbx_open(struct cdb *c, const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC), e;
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  if (cdb_init(c, fd) < 0) { e = errno; close(fd); errno = e ? e : EINVAL; return -1; }
  return 1;
}

int cdbx_find(struct cdb *c, const char *key, size_t klen, struct str *val)
{
  int r = cdb_find(c, key, (unsigned)klen);
  if (r > 0) {
    unsigned n = cdb_datalen(c);
    if (str_ready(val, n + 1) < 0) r = -1;
    else if (cdb_read(c, val->s, n, cdb_datapos(c)) < 0) r = -1;
    else { val->len = n; val->s[n] = 0; r = 1; }
  }
  return r;
}

void cdbx_close(struct cdb *c)
{
  int e = errno, fd = cdb_fileno(c);
  cdb_free(c);
  close(fd);
  errno = e;
}

int cdbx_get(const char *path, const char *key, size_t klen, struct str *val)
{
  struct cdb c;
  int r = cdbx_open(&c, path);
  if (r <= 0) return r;
  r = cdbx_find(&c, key, klen, val);
  cdbx_close(&c);
  return r;
}

int cdbx_make_start(struct cdbx_make *m, const char *path, int mode)
{
  m->tmp = (struct str)STR_ZERO;
  m->path = (struct str)STR_ZERO;
  if (str_copys(&m->path, path) < 0 || str_copys(&m->tmp, path) < 0 || str_cats(&m->tmp, ".tmp") < 0)
    return -1;
  m->fd = open(m->tmp.s, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (m->fd < 0) return -1;
  if (cdb_make_start(&m->cm, m->fd) < 0) { cdbx_make_abort(m); return -1; }
  return 0;
}

int cdbx_make_add(struct cdbx_make *m, const char *k, size_t kl, const char *v, size_t vl)
{
  return cdb_make_add(&m->cm, k, (unsigned)kl, v, (unsigned)vl) < 0 ? -1 : 0;
}

int cdbx_make_finish(struct cdbx_make *m)
{
  if (cdb_make_finish(&m->cm) < 0 || fsync(m->fd) < 0 || close(m->fd) < 0) {
    int e = errno;
    m->fd = -1;
    cdbx_make_abort(m);
    errno = e;
    return -1;
  }
  m->fd = -1;
  if (rename(m->tmp.s, m->path.s) < 0) { int e = errno; cdbx_make_abort(m); errno = e; return -1; }
  if (fsync_parent(m->path.s) < 0) return -1;
  str_free(&m->tmp);
  str_free(&m->path);
  return 0;
}

void cdbx_make_abort(struct cdbx_make *m)
{
  int e = errno;
  if (m->fd >= 0) close(m->fd);
  m->fd = -1;
  if (m->tmp.s) unlink(m->tmp.s);
  str_free(&m->tmp);
  str_free(&m->path);
  errno = e;
}
