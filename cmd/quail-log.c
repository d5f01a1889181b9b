/* quail-log: the log service of every quail service (run/NAME/log/run).
 *
 *   quail-log NAME
 *
 * Reads HOME/control/logto (HOME is $QUAIL_HOME, else the compiled-in
 * prefix) and becomes the logger it names for the lines on stdin:
 *   svlogd (or no file)  svlogd -tt HOME/log/NAME
 *   syslog               HOME/bin/splogger NAME (facility mail)
 *   both                 HOME/bin/splogger -t NAME, its stdout a pipe to
 *                        svlogd -tt HOME/log/NAME (a child of splogger's)
 * Any other value, an empty file or one that cannot be read gives svlogd
 * and a warning on stderr: the logs are never lost to a typo. The file is
 * read when the log service starts (sv restart HOME/service/NAME/log).
 * Exit codes: 100 usage; 111 svlogd or splogger could not be started. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "str.h"

#define PATH_MAX_ 4096
#define USAGE "NAME"

enum logto { TO_SVLOGD, TO_SYSLOG, TO_BOTH };

struct paths {
  char control[PATH_MAX_];         /* HOME/control/logto */
  char dir[PATH_MAX_];             /* HOME/log/NAME */
  char splogger[PATH_MAX_];        /* HOME/bin/splogger */
};

static void __attribute__((noreturn)) die_exec(const char *prog) { diag_diesys(EXIT_TEMP, "unable to run ", prog, (char *)0); }
static void __attribute__((noreturn)) die_pipe(void) { diag_diesys(EXIT_TEMP, "unable to make a pipe to svlogd", (char *)0); }
static void __attribute__((noreturn)) die_long(void) { diag_die(EXIT_TEMP, "the path of HOME is too long", (char *)0); }

/* NAME is a service's: a file name of its own in log/ */
static int valid_name(const char *s)
{
  return *s && *s != '.' && !strchr(s, '/') && strlen(s) < 256;
}

static void make_paths(struct paths *p, const char *name)
{
  const char *home = home_dir(getenv("QUAIL_HOME"));
  char rel[300];
  snprintf(rel, sizeof rel, "log/%s", name);
  if (home_path(home, "control/logto", p->control, sizeof p->control) < 0 ||
      home_path(home, rel, p->dir, sizeof p->dir) < 0 ||
      home_path(home, "bin/splogger", p->splogger, sizeof p->splogger) < 0) die_long();
}

/* control/logto: missing is svlogd; what cannot be understood is svlogd
 * too, with a warning, so that the lines still land somewhere */
static enum logto read_logto(const char *path, const char *name)
{
  struct str v = STR_ZERO;
  int r = control_readline(path, &v, "svlogd");
  if (r < 0) {
    diag_warnsys(name, " logs to svlogd: unable to read ", path, (char *)0);
    return TO_SVLOGD;
  }
  if (str_0(&v) < 0) diag_nomem();
  if (!strcmp(v.s, "svlogd")) return TO_SVLOGD;
  if (!strcmp(v.s, "syslog")) return TO_SYSLOG;
  if (!strcmp(v.s, "both")) return TO_BOTH;
  diag_warn(name, " logs to svlogd: ", path, " says \"", v.s, "\", not svlogd, syslog or both", (char *)0);
  return TO_SVLOGD;
}

static void __attribute__((noreturn)) svlogd(const struct paths *p)
{
  execlp("svlogd", "svlogd", "-tt", p->dir, (char *)0);
  die_exec("svlogd");
}

static void __attribute__((noreturn)) splogger(const struct paths *p, const char *name, int tee)
{
  if (tee) execl(p->splogger, p->splogger, "-t", name, (char *)0);
  else execl(p->splogger, p->splogger, name, (char *)0);
  die_exec(p->splogger);
}

/* both: svlogd reads a pipe in a child; this process becomes splogger -t,
 * which copies every byte into the pipe before it logs it, and waits for
 * svlogd at the end: runsv signals and waits for splogger, so the service
 * ends when both have written what they read */
static void __attribute__((noreturn)) both(const struct paths *p, const char *name)
{
  int fd[2];
  pid_t pid;
  if (pipe(fd) < 0) die_pipe();
  pid = fork();
  if (pid < 0) die_pipe();
  if (pid == 0) {
    if (dup2(fd[0], 0) < 0) die_pipe();
    close(fd[0]);
    close(fd[1]);
    svlogd(p);
  }
  if (dup2(fd[1], 1) < 0) die_pipe();
  close(fd[0]);
  close(fd[1]);
  splogger(p, name, 1);
}

int main(int argc, char **argv)
{
  struct paths p;
  const char *name;

  diag_init("quail-log");
  if (argc != 2 || !valid_name(argv[1])) diag_usage(USAGE);
  name = argv[1];
  make_paths(&p, name);
  switch (read_logto(p.control, name)) {
  case TO_SYSLOG: splogger(&p, name, 0);
  case TO_BOTH: both(&p, name);
  default: svlogd(&p);
  }
}
