/* smtpd: the SMTP server (qmail-smtpd), a tcpserver child.
 *
 *   smtpd [checkpassword-program [args...]]
 *
 * Speaks SMTP (RFC 5321) with ESMTP's PIPELINING, 8BITMIME, SIZE,
 * ENHANCEDSTATUSCODES, SMTPUTF8, CHUNKING, STARTTLS and AUTH PLAIN/LOGIN on fd 0
 * (from the client) and fd 1 (to it), and hands each accepted message to
 * queue-writer, or to the program named by QMAILQUEUE, through lib/qq.h.
 * AUTH runs the checkpassword program given as arguments, with
 * user NUL password NUL NUL on its fd 3; exit 0 is success.
 *
 * Reads HOME/control/: me, smtpgreeting, rcpthosts, morercpthosts.cdb,
 * databytes, maxrcpt, timeoutsmtpd, smtpgreetdelay, badmailfrom(.cdb),
 * badrcptto(.cdb), servercert.pem, authplaintext, smtpnormalize,
 * rcptcheck (and users/rcpt.cdb: unknown local recipients refused at
 * RCPT, see newrcpt(8)),
 * etrndomains (ETRN, RFC 1985: a flush of the queue, and maildir-smtp
 * to the domain's own route in smtproutes, never to the asker),
 * spf (SPF at MAIL FROM: off, mark or reject; see quail-control(5)).
 * Environment: TCPREMOTEIP, TCPREMOTEHOST, RELAYCLIENT, AUTHPLAINTEXT,
 * QMAILQUEUE, QUAIL_HOME, QUAIL_RESOLVCONF (SPF's name servers),
 * SUBMISSION (message submission, RFC 6409: MAIL only after AUTH) and
 * SMTPS (implicit TLS, RFC 8314: the TLS handshake before the greeting).
 * Sets QUAIL_SPF and QUAIL_SPF_DOMAIN for the queue program (auth-check).
 * Writes one log line per transaction (and per refusal) to fd 2.
 *
 *
 * Two builds of this file: smtpd-tls, the whole of it, and smtpd
 * (-DSMTPD_LEAN: static with musl, no TLS or SPF library, so it starts in
 * a third of the time). The lean one execs bin/smtpd-tls with the same
 * arguments when a session needs what it lacks: at STARTTLS, after the
 * command is read (QUAIL_SMTPD_STARTTLS=1 tells smtpd-tls to answer it
 * and start TLS at once; the session resets at STARTTLS anyway), and
 * before the greeting when control/spf asks for SPF.
 *
 * Exit codes: 0 the session ended (QUIT, or the client went away);
 * 100 usage, or we hung up on a misbehaving client; 111 a temporary
 * failure (control files, memory, time-out, network). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "b64.h"
#include "buf.h"
#include "cmdline.h"
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "qq.h"
#include "rcptcheck.h"
#include "relay.h"
#include "smtp.h"
#include "spf.h"
#include "str.h"
#include "tlsx.h"

#define COMMAND_MAX      1000        /* a command line, CRLF included */
#define DATA_LINE_MAX    65536       /* a message line (RFC 5321 says 1000; mail breaks it) */
#define HEADERS_MAX      1000        /* header fields in one message */
#define HOPS_MAX         100         /* Received fields: more is a mail loop */
#define BAD_MAX          10          /* unknown or malformed commands before we hang up */
#define AUTH_FAILS_MAX   3
#define AUTH_FIELD_MAX   512         /* a user name or password */
#define AUTH_TIMEOUT     60          /* seconds for the checkpassword program */
#define MAXRCPT_DEFAULT  1000
#define TIMEOUT_DEFAULT  1200
#define TIMEOUT_MAX      86400       /* longer settings are cut to this */
#define GREETDELAY_MAX   60
#define PATH_MAX_HOME    4096

enum spf_mode { SPF_OFF, SPF_MARK, SPF_REJECT };

/* control/ as read once at the start */
struct config {
  struct str me, greeting;
  struct relay relay;           /* rcpthosts, badmailfrom, badrcptto, RELAYCLIENT */
  struct rcptcheck rcpt;        /* users/rcpt.cdb: which local recipients exist */
  unsigned long databytes, maxrcpt, timeout, greetdelay;
  int normalize, authplain;
  int spf;                      /* enum spf_mode, from control/spf */
};

/* the message being received */
struct incoming {
  struct qq q;
  int queue_open;               /* q is running */
  int queue_failed;             /* q could not be started */
  struct smtp_data d;
  struct str chunk;             /* decoded bytes on their way to q */
};

struct session {
  struct buf in, out;
  char inspace[BUF_SIZE], outspace[BUF_SIZE];
  struct config cf;
  const char *ip, *host;
  char qqprog[PATH_MAX_HOME];
  char **checkpw;               /* argv of the checkpassword program, or 0 */
  struct tlsx tls;
  int tls_on;
  struct str tls_info;          /* "TLSv1.3 CIPHER" */
  int submission;               /* SUBMISSION: no mail without AUTH */
  struct str helo;
  int esmtp;
  int prestarted;               /* a writer was started for this transaction */
  struct str auth_user;         /* empty when not authenticated */
  struct spf *spf;              /* opened at the first check */
  struct str spf_header;        /* Received-SPF for this transaction, or empty */
  unsigned bad, authfails;
  /* the transaction */
  int have_mail, utf8;
  int chunking;                 /* BDAT has started the message */
  struct incoming msg;
  struct str sender, rcpts;     /* rcpts: NUL-separated */
  unsigned long nrcpt;
  /* scratch */
  struct str line, addr, reply, tmp, logline;
};

struct command {
  const char *verb;
  void (*run)(struct session *, const char *arg);
};

/* ---- failures ---- */

static void __attribute__((noreturn)) die_nomem(void) { diag_nomem(); }
static void __attribute__((noreturn)) die_home(void)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory", (char *)0);
}
static void __attribute__((noreturn)) die_write(void)
{
  diag_diesys(EXIT_TEMP, "unable to write to the client", (char *)0);
}
static void __attribute__((noreturn)) die_read(void)
{
  diag_diesys(EXIT_TEMP, "unable to read from the client", (char *)0);
}
static void __attribute__((noreturn)) die_qqprog(void)
{
  diag_die(EXIT_TEMP, "the queue program's name is too long", (char *)0);
}
static void __attribute__((noreturn)) die_gone(void) { _exit(EXIT_OK); }

/* ---- output: replies and log lines ---- */

static void send_reply(struct session *s, unsigned code, int more, const char *esc, const char *text)
{
  s->reply.len = 0;
  if (smtp_reply(&s->reply, code, more, esc, text) < 0) die_nomem();
  if (buf_putstr(&s->out, &s->reply) < 0) die_write();
}

static void reply(struct session *s, unsigned code, const char *esc, const char *text)
{
  send_reply(s, code, 0, esc, text);
}

static void flush(struct session *s)
{
  if (buf_flush(&s->out) < 0) die_write();
}

/* "smtpd: pid P from IP: EVENT DETAIL" on fd 2, for svlogd */
static void log_event(struct session *s, const char *event, const char *detail)
{
  struct str *l = &s->logline;
  l->len = 0;
  if (str_cats(l, diag_prog()) < 0 || str_catf(l, ": pid %ld from ", (long)getpid()) < 0 ||
      smtp_clean(l, s->ip, 64) < 0 || str_cats(l, ": ") < 0 || str_cats(l, event) < 0)
    die_nomem();
  if (detail && *detail && (str_catc(l, ' ') < 0 || smtp_clean(l, detail, 4000) < 0)) die_nomem();
  if (str_catc(l, '\n') < 0) die_nomem();
  (void)!write(2, l->s, l->len);
}

/* reply, log and hang up: the session cannot go on */
static void __attribute__((noreturn)) hangup(struct session *s, unsigned code, const char *esc,
                                             const char *text, const char *event, int exitcode)
{
  reply(s, code, esc, text);
  buf_flush(&s->out);
  log_event(s, event, 0);
  _exit(exitcode);
}

static void __attribute__((noreturn)) die_timeout(struct session *s)
{
  hangup(s, 421, ESC_TEMP(ESC_CONNECTION), "timeout; closing connection", "timeout", EXIT_TEMP);
}

/* a read failed: time-out, or the network */
static void __attribute__((noreturn)) die_input(struct session *s)
{
  if (errno == ETIMEDOUT) die_timeout(s);
#ifndef SMTPD_LEAN
  if (errno == EPROTO && s->tls_on) log_event(s, "tls error", tlsx_error(&s->tls));
#endif
  die_read();
}

/* ---- small helpers ---- */

static const char *env_or(const char *name, const char *def)
{
  const char *v = getenv(name);
  return v ? v : def;
}

static void consume(struct buf *b, size_t n)
{
  b->p += n;
  b->n -= n;
}

/* "KEY=VALUE" details for log lines, the value cleaned */
static void detail(struct str *d, const char *key, const char *value)
{
  if (d->len && str_catc(d, ' ') < 0) die_nomem();
  if (str_cats(d, key) < 0 || str_catc(d, '=') < 0 || smtp_clean(d, value, 1000) < 0) die_nomem();
}

static void detail_addr(struct str *d, const char *key, const char *addr)
{
  if (d->len && str_catc(d, ' ') < 0) die_nomem();
  if (str_cats(d, key) < 0 || str_cats(d, "=<") < 0 || smtp_clean(d, addr, ADDR_MAX) < 0 ||
      str_catc(d, '>') < 0)
    die_nomem();
}

/* ---- configuration ---- */

static int read_flag(const char *path, int *flag)
{
  struct str x = STR_ZERO;
  int r = control_readline(path, &x, 0);
  str_free(&x);
  *flag = r == 1;
  return r < 0 ? -1 : 0;
}

/* control/spf: "off" (or missing), "mark", or "reject" */
static int read_spf_mode(const char *path, int *mode)
{
  struct str x = STR_ZERO;
  int r = control_readline(path, &x, "off");
  *mode = SPF_OFF;
  if (r >= 0 && !strcmp(x.s, "mark")) *mode = SPF_MARK;
  if (r >= 0 && !strcmp(x.s, "reject")) *mode = SPF_REJECT;
  str_free(&x);
  return r < 0 ? -1 : 0;
}

/* every control file; on failure *bad names the one that could not be read */
static int load_config(struct config *c, const char **bad)
{
  if (control_readline(*bad = "control/me", &c->me, "localhost") < 0) return -1;
  if (control_readline(*bad = "control/smtpgreeting", &c->greeting, c->me.s) < 0) return -1;
  if (relay_load(&c->relay, bad) < 0 || relay_load_bad(&c->relay, bad) < 0) return -1;
  if (rcptcheck_load(&c->rcpt, c->me.s, bad) < 0) return -1;
  if (control_readulong(*bad = "control/databytes", &c->databytes, SMTP_DATABYTES_DEFAULT) < 0) return -1;
  if (control_readulong(*bad = "control/maxrcpt", &c->maxrcpt, MAXRCPT_DEFAULT) < 0) return -1;
  if (control_readulong(*bad = "control/timeoutsmtpd", &c->timeout, TIMEOUT_DEFAULT) < 0) return -1;
  if (control_readulong(*bad = "control/smtpgreetdelay", &c->greetdelay, 0) < 0) return -1;
  if (read_flag(*bad = "control/smtpnormalize", &c->normalize) < 0) return -1;
  if (read_flag(*bad = "control/authplaintext", &c->authplain) < 0) return -1;
  if (read_spf_mode(*bad = "control/spf", &c->spf) < 0) return -1;
  if (!c->timeout) c->timeout = TIMEOUT_DEFAULT;
  if (c->timeout > TIMEOUT_MAX) c->timeout = TIMEOUT_MAX;
  if (c->greetdelay > GREETDELAY_MAX) c->greetdelay = GREETDELAY_MAX;
  return 0;
}

/* ---- the transaction ---- */

static void stop_queue(struct incoming *);
static void prestart_writer(struct session *);

static void reset_transaction(struct session *s)
{
  stop_queue(&s->msg);
  s->have_mail = s->utf8 = s->chunking = s->prestarted = 0;
  s->sender.len = 0;
  s->spf_header.len = 0;
  s->rcpts.len = 0;
  s->nrcpt = 0;
}

#ifndef SMTPD_LEAN
/* forget everything the client told us (after STARTTLS) */
static void reset_session(struct session *s)
{
  reset_transaction(s);
  s->helo.len = 0;
  s->esmtp = 0;
  s->auth_user.len = 0;
}
#endif

static const char *protocol(const struct session *s)
{
  static const char *const names[8] = {
    "ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA", "UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA"
  };
  if (!s->esmtp) return "SMTP";
  return names[(s->utf8 ? 4 : 0) + (s->tls_on ? 2 : 0) + (s->auth_user.len ? 1 : 0)];
}

/* ---- reading from the client ---- */

/* one command line, CRLF removed; hangs up on the client for junk */
static void read_line(struct session *s)
{
  int r;
  if (!cmdline_waiting(&s->in)) { flush(s); prestart_writer(s); }
  r = cmdline_get(&s->in, &s->line, COMMAND_MAX);
  if (r < 0) die_input(s);
  if (r == 0) { log_event(s, "disconnected", 0); die_gone(); }
  if (r == 2)
    hangup(s, 500, ESC_PERM(ESC_BAD_SYNTAX), "line too long; closing connection", "line too long", EXIT_PERM);
}

/* a bad command: count it, hang up after too many */
static void bad_command(struct session *s, unsigned code, const char *esc, const char *text)
{
  if (++s->bad > BAD_MAX)
    hangup(s, 421, ESC_TEMP(ESC_SECURITY), "too many bad commands; closing connection",
           "too many bad commands", EXIT_PERM);
  reply(s, code, esc, text);
}

/* NUL or a bare CR inside a command line */
static int line_clean(const struct str *line)
{
  return !memchr(line->s, 0, line->len) && !memchr(line->s, '\r', line->len);
}

/* ---- HELO, EHLO and the simple commands ---- */

static int take_helo(struct session *s, const char *arg)
{
  if (!*arg) {
    reply(s, 501, ESC_PERM(ESC_BAD_PARAM), "HELO and EHLO need a domain name");
    return -1;
  }
  reset_transaction(s);
  if (str_copys(&s->helo, arg) < 0) die_nomem();
  return 0;
}

static void cmd_helo(struct session *s, const char *arg)
{
  if (take_helo(s, arg) < 0) return;
  s->esmtp = 0;
  reply(s, 250, 0, s->cf.me.s);
}

static int auth_offered(const struct session *s)
{
  return s->checkpw && !s->auth_user.len && (s->tls_on || s->cf.authplain || getenv("AUTHPLAINTEXT"));
}

static void cmd_ehlo(struct session *s, const char *arg)
{
  struct str *t = &s->tmp;
  if (take_helo(s, arg) < 0) return;
  s->esmtp = 1;
  t->len = 0;
  if (str_cats(t, s->cf.me.s) < 0 || str_cats(t, " Hello ") < 0 || smtp_clean(t, arg, 255) < 0 ||
      str_cats(t, " [") < 0 || smtp_clean(t, s->ip, 64) < 0 || str_catc(t, ']') < 0)
    die_nomem();
  send_reply(s, 250, 1, 0, t->s);
  send_reply(s, 250, 1, 0, "PIPELINING");
  send_reply(s, 250, 1, 0, "8BITMIME");
  t->len = 0;
  if (str_cats(t, "SIZE") < 0 || (s->cf.databytes && str_catf(t, " %lu", s->cf.databytes) < 0)) die_nomem();
  send_reply(s, 250, 1, 0, t->s);
  send_reply(s, 250, 1, 0, "ENHANCEDSTATUSCODES");
  send_reply(s, 250, 1, 0, "SMTPUTF8");
  send_reply(s, 250, 1, 0, "CHUNKING");
  send_reply(s, 250, 1, 0, "ETRN");
  if (!s->tls_on && access("control/servercert.pem", R_OK) == 0) send_reply(s, 250, 1, 0, "STARTTLS");
  if (auth_offered(s)) send_reply(s, 250, 1, 0, "AUTH PLAIN LOGIN");
  send_reply(s, 250, 0, 0, "HELP");
}

static void cmd_rset(struct session *s, const char *arg)
{
  if (*arg) { reply(s, 501, ESC_PERM(ESC_BAD_PARAM), "RSET takes no argument"); return; }
  reset_transaction(s);
  reply(s, 250, ESC_OK(ESC_OTHER), "ok");
}

static void cmd_noop(struct session *s, const char *arg) { reply(s, 250, ESC_OK(ESC_OTHER), "ok"); }

static void cmd_quit(struct session *s, const char *arg)
{
  struct str *t = &s->tmp;
  t->len = 0;
  if (str_cats(t, s->cf.me.s) < 0 || str_cats(t, " closing connection") < 0) die_nomem();
  reset_transaction(s);
  reply(s, 221, ESC_OK(ESC_OTHER), t->s);
  flush(s);
  _exit(EXIT_OK);
}

static void cmd_help(struct session *s, const char *arg)
{
  send_reply(s, 214, 1, ESC_OK(ESC_OTHER), "quail smtpd: RFC 5321 with ESMTP");
  send_reply(s, 214, 0, ESC_OK(ESC_OTHER),
             "HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY STARTTLS AUTH ETRN");
}

/* VRFY tells nothing about who exists */
static void cmd_vrfy(struct session *s, const char *arg)
{
  reply(s, 252, ESC_OK(ESC_PROTOCOL), "cannot verify the user, but send some mail and I will try");
}

static void cmd_expn(struct session *s, const char *arg)
{
  reply(s, 502, ESC_PERM(ESC_BAD_COMMAND), "EXPN is not available");
}

/* ---- MAIL ---- */

/* "FROM:" or "TO:" before the path; the rest after it, or 0 */
static const char *after_prefix(const char *arg, const char *prefix)
{
  if (!case_starts(arg, prefix)) return 0;
  return arg + strlen(prefix);
}

/* the ESMTP parameters of MAIL: 0 ok, or -1 with the reply sent */
static int mail_params(struct session *s, const char *p, int *utf8)
{
  const char *k, *v;
  size_t kl, vl;
  int r;
  *utf8 = 0;
  while ((r = smtp_param(&p, &k, &kl, &v, &vl)) == 1) {
    unsigned long size;
    if (!s->esmtp) break;
    if (case_equalb(k, kl, "SIZE") && v && scan_ulong(v, &size) == (int)vl) {
      if (s->cf.databytes && size > s->cf.databytes) {
        reply(s, 552, ESC_PERM(ESC_TOO_BIG), "message size exceeds the fixed maximum message size");
        return -1;
      }
    } else if (case_equalb(k, kl, "BODY") && v &&
               (case_equalb(v, vl, "7BIT") || case_equalb(v, vl, "8BITMIME"))) {
    } else if (case_equalb(k, kl, "SMTPUTF8") && !v) {
      *utf8 = 1;
    } else if (!case_equalb(k, kl, "AUTH")) {
      break;
    }
  }
  if (r == 0) return 0;
  reply(s, 555, ESC_PERM(ESC_BAD_PARAM), "unsupported or malformed MAIL parameter");
  return -1;
}

static void refuse(struct session *s, const char *what, const char *addr, const char *why)
{
  struct str d = STR_ZERO;
  detail_addr(&d, what, addr);
  detail(&d, "reason", why);
  log_event(s, "refused", d.s);
  str_free(&d);
}

#ifdef SMTPD_LEAN
/* never on here: main() hands sessions with SPF to smtpd-tls */
static int check_spf(struct session *s)
{
  unsetenv("QUAIL_SPF");
  unsetenv("QUAIL_SPF_DOMAIN");
  return 0;
}
#else
/* the result for the queue program (auth-check reads it for DMARC) */
static void export_spf(struct session *s, enum spf_result r)
{
  const char *at = strrchr(s->addr.s, '@');
  if (setenv("QUAIL_SPF", spf_name(r), 1) < 0) die_nomem();
  if (setenv("QUAIL_SPF_DOMAIN", at ? at + 1 : s->helo.s, 1) < 0) die_nomem();
}

/* SPF at MAIL FROM (control/spf); relay clients and authenticated
 * sessions skip it. 0 go on, or -1 with the reply sent. */
static int check_spf(struct session *s)
{
  enum spf_result r;
  unsetenv("QUAIL_SPF");
  unsetenv("QUAIL_SPF_DOMAIN");
  if (s->cf.spf == SPF_OFF || s->cf.relay.client || s->auth_user.len) return 0;
  if (!s->spf && !(s->spf = spf_open(getenv("QUAIL_RESOLVCONF"), s->cf.me.s))) {
    if (errno == ENOMEM) die_nomem();
    diag_warnsys("unable to start SPF checks", (char *)0);
    r = SPF_R_TEMPERROR;
  } else if (spf_check(s->spf, s->ip, s->helo.s, s->addr.s, &r, &s->spf_header) < 0) {
    if (errno == ENOMEM) die_nomem();
    return 0;   /* an address SPF cannot check (TCPREMOTEIP unknown) */
  }
  export_spf(s, r);
  if (s->cf.spf != SPF_REJECT) return 0;
  if (r == SPF_R_FAIL) {
    refuse(s, "from", s->addr.s, "spf fail");
    reply(s, 550, ESC_PERM(ESC_SPF_FAIL), "SPF check failed: the sender's domain does not allow mail from this host");
    return -1;
  }
  if (r == SPF_R_TEMPERROR) {
    refuse(s, "from", s->addr.s, "spf temperror");
    reply(s, 451, ESC_TEMP(ESC_SPF_ERROR), "SPF check failed temporarily (DNS); try again later");
    return -1;
  }
  return 0;
}
#endif

static void cmd_mail(struct session *s, const char *arg)
{
  const char *p = after_prefix(arg, "FROM:"), *rest;
  int utf8, utf8_param, r;
  if (!s->helo.len) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "send HELO or EHLO first"); return; }
  if (s->have_mail) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "nested MAIL command"); return; }
  if (s->submission && !s->auth_user.len) {
    reply(s, 530, ESC_PERM(ESC_SECURITY), "authentication required");
    return;
  }
  if (!p) { reply(s, 501, ESC_PERM(ESC_BAD_SYNTAX), "syntax: MAIL FROM:<address>"); return; }
  if (smtp_path(p, &s->addr, &rest, &utf8) < 0) {
    if (errno == ENOMEM) die_nomem();
    reply(s, 501, ESC_PERM(ESC_BAD_SENDER), "bad sender address syntax");
    return;
  }
  if (s->addr.len && !addr_domain(s->addr.s)) {
    reply(s, 553, ESC_PERM(ESC_BAD_SENDER), "the sender address needs a domain");
    return;
  }
  if (mail_params(s, rest, &utf8_param) < 0) return;
  if (utf8 && !utf8_param) { reply(s, 553, ESC_PERM(ESC_NEED_UTF8), "non-ASCII address without SMTPUTF8"); return; }
  if (s->addr.len && (r = relay_badmailfrom(&s->cf.relay, s->addr.s)) != 0) {
    if (r < 0) { reply(s, 451, ESC_TEMP(ESC_SYSTEM), "temporary lookup failure; try again later"); return; }
    refuse(s, "from", s->addr.s, "badmailfrom");
    reply(s, 553, ESC_PERM(ESC_DENIED), "sender refused by policy");
    return;
  }
  if (check_spf(s) < 0) return;
  if (str_copyb(&s->sender, s->addr.s, s->addr.len) < 0) die_nomem();
  s->have_mail = 1;
  s->utf8 = utf8_param;
  reply(s, 250, ESC_OK(ESC_SENDER_OK), "sender ok");
}

/* ---- RCPT ---- */

/* the policy checks; 0 accepted, or -1 with the reply sent */
static int rcpt_policy(struct session *s)
{
  int bad = relay_badrcptto(&s->cf.relay, s->addr.s);
  int allowed = bad ? 0 : relay_allowed(&s->cf.relay, s->addr.s, s->auth_user.len != 0);
  if (bad < 0 || allowed < 0) {
    reply(s, 451, ESC_TEMP(ESC_SYSTEM), "temporary lookup failure; try again later");
  } else if (bad) {
    refuse(s, "rcpt", s->addr.s, "badrcptto");
    reply(s, 553, ESC_PERM(ESC_DENIED), "recipient refused by policy");
  } else if (allowed) {
    return 0;
  } else if (!s->cf.relay.have_rcpthosts) {
    refuse(s, "rcpt", s->addr.s, "control/rcpthosts is missing: refusing every recipient");
    reply(s, 451, ESC_TEMP(ESC_SYSTEM), "temporary configuration problem; try again later");
  } else {
    refuse(s, "rcpt", s->addr.s, "relaying denied");
    reply(s, 553, ESC_PERM(ESC_DENIED), "relaying denied: that domain is not in my list of allowed rcpthosts");
  }
  return -1;
}

/* no backscatter: a local recipient nobody would deliver to is refused
 * now (users/rcpt.cdb); relay clients are not checked. 0 or -1 replied */
static int rcpt_exists(struct session *s)
{
  int r;
  if (s->cf.relay.client || s->auth_user.len) return 0;
  if (s->cf.rcpt.mode == RCPTCHECK_ON && s->cf.rcpt.fd < 0) {
    diag_warn(RCPTCHECK_CDB " is missing: local recipients are not checked", (char *)0);
    s->cf.rcpt.mode = RCPTCHECK_AUTO;    /* once a session */
  }
  if ((r = rcptcheck_known(&s->cf.rcpt, s->addr.s)) > 0) return 0;
  if (r < 0) {
    reply(s, 451, ESC_TEMP(ESC_SYSTEM), "temporary lookup failure; try again later");
    return -1;
  }
  refuse(s, "rcpt", s->addr.s, "no such local recipient");
  reply(s, 550, ESC_PERM(ESC_NO_MAILBOX), "sorry, no mailbox here by that name");
  return -1;
}

static void cmd_rcpt(struct session *s, const char *arg)
{
  const char *p = after_prefix(arg, "TO:"), *rest;
  int utf8;
  if (!s->have_mail) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "send MAIL first"); return; }
  if (!p) { reply(s, 501, ESC_PERM(ESC_BAD_SYNTAX), "syntax: RCPT TO:<address>"); return; }
  if (smtp_path(p, &s->addr, &rest, &utf8) < 0) {
    if (errno == ENOMEM) die_nomem();
    reply(s, 501, ESC_PERM(ESC_BAD_RCPT), "bad recipient address syntax");
    return;
  }
  if (!s->addr.len) { reply(s, 501, ESC_PERM(ESC_BAD_RCPT), "bad recipient address syntax"); return; }
  if (relay_qualify(&s->addr, s->cf.me.s) < 0) {   /* <postmaster> is ours */
    if (errno == ENOMEM) die_nomem();
    reply(s, 553, ESC_PERM(ESC_BAD_RCPT), "the recipient address needs a domain");
    return;
  }
  while (*rest == ' ') rest++;
  if (*rest) { reply(s, 555, ESC_PERM(ESC_BAD_PARAM), "unsupported RCPT parameter"); return; }
  if (utf8 && !s->utf8) { reply(s, 553, ESC_PERM(ESC_NEED_UTF8), "non-ASCII address without SMTPUTF8"); return; }
  if (s->nrcpt >= s->cf.maxrcpt) { reply(s, 452, ESC_TEMP(ESC_TOO_MANY_RCPT), "too many recipients"); return; }
  if (rcpt_policy(s) < 0 || rcpt_exists(s) < 0) return;
  if (relay_append(&s->cf.relay, &s->addr) < 0) die_nomem();
  if (str_catb(&s->rcpts, s->addr.s, s->addr.len + 1) < 0) die_nomem();
  s->nrcpt++;
  reply(s, 250, ESC_OK(ESC_RCPT_OK), "recipient ok");
}

/* ---- DATA and BDAT ---- */

static void stop_queue(struct incoming *m)
{
  if (m->queue_open) qq_abort(&m->q);
  m->queue_open = 0;
}

/* the flags that make us refuse the message */
static int fatal_flags(const struct session *s, int flags)
{
  return smtp_data_fatal(flags, s->cf.normalize);
}

static void put_received(struct session *s, struct incoming *m)
{
  struct smtp_received r;
  r.helo = s->helo.s;
  r.host = s->host;
  r.ip = s->ip;
  r.me = s->cf.me.s;
  r.proto = protocol(s);
  r.tls = s->tls_on ? s->tls_info.s : 0;
  r.auth = s->auth_user.len ? s->auth_user.s : 0;
  r.when = time(0);
  m->chunk.len = 0;
  if (smtp_received(&m->chunk, &r) < 0) die_nomem();
  if (s->spf_header.len && str_catb(&m->chunk, s->spf_header.s, s->spf_header.len) < 0) die_nomem();
  qq_put(&m->q, m->chunk.s, m->chunk.len);
}

/* start queue-writer: 0, or -1 */
static int start_writer(struct session *s)
{
  struct incoming *m = &s->msg;
  /* the queue program (a filter such as dkim-sign) learns who authenticated */
  if (s->auth_user.len) {
    if (str_0(&s->auth_user) < 0 || setenv("QUAIL_AUTH", s->auth_user.s, 1) < 0) die_nomem();
  } else unsetenv("QUAIL_AUTH");
  /* and the client's HELO, which a spam filter (rspamd-filter) hands on */
  if (s->helo.len) {
    if (str_0(&s->helo) < 0 || setenv("QUAIL_HELO", s->helo.s, 1) < 0) die_nomem();
  } else unsetenv("QUAIL_HELO");
  if (qq_open(&m->q, s->qqprog) < 0) return -1;
  m->q.early = 1;               /* the 250 goes out as queue-writer reports */
  m->queue_open = 1;
  return 0;
}

/* while we wait for the command after the first recipient: queue-writer
 * starts, and waits for the message without touching the queue */
static void prestart_writer(struct session *s)
{
  if (s->nrcpt && s->have_mail && !s->msg.queue_open && !s->prestarted) {
    s->prestarted = 1;
    start_writer(s);
  }
}

/* queue-writer for this message, started now or already: 0, or -1 with
 * queue_failed set */
static int open_queue(struct session *s, int chunked)
{
  struct incoming *m = &s->msg;
  smtp_data_init(&m->d, s->cf.databytes, DATA_LINE_MAX, HEADERS_MAX, HOPS_MAX);
  m->d.chunked = chunked;
  /* room for what one read of the client becomes, allocated once */
  if (str_ready(&m->chunk, 2 * BUF_SIZE) < 0) die_nomem();
  m->queue_failed = 0;
  if (!m->queue_open && start_writer(s) < 0) {
    diag_warnsys("unable to run ", s->qqprog, (char *)0);
    m->queue_failed = 1;
    return -1;
  }
  put_received(s, m);
  qq_flush(&m->q);              /* the writer makes its file while the message comes */
  return 0;
}

static void reply_queue_failed(struct session *s)
{
  reply(s, 451, ESC_TEMP(ESC_SYSTEM), "unable to queue messages right now; try again later");
}

/* make sure input is buffered; the client leaving ends everything */
static void need_input(struct session *s, const char *during)
{
  ssize_t r;
  if (s->in.n) return;
  flush(s);
  r = buf_fill(&s->in);
  if (r > 0) return;
  stop_queue(&s->msg);
  if (r < 0) die_input(s);
  log_event(s, "disconnected", during);
  die_gone();
}

/* decode up to max bytes of input into the queue; a message we will
 * refuse stops going to the queue at once. Returns the bytes used. */
static size_t feed(struct session *s, size_t max, int *done)
{
  struct incoming *m = &s->msg;
  size_t want, n;
  need_input(s, "during DATA");
  want = s->in.n < max ? s->in.n : max;
  m->chunk.len = 0;
  n = smtp_data_feed(&m->d, s->in.x + s->in.p, want, &m->chunk, done);
  if (n < want && !*done) die_nomem();
  consume(&s->in, n);
  if (fatal_flags(s, m->d.flags)) stop_queue(m);
  if (m->queue_open && m->chunk.len) qq_put(&m->q, m->chunk.s, m->chunk.len);
  return n;
}

/* the reply for a message refused for what it holds */
static void refuse_content(struct session *s, int flags, struct str *why)
{
  unsigned code = 554;
  const char *esc = ESC_PERM(ESC_CONTENT), *text;
  if (flags & SMTP_DATA_TOO_BIG) {
    code = 552; esc = ESC_PERM(ESC_TOO_BIG); text = "message exceeds the fixed maximum message size";
  } else if (flags & SMTP_DATA_LOOP) {
    esc = ESC_PERM(ESC_LOOP); text = "too many Received header fields: a mail loop";
  } else if (flags & SMTP_DATA_NUL) {
    text = "NUL byte in the message";
  } else if (flags & (SMTP_DATA_BARE_LF | SMTP_DATA_BARE_CR)) {
    text = "bare LF or bare CR in the message: lines must end with CRLF";
  } else if (flags & SMTP_DATA_LONG_LINE) {
    text = "a line of the message is too long";
  } else {
    text = "too many header fields";
  }
  reply(s, code, esc, text);
  if (str_copys(why, text) < 0) die_nomem();
}

/* give the envelope to the queue and wait for its verdict */
static int finish_queue(struct session *s, struct incoming *m)
{
  size_t pos = 0;
  const char *r;
  if (qq_from(&m->q, s->sender.s) < 0) die_nomem();
  while ((r = control_next(&s->rcpts, &pos)))
    if (qq_to(&m->q, r) < 0) die_nomem();
  m->queue_open = 0;
  return qq_close(&m->q);
}

static void log_transaction(struct session *s, const char *event, const char *why)
{
  struct str d = STR_ZERO;
  size_t pos = 0;
  const char *r;
  detail_addr(&d, "from", s->sender.s);
  while ((r = control_next(&s->rcpts, &pos))) detail_addr(&d, "to", r);
  if (str_catf(&d, " size=%llu", s->msg.d.bytes) < 0) die_nomem();
  detail(&d, "helo", s->helo.s);
  if (s->tls_on) detail(&d, "tls", s->tls_info.s);
  if (s->auth_user.len) detail(&d, "auth", s->auth_user.s);
  if (why) detail(&d, "reason", why);
  log_event(s, event, d.s);
  str_free(&d);
}

/* a queue program's own reason (QQ_CUSTOM, qq.h): 'D' permanent or 'Z'
 * temporary, an enhanced status code when the text starts with one of
 * its class, the text cleaned for the reply. 0 when there is none. */
static int custom_reason(const char *why, struct str *t, char *esc, size_t escsize)
{
  int temp = why[0] == 'Z';
  size_t n;
  if (!why[0]) return 0;
  why++;
  while (*why == ' ') why++;
  n = strspn(why, "0123456789.");
  if (n >= 5 && n < escsize && why[0] == (temp ? '4' : '5') && why[1] == '.' && why[n] == ' ') {
    memcpy(esc, why, n);
    esc[n] = 0;
    why += n + 1;
  } else {
    strcpy(esc, temp ? ESC_TEMP(ESC_SYSTEM) : ESC_PERM(ESC_SYSTEM));
  }
  if (smtp_clean(t, *why ? why : "message refused", 400) < 0) die_nomem();
  return temp ? 451 : 554;
}

static void queue_verdict(struct session *s, int code)
{
  struct str t = STR_ZERO;
  char esc[16];
  unsigned custom = code == QQ_CUSTOM ? custom_reason(s->msg.q.why, &t, esc, sizeof esc) : 0;
  if (custom) {
    reply(s, custom, esc, t.s);
    log_transaction(s, "rejected", t.s);
  } else if (code == 0) {
    if (str_catf(&t, "ok: queued as qp %ld", (long)s->msg.q.pid) < 0) die_nomem();
    reply(s, 250, ESC_OK(ESC_OTHER), t.s);
    log_transaction(s, "accepted", 0);
  } else {
    const char *text = code < 0 ? "unable to run the queue" : qq_text(code);
    int temp = code < 0 || qq_temporary(code);
    if (str_cats(&t, text) < 0) die_nomem();
    reply(s, temp ? 451 : 554, temp ? ESC_TEMP(ESC_SYSTEM) : ESC_PERM(ESC_SYSTEM), t.s);
    log_transaction(s, "rejected", t.s);
  }
  str_free(&t);
}

/* the whole message is in: refuse it, or queue it */
static void finish_message(struct session *s)
{
  int flags = fatal_flags(s, s->msg.d.flags);
  if (flags) {
    struct str why = STR_ZERO;
    refuse_content(s, flags, &why);
    log_transaction(s, "rejected", why.s);
    str_free(&why);
  } else if (s->msg.queue_failed) {
    reply_queue_failed(s);
    log_transaction(s, "rejected", "unable to run the queue");
  } else {
    queue_verdict(s, finish_queue(s, &s->msg));
  }
  reset_transaction(s);
}

static int data_state_ok(struct session *s)
{
  if (!s->have_mail) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "send MAIL first"); return 0; }
  if (!s->nrcpt) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "no valid recipients"); return 0; }
  return 1;
}

static void cmd_data(struct session *s, const char *arg)
{
  int done = 0;
  if (!data_state_ok(s)) return;
  if (s->chunking) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "DATA after BDAT"); return; }
  if (*arg) { reply(s, 501, ESC_PERM(ESC_BAD_PARAM), "DATA takes no argument"); return; }
  /* the 354 goes out first: the client sends while queue-writer starts,
   * when it was not started after the first recipient (one that cannot
   * start costs the client the message, then a 451) */
  reply(s, 354, 0, "go ahead; end with <CRLF>.<CRLF>");
  flush(s);
  open_queue(s, 0);
  while (!done) feed(s, (size_t)-1, &done);
  finish_message(s);
}

/* throw away a chunk we refused (RFC 3030: it is sent all the same) */
static void skip_chunk(struct session *s, unsigned long size)
{
  while (size) {
    size_t n;
    need_input(s, "during BDAT");
    n = s->in.n < size ? s->in.n : size;
    consume(&s->in, n);
    size -= n;
  }
}

/* "SIZE" or "SIZE LAST"; without a size we cannot find the next command */
static void bdat_args(struct session *s, const char *arg, unsigned long *size, int *last)
{
  int n = scan_ulong(arg, size);
  *last = n && case_equals(arg + n, " LAST");
  if (!n || (arg[n] && !*last))
    hangup(s, 501, ESC_PERM(ESC_BAD_PARAM), "syntax: BDAT size [LAST]; closing connection",
           "malformed BDAT", EXIT_PERM);
}

static void cmd_bdat(struct session *s, const char *arg)
{
  unsigned long size, size0;
  int last, done;
  bdat_args(s, arg, &size, &last);
  size0 = size;
  if (!s->esmtp || !s->have_mail || !s->nrcpt) {
    skip_chunk(s, size);
    if (!s->esmtp) reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "send EHLO first");
    else data_state_ok(s);
    return;
  }
  if (!s->chunking) {
    if (open_queue(s, 1) < 0) {
      reply_queue_failed(s);
      skip_chunk(s, size);
      reset_transaction(s);
      return;
    }
    s->chunking = 1;
  }
  while (size) size -= feed(s, size, &done);
  if (!last) {
    struct str t = STR_ZERO;
    if (str_catf(&t, "%lu octets received", (unsigned long)(size0)) < 0) die_nomem();
    reply(s, 250, ESC_OK(ESC_OTHER), t.s);
    str_free(&t);
    return;
  }
  if (smtp_data_last(&s->msg.d, &s->msg.chunk) < 0) die_nomem();
  finish_message(s);
}

/* ---- STARTTLS ---- */

#ifdef SMTPD_LEAN
/* the rest of the session belongs to smtpd-tls, the whole build: same
 * arguments, same socket; our read-ahead (plaintext after STARTTLS) dies
 * with this process image */
static void exec_full(struct session *s, int starttls);

static void cmd_starttls(struct session *s, const char *arg)
{
  if (*arg) { reply(s, 501, ESC_PERM(ESC_BAD_PARAM), "STARTTLS takes no argument"); return; }
  if (access("control/servercert.pem", R_OK) < 0) {
    log_event(s, "tls unavailable", "control/servercert.pem unreadable");
    reply(s, 454, ESC_TEMP(ESC_SECURITY), "TLS not available due to a temporary reason");
    return;
  }
  if (s->helo.len && setenv("QUAIL_SMTPD_HELO", s->helo.s, 1) < 0) die_nomem();
  flush(s);
  if (s->in.n) log_event(s, "discarded", "plaintext sent after STARTTLS");
  exec_full(s, 1);
  /* smtpd-tls could not be run: the session goes on here in plaintext */
  unsetenv("QUAIL_SMTPD_STARTTLS");
  unsetenv("QUAIL_SMTPD_HELO");
  buf_discard(&s->in);                  /* as logged: no plaintext after STARTTLS */
  reply(s, 454, ESC_TEMP(ESC_SECURITY), "TLS not available due to a temporary reason");
}
#else
/* TLS as server with control/servercert.pem; -1 (logged) when it cannot */
static int tls_ready(struct session *s)
{
  if (tlsx_server(&s->tls, "control/servercert.pem") == 0) return 0;
  log_event(s, "tls unavailable", tlsx_error(&s->tls));
  tlsx_close(&s->tls);
  return -1;
}

/* the handshake on the client's socket; a failed one ends the session */
static void tls_handshake(struct session *s)
{
  if (s->in.n) log_event(s, "discarded", "plaintext sent before the TLS handshake");
  buf_discard(&s->in);               /* no command injection past STARTTLS */
  if (tlsx_accept(&s->tls, 0, 1, (int)s->cf.timeout) < 0) {
    log_event(s, "tls handshake failed", errno == ETIMEDOUT ? "timeout" : tlsx_error(&s->tls));
    _exit(EXIT_TEMP);
  }
  s->tls_on = 1;
  buf_transport(&s->in, tlsx_read, &s->tls);
  buf_transport(&s->out, tlsx_write, &s->tls);
  s->tls_info.len = 0;
  if (str_cats(&s->tls_info, tlsx_version(&s->tls)) < 0 || str_catc(&s->tls_info, ' ') < 0 ||
      str_cats(&s->tls_info, tlsx_cipher(&s->tls)) < 0)
    die_nomem();
  log_event(s, "tls", s->tls_info.s);
}

static void cmd_starttls(struct session *s, const char *arg)
{
  if (s->tls_on) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "TLS is already active"); return; }
  if (*arg) { reply(s, 501, ESC_PERM(ESC_BAD_PARAM), "STARTTLS takes no argument"); return; }
  if (tls_ready(s) < 0) {
    reply(s, 454, ESC_TEMP(ESC_SECURITY), "TLS not available due to a temporary reason");
    return;
  }
  reply(s, 220, ESC_OK(ESC_OTHER), "ready to start TLS");
  flush(s);
  tls_handshake(s);
  reset_session(s);
}

/* SMTPS: TLS from the first byte, then the greeting */
static void smtps_begin(struct session *s)
{
  if (tls_ready(s) < 0) _exit(EXIT_TEMP);
  tls_handshake(s);
}
#endif

/* ---- AUTH ---- */

/* run the checkpassword program: its exit code, or -1 */
static int checkpassword(struct session *s, const struct str *user, const struct str *pass)
{
  struct str x = STR_ZERO;
  int p[2], st;
  pid_t pid;
  if (str_catb(&x, user->s, user->len + 1) < 0 || str_catb(&x, pass->s, pass->len + 1) < 0 ||
      str_catc(&x, 0) < 0)
    die_nomem();
  if (pipe(p) < 0) { str_free(&x); return -1; }
  if ((pid = fork()) < 0) { close(p[0]); close(p[1]); str_free(&x); return -1; }
  if (pid == 0) {
    int null;
    close(p[1]);
    if (fd_move(3, p[0]) < 0 || (null = open("/dev/null", O_RDWR)) < 0) _exit(EXIT_TEMP);
    if (dup2(null, 0) < 0 || dup2(null, 1) < 0) _exit(EXIT_TEMP);
    close(null);
    signal(SIGPIPE, SIG_DFL);
    alarm(AUTH_TIMEOUT);          /* survives exec: a hung checkpassword dies */
    execvp(s->checkpw[0], s->checkpw);
    _exit(EXIT_TEMP);
  }
  close(p[0]);
  (void)!fd_write_all(p[1], x.s, x.len);
  close(p[1]);
  explicit_bzero(x.s, x.len);
  str_free(&x);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ask with a 334 challenge; the answer is in s->line */
static const char *auth_ask(struct session *s, const char *challenge)
{
  send_reply(s, 334, 0, 0, challenge);
  read_line(s);
  return s->line.s;
}

/* decode the base64 text b64 into out: 0, or -1 with the reply sent */
static int auth_decode(struct session *s, const char *b64, struct str *out)
{
  out->len = 0;
  if (!strcmp(b64, "*")) { reply(s, 501, ESC_PERM(ESC_BAD_PARAM), "authentication cancelled"); return -1; }
  if (!strcmp(b64, "=")) return str_0(out) < 0 ? (die_nomem(), -1) : 0;
  if (b64_decode(out, b64, strlen(b64)) < 0 || str_0(out) < 0) {
    if (errno == ENOMEM) die_nomem();
    reply(s, 501, ESC_PERM(ESC_BAD_SYNTAX), "malformed base64 text");
    return -1;
  }
  return 0;
}

/* AUTH PLAIN: authzid NUL authcid NUL password */
static int auth_plain(struct session *s, const char *initial, struct str *user, struct str *pass)
{
  struct str raw = STR_ZERO;
  const char *authz, *authc, *pw, *end;
  int r = -1;
  if (!*initial) initial = auth_ask(s, "");
  if (auth_decode(s, initial, &raw) < 0) return -1;
  end = raw.s + raw.len;
  authz = raw.s;
  authc = memchr(authz, 0, raw.len);
  pw = authc ? memchr(authc + 1, 0, (size_t)(end - authc - 1)) : 0;
  if (!pw || memchr(pw + 1, 0, (size_t)(end - pw - 1)))
    reply(s, 501, ESC_PERM(ESC_BAD_SYNTAX), "malformed AUTH PLAIN response");
  else if (*authz && strcmp(authz, authc + 1))
    reply(s, 535, ESC_PERM(ESC_AUTH_FAILED), "authorization identity differs from the user");
  else if (str_copys(user, authc + 1) < 0 || str_copys(pass, pw + 1) < 0)
    die_nomem();
  else
    r = 0;
  if (raw.s) explicit_bzero(raw.s, raw.len);
  str_free(&raw);
  return r;
}

/* AUTH LOGIN: user name and password, each asked for */
static int auth_login(struct session *s, const char *initial, struct str *user, struct str *pass)
{
  if (!*initial) initial = auth_ask(s, "VXNlcm5hbWU6");   /* "Username:" */
  if (auth_decode(s, initial, user) < 0) return -1;
  return auth_decode(s, auth_ask(s, "UGFzc3dvcmQ6"), pass); /* "Password:" */
}

static int auth_state_ok(struct session *s)
{
  if (!s->checkpw) { reply(s, 502, ESC_PERM(ESC_BAD_COMMAND), "AUTH is not available"); return 0; }
  if (!s->esmtp) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "send EHLO first"); return 0; }
  if (s->auth_user.len) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "already authenticated"); return 0; }
  if (s->have_mail) { reply(s, 503, ESC_PERM(ESC_BAD_COMMAND), "not during a mail transaction"); return 0; }
  if (!auth_offered(s)) {
    reply(s, 538, ESC_PERM(ESC_NEED_TLS), "encryption required for authentication: use STARTTLS");
    return 0;
  }
  return 1;
}

static void auth_verdict(struct session *s, const struct str *user, int code)
{
  struct str d = STR_ZERO;
  detail(&d, "user", user->s);
  if (code == 0) {
    if (str_copyb(&s->auth_user, user->s, user->len) < 0) die_nomem();
    log_event(s, "auth", d.s);
    reply(s, 235, ESC_OK(ESC_SECURITY), "authentication successful");
  } else if (code < 0 || code == EXIT_TEMP) {
    log_event(s, "auth temporary failure", d.s);
    reply(s, 454, ESC_TEMP(ESC_SECURITY), "temporary authentication failure");
  } else {
    log_event(s, "auth failed", d.s);
    if (++s->authfails >= AUTH_FAILS_MAX)
      hangup(s, 421, ESC_TEMP(ESC_SECURITY), "too many failed authentications; closing connection",
             "too many failed authentications", EXIT_PERM);
    reply(s, 535, ESC_PERM(ESC_AUTH_FAILED), "authentication failed");
  }
  str_free(&d);
}

static void cmd_auth(struct session *s, const char *arg)
{
  struct str user = STR_ZERO, pass = STR_ZERO;
  const char *sp = strchr(arg, ' ');
  const char *initial = sp ? sp + 1 : "";
  size_t mlen = sp ? (size_t)(sp - arg) : strlen(arg);
  int r;
  if (!auth_state_ok(s)) return;
  if (case_equalb(arg, mlen, "PLAIN")) r = auth_plain(s, initial, &user, &pass);
  else if (case_equalb(arg, mlen, "LOGIN")) r = auth_login(s, initial, &user, &pass);
  else { reply(s, 504, ESC_PERM(ESC_BAD_PARAM), "unrecognized authentication type"); return; }
  if (r == 0 && (!user.len || user.len > AUTH_FIELD_MAX || pass.len > AUTH_FIELD_MAX ||
                 memchr(user.s, 0, user.len) || memchr(pass.s, 0, pass.len))) {
    reply(s, 501, ESC_PERM(ESC_BAD_SYNTAX), "malformed user name or password");
    r = -1;
  }
  if (r == 0) auth_verdict(s, &user, checkpassword(s, &user, &pass));
  if (pass.s) explicit_bzero(pass.s, pass.len);
  explicit_bzero(s->line.s, s->line.len);     /* the last response held it too */
  str_free(&user);
  str_free(&pass);
}

/* ---- ETRN (RFC 1985): start delivering what waits for a domain ---- */

#define ETRN_DOMAINS "control/etrndomains"   /* domain[:maildir:prefix] lines */
#define ETRN_ROUTES  "control/smtproutes"    /* where a pushed domain's mail goes */

/* the etrndomains line of domain: its "maildir:prefix" (maybe ""), or 0 */
static const char *etrn_entry(struct str *list, const char *domain)
{
  size_t pos = 0, n = strlen(domain);
  const char *e;
  while ((e = control_next(list, &pos)))
    if (case_equalb(e, n, domain) && (e[n] == 0 || e[n] == ':')) return e[n] ? e + n + 1 : "";
  return 0;
}

/* the domain's own route, never the asker's address (RFC 1985): its
 * line "domain:relay[:port[:link]]" in control/smtproutes (that domain
 * exactly: no suffix, no default route) as maildir-smtp's HOST[:PORT].
 * 1 found, 0 none (or an empty relay: MX, which is us), -1 unreadable */
static int etrn_route(const char *domain, struct str *host)
{
  struct str list = STR_ZERO;
  size_t pos = 0, n = strlen(domain);
  const char *e, *v = 0;
  if (control_readlines(ETRN_ROUTES, &list) < 0) return -1;
  while (!v && (e = control_next(&list, &pos)))
    if (case_equalb(e, n, domain) && e[n] == ':') v = e + n + 1;
  host->len = 0;
  if (v && *v && *v != ':') {
    const char *br = v[0] == '[' ? strchr(v, ']') : 0;
    const char *c1 = strchr(br ? br : v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : 0;
    size_t len = c2 ? (size_t)(c2 - v) : strlen(v);
    if (c1 && c1 + 1 == (c2 ? c2 : v + len)) len = (size_t)(c1 - v);   /* "relay::link" */
    if (str_catb(host, v, len) < 0 || str_0(host) < 0) die_nomem();
  }
  str_free(&list);
  return host->len != 0;
}

/* maildir-smtp MAILDIR PREFIX HOST, detached (a grandchild: no zombie) */
static void etrn_push(struct session *s, const char *domain, const char *entry)
{
  const char *colon = strchr(entry, ':');
  struct str dir = STR_ZERO, host = STR_ZERO;
  pid_t pid;
  int r;
  if (!colon || str_catb(&dir, entry, (size_t)(colon - entry)) < 0 || str_0(&dir) < 0) die_nomem();
  if ((r = etrn_route(domain, &host)) <= 0) {
    log_event(s, "etrn", r < 0 ? "unable to read control/smtproutes: not pushed"
                                : "no route in control/smtproutes for the domain: not pushed");
  } else if ((pid = fork()) == 0) {
    int fd = open("/dev/null", O_RDWR);
    if (fork() != 0) _exit(0);
    setsid();
    if (fd >= 0) { dup2(fd, 0); dup2(fd, 1); }
    execl("bin/maildir-smtp", "maildir-smtp", dir.s, colon + 1, host.s, (char *)0);
    diag_diesys(EXIT_TEMP, "unable to run bin/maildir-smtp", (char *)0);
  } else if (pid > 0) waitpid(pid, 0, 0);
  str_free(&dir);
  str_free(&host);
}

static void cmd_etrn(struct session *s, const char *arg)
{
  struct str list = STR_ZERO;
  const char *d = arg[0] == '@' ? arg + 1 : arg, *entry;
  int fd;
  if (!*d || arg[0] == '#' || !smtp_domain_ok(d)) { reply(s, 501, ESC_PERM(ESC_BAD_SYNTAX), "ETRN needs a domain"); return; }
  if (control_readlines(ETRN_DOMAINS, &list) < 0) { reply(s, 458, ESC_TEMP(ESC_SYSTEM), "unable to read control/etrndomains"); return; }
  entry = etrn_entry(&list, d);
  if (!entry && !s->cf.relay.client && !s->auth_user.len) {
    reply(s, 459, ESC_PERM(ESC_DENIED), "ETRN is not allowed for that domain");
    str_free(&list);
    return;
  }
  fd = open("queue/lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || write(fd, "flush\n", 6) != 6) {
    if (fd >= 0) close(fd);
    reply(s, 458, ESC_TEMP(ESC_SYSTEM), "unable to queue messages for that domain: the queue manager is not running");
    str_free(&list);
    return;
  }
  close(fd);
  if (entry && *entry) etrn_push(s, d, entry);
  reply(s, 250, ESC_OK(ESC_OTHER), "queuing started");
  str_free(&list);
}

/* ---- the command loop ---- */

static const struct command commands[] = {
  { "helo", cmd_helo }, { "ehlo", cmd_ehlo }, { "mail", cmd_mail }, { "rcpt", cmd_rcpt },
  { "data", cmd_data }, { "bdat", cmd_bdat }, { "rset", cmd_rset }, { "noop", cmd_noop }, { "quit", cmd_quit },
  { "help", cmd_help }, { "vrfy", cmd_vrfy }, { "expn", cmd_expn },
  { "starttls", cmd_starttls }, { "auth", cmd_auth }, { "etrn", cmd_etrn }, { 0, 0 }
};

static void dispatch(struct session *s)
{
  const struct command *c;
  const char *arg;
  if (!line_clean(&s->line)) {
    bad_command(s, 500, ESC_PERM(ESC_BAD_SYNTAX), "bad characters in the command line");
    return;
  }
  if ((c = cmdline_find(s->line.s, s->line.len, commands, sizeof *commands, &arg))) c->run(s, arg);
  else bad_command(s, 500, ESC_PERM(ESC_BAD_COMMAND), "command not recognized");
}

/* ---- the start ---- */

static void setup(struct session *s, int argc, char **argv)
{
  const char *home = home_dir(getenv("QUAIL_HOME"));
  const char *qq = getenv("QMAILQUEUE");
  if (argc > 1 && argv[1][0] == '-') diag_usage("[checkpassword-program [args...]]");
  s->checkpw = argc > 1 ? argv + 1 : 0;
  s->ip = env_or("TCPREMOTEIP", "unknown");
  s->host = getenv("TCPREMOTEHOST");
  s->cf.relay.client = getenv("RELAYCLIENT");
  if (qq && *qq) {
    if (strlen(qq) >= sizeof s->qqprog) die_qqprog();
    strcpy(s->qqprog, qq);
  } else if (home_path(home, "bin/queue-writer", s->qqprog, sizeof s->qqprog) < 0) {
    die_qqprog();
  }
  if (chdir(home) < 0) die_home();
  buf_init(&s->in, 0, s->inspace, sizeof s->inspace);
  buf_init(&s->out, 1, s->outspace, sizeof s->outspace);
}

/* a client that talks before our greeting is not speaking SMTP */
static void check_early_talker(struct session *s)
{
  struct pollfd p;
  int r;
  p.fd = 0;
  p.events = POLLIN;
  do r = poll(&p, 1, (int)s->cf.greetdelay * 1000); while (r < 0 && errno == EINTR);
  if (r <= 0) return;
  if (buf_fill(&s->in) <= 0) { log_event(s, "disconnected", "before the greeting"); die_gone(); }
  hangup(s, 554, ESC_PERM(ESC_PROTOCOL), "you talked before my greeting; closing connection",
         "early talker", EXIT_PERM);
}

static void greet(struct session *s)
{
  struct str *t = &s->tmp;
  t->len = 0;
  if (str_cats(t, s->cf.greeting.s) < 0 || str_cats(t, " ESMTP") < 0) die_nomem();
  reply(s, 220, 0, t->s);
  flush(s);
}

#ifdef SMTPD_LEAN
static char **args;

/* returns only when bin/smtpd-tls cannot be run */
static void exec_full(struct session *s, int starttls)
{
  if (starttls && setenv("QUAIL_SMTPD_STARTTLS", "1", 1) < 0) die_nomem();
  args[0] = "smtpd-tls";
  execv("bin/smtpd-tls", args);
  diag_warnsys("unable to run bin/smtpd-tls", (char *)0);
}
#endif

int main(int argc, char **argv)
{
  static struct session s;
  const char *bad;
  int starttls = 0;

  diag_init("smtpd");
  signal(SIGPIPE, SIG_IGN);
  setup(&s, argc, argv);
#ifdef SMTPD_LEAN
  args = argv;
#else
  if (getenv("QUAIL_SMTPD_STARTTLS")) {
    const char *h = getenv("QUAIL_SMTPD_HELO");   /* kept if TLS cannot start */
    starttls = 1;
    if (h && *h) {
      if (str_copys(&s.helo, h) < 0) die_nomem();
      s.esmtp = 1;
    }
    unsetenv("QUAIL_SMTPD_STARTTLS");
    unsetenv("QUAIL_SMTPD_HELO");
  }
#endif
  if (load_config(&s.cf, &bad) < 0) {
    diag_warnsys("unable to read ", bad, (char *)0);
    hangup(&s, 421, ESC_TEMP(ESC_SYSTEM), "temporary configuration problem; try again later",
           "configuration unreadable", EXIT_TEMP);
  }
  s.in.timeout = s.out.timeout = (int)s.cf.timeout;
  s.submission = getenv("SUBMISSION") != 0;
#ifdef SMTPD_LEAN
  if (s.cf.spf != SPF_OFF || getenv("SMTPS")) {
    exec_full(&s, 0);
    hangup(&s, 421, ESC_TEMP(ESC_SYSTEM), "temporary configuration problem; try again later",
           "no smtpd-tls", EXIT_TEMP);
  }
#endif
  if (starttls) cmd_starttls(&s, "");      /* handed over by the lean smtpd */
  else {
#ifndef SMTPD_LEAN
    if (getenv("SMTPS")) smtps_begin(&s);
#endif
    check_early_talker(&s);
    greet(&s);
  }
  for (;;) {
    read_line(&s);
    dispatch(&s);
  }
}
