/* maildirmake: make a Maildir (maildir(5)).
 *
 *   maildirmake dir
 *
 * Makes dir with mode 0700 and, inside it, tmp/, new/ and cur/, then
 * fsyncs dir and its parent. It refuses a dir that already exists.
 * Exit codes: 0 made; 100 usage; 111 failure (nothing it made is left). */
#include <stdlib.h>
#include <sys/stat.h>
#include "diag.h"
#include "exitcode.h"
#include "maildir.h"

static void __attribute__((noreturn)) die_make(const char *dir)
{
  diag_diesys(EXIT_TEMP, "unable to make the Maildir ", dir, (char *)0);
}

int main(int argc, char **argv)
{
  diag_init("maildirmake");
  umask(077);
  if (argc != 2 || !argv[1][0]) diag_usage("dir");
  if (maildir_make(argv[1]) < 0) die_make(argv[1]);
  return EXIT_OK;
}
