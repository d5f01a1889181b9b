/* qmqpd: receive mail over QMQP (qmail-qmqpd), a tcpserver child.
 *
 * Reads one package from the client on fd 0 (cr.yp.to/proto/qmqp.html):
 * a netstring holding netstrings: the message, the envelope sender, then
 * one or more envelope recipients. The message goes, behind a Received
 * line, to HOME/bin/queue-writer (or the program named by QMAILQUEUE).
 * After the last byte of the package, fd 1 gets one netstring response:
 * "K" queued (only once the queue program exited 0), "Z" temporary
 * failure, "D" permanent failure; then qmqpd exits.
 *
 * QMQP is for the trusted hosts of a cluster (mini-qmail's
 * qmqp-client): qmqpd checks no recipient against rcpthosts; the tcprules
 * rule that lets a client in must set RELAYCLIENT, and a client without
 * it (or qmqpd run without rules) is answered D 5.7.1 and nothing of its
 * package is queued.
 *
 * The message passes smtpd's decoder in LF form (lib/qms.c): CR LF is
 * stored as LF, a bare CR (unless control/smtpnormalize) or a NUL is
 * answered D 5.6.0; a message longer than control/databytes (smtpd's
 * default) is answered D 5.3.4 before a queue program starts for it.
 *
 * Reads control/me, control/timeoutsmtpd (seconds for each read and
 * write), control/databytes and control/smtpnormalize; a session lasts at
 * most an hour. One log line per message goes to fd 2, in smtpd's format.
 *
 * Exit codes: 0 answered; 100 protocol violation (a malformed netstring,
 * the connection closed before the end of the package: nothing is
 * queued); 111 temporary failure (timeout, unreadable control file, out
 * of memory). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "home.h"
#include "netstring.h"
#include "qms.h"
#include "str.h"

#define RCPTS_MAX      10000       /* recipients of one message */
#define DENY_READ_MAX  (1024 * 1024)  /* bytes read from a client we refuse */
#define PACKAGE_MAX    ((unsigned long long)-1)  /* streamed: NS_DIGITS_MAX bounds it */

/* every response but "K"; ESC in the spec's "(#x.y.z)" */
enum reply { R_QUEUED, R_BADADDR, R_TOOMANY, R_NORCPT, R_NOQUEUE, R_NOWAIT, R_BIG, R_NUL, R_BARECR,
             R_DENIED };
static const char *const replies[] = {
  [R_QUEUED]  = "",
  [R_BADADDR] = "Dsorry, I can't accept addresses like that " ESC_QMAIL(ESC_PERM(ESC_BAD_RCPT)),
  [R_TOOMANY] = "Dsorry, too many recipients " ESC_QMAIL(ESC_PERM(ESC_TOO_MANY_RCPT)),
  [R_NORCPT]  = "Dsorry, the message has no recipients " ESC_QMAIL(ESC_PERM(ESC_BAD_COMMAND)),
  [R_NOQUEUE] = "Zunable to start the queue program " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)),
  [R_NOWAIT]  = "Zunable to learn whether the queue program succeeded " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)),
  [R_BIG]     = "Dsorry, that message size exceeds my databytes limit " ESC_QMAIL(ESC_PERM(ESC_TOO_BIG)),
  [R_NUL]     = "Dsorry, the message holds a NUL byte " ESC_QMAIL(ESC_PERM(ESC_CONTENT)),
  [R_BARECR]  = "Dsorry, a bare CR in the message: lines must end with LF " ESC_QMAIL(ESC_PERM(ESC_CONTENT)),
  [R_DENIED]  = "Dsorry, this client may not use QMQP: RELAYCLIENT is not set for it " ESC_QMAIL(ESC_PERM(ESC_DENIED)),
};

struct session {
  struct qms c;                  /* the connection and the queue program */
  unsigned long long left;       /* bytes of the package still to read */
  unsigned long long bytes;      /* of the message */
  int fail;                      /* an enum reply, or R_QUEUED */
  unsigned long rcpts;
  struct str sender, addr, result;
  struct str rcptlist;           /* the recipients, each NUL-ended, for the log */
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
  int e = errno, code = qms_fail(&s->c, e, "the package");
  if (e == ENOMEM) diag_nomem();
  diag_die(code, s->c.remoteip, ": ", s->c.why, (char *)0);
}
static void __attribute__((noreturn)) die_nomem(struct session *s)
{
  errno = ENOMEM;
  die_package(s);
}

/* ---------- the package ---------- */

/* a message of len bytes: one over databytes is refused before any of it
 * is read, and no queue program starts for it */
static void start(struct session *s, unsigned long long len)
{
  s->fail = R_QUEUED;
  s->bytes = len;
  if (qms_too_big(&s->c, len)) { s->fail = R_BIG; return; }
  if (qms_received(&s->c, &s->result) < 0) die_nomem(s);
  if (qms_queue(&s->c, &s->result) < 0) {
    diag_warnsys("unable to start ", s->c.qqprog, (char *)0);
    s->fail = R_NOQUEUE;
  }
}

/* the next netstring inside the package: its length, which must fit */
static unsigned long long inner_len(struct session *s)
{
  unsigned long long len;
  if (qms_inner(&s->c, &s->left, &len) < 0) die_package(s);
  return len;
}

/* the reply for each enum qms_content */
static const int content_reply[] = { R_QUEUED, R_BIG, R_NUL, R_BARECR };

/* the message, in LF form, through smtpd's decoder (qms_message) */
static void read_message(struct session *s)
{
  unsigned long long len = inner_len(s);
  start(s, len);
  if (qms_message(&s->c, len, s->fail == R_QUEUED) < 0) die_package(s);
  if (s->fail == R_QUEUED) s->fail = content_reply[qms_content(&s->c)];
  if (ns_getcomma(&s->c.in) < 0) die_package(s);
}

/* the next address into s->addr: 1, or 0 when we cannot pass it on */
static int read_addr(struct session *s)
{
  int r = qms_addr(&s->c, inner_len(s), &s->addr);
  if (r < 0) die_package(s);
  return r;
}

static void read_envelope(struct session *s)
{
  int ok = read_addr(s);
  if (str_copyb(&s->sender, s->addr.s, s->addr.len) < 0) die_nomem(s);
  if (!ok && s->fail == R_QUEUED) s->fail = R_BADADDR;
  if (s->fail == R_QUEUED && qq_from(&s->c.qq, s->addr.s) < 0) die_nomem(s);
  while (s->left) {
    ok = read_addr(s);
    if (!ok && s->fail == R_QUEUED) s->fail = R_BADADDR;
    if (++s->rcpts > RCPTS_MAX && s->fail == R_QUEUED) s->fail = R_TOOMANY;
    if (s->fail != R_QUEUED) continue;
    if (qq_to(&s->c.qq, s->addr.s) < 0) die_nomem(s);
    if (str_catb(&s->rcptlist, s->addr.s, s->addr.len + 1) < 0) die_nomem(s);
  }
  if (!s->rcpts && s->fail == R_QUEUED) s->fail = R_NORCPT;
}

/* hand the message over (or not); the response into s->result */
static void finish(struct session *s)
{
  int code;
  if (s->fail != R_QUEUED) {
    qms_drop(&s->c);
    if (str_copys(&s->result, replies[s->fail]) < 0) die_nomem(s);
    return;
  }
  code = qms_close(&s->c);
  if (code < 0) {
    if (str_copys(&s->result, replies[R_NOWAIT]) < 0) die_nomem(s);
  } else if (qms_result(&s->c, &s->result, code) < 0) {
    die_nomem(s);
  }
}

/* one line in smtpd's format: "qmqpd: pid PID from IP: accepted
 * from=<S> to=<R>... size=N qp=PID", or "rejected ... reason=TEXT" */
static void log_package(struct session *s)
{
  struct str l = STR_ZERO;
  const char *why = s->result.s[0] == 'K' ? 0 : s->result.s + 1;
  if (qms_logpackage(&s->c, &l, s->sender.s, &s->rcptlist, s->bytes, why) < 0) diag_nomem();
  (void)!write(2, l.s, l.len);
  str_free(&l);
}

/* a client the rules do not name: D, and nothing of its package goes
 * anywhere; a package of up to DENY_READ_MAX bytes is read first, so
 * that the client (which writes it all before it reads) sees the D */
static void __attribute__((noreturn)) deny(struct session *s)
{
  struct str d = STR_ZERO, l = STR_ZERO;
  if (s->left <= DENY_READ_MAX) (void)ns_skip(&s->c.in, s->left + 1);
  if (qms_reply(&s->c, replies[R_DENIED], strlen(replies[R_DENIED])) < 0 || qms_flush(&s->c) < 0) die_package(s);
  if (qms_detail(&d, "reason", replies[R_DENIED] + 1, 0) < 0 || qms_logline(&s->c, &l, "refused", &d) < 0)
    diag_nomem();
  (void)!write(2, l.s, l.len);
  _exit(EXIT_OK);
}

int main(int argc, char **argv)
{
  static struct session s;
  const char *home = home_dir(getenv("QUAIL_HOME"));
  const char *bad;
  int r;

  diag_init("qmqpd");
  if (argc > 1) diag_usage("");
  signal(SIGPIPE, SIG_IGN);
  if (qms_init(&s.c, "qmqpd", "QMQP", home, getenv("QMAILQUEUE")) < 0) die_home(home);
  qms_client(&s.c, getenv("TCPREMOTEIP"), getenv("TCPREMOTEHOST"));
  if (chdir(home) < 0) die_home(home);
  if (qms_config(&s.c, &bad) < 0) die_control(bad);

  r = ns_getlen(&s.c.in, PACKAGE_MAX, &s.left);
  if (r == 0) return EXIT_OK;          /* connected and left: nothing to do */
  if (r < 0) die_package(&s);
  if (!getenv("RELAYCLIENT")) deny(&s);
  read_message(&s);
  read_envelope(&s);
  if (ns_getcomma(&s.c.in) < 0) die_package(&s);
  finish(&s);
  if (qms_reply(&s.c, s.result.s, s.result.len) < 0 || qms_flush(&s.c) < 0) die_package(&s);
  log_package(&s);
  return EXIT_OK;
}
