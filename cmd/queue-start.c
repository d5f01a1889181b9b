/* queue-start: start queue-manager the way qmail-start starts qmail-send,
 * for boot scripts written for qmail (installed as qmail-start too):
 *
 *   queue-start [defaultdelivery [logger [arg ...]]]
 *
 * With a logger, runs it with the given arguments (searched in PATH; its
 * stdin the read end of a pipe) and points our fd 1 and 2 at the pipe.
 * Then execs HOME/bin/qmail-send (a link to queue-manager), so that the
 * scheduler keeps this process id for a supervisor and `ps` and monitors
 * see the name qmail-send. quail reads the default delivery from
 * control/defaultdelivery; an argument that differs is named in a warning
 * (netqmail's rc passes that file's contents, so they agree).
 * Exit codes: 111 the logger or qmail-send could not be started (else
 * queue-manager's own: 0 after TERM, 111); 100 usage. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "spawn.h"
#include "str.h"

#define PATH_SIZE 4096
#define SEND      "bin/qmail-send"

static void __attribute__((noreturn)) die_logger(const char *p) { diag_diesys(EXIT_TEMP, "unable to start the logger ", p, (char *)0); }
static void __attribute__((noreturn)) die_send(const char *p) { diag_diesys(EXIT_TEMP, "unable to run ", p, (char *)0); }

/* the logger on the other end of our fd 1 and 2 */
static void start_logger(char **argv)
{
  int fd;
  if (spawn_checked(argv, &fd) < 0) die_logger(argv[0]);
  if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) die_logger(argv[0]);
  close(fd);
}

/* warn when the argument is not what control/defaultdelivery says */
static void check_delivery(const char *home, const char *arg)
{
  struct str want = STR_ZERO, given = STR_ZERO;
  char path[PATH_SIZE];
  size_t n = strcspn(arg, "\n");
  if (home_path(home, "control/defaultdelivery", path, sizeof path) < 0) return;
  if (control_readline(path, &want, "./Maildir/") < 0 || str_copyb(&given, arg, n) < 0 || str_0(&want) < 0
      || str_0(&given) < 0) return;
  while (given.len && (given.s[given.len - 1] == ' ' || given.s[given.len - 1] == '\t')) given.s[--given.len] = 0;
  if (strcmp(want.s, given.s))
    diag_warn("default delivery ", given.s, " given, but quail follows control/defaultdelivery: ", want.s,
              (char *)0);
  str_free(&want);
  str_free(&given);
}

int main(int argc, char **argv)
{
  const char *home = home_dir(getenv("QUAIL_HOME"));
  char prog[PATH_SIZE];
  char *args[2];

  diag_init("qmail-start");
  if (argc > 1 && argv[1][0] == '-') diag_usage("[defaultdelivery [logger [arg ...]]]");
  if (argc > 2) start_logger(argv + 2);
  if (argc > 1) check_delivery(home, argv[1]);
  if (home_path(home, SEND, prog, sizeof prog) < 0) die_send(SEND);
  args[0] = prog;
  args[1] = 0;
  execv(prog, args);
  die_send(prog);
}
