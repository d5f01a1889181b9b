/* list-make: create or reconfigure a mailing list.
 *
 *   list-make [-b bindir] dir dot local host [key=value ...]
 *
 * Writes dir/config, dir/secret (once), dir/text/ (missing texts only),
 * the member sets and the .qmail files dot, dot-default, dot-owner,
 * dot-return-default, dot-accept-default and dot-reject-default that pipe
 * mail into the list programs in bindir. Exit codes: 0 done, 100 usage or
 * a bad option, 111 a file could not be written. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "list.h"

#define SECRET_BYTES 32
#define USAGE "[-b bindir] dir dot local host [key=value ...]"

struct text { const char *name, *body; };
static const struct text texts[] = {
  { "help", "This is the <#a#> mailing list.\n\nTo join, send a message to <#l#>-subscribe@<#h#>.\nTo leave, send a message to <#l#>-unsubscribe@<#h#>.\nFor the digest: <#l#>-digest-subscribe@<#h#>.\nMessage N of the archive: <#l#>-get.N@<#h#>.\nInformation: <#l#>-info@<#h#>. The owner: <#l#>-owner@<#h#>.\n" },
  { "info", "No information has been given about <#a#>.\n" },
  { "sub-confirm", "To confirm that <#t#> should join <#a#>,\nreply to this message (the Reply-To address).\n\nIf you did not ask for this, ignore this message.\n" },
  { "unsub-confirm", "To confirm that <#t#> should leave <#a#>,\nreply to this message (the Reply-To address).\n" },
  { "sub-ok", "Welcome: <#t#> is now a member of <#a#>.\n" },
  { "unsub-ok", "<#t#> is no longer a member of <#a#>.\n" },
  { "closed", "<#a#> does not accept subscriptions by mail.\n" },
  { "mod-request", "A message to <#a#> waits for your decision; it is attached below.\nTo accept it, reply to this message (the Reply-To address).\nTo reject it, send a message to <#t#>\n" },
  { "probe", "Messages to <#t#> from <#a#> have been bouncing.\nIf this message bounces too, <#t#> will be removed from the list.\n" },
  { "get-refused", "Only members may read the archive of <#a#>.\n" },
  { 0, 0 }
};

static void die_usage(void) { diag_usage(USAGE); }
static void die_write(const char *f) { diag_diesys(EXIT_TEMP, "unable to write ", f, (char *)0); }
static void die_key(const char *k) { diag_die(EXIT_USAGE, "unknown option ", k, (char *)0); }
static void die_nomem(void) { diag_nomem(); }

static const char *path2(struct str *s, const char *a, const char *b)
{
  s->len = 0;
  if (str_cats(s, a) < 0 || str_cats(s, b) < 0 || str_0(s) < 0) die_nomem();
  return s->s;
}

static int known_key(const char *kv)
{
  size_t n = strcspn(kv, "=");
  int i;
  if (!kv[n]) return 0;
  for (i = 0; list_keys[i]; i++) if (strlen(list_keys[i]) == n && !strncmp(kv, list_keys[i], n)) return 1;
  return 0;
}

/* the old config, minus keys given again, plus the new ones */
static void write_config(const char *dir, const char *local, const char *host, char **kv, int n)
{
  struct str p = STR_ZERO, old = STR_ZERO, c = STR_ZERO;
  size_t i = 0;
  int j;
  path2(&p, dir, "/config");
  if (file_read(p.s, &old, 65536) < 0) die_write(p.s);
  if (str_catf(&c, "local=%s\nhost=%s\n", local, host) < 0) die_nomem();
  while (i < old.len) {
    char *nl = memchr(old.s + i, '\n', old.len - i);
    size_t len = nl ? (size_t)(nl - old.s) - i : old.len - i, kl = strcspn(old.s + i, "=\n");
    int again = !strncmp(old.s + i, "local=", 6) || !strncmp(old.s + i, "host=", 5);
    for (j = 0; j < n && !again; j++) again = !strncmp(kv[j], old.s + i, kl) && kv[j][kl] == '=';
    if (!again && str_catb(&c, old.s + i, len) < 0) die_nomem();
    if (!again && str_catc(&c, '\n') < 0) die_nomem();
    i += len + 1;
  }
  for (j = 0; j < n; j++) if (str_cats(&c, kv[j]) < 0 || str_catc(&c, '\n') < 0) die_nomem();
  if (file_replace(p.s, c.s, c.len, 0644) < 0) die_write(p.s);
  str_free(&p); str_free(&old); str_free(&c);
}

static void write_secret(const char *dir)
{
  struct str p = STR_ZERO, hex = STR_ZERO;
  unsigned char b[SECRET_BYTES];
  int fd, i;
  path2(&p, dir, "/secret");
  if (access(p.s, F_OK) == 0) { str_free(&p); return; }
  fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) die_write("secret: /dev/urandom");
  close(fd);
  for (i = 0; i < SECRET_BYTES; i++) if (str_catf(&hex, "%02x", b[i]) < 0) die_nomem();
  if (str_catc(&hex, '\n') < 0 || file_replace(p.s, hex.s, hex.len, 0600) < 0) die_write(p.s);
  str_free(&p); str_free(&hex);
}

static void write_texts(const char *dir)
{
  struct str p = STR_ZERO;
  int i;
  for (i = 0; texts[i].name; i++) {
    path2(&p, dir, "/text/");
    if (str_cats(&p, texts[i].name) < 0 || str_0(&p) < 0) die_nomem();
    if (access(p.s, F_OK) == 0) continue;
    if (file_replace(p.s, texts[i].body, strlen(texts[i].body), 0644) < 0) die_write(p.s);
  }
  str_free(&p);
}

static void write_dotqmail(const char *dot, const char *ext, const char *body)
{
  struct str p = STR_ZERO;
  path2(&p, dot, ext);
  if (file_replace(p.s, body, strlen(body), 0644) < 0) die_write(p.s);
  str_free(&p);
}

static void write_dotqmails(const char *bin, const char *dir, const char *dot, const char *owner)
{
  struct str b = STR_ZERO;
  if (str_catf(&b, "|%s/list-post '%s'\n|%s/list-digest '%s'\n", bin, dir, bin, dir) < 0) die_nomem();
  write_dotqmail(dot, "", b.s);
  b.len = 0;
  if (str_catf(&b, "|%s/list-manage '%s'\n", bin, dir) < 0 || str_0(&b) < 0) die_nomem();
  write_dotqmail(dot, "-default", b.s);
  b.len = 0;
  if (str_catf(&b, "|%s/list-bounce '%s'\n", bin, dir) < 0 || str_0(&b) < 0) die_nomem();
  write_dotqmail(dot, "-return-default", b.s);
  b.len = 0;
  if (str_catf(&b, "|%s/list-moderate accept '%s'\n", bin, dir) < 0 || str_0(&b) < 0) die_nomem();
  write_dotqmail(dot, "-accept-default", b.s);
  b.len = 0;
  if (str_catf(&b, "|%s/list-moderate reject '%s'\n", bin, dir) < 0 || str_0(&b) < 0) die_nomem();
  write_dotqmail(dot, "-reject-default", b.s);
  b.len = 0;
  if ((*owner ? str_catf(&b, "&%s\n", owner) : str_catf(&b, "%s/owner/\n", dir)) < 0 || str_0(&b) < 0) die_nomem();
  write_dotqmail(dot, "-owner", b.s);
  str_free(&b);
}

static void make_dirs(const char *dir)
{
  static const char *const sub[] = { "", "/text", "/archive", "/bounce", "/held", "/owner", "/owner/tmp", "/owner/new", "/owner/cur", 0 };
  struct str p = STR_ZERO;
  int i;
  for (i = 0; sub[i]; i++) if (mkdir_p(path2(&p, dir, sub[i]), 0755) < 0) die_write(p.s);
  str_free(&p);
}

static const char *owner_of(char **kv, int n)
{
  int j;
  for (j = n - 1; j >= 0; j--) if (!strncmp(kv[j], "owner=", 6)) return kv[j] + 6;
  return "";
}

int main(int argc, char **argv)
{
  const char *bin = QUAIL_PREFIX "/bin";
  int opt, i;
  diag_init("list-make");
  while ((opt = getopt(argc, argv, "b:")) != -1) {
    if (opt == 'b') bin = optarg; else die_usage();
  }
  argv += optind; argc -= optind;
  if (argc < 4 || argv[0][0] != '/' || argv[1][0] != '/' || bin[0] != '/') die_usage();
  for (i = 4; i < argc; i++) if (!known_key(argv[i])) die_key(argv[i]);
  for (i = 0; i < 4; i++) if (strpbrk(argv[i], "'\n")) die_usage();
  make_dirs(argv[0]);
  write_secret(argv[0]);
  write_texts(argv[0]);
  write_config(argv[0], argv[2], argv[3], argv + 4, argc - 4);
  write_dotqmails(bin, argv[0], argv[1], owner_of(argv + 4, argc - 4));
  return EXIT_OK;
}
