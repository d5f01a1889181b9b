/* predate: run a program with a Date field in front of its input, as
 * qmail's predate does (datemail is predate sendmail):
 *
 *   predate program [arg ...]
 *
 * Writes "Date: " and the time now in the local time zone (RFC 5322),
 * then stdin, to the program's stdin.
 * Exit codes: the program's; 111 when it crashed or could not be
 * started, or stdin could not be read; 100 usage. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include "date.h"
#include "diag.h"
#include "exitcode.h"
#include "spawn.h"

static void __attribute__((noreturn)) die_run(const char *p) { diag_diesys(EXIT_TEMP, "unable to run ", p, (char *)0); }
static void __attribute__((noreturn)) die_copy(void) { diag_diesys(EXIT_TEMP, "unable to copy the input", (char *)0); }
static void __attribute__((noreturn)) die_crashed(void) { diag_die(EXIT_TEMP, "the program crashed", (char *)0); }

int main(int argc, char **argv)
{
  char date[DATE_MAX], head[DATE_MAX + 16];
  int fd, n, r;
  pid_t pid;

  diag_init("predate");
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) diag_usage("program [arg ...]");
  date_local(time(0), date);
  n = snprintf(head, sizeof head, "Date: %s\n", date);
  pid = spawn_prog(argv + 1, &fd);
  if (pid < 0) die_run(argv[1]);
  if (spawn_feed(fd, head, (size_t)n) < 0 && errno != EPIPE) die_copy();
  r = spawn_reap(pid);
  if (r < 0) die_crashed();
  return r;
}
