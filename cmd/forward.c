/* forward: forward the message on stdin to the addresses given, as
 * qmail's forward does from a .qmail file ("|forward address...").
 *
 * The envelope sender is $NEWSENDER and $DTLINE goes in front of the
 * message, as deliver-local does for an address line; the message goes to
 * queue-writer (or $QMAILQUEUE) in one run for all addresses. Prints
 * "qp PID" (the queue program's pid) on success.
 * Exit codes: 0 queued; 100 usage, NEWSENDER or DTLINE unset, or a
 * permanent refusal by the queue; 111 a temporary failure. */
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "qq.h"
#include "srs.h"
#include "str.h"

#define PATH_SIZE 4096

static void __attribute__((noreturn)) die_env(const char *name)
{
  diag_die(EXIT_PERM, name, " not set (forward runs from a .qmail file)", (char *)0);
}
static void __attribute__((noreturn)) die_srs(void)
{
  diag_diesys(EXIT_TEMP, "unable to read control/srsdomain, srssecret or locals", (char *)0);
}
static void __attribute__((noreturn)) die_qqstart(const char *p)
{
  diag_diesys(EXIT_TEMP, "unable to run ", p, (char *)0);
}
static void __attribute__((noreturn)) die_queue(int code)
{
  diag_die(qq_temporary(code) ? EXIT_TEMP : EXIT_PERM, "unable to forward: ", qq_text(code), (char *)0);
}

int main(int argc, char **argv)
{
  const char *sender = getenv("NEWSENDER"), *dtline = getenv("DTLINE"), *qq, *home;
  struct srs_conf srs = { STR_ZERO, STR_ZERO, STR_ZERO };
  struct str envsender = STR_ZERO;
  char path[PATH_SIZE];
  long pid;
  int r;

  diag_init("forward");
  if (argc < 2) diag_usage("address ...");
  if (!sender) die_env("NEWSENDER");
  if (!dtline) die_env("DTLINE");
  home = home_dir(getenv("QUAIL_HOME"));
  if (srs_load(&srs, home) < 0) die_srs();
  if (srs_sender(&srs, sender, time(0), &envsender) < 0) diag_nomem();
  qq = home_queue(home, getenv("QMAILQUEUE"), path, sizeof path);
  if (!qq) die_qqstart("queue-writer");
  r = qq_forward(qq, dtline, envsender.s, argv + 1, 0, &pid);
  if (r < 0) die_qqstart(qq);
  if (r != QQ_OK) die_queue(r);
  printf("qp %ld\n", pid);
  return EXIT_OK;
}
