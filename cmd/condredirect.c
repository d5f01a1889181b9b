/* condredirect: perhaps redirect the message to another address, as
 * qmail's condredirect does from a .qmail file:
 *
 *   |condredirect newaddress program [arg ...]
 *
 * Runs program with the message on its stdin. When it exits 0 the message
 * is forwarded to newaddress (from $NEWSENDER, $DTLINE in front, through
 * queue-writer or $QMAILQUEUE), "qp PID" printed, and condredirect exits
 * 99 so that deliver-local follows no more lines of the .qmail file.
 * Exit codes: 99 redirected; 111 the program exited 111, or a temporary
 * failure; 0 the program exited anything else or could not be run (the
 * rest of the .qmail file is followed); 100 usage, NEWSENDER or DTLINE
 * unset, or the queue refused the message for good. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "qq.h"
#include "srs.h"
#include "str.h"
#include "spawn.h"

#define PATH_SIZE 4096

static void __attribute__((noreturn)) die_env(const char *name)
{
  diag_die(EXIT_PERM, name, " not set (condredirect runs from a .qmail file)", (char *)0);
}
static void __attribute__((noreturn)) die_run(void) { diag_diesys(EXIT_TEMP, "unable to run the program", (char *)0); }
static void __attribute__((noreturn)) die_crashed(void) { diag_die(EXIT_TEMP, "the program crashed", (char *)0); }
static void __attribute__((noreturn)) die_temporary(void) { diag_die(EXIT_TEMP, "temporary error from the program", (char *)0); }
static void __attribute__((noreturn)) die_rewind(void) { diag_diesys(EXIT_TEMP, "unable to rewind the message", (char *)0); }
static void __attribute__((noreturn)) die_srs(void)
{
  diag_diesys(EXIT_TEMP, "unable to read control/srsdomain, srssecret or locals", (char *)0);
}
static void __attribute__((noreturn)) die_qqstart(const char *p) { diag_diesys(EXIT_TEMP, "unable to run ", p, (char *)0); }
static void __attribute__((noreturn)) die_queue(int code)
{
  diag_die(qq_temporary(code) ? EXIT_TEMP : EXIT_PERM, "unable to forward: ", qq_text(code), (char *)0);
}

static void redirect(char *to)
{
  const char *sender = getenv("NEWSENDER"), *dtline = getenv("DTLINE"), *qq, *home;
  struct srs_conf srs = { STR_ZERO, STR_ZERO, STR_ZERO };
  struct str envsender = STR_ZERO;
  char path[PATH_SIZE], *rcpts[2] = { to, 0 };
  long pid;
  int r;
  home = home_dir(getenv("QUAIL_HOME"));
  if (srs_load(&srs, home) < 0) die_srs();
  if (srs_sender(&srs, sender, time(0), &envsender) < 0) diag_nomem();
  qq = home_queue(home, getenv("QMAILQUEUE"), path, sizeof path);
  if (!qq) die_qqstart("queue-writer");
  if (lseek(0, 0, SEEK_SET) < 0) die_rewind();
  r = qq_forward(qq, dtline, envsender.s, rcpts, 0, &pid);
  if (r < 0) die_qqstart(qq);
  if (r != QQ_OK) die_queue(r);
  printf("qp %ld\n", pid);
}

int main(int argc, char **argv)
{
  int r;
  diag_init("condredirect");
  if (argc < 3) diag_usage("newaddress program [arg ...]");
  if (!getenv("NEWSENDER")) die_env("NEWSENDER");
  if (!getenv("DTLINE")) die_env("DTLINE");
  r = spawn_run(argv + 2);
  if (r == -1) die_run();
  if (r == SPAWN_CRASHED) die_crashed();
  if (r == EXIT_TEMP) die_temporary();
  if (r != 0) return EXIT_OK;
  redirect(argv[1]);
  return EXIT_STOP;
}
