/* list-get: read a list's archive from the command line.
 *
 *   list-get dir N [M]     messages N to M on stdout, each after a line
 *                          "--- message N" when more than one is asked
 *   list-get dir index     the index: "N<TAB>date<TAB>from<TAB>subject"
 *
 * Exit codes: 0 done, 100 usage or no such message, 111 unreadable. */
#include <string.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "list.h"

#define USAGE "dir N [M] | list-get dir index"
#define INDEX_MAX (256L * 1024 * 1024)

static void die_usage(void) { diag_usage(USAGE); }
static void die_list(const char *d) { diag_diesys(EXIT_TEMP, "unable to open list ", d, (char *)0); }
static void die_read(void) { diag_diesys(EXIT_TEMP, "unable to read the archive", (char *)0); }
static void die_none(const char *n) { diag_die(EXIT_PERM, "no message ", n, " in the archive", (char *)0); }
static void die_write(void) { diag_diesys(EXIT_TEMP, "unable to write stdout", (char *)0); }

static void put(const struct str *s)
{
  if (fd_write_all(1, s->s, s->len) < 0) die_write();
}

static int index_print(struct list *l)
{
  struct str p = STR_ZERO, s = STR_ZERO;
  if (list_path(l, "archive/index", &p) < 0 || file_read(p.s, &s, INDEX_MAX) < 0) die_read();
  put(&s);
  return EXIT_OK;
}

int main(int argc, char **argv)
{
  struct list l;
  struct str msg = STR_ZERO, sep = STR_ZERO;
  unsigned long a = 0, b, n;
  diag_init("list-get");
  if (argc != 3 && argc != 4) die_usage();
  if (list_open(&l, argv[1]) < 0) die_list(argv[1]);
  if (!strcmp(argv[2], "index") && argc == 3) return index_print(&l);
  if ((size_t)scan_ulong(argv[2], &a) != strlen(argv[2]) || !a) die_usage();
  b = a;
  if (argc == 4 && ((size_t)scan_ulong(argv[3], &b) != strlen(argv[3]) || b < a)) die_usage();
  for (n = a; n <= b; n++) {
    int r = list_archive_get(&l, n, &msg);
    if (r < 0) die_read();
    if (r == 0) { if (a == b) die_none(argv[2]); continue; }
    sep.len = 0;
    if (a != b && str_catf(&sep, "--- message %lu\n", n) == 0) put(&sep);
    put(&msg);
  }
  return EXIT_OK;
}
