/* bouncesaying: perhaps bounce the message, as qmail's bouncesaying does
 * from a .qmail file:
 *
 *   |bouncesaying error [program [arg ...]]
 *
 * Without a program it prints error and exits 100: deliver-local bounces
 * the message with error as the reason. With one, it runs it with the
 * message on its stdin and bounces only when it exits 0.
 * Exit codes: 100 bounced (or usage); 111 the program exited 111 or a
 * temporary failure; 0 the program exited anything else or could not be
 * run (the rest of the .qmail file is followed). */
#include <stdio.h>
#include "diag.h"
#include "exitcode.h"
#include "spawn.h"

static void __attribute__((noreturn)) die_run(void) { diag_diesys(EXIT_TEMP, "unable to run the program", (char *)0); }
static void __attribute__((noreturn)) die_crashed(void) { diag_die(EXIT_TEMP, "the program crashed", (char *)0); }
static void __attribute__((noreturn)) die_temporary(void) { diag_die(EXIT_TEMP, "temporary error from the program", (char *)0); }

int main(int argc, char **argv)
{
  diag_init("bouncesaying");
  if (argc < 2) diag_usage("error [program [arg ...]]");
  if (argc > 2) {
    int r = spawn_run(argv + 2);
    if (r == -1) die_run();
    if (r == SPAWN_CRASHED) die_crashed();
    if (r == EXIT_TEMP) die_temporary();
    if (r != 0) return EXIT_OK;
  }
  printf("%s\n", argv[1]);
  return EXIT_PERM;
}
