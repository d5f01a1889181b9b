/* preline: feed the message to a program with the lines qmail-local puts
 * in mailboxes in front, as qmail's preline does, for programs such as
 * procmail that do not read the .qmail environment:
 *
 *   |preline [-dfr] command [arg ...]
 *
 * Writes $UFLINE (the mbox "From " line), $RPLINE (Return-Path) and
 * $DTLINE (Delivered-To), then the message from stdin, to the command's
 * stdin. -d leaves out Delivered-To, -f the From line, -r Return-Path.
 * Exit codes: the command's (0, 99, 100, 111, ...: deliver-local reads
 * them as usual); 111 when it crashed or could not be started, or the
 * message could not be read; 100 usage or the variables unset. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "diag.h"
#include "exitcode.h"
#include "spawn.h"
#include "str.h"

#define USAGE "[-dfr] command [arg ...]"

static void __attribute__((noreturn)) die_env(const char *name)
{
  diag_die(EXIT_PERM, name, " not set (preline runs from a .qmail file)", (char *)0);
}
static void __attribute__((noreturn)) die_run(const char *p) { diag_diesys(EXIT_TEMP, "unable to run ", p, (char *)0); }
static void __attribute__((noreturn)) die_copy(void) { diag_diesys(EXIT_TEMP, "unable to copy the message", (char *)0); }
static void __attribute__((noreturn)) die_crashed(void) { diag_die(EXIT_TEMP, "the command crashed", (char *)0); }
static void __attribute__((noreturn)) die_nomem(void) { diag_nomem(); }

/* the variable name's value appended to head, unless left out */
static void add(struct str *head, const char *name, int wanted)
{
  const char *v = getenv(name);
  if (!v) die_env(name);
  if (wanted && str_cats(head, v) < 0) die_nomem();
}

int main(int argc, char **argv)
{
  struct str head = STR_ZERO;
  int opt, nodt = 0, nouf = 0, norp = 0, fd, r;
  pid_t pid;

  diag_init("preline");
  signal(SIGPIPE, SIG_IGN);
  while ((opt = getopt(argc, argv, "+dfr")) != -1)
    if (opt == 'd') nodt = 1;
    else if (opt == 'f') nouf = 1;
    else if (opt == 'r') norp = 1;
    else diag_usage(USAGE);
  if (optind >= argc) diag_usage(USAGE);
  add(&head, "UFLINE", !nouf);
  add(&head, "RPLINE", !norp);
  add(&head, "DTLINE", !nodt);
  pid = spawn_prog(argv + optind, &fd);
  if (pid < 0) die_run(argv[optind]);
  if (spawn_feed(fd, head.s, head.len) < 0 && errno != EPIPE) die_copy();
  r = spawn_reap(pid);
  if (r < 0) die_crashed();
  return r;
}
