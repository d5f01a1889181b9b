/* newu: compile users/assign into users/cdb (qmail-newu).
 *
 * Reads HOME/users/assign, writes HOME/users/cdb.tmp, fsyncs it and
 * renames it over users/cdb, so a reader sees the old or the new table,
 * never half of one. The assign file must end with a line ".".
 * When HOME/users/rcpt.cdb exists (the RCPT-time check is in use), newu
 * then runs HOME/bin/newrcpt to compile it again (newrcpt(8)).
 * An entry with uid 0 is refused (qmail-lspawn's rule: no mail user is
 * root), except in an instance (home.h), which runs as the user who made it.
 * Exit codes: 0 done, 100 usage or a malformed assign file, 111 a
 * temporary failure (nothing is replaced). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cdbx.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "users.h"

#define ASSIGN_MAX (64 * 1024 * 1024)

/* the uid of an entry's value (user NUL uid NUL ...) is 0 */
static int root_entry(const struct str *val)
{
  unsigned long uid;
  return scan_ulong(val->s + strlen(val->s) + 1, &uid) > 0 && uid == 0;
}

static void die_read(void) { diag_diesys(EXIT_TEMP, "unable to read users/assign", (char *)0); }
static void die_write(void) { diag_diesys(EXIT_TEMP, "unable to write users/cdb", (char *)0); }

/* users/rcpt.cdb follows users/cdb when the site uses it */
static void run_newrcpt(void)
{
  if (access("users/rcpt.cdb", F_OK) < 0) return;
  execl("bin/newrcpt", "newrcpt", (char *)0);
  diag_diesys(EXIT_TEMP, "users/cdb is written, but unable to run bin/newrcpt", (char *)0);
}

int main(int argc, char **argv)
{
  struct str assign = STR_ZERO, key = STR_ZERO, val = STR_ZERO;
  struct cdbx_make m;
  size_t i = 0;
  unsigned long lineno = 0;
  int ended = 0, instance;

  diag_init("newu");
  if (argc > 1) diag_usage("");
  if (chdir(home_dir(getenv("QUAIL_HOME"))) < 0)
    diag_diesys(EXIT_TEMP, "unable to enter the quail home directory", (char *)0);
  instance = home_instance(".");
  if (file_read("users/assign", &assign, ASSIGN_MAX) <= 0) {
    if (errno == 0 || errno == ENOENT) diag_die(EXIT_TEMP, "users/assign does not exist", (char *)0);
    die_read();
  }
  if (cdbx_make_start(&m, "users/cdb", 0644) < 0) die_write();
  while (i < assign.len && !ended) {
    char *nl = memchr(assign.s + i, '\n', assign.len - i);
    size_t end = nl ? (size_t)(nl - assign.s) : assign.len;
    char lineno_s[24];
    int r;
    assign.s[end] = 0;
    lineno++;
    errno = EINVAL;   /* a NUL inside a line is malformed too */
    r = memchr(assign.s + i, 0, end - i) ? -1 : users_parse_line(assign.s + i, &key, &val);
    if (r < 0) {
      cdbx_make_abort(&m);
      snprintf(lineno_s, sizeof lineno_s, "%lu", lineno);
      if (errno == ENOMEM) diag_nomem();
      diag_die(EXIT_PERM, "users/assign line ", lineno_s, ": malformed: ", assign.s + i, (char *)0);
    }
    if (r > 0 && root_entry(&val) && !instance) {
      cdbx_make_abort(&m);
      snprintf(lineno_s, sizeof lineno_s, "%lu", lineno);
      diag_die(EXIT_PERM, "users/assign line ", lineno_s, ": uid 0: a mail user may not be root: ", assign.s + i, (char *)0);
    }
    if (r == 0) ended = 1;
    else if (cdbx_make_add(&m, key.s, key.len, val.s, val.len) < 0) { cdbx_make_abort(&m); die_write(); }
    i = end + 1;
  }
  if (!ended) {
    cdbx_make_abort(&m);
    diag_die(EXIT_PERM, "users/assign does not end with a line \".\"", (char *)0);
  }
  if (cdbx_make_finish(&m) < 0) die_write();
  run_newrcpt();
  return EXIT_OK;
}
