/* qfilter.c: read the qmail-queue protocol whole, and pass it on. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "buf.h"
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

/* write both and wait: the writer reads the message before the envelope */
static int feed(pid_t pid, int mfd, int efd, const struct str *top, const struct str *msg, const struct str *env)
{
  int st, bad = 0;
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  if (fd_write_all(mfd, top->s ? top->s : "", top->len) < 0 || fd_write_all(mfd, msg->s ? msg->s : "", msg->len) < 0) bad = 1;
  close(mfd);
  if (!bad && fd_write_all(efd, env->s, env->len) < 0) bad = 1;
  close(efd);
  signal(SIGPIPE, old);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  if (!WIFEXITED(st)) { errno = EINTR; return -1; }
  return WEXITSTATUS(st);
}

int qfilter_pass(const char *prog, const struct str *top, const struct str *msg, const struct str *env)
{
  int m[2], e[2];
  pid_t pid;
  if (pipe(m) < 0) return -1;
  if (pipe(e) < 0) { close(m[0]); close(m[1]); return -1; }
  {
    struct qf_child c = { prog, m, e };
    pid = spawn_vm(child, &c);
  }
  if (pid < 0) { close(m[0]); close(m[1]); close(e[0]); close(e[1]); return -1; }
  close(m[0]);
  close(e[0]);
  return feed(pid, m[1], e[1], top, msg, env);
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
