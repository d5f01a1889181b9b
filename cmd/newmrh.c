/* newmrh: compile control/morercpthosts into control/morercpthosts.cdb,
 * qmail-newmrh's job (installed under that name too).
 *
 * Reads HOME/control/morercpthosts (one domain a line; blank lines and
 * # comments dropped, white space trimmed) and writes each, lower-cased,
 * as a key with an empty value: morercpthosts.cdb.tmp, fsynced, renamed
 * over morercpthosts.cdb (lib/cdbx.c). smtpd and qmtpd read it when a
 * domain is not in control/rcpthosts (a key .domain takes every
 * subdomain, see quail-control(5)).
 * Exit codes: 0 written; 100 usage; 111 the file could not be read or the
 * cdb written (the old one stays). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cdbx.h"
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "str.h"

#define SOURCE "control/morercpthosts"
#define TARGET "control/morercpthosts.cdb"

static void __attribute__((noreturn)) die_home(void)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory", (char *)0);
}
static void __attribute__((noreturn)) die_read(void) { diag_diesys(EXIT_TEMP, "unable to read " SOURCE, (char *)0); }
static void __attribute__((noreturn)) die_write(void) { diag_diesys(EXIT_TEMP, "unable to write " TARGET, (char *)0); }

int main(int argc, char **argv)
{
  struct str hosts = STR_ZERO, key = STR_ZERO;
  struct cdbx_make m;
  size_t pos = 0;
  const char *h;

  diag_init("newmrh");
  if (argc > 1) diag_usage("");
  if (chdir(home_dir(getenv("QUAIL_HOME"))) < 0) die_home();
  if (control_readlines(SOURCE, &hosts) < 0) die_read();
  if (cdbx_make_start(&m, TARGET, 0644) < 0) die_write();
  while ((h = control_next(&hosts, &pos))) {
    if (str_copys(&key, h) < 0) { cdbx_make_abort(&m); diag_nomem(); }
    str_lower(&key);
    if (cdbx_make_add(&m, key.s, key.len, "", 0) < 0) { cdbx_make_abort(&m); die_write(); }
  }
  if (cdbx_make_finish(&m) < 0) die_write();
  (void)argv;
  return EXIT_OK;
}
