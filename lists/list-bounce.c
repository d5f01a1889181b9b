/* list-bounce: bounces to the list's VERP return addresses
 * (|list-bounce dir in .qmail-LIST-return-default).
 *
 * DEFAULT is return-N-user=host (a post), return-dN-user=host (a digest)
 * or return-probe.T.C-user=host (a probe). Each bounce of a member is
 * counted in dir/bounce/HASH ("address\nfirst count probe\n"); when a
 * member's bounces span bouncewait seconds (config) and number at least
 * two, a probe is sent with the cookie return address; a bounce of that
 * probe removes the member from members and digest. Everything is
 * logged in dir/log. LIST_NOW, when set, is the time in seconds.
 * Exit codes: 0 handled (or ignored), 100 a forged probe bounce, 111
 * temporary failure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "list.h"

#define USAGE "dir"
#define RECORD_MAX 4096

struct bounce {
  struct list l;
  const char *qqprog;
  char qqspace[1024];
  time_t now;
  struct str addr;     /* the member */
  struct str path;     /* its record */
  unsigned long first, count, probe;
};

static void die_usage(void) { diag_usage(USAGE); }
static void die_list(const char *d) { diag_diesys(EXIT_TEMP, "unable to open list ", d, (char *)0); }
static void die_forged(void) { diag_die(EXIT_PERM, "this probe address is not valid", (char *)0); }
static void die_record(const char *f) { diag_diesys(EXIT_TEMP, "unable to update ", f, (char *)0); }
static void die_set(void) { diag_diesys(EXIT_TEMP, "unable to change the member sets", (char *)0); }
static void die_send(void) { diag_die(EXIT_TEMP, "unable to queue the probe", (char *)0); }
static void die_nomem(void) { diag_nomem(); }

static void record_path(struct bounce *b)
{
  struct str k = STR_ZERO, rel = STR_ZERO;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0, i;
  if (str_copys(&k, b->addr.s) < 0) die_nomem();
  str_lower(&k);
  if (!EVP_Digest(k.s, k.len, md, &mdlen, EVP_sha256(), 0)) die_nomem();
  if (str_cats(&rel, "bounce/") < 0) die_nomem();
  for (i = 0; i < mdlen; i++) if (str_catf(&rel, "%02x", md[i]) < 0) die_nomem();
  if (str_0(&rel) < 0 || list_path(&b->l, rel.s, &b->path) < 0) die_nomem();
  str_free(&k); str_free(&rel);
}

static void record_read(struct bounce *b)
{
  struct str s = STR_ZERO;
  char *nl;
  int r = file_read(b->path.s, &s, RECORD_MAX);
  if (r < 0) die_record(b->path.s);
  b->first = b->count = b->probe = 0;
  if (r > 0 && (nl = strchr(s.s, '\n'))) {
    char *p = nl + 1;
    p += scan_ulong(p, &b->first); if (*p == ' ') p++;
    p += scan_ulong(p, &b->count); if (*p == ' ') p++;
    scan_ulong(p, &b->probe);
  }
  str_free(&s);
}

static void record_write(struct bounce *b)
{
  struct str s = STR_ZERO;
  if (str_catf(&s, "%s\n%lu %lu %lu\n", b->addr.s, b->first, b->count, b->probe) < 0) die_nomem();
  if (file_replace(b->path.s, s.s, s.len, 0644) < 0) die_record(b->path.s);
  str_free(&s);
}

static void send_probe(struct bounce *b)
{
  struct str sender = STR_ZERO, v = STR_ZERO, subj = STR_ZERO;
  char c[LIST_COOKIE_HEX + 1];
  if (list_cookie(&b->l, "probe", b->addr.s, (unsigned long)b->now, c) < 0 || list_verp_encode(b->addr.s, &v) < 0) die_nomem();
  if (str_catf(&sender, "%s-return-probe.%lu.%s-%s@%s", b->l.local.s, (unsigned long)b->now, c, v.s, b->l.host.s) < 0 || str_0(&sender) < 0) die_nomem();
  if (str_catf(&subj, "bounces from %s@%s", b->l.local.s, b->l.host.s) < 0 || str_0(&subj) < 0) die_nomem();
  if (list_send_text(&b->l, b->qqprog, sender.s, b->addr.s, subj.s, 0, "probe", b->addr.s, 0, b->now) != 0) die_send();
  list_log(&b->l, b->now, "probe", b->addr.s);
  str_free(&sender); str_free(&v); str_free(&subj);
}

static int is_member(struct bounce *b)
{
  int m = list_set_has(&b->l, "members", b->addr.s), d = list_set_has(&b->l, "digest", b->addr.s);
  if (m < 0 || d < 0) die_set();
  return m || d;
}

/* a bounce of post (or digest) N */
static void bounced(struct bounce *b)
{
  if (!is_member(b)) { list_log(&b->l, b->now, "bounce-nonmember", b->addr.s); return; }
  record_path(b);
  /* bounces for one member arrive together (one delivery each, run in
   * parallel): the record is read, changed and written under the list's lock */
  if (list_lock(&b->l) < 0) die_record("lock");
  record_read(b);
  list_log(&b->l, b->now, "bounce", b->addr.s);
  if (!b->count || (b->probe && (unsigned long)b->now > b->probe + b->l.bouncewait)) {
    b->first = (unsigned long)b->now; b->count = 0; b->probe = 0;
  }
  b->count++;
  if (!b->probe && b->count >= 2 && (unsigned long)b->now >= b->first + b->l.bouncewait) {
    send_probe(b);
    b->probe = (unsigned long)b->now;
  }
  record_write(b);
  list_unlock(&b->l);
}

/* "T.C-user=host": the probe bounced, the member goes */
static void probe_bounced(struct bounce *b, const char *s)
{
  unsigned long when = 0;
  const char *dash;
  struct str hex = STR_ZERO, one = STR_ZERO;
  if (list_cookie_parse(s, &when, &hex, &dash) < 0) errno == ENOMEM ? die_nomem() : die_forged();
  if (list_verp_decode(dash + 1, &b->addr) < 0) die_forged();
  if (list_cookie_check(&b->l, "probe", b->addr.s, when, hex.s, b->now) < 0) die_forged();
  if (str_cats(&one, b->addr.s) < 0 || str_catc(&one, 0) < 0) die_nomem();
  if (list_set_edit(&b->l, "members", &one, 0) < 0 || list_set_edit(&b->l, "digest", &one, 0) < 0) die_set();
  record_path(b);
  if (unlink(b->path.s) < 0 && errno != ENOENT) die_record(b->path.s);
  list_log(&b->l, b->now, "removed", b->addr.s);
  str_free(&hex); str_free(&one);
}

int main(int argc, char **argv)
{
  struct bounce b;
  const char *d = getenv("DEFAULT"), *nowenv = getenv("LIST_NOW"), *probe;
  diag_init("list-bounce");
  if (argc != 2) die_usage();
  memset(&b, 0, sizeof b);
  if (list_open(&b.l, argv[1]) < 0) die_list(argv[1]);
  b.now = nowenv ? (time_t)atol(nowenv) : time(0);
  if (!(b.qqprog = home_queue(home_dir(getenv("QUAIL_HOME")), getenv("QMAILQUEUE"), b.qqspace, sizeof b.qqspace))) die_nomem();
  if (!d) d = "";
  switch (list_return_parse(d, &b.addr, &probe)) {
  case LIST_RETURN_PROBE: probe_bounced(&b, probe); break;
  case LIST_RETURN_POST: bounced(&b); break;
  case LIST_RETURN_UNKNOWN: list_log(&b.l, b.now, "bounce-unknown", *d ? d : "-"); break;
  }
  return EXIT_OK;
}
