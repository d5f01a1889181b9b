/* maildir-smtp: push a Maildir of held mail to a host over SMTP
 * (serialmail's maildirsmtp), for sites on an intermittent link.
 *
 *   maildir-smtp [-t SECONDS] MAILDIR PREFIX HOST[:PORT] [HELOHOST]
 *
 * Each message in MAILDIR/new and MAILDIR/cur, oldest first, must start
 * with a Return-Path line (the envelope sender) and a Delivered-To line
 * (the envelope recipient, which must start with PREFIX; the prefix is
 * removed), as deliver-local writes them. Both lines are dropped and the
 * rest goes to HOST (a name looked up for AAAA and A records, an IP
 * address or an [address literal]; port 25 unless given; "-" for an
 * SMTP server already on fds 0 and 1, as under tcpserver) in one SMTP
 * session, one transaction per message. A message is removed only after
 * 250 for its data; a permanent refusal bounces it to its sender through
 * the queue (QMAILQUEUE, else HOME/bin/queue-writer) and then removes it;
 * a temporary one leaves it for the next run. Messages that do not start
 * as described are left alone with a warning.
 *
 * Reads control/me (the bounce's host and the default HELOHOST) under
 * QUAIL_HOME; QUAIL_RESOLVCONF as deliver-remote(8). One line per
 * message on fd 2.
 * Exit codes: 0 every message was delivered or bounced; 100 usage;
 * 111 a message is still there (temporary failure, no connection). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "bounce.h"
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "esc.h"
#include "dns.h"
#include "exitcode.h"
#include "home.h"
#include "maildir.h"
#include "qq.h"
#include "smtpc.h"
#include "str.h"

#define TIMEOUT_DEFAULT 1200       /* seconds for a connect and each reply */
#define TIMEOUT_MAX     86400
#define HEAD_LINE_MAX   2000       /* the Return-Path and Delivered-To lines */
#define READ_SIZE       65536
#define PORT_SMTP       25
#define USAGE "[-t SECONDS] MAILDIR PREFIX HOST[:PORT] [HELOHOST]"

struct session {
  struct buf in, out;
  char inspace[BUF_SIZE], outspace[READ_SIZE];
  struct smtpc_reply rep;
  int timeout;
  const char *prefix;
  struct str helo, me, sender, rcpt, text, arg;
  int left;                         /* messages not done */
};

/* ---- failures ---- */

static void __attribute__((noreturn)) die_home(void)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory", (char *)0);
}
static void __attribute__((noreturn)) die_control(const char *f)
{
  diag_diesys(EXIT_TEMP, "unable to read control/", f, (char *)0);
}
static void __attribute__((noreturn)) die_list(const char *dir)
{
  diag_diesys(EXIT_TEMP, "unable to list the Maildir ", dir, (char *)0);
}
static void __attribute__((noreturn)) die_dns(const char *host, int r)
{
  diag_die(r == DNS_SOFT ? EXIT_TEMP : EXIT_PERM, "unable to find ", host, ": ", dns_text(r), (char *)0);
}
static void __attribute__((noreturn)) die_connect(const char *host)
{
  diag_diesys(EXIT_TEMP, "unable to connect to ", host, (char *)0);
}
static void __attribute__((noreturn)) die_session(const char *what)
{
  diag_die(EXIT_TEMP, "SMTP session failed: ", what, (char *)0);
}
static void __attribute__((noreturn)) die_lost(void)
{
  diag_diesys(EXIT_TEMP, "lost the connection", (char *)0);
}

/* ---- the connection ---- */


/* HOST[:PORT] ("[literal]:PORT" too): a connected socket */
static int open_host(const char *arg, int timeout)
{
  static struct dns_targets t;
  char host[DNS_NAME_MAX];
  const char *close_br = arg[0] == '[' ? strchr(arg, ']') : 0;
  const char *colon = strrchr(close_br ? close_br : arg, ':');
  unsigned long port = PORT_SMTP;
  struct dns *d;
  size_t i, n;
  int r, fd = -1;
  if (colon && !close_br && strchr(arg, ':') != colon) colon = 0;   /* a bare IPv6 address */
  n = colon ? (size_t)(colon - arg) : strlen(arg);
  if (n >= sizeof host || (colon && (!scan_ulong(colon + 1, &port) || !port || port > 65535))) diag_usage(USAGE);
  memcpy(host, arg, n);
  host[n] = 0;
  if (!(d = dns_open(getenv("QUAIL_RESOLVCONF") && *getenv("QUAIL_RESOLVCONF") ? getenv("QUAIL_RESOLVCONF") : 0)))
    diag_diesys(EXIT_TEMP, "unable to set up the DNS resolver", (char *)0);
  r = dns_host(d, host, &t);
  dns_close(d);
  if (r != DNS_OK) die_dns(host, r);
  for (i = 0; i < t.n && fd < 0; i++) fd = dns_connect(&t.t[i], port, timeout);
  if (fd < 0) die_connect(arg);
  return fd;
}

static unsigned reply(struct session *s)
{
  int r = smtpc_reply(&s->in, &s->rep);
  if (r < 0) die_lost();
  return (unsigned)r;
}

static unsigned ask(struct session *s, const char *verb, const struct str *arg)
{
  if (buf_puts(&s->out, verb) < 0 || (arg && buf_putstr(&s->out, arg) < 0) ||
      buf_puts(&s->out, "\r\n") < 0 || buf_flush(&s->out) < 0) die_lost();
  return reply(s);
}

static void hello(struct session *s)
{
  unsigned code = reply(s);
  if (code != 220) die_session("the server did not greet us with 220");
  code = ask(s, "EHLO ", &s->helo);
  if (code != 250) code = ask(s, "HELO ", &s->helo);
  if (code != 250) die_session("the server refused our HELO");
}

/* ---- one message ---- */

/* the value of header line "Name: value\n" at the start of the buffer */
static int head_line(struct buf *b, const char *name, struct str *val)
{
  struct str line = STR_ZERO;
  size_t n = strlen(name), i;
  int r = buf_getline(b, &line, HEAD_LINE_MAX);
  val->len = 0;
  if (r != 1 || line.len <= n || !case_equalb(line.s, n, name)) { str_free(&line); return -1; }
  for (i = n; i < line.len && (line.s[i] == ' ' || line.s[i] == '\t'); i++) {}
  while (line.len > i && (line.s[line.len - 1] == '\n' || line.s[line.len - 1] == '\r')) line.len--;
  r = str_catb(val, line.s + i, line.len - i);
  str_free(&line);
  if (r < 0 || str_0(val) < 0) diag_nomem();
  return 0;
}

/* the envelope from the first two lines; -1 when they are not there */
static int envelope(struct session *s, struct buf *m)
{
  size_t pl = strlen(s->prefix);
  if (head_line(m, "Return-Path:", &s->sender) < 0) return -1;
  if (s->sender.len < 2 || s->sender.s[0] != '<' || s->sender.s[s->sender.len - 1] != '>') return -1;
  memmove(s->sender.s, s->sender.s + 1, s->sender.len - 2);
  s->sender.len -= 2;
  if (str_0(&s->sender) < 0) diag_nomem();
  if (head_line(m, "Delivered-To:", &s->rcpt) < 0) return -1;
  if (s->rcpt.len <= pl || !case_equalb(s->rcpt.s, pl, s->prefix)) return -1;
  memmove(s->rcpt.s, s->rcpt.s + pl, s->rcpt.len - pl + 1);
  s->rcpt.len -= pl;
  return 0;
}

static void send_data(struct session *s, struct buf *m, int fd)
{
  char piece[READ_SIZE];
  struct smtpc_dot d;
  size_t held = buf_buffered(m);
  smtpc_dot_init(&d);
  if (held) {   /* what the envelope's reading left in the buffer */
    ssize_t r = buf_get(m, piece, held);
    if (r > 0 && smtpc_dot_put(&d, &s->out, piece, (size_t)r) < 0) die_lost();
  }
  for (;;) {
    ssize_t r = fd_read_retry(fd, piece, sizeof piece);
    if (r < 0) diag_diesys(EXIT_TEMP, "unable to read a message", (char *)0);
    if (r == 0) break;
    if (smtpc_dot_put(&d, &s->out, piece, (size_t)r) < 0) die_lost();
  }
  if (smtpc_dot_end(&d, &s->out) < 0 || buf_flush(&s->out) < 0) die_lost();
}

/* MAIL, RCPT, DATA: the code that decides the message's fate */
static unsigned transaction(struct session *s, struct buf *m, int fd)
{
  unsigned code;
  s->arg.len = 0;
  if (str_catc(&s->arg, '<') < 0 || (s->sender.len && addr_quote(&s->arg, s->sender.s) < 0) ||
      str_catc(&s->arg, '>') < 0) diag_nomem();
  if ((code = ask(s, "MAIL FROM:", &s->arg)) != 250) return code;
  s->arg.len = 0;
  if (str_catc(&s->arg, '<') < 0 || addr_quote(&s->arg, s->rcpt.s) < 0 || str_catc(&s->arg, '>') < 0) diag_nomem();
  code = ask(s, "RCPT TO:", &s->arg);
  if (code < 200 || code >= 300) return code;
  if ((code = ask(s, "DATA", 0)) != 354) return code;
  send_data(s, m, fd);
  return reply(s);
}

/* a permanent failure goes back to the sender as a bounce: 0 when queued */
static int bounce(struct session *s, const char *path, int fd, const struct stat *st)
{
  struct bounce b;
  struct str head = STR_ZERO, tail = STR_ZERO, from = STR_ZERO, fails = STR_ZERO, qprog = STR_ZERO, why = STR_ZERO;
  char status[ESC_MAX];
  struct qq q;
  char in[READ_SIZE];
  const char *env = getenv("QMAILQUEUE");
  int code;
  if (!s->sender.len) return 0;   /* a bounce of a bounce: nobody to tell */
  if (str_catf(&from, "MAILER-DAEMON@%s", s->me.s) < 0 ||
      str_cats(&why, "Remote host said: ") < 0 || str_catb(&why, s->rep.text.s, s->rep.text.len) < 0)
    diag_nomem();
  (void)esc_report(why.s, why.len, status);
  if (bounce_fail(&fails, s->rcpt.s, status, why.s, why.len) < 0) diag_nomem();
  memset(&b, 0, sizeof b);
  b.host = s->me.s; b.from = from.s; b.to = s->sender.s; b.sender = s->sender.s;
  b.arrival = st->st_mtime; b.now = time(0); b.id = (unsigned long)st->st_ino; b.fails = &fails;
  b.full = st->st_size <= BOUNCE_FULL_MAX;
  if (bounce_head(&head, &b) < 0 || bounce_tail(&tail, &b) < 0) diag_nomem();
  if (env && *env) str_cats(&qprog, env);
  else str_catf(&qprog, "%s/bin/queue-writer", home_dir(getenv("QUAIL_HOME")));
  if (str_0(&qprog) < 0 || qq_open(&q, qprog.s) < 0) { diag_warnsys("unable to run ", qprog.s, (char *)0); return -1; }
  qq_put(&q, head.s, head.len);
  if (lseek(fd, 0, SEEK_SET) == 0)
    for (;;) {
      ssize_t r = fd_read_retry(fd, in, sizeof in);
      if (r <= 0) break;
      qq_put(&q, in, (size_t)r);
    }
  qq_put(&q, tail.s, tail.len);
  qq_from(&q, "");
  qq_to(&q, s->sender.s);
  code = qq_close(&q);
  if (code) diag_warn("unable to queue the bounce for ", path, ": ", qq_text(code), (char *)0);
  str_free(&head); str_free(&tail); str_free(&from); str_free(&fails); str_free(&qprog); str_free(&why);
  return code ? -1 : 0;
}

static void outcome(const char *path, const char *what, const struct str *text)
{
  char t[SMTPC_TEXT_MAX + 1];
  size_t n = text->len < SMTPC_TEXT_MAX ? text->len : SMTPC_TEXT_MAX, i;
  for (i = 0; i < n; i++) t[i] = text->s[i] == '\n' ? ' ' : text->s[i];
  t[n] = 0;
  diag_warn(path, ": ", what, ": ", t, (char *)0);
}

static void one_message(struct session *s, const char *path)
{
  static char mspace[READ_SIZE];
  struct buf m;
  struct stat st;
  unsigned code;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { if (errno != ENOENT) { diag_warnsys("unable to open ", path, (char *)0); s->left++; } return; }
  buf_init(&m, fd, mspace, sizeof mspace);
  if (fstat(fd, &st) < 0 || envelope(s, &m) < 0) {
    diag_warn(path, ": skipped: no Return-Path and Delivered-To lines with the prefix", (char *)0);
    s->left++;
    close(fd);
    return;
  }
  code = transaction(s, &m, fd);
  if (code >= 200 && code < 300) { outcome(path, "delivered", &s->rep.text); if (unlink(path) < 0) s->left++; }
  else if (code >= 500 && bounce(s, path, fd, &st) == 0) { outcome(path, "bounced", &s->rep.text); unlink(path); }
  else { outcome(path, "deferred", &s->rep.text); s->left++; }
  if (code >= 300 && code != 354 && ask(s, "RSET", 0) != 250) die_session("RSET refused");
  close(fd);
}

/* ---- main ---- */

static int options(int argc, char **argv, int *timeout)
{
  int i = 1;
  unsigned long t;
  if (argc > 2 && !strcmp(argv[1], "-t")) {
    if (!scan_ulong(argv[2], &t) || !t || t > TIMEOUT_MAX) diag_usage(USAGE);
    *timeout = (int)t;
    i = 3;
  }
  if (argc - i < 3 || argc - i > 4) diag_usage(USAGE);
  return i;
}

int main(int argc, char **argv)
{
  static struct session s;
  struct maildir_list l = MAILDIR_LIST_ZERO;
  char *dir;
  const char *host;
  int timeout = TIMEOUT_DEFAULT, rfd = 0, wfd = 1, a;
  size_t i;

  diag_init("maildir-smtp");
  signal(SIGPIPE, SIG_IGN);
  a = options(argc, argv, &timeout);
  dir = realpath(argv[a], 0);   /* the list's paths must outlive the chdir */
  if (!dir) die_list(argv[a]);
  s.prefix = argv[a + 1];
  host = argv[a + 2];
  if (maildir_list(dir, &l) < 0) die_list(dir);
  if (chdir(home_dir(getenv("QUAIL_HOME"))) < 0) die_home();
  if (control_readline("control/me", &s.me, "localhost") < 0) die_control("me");
  if (str_cats(&s.helo, argv[a + 3] ? argv[a + 3] : s.me.s) < 0) diag_nomem();
  if (!l.n) return EXIT_OK;
  if (strcmp(host, "-")) rfd = wfd = open_host(host, timeout);
  buf_init(&s.in, rfd, s.inspace, sizeof s.inspace);
  buf_init(&s.out, wfd, s.outspace, sizeof s.outspace);
  s.in.timeout = s.out.timeout = timeout;
  hello(&s);
  for (i = 0; i < l.n; i++) {
    one_message(&s, maildir_path(&l, i));
  }
  (void)ask(&s, "QUIT", 0);
  return s.left ? EXIT_TEMP : EXIT_OK;
}
