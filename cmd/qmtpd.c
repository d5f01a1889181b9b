/* qmtpd: receive mail over QMTP (qmail-qmtpd), a tcpserver child.
 *
 * Reads packages from the client on fd 0, any number per connection
 * (cr.yp.to/proto/qmtp.txt): a netstring holding the message, whose
 * first byte gives the encoding ('\n': lines end in LF; '\r': lines end
 * in CR LF, stored as LF), a netstring holding the envelope sender, and
 * a netstring of netstrings holding the recipients. Each message goes,
 * behind a Received line, to HOME/bin/queue-writer (or the program
 * named by QMAILQUEUE). After the last byte of a package, fd 1 gets one
 * netstring response per recipient, in the client's order: "K" queued
 * (only once the queue program exited 0), "Z" temporary failure, "D"
 * permanent failure. Responses wait in a buffer until qmtpd needs more
 * input, so a pipelining client gets them in one write.
 *
 * Reads control/me, control/rcpthosts, control/morercpthosts.cdb (a
 * recipient's domain must be in one of them unless RELAYCLIENT is set,
 * whose value is then appended to each recipient), control/databytes
 * (or DATABYTES: the largest message, 0 for no limit) and
 * control/timeoutsmtpd (seconds for each read and write); a session
 * lasts at most an hour. Log lines go to fd 2, in smtpd's format: one
 * per message accepted or rejected, one per recipient refused.
 *
 * Exit codes: 0 the client closed the connection between packages;
 * 100 protocol violation (a malformed netstring, the connection closed
 * inside a package: nothing of that package is queued); 111 temporary
 * failure (timeout, unreadable control file, out of memory). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "buf.h"
#include "cdbx.h"
#include "control.h"
#include "date.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "netstring.h"
#include "qq.h"
#include "smtp.h"
#include "str.h"

#define SESSION_MAX    3600        /* seconds: "a QMTP session should take at most 1 hour" */
#define TIMEOUT_DEF    1200        /* control/timeoutsmtpd when missing */
#define RCPTS_MAX      10000       /* recipients queued per package; the rest get Z */
#define RCPT_LIST_MAX  (16UL * 1024 * 1024)  /* bytes of the recipients netstring */
#define MESSAGE_MAX    ((unsigned long long)-1)  /* streamed: NS_DIGITS_MAX bounds it */
#define CHUNK          16384       /* message bytes read at a time */
#define PATH_SIZE      4096
#define ME_DEFAULT     "localhost"

/* every response but "K", by what went wrong, with the enhanced status
 * code in the spec's "(#x.y.z)" form; the rules are smtpd's */
enum reply {
  R_QUEUED,                        /* not a failure: the queue program's answer */
  R_RELAY, R_NORCPTHOSTS, R_NODOMAIN, R_BADRCPT, R_LOOKUP, R_TOOMANY,
  R_BIG, R_ENCODING, R_SENDER, R_NOQUEUE, R_NOWAIT
};
static const char *const replies[] = {
  [R_QUEUED]   = "",
  [R_RELAY]    = "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
  [R_NORCPTHOSTS] = "Ztemporary configuration problem: control/rcpthosts is missing (#4.3.0)",
  [R_NODOMAIN] = "Dsorry, the recipient address needs a domain (#5.1.3)",
  [R_BADRCPT]  = "Dsorry, I can't handle that recipient (#5.1.3)",
  [R_LOOKUP]   = "Ztemporary lookup failure (#4.3.0)",
  [R_TOOMANY]  = "Zsorry, too many recipients in one message (#4.5.3)",
  [R_BIG]      = "Dsorry, that message size exceeds my databytes limit (#5.3.4)",
  [R_ENCODING] = "Dsorry, the message encoding must be LF or CRLF (#5.6.0)",
  [R_SENDER]   = "Dunacceptable sender (#5.1.7)",
  [R_NOQUEUE]  = "Zunable to start the queue program (#4.3.0)",
  [R_NOWAIT]   = "Zunable to learn whether the queue program succeeded (#4.3.0)",
};

struct session {
  struct buf in, out;
  char inspace[BUF_SIZE], outspace[BUF_SIZE];
  int timeout;                   /* seconds for each read and write */
  time_t deadline;               /* the end of the session */
  const char *qqprog, *relayclient, *remoteip, *remotehost;
  struct str me, rcpthosts, dom, val, logline;
  int have_rcpthosts;            /* control/rcpthosts exists */
  unsigned long long databytes;  /* 0: no limit */
  /* the package being read */
  struct qq qq;
  int qqopen;
  int fail;                      /* an enum reply for the whole message, or R_QUEUED */
  int crlf, cr;                  /* encoding #1; a CR waits for the next byte */
  unsigned long long bytes;      /* message bytes stored */
  struct str sender, rcpt;
  struct str status;             /* an enum reply per recipient, up to RCPTS_MAX */
  struct str queuedlist;         /* the queued recipients, each NUL-ended, for the log */
  unsigned long extra;           /* recipients beyond RCPTS_MAX */
  unsigned long queued;          /* recipients handed to the queue program */
  struct str result;             /* the response for queued recipients */
};

/* ---------- failures ---------- */

static void drop(struct session *);

static void __attribute__((noreturn)) die_control(const char *f)
{
  diag_diesys(EXIT_TEMP, "unable to read control/", f, (char *)0);
}
static void __attribute__((noreturn)) die_home(const char *home)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory ", home, (char *)0);
}
static void __attribute__((noreturn)) die_write(struct session *s)
{
  drop(s);
  diag_diesys(EXIT_TEMP, s->remoteip, ": unable to write to the client", (char *)0);
}
static void __attribute__((noreturn)) die_nomem(struct session *s)
{
  drop(s);
  diag_nomem();
}
/* the input failed inside a package (errno says how): drop the package */
static void __attribute__((noreturn)) die_input(struct session *s)
{
  int e = errno;
  drop(s);
  errno = e;
  if (e == ENODATA) diag_die(EXIT_PERM, s->remoteip, ": client closed the connection inside a package", (char *)0);
  if (e == EPROTO) diag_die(EXIT_PERM, s->remoteip, ": protocol error: malformed netstring", (char *)0);
  if (e == EMSGSIZE) diag_die(EXIT_PERM, s->remoteip, ": protocol error: netstring too long", (char *)0);
  if (e == ENOMEM) diag_nomem();
  diag_diesys(EXIT_TEMP, s->remoteip, ": unable to read from the client", (char *)0);
}

/* ---------- the connection ---------- */

/* the input's transport: first flush the responses (the client may be
 * waiting for them), then wait no longer than the timeout and the
 * session's end */
static ssize_t net_read(void *ctx, int fd, char *p, size_t n)
{
  struct session *s = ctx;
  time_t left = s->deadline - time(0);
  int t = s->timeout;
  ssize_t r;
  if (buf_flush(&s->out) < 0) die_write(s);
  if (left <= 0) { errno = ETIMEDOUT; return -1; }
  if (left < t) t = (int)left;
  if (fd_wait(fd, 0, t) < 0) return -1;
  do r = read(fd, p, n); while (r < 0 && errno == EINTR);
  return r;
}

static void reply(struct session *s, const char *text)
{
  if (ns_put(&s->out, text, strlen(text)) < 0) die_write(s);
}

/* ---------- configuration ---------- */

static void load_control(struct session *s, const char *databytes_env)
{
  unsigned long u;
  if (control_readline("control/me", &s->me, ME_DEFAULT) < 0) die_control("me");
  s->have_rcpthosts = control_readlines("control/rcpthosts", &s->rcpthosts);
  if (s->have_rcpthosts < 0) die_control("rcpthosts");
  if (control_readulong("control/databytes", &u, 0) < 0) die_control("databytes");
  if (databytes_env) scan_ulong(databytes_env, &u);
  s->databytes = u;
  if (control_readulong("control/timeoutsmtpd", &u, TIMEOUT_DEF) < 0) die_control("timeoutsmtpd");
  s->timeout = u == 0 || u > INT_MAX ? TIMEOUT_DEF : (int)u;
}

/* is the domain ours: in control/rcpthosts, or in morercpthosts.cdb
 * (the domain, then each ".parent", as qmail looks them up); 1 yes,
 * 0 no, -1 lookup error */
static int rcpthost(struct session *s, const char *d)
{
  const char *e;
  size_t pos = 0, j;
  while ((e = control_next(&s->rcpthosts, &pos)))
    if (addr_domain_match(d, e)) return 1;
  if (str_copys(&s->dom, d) < 0) die_nomem(s);
  str_lower(&s->dom);
  for (j = 0; j < s->dom.len; j++) {
    int r;
    if (j && s->dom.s[j] != '.') continue;
    r = cdbx_get("control/morercpthosts.cdb", s->dom.s + j, s->dom.len - j, &s->val);
    if (r != 0) return r;
  }
  return 0;
}

/* ---------- logging: smtpd's format, one line per event ---------- */

static void log_event(struct session *s, const char *event, const struct str *detail)
{
  struct str *l = &s->logline;
  l->len = 0;
  if (str_catf(l, "%s: pid %ld from ", diag_prog(), (long)getpid()) < 0 ||
      smtp_clean(l, s->remoteip, 64) < 0 || str_cats(l, ": ") < 0 || str_cats(l, event) < 0 ||
      str_catc(l, ' ') < 0 || str_catb(l, detail->s, detail->len) < 0 || str_catc(l, '\n') < 0)
    die_nomem(s);
  (void)!write(2, l->s, l->len);
}

static void detail(struct session *s, struct str *d, const char *key, const char *value, int angle)
{
  if (d->len && str_catc(d, ' ') < 0) die_nomem(s);
  if (str_cats(d, key) < 0 || str_cats(d, angle ? "=<" : "=") < 0 ||
      smtp_clean(d, value, ADDR_MAX) < 0 || (angle && str_catc(d, '>') < 0))
    die_nomem(s);
}

/* a refused recipient: "refused rcpt=<ADDR> reason=TEXT" */
static void log_refused(struct session *s, const char *rcpt, int how)
{
  struct str d = STR_ZERO;
  detail(s, &d, "rcpt", rcpt, 1);
  detail(s, &d, "reason", replies[how] + 1, 0);
  log_event(s, "refused", &d);
  str_free(&d);
}

/* ---------- one package ---------- */

/* the Received line on top of the message */
static int received(struct session *s, struct str *out)
{
  char date[DATE_MAX];
  date_rfc5322(time(0), date);
  if (str_copys(out, "Received: from ") < 0 || smtp_clean(out, s->remotehost, 255) < 0) return -1;
  if (str_cats(out, " ([") < 0 || smtp_clean(out, s->remoteip, 64) < 0) return -1;
  if (str_cats(out, "])\n\tby ") < 0 || smtp_clean(out, s->me.s, 255) < 0) return -1;
  if (str_cats(out, " (quail qmtpd) with QMTP; ") < 0 || str_cats(out, date) < 0) return -1;
  return str_catc(out, '\n');
}

static void start(struct session *s)
{
  s->fail = R_QUEUED;
  s->crlf = s->cr = 0;
  s->bytes = 0;
  s->status.len = s->sender.len = s->queuedlist.len = 0;
  s->extra = s->queued = 0;
  if (qq_open(&s->qq, s->qqprog) < 0) {
    diag_warnsys("unable to start ", s->qqprog, (char *)0);
    s->fail = R_NOQUEUE;
    return;
  }
  s->qqopen = 1;
  if (received(s, &s->result) < 0) die_nomem(s);
  qq_put(&s->qq, s->result.s, s->result.len);
}

/* give the queue program no envelope: it removes its own work files and
 * exits (qq_abort's SIGTERM would leave them to queue-manager's sweep) */
static void drop(struct session *s)
{
  if (!s->qqopen) return;
  s->qqopen = 0;
  s->qq.failed = 1;
  (void)qq_close(&s->qq);
}

/* store decoded message bytes, while the message is still wanted */
static void emit(struct session *s, const char *p, size_t n)
{
  s->bytes += n;
  if (s->databytes && s->bytes > s->databytes && s->fail == R_QUEUED) s->fail = R_BIG;
  if (s->fail == R_QUEUED) qq_put(&s->qq, p, n);   /* a dead writer shows at qq_close */
}

/* encoding #1: CR LF ends a line and is stored as LF; other CRs stay */
static void feed_crlf(struct session *s, const char *p, size_t n)
{
  char out[CHUNK + 1];
  size_t i, k = 0;
  for (i = 0; i < n; i++) {
    if (s->cr && p[i] != '\n') out[k++] = '\r';
    s->cr = p[i] == '\r';
    if (!s->cr) out[k++] = p[i];
  }
  emit(s, out, k);
}

static void read_message(struct session *s, unsigned long long len)
{
  char chunk[CHUNK], enc;
  if (!len) { errno = EPROTO; die_input(s); }
  if (ns_read(&s->in, &enc, 1) < 0) die_input(s);
  len--;
  if (enc != '\n' && enc != '\r' && s->fail == R_QUEUED) s->fail = R_ENCODING;
  s->crlf = enc == '\r';
  while (len) {
    size_t n = len < sizeof chunk ? (size_t)len : sizeof chunk;
    if (ns_read(&s->in, chunk, n) < 0) die_input(s);
    if (s->crlf) feed_crlf(s, chunk, n);
    else emit(s, chunk, n);
    len -= n;
  }
  if (s->cr) emit(s, "\r", 1);
  if (ns_getcomma(&s->in) < 0) die_input(s);
}

/* an address we can pass on: no NUL, CR or LF */
static int addr_ok(const struct str *a)
{
  return !memchr(a->s, 0, a->len) && !memchr(a->s, '\n', a->len) && !memchr(a->s, '\r', a->len);
}

/* the address netstring of len bytes into a (1), or skipped when too long (0) */
static int read_addr(struct session *s, unsigned long long len, struct str *a)
{
  int ok = len <= ADDR_MAX;
  if (!ok && ns_skip(&s->in, len) < 0) die_input(s);
  if (ok && (str_ready(a, (size_t)len + 1) < 0)) die_nomem(s);
  if (ok && ns_read(&s->in, a->s, (size_t)len) < 0) die_input(s);
  a->len = ok ? (size_t)len : 0;
  if (str_0(a) < 0) die_nomem(s);
  if (ns_getcomma(&s->in) < 0) die_input(s);
  return ok && addr_ok(a);
}

static void read_sender(struct session *s)
{
  unsigned long long len;
  int r = ns_getlen(&s->in, MESSAGE_MAX, &len);
  if (r <= 0) { if (r == 0) errno = ENODATA; die_input(s); }
  if (!read_addr(s, len, &s->sender) && s->fail == R_QUEUED) s->fail = R_SENDER;
  if (s->fail == R_QUEUED && qq_from(&s->qq, s->sender.s) < 0) die_nomem(s);
}

/* "postmaster" alone is postmaster@me; other addresses need a domain */
static int qualify(struct session *s)
{
  if (addr_domain(s->rcpt.s)) return 0;
  if (!case_equals(s->rcpt.s, "postmaster")) return -1;
  if (str_catc(&s->rcpt, '@') < 0 || str_cats(&s->rcpt, s->me.s) < 0) die_nomem(s);
  return 0;
}

/* what becomes of the recipient in s->rcpt: R_QUEUED or a failure;
 * the rules are smtpd's, RELAYCLIENT's value appended as qmail does */
static int judge_rcpt(struct session *s)
{
  if (qualify(s) < 0) return R_NODOMAIN;
  if (!s->relayclient) {
    switch (rcpthost(s, addr_domain(s->rcpt.s))) {
    case -1: diag_warnsys("unable to read control/morercpthosts.cdb", (char *)0); return R_LOOKUP;
    case 0: return s->have_rcpthosts ? R_RELAY : R_NORCPTHOSTS;
    }
    return R_QUEUED;
  }
  if (s->rcpt.len + strlen(s->relayclient) > ADDR_MAX) return R_BADRCPT;
  if (str_cats(&s->rcpt, s->relayclient) < 0) die_nomem(s);
  return R_QUEUED;
}

static void read_rcpt(struct session *s, unsigned long long len)
{
  int ok = read_addr(s, len, &s->rcpt);
  int how;
  if (s->status.len >= RCPTS_MAX) {       /* logged once: there may be millions */
    if (!s->extra++) log_refused(s, s->rcpt.s, R_TOOMANY);
    return;
  }
  how = ok ? judge_rcpt(s) : R_BADRCPT;
  if (str_catc(&s->status, (char)how) < 0) die_nomem(s);
  if (how != R_QUEUED) log_refused(s, s->rcpt.s, how);
  if (how != R_QUEUED || s->fail != R_QUEUED) return;
  if (qq_to(&s->qq, s->rcpt.s) < 0) die_nomem(s);
  if (str_catb(&s->queuedlist, s->rcpt.s, s->rcpt.len + 1) < 0) die_nomem(s);
  s->queued++;
}

static void read_rcpts(struct session *s)
{
  unsigned long long left, len;
  int r = ns_getlen(&s->in, RCPT_LIST_MAX, &left);
  if (r <= 0) { if (r == 0) errno = ENODATA; die_input(s); }
  while (left) {
    r = ns_getlen(&s->in, left, &len);
    if (r <= 0) { if (r == 0) errno = ENODATA; die_input(s); }
    if (ns_size(len) > left) { errno = EPROTO; die_input(s); }
    left -= ns_size(len);
    read_rcpt(s, len);
  }
  if (ns_getcomma(&s->in) < 0) die_input(s);
}

/* hand the message over (or not): s->result is the queued recipients' answer */
static void finish(struct session *s)
{
  int code;
  if (s->fail != R_QUEUED || !s->queued) { drop(s); return; }
  s->qqopen = 0;
  code = qq_close(&s->qq);
  if (code < 0) { s->fail = R_NOWAIT; return; }
  s->result.len = 0;
  if (code == QQ_OK) {
    if (str_catf(&s->result, "Kok %lu qp %lu", (unsigned long)time(0), (unsigned long)s->qq.pid) < 0)
      die_nomem(s);
    return;
  }
  if (str_catf(&s->result, "%c%s (#%s)", qq_temporary(code) ? 'Z' : 'D', qq_text(code),
               qq_temporary(code) ? SMTP_ESC_QUEUE_TEMP : SMTP_ESC_QUEUE_PERM) < 0)
    die_nomem(s);
}

static const char *response(const struct session *s, int how)
{
  if (how != R_QUEUED) return replies[how];
  if (s->fail != R_QUEUED) return replies[s->fail];
  return s->result.s;
}

static void answer(struct session *s)
{
  size_t i;
  unsigned long k;
  for (i = 0; i < s->status.len; i++) reply(s, response(s, s->status.s[i]));
  for (k = 0; k < s->extra; k++) reply(s, replies[R_TOOMANY]);
}

/* "accepted from=<S> to=<R>... size=N qp=PID", or "rejected ... reason=TEXT"
 * (recipients refused one by one were logged as they came) */
static void log_package(struct session *s)
{
  struct str d = STR_ZERO;
  size_t pos = 0;
  const char *r, *why = 0;
  if (s->fail != R_QUEUED) why = replies[s->fail] + 1;
  else if (s->queued && s->result.s[0] != 'K') why = s->result.s + 1;
  else if (!s->status.len && !s->extra) why = "no recipients";
  else if (!s->queued) return;
  detail(s, &d, "from", s->sender.s, 1);
  while ((r = control_next(&s->queuedlist, &pos))) detail(s, &d, "to", r, 1);
  if (str_catf(&d, " size=%llu", s->bytes) < 0) die_nomem(s);
  if (!why && str_catf(&d, " qp=%lu", (unsigned long)s->qq.pid) < 0) die_nomem(s);
  if (why) detail(s, &d, "reason", why, 0);
  log_event(s, why ? "rejected" : "accepted", &d);
  str_free(&d);
}

/* one package: 1 answered, 0 the client closed the connection before it */
static int package(struct session *s)
{
  unsigned long long len;
  int r = ns_getlen(&s->in, MESSAGE_MAX, &len);
  if (r == 0) return 0;
  if (r < 0) die_input(s);
  start(s);
  read_message(s, len);
  read_sender(s);
  read_rcpts(s);
  finish(s);
  answer(s);
  log_package(s);
  return 1;
}

static const char *env_or(const char *name, const char *def)
{
  const char *v = getenv(name);
  return v && *v ? v : def;
}

int main(int argc, char **argv)
{
  static struct session s;
  static char qpath[PATH_SIZE];
  const char *home = home_dir(getenv("QUAIL_HOME"));

  diag_init("qmtpd");
  if (argc > 1) diag_usage("");
  signal(SIGPIPE, SIG_IGN);
  s.deadline = time(0) + SESSION_MAX;
  s.remoteip = env_or("TCPREMOTEIP", "unknown");
  s.remotehost = env_or("TCPREMOTEHOST", "unknown");
  s.relayclient = getenv("RELAYCLIENT");
  s.qqprog = env_or("QMAILQUEUE", 0);
  if (!s.qqprog) {
    if (home_path(home, "bin/queue-writer", qpath, sizeof qpath) < 0) die_home(home);
    s.qqprog = qpath;
  }
  if (chdir(home) < 0) die_home(home);
  load_control(&s, getenv("DATABYTES"));

  buf_init(&s.in, 0, s.inspace, sizeof s.inspace);
  buf_transport(&s.in, net_read, &s);
  buf_init(&s.out, 1, s.outspace, sizeof s.outspace);
  s.out.timeout = s.timeout;
  while (package(&s)) {}
  if (buf_flush(&s.out) < 0) die_write(&s);
  return EXIT_OK_;
}
