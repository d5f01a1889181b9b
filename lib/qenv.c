/* qenv.c: a queued message's envelope, in mess/ID.env or in an extended
 * attribute of mess/ID (qenv.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "buf.h"
#include "fsx.h"
#include "qenv.h"

int qenv_no_attr(int e)
{
  return e == ENODATA || e == ENOTSUP || e == EOPNOTSUPP;
}

static int attr_done(ssize_t n, char *space, struct str *out)
{
  if (n < 0) return qenv_no_attr(errno) ? 0 : -1;
  out->len = 0;
  if (str_catb(out, space, (size_t)n) < 0) return -1;
  return 1;
}

int qenv_attr_read(int fd, struct str *out)
{
  char space[QENV_ATTR_MAX];
  return attr_done(fgetxattr(fd, QENV_ATTR, space, sizeof space), space, out);
}

int qenv_attr_read_path(const char *path, struct str *out)
{
  char space[QENV_ATTR_MAX];
  return attr_done(getxattr(path, QENV_ATTR, space, sizeof space), space, out);
}

int qenv_attr_exists(const char *path)
{
  if (getxattr(path, QENV_ATTR, 0, 0) >= 0) return 1;
  return qenv_no_attr(errno) ? 0 : -1;
}

int qenv_attr_only(unsigned long id)
{
  char p[80];
  struct stat st;
  snprintf(p, sizeof p, "mess/%lu.env", id);
  if (stat(p, &st) == 0) return 0;
  snprintf(p, sizeof p, "mess/%lu", id);
  return qenv_attr_exists(p) == 1;
}

int qenv_read(const char *dir, unsigned long id, struct str *out, size_t max)
{
  char p[80];
  int r;
  snprintf(p, sizeof p, "%s/%lu.env", dir, id);
  r = file_read(p, out, max);
  if (r != 0) return r;
  if (dir[0] != 'm') return 0;
  snprintf(p, sizeof p, "mess/%lu", id);
  r = qenv_attr_read_path(p, out);
  if (r < 0 && errno == ENOENT) return 0;
  return r > 0 ? 2 : r;
}

int qenv_to_file(unsigned long id, const char *env, size_t len)
{
  char tmp[80], to[80], mess[80];
  int fd, e;
  snprintf(tmp, sizeof tmp, "tmp/%ld.%lu.env", (long)getpid(), id);   /* an .env half: queue-stat skips it */
  snprintf(to, sizeof to, "mess/%lu.env", id);
  snprintf(mess, sizeof mess, "mess/%lu", id);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (fd_write_all(fd, env, len) < 0 || fsync(fd) < 0) goto fail;
  if (close(fd) < 0) { fd = -1; goto fail; }
  fd = -1;
  /* never over an envelope file that is there already: whoever made it
   * (queue-manager or queue-admin, at once) may have marked it since */
  if (rename_noreplace(tmp, to) < 0) {
    if (errno == EINVAL || errno == ENOSYS) {
      if (link(tmp, to) < 0 && errno != EEXIST) goto fail;
    } else if (errno != EEXIST) goto fail;
    unlink(tmp);
  }
  if (fsync_dir("mess") < 0) return -1;
  /* the file rules from now on; the attribute goes, durably, so that no
   * crash can bring back the envelope without its done marks */
  if ((fd = open(mess, O_RDONLY | O_CLOEXEC)) < 0) return errno == ENOENT ? 0 : -1;
  if (fremovexattr(fd, QENV_ATTR) < 0 && !qenv_no_attr(errno)) goto fail_open;
  if (fsync(fd) < 0) goto fail_open;
  close(fd);
  return 0;
fail:
  e = errno;
  if (fd >= 0) close(fd);
  unlink(tmp);
  errno = e;
  return -1;
fail_open:
  e = errno;
  close(fd);
  errno = e;
  return -1;
}

/* one address up to its NUL, copied: QENV_OK or the trouble; *len its length */
static int copy_addr(struct buf *in, struct buf *out, size_t *len)
{
  *len = 0;
  for (;;) {
    char c;
    ssize_t r = buf_get(in, &c, 1);
    if (r < 0) return QENV_EREAD;
    if (r == 0) return QENV_EEOF;
    if (buf_put(out, &c, 1) < 0) return QENV_EWRITE;
    if (!c) return QENV_OK;
    if (c == '\n' || c == '\r') return QENV_EFORMAT;
    if (++*len > QENV_ADDR_MAX) return QENV_ELONG;
  }
}

int qenv_copy(struct buf *in, struct buf *out, int first, unsigned long *rcpts)
{
  size_t len;
  ssize_t r;
  char c;
  int e;
  *rcpts = 0;
  if (first >= 0) c = (char)first;
  else if ((r = buf_get(in, &c, 1)) != 1) return r < 0 ? QENV_EREAD : QENV_EEOF;
  if (c != 'F') return QENV_EFORMAT;
  if (buf_put(out, &c, 1) < 0) return QENV_EWRITE;
  if ((e = copy_addr(in, out, &len)) != QENV_OK) return e;
  for (;;) {
    r = buf_get(in, &c, 1);
    if (r < 0) return QENV_EREAD;
    if (r == 0) return QENV_EEOF;
    if (buf_put(out, &c, 1) < 0) return QENV_EWRITE;
    if (!c) return QENV_OK;
    if (c != 'T') return QENV_EFORMAT;
    if ((e = copy_addr(in, out, &len)) != QENV_OK) return e;
    if (!len) return QENV_EFORMAT;
    ++*rcpts;
  }
}

/* the offset after the field at i (its NUL included), 0 when it has none */
static size_t field_end(const char *env, size_t len, size_t i)
{
  const char *z = memchr(env + i, 0, len - i);
  return z ? (size_t)(z - env) + 1 : 0;
}

int qenv_next(const char *env, size_t len, size_t *pos, size_t *at)
{
  size_t i = *pos, end;
  if (!i) {
    if (!len || env[0] != 'F' || !(i = field_end(env, len, 0))) return -1;
  }
  if (i >= len || !env[i]) { *pos = i; return 0; }
  if (!(end = field_end(env, len, i))) return -1;
  *at = i;
  *pos = end;
  return 1;
}
