/* qq.c: the client side of the qmail-queue protocol. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exitcode.h"
#include "fsx.h"
#include "qq.h"
#include "spawn.h"

struct qq_child { const char *prog; int pm[2], pe[2], pw[2]; };

static pid_t unreaped;          /* a writer that reported, not yet reaped */
static int reap(pid_t);

/* in the child (spawn_vm): the message pipe on 0, the envelope socket on
 * 1, the custom-error pipe on QQ_ERRFD. Each goes above QQ_ERRFD first,
 * so that none lands on a number another one still needs. */
static int qq_child(void *p)
{
  struct qq_child *c = p;
  char *argv[2];
  int m, e, w;
  close(c->pm[1]);
  close(c->pe[1]);
  close(c->pw[0]);
  if ((m = fcntl(c->pm[0], F_DUPFD, QQ_ERRFD + 1)) < 0 || (e = fcntl(c->pe[0], F_DUPFD, QQ_ERRFD + 1)) < 0 ||
      (w = fcntl(c->pw[1], F_DUPFD, QQ_ERRFD + 1)) < 0)
    return QQ_BUG;
  close(c->pm[0]);
  close(c->pe[0]);
  close(c->pw[1]);
  if (fd_move(0, m) < 0 || fd_move(1, e) < 0 || fd_move(QQ_ERRFD, w) < 0) return QQ_BUG;
  argv[0] = (char *)c->prog;
  argv[1] = 0;
  execv(c->prog, argv);
  return QQ_BUG;
}

static void close_pair(int *p) { close(p[0]); close(p[1]); }

int qq_open(struct qq *q, const char *prog)
{
  struct qq_child c;
  int *pm = c.pm, *pe = c.pe, *pw = c.pw;
  q->env = (struct str)STR_ZERO;
  q->failed = q->early = 0;
  q->why[0] = 0;
  c.prog = prog;
  if (unreaped) { reap(unreaped); unreaped = 0; }
  if (pipe(pm) < 0) return -1;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pe) < 0) { close_pair(pm); return -1; }
  if (pipe(pw) < 0) { close_pair(pm); close_pair(pe); return -1; }
  q->pid = spawn_vm(qq_child, &c);
  if (q->pid < 0) {
    int e = errno;
    close_pair(pm); close_pair(pe); close_pair(pw);
    errno = e;
    return -1;
  }
  close(pm[0]);
  close(pe[0]);
  close(pw[1]);
  fd_cloexec(pm[1]);
  fd_cloexec(pe[1]);
  fd_cloexec(pw[0]);
  fd_nonblock(pw[0]);
  q->msgfd = pm[1];
  q->envfd = pe[1];
  q->errfd = pw[0];
  buf_init(&q->out, q->msgfd, q->space, sizeof q->space);
  return 0;
}

int qq_put(struct qq *q, const char *s, size_t n)
{
  if (q->failed) return -1;
  if (buf_put(&q->out, s, n) < 0) { q->failed = 1; return -1; }
  return 0;
}

int qq_flush(struct qq *q)
{
  if (q->failed) return -1;
  if (buf_flush(&q->out) < 0) { q->failed = 1; return -1; }
  return 0;
}

int qq_from(struct qq *q, const char *sender)
{
  if (str_catc(&q->env, 'F') < 0 || str_cats(&q->env, sender) < 0 || str_catc(&q->env, 0) < 0) return -1;
  return 0;
}

int qq_to(struct qq *q, const char *rcpt)
{
  if (str_catc(&q->env, 'T') < 0 || str_cats(&q->env, rcpt) < 0 || str_catc(&q->env, 0) < 0) return -1;
  return 0;
}

static int reap(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return QQ_BUG;
}

/* the writer's report on the envelope socket: 1 when it says queued */
static int report(int fd)
{
  char b[sizeof QQ_REPORT];
  size_t n = 0;
  if (shutdown(fd, SHUT_WR) < 0) return 0;
  while (n < sizeof b - 1 && (!n || b[n - 1] != '\n')) {   /* one line */
    ssize_t r = read(fd, b + n, sizeof b - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  return n == sizeof QQ_REPORT - 1 && !memcmp(b, QQ_REPORT, n);
}

/* after QQ_CUSTOM: the program's reason, its first line, into why; read
 * once the program is gone, so never waiting (the pipe is non-blocking) */
static void custom_error(struct qq *q)
{
  ssize_t n;
  char *nl;
  do n = read(q->errfd, q->why, sizeof q->why - 1); while (n < 0 && errno == EINTR);
  q->why[n > 0 ? n : 0] = 0;
  if ((nl = strchr(q->why, '\n'))) *nl = 0;
  if (q->why[0] != 'D' && q->why[0] != 'Z') q->why[0] = 0;
}

int qq_close(struct qq *q)
{
  int r, st;
  if (!q->failed && buf_flush(&q->out) < 0) q->failed = 1;
  close(q->msgfd);
  if (!q->failed && str_catc(&q->env, 0) == 0)
    fd_write_all(q->envfd, q->env.s, q->env.len);
  if (q->early && !q->failed && report(q->envfd)) {
    close(q->envfd);
    close(q->errfd);
    str_free(&q->env);
    if (unreaped) reap(unreaped);
    unreaped = waitpid(q->pid, &st, WNOHANG) == q->pid ? 0 : q->pid;
    return 0;
  }
  close(q->envfd);
  str_free(&q->env);
  r = reap(q->pid);
  if (r == QQ_CUSTOM) custom_error(q);
  close(q->errfd);
  /* a writer that exited 0 although we could not send everything is a bug */
  if (r == 0 && q->failed) r = QQ_BUG;
  return r;
}

void qq_abort(struct qq *q)
{
  kill(q->pid, SIGTERM);
  close(q->msgfd);
  close(q->envfd);
  close(q->errfd);
  str_free(&q->env);
  reap(q->pid);
}

int qq_forward(const char *prog, const char *line, const char *sender, char *const *rcpts,
               int fd, long *pid)
{
  struct qq q;
  char b[BUF_SIZE];
  int r;
  if (qq_open(&q, prog) < 0) return -1;
  *pid = (long)q.pid;
  if (line) qq_put(&q, line, strlen(line));
  for (;;) {
    ssize_t n = fd_read_retry(fd, b, sizeof b);
    if (n < 0) { qq_abort(&q); return QQ_READ; }
    if (n == 0 || qq_put(&q, b, (size_t)n) < 0) break;   /* qq_close tells */
  }
  if (qq_from(&q, sender) < 0) { qq_abort(&q); return QQ_NOMEM; }
  for (; *rcpts; rcpts++)
    if (qq_to(&q, *rcpts) < 0) { qq_abort(&q); return QQ_NOMEM; }
  r = qq_close(&q);
  return r < 0 ? QQ_BUG : r;
}
