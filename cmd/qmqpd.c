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
 * qmqp-client): qmqpd checks no recipient against rcpthosts; tcprules
 * decides who may connect at all.
 *
 * Reads control/me and control/timeoutsmtpd (seconds for each read and
 * write); a session lasts at most an hour. One log line per message
 * goes to fd 2, in smtpd's format.
 *
 * Exit codes: 0 answered; 100 protocol violation (a malformed netstring,
 * the connection closed before the end of the package: nothing is
 * queued); 111 temporary failure (timeout, unreadable control file, out
 * of memory). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "buf.h"
#include "control.h"
#include "date.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "netstring.h"
#include "qq.h"
#include "smtp.h"
#include "str.h"

#define SESSION_MAX    3600        /* seconds for the whole connection */
#define TIMEOUT_DEF    1200        /* control/timeoutsmtpd when missing */
#define RCPTS_MAX      10000       /* recipients of one message */
#define PACKAGE_MAX    ((unsigned long long)-1)  /* streamed: NS_DIGITS_MAX bounds it */
#define CHUNK          16384       /* message bytes read at a time */
#define PATH_SIZE      4096
#define ME_DEFAULT     "localhost"

/* every response but "K"; ESC in the spec's "(#x.y.z)" */
enum reply { R_QUEUED, R_BADADDR, R_TOOMANY, R_NORCPT, R_NOQUEUE, R_NOWAIT };
static const char *const replies[] = {
  [R_QUEUED]  = "",
  [R_BADADDR] = "Dsorry, I can't accept addresses like that (#5.1.3)",
  [R_TOOMANY] = "Dsorry, too many recipients (#5.5.3)",
  [R_NORCPT]  = "Dsorry, the message has no recipients (#5.5.1)",
  [R_NOQUEUE] = "Zunable to start the queue program (#4.3.0)",
  [R_NOWAIT]  = "Zunable to learn whether the queue program succeeded (#4.3.0)",
};

struct session {
  struct buf in, out;
  char inspace[BUF_SIZE], outspace[1024];
  int timeout;                   /* seconds for each read and write */
  time_t deadline;               /* the end of the session */
  const char *qqprog, *remoteip, *remotehost;
  struct str me;
  struct qq qq;
  int qqopen;
  unsigned long long left;       /* bytes of the package still to read */
  unsigned long long bytes;      /* of the message */
  int fail;                      /* an enum reply, or R_QUEUED */
  unsigned long rcpts;
  struct str sender, addr, result;
  struct str rcptlist;           /* the recipients, each NUL-ended, for the log */
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
/* the input failed inside the package (errno says how): drop it */
static void __attribute__((noreturn)) die_input(struct session *s)
{
  int e = errno;
  drop(s);
  errno = e;
  if (e == ENODATA) diag_die(EXIT_PERM, s->remoteip, ": client closed the connection inside the package", (char *)0);
  if (e == EPROTO) diag_die(EXIT_PERM, s->remoteip, ": protocol error: malformed netstring", (char *)0);
  if (e == EMSGSIZE) diag_die(EXIT_PERM, s->remoteip, ": protocol error: netstring too long", (char *)0);
  if (e == ENOMEM) diag_nomem();
  diag_diesys(EXIT_TEMP, s->remoteip, ": unable to read from the client", (char *)0);
}

/* ---------- the connection ---------- */

/* the input's transport: no wait beyond the timeout or the session's end */
static ssize_t net_read(void *ctx, int fd, char *p, size_t n)
{
  struct session *s = ctx;
  time_t left = s->deadline - time(0);
  int t = s->timeout;
  ssize_t r;
  if (left <= 0) { errno = ETIMEDOUT; return -1; }
  if (left < t) t = (int)left;
  if (fd_wait(fd, 0, t) < 0) return -1;
  do r = read(fd, p, n); while (r < 0 && errno == EINTR);
  return r;
}

static void load_control(struct session *s)
{
  unsigned long u;
  if (control_readline("control/me", &s->me, ME_DEFAULT) < 0) die_control("me");
  if (control_readulong("control/timeoutsmtpd", &u, TIMEOUT_DEF) < 0) die_control("timeoutsmtpd");
  s->timeout = u == 0 || u > INT_MAX ? TIMEOUT_DEF : (int)u;
}

/* ---------- the package ---------- */

static int received(struct session *s, struct str *out)
{
  char date[DATE_MAX];
  date_rfc5322(time(0), date);
  if (str_copys(out, "Received: from ") < 0 || smtp_clean(out, s->remotehost, 255) < 0) return -1;
  if (str_cats(out, " ([") < 0 || smtp_clean(out, s->remoteip, 64) < 0) return -1;
  if (str_cats(out, "])\n\tby ") < 0 || smtp_clean(out, s->me.s, 255) < 0) return -1;
  if (str_cats(out, " (quail qmqpd) with QMQP; ") < 0 || str_cats(out, date) < 0) return -1;
  return str_catc(out, '\n');
}

static void start(struct session *s)
{
  s->fail = R_QUEUED;
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

/* the next netstring inside the package: its length, which must fit */
static unsigned long long inner_len(struct session *s)
{
  unsigned long long len;
  int r = ns_getlen(&s->in, s->left, &len);
  if (r <= 0) { if (r == 0) errno = ENODATA; die_input(s); }
  if (ns_size(len) > s->left) { errno = EPROTO; die_input(s); }
  s->left -= ns_size(len);
  return len;
}

static void read_message(struct session *s)
{
  char chunk[CHUNK];
  unsigned long long len = inner_len(s);
  s->bytes = len;
  while (len) {
    size_t n = len < sizeof chunk ? (size_t)len : sizeof chunk;
    if (ns_read(&s->in, chunk, n) < 0) die_input(s);
    if (s->fail == R_QUEUED) qq_put(&s->qq, chunk, n);   /* a dead writer shows at qq_close */
    len -= n;
  }
  if (ns_getcomma(&s->in) < 0) die_input(s);
}

/* the next address into s->addr: 1, or 0 when we cannot pass it on
 * (longer than ADDR_MAX, or holding NUL, CR or LF) */
static int read_addr(struct session *s)
{
  unsigned long long len = inner_len(s);
  int ok = len <= ADDR_MAX;
  if (!ok && ns_skip(&s->in, len) < 0) die_input(s);
  if (ok && str_ready(&s->addr, (size_t)len + 1) < 0) die_nomem(s);
  if (ok && ns_read(&s->in, s->addr.s, (size_t)len) < 0) die_input(s);
  s->addr.len = ok ? (size_t)len : 0;
  if (str_0(&s->addr) < 0) die_nomem(s);
  if (ns_getcomma(&s->in) < 0) die_input(s);
  return ok && !memchr(s->addr.s, 0, s->addr.len) && !memchr(s->addr.s, '\n', s->addr.len) &&
         !memchr(s->addr.s, '\r', s->addr.len);
}

static void read_envelope(struct session *s)
{
  int ok = read_addr(s);
  if (str_copyb(&s->sender, s->addr.s, s->addr.len) < 0) die_nomem(s);
  if (!ok && s->fail == R_QUEUED) s->fail = R_BADADDR;
  if (s->fail == R_QUEUED && qq_from(&s->qq, s->addr.s) < 0) die_nomem(s);
  while (s->left) {
    ok = read_addr(s);
    if (!ok && s->fail == R_QUEUED) s->fail = R_BADADDR;
    if (++s->rcpts > RCPTS_MAX && s->fail == R_QUEUED) s->fail = R_TOOMANY;
    if (s->fail != R_QUEUED) continue;
    if (qq_to(&s->qq, s->addr.s) < 0) die_nomem(s);
    if (str_catb(&s->rcptlist, s->addr.s, s->addr.len + 1) < 0) die_nomem(s);
  }
  if (!s->rcpts && s->fail == R_QUEUED) s->fail = R_NORCPT;
}

/* hand the message over (or not); the response into s->result */
static void finish(struct session *s)
{
  int code;
  if (s->fail != R_QUEUED) {
    drop(s);
    if (str_copys(&s->result, replies[s->fail]) < 0) die_nomem(s);
    return;
  }
  s->qqopen = 0;
  code = qq_close(&s->qq);
  s->result.len = 0;
  if (code < 0) {
    if (str_copys(&s->result, replies[R_NOWAIT]) < 0) die_nomem(s);
  } else if (code == QQ_OK) {
    if (str_catf(&s->result, "Kok %lu qp %lu", (unsigned long)time(0), (unsigned long)s->qq.pid) < 0)
      die_nomem(s);
  } else if (str_catf(&s->result, "%c%s (#%s)", qq_temporary(code) ? 'Z' : 'D', qq_text(code),
                      qq_temporary(code) ? SMTP_ESC_QUEUE_TEMP : SMTP_ESC_QUEUE_PERM) < 0) {
    die_nomem(s);
  }
}

static void detail(struct str *d, const char *key, const char *value, int angle)
{
  if (str_catc(d, ' ') < 0 || str_cats(d, key) < 0 || str_cats(d, angle ? "=<" : "=") < 0 ||
      smtp_clean(d, value, ADDR_MAX) < 0 || (angle && str_catc(d, '>') < 0))
    diag_nomem();
}

/* one line in smtpd's format: "qmqpd: pid PID from IP: accepted
 * from=<S> to=<R>... size=N qp=PID", or "rejected ... reason=TEXT" */
static void log_package(struct session *s)
{
  struct str l = STR_ZERO;
  size_t pos = 0;
  const char *r;
  int ok = s->result.s[0] == 'K';
  if (str_catf(&l, "%s: pid %ld from ", diag_prog(), (long)getpid()) < 0 ||
      smtp_clean(&l, s->remoteip, 64) < 0 || str_cats(&l, ok ? ": accepted" : ": rejected") < 0)
    diag_nomem();
  detail(&l, "from", s->sender.s ? s->sender.s : "", 1);
  while ((r = control_next(&s->rcptlist, &pos))) detail(&l, "to", r, 1);
  if (str_catf(&l, " size=%llu", s->bytes) < 0) diag_nomem();
  if (ok && str_catf(&l, " qp=%lu", (unsigned long)s->qq.pid) < 0) diag_nomem();
  if (!ok) detail(&l, "reason", s->result.s + 1, 0);
  if (str_catc(&l, '\n') < 0) diag_nomem();
  (void)!write(2, l.s, l.len);
  str_free(&l);
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
  int r;

  diag_init("qmqpd");
  if (argc > 1) diag_usage("");
  signal(SIGPIPE, SIG_IGN);
  s.deadline = time(0) + SESSION_MAX;
  s.remoteip = env_or("TCPREMOTEIP", "unknown");
  s.remotehost = env_or("TCPREMOTEHOST", "unknown");
  s.qqprog = env_or("QMAILQUEUE", 0);
  if (!s.qqprog) {
    if (home_path(home, "bin/queue-writer", qpath, sizeof qpath) < 0) die_home(home);
    s.qqprog = qpath;
  }
  if (chdir(home) < 0) die_home(home);
  load_control(&s);
  buf_init(&s.in, 0, s.inspace, sizeof s.inspace);
  buf_transport(&s.in, net_read, &s);
  buf_init(&s.out, 1, s.outspace, sizeof s.outspace);
  s.out.timeout = s.timeout;

  r = ns_getlen(&s.in, PACKAGE_MAX, &s.left);
  if (r == 0) return EXIT_OK_;          /* connected and left: nothing to do */
  if (r < 0) die_input(&s);
  start(&s);
  read_message(&s);
  read_envelope(&s);
  if (ns_getcomma(&s.in) < 0) die_input(&s);
  finish(&s);
  if (ns_put(&s.out, s.result.s, s.result.len) < 0 || buf_flush(&s.out) < 0) die_write(&s);
  log_package(&s);
  return EXIT_OK_;
}
