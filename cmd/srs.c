/* srs: take mail for an SRS0 address back to the sender it stands for.
 *
 *   |HOME/bin/srs       in HOME/alias/.qmail-srs0-default
 *
 * deliver-local rewrites the sender of forwards of foreign mail to
 * SRS0-HASH=TT=domain=local@srsdomain (control/srsdomain, srssecret;
 * srs.h); bounces and replies to such an address come back here. Reads
 * LOCAL (the SRS0 local part) and SENDER from deliver-local's
 * environment, checks the hash and age against control/srssecret, and
 * queues the message on fd 0 for local@domain with the same sender,
 * through queue-writer ($QMAILQUEUE when set).
 * Exit codes (a .qmail program's): 0 forwarded; 100 not an SRS0 address
 * of ours, a bad hash or older than SRS_MAX_AGE days (the message
 * bounces); 111 temporary failure (control/srssecret, the queue). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "qq.h"
#include "srs.h"
#include "str.h"

#define PATH_MAX_HOME 4096

static void __attribute__((noreturn)) die_nomem(void) { diag_nomem(); }
static void __attribute__((noreturn)) die_env(void) { diag_die(EXIT_PERM, "LOCAL and SENDER must be set (run me from a .qmail file)", (char *)0); }
static void __attribute__((noreturn)) die_secret(void) { diag_diesys(EXIT_TEMP, "unable to read control/srssecret", (char *)0); }
static void __attribute__((noreturn)) die_nosecret(void) { diag_die(EXIT_TEMP, "control/srssecret is empty or missing", (char *)0); }
static void __attribute__((noreturn)) die_bad(const char *local)
{
  const char *why = errno == EPERM ? "bad hash" : errno == ETIMEDOUT ? "too old" : "not an SRS0 address";
  diag_die(EXIT_PERM, "refusing ", local, ": ", why, (char *)0);
}
static void __attribute__((noreturn)) die_qq(const char *p) { diag_diesys(EXIT_TEMP, "unable to run ", p, (char *)0); }
static void __attribute__((noreturn)) die_queue(int code)
{
  diag_die(qq_temporary(code) ? EXIT_TEMP : EXIT_PERM, "unable to forward: ", qq_text(code), (char *)0);
}

static void forward(const char *prog, const char *sender, const char *to)
{
  struct qq q;
  char b[BUF_SIZE];
  ssize_t n;
  int r;
  if (qq_open(&q, prog) < 0) die_qq(prog);
  while ((n = fd_read_retry(0, b, sizeof b)) > 0) qq_put(&q, b, (size_t)n);
  if (n < 0) { qq_abort(&q); diag_diesys(EXIT_TEMP, "unable to read the message", (char *)0); }
  if (qq_from(&q, sender) < 0 || qq_to(&q, to) < 0) die_nomem();
  r = qq_close(&q);
  if (r < 0) die_qq(prog);
  if (r) die_queue(r);
}

int main(int argc, char **argv)
{
  const char *home = home_dir(getenv("QUAIL_HOME"));
  const char *local = getenv("LOCAL"), *sender = getenv("SENDER"), *prog;
  struct str secret = STR_ZERO, path = STR_ZERO, to = STR_ZERO;
  char qqbuf[PATH_MAX_HOME];

  diag_init("srs");
  if (argc > 1) diag_usage("");
  if (!local || !sender) die_env();
  if (!(prog = home_queue(home, getenv("QMAILQUEUE"), qqbuf, sizeof qqbuf))) die_qq("queue-writer");
  if (str_catf(&path, "%s/control/srssecret", home) < 0) die_nomem();
  if (control_readline(path.s, &secret, 0) < 0) die_secret();
  if (!secret.len) die_nosecret();
  if (srs_reverse(secret.s, local, time(0), &to) < 0) {
    if (errno == ENOMEM) die_nomem();
    die_bad(local);
  }
  forward(prog, sender, to.s);
  return EXIT_OK;
}
