/* qmtpd: receive mail over QMTP (qmail-qmtpd), a tcpserver child.
 *
 * Reads packages from the client on fd 0, any number per connection
 * (cr.yp.to/proto/qmtp.txt): a netstring holding the message, whose
 * first byte gives the encoding ('\n': lines end in LF; '\r': lines end
 * in CR LF; either way smtpd's decoder stores LF and CR LF as LF, and a
 * bare CR (unless control/smtpnormalize) or a NUL is answered D 5.6.0),
 * a netstring holding the envelope sender, and
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
 * (or DATABYTES: the largest message, 0 for no limit, smtpd's 50 MiB when
 * neither is set; judged on the netstring's length before a queue program
 * starts), control/smtpnormalize and
 * control/timeoutsmtpd (seconds for each read and write), control/rcptcheck
 * and users/rcpt.cdb (a local recipient nobody would deliver to is refused
 * with D 5.1.1 unless RELAYCLIENT is set; see newrcpt(8)); a session
 * lasts at most an hour. Log lines go to fd 2, in smtpd's format: one
 * per message accepted or rejected, one per recipient refused.
 *
 * Exit codes: 0 the client closed the connection between packages;
 * 100 protocol violation (a malformed netstring, the connection closed
 * inside a package: nothing of that package is queued); 111 temporary
 * failure (timeout, unreadable control file, out of memory). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "control.h"
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "home.h"
#include "netstring.h"
#include "qms.h"
#include "rcptcheck.h"
#include "relay.h"
#include "str.h"

#define RCPTS_MAX      10000       /* recipients queued per package; the rest get Z */
#define RCPT_LIST_MAX  (16UL * 1024 * 1024)  /* bytes of the recipients netstring */
#define MESSAGE_MAX    ((unsigned long long)-1)  /* streamed: NS_DIGITS_MAX bounds it */

/* every response but "K", by what went wrong, with the enhanced status
 * code in the spec's "(#x.y.z)" form; the rules are smtpd's */
enum reply {
  R_QUEUED,                        /* not a failure: the queue program's answer */
  R_RELAY, R_NORCPTHOSTS, R_NODOMAIN, R_BADRCPT, R_LOOKUP, R_TOOMANY,
  R_BIG, R_ENCODING, R_SENDER, R_NOQUEUE, R_NOWAIT, R_NOMAILBOX, R_NUL, R_BARECR
};
static const char *const replies[] = {
  [R_QUEUED]   = "",
  [R_RELAY]    = "Dsorry, that domain isn't in my list of allowed rcpthosts " ESC_QMAIL(ESC_PERM(ESC_DENIED)),
  [R_NORCPTHOSTS] = "Ztemporary configuration problem: control/rcpthosts is missing " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)),
  [R_NODOMAIN] = "Dsorry, the recipient address needs a domain " ESC_QMAIL(ESC_PERM(ESC_BAD_RCPT)),
  [R_BADRCPT]  = "Dsorry, I can't handle that recipient " ESC_QMAIL(ESC_PERM(ESC_BAD_RCPT)),
  [R_LOOKUP]   = "Ztemporary lookup failure " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)),
  [R_TOOMANY]  = "Zsorry, too many recipients in one message " ESC_QMAIL(ESC_TEMP(ESC_TOO_MANY_RCPT)),
  [R_BIG]      = "Dsorry, that message size exceeds my databytes limit " ESC_QMAIL(ESC_PERM(ESC_TOO_BIG)),
  [R_ENCODING] = "Dsorry, the message encoding must be LF or CRLF " ESC_QMAIL(ESC_PERM(ESC_CONTENT)),
  [R_SENDER]   = "Dunacceptable sender " ESC_QMAIL(ESC_PERM(ESC_BAD_SENDER)),
  [R_NOQUEUE]  = "Zunable to start the queue program " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)),
  [R_NOWAIT]   = "Zunable to learn whether the queue program succeeded " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)),
  [R_NOMAILBOX] = "Dsorry, no mailbox here by that name " ESC_QMAIL(ESC_PERM(ESC_NO_MAILBOX)),
  [R_NUL]      = "Dsorry, the message holds a NUL byte " ESC_QMAIL(ESC_PERM(ESC_CONTENT)),
  [R_BARECR]   = "Dsorry, a bare CR in the message: lines must end with LF or CR LF " ESC_QMAIL(ESC_PERM(ESC_CONTENT)),
};

struct session {
  struct qms c;                  /* the connection and the queue program */
  struct relay relay;            /* rcpthosts, morercpthosts.cdb, RELAYCLIENT */
  struct rcptcheck rcptcheck;    /* users/rcpt.cdb: which local recipients exist */
  struct str logline;
  /* the package being read */
  int fail;                      /* an enum reply for the whole message, or R_QUEUED */
  unsigned long long bytes;      /* message bytes stored (or announced, when refused unread) */
  struct str sender, rcpt;
  struct str status;             /* an enum reply per recipient, up to RCPTS_MAX */
  struct str queuedlist;         /* the queued recipients, each NUL-ended, for the log */
  unsigned long extra;           /* recipients beyond RCPTS_MAX */
  unsigned long queued;          /* recipients handed to the queue program */
  struct str result;             /* the response for queued recipients */
};

/* ---------- failures ---------- */

static void __attribute__((noreturn)) die_control(const char *f)
{
  diag_diesys(EXIT_TEMP, "unable to read ", f, (char *)0);
}
static void __attribute__((noreturn)) die_home(const char *home)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory ", home, (char *)0);
}
/* the package is lost (errno says why): stop the queue program, then die */
static void __attribute__((noreturn)) die_package(struct session *s)
{
  int e = errno, code = qms_fail(&s->c, e, "a package");
  if (e == ENOMEM) diag_nomem();
  diag_die(code, s->c.remoteip, ": ", s->c.why, (char *)0);
}
static void __attribute__((noreturn)) die_nomem(struct session *s)
{
  errno = ENOMEM;
  die_package(s);
}

/* ---------- configuration ---------- */

static void load_control(struct session *s, const char *databytes_env)
{
  unsigned long u = 0;
  const char *bad;
  if (qms_config(&s->c, &bad) < 0 || relay_load(&s->relay, &bad) < 0) die_control(bad);
  if (rcptcheck_load(&s->rcptcheck, s->c.me.s, &bad) < 0) die_control(bad);
  if (databytes_env && scan_ulong(databytes_env, &u)) s->c.databytes = u;
}

/* ---------- logging: smtpd's format, one line per event ---------- */

static void log_line(const struct str *l)
{
  (void)!write(2, l->s, l->len);
}

/* a refused recipient: "refused rcpt=<ADDR> reason=TEXT" */
static void log_refused(struct session *s, const char *rcpt, int how)
{
  struct str d = STR_ZERO;
  if (qms_detail(&d, "rcpt", rcpt, 1) < 0 || qms_detail(&d, "reason", replies[how] + 1, 0) < 0 ||
      qms_logline(&s->c, &s->logline, "refused", &d) < 0)
    die_nomem(s);
  log_line(&s->logline);
  str_free(&d);
}

/* ---------- one package ---------- */

/* a message of len bytes: one over databytes is refused before any of it
 * is read, and no queue program starts for it */
static void start(struct session *s, unsigned long long len)
{
  s->fail = R_QUEUED;
  s->bytes = 0;
  s->status.len = s->sender.len = s->queuedlist.len = 0;
  s->extra = s->queued = 0;
  if (len && qms_too_big(&s->c, len - 1)) {
    s->fail = R_BIG;
    s->bytes = len - 1;
    return;
  }
  if (qms_received(&s->c, &s->result) < 0) die_nomem(s);
  if (qms_queue(&s->c, &s->result) < 0) {
    diag_warnsys("unable to start ", s->c.qqprog, (char *)0);
    s->fail = R_NOQUEUE;
  }
}

/* the reply for each enum qms_content */
static const int content_reply[] = { R_QUEUED, R_BIG, R_NUL, R_BARECR };

/* either encoding goes through the same decoder: LF and CR LF end lines
 * (CR LF stored as LF), a bare CR or a NUL refuses the message */
static void read_message(struct session *s, unsigned long long len)
{
  char enc;
  if (!len) { errno = EPROTO; die_package(s); }
  if (ns_read(&s->c.in, &enc, 1) < 0) die_package(s);
  if (enc != '\n' && enc != '\r' && s->fail == R_QUEUED) s->fail = R_ENCODING;
  if (qms_message(&s->c, len - 1, s->fail == R_QUEUED) < 0) die_package(s);
  if (s->fail == R_QUEUED) {
    s->fail = content_reply[qms_content(&s->c)];
    s->bytes = s->c.d.bytes;
  }
  if (ns_getcomma(&s->c.in) < 0) die_package(s);
}

/* the address netstring of len bytes into a: 1, or 0 when we cannot pass it on */
static int read_addr(struct session *s, unsigned long long len, struct str *a)
{
  int r = qms_addr(&s->c, len, a);
  if (r < 0) die_package(s);
  return r;
}

static void read_sender(struct session *s)
{
  unsigned long long len;
  if (qms_getlen(&s->c, MESSAGE_MAX, &len) < 0) die_package(s);
  if (!read_addr(s, len, &s->sender) && s->fail == R_QUEUED) s->fail = R_SENDER;
  if (s->fail == R_QUEUED && qq_from(&s->c.qq, s->sender.s) < 0) die_nomem(s);
}

/* what becomes of the recipient in s->rcpt: R_QUEUED or a failure;
 * the rules are smtpd's, RELAYCLIENT's value appended as qmail does */
static int judge_rcpt(struct session *s)
{
  const char *client = s->relay.client;
  if (relay_qualify(&s->rcpt, s->c.me.s) < 0) {
    if (errno == ENOMEM) die_nomem(s);
    return R_NODOMAIN;
  }
  switch (relay_allowed(&s->relay, s->rcpt.s, 0)) {
  case -1: diag_warnsys("unable to read control/morercpthosts.cdb", (char *)0); return R_LOOKUP;
  case 0: return s->relay.have_rcpthosts ? R_RELAY : R_NORCPTHOSTS;
  }
  if (!client) switch (rcptcheck_known(&s->rcptcheck, s->rcpt.s)) {
  case -1: diag_warnsys("unable to read " RCPTCHECK_CDB, (char *)0); return R_LOOKUP;
  case 0: return R_NOMAILBOX;
  }
  if (client && s->rcpt.len + strlen(client) > ADDR_MAX) return R_BADRCPT;
  if (relay_append(&s->relay, &s->rcpt) < 0) die_nomem(s);
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
  if (qq_to(&s->c.qq, s->rcpt.s) < 0) die_nomem(s);
  if (str_catb(&s->queuedlist, s->rcpt.s, s->rcpt.len + 1) < 0) die_nomem(s);
  s->queued++;
}

static void read_rcpts(struct session *s)
{
  unsigned long long left, len;
  if (qms_getlen(&s->c, RCPT_LIST_MAX, &left) < 0) die_package(s);
  while (left) {
    if (qms_inner(&s->c, &left, &len) < 0) die_package(s);
    read_rcpt(s, len);
  }
  if (ns_getcomma(&s->c.in) < 0) die_package(s);
}

/* hand the message over (or not): s->result is the queued recipients' answer */
static void finish(struct session *s)
{
  int code;
  if (s->fail != R_QUEUED || !s->queued) { qms_drop(&s->c); return; }
  code = qms_close(&s->c);
  if (code < 0) { s->fail = R_NOWAIT; return; }
  if (qms_result(&s->c, &s->result, code) < 0) die_nomem(s);
}

static const char *response(const struct session *s, int how)
{
  if (how != R_QUEUED) return replies[how];
  if (s->fail != R_QUEUED) return replies[s->fail];
  return s->result.s;
}

static void reply(struct session *s, const char *text)
{
  if (qms_reply(&s->c, text, strlen(text)) < 0) die_package(s);
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
  const char *why = 0;
  if (s->fail != R_QUEUED) why = replies[s->fail] + 1;
  else if (s->queued && s->result.s[0] != 'K') why = s->result.s + 1;
  else if (!s->status.len && !s->extra) why = "no recipients";
  else if (!s->queued) return;
  if (qms_logpackage(&s->c, &s->logline, s->sender.s, &s->queuedlist, s->bytes, why) < 0) die_nomem(s);
  log_line(&s->logline);
}

/* one package: 1 answered, 0 the client closed the connection before it */
static int package(struct session *s)
{
  unsigned long long len;
  int r = ns_getlen(&s->c.in, MESSAGE_MAX, &len);
  if (r == 0) return 0;
  if (r < 0) die_package(s);
  start(s, len);
  read_message(s, len);
  read_sender(s);
  read_rcpts(s);
  finish(s);
  answer(s);
  log_package(s);
  return 1;
}

int main(int argc, char **argv)
{
  static struct session s;
  const char *home = home_dir(getenv("QUAIL_HOME"));

  diag_init("qmtpd");
  if (argc > 1) diag_usage("");
  signal(SIGPIPE, SIG_IGN);
  if (qms_init(&s.c, "qmtpd", "QMTP", home, getenv("QMAILQUEUE")) < 0) die_home(home);
  qms_client(&s.c, getenv("TCPREMOTEIP"), getenv("TCPREMOTEHOST"));
  s.relay.client = getenv("RELAYCLIENT");
  if (chdir(home) < 0) die_home(home);
  load_control(&s, getenv("DATABYTES"));
  while (package(&s)) {}
  if (qms_flush(&s.c) < 0) die_package(&s);
  return EXIT_OK;
}
