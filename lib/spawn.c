/* spawn.c: clone(CLONE_VM | CLONE_VFORK) with a stack of its own. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "buf.h"
#include "exitcode.h"
#include "spawn.h"

#define STACK_SIZE (256 * 1024)

/* the parent is suspended while a child runs here, so one stack serves */
static char stack[STACK_SIZE] __attribute__((aligned(64)));

struct start {
  int (*child)(void *);
  void *arg;
  sigset_t mask;                /* the parent's mask, for the child */
};

static int trampoline(void *p)
{
  struct start *s = p;
  struct sigaction dfl;
  int sig;
  /* no handler of the parent may run on our shared memory */
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (sig = 1; sig < 32; sig++) {
    struct sigaction old;
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, 0, &old) == 0 && old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL)
      sigaction(sig, &dfl, 0);
  }
  sigprocmask(SIG_SETMASK, &s->mask, 0);
  _exit(s->child(s->arg));
}

pid_t spawn_vm(int (*child)(void *), void *arg)
{
  struct start s;
  sigset_t all;
  pid_t pid;
  int e;
  s.child = child;
  s.arg = arg;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &s.mask);
  pid = clone(trampoline, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
  e = errno;
  sigprocmask(SIG_SETMASK, &s.mask, 0);
  errno = e;
  return pid;
}

static size_t cat(char *d, size_t at, size_t max, const char *s)
{
  while (s && *s && at < max) d[at++] = *s++;
  return at;
}

void spawn_report(int fd, const char *a, const char *b, const char *tail)
{
  char line[1024];
  const char *why = strerror(errno);
  size_t n = 0;
  n = cat(line, n, sizeof line, a);
  n = cat(line, n, sizeof line, b);
  n = cat(line, n, sizeof line, ": ");
  n = cat(line, n, sizeof line, why);
  n = cat(line, n, sizeof line, tail);
  if (write(fd, line, n) < 0) return;
}

/* why an exec may work on a later try; a missing or unfit program won't */
static int exec_temporary(int e)
{
  return e == ENOMEM || e == EAGAIN || e == ETXTBSY || e == EIO || e == ENFILE || e == EMFILE || e == EINTR;
}

/* the child's side: fd 0 from the pipe, then exec; on failure the errno
 * goes to report (when it is not -1) before the exit */
static void __attribute__((noreturn)) run_child(char *const argv[], const int *p, int report)
{
  int e;
  if (p && dup2(p[0], 0) < 0) _exit(EXIT_TEMP);
  if (p && p[0] == 0) fcntl(0, F_SETFD, 0);    /* dup2 onto itself keeps close-on-exec */
  execvp(argv[0], argv);
  e = errno;
  if (report >= 0 && write(report, &e, sizeof e) < 0) _exit(EXIT_TEMP);
  _exit(exec_temporary(e) ? EXIT_TEMP : EXIT_PERM);
}

/* the parent's side after fork: did the exec fail (its errno), or 0 */
static int exec_failed(int report)
{
  int e = 0;
  ssize_t r;
  do r = read(report, &e, sizeof e); while (r < 0 && errno == EINTR);
  close(report);
  return r == (ssize_t)sizeof e ? e : 0;
}

static pid_t start(char *const argv[], int *feed, int check)
{
  int p[2] = { -1, -1 }, rep[2] = { -1, -1 }, e = 0;
  pid_t pid;
  if (feed && pipe2(p, O_CLOEXEC) < 0) return -1;
  if (check && pipe2(rep, O_CLOEXEC) < 0) { e = errno; goto fail; }
  pid = fork();
  if (pid == 0) run_child(argv, feed ? p : 0, rep[1]);
  if (pid < 0) { e = errno; goto fail; }
  if (check) {
    close(rep[1]);
    rep[1] = -1;
    if ((e = exec_failed(rep[0]))) { rep[0] = -1; spawn_reap(pid); goto fail; }
  }
  if (feed) { close(p[0]); *feed = p[1]; }
  return pid;
fail:
  if (feed) { close(p[0]); close(p[1]); }
  if (rep[0] >= 0) close(rep[0]);
  if (rep[1] >= 0) close(rep[1]);
  errno = e;
  return -1;
}

pid_t spawn_prog(char *const argv[], int *feed) { return start(argv, feed, 0); }
pid_t spawn_checked(char *const argv[], int *feed) { return start(argv, feed, 1); }

int spawn_reap(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : SPAWN_CRASHED;
}

int spawn_feed(int fd, const char *head, size_t n)
{
  char b[8192];
  int r = 0;
  if (fd_write_all(fd, head, n) < 0) r = -1;
  while (r == 0) {
    ssize_t got = fd_read_retry(0, b, sizeof b);
    if (got <= 0) { r = (int)got; break; }
    if (fd_write_all(fd, b, (size_t)got) < 0) r = -1;
  }
  if (r < 0) { int e = errno; close(fd); errno = e; }
  else close(fd);
  return r;
}

int spawn_run(char *const argv[])
{
  pid_t pid = spawn_prog(argv, 0);
  return pid < 0 ? -1 : spawn_reap(pid);
}
