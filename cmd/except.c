/* except: reverse the exit code of a program, as qmail's except does.
 *
 *   except program [arg ...]
 *
 * Exit codes: 100 the program exited 0; 111 it exited 111, crashed, or
 * could not be started; 0 it exited anything else (100 too, and so does a
 * program that is not there); 100 usage. */
#include "diag.h"
#include "exitcode.h"
#include "spawn.h"

static void __attribute__((noreturn)) die_run(void) { diag_diesys(EXIT_TEMP, "unable to run the program", (char *)0); }
static void __attribute__((noreturn)) die_crashed(void) { diag_die(EXIT_TEMP, "the program crashed", (char *)0); }
static void __attribute__((noreturn)) die_temporary(void) { diag_die(EXIT_TEMP, "temporary error from the program", (char *)0); }

int main(int argc, char **argv)
{
  int r;
  diag_init("except");
  if (argc < 2) diag_usage("program [arg ...]");
  r = spawn_run(argv + 1);
  if (r == -1) die_run();
  if (r == SPAWN_CRASHED) die_crashed();
  if (r == EXIT_TEMP) die_temporary();
  return r == 0 ? EXIT_PERM : EXIT_OK;
}
