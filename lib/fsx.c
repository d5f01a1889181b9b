/* fsx.c: file-system helpers. Never exits or prints. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "buf.h"
#include "fsx.h"

#define RENAME_NOREPLACE_FLAG 1   /* <linux/fs.h> RENAME_NOREPLACE */

int fsync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r, e;
  if (fd < 0) return -1;
  r = fsync(fd);
  e = errno;
  close(fd);
  errno = e;
  return r;
}

int fsync_parent(const char *path)
{
  struct str d = STR_ZERO;
  const char *slash = strrchr(path, '/');
  int r;
  if (!slash) return fsync_dir(".");
  if (str_copyb(&d, path, slash == path ? 1 : (size_t)(slash - path)) < 0) return -1;
  r = fsync_dir(d.s);
  str_free(&d);
  return r;
}

int unlink_synced(const char *path)
{
  if (unlink(path) < 0) return errno == ENOENT ? 0 : -1;
  return fsync_parent(path);
}

int file_read(const char *path, struct str *out, size_t max)
{
  char b[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  out->len = 0;
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  for (;;) {
    ssize_t r = fd_read_retry(fd, b, sizeof b);
    if (r < 0) { int e = errno; close(fd); errno = e; return -1; }
    if (r == 0) break;
    if (out->len + (size_t)r > max) { close(fd); errno = EFBIG; return -1; }
    if (str_catb(out, b, (size_t)r) < 0) { close(fd); errno = ENOMEM; return -1; }
  }
  close(fd);
  if (str_0(out) < 0) return -1;
  return 1;
}

int file_replace(const char *path, const char *data, size_t len, int mode)
{
  struct str tmp = STR_ZERO;
  int fd, e;
  if (str_cats(&tmp, path) < 0 || str_cats(&tmp, ".tmp") < 0) return -1;
  fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) goto fail;
  if (fd_write_all(fd, data, len) < 0 || fsync(fd) < 0) { e = errno; close(fd); errno = e; goto fail_unlink; }
  if (close(fd) < 0) goto fail_unlink;
  if (rename(tmp.s, path) < 0) goto fail_unlink;
  str_free(&tmp);
  return fsync_parent(path);
fail_unlink:
  e = errno;
  unlink(tmp.s);
  errno = e;
fail:
  e = errno;
  str_free(&tmp);
  errno = e;
  return -1;
}

int fd_cloexec(int fd)
{
  int f = fcntl(fd, F_GETFD);
  return f < 0 ? -1 : fcntl(fd, F_SETFD, f | FD_CLOEXEC);
}

int fd_nonblock(int fd)
{
  int f = fcntl(fd, F_GETFL);
  return f < 0 ? -1 : fcntl(fd, F_SETFL, f | O_NONBLOCK);
}

int fd_move(int to, int from)
{
  if (to == from) return 0;
  if (dup2(from, to) < 0) return -1;
  close(from);
  return 0;
}

int mkdir_p(const char *path, int mode)
{
  struct str p = STR_ZERO;
  size_t i;
  if (str_cats(&p, path) < 0) return -1;
  for (i = 1; i <= p.len; i++) {
    if (i < p.len && p.s[i] != '/') continue;
    p.s[i] = 0;
    if (mkdir(p.s, (mode_t)mode) < 0 && errno != EEXIST) { int e = errno; str_free(&p); errno = e; return -1; }
    if (i < p.len) p.s[i] = '/';
  }
  str_free(&p);
  return 0;
}

int rename_noreplace(const char *from, const char *to)
{
  return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE_FLAG);
}
