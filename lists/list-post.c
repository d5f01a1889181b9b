/* list-post: take a post to a list from a .qmail file (|list-post dir).
 *
 * Reads the message on stdin and SENDER from the environment (as
 * deliver-local gives them). Refuses loops, oversized posts, the null
 * sender and (unless post=open) non-members; holds the post in dir/held
 * and asks the moderators when moderated=yes; otherwise archives it,
 * numbers it and queues it once to every member with the VERP sender
 * LOCAL-return-N-@HOST-@[]. LIST_NOW, when set, is the time (seconds).
 * Exit codes: 0 sent or held, 100 refused (deliver-local bounces it),
 * 111 temporary failure (the queue retries; nothing is lost). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "list.h"

#define USAGE "dir"
#define HOLD_ID_MAX 64

struct post {
  struct list l;
  const char *sender;
  const char *qqprog;
  char qqspace[1024];
  struct str msg;
  time_t now;
};

static void die_usage(void) { diag_usage(USAGE); }
static void die_list(const char *d) { diag_diesys(EXIT_TEMP, "unable to open list ", d, (char *)0); }
static void die_read(void) { diag_diesys(EXIT_TEMP, "unable to read the message", (char *)0); }
static void die_big(void) { diag_die(EXIT_PERM, "sorry, the message is larger than this list accepts " ESC_QMAIL(ESC_PERM(ESC_TOO_BIG)), (char *)0); }
static void die_loop(void) { diag_die(EXIT_PERM, "this message is looping: it already went through the list " ESC_QMAIL(ESC_PERM(ESC_LOOP)), (char *)0); }
static void die_null(void) { diag_die(EXIT_PERM, "the list does not accept messages from the null sender " ESC_QMAIL(ESC_PERM(ESC_DENIED)), (char *)0); }
static void die_member(void) { diag_die(EXIT_PERM, "sorry, only members may post to this list " ESC_QMAIL(ESC_PERM(ESC_DENIED)), (char *)0); }
static void die_members(void) { diag_diesys(EXIT_TEMP, "unable to read the member sets", (char *)0); }
static void die_hold(void) { diag_diesys(EXIT_TEMP, "unable to hold the message for the moderators", (char *)0); }
static void die_send(int code) { diag_die(EXIT_TEMP, "unable to queue the post: ", qq_text(code), (char *)0); }
static void die_sendsys(void) { diag_diesys(EXIT_TEMP, "unable to distribute the post", (char *)0); }
static void die_nomem(void) { diag_nomem(); }

static void read_message(struct post *p)
{
  char b[BUF_SIZE];
  unsigned long max = p->l.maxsize ? p->l.maxsize : LIST_MSG_MAX;
  for (;;) {
    ssize_t r = fd_read_retry(0, b, sizeof b);
    if (r < 0) die_read();
    if (r == 0) break;
    if (p->msg.len + (size_t)r > max) die_big();
    if (str_catb(&p->msg, b, (size_t)r) < 0) die_nomem();
  }
}

/* our own Delivered-To line, or any list's Mailing-List field */
static void check_loop(struct post *p)
{
  struct str line = STR_ZERO, v = STR_ZERO;
  size_t hend = list_header_end(p->msg.s, p->msg.len);
  if (str_catf(&line, "\nDelivered-To: mailing list %s@%s\n", p->l.local.s, p->l.host.s) < 0) die_nomem();
  if (memmem(p->msg.s, hend, line.s + 1, line.len - 1) == p->msg.s
      || memmem(p->msg.s, hend, line.s, line.len)) die_loop();
  if (list_header(p->msg.s, p->msg.len, "Mailing-List", &v) != 0) die_loop();
  str_free(&line); str_free(&v);
}

static int in_set(struct post *p, const char *set)
{
  int r = list_set_has(&p->l, set, p->sender);
  if (r < 0) die_members();
  return r;
}

static void check_sender(struct post *p)
{
  if (!*p->sender) die_null();
  if (p->l.post == LIST_POST_OPEN) return;
  if (!in_set(p, "members") && !in_set(p, "digest") && !in_set(p, "mod")) die_member();
}

/* ask every moderator; their replies reach list-moderate */
static void ask_moderators(struct post *p, const char *id)
{
  struct str mods = STR_ZERO, acc = STR_ZERO, rej = STR_ZERO, subj = STR_ZERO;
  char c[LIST_COOKIE_HEX + 1];
  size_t i;
  if (list_set_all(&p->l, "mod", &mods) < 0) die_members();
  if (!mods.len) diag_warn("warning: a held message has no moderator to approve it", (char *)0);
  if (list_cookie(&p->l, "mod", id, (unsigned long)p->now, c) < 0) die_nomem();
  if (str_catf(&acc, "%s-accept-%s.%s@%s", p->l.local.s, id, c, p->l.host.s) < 0 || str_0(&acc) < 0) die_nomem();
  if (str_catf(&rej, "%s-reject-%s.%s@%s", p->l.local.s, id, c, p->l.host.s) < 0 || str_0(&rej) < 0) die_nomem();
  if (str_catf(&subj, "MODERATE for %s@%s", p->l.local.s, p->l.host.s) < 0 || str_0(&subj) < 0) die_nomem();
  for (i = 0; i < mods.len; i += strlen(mods.s + i) + 1)
    if (list_send_text(&p->l, p->qqprog, 0, mods.s + i, subj.s, acc.s, "mod-request", rej.s, &p->msg, p->now) != 0)
      die_hold();
  str_free(&mods); str_free(&acc); str_free(&rej); str_free(&subj);
}

static void hold(struct post *p)
{
  struct str id = STR_ZERO, rel = STR_ZERO, path = STR_ZERO;
  if (str_catf(&id, "%ld.%ld", (long)p->now, (long)getpid()) < 0 || str_0(&id) < 0) die_nomem();
  if (str_catf(&rel, "held/%s", id.s) < 0 || str_0(&rel) < 0 || list_path(&p->l, rel.s, &path) < 0) die_nomem();
  if (file_replace(path.s, p->msg.s, p->msg.len, 0600) < 0) die_hold();
  ask_moderators(p, id.s);
  list_log(&p->l, p->now, "held", id.s);
  str_free(&id); str_free(&rel); str_free(&path);
}

static void distribute(struct post *p)
{
  unsigned long n;
  int code;
  if (list_distribute(&p->l, p->qqprog, p->msg.s, p->msg.len, &n, &code) < 0) die_sendsys();
  if (code) die_send(code);
}

int main(int argc, char **argv)
{
  struct post p;
  const char *home, *now = getenv("LIST_NOW"), *sender = getenv("SENDER");
  diag_init("list-post");
  if (argc != 2) die_usage();
  memset(&p, 0, sizeof p);
  if (list_open(&p.l, argv[1]) < 0) die_list(argv[1]);
  p.now = now ? (time_t)atol(now) : time(0);
  p.sender = sender ? sender : "";
  home = home_dir(getenv("QUAIL_HOME"));
  if (!(p.qqprog = home_queue(home, getenv("QMAILQUEUE"), p.qqspace, sizeof p.qqspace))) die_nomem();
  read_message(&p);
  check_loop(&p);
  check_sender(&p);
  if (p.l.moderated) hold(&p);
  else distribute(&p);
  return EXIT_OK;
}
