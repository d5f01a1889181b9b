/* qfilter.c: read the qmail-queue protocol whole, and pass it on. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "buf.h"
#include "fsx.h"
#include "header.h"
#include "qfilter.h"
#include "spawn.h"

#define CHUNK 65536

static int read_all(int fd, struct str *out, size_t max)
{
  ssize_t n;
  for (;;) {
    if (str_ready(out, out->len + CHUNK) < 0) return -1;
    n = fd_read_retry(fd, out->s + out->len, CHUNK);
    if (n < 0) return -1;
    if (n == 0) return str_0(out);
    out->len += (size_t)n;
    if (out->len > max) { errno = EFBIG; return -1; }
  }
}

int qfilter_read(struct str *msg, struct str *env, size_t max)
{
  if (read_all(0, msg, max) < 0) return -1;
  return read_all(1, env, QFILTER_ENV_MAX);
}

const char *qfilter_sender(const struct str *env)
{
  if (env->len < 2 || env->s[0] != 'F' || !memchr(env->s, 0, env->len)) return 0;
  return env->s + 1;
}

struct qf_child { const char *prog; int *m, *e; };

/* in the child (spawn_vm): the message on 0, the envelope on 1 */
static int child(void *p)
{
  struct qf_child *c = p;
  close(c->m[1]);
  close(c->e[1]);
  if (dup2(c->m[0], 0) < 0 || dup2(c->e[0], 1) < 0) return 111;
  execl(c->prog, c->prog, (char *)0);
  return 111;
}

pid_t qfilter_start(const char *prog, int *mfd, int *efd)
{
  int m[2], e[2];
  pid_t pid;
  if (pipe(m) < 0) return -1;
  if (pipe(e) < 0) { close(m[0]); close(m[1]); return -1; }
  {
    struct qf_child c = { prog, m, e };
    pid = spawn_vm(child, &c);
  }
  close(m[0]);
  close(e[0]);
  if (pid < 0) { close(m[1]); close(e[1]); return -1; }
  fd_cloexec(m[1]);
  fd_cloexec(e[1]);
  *mfd = m[1];
  *efd = e[1];
  return pid;
}

int qfilter_finish(pid_t pid, int efd, const struct str *env)
{
  int st, bad;
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  bad = fd_write_all(efd, env->s, env->len) < 0;
  close(efd);
  signal(SIGPIPE, old);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  if (!WIFEXITED(st)) { errno = EINTR; return -1; }
  /* a program that took less than the whole envelope cannot have queued it */
  if (bad && !WEXITSTATUS(st)) { errno = EPIPE; return -1; }
  return WEXITSTATUS(st);
}

/* the writer reads the message before the envelope */
int qfilter_pass(const char *prog, const struct str *top, const struct str *msg, const struct str *env)
{
  int mfd, efd, bad;
  void (*old)(int);
  pid_t pid = qfilter_start(prog, &mfd, &efd);
  if (pid < 0) return -1;
  old = signal(SIGPIPE, SIG_IGN);
  bad = fd_write_all(mfd, top->s ? top->s : "", top->len) < 0 || fd_write_all(mfd, msg->s ? msg->s : "", msg->len) < 0;
  close(mfd);
  signal(SIGPIPE, old);
  return qfilter_finish(pid, efd, bad ? &(struct str)STR_ZERO : env);
}

/* a read of fd that waits at most timeout seconds */
static ssize_t read_within(int fd, char *s, size_t n, int timeout)
{
  if (fd_wait(fd, 0, timeout) < 0) return -1;
  return fd_read_retry(fd, s, n);
}

int qfilter_read_env(struct str *env, int timeout)
{
  ssize_t n;
  for (;;) {
    if (str_ready(env, env->len + CHUNK) < 0) return -1;
    if ((n = read_within(1, env->s + env->len, CHUNK, timeout)) < 0) return -1;
    if (n == 0) return str_0(env);
    env->len += (size_t)n;
    if (env->len > QFILTER_ENV_MAX) { errno = EFBIG; return -1; }
  }
}

/* a file in dir that has no name: O_TMPFILE, else mkstemp and unlink */
static int nameless(const char *dir)
{
  struct str path = STR_ZERO;
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), e;
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  if (str_cats(&path, dir) < 0 || str_cats(&path, "/qfilterXXXXXX") < 0 || str_0(&path) < 0) return -1;
  fd = mkostemp(path.s, O_CLOEXEC);
  e = errno;
  if (fd >= 0) unlink(path.s);
  str_free(&path);
  errno = e;
  return fd;
}

int qfilter_spool(const char *dir, int timeout, off_t *len)
{
  static char b[CHUNK];
  int fd = nameless(dir), e;
  ssize_t n;
  *len = 0;
  if (fd < 0) return -1;
  while ((n = read_within(0, b, sizeof b, timeout)) > 0) {
    if (fd_write_all(fd, b, (size_t)n) < 0) break;
    *len += n;
  }
  if (n == 0) return fd;
  e = errno;
  close(fd);
  errno = e;
  return -1;
}

/* the domain of the first address of the From: field, into d */
int qfilter_from_domain(const struct str *msg, struct str *d)
{
  struct str out = STR_ZERO, addrs = STR_ZERO;
  size_t i = 0, body, end, name;
  int found = 0;
  while (i < msg->len && msg->s[i] != '\n' && !found) {
    for (end = i; end < msg->len && msg->s[end] != '\n'; end++) ;
    while (end + 1 < msg->len && (msg->s[end + 1] == ' ' || msg->s[end + 1] == '\t'))
      for (end++; end < msg->len && msg->s[end] != '\n'; end++) ;
    name = header_field(msg->s + i, end - i, &body);
    if (name && header_kind(msg->s + i, name) == HEADER_FROM &&
        header_addrlist(msg->s + i + body, end - i - body, 0, &out, &addrs) == 0 && addrs.len) {
      const char *at = strrchr(addrs.s, '@');
      if (at && at[1]) found = str_copys(d, at + 1) == 0;
    }
    i = end + 1;
  }
  str_free(&out);
  str_free(&addrs);
  return found;
}
