/* list-digest: send the digest when it is due (|list-digest dir after
 * list-post in .qmail-LIST, or from cron with -f).
 *
 *   list-digest [-f] dir
 *
 * The digest holds the archived posts after the last digest (dir/digestnum,
 * "N T": last post digested, time sent) as one multipart/digest message,
 * queued once to the digest set with the VERP sender
 * LOCAL-return-dN-@HOST-@[]. It is due when digestcount posts wait, or
 * when digesttime seconds passed since the last one and a post waits, or
 * with -f when any post waits. LIST_NOW, when set, is the time.
 * Exit codes: 0 sent or not due, 100 usage, 111 temporary failure. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "date.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "list.h"

#define USAGE "[-f] dir"
#define DIGEST_MAX 200     /* posts in one digest */

struct digest {
  struct list l;
  time_t now;
  unsigned long num, last, lasttime;
  const char *qqprog;
  char qqspace[1024];
};

static void die_usage(void) { diag_usage(USAGE); }
static void die_list(const char *d) { diag_diesys(EXIT_TEMP, "unable to open list ", d, (char *)0); }
static void die_state(void) { diag_diesys(EXIT_TEMP, "unable to read or write the digest state", (char *)0); }
static void die_send(void) { diag_die(EXIT_TEMP, "unable to queue the digest", (char *)0); }
static void die_nomem(void) { diag_nomem(); }

static void state_read(struct digest *g)
{
  struct str p = STR_ZERO, s = STR_ZERO;
  int r;
  if (list_num_get(&g->l, "num", &g->num) < 0 || list_path(&g->l, "digestnum", &p) < 0) die_state();
  if ((r = file_read(p.s, &s, 64)) < 0) die_state();
  g->last = g->lasttime = 0;
  if (r > 0) {
    size_t n = scan_ulong(s.s, &g->last);
    if (s.s[n] == ' ') scan_ulong(s.s + n + 1, &g->lasttime);
  }
  str_free(&p); str_free(&s);
}

static void state_write(struct digest *g, unsigned long upto)
{
  struct str p = STR_ZERO, s = STR_ZERO;
  if (list_path(&g->l, "digestnum", &p) < 0 || str_catf(&s, "%lu %ld\n", upto, (long)g->now) < 0) die_nomem();
  if (file_replace(p.s, s.s, s.len, 0644) < 0) die_state();
  str_free(&p); str_free(&s);
}

static int due(const struct digest *g, int force)
{
  unsigned long waiting = g->num > g->last ? g->num - g->last : 0;
  if (!waiting) return 0;
  if (force) return 1;
  if (g->l.digestcount && waiting >= g->l.digestcount) return 1;
  return g->l.digesttime && (unsigned long)g->now >= g->lasttime + g->l.digesttime;
}

static void head(struct digest *g, unsigned long a, unsigned long b, struct str *m)
{
  char date[DATE_MAX];
  const char *L = g->l.local.s, *H = g->l.host.s;
  date_rfc5322(g->now, date);
  if (str_catf(m, "Delivered-To: mailing list %s@%s\nMailing-List: contact %s-help@%s; run by quail\n", L, H, L, H) < 0
      || str_catf(m, "List-Id: <%s.%s>\nList-Post: <mailto:%s@%s>\nList-Help: <mailto:%s-help@%s>\n", L, H, L, H, L, H) < 0
      || str_catf(m, "List-Unsubscribe: <mailto:%s-digest-unsubscribe@%s>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n", L, H) < 0
      || str_catf(m, "Precedence: list\nDate: %s\nMessage-ID: <digest.%lu.%ld@%s>\n", date, b, (long)g->now, H) < 0
      || str_catf(m, "From: %s-help@%s\nTo: %s@%s\nSubject: %s digest of messages %lu to %lu\n", L, H, L, H, L, a, b) < 0
      || str_catf(m, "MIME-Version: 1.0\nContent-Type: multipart/digest; boundary=\"quail-digest-%lu\"\n\n", b) < 0)
    die_nomem();
}

static void build(struct digest *g, unsigned long a, unsigned long b, struct str *m)
{
  struct str one = STR_ZERO;
  unsigned long n;
  head(g, a, b, m);
  for (n = a; n <= b; n++) {
    int r = list_archive_get(&g->l, n, &one);
    if (r < 0) die_state();
    if (r == 0) continue;
    if (str_catf(m, "--quail-digest-%lu\n\n", b) < 0 || str_catb(m, one.s, one.len) < 0) die_nomem();
    if (one.len && one.s[one.len - 1] != '\n' && str_catc(m, '\n') < 0) die_nomem();
  }
  if (str_catf(m, "--quail-digest-%lu--\n", b) < 0) die_nomem();
  str_free(&one);
}

static void send_digest(struct digest *g)
{
  struct str m = STR_ZERO, rcpts = STR_ZERO, sender = STR_ZERO;
  unsigned long a = g->last + 1, b = g->num;
  if (b - a >= DIGEST_MAX) b = a + DIGEST_MAX - 1;
  if (list_set_all(&g->l, "digest", &rcpts) < 0) die_state();
  build(g, a, b, &m);
  if (str_catf(&sender, "%s-return-d%lu-@%s-@[]", g->l.local.s, b, g->l.host.s) < 0 || str_0(&sender) < 0) die_nomem();
  if (rcpts.len && list_queue(g->qqprog, sender.s, &rcpts, m.s, m.len) != 0) die_send();
  state_write(g, b);
  list_log(&g->l, g->now, "digest", sender.s);
  str_free(&m); str_free(&rcpts); str_free(&sender);
}

int main(int argc, char **argv)
{
  struct digest g;
  const char *nowenv = getenv("LIST_NOW");
  int force = 0, opt;
  diag_init("list-digest");
  while ((opt = getopt(argc, argv, "f")) != -1) {
    if (opt == 'f') force = 1; else die_usage();
  }
  if (argc - optind != 1) die_usage();
  memset(&g, 0, sizeof g);
  if (list_open(&g.l, argv[optind]) < 0) die_list(argv[optind]);
  g.now = nowenv ? (time_t)atol(nowenv) : time(0);
  if (!(g.qqprog = home_queue(home_dir(getenv("QUAIL_HOME")), getenv("QMAILQUEUE"), g.qqspace, sizeof g.qqspace))) die_nomem();
  if (!g.l.digestcount && !g.l.digesttime && !force) return EXIT_OK;
  if (list_lock(&g.l) < 0) die_state();
  state_read(&g);
  if (due(&g, force)) send_digest(&g);
  return EXIT_OK;
}
