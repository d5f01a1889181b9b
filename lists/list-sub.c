/* list-sub: manage a list's members from the command line.
 *
 *   list-sub [-s set] dir add|remove [address ...]
 *   list-sub [-s set] dir list|count
 *   list-sub [-s set] dir has address
 *
 * set is members (the default), digest or mod (moderators). add and
 * remove read addresses from stdin, one a line, when none are given, and
 * change the set in one atomic rebuild of dir/SET.cdb under dir/lock.
 * Exit codes: 0 done (has: a member), 100 usage, a bad address or (has)
 * not a member, 111 a file could not be read or written. */
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "list.h"

#define USAGE "[-s members|digest|mod] dir add|remove|list|count|has [address ...]"

static void die_usage(void) { diag_usage(USAGE); }
static void die_list(const char *d) { diag_diesys(EXIT_TEMP, "unable to open list ", d, (char *)0); }
static void die_set(const char *set) { diag_diesys(EXIT_TEMP, "unable to change ", set, (char *)0); }
static void die_read(const char *set) { diag_diesys(EXIT_TEMP, "unable to read ", set, (char *)0); }
static void die_addr(const char *a) { diag_die(EXIT_PERM, "bad address: ", a, (char *)0); }
static void die_nomem(void) { diag_nomem(); }

static void add_addr(struct str *all, const char *a, size_t n)
{
  while (n && (a[n - 1] == '\r' || a[n - 1] == ' ')) n--;
  if (!n) return;
  if (n > LIST_ADDR_MAX || !memchr(a, '@', n) || memchr(a, 0, n)) {
    struct str s = STR_ZERO;
    str_copyb(&s, a, n > 200 ? 200 : n); str_0(&s);
    die_addr(s.s ? s.s : "?");
  }
  if (str_catb(all, a, n) < 0 || str_catc(all, 0) < 0) die_nomem();
}

static void read_stdin(struct str *all)
{
  struct buf b;
  char space[BUF_SIZE];
  struct str line = STR_ZERO;
  int r;
  buf_init(&b, 0, space, sizeof space);
  for (;;) {
    size_t n;
    line.len = 0;                       /* buf_getline appends */
    if ((r = buf_getline(&b, &line, LIST_ADDR_MAX + 2)) <= 0) break;
    if (r == 2) die_addr("(a line longer than any address)");
    n = line.len;
    if (n && line.s[n - 1] == '\n') n--;
    if (n && line.s[n - 1] == '\r') n--;
    if (n) add_addr(all, line.s, n);
  }
  if (r < 0) die_read("stdin");
  str_free(&line);
}

static int print_all(struct list *l, const char *set, int count_only)
{
  struct str all = STR_ZERO;
  struct buf out;
  char space[BUF_SIZE];
  long n = list_set_all(l, set, &all);
  size_t i;
  if (n < 0) die_read(set);
  buf_init(&out, 1, space, sizeof space);
  if (count_only) { buf_putu(&out, (unsigned long long)n); buf_puts(&out, "\n"); }
  else for (i = 0; i < all.len; i += strlen(all.s + i) + 1) { buf_puts(&out, all.s + i); buf_puts(&out, "\n"); }
  if (buf_flush(&out) < 0) diag_diesys(EXIT_TEMP, "unable to write stdout", (char *)0);
  return EXIT_OK;
}

int main(int argc, char **argv)
{
  const char *set = "members", *cmd;
  struct list l;
  struct str all = STR_ZERO;
  int opt, i;
  diag_init("list-sub");
  while ((opt = getopt(argc, argv, "s:")) != -1) {
    if (opt == 's') set = optarg; else die_usage();
  }
  argv += optind; argc -= optind;
  if (argc < 2) die_usage();
  if (strcmp(set, "members") && strcmp(set, "digest") && strcmp(set, "mod")) die_usage();
  if (list_open(&l, argv[0]) < 0) die_list(argv[0]);
  cmd = argv[1];
  if (!strcmp(cmd, "list") || !strcmp(cmd, "count")) return print_all(&l, set, cmd[0] == 'c');
  if (!strcmp(cmd, "has")) {
    int r;
    if (argc != 3) die_usage();
    if ((r = list_set_has(&l, set, argv[2])) < 0) die_read(set);
    return r ? EXIT_OK : EXIT_PERM;
  }
  if (strcmp(cmd, "add") && strcmp(cmd, "remove")) die_usage();
  for (i = 2; i < argc; i++) add_addr(&all, argv[i], strlen(argv[i]));
  if (argc == 2) read_stdin(&all);
  if (list_set_edit(&l, set, &all, cmd[0] == 'a') < 0) die_set(set);
  return EXIT_OK;
}
