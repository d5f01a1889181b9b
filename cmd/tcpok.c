/* tcpok: make remote delivery forget every host that timed out
 * (HOME/queue/lock/tcpto, lib/tcpto.h), qmail-tcpok's job; installed as
 * qmail-tcpok too. The next delivery tries every address again.
 * Run it as root or as quailr (the file's owner).
 * Exit codes: 0 cleared (or no file); 100 usage; 111 the file could not
 * be written. */
#include <stdlib.h>
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "tcpto.h"

#define PATH_SIZE 4096
#define TCPTO_FILE "queue/lock/tcpto"

static void __attribute__((noreturn)) die_write(const char *p) { diag_diesys(EXIT_TEMP, "unable to clear ", p, (char *)0); }

int main(int argc, char **argv)
{
  char path[PATH_SIZE];
  diag_init("tcpok");
  if (argc > 1) diag_usage("");
  if (home_path(home_dir(getenv("QUAIL_HOME")), TCPTO_FILE, path, sizeof path) < 0) die_write(TCPTO_FILE);
  if (tcpto_clear(path) < 0) die_write(path);
  (void)argv;
  return EXIT_OK;
}
