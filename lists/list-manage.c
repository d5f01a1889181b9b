/* list-manage: answer the list's request addresses (|list-manage dir in
 * .qmail-LIST-default).
 *
 * DEFAULT names the request: subscribe, unsubscribe, digest-subscribe,
 * digest-unsubscribe (each optionally -user=host for another address),
 * the confirmations sc.T.C-user=host, uc.., dsc.., duc.. (T the time,
 * C the HMAC cookie), help, info and get.N or get.N_M. Replies go to
 * SENDER; a confirmation request goes to the address to be changed, so
 * no one can subscribe a third party. LIST_NOW, when set, is the time.
 * Exit codes: 0 answered, 100 a forged or expired confirmation or a bad
 * request (deliver-local bounces it to the sender), 111 temporary. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "home.h"
#include "list.h"

#define USAGE "dir"
#define GET_MAX 100      /* archived messages sent for one get request */

struct req {
  struct list l;
  const char *sender;
  const char *qqprog;
  char qqspace[1024];
  time_t now;
};

static void die_usage(void) { diag_usage(USAGE); }
static void die_list(const char *d) { diag_diesys(EXIT_TEMP, "unable to open list ", d, (char *)0); }
static void die_forged(void) { diag_die(EXIT_PERM, "this confirmation address is not valid " ESC_QMAIL(ESC_PERM(ESC_DENIED)), (char *)0); }
static void die_expired(void) { diag_die(EXIT_PERM, "this confirmation has expired: send a new request " ESC_QMAIL(ESC_PERM(ESC_DENIED)), (char *)0); }
static void die_addr(void) { diag_die(EXIT_PERM, "the request names no valid address " ESC_QMAIL(ESC_PERM(ESC_BAD_RCPT)), (char *)0); }
static void die_null(void) { diag_die(EXIT_PERM, "requests from the null sender are not answered " ESC_QMAIL(ESC_PERM(ESC_DENIED)), (char *)0); }
static void die_set(void) { diag_diesys(EXIT_TEMP, "unable to change the member set", (char *)0); }
static void die_send(void) { diag_die(EXIT_TEMP, "unable to queue the reply", (char *)0); }
static void die_archive(void) { diag_diesys(EXIT_TEMP, "unable to read the archive", (char *)0); }
static void die_nomem(void) { diag_nomem(); }

static void send(struct req *r, const char *to, const char *subj, const char *replyto,
                 const char *text, const char *target, const struct str *attach)
{
  if (list_send_text(&r->l, r->qqprog, 0, to, subj, replyto, text, target, attach, r->now) != 0) die_send();
}

/* the address a request is about: "-user=host" decoded, else the sender */
static void target_of(struct req *r, const char *rest, struct str *t)
{
  if (!*rest) { if (str_copys(t, r->sender) < 0 || str_0(t) < 0) die_nomem(); }
  else if (*rest != '-' || list_verp_decode(rest + 1, t) < 0) die_addr();
  if (strlen(t->s) > LIST_ADDR_MAX || !strchr(t->s, '@') || strpbrk(t->s, "\n\r ")) die_addr();
}

static void change(struct req *r, const char *set, const char *addr, int add)
{
  struct str a = STR_ZERO;
  if (str_cats(&a, addr) < 0 || str_catc(&a, 0) < 0) die_nomem();
  if (list_set_edit(&r->l, set, &a, add) < 0) die_set();
  list_log(&r->l, r->now, add ? (set[0] == 'd' ? "+digest" : "+") : (set[0] == 'd' ? "-digest" : "-"), addr);
  send(r, addr, add ? "welcome" : "goodbye", 0, add ? "sub-ok" : "unsub-ok", addr, 0);
  str_free(&a);
}

/* subscribe/unsubscribe: act is "sc", "uc", "dsc" or "duc" */
static void request(struct req *r, const char *act, const char *rest)
{
  struct str t = STR_ZERO, rt = STR_ZERO, v = STR_ZERO, subj = STR_ZERO;
  char c[LIST_COOKIE_HEX + 1];
  int add = act[strlen(act) - 2] == 's';
  const char *set = act[0] == 'd' ? "digest" : "members";
  target_of(r, rest, &t);
  if (add && r->l.sub == LIST_SUB_CLOSED) { send(r, r->sender, "subscriptions closed", 0, "closed", t.s, 0); return; }
  if (add && r->l.sub == LIST_SUB_OPEN && case_equals(t.s, r->sender)) { change(r, set, t.s, 1); return; }
  if (list_cookie(&r->l, act, t.s, (unsigned long)r->now, c) < 0 || list_verp_encode(t.s, &v) < 0) die_nomem();
  if (str_catf(&rt, "%s-%s.%lu.%s-%s@%s", r->l.local.s, act, (unsigned long)r->now, c, v.s, r->l.host.s) < 0 || str_0(&rt) < 0) die_nomem();
  if (str_catf(&subj, "confirm %s %s@%s", add ? "subscribe to" : "unsubscribe from", r->l.local.s, r->l.host.s) < 0 || str_0(&subj) < 0) die_nomem();
  send(r, t.s, subj.s, rt.s, add ? "sub-confirm" : "unsub-confirm", t.s, 0);
  str_free(&t); str_free(&rt); str_free(&v); str_free(&subj);
}

/* "T.C-user=host" after "sc." */
static void confirm(struct req *r, const char *act, const char *rest)
{
  struct str t = STR_ZERO, hex = STR_ZERO;
  unsigned long when = 0;
  const char *dash;
  int ok;
  if (list_cookie_parse(rest, &when, &hex, &dash) < 0) errno == ENOMEM ? die_nomem() : die_forged();
  target_of(r, dash, &t);
  ok = list_cookie_check(&r->l, act, t.s, when, hex.s, r->now);
  if (ok == -2) die_expired();
  if (ok < 0) die_forged();
  change(r, act[0] == 'd' ? "digest" : "members", t.s, act[strlen(act) - 2] == 's');
  str_free(&t); str_free(&hex);
}

static int may_read(struct req *r)
{
  int i;
  if (r->l.post == LIST_POST_OPEN) return 1;
  for (i = 0; i < 3; i++) {
    int h = list_set_has(&r->l, i == 0 ? "members" : i == 1 ? "digest" : "mod", r->sender);
    if (h < 0) die_archive();
    if (h) return 1;
  }
  return 0;
}

static void get(struct req *r, const char *rest)
{
  unsigned long a = 0, b = 0, n;
  size_t k = scan_ulong(rest, &a);
  struct str msg = STR_ZERO, subj = STR_ZERO;
  if (!k) { send(r, r->sender, "help", 0, "help", r->sender, 0); return; }
  b = a;
  if (rest[k] == '_' && !scan_ulong(rest + k + 1, &b)) b = a;
  if (b < a || b - a >= GET_MAX) b = a + GET_MAX - 1;
  if (!may_read(r)) { send(r, r->sender, "archive refused", 0, "get-refused", r->sender, 0); return; }
  for (n = a; n <= b; n++) {
    int got = list_archive_get(&r->l, n, &msg);
    if (got < 0) die_archive();
    if (!got) continue;
    subj.len = 0;
    if (str_catf(&subj, "%s@%s message %lu", r->l.local.s, r->l.host.s, n) < 0 || str_0(&subj) < 0) die_nomem();
    send(r, r->sender, subj.s, 0, "info", r->sender, &msg);
  }
  str_free(&msg); str_free(&subj);
}

static void dispatch(struct req *r, const char *d)
{
  static const char *const acts[] = { "dsc.", "duc.", "sc.", "uc.", 0 };
  int i;
  for (i = 0; acts[i]; i++)
    if (!strncmp(d, acts[i], strlen(acts[i]))) {
      char a[4] = { 0 };
      memcpy(a, acts[i], strlen(acts[i]) - 1);
      confirm(r, a, d + strlen(acts[i]));
      return;
    }
  if (!strncmp(d, "digest-subscribe", 16)) request(r, "dsc", d + 16);
  else if (!strncmp(d, "digest-unsubscribe", 18)) request(r, "duc", d + 18);
  else if (!strncmp(d, "subscribe", 9)) request(r, "sc", d + 9);
  else if (!strncmp(d, "unsubscribe", 11)) request(r, "uc", d + 11);
  else if (!strncmp(d, "get.", 4)) get(r, d + 4);
  else if (!strcmp(d, "info")) send(r, r->sender, "info", 0, "info", r->sender, 0);
  else send(r, r->sender, "help", 0, "help", r->sender, 0);
}

int main(int argc, char **argv)
{
  struct req r;
  const char *home, *now = getenv("LIST_NOW"), *d = getenv("DEFAULT"), *sender = getenv("SENDER");
  diag_init("list-manage");
  if (argc != 2) die_usage();
  memset(&r, 0, sizeof r);
  if (list_open(&r.l, argv[1]) < 0) die_list(argv[1]);
  r.now = now ? (time_t)atol(now) : time(0);
  r.sender = sender ? sender : "";
  home = home_dir(getenv("QUAIL_HOME"));
  if (!(r.qqprog = home_queue(home, getenv("QMAILQUEUE"), r.qqspace, sizeof r.qqspace))) die_nomem();
  if (!*r.sender) die_null();
  dispatch(&r, d ? d : "");
  return EXIT_OK;
}
