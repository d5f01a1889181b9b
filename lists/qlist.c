/* qlist: qmail's qlist, SUBSCRIBE and UNSUBSCRIBE by mail to a list kept
 * as the forward lines of a .qmail file. In .qmail-LIST-request, on one
 * line:
 *
 *   |qlist user-list@host user-list-request@host
 *     .qmail-list .qmail-list-request .qtemp-list owner [moreinfo]
 *
 * Reads the message on stdin. The subscription address is the first
 * address of Reply-To, else From, else Return-Path, else $SENDER. A body
 * line, or the Subject, beginning with SUBSCRIBE or UNSUBSCRIBE (any
 * case) is a command. The members are the "&address" lines of the list
 * file: it is rewritten through the temporary file, fsynced, renamed
 * into place and given its execute bit, under an flock of the request
 * file. The message then goes to the subscription address, with a copy
 * to owner, with what was done and the help text at the top of its body.
 * A bounce ($SENDER empty or #@[]) is ignored.
 * Exit codes: 0 done, 100 usage or no usable address, 111 temporary. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "fsx.h"
#include "header.h"
#include "home.h"
#include "qq.h"
#include "str.h"
#include "buf.h"

#define USAGE "user-list@host user-list-request@host .qmail-list .qmail-list-request .qtemp-list owner [moreinfo]"
#define MSG_MAX   (4L * 1024 * 1024)     /* bytes of a request read */
#define LIST_MAX  (64L * 1024 * 1024)    /* bytes of the list file */
#define ADDR_MAX  1000

struct req {
  const char *list, *request, *file, *lock, *temp, *owner, *info;
  struct str msg;             /* the request as it came */
  size_t body;                /* where its body starts */
  struct str addr;            /* the subscription address */
  struct str done;            /* what was done, for the reply */
};

static void die_nomem(void) { diag_nomem(); }
static void die_read(const char *f) { diag_diesys(EXIT_TEMP, "unable to read ", f, (char *)0); }
static void die_write(const char *f) { diag_diesys(EXIT_TEMP, "unable to write ", f, (char *)0); }
static void die_lock(const char *f) { diag_diesys(EXIT_TEMP, "unable to lock ", f, (char *)0); }
static void die_big(void) { diag_report(EXIT_PERM, "Sorry, this request is too large. " ESC_QMAIL(ESC_PERM(ESC_TOO_BIG)), (char *)0); }
static void die_noaddr(void) { diag_report(EXIT_PERM, "Sorry, I see no address to subscribe in this message. " ESC_QMAIL(ESC_PERM(ESC_BAD_SENDER)), (char *)0); }
static void die_queue(int code) { diag_report(code >= 11 && code <= 40 ? EXIT_PERM : EXIT_TEMP, "Unable to queue the reply: ", qq_text(code), (char *)0); }

static void cat(struct str *s, const char *a) { if (str_cats(s, a) < 0) die_nomem(); }

static void read_message(struct req *r)
{
  char b[65536];
  for (;;) {
    ssize_t n = fd_read_retry(0, b, sizeof b);
    if (n < 0) die_read("the message");
    if (n == 0) break;
    if (r->msg.len + (size_t)n > MSG_MAX) die_big();
    if (str_catb(&r->msg, b, (size_t)n) < 0) die_nomem();
  }
}

/* a usable member address: one line, printable, with an '@', bounded */
static int usable(const char *a)
{
  size_t i;
  if (!*a || strlen(a) > ADDR_MAX || !strchr(a, '@')) return 0;
  for (i = 0; a[i]; i++)
    if ((unsigned char)a[i] <= ' ' || a[i] == 127) return 0;
  return 1;
}

/* the field [s, s+n): its first address when it is of kind want */
static void field_address(const char *s, size_t n, int want, struct str *out)
{
  struct str text = STR_ZERO, addrs = STR_ZERO;
  size_t body = 0, name = header_field(s, n, &body);
  if (name && header_kind(s, name) == want && header_addrlist(s + body, n - body, 0, &text, &addrs) == 0 &&
      addrs.len && usable(addrs.s) && str_copys(out, addrs.s) < 0) die_nomem();
  str_free(&text);
  str_free(&addrs);
}

/* does a line (or a Subject's text) begin with a command; which */
static int command(const char *s, size_t n)
{
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  if (n >= 11 && !strncasecmp(s, "unsubscribe", 11)) return 'u';
  if (n >= 9 && !strncasecmp(s, "subscribe", 9)) return 's';
  return 0;
}

/* the end of the header field starting at i (continuation lines joined) */
static size_t field_end(const struct str *m, size_t i)
{
  for (;;) {
    const char *nl = memchr(m->s + i, '\n', m->len - i);
    i = nl ? (size_t)(nl - m->s) + 1 : m->len;
    if (i >= m->len || (m->s[i] != ' ' && m->s[i] != '\t')) return i;
  }
}

/* the subscription address and the Subject's command; r->body set */
static int read_header(struct req *r)
{
  static const int kinds[3] = { HEADER_REPLY_TO, HEADER_FROM, HEADER_RETURN_PATH };
  struct str found[3] = { STR_ZERO, STR_ZERO, STR_ZERO };
  size_t i = 0, body;
  int k, subject = 0;
  while (i < r->msg.len && r->msg.s[i] != '\n') {
    size_t e = field_end(&r->msg, i), name = header_field(r->msg.s + i, e - i, &body);
    for (k = 0; k < 3; k++)
      if (!found[k].len) field_address(r->msg.s + i, e - i, kinds[k], &found[k]);
    if (name == 7 && !strncasecmp(r->msg.s + i, "Subject", 7)) subject = command(r->msg.s + i + body, e - i - body);
    i = e;
  }
  r->body = i < r->msg.len ? i + 1 : i;
  for (k = 0; k < 3 && !r->addr.len; k++) if (found[k].len && str_copyb(&r->addr, found[k].s, found[k].len) < 0) die_nomem();
  for (k = 0; k < 3; k++) str_free(&found[k]);
  if (!r->addr.len && getenv("SENDER") && usable(getenv("SENDER"))) cat(&r->addr, getenv("SENDER"));
  if (!r->addr.len) die_noaddr();
  if (str_0(&r->addr) < 0) die_nomem();
  return subject;
}

/* is line [s, s+n) the member line "&addr" */
static int is_member(const char *s, size_t n, const char *addr)
{
  size_t a = strlen(addr);
  if (n && s[n - 1] == '\n') n--;
  return n == a + 1 && s[0] == '&' && !strncasecmp(s + 1, addr, a);
}

/* the list with addr added ('s') or removed ('u'); 1 when it changed */
static int edit(const struct str *old, int cmd, const char *addr, struct str *out)
{
  size_t i = 0;
  int member = 0;
  out->len = 0;
  while (i < old->len) {
    const char *nl = memchr(old->s + i, '\n', old->len - i);
    size_t e = nl ? (size_t)(nl - old->s) + 1 : old->len;
    int m = is_member(old->s + i, e - i, addr);
    member |= m;
    if (!(m && cmd == 'u') && str_catb(out, old->s + i, e - i) < 0) die_nomem();
    if (!nl && e > i && !(m && cmd == 'u') && str_catc(out, '\n') < 0) die_nomem();
    i = e;
  }
  if (cmd == 's' && !member && (str_catc(out, '&') < 0 || str_cats(out, addr) < 0 || str_catc(out, '\n') < 0))
    die_nomem();
  return cmd == 's' ? !member : member;
}

/* the new list through the temporary file, with the execute bit */
static void install(const struct req *r, const struct str *list, mode_t mode)
{
  int fd = open(r->temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 || fchmod(fd, mode) < 0 || fd_write_all(fd, list->s, list->len) < 0 || fsync(fd) < 0 || close(fd) < 0)
    die_write(r->temp);
  if (rename(r->temp, r->file) < 0) die_write(r->file);
  if (fsync_parent(r->file) < 0) die_write(r->file);
}

static void note(struct req *r, int cmd, int changed)
{
  cat(&r->done, cmd == 's' ? (changed ? "I have added the address\n\n   " : "The address\n\n   ")
                           : (changed ? "I have removed the address\n\n   " : "The address\n\n   "));
  cat(&r->done, r->addr.s);
  cat(&r->done, cmd == 's' ? (changed ? "\n\nto the mailing list.\n\n" : "\n\nwas on the mailing list already.\n\n")
                           : (changed ? "\n\nfrom the mailing list.\n\n" : "\n\nwas not on the mailing list.\n\n"));
}

/* one command on the list in *old: 1 when it changed */
static int one(struct req *r, int cmd, struct str *old, struct str *new)
{
  int c = edit(old, cmd, r->addr.s, new);
  note(r, cmd, c);
  if (str_copyb(old, new->s, new->len) < 0) die_nomem();
  return c;
}

/* every command of the request, in order, under the lock */
static void apply(struct req *r, int subject)
{
  struct str old = STR_ZERO, new = STR_ZERO;
  struct stat st;
  size_t i = r->body;
  int changed = 0, lock = open(r->lock, O_RDONLY | O_CLOEXEC);
  mode_t mode = 0700;
  if (lock < 0 || flock(lock, LOCK_EX) < 0) die_lock(r->lock);
  if (file_read(r->file, &old, LIST_MAX) < 0) die_read(r->file);
  if (stat(r->file, &st) == 0) mode = (st.st_mode & 07777 & ~(mode_t)S_IWOTH) | S_IXUSR;
  if (subject) changed |= one(r, subject, &old, &new);
  while (i < r->msg.len) {
    const char *nl = memchr(r->msg.s + i, '\n', r->msg.len - i);
    size_t e = nl ? (size_t)(nl - r->msg.s) + 1 : r->msg.len;
    int cmd = command(r->msg.s + i, e - i);
    if (cmd) changed |= one(r, cmd, &old, &new);
    i = e;
  }
  if (changed) install(r, &old, mode);
  close(lock);
  str_free(&old);
  str_free(&new);
}

static void help(const struct req *r, struct str *h)
{
  cat(h, "This is the qlist program. I handle subscriptions to the mailing list\n\n   ");
  cat(h, r->list);
  cat(h, "\n\nTo subscribe, send a message to\n\n   ");
  cat(h, r->request);
  cat(h, "\n\nwith a line beginning SUBSCRIBE; to unsubscribe, one beginning\nUNSUBSCRIBE. The address is taken from Reply-To, From or Return-Path.\n\n");
  if (r->info) { cat(h, r->info); cat(h, "\n\n"); }
  cat(h, "The owner of the list is ");
  cat(h, r->owner);
  cat(h, ".\n\n--- Your message follows.\n\n");
}

/* the request back to its address and the owner, what was done first */
static void reply(const struct req *r)
{
  struct qq q;
  struct str h = STR_ZERO;
  char qspace[1024];
  const char *qprog = home_queue(home_dir(getenv("QUAIL_HOME")), getenv("QMAILQUEUE"), qspace, sizeof qspace);
  const char *dt = getenv("DTLINE");
  int code;
  if (!qprog) die_nomem();
  if (qq_open(&q, qprog) < 0) diag_diesys(EXIT_TEMP, "unable to run ", qprog, (char *)0);
  if (dt) qq_put(&q, dt, strlen(dt));
  qq_put(&q, r->msg.s, r->body);
  if (r->body == r->msg.len || r->msg.s[r->body - 1] != '\n') qq_put(&q, "\n\n", 2);
  help(r, &h);
  qq_put(&q, r->done.s, r->done.len);
  qq_put(&q, h.s, h.len);
  qq_put(&q, r->msg.s + r->body, r->msg.len - r->body);
  qq_from(&q, r->owner);
  qq_to(&q, r->addr.s);
  if (strcasecmp(r->owner, r->addr.s)) qq_to(&q, r->owner);
  code = qq_close(&q);
  if (code < 0) diag_diesys(EXIT_TEMP, "unable to wait for ", qprog, (char *)0);
  if (code) die_queue(code);
  str_free(&h);
}

int main(int argc, char **argv)
{
  struct req r = { 0 };
  const char *sender = getenv("SENDER");
  int subject;
  diag_init("qlist");
  if (argc != 7 && argc != 8) diag_usage(USAGE);
  r.list = argv[1]; r.request = argv[2]; r.file = argv[3]; r.lock = argv[4];
  r.temp = argv[5]; r.owner = argv[6]; r.info = argc == 8 ? argv[7] : 0;
  if (sender && (!*sender || !strcmp(sender, "#@[]"))) {
    fd_write_all(1, "qlist: ignoring a bounce\n", 25);
    return EXIT_OK;
  }
  read_message(&r);
  subject = read_header(&r);
  apply(&r, subject);
  if (!r.done.len) cat(&r.done, "I found no SUBSCRIBE or UNSUBSCRIBE command in your message.\n\n");
  reply(&r);
  return EXIT_OK;
}
