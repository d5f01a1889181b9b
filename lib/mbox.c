/* mbox.c: appending to mbox files. Never exits or prints. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mbox.h"

static int try_lock(int fd)
{
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl(fd, F_SETLK, &fl) < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    int e = errno;
    fl.l_type = F_UNLCK;
    fcntl(fd, F_SETLK, &fl);
    errno = e;
    return -1;
  }
  return 0;
}

int mbox_lock(int fd, int wait)
{
  long tries = (long)wait * 1000 / MBOX_LOCK_POLL;
  for (;;) {
    if (try_lock(fd) == 0) return 0;
    if (errno != EAGAIN && errno != EACCES && errno != EWOULDBLOCK) return -1;
    if (tries-- <= 0) { errno = ETIMEDOUT; return -1; }
    usleep(MBOX_LOCK_POLL * 1000);
  }
}

int mbox_open(struct mbox *m, const char *path, int wait)
{
  struct stat st;
  int e;
  /* O_NONBLOCK: a FIFO in the mailbox's place must not hang us */
  m->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
  if (m->fd < 0) return -1;
  if (fstat(m->fd, &st) < 0) goto fail;
  if (!S_ISREG(st.st_mode)) { errno = EINVAL; goto fail; }
  if (fcntl(m->fd, F_SETFL, O_APPEND) < 0) goto fail;
  if (mbox_lock(m->fd, wait) < 0) goto fail;
  m->start = lseek(m->fd, 0, SEEK_END);
  if (m->start < 0) goto fail;
  return 0;
fail:
  e = errno;
  close(m->fd);
  m->fd = -1;
  errno = e;
  return -1;
}

int mbox_fromline(struct str *out, const char *sender, time_t t)
{
  static const char day[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
  static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  struct tm tm;
  size_t i;
  if (str_copys(out, "From ") < 0) return -1;
  if (!*sender && str_cats(out, "MAILER-DAEMON") < 0) return -1;
  for (i = 0; sender[i]; i++) {
    char c = sender[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '-';
    if (str_catc(out, c) < 0) return -1;
  }
  gmtime_r(&t, &tm);
  return str_catf(out, " %s %s %2d %02d:%02d:%02d %d\n", day[tm.tm_wday], mon[tm.tm_mon],
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

/* does a line start with >*From (and so need one more '>')? */
static int needs_quote(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n && s[i] == '>') i++;
  return n - i >= 5 && !memcmp(s + i, "From ", 5);
}

int mbox_copy(struct buf *in, struct buf *out)
{
  struct str line = STR_ZERO;
  int at_start = 1;   /* the last byte written ended a line */
  int r = 0;
  for (;;) {
    int g;
    line.len = 0;
    g = buf_getline(in, &line, MBOX_LINE_MAX);
    if (g < 0) { r = -1; break; }
    if (g == 0 && !line.len) break;
    if (at_start && needs_quote(line.s, line.len) && buf_put(out, ">", 1) < 0) { r = -2; break; }
    if (buf_put(out, line.s, line.len) < 0) { r = -2; break; }
    at_start = line.s[line.len - 1] == '\n';
    if (g == 0) break;
  }
  if (r == 0 && !at_start && buf_put(out, "\n", 1) < 0) r = -2;
  if (r == 0 && buf_put(out, "\n", 1) < 0) r = -2;
  { int e = errno; str_free(&line); errno = e; }
  return r;
}

int mbox_commit(struct mbox *m)
{
  if (fsync(m->fd) < 0) { mbox_abort(m); return -1; }
  /* the data is on disk: a late error from close cannot be taken back */
  close(m->fd);
  m->fd = -1;
  return 0;
}

void mbox_abort(struct mbox *m)
{
  int e = errno;
  if (m->fd < 0) return;
  if (ftruncate(m->fd, m->start) == 0) fsync(m->fd);
  close(m->fd);
  m->fd = -1;
  errno = e;
}
