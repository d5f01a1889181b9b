/* rspamd-filter: ask rspamd about each message, a QMAILQUEUE filter.
 *
 *   QMAILQUEUE=HOME/bin/rspamd-filter   (smtpd's environment: run/smtpd
 *                                        or a tcprules entry)
 *
 * Reads the message on fd 0 into a file without a name (in TMPDIR, else
 * /tmp) and the envelope on fd 1 (qmail-queue's protocol), posts the
 * message to rspamd's /checkv2 (control/rspamdserver) with the envelope
 * and the client (From, Rcpt, IP, Helo, Hostname, User, Queue-Id), and
 * acts on rspamd's action:
 *   reject                 exit 82 with "D5.7.1 reason" on fd 4: 554
 *   soft reject, greylist  exit 82 with "Z4.7.1 reason" on fd 4: 451
 *   discard                exit 0: accepted, and dropped
 *   anything else          passed on with X-Spam-Status (and X-Spam: Yes
 *                          for add header, rewrite subject, quarantine;
 *                          the new Subject for rewrite subject)
 * It passes the message to RSPAMDQUEUE, or HOME/bin/queue-writer, and
 * exits with its code. X-Spam and X-Spam-Status fields the message came
 * with are dropped. rspamd unreachable, slower than control/timeoutrspamd
 * or unreadable: control/rspamdfail says "accept" (passed on untagged) or
 * "defer" (exit 82, "Z4.7.0 ...": 451).
 *
 * Exit codes: qmail-queue's (queue-writer(8)): the next program's own,
 * or 82 (the reason on fd 4; 31 or 71 when fd 4 is not a pipe), 51 out
 * of memory, 52 the input stalled, 53 the message could not be spooled,
 * 54 the input could not be read, 55 a control file could not be read,
 * 81 the next program could not be run. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "header.h"
#include "home.h"
#include "httpc.h"
#include "json.h"
#include "qfilter.h"
#include "qq.h"
#include "smtp.h"
#include "str.h"

#define PATH_MAX_HOME   4096
#define INPUT_TIMEOUT   86400              /* qmail-queue's bound on its input */
#define DEFAULT_SERVER  "127.0.0.1:11333"  /* rspamd's normal worker */
#define DEFAULT_TIMEOUT 20                 /* seconds for the whole question */
#define ANSWER_MAX      (1024 * 1024)      /* rspamd's JSON answer */
#define SCAN_MAX        (50LL * 1024 * 1024) /* rspamd's own max_message */
#define FIELD_MAX       1000               /* a value sent to rspamd, a reason */
#define LINE_MAX_HEADER 65536              /* a header line rewritten */
#define FOLD_AT         76                 /* X-Spam-Status lines */

enum fail { FAIL_DEFER, FAIL_ACCEPT };

struct config {
  struct str server;
  unsigned long timeout;
  enum fail fail;
};

/* what rspamd said */
struct answer {
  struct str action, reason, subject, tests;
  double score, required;
};

static void __attribute__((noreturn)) die_nomem(void) { diag_die(QQ_NOMEM, "out of memory", (char *)0); }
static void __attribute__((noreturn)) die_control(const char *f) { diag_diesys(QQ_CONFIG, "unable to read ", f, (char *)0); }
static void __attribute__((noreturn)) die_failmode(void)
{
  diag_die(QQ_CONFIG, "control/rspamdfail must say accept or defer", (char *)0);
}
static void __attribute__((noreturn)) die_home(void) { diag_diesys(QQ_CONFIG, "unable to find the home directory", (char *)0); }
static void __attribute__((noreturn)) die_input(void)
{
  int code = errno == ETIMEDOUT ? QQ_TIMEOUT : errno == ENOSPC || errno == EDQUOT ? QQ_WRITE : QQ_READ;
  if (errno == ENOMEM) die_nomem();
  diag_diesys(code, "unable to spool the message or read the envelope", (char *)0);
}
static void __attribute__((noreturn)) die_envelope(void) { diag_die(QQ_ENVELOPE, "the envelope is malformed", (char *)0); }
static void __attribute__((noreturn)) die_next(const char *p) { diag_diesys(QQ_BUG, "unable to run ", p, (char *)0); }

/* refuse the message with a reason for the client (qq.h's QQ_CUSTOM):
 * kind 'D' permanent or 'Z' temporary */
static void __attribute__((noreturn)) refuse(char kind, const char *esc, const char *why)
{
  struct str t = STR_ZERO;
  struct stat st;
  if (str_catc(&t, kind) < 0 || str_cats(&t, esc) < 0 || str_catc(&t, ' ') < 0 ||
      smtp_clean(&t, why, FIELD_MAX) < 0 || str_catc(&t, '\n') < 0)
    die_nomem();
  /* only a pipe is the caller's: any other fd 4 may be some file */
  if (fstat(QQ_ERRFD, &st) == 0 && S_ISFIFO(st.st_mode) && fd_write_all(QQ_ERRFD, t.s, t.len) == 0)
    _exit(QQ_CUSTOM);
  _exit(kind == 'D' ? QQ_PERM_REFUSED : QQ_TEMP_REFUSED);
}

static void read_config(struct config *c)
{
  struct str fail = STR_ZERO;
  if (control_readline("control/rspamdserver", &c->server, DEFAULT_SERVER) < 0) die_control("control/rspamdserver");
  if (control_readulong("control/timeoutrspamd", &c->timeout, DEFAULT_TIMEOUT) < 0) die_control("control/timeoutrspamd");
  if (control_readline("control/rspamdfail", &fail, "defer") < 0) die_control("control/rspamdfail");
  if (!strcmp(fail.s, "accept")) c->fail = FAIL_ACCEPT;
  else if (!strcmp(fail.s, "defer")) c->fail = FAIL_DEFER;
  else die_failmode();
  if (!c->timeout) c->timeout = DEFAULT_TIMEOUT;
  str_free(&fail);
}

/* one header field of the request, its value cleaned of line breaks */
static void field(struct str *r, const char *name, const char *value)
{
  if (!value || !*value) return;
  if (str_cats(r, name) < 0 || str_cats(r, ": ") < 0 || smtp_clean(r, value, FIELD_MAX) < 0 ||
      str_cats(r, "\r\n") < 0)
    die_nomem();
}

static void addr_field(struct str *r, const char *name, const char *addr)
{
  if (str_cats(r, name) < 0 || str_cats(r, ": <") < 0 || smtp_clean(r, addr, FIELD_MAX) < 0 ||
      str_cats(r, ">\r\n") < 0)
    die_nomem();
}

/* the request's head: the envelope and what smtpd knows of the client */
static void request(struct str *r, const struct str *env, off_t len)
{
  size_t i;
  if (str_catf(r, "POST /checkv2 HTTP/1.1\r\nHost: rspamd\r\nConnection: close\r\nContent-Length: %lld\r\n",
               (long long)len) < 0 || str_catf(r, "Queue-Id: %ld\r\n", (long)getpid()) < 0)
    die_nomem();
  addr_field(r, "From", qfilter_sender(env));
  for (i = strlen(env->s) + 1; i < env->len && env->s[i] == 'T'; i += strlen(env->s + i) + 1)
    addr_field(r, "Rcpt", env->s + i + 1);
  field(r, "IP", getenv("TCPREMOTEIP"));
  field(r, "Helo", getenv("QUAIL_HELO"));
  field(r, "Hostname", getenv("TCPREMOTEHOST"));
  field(r, "User", getenv("QUAIL_AUTH"));
  if (str_cats(r, "\r\n") < 0) die_nomem();
}

/* post the message; rspamd's JSON answer into body: 0, or -1 with errno */
static int ask(const struct config *c, const struct str *head, int msg, off_t len, struct str *body)
{
  time_t deadline = time(0) + (time_t)c->timeout;
  int fd = httpc_connect(c->server.s, deadline), status, e;
  if (fd < 0) return -1;
  if (httpc_send(fd, head->s, head->len, deadline) < 0 || httpc_send_file(fd, msg, len, deadline) < 0 ||
      (status = httpc_answer(fd, deadline, ANSWER_MAX, body)) < 0) {
    e = errno; close(fd); errno = e;
    return -1;
  }
  close(fd);
  if (status != 200) { errno = EPROTO; return -1; }
  return 0;
}

/* the names of the symbols, comma-separated, into tests */
static int symbols(const struct json *doc, struct str *tests)
{
  struct json syms, k, v;
  size_t pos = 0;
  int r;
  if (json_member(doc, "symbols", &syms) <= 0) return 0;
  while ((r = json_next(&syms, &pos, &k, &v)) == 1) {
    if (tests->len && str_catc(tests, ',') < 0) return -1;
    if (json_string(&k, tests) < 0) return -1;
  }
  return r;
}

/* a string member: 1 decoded into out, 0 there is none, -1 */
static int string_member(const struct json *o, const char *name, struct str *out)
{
  struct json v;
  int r = json_member(o, name, &v);
  if (r <= 0) return r;
  return json_string(&v, out) < 0 ? -1 : 1;
}

/* rspamd's answer read: 0, or -1 (malformed, or no action in it) */
static int parse(const struct str *body, struct answer *a)
{
  struct json doc, v, msgs;
  if (json_parse(body->s, body->len, &doc) < 0) return -1;
  if (string_member(&doc, "action", &a->action) <= 0) return -1;
  if (json_member(&doc, "score", &v) == 1 && json_number(&v, &a->score) < 0) return -1;
  if (json_member(&doc, "required_score", &v) == 1 && json_number(&v, &a->required) < 0) return -1;
  if (string_member(&doc, "subject", &a->subject) < 0) return -1;
  if (json_member(&doc, "messages", &msgs) == 1 && string_member(&msgs, "smtp_message", &a->reason) < 0) return -1;
  return symbols(&doc, &a->tests) < 0 ? -1 : 0;
}

static void say(const char *what, const struct answer *a)
{
  struct str l = STR_ZERO;
  if (str_catf(&l, "%s: qp %ld: %s score=%.2f/%.2f", diag_prog(), (long)getpid(), what, a->score, a->required) < 0 ||
      (a->reason.len && (str_cats(&l, " reason=") < 0 || smtp_clean(&l, a->reason.s, FIELD_MAX) < 0)) ||
      str_catc(&l, '\n') < 0)
    die_nomem();
  (void)!write(2, l.s, l.len);
  str_free(&l);
}

static int is(const struct answer *a, const char *action) { return !strcmp(a->action.s, action); }

/* X-Spam (when spam) and X-Spam-Status, for the top of the message;
 * the list of tests folds, as SpamAssassin's does, after a comma */
static void status_fields(const struct answer *a, int spam, struct str *top)
{
  size_t start, i, n;
  const char *t, *end;
  if (spam && str_cats(top, "X-Spam: Yes\n") < 0) die_nomem();
  start = top->len;
  if (str_catf(top, "X-Spam-Status: %s, score=%.2f required=%.2f action=", spam ? "Yes" : "No", a->score, a->required) < 0)
    die_nomem();
  for (i = 0; i < a->action.len; i++)
    if (str_catc(top, a->action.s[i] == ' ' ? '_' : a->action.s[i]) < 0) die_nomem();
  for (t = a->tests.len ? a->tests.s : 0; t; t = end ? end + 1 : 0) {
    end = strchr(t, ',');
    n = end ? (size_t)(end - t) + 1 : strlen(t);
    if (top->len - start + n + 7 > FOLD_AT) {
      if (str_cats(top, "\n\t") < 0) die_nomem();
      start = top->len - 1;
    } else if (t == a->tests.s && str_catc(top, ' ') < 0) die_nomem();
    if ((t == a->tests.s && str_cats(top, "tests=") < 0) || smtp_clean(top, t, n) < 0) die_nomem();
  }
  if (str_catc(top, '\n') < 0) die_nomem();
}

/* what becomes of a header line: kept, dropped (with its continuation
 * lines), or the Subject that is replaced; END when the header is over */
enum line { KEEP, DROP, SUBJECT, CONT, END };

static enum line classify(const struct str *l, int rewrite)
{
  size_t body, name;
  if (l->len && (l->s[0] == ' ' || l->s[0] == '\t')) return CONT;
  if (!(name = header_field(l->s, l->len, &body))) return END;
  if (case_equalb(l->s, name, "x-spam") || case_equalb(l->s, name, "x-spam-status")) return DROP;
  if (rewrite && case_equalb(l->s, name, "subject")) return SUBJECT;
  return KEEP;
}

static int put_subject(struct buf *out, const char *subject)
{
  struct str f = STR_ZERO;
  int r;
  if (str_cats(&f, "Subject: ") < 0 || smtp_clean(&f, subject, FIELD_MAX) < 0 || str_catc(&f, '\n') < 0) die_nomem();
  r = buf_putstr(out, &f);
  str_free(&f);
  return r;
}

/* the header of the spooled message onto out, rewritten; the line that
 * ended it stays in l. 1 when a Subject was replaced, 0 not, -1 error */
static int copy_header(struct buf *in, struct buf *out, struct str *l, const char *subject)
{
  enum line k, last = KEEP;
  int r, done = 0;
  for (;;) {
    l->len = 0;
    if ((r = buf_getline(in, l, LINE_MAX_HEADER)) < 0) return -1;
    if (r != 1 || (k = classify(l, subject != 0)) == END) return done;
    if (k == CONT) k = last == KEEP ? KEEP : DROP;
    if (k == SUBJECT && put_subject(out, subject) < 0) return -1;
    if (k == SUBJECT) done = 1;
    if (k == KEEP && buf_putstr(out, l) < 0) return -1;
    last = k;
  }
}

/* top, then the spooled message (header rewritten), onto fd */
static int copy_message(int fd, int msg, const struct str *top, const char *subject)
{
  static char ib[BUF_SIZE * 8], ob[BUF_SIZE * 8];
  struct buf in, out;
  struct str l = STR_ZERO;
  ssize_t n;
  int done;
  if (lseek(msg, 0, SEEK_SET) < 0) return -1;
  buf_init(&in, msg, ib, sizeof ib);
  buf_init(&out, fd, ob, sizeof ob);
  if (buf_putstr(&out, top) < 0) return -1;
  if ((done = copy_header(&in, &out, &l, subject)) < 0) return -1;
  if (subject && !done && put_subject(&out, subject) < 0) return -1;
  if (buf_putstr(&out, &l) < 0) return -1;
  /* the body as it is: what the reader holds, then the rest of the file */
  if (buf_put(&out, in.x + in.p, in.n) < 0) return -1;
  while ((n = fd_read_retry(msg, ib, sizeof ib)) > 0)
    if (buf_put(&out, ib, (size_t)n) < 0) return -1;
  str_free(&l);
  return n < 0 ? -1 : buf_flush(&out);
}

/* hand the message on: RSPAMDQUEUE or queue-writer's exit code */
static int __attribute__((noreturn)) pass(const char *next, int msg, const struct str *top, const char *subject,
                                          const struct str *env)
{
  int mfd, efd, bad, r;
  pid_t pid = qfilter_start(next, &mfd, &efd);
  if (pid < 0) die_next(next);
  signal(SIGPIPE, SIG_IGN);
  bad = copy_message(mfd, msg, top, subject) < 0;
  close(mfd);
  if ((r = qfilter_finish(pid, efd, bad ? &(struct str)STR_ZERO : env)) < 0) die_next(next);
  _exit(bad && !r ? QQ_BUG : r);
}

/* rspamd could not be asked: control/rspamdfail decides */
static void unavailable(const struct config *c, const char *why)
{
  diag_warn("unable to ask rspamd at ", c->server.s, ": ", why,
            c->fail == FAIL_ACCEPT ? ": message accepted untagged" : ": message deferred", (char *)0);
  if (c->fail == FAIL_DEFER) refuse('Z', "4.7.0", "spam filter unavailable; try again later");
}

/* act on the answer: refuse, or the fields for the top (and *subject) */
static void verdict(struct answer *a, struct str *top, const char **subject)
{
  int spam = is(a, "add header") || is(a, "rewrite subject") || is(a, "quarantine");
  say(a->action.s, a);
  if (is(a, "reject")) refuse('D', "5.7.1", a->reason.len ? a->reason.s : "message refused as spam");
  if (is(a, "soft reject")) refuse('Z', "4.7.1", a->reason.len ? a->reason.s : "try again later");
  if (is(a, "greylist")) refuse('Z', "4.7.1", a->reason.len ? a->reason.s : "greylisted; try again later");
  if (is(a, "discard")) _exit(QQ_OK);
  status_fields(a, spam, top);
  if (is(a, "rewrite subject") && a->subject.len) *subject = a->subject.s;
}

int main(int argc, char **argv)
{
  struct config c = { STR_ZERO, 0, FAIL_DEFER };
  struct answer a = { STR_ZERO, STR_ZERO, STR_ZERO, STR_ZERO, 0, 0 };
  struct str env = STR_ZERO, head = STR_ZERO, body = STR_ZERO, top = STR_ZERO;
  const char *home = home_dir(getenv("QUAIL_HOME")), *next, *tmp = getenv("TMPDIR"), *subject = 0;
  char nextbuf[PATH_MAX_HOME];
  off_t len;
  int msg;

  diag_init("rspamd-filter");
  if (argc > 1) diag_usage("< message 1< envelope (a QMAILQUEUE program: QMAILQUEUE=HOME/bin/rspamd-filter)");
  if (!(next = home_queue(home, getenv("RSPAMDQUEUE"), nextbuf, sizeof nextbuf))) die_home();
  if (chdir(home) < 0) die_home();
  read_config(&c);
  if ((msg = qfilter_spool(tmp && *tmp ? tmp : "/tmp", INPUT_TIMEOUT, &len)) < 0) die_input();
  if (qfilter_read_env(&env, INPUT_TIMEOUT) < 0) die_input();
  if (!qfilter_sender(&env)) die_envelope();
  if (len > SCAN_MAX) {
    diag_warn("message too large to scan: passed on untagged", (char *)0);
  } else {
    request(&head, &env, len);
    if (ask(&c, &head, msg, len, &body) < 0) unavailable(&c, errno == EPROTO ? "not an answer of 200" : strerror(errno));
    else if (parse(&body, &a) < 0) unavailable(&c, "its answer is not JSON with an action");
    else verdict(&a, &top, &subject);
  }
  pass(next, msg, &top, subject, &env);
}
