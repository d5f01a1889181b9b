/* deliver-remote: one remote delivery (qmail-remote's interface).
 *
 *   deliver-remote host sender recipient...
 *
 * The message is on fd 0 (a regular file, LF line ends); every recipient
 * belongs to the domain host. The destination comes from
 * control/qmtproutes (QMTP), else control/smtproutes, else DNS: MX records
 * by preference (equal ones shuffled), each exchanger's AAAA and A
 * addresses, the domain itself when it has no MX; a null MX (RFC 7505)
 * or a domain that does not exist bounces. Each address is tried in turn
 * (skipping those that recently timed out, queue/lock/tcpto) until one
 * takes the transaction: EHLO (HELO when refused), STARTTLS (opportunistic,
 * verified for control/tlsdestinations), AUTH for a smarthost listed in
 * control/smtpcredentials (only over TLS), one MAIL, a RCPT per recipient,
 * pipelined when offered, DATA with CRLF and dot-stuffing.
 * A route on a link named in control/linksdown is deferred at once.
 * TLS sessions are kept in queue/lock/tls/ and resumed by later runs.
 *
 * Started by queue-spawn(8), which sets QUAIL_REUSEFD to a socket to it,
 * a run that delivered a message over SMTP keeps the connection for
 * control/remotereuse seconds after its report: queue-spawn may hand it
 * the next message for the same domain (its descriptors on that socket),
 * which goes over the same session when the route and TLS policy are
 * still the same, else (or when the session has died) over a new
 * connection, as a fresh run would (deliver-remote(8), REUSE).
 *
 * Reads control/: helohost (me), smtproutes, qmtproutes, tlsdestinations,
 * smtpcredentials, linksdown, timeoutconnect, timeoutremote, remotereuse.
 * Environment: QUAIL_HOME, QUAIL_REUSEFD, and QUAIL_RESOLVCONF naming a
 * resolv.conf to use instead of the system's (tests).
 *
 * Writes on fd 1 qmail-remote's report: per recipient 'r' (accepted),
 * 'h' (permanently refused) or 's' (temporarily refused) and a text, NUL;
 * then for the message 'K' (accepted), 'Z' (temporary) or 'D' (permanent)
 * and a text, NUL. When no recipient was tried, only the message's
 * 'Z' or 'D'. Texts quote the peer ("Remote host said: ...").
 * Exit codes: 0 the report was written; 100 usage (after a 'D' report);
 * 111 the report could not be written. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "b64.h"
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "esc.h"
#include "dns.h"
#include "ipme.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "netstring.h"
#include "priv.h"
#include "qspawn.h"
#include "smtpc.h"
#include "str.h"
#include "tcpto.h"
#include "tlsc.h"
#include "tlsx.h"

#define RCPTS_MAX        1000       /* recipients in one run */
#define PORT_SMTP        25
#define PORT_QMTP        209
#define TIMEOUT_CONNECT  60
#define TIMEOUT_REMOTE   1200
#define TIMEOUT_MAX      86400
#define OUT_SIZE         65536      /* the connection's output buffer */
#define READ_SIZE        65536      /* the message is read in pieces of this */
#define QMTP_REPLY_MAX   4000       /* bytes of a QMTP response */
#define LINK_DEFAULT     "default"  /* the link of a route that names none */
#define LINKS_ALL        "*"        /* in linksdown: every link */
#define REUSE_SECS       5          /* control/remotereuse: an idle connection waits this long */
#define REUSE_SECS_MAX   300
#define REUSE_MSGS_MAX   100        /* messages over one connection */
#define REUSE_AGE_MAX    300        /* seconds after it opened a connection takes no more */
#define REUSE_BYE_WAIT   60         /* seconds for queue-spawn to answer our leaving */
#define REUSE_PROBE      5          /* seconds for the RSET that checks a waiting session */
#define REUSE_ENV        "QUAIL_REUSEFD"
#define SESSION_DIR      "queue/lock/tls"
#define SESSION_NAME_MAX 300

/* ---- what we were asked, and how ---- */

enum proto { P_SMTP, P_QMTP };

struct route {
  enum proto proto;
  struct str relay;             /* "" : the MX hosts of the domain */
  unsigned long port;
  struct str link;
};

struct config {
  struct str helohost, smtproutes, qmtproutes, tlsdest, linksdown, creds, notipme;
  unsigned long tconnect, tremote, reuse;
  char tcpto[4096];
};

struct job {
  const char *domain, *sender;
  char **rcpt;
  size_t nr;
  char *res;                    /* per recipient: 0 untried, 'r', 'h', 's' */
  struct str *why;              /* its text */
  struct config cf;
  struct route rt;
  struct smtpc_scan scan;
  unsigned long long filesize;
  int utf8_sender, utf8_any;
  const char *tls_ca;           /* tlsdestinations: the CA file (0: system) */
  int tls_verify;               /* tlsdestinations lists the destination */
  struct str user, pass;        /* smtpcredentials for the relay */
  struct str last;              /* why the last address failed */
  struct str report;
  struct str key;               /* what a connection must have been opened for to take this job */
};

/* one connection to one address */
struct conn {
  int fd;
  struct buf in, out;
  char inspace[BUF_SIZE], outspace[OUT_SIZE];
  struct tlsx tls;
  int tls_on;
  struct smtpc_ext ext;
  struct smtpc_reply rep;
  struct str host;              /* "name [ip]" for texts */
  const struct dns_target *t;
  int critical;                 /* the final dot is sent: a drop may duplicate */
  int reusable;                 /* the last transaction ended well: another may follow */
  unsigned msgs;                /* messages it took */
  time_t born;
  struct str key;               /* the job's key when it opened */
};

/* queue-spawn's socket (QUAIL_REUSEFD) and the next request it sends */
struct reuse {
  int fd;                       /* -1: run once */
  char buf[QSPAWN_REQ_MAX];
  char *args[QSPAWN_ARGS_MAX + 1];
  size_t n;
};

/* what a session tells the loop over addresses */
enum next { DONE, NEXT, PLAIN };

/* ---- failures: the whole message, then exit ---- */

static void __attribute__((noreturn)) report_exit(struct job *j);
static void __attribute__((noreturn)) all_fail(struct job *j, char what, const char *s1, const char *s2, const char *s3);

static struct job *the_job;   /* for the few failures before a job exists */
/* a run ends in report_exit, deep in the session's calls; one that takes
 * another message from queue-spawn starts over in main from here */
static jmp_buf next_job;
static struct conn the_conn;
static struct reuse the_reuse;

static void __attribute__((noreturn)) temp_nomem(void)
{
  all_fail(the_job, 'Z', "Out of memory. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)), 0, 0);
}
static void __attribute__((noreturn)) temp_home(void)
{
  all_fail(the_job, 'Z', "Unable to enter the quail home directory: ", strerror(errno), ". " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
}
static void __attribute__((noreturn)) temp_control(const char *file)
{
  all_fail(the_job, 'Z', "Unable to read control/", file, ". " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
}
static void __attribute__((noreturn)) temp_read(void)
{
  all_fail(the_job, 'Z', "Unable to read the message: ", strerror(errno), ". " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
}
static void __attribute__((noreturn)) temp_resolver(void)
{
  all_fail(the_job, 'Z', "Unable to set up the DNS resolver: ", strerror(errno), ". " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
}
static void __attribute__((noreturn)) temp_dns(const char *host)
{
  all_fail(the_job, 'Z', "Sorry, the DNS lookup of ", host, " failed temporarily. " ESC_QMAIL(ESC_TEMP(ESC_DNS_TEMP)));
}
static void __attribute__((noreturn)) perm_dns(const char *host)
{
  all_fail(the_job, 'D', "Sorry, I couldn't find any host named ", host, ". " ESC_QMAIL(ESC_PERM(ESC_NO_HOST)));
}
static void __attribute__((noreturn)) perm_nomx(void)
{
  all_fail(the_job, 'D', "Sorry, I couldn't find a mail exchanger or IP address. " ESC_QMAIL(ESC_PERM(ESC_UNROUTABLE)), 0, 0);
}
static void __attribute__((noreturn)) perm_ipme(void)
{
  all_fail(the_job, 'D', "Sorry. Although I'm listed as a best-preference MX or A for that host,\n"
           "it isn't in my control/locals file, so I don't treat it as local. " ESC_QMAIL(ESC_PERM(ESC_LOOP)), 0, 0);
}

static void __attribute__((noreturn)) perm_nullmx(const char *domain)
{
  all_fail(the_job, 'D', "Sorry, ", domain, " accepts no mail: it publishes a null MX (RFC 7505). " ESC_QMAIL(ESC_PERM(ESC_NULL_MX)));
}
static void __attribute__((noreturn)) temp_linkdown(const char *link)
{
  all_fail(the_job, 'Z', "The link ", link, " is down: the message waits until it is up. " ESC_QMAIL(ESC_TEMP(ESC_NO_ANSWER)));
}
static void __attribute__((noreturn)) temp_creds(const char *why)
{
  all_fail(the_job, 'Z', "control/smtpcredentials ", why, ". " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
}
static void __attribute__((noreturn)) perm_sender(void)
{
  all_fail(the_job, 'D', "The sender address holds control characters. " ESC_QMAIL(ESC_PERM(ESC_BAD_SENDER)), 0, 0);
}

/* ---- the report ---- */

static void cat(struct str *s, const char *t) { if (t && str_cats(s, t) < 0) temp_nomem(); }
static void catb(struct str *s, const char *t, size_t n) { if (str_catb(s, t, n) < 0) temp_nomem(); }

/* the report's text: NUL bytes would end it early */
static void cat_text(struct str *s, const struct str *t)
{
  size_t i;
  for (i = 0; i < t->len; i++)
    if (str_catc(s, t->s[i] ? t->s[i] : '?') < 0) temp_nomem();
}

static void __attribute__((noreturn)) after_report(struct job *j);

static void __attribute__((noreturn)) report_exit(struct job *j)
{
  if (fd_write_all(1, j->report.s, j->report.len) < 0)
    diag_diesys(EXIT_TEMP, "unable to write the report", (char *)0);
  after_report(j);
}

/* the whole message failed before any recipient was tried */
static void __attribute__((noreturn)) all_fail(struct job *j, char what, const char *s1, const char *s2, const char *s3)
{
  static struct job none;
  if (!j) j = &none;
  j->report.len = 0;
  if (str_catc(&j->report, what) < 0 || str_cats(&j->report, s1) < 0 ||
      (s2 && str_cats(&j->report, s2) < 0) || (s3 && str_cats(&j->report, s3) < 0) ||
      str_catc(&j->report, 0) < 0) {
    static const char nomem[] = "ZOut of memory. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM));
    j->report.s = (char *)nomem;
    j->report.len = sizeof nomem;
  }
  report_exit(j);
}

/* the transaction's end: every recipient's result, then the message's */
static void __attribute__((noreturn)) finish(struct job *j, char what, const struct str *text)
{
  size_t i, tried = 0;
  for (i = 0; i < j->nr; i++) tried += j->res[i] != 0;
  if (!tried) {   /* no RCPT yet: qmail-remote reports the message alone */
    if (str_0((struct str *)text) < 0) temp_nomem();
    all_fail(j, what, text->s, 0, 0);
  }
  j->report.len = 0;
  for (i = 0; i < j->nr; i++) {
    char r = j->res[i] ? j->res[i] : 's';
    catb(&j->report, &r, 1);
    if (r != 'r') cat_text(&j->report, j->res[i] ? &j->why[i] : text);
    catb(&j->report, "", 1);
  }
  catb(&j->report, &what, 1);
  cat_text(&j->report, text);
  catb(&j->report, "", 1);
  report_exit(j);
}

/* "Remote host said: REPLY\n(HOST WHAT.)" or "HOST WHAT. (#esc)" */
static void describe(struct str *out, struct conn *c, int with_reply, const char *what, const char *esc)
{
  out->len = 0;
  if (with_reply && c->rep.text.len) {
    cat(out, "Remote host said: ");
    catb(out, c->rep.text.s, c->rep.text.len);
    cat(out, "\n(");
    catb(out, c->host.s, c->host.len);
    cat(out, " ");
    cat(out, what);
    cat(out, ".)");
    return;
  }
  catb(out, c->host.s, c->host.len);
  cat(out, " ");
  cat(out, what);
  cat(out, ". (#");
  cat(out, esc);
  cat(out, ")");
}

/* ---- control files ---- */

static void read_control(struct config *cf, const char *home)
{
  struct str me = STR_ZERO;
  if (control_readline("control/me", &me, "localhost") < 0) temp_control("me");
  if (control_readline("control/helohost", &cf->helohost, me.s) < 0) temp_control("helohost");
  str_free(&me);
  if (control_readlines("control/smtproutes", &cf->smtproutes) < 0) temp_control("smtproutes");
  if (control_readlines("control/qmtproutes", &cf->qmtproutes) < 0) temp_control("qmtproutes");
  if (control_readlines("control/tlsdestinations", &cf->tlsdest) < 0) temp_control("tlsdestinations");
  if (control_readlines("control/linksdown", &cf->linksdown) < 0) temp_control("linksdown");
  if (control_readlines("control/notipme", &cf->notipme) < 0) temp_control("notipme");
  if (control_readulong("control/timeoutconnect", &cf->tconnect, TIMEOUT_CONNECT) < 0) temp_control("timeoutconnect");
  if (control_readulong("control/timeoutremote", &cf->tremote, TIMEOUT_REMOTE) < 0) temp_control("timeoutremote");
  if (control_readulong("control/remotereuse", &cf->reuse, REUSE_SECS) < 0) temp_control("remotereuse");
  if (cf->reuse > REUSE_SECS_MAX) cf->reuse = REUSE_SECS_MAX;
  if (!cf->tconnect || cf->tconnect > TIMEOUT_MAX) cf->tconnect = TIMEOUT_CONNECT;
  if (!cf->tremote || cf->tremote > TIMEOUT_MAX) cf->tremote = TIMEOUT_REMOTE;
  snprintf(cf->tcpto, sizeof cf->tcpto, "%s/queue/lock/tcpto", home);
}

/* the entry of list for key (case ignored): its value after the ':', or 0 */
/* the value of the first "key:value" line of list for key, or 0 */
static const char *list_entry(const struct str *list, const char *key, size_t klen)
{
  size_t pos = 0;
  const char *e;
  while ((e = control_next(list, &pos)))
    if (strlen(e) > klen && e[klen] == ':' && case_equalb(e, klen, key)) return e + klen + 1;
  return 0;
}

/* is the link named by a route value "relay[:port[:link]]" up? */
static int route_link_up(const struct config *cf, const char *v)
{
  const char *p = v[0] == '[' ? strchr(v, ']') : 0;
  const char *c1 = strchr(p ? p : v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : 0;
  const char *link = c2 && c2[1] ? c2 + 1 : LINK_DEFAULT;
  return !control_member(&cf->linksdown, LINKS_ALL) && !control_member(&cf->linksdown, link);
}

/* the route for key: several lines may name the same key through
 * different links (one per provider); the first whose link is up wins,
 * else the first (check_link then defers with "link down") */
static const char *route_entry(const struct config *cf, const struct str *list, const char *key, size_t klen)
{
  size_t pos = 0;
  const char *e, *first = 0;
  while ((e = control_next(list, &pos))) {
    if (strlen(e) <= klen || e[klen] != ':' || !case_equalb(e, klen, key)) continue;
    if (route_link_up(cf, e + klen + 1)) return e + klen + 1;
    if (!first) first = e + klen + 1;
  }
  return first;
}

/* qmail's search: the domain, then each ".suffix", then "" */
static const char *route_find(const struct config *cf, const struct str *list, const char *domain)
{
  size_t i, n = strlen(domain);
  for (i = 0; i <= n; i++)
    if (i == 0 || i == n || domain[i] == '.') {
      const char *v = route_entry(cf, list, domain + i, n - i);
      if (v) return v;
    }
  return 0;
}

/* "relay[:port[:link]]", relay possibly "[IPv6 literal]" */
static void route_parse(struct route *rt, const char *v, unsigned long defport)
{
  const char *p = v[0] == '[' ? strchr(v, ']') : 0;
  const char *colon = strchr(p ? p : v, ':');
  size_t rl = colon ? (size_t)(colon - v) : strlen(v);
  rt->relay.len = rt->link.len = 0;
  catb(&rt->relay, v, rl);
  if (str_0(&rt->relay) < 0) temp_nomem();
  rt->port = defport;
  if (colon) {
    unsigned long port;
    const char *l = strchr(colon + 1, ':');
    if (scan_ulong(colon + 1, &port) && port && port < 65536) rt->port = port;
    if (l && l[1]) cat(&rt->link, l + 1);
  }
  if (!rt->link.len) cat(&rt->link, LINK_DEFAULT);
  if (str_0(&rt->link) < 0) temp_nomem();
}

static void choose_route(struct job *j)
{
  const char *v = route_find(&j->cf, &j->cf.qmtproutes, j->domain);
  if (v && v[0] != ':' && v[0]) {
    j->rt.proto = P_QMTP;
    route_parse(&j->rt, v, PORT_QMTP);
    return;
  }
  j->rt.proto = P_SMTP;
  v = route_find(&j->cf, &j->cf.smtproutes, j->domain);
  route_parse(&j->rt, v ? v : "", PORT_SMTP);
}

static void check_link(struct job *j)
{
  if (control_member(&j->cf.linksdown, LINKS_ALL) || control_member(&j->cf.linksdown, j->rt.link.s))
    temp_linkdown(j->rt.link.s);
}

/* tlsdestinations: "domain[:cafile]", ".domain" for subdomains, "*" for all */
static void tls_policy(struct job *j)
{
  size_t pos = 0;
  const char *e;
  while ((e = control_next(&j->cf.tlsdest, &pos))) {
    const char *colon = strchr(e, ':');
    struct str d = STR_ZERO;
    int hit;
    catb(&d, e, colon ? (size_t)(colon - e) : strlen(e));
    if (str_0(&d) < 0) temp_nomem();
    hit = !strcmp(d.s, "*") || addr_domain_match(j->domain, d.s) ||
          (j->rt.relay.len && addr_domain_match(j->rt.relay.s, d.s));
    str_free(&d);
    if (!hit) continue;
    j->tls_verify = 1;
    j->tls_ca = colon && colon[1] && strcmp(colon + 1, "-") ? colon + 1 : 0;
    return;
  }
}

/* smtpcredentials: "relay:user:password", for smtproutes relays only;
 * the file must be readable by its owner alone */
static void credentials(struct job *j)
{
  struct str list = STR_ZERO;
  struct stat st;
  const char *v;
  if (!j->rt.relay.len || j->rt.proto != P_SMTP) return;
  if (stat("control/smtpcredentials", &st) < 0) {
    if (errno == ENOENT) return;
    temp_control("smtpcredentials");
  }
  if (st.st_mode & 077) temp_creds("may be read by group or others: chmod 600 it");
  if (control_readlines("control/smtpcredentials", &list) < 0) temp_control("smtpcredentials");
  v = list_entry(&list, j->rt.relay.s, j->rt.relay.len);
  if (v) {
    const char *colon = strchr(v, ':');
    if (!colon) temp_creds("has an entry without a password");
    catb(&j->user, v, (size_t)(colon - v));
    cat(&j->pass, colon + 1);
  }
  str_free(&list);
}

/* ---- the message ---- */

/* read the message once for its size and its 8-bit bytes, then rewind */
static void scan_message(struct job *j)
{
  char piece[READ_SIZE];
  struct stat st;
  smtpc_scan_init(&j->scan);
  if (fstat(0, &st) < 0) temp_read();
  if (!S_ISREG(st.st_mode)) { errno = ESPIPE; temp_read(); }
  j->filesize = (unsigned long long)st.st_size;
  for (;;) {
    ssize_t r = fd_read_retry(0, piece, sizeof piece);
    if (r < 0) temp_read();
    if (r == 0) break;
    smtpc_scan_feed(&j->scan, piece, (size_t)r);
  }
  if (lseek(0, 0, SEEK_SET) < 0) temp_read();
}

/* copy the message from fd 0 to out, through the DATA encoder (SMTP) or as it is (QMTP) */
static int send_message(struct conn *c, int stuff)
{
  char piece[READ_SIZE];
  struct smtpc_dot d;
  smtpc_dot_init(&d);
  if (lseek(0, 0, SEEK_SET) < 0) temp_read();
  for (;;) {
    ssize_t r = fd_read_retry(0, piece, sizeof piece);
    if (r < 0) temp_read();
    if (r == 0) break;
    if (stuff ? smtpc_dot_put(&d, &c->out, piece, (size_t)r) : buf_put(&c->out, piece, (size_t)r)) return -1;
  }
  return stuff ? smtpc_dot_end(&d, &c->out) : 0;
}

/* ---- connections ---- */

static int is_slow_failure(int e) { return e == ETIMEDOUT || e == EHOSTUNREACH || e == ENETUNREACH; }


static void conn_init(struct conn *c, int fd, const struct dns_target *t, unsigned long timeout)
{
  char ip[64];
  c->fd = fd;
  c->t = t;
  c->tls_on = 0;
  c->critical = 0;
  c->reusable = 0;
  c->msgs = 0;
  c->born = time(0);
  buf_init(&c->in, fd, c->inspace, sizeof c->inspace);
  buf_init(&c->out, fd, c->outspace, sizeof c->outspace);
  c->in.timeout = c->out.timeout = (int)timeout;
  dns_ntop(t, ip, sizeof ip);
  c->host.len = 0;
  if (strcmp(t->name, ip)) { cat(&c->host, t->name); cat(&c->host, " "); }
  cat(&c->host, "[");
  cat(&c->host, ip);
  cat(&c->host, "]");
}

static void conn_close(struct conn *c)
{
  if (c->tls_on) tlsx_close(&c->tls);
  c->tls_on = 0;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

/* the reply's code, or 0 when the connection failed (c->rep.text says how) */
static unsigned get_reply(struct conn *c)
{
  int r = smtpc_reply(&c->in, &c->rep);
  if (r >= 0) return (unsigned)r;
  c->rep.text.len = 0;
  return 0;
}

static int put(struct conn *c, const char *s) { return buf_puts(&c->out, s); }

/* a command line: verb and argument, CRLF */
static int command(struct conn *c, const char *verb, const struct str *arg)
{
  if (put(c, verb) < 0) return -1;
  if (arg && buf_putstr(&c->out, arg) < 0) return -1;
  return put(c, "\r\n");
}

/* a command sent now and its reply read: the code, 0 when the connection failed */
static unsigned ask(struct conn *c, const char *verb, const struct str *arg)
{
  if (command(c, verb, arg) < 0 || buf_flush(&c->out) < 0) return 0;
  return get_reply(c);
}

static void quit(struct conn *c)
{
  (void)put(c, "QUIT\r\n");
  (void)buf_flush(&c->out);
}

/* j->last already says why: try the next address */
static enum next quit_next(struct conn *c)
{
  quit(c);
  return NEXT;
}

/* a session that went wrong before the message was sent: try the next address */
static enum next give_up(struct job *j, struct conn *c, unsigned code, const char *what)
{
  if (code) describe(&j->last, c, 1, what, ESC_TEMP(ESC_CONNECTION));
  else describe(&j->last, c, 0, c->critical ? "dropped the connection after the message; possible duplicate" :
                                                  "dropped the connection or timed out", ESC_TEMP(ESC_CONNECTION));
  return quit_next(c);
}

/* ---- SMTP ---- */

static enum next hello(struct job *j, struct conn *c)
{
  struct str arg = STR_ZERO;
  unsigned code;
  cat(&arg, j->cf.helohost.s);
  code = ask(c, "EHLO ", &arg);
  if (code >= 200 && code < 300) smtpc_ehlo(&c->rep.text, &c->ext);
  else if (code) {
    c->ext.flags = 0;
    c->ext.size = 0;
    code = ask(c, "HELO ", &arg);
  }
  str_free(&arg);
  if (code >= 200 && code < 300) return DONE;
  return give_up(j, c, code, "refused my name");
}

/* control/clientcert.pem, shown to servers that ask, when readable */
static const char *client_cert(void)
{
  return access("control/clientcert.pem", R_OK) == 0 ? "control/clientcert.pem" : 0;
}

/* queue/lock/tls/NAME: the session file of a TLS peer, by the name we
 * check (or send as SNI), the port, and whether and against which CA
 * file its certificate was verified: a session is only resumed where the
 * handshake it came from would have been made */
static void session_name(struct job *j, const char *name, char *path, size_t size)
{
  char n[SESSION_NAME_MAX];
  size_t i;
  unsigned long h = 5381;
  const char *ca = j->tls_ca ? j->tls_ca : "";
  for (i = 0; name[i] && i < sizeof n - 1; i++) {
    char ch = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
    n[i] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ? ch : '_';
  }
  n[i] = 0;
  for (; *ca; ca++) h = h * 33 ^ (unsigned char)*ca;
  snprintf(path, size, "%s/%c%lu-%lx-%s", SESSION_DIR, j->tls_verify ? 'v' : 'o', j->rt.port, h & 0xffffffff, n);
}

/* STARTTLS: DONE with TLS on, PLAIN to retry without it, NEXT */
static enum next starttls(struct job *j, struct conn *c)
{
  const char *name = c->t->name;
  char path[SESSION_NAME_MAX + sizeof SESSION_DIR + 16];
  int sess, r;
  unsigned code = ask(c, "STARTTLS", 0);
  if (code != 220) {
    if (!j->tls_verify && code) return DONE;   /* opportunistic: carry on in the clear */
    return give_up(j, c, code, "refused STARTTLS");
  }
  if (j->rt.relay.len) name = j->rt.relay.s;
  if (name[0] == '[') name = c->host.s;   /* an address literal: no name to verify */
  buf_discard(&c->in);   /* nothing sent before the handshake may count */
  session_name(j, name, path, sizeof path);
  sess = tlsc_session_open(path);
  r = tlsc_connect(&c->tls, c->fd, name, j->tls_verify, j->tls_ca, client_cert(), sess, (int)j->cf.tremote);
  if (r == 0 && sess >= 0) (void)tlsc_session_save(sess, path);   /* a later run resumes it */
  if (sess >= 0) close(sess);
  if (r < 0) {
    int e = errno;
    if (!j->tls_verify) { tlsx_close(&c->tls); return PLAIN; }
    j->last.len = 0;
    cat(&j->last, "TLS to ");
    catb(&j->last, c->host.s, c->host.len);
    cat(&j->last, " failed: ");
    cat(&j->last, e == EPROTO ? tlsx_error(&c->tls) : strerror(e));
    cat(&j->last, " (control/tlsdestinations requires a verified certificate). " ESC_QMAIL(ESC_TEMP(ESC_CRYPTO)));
    tlsx_close(&c->tls);
    return NEXT;
  }
  c->tls_on = 1;
  buf_transport(&c->in, tlsx_read, &c->tls);
  buf_transport(&c->out, tlsx_write, &c->tls);
  return hello(j, c);
}

static enum next auth(struct job *j, struct conn *c)
{
  struct str arg = STR_ZERO, raw = STR_ZERO;
  unsigned code;
  if (!c->tls_on) {
    describe(&j->last, c, 0, "offers no STARTTLS: the password in control/smtpcredentials is not sent in the clear", ESC_TEMP(ESC_SECURITY));
    return quit_next(c);
  }
  if (c->ext.flags & SMTPC_AUTH_PLAIN) {
    catb(&raw, "", 1); catb(&raw, j->user.s, j->user.len);
    catb(&raw, "", 1); catb(&raw, j->pass.s, j->pass.len);
    if (b64_encode(&arg, raw.s, raw.len) < 0) temp_nomem();
    code = ask(c, "AUTH PLAIN ", &arg);
  } else if (c->ext.flags & SMTPC_AUTH_LOGIN) {
    code = ask(c, "AUTH LOGIN", 0);
    if (code == 334 && b64_encode(&arg, j->user.s, j->user.len) == 0) code = ask(c, "", &arg);
    arg.len = 0;
    if (code == 334 && b64_encode(&arg, j->pass.s, j->pass.len) == 0) code = ask(c, "", &arg);
  } else {
    code = 0;
    describe(&j->last, c, 0, "offers neither AUTH PLAIN nor AUTH LOGIN", ESC_TEMP(ESC_SECURITY));
    str_free(&arg); str_free(&raw);
    return NEXT;
  }
  str_free(&arg);
  str_free(&raw);
  if (code == 235) return DONE;
  return give_up(j, c, code, "refused my credentials (control/smtpcredentials)");
}

/* MAIL FROM:<sender> with the parameters the message needs */
static void mail_arg(struct job *j, struct conn *c, struct str *arg)
{
  arg->len = 0;
  cat(arg, "<");
  if (j->sender[0] && addr_quote(arg, j->sender) < 0) temp_nomem();
  cat(arg, ">");
  if (c->ext.flags & SMTPC_SIZE) {
    cat(arg, " SIZE=");
    if (str_catu(arg, j->scan.bytes) < 0) temp_nomem();
  }
  if ((c->ext.flags & SMTPC_8BITMIME) && j->scan.eightbit) cat(arg, " BODY=8BITMIME");
  if ((c->ext.flags & SMTPC_SMTPUTF8) && (j->utf8_any || j->scan.header_utf8)) cat(arg, " SMTPUTF8");
}

/* refuse what this peer cannot take before MAIL: 1 when the job is finished */
static void precheck(struct job *j, struct conn *c)
{
  size_t i;
  struct str t = STR_ZERO;
  if ((c->ext.flags & SMTPC_SIZE) && c->ext.size && j->scan.bytes > c->ext.size) {
    describe(&t, c, 0, "accepts no message this large (SIZE)", ESC_PERM(ESC_TOO_BIG));
    finish(j, 'D', &t);
  }
  if (c->ext.flags & SMTPC_SMTPUTF8) return;
  if (j->utf8_sender) {
    describe(&t, c, 0, "does not support SMTPUTF8, which the non-ASCII sender address needs", ESC_PERM(ESC_NEED_UTF8));
    finish(j, 'D', &t);
  }
  for (i = 0; i < j->nr; i++)
    if (smtpc_8bit(j->rcpt[i])) {
      j->res[i] = 'h';
      describe(&j->why[i], c, 0, "does not support SMTPUTF8, which this non-ASCII address needs", ESC_PERM(ESC_NEED_UTF8));
    }
  str_free(&t);
}

static int send_rcpt(struct job *j, struct conn *c, struct str *arg, size_t i)
{
  arg->len = 0;
  cat(arg, "<");
  if (addr_quote(arg, j->rcpt[i]) < 0) temp_nomem();
  cat(arg, ">");
  return command(c, "RCPT TO:", arg);
}

/* every RCPT not yet decided, for a pipelining server */
static int send_rcpts(struct job *j, struct conn *c, struct str *arg)
{
  size_t i;
  for (i = 0; i < j->nr; i++)
    if (!j->res[i] && send_rcpt(j, c, arg, i) < 0) return -1;
  return 0;
}

/* one RCPT reply: 1 accepted, 0 refused, -1 the connection failed, -2
 * a 421 (the server closes the session: the recipient is not refused) */
static int rcpt_result(struct job *j, struct conn *c, size_t i)
{
  unsigned code = get_reply(c);
  if (!code) return -1;
  if (code == 421) return -2;
  if (code >= 200 && code < 300) { j->res[i] = 'r'; return 1; }
  j->res[i] = code >= 500 ? 'h' : 's';
  describe(&j->why[i], c, 1, "does not like the recipient", code >= 500 ? ESC_PERM(ESC_OTHER) : ESC_TEMP(ESC_OTHER));
  return 0;
}

/* forget the recipients' results: the transaction moves to another address */
static void reset(struct job *j, char *saved)
{
  size_t i;
  for (i = 0; i < j->nr; i++) j->res[i] = saved[i];
}

/* after 354: the message and its reply */
static enum next data(struct job *j, struct conn *c, char *saved)
{
  unsigned code;
  int ok;
  struct str t = STR_ZERO;
  if (send_message(c, 1) < 0 || buf_flush(&c->out) < 0) { reset(j, saved); return give_up(j, c, 0, ""); }
  c->critical = 1;
  code = get_reply(c);
  if (!code) {
    describe(&t, c, 0, "dropped the connection after the message; possible duplicate", ESC_TEMP(ESC_CONNECTION));
    finish(j, 'Z', &t);
  }
  /* only a 2xx takes the message; a 1xx or 3xx here is no answer to it */
  ok = code >= 200 && code < 300;
  if (ok) { c->reusable = 1; c->msgs++; }   /* after_report says QUIT, or waits for more */
  else quit(c);
  describe(&t, c, 1, ok ? "accepted the message" : "failed after I sent the message",
           ok ? ESC_OK(ESC_OTHER) : code >= 500 ? ESC_PERM(ESC_OTHER) : ESC_TEMP(ESC_OTHER));
  finish(j, ok ? 'K' : code >= 500 ? 'D' : 'Z', &t);
}

/* MAIL, RCPT..., DATA: pipelined when the peer allows */
static enum next transaction(struct job *j, struct conn *c, char *saved)
{
  struct str arg = STR_ZERO, t = STR_ZERO;
  int pipe = c->ext.flags & SMTPC_PIPELINING, accepted = 0;
  size_t i;
  unsigned code;
  c->reusable = 0;
  c->critical = 0;
  mail_arg(j, c, &arg);
  if (command(c, "MAIL FROM:", &arg) < 0) return give_up(j, c, 0, "");
  if (pipe && (send_rcpts(j, c, &arg) < 0 || put(c, "DATA\r\n") < 0)) return give_up(j, c, 0, "");
  if (buf_flush(&c->out) < 0 || !(code = get_reply(c))) return give_up(j, c, 0, "");
  if (code >= 500) {
    describe(&t, c, 1, "refused the sender", ESC_PERM(ESC_OTHER));
    quit(c);
    finish(j, 'D', &t);
  }
  if (code >= 300) return give_up(j, c, code, "refused the sender for now");
  for (i = 0; i < j->nr; i++) {
    int r;
    if (j->res[i]) continue;
    /* without PIPELINING each RCPT waits for the reply to the one before */
    if (!pipe && (send_rcpt(j, c, &arg, i) < 0 || buf_flush(&c->out) < 0)) r = -1;
    else r = rcpt_result(j, c, i);
    if (r < 0) { reset(j, saved); return give_up(j, c, r == -2 ? 421 : 0, "closed the session"); }
    accepted += r;
  }
  str_free(&arg);
  if (!pipe && accepted && (put(c, "DATA\r\n") < 0 || buf_flush(&c->out) < 0)) { reset(j, saved); return give_up(j, c, 0, ""); }
  if (pipe || accepted) {
    code = get_reply(c);
    if (!code) { reset(j, saved); return give_up(j, c, 0, ""); }
    if (code == 354 && accepted) return data(j, c, saved);
    if (code == 354) { (void)put(c, ".\r\n"); (void)buf_flush(&c->out); (void)get_reply(c); }
    else if (accepted) {
      describe(&t, c, 1, "failed on the DATA command", code >= 500 ? ESC_PERM(ESC_OTHER) : ESC_TEMP(ESC_OTHER));
      quit(c);
      finish(j, code >= 500 ? 'D' : 'Z', &t);
    }
  }
  quit(c);
  describe(&t, c, 0, "accepted none of the recipients", ESC_PERM(ESC_OTHER));
  finish(j, 'D', &t);
}

/* one SMTP session on a connected socket */
static enum next smtp(struct job *j, struct conn *c, int try_tls)
{
  char saved[RCPTS_MAX];
  enum next n;
  unsigned code = get_reply(c);
  memcpy(saved, j->res, j->nr);
  if (code < 200 || code >= 300) return give_up(j, c, code, "did not greet me");
  if ((n = hello(j, c)) != DONE) return n;
  if (j->tls_verify && !(c->ext.flags & SMTPC_STARTTLS)) {
    describe(&j->last, c, 0, "offers no STARTTLS, which control/tlsdestinations requires", ESC_TEMP(ESC_CRYPTO));
    return quit_next(c);
  }
  if (try_tls && (c->ext.flags & SMTPC_STARTTLS) && (n = starttls(j, c)) != DONE) return n;
  if (j->user.len && (n = auth(j, c)) != DONE) return n;
  precheck(j, c);
  return transaction(j, c, saved);
}

/* ---- QMTP ---- */

static int qmtp_send(struct job *j, struct conn *c)
{
  struct str s = STR_ZERO, list = STR_ZERO;
  size_t i;
  if (ns_puthead(&c->out, j->filesize + 1) < 0 || put(c, "\n") < 0) return -1;
  if (send_message(c, 0) < 0 || put(c, ",") < 0) return -1;
  if (ns_cat(&s, j->sender, strlen(j->sender)) < 0) temp_nomem();
  for (i = 0; i < j->nr; i++)
    if (ns_cat(&list, j->rcpt[i], strlen(j->rcpt[i])) < 0) temp_nomem();
  if (ns_cat(&s, list.s ? list.s : "", list.len) < 0) temp_nomem();
  i = buf_putstr(&c->out, &s) < 0 || buf_flush(&c->out) < 0;
  str_free(&s);
  str_free(&list);
  return i ? -1 : 0;
}

/* one QMTP package: a response per recipient */
static enum next qmtp(struct job *j, struct conn *c)
{
  struct str r = STR_ZERO, t = STR_ZERO, first = STR_ZERO;
  size_t i, ok = 0;
  if (qmtp_send(j, c) < 0) return give_up(j, c, 0, "");
  c->critical = 1;
  for (i = 0; i < j->nr; i++) {
    if (ns_get(&c->in, &r, QMTP_REPLY_MAX) != 1 || !r.len) {
      describe(&t, c, 0, "dropped the connection after the message; possible duplicate", ESC_TEMP(ESC_CONNECTION));
      finish(j, 'Z', &t);
    }
    j->res[i] = r.s[0] == 'K' ? 'r' : r.s[0] == 'D' ? 'h' : 's';
    c->rep.text.len = 0;
    catb(&c->rep.text, r.s + 1, r.len - 1);
    if (r.s[0] == 'K' && !ok++) catb(&first, r.s + 1, r.len - 1);
    describe(&j->why[i], c, 1, r.s[0] == 'K' ? "accepted the message" : "does not like the recipient", ESC_TEMP(ESC_OTHER));
  }
  str_free(&r);
  if (ok) { c->rep.text.len = 0; catb(&c->rep.text, first.s, first.len); }
  describe(&t, c, 1, ok ? "accepted the message" : "accepted none of the recipients", ESC_PERM(ESC_OTHER));
  finish(j, ok ? 'K' : 'D', &t);
}

/* ---- the destination ---- */

/* qmail-remote's rule against loops: an exchanger that is this host, and
 * every exchanger as bad or worse than it, is dropped; when none is left
 * the domain points at us without being local: a permanent failure */
static int is_me(const struct config *cf, const struct dns_target *t)
{
  char ip[INET6_ADDRSTRLEN + 8];
  dns_ntop(t, ip, sizeof ip);
  if (control_member(&cf->notipme, ip)) return 0;   /* ours, but another MTA listens */
  return ipme_is((const struct sockaddr *)&t->sa) == 1;
}

static void drop_self(const struct config *cf, struct dns_targets *t)
{
  size_t i, k = 0;
  unsigned worst = (unsigned)-1;
  for (i = 0; i < t->n; i++)
    if (t->t[i].pref < worst && is_me(cf, &t->t[i])) worst = t->t[i].pref;
  if (worst == (unsigned)-1) return;
  for (i = 0; i < t->n; i++)
    if (t->t[i].pref < worst) t->t[k++] = t->t[i];
  t->n = k;
  if (!k) perm_ipme();
}

static void find_targets(struct job *j, struct dns_targets *t)
{
  const char *conf = getenv("QUAIL_RESOLVCONF");
  struct dns *d;
  const char *name = j->rt.relay.len ? j->rt.relay.s : j->domain;
  int r;
  if (name[0] == '[') {   /* a literal needs no resolver */
    struct dns_targets lit;
    lit.n = 0;
    if (dns_host(0, name, &lit) == DNS_OK) { *t = lit; return; }
  }
  if (!(d = dns_open(conf && *conf ? conf : 0))) temp_resolver();
  r = j->rt.relay.len ? dns_host(d, name, t) : dns_mx(d, name, (unsigned long)time(0) ^ ((unsigned long)getpid() << 16), t);
  dns_close(d);
  switch (r) {
  case DNS_OK: if (!j->rt.relay.len) drop_self(&j->cf, t); return;
  case DNS_SOFT: temp_dns(name);
  case DNS_NXDOMAIN: perm_dns(name);
  case DNS_NULLMX: perm_nullmx(name);
  case DNS_NOMEM: temp_nomem();
  default: if (j->rt.relay.len) perm_dns(name); perm_nomx();
  }
}

/* connect to one target and hold the session: DONE never returns */
static enum next try_target(struct job *j, struct conn *c, const struct dns_target *t)
{
  int try_tls;
  for (try_tls = 1; try_tls >= 0; try_tls--) {
    enum next n;
    int fd = dns_connect(t, j->rt.port, (int)j->cf.tconnect);
    if (fd < 0) {
      int e = errno;
      (void)tcpto_note(j->cf.tcpto, (const struct sockaddr *)&t->sa, is_slow_failure(e), time(0));
      conn_init(c, -1, t, 0);
      j->last.len = 0;
      cat(&j->last, "Sorry, I wasn't able to establish an SMTP connection to ");
      catb(&j->last, c->host.s, c->host.len);
      cat(&j->last, ": ");
      cat(&j->last, strerror(e));
      cat(&j->last, ". " ESC_QMAIL(ESC_TEMP(ESC_NO_ANSWER)));
      return NEXT;
    }
    (void)tcpto_note(j->cf.tcpto, (const struct sockaddr *)&t->sa, 0, time(0));
    conn_init(c, fd, t, j->cf.tremote);
    c->key.len = 0;
    catb(&c->key, j->key.s, j->key.len);
    n = j->rt.proto == P_QMTP ? qmtp(j, c) : smtp(j, c, try_tls);
    conn_close(c);
    if (n != PLAIN) return n;
  }
  return NEXT;
}

static void __attribute__((noreturn)) deliver(struct job *j, const struct dns_targets *t)
{
  size_t i, dead = 0;
  for (i = 0; i < t->n; i++) {
    if (tcpto_dead(j->cf.tcpto, (const struct sockaddr *)&t->t[i].sa, time(0)) == 1) { dead++; continue; }
    try_target(j, &the_conn, &t->t[i]);
  }
  if (dead == t->n)
    all_fail(j, 'Z', "Sorry, every address of the destination timed out recently (queue/lock/tcpto); "
                     "I will try again later. " ESC_QMAIL(ESC_TEMP(ESC_NO_ANSWER)), 0, 0);
  if (!j->last.len) cat(&j->last, "Sorry, I wasn't able to establish an SMTP connection. " ESC_QMAIL(ESC_TEMP(ESC_NO_ANSWER)));
  if (str_0(&j->last) < 0) temp_nomem();
  all_fail(j, 'Z', j->last.s, 0, 0);
}

/* ---- connection reuse (queue-spawn's QUAIL_REUSEFD) ---- */

/* the job's key: the domain, the route, the TLS policy, the credentials
 * and our name; a connection takes a job only with the key it opened for */
static void make_key(struct job *j)
{
  char port[32];
  j->key.len = 0;
  cat(&j->key, j->domain);
  str_lower(&j->key);
  snprintf(port, sizeof port, "|%d|%lu|%d|", (int)j->rt.proto, j->rt.port, j->tls_verify);
  cat(&j->key, port);
  catb(&j->key, j->rt.relay.s, j->rt.relay.len);
  cat(&j->key, "|");
  cat(&j->key, j->tls_ca ? j->tls_ca : "");
  cat(&j->key, "|");
  catb(&j->key, j->user.s, j->user.len);
  cat(&j->key, "|");
  cat(&j->key, j->cf.helohost.s);
  if (str_0(&j->key) < 0) temp_nomem();
}

/* nothing came from the peer since its last reply (no 421, no EOF) */
static int conn_quiet(struct conn *c)
{
  struct pollfd p = { c->fd, POLLIN, 0 };
  return !buf_buffered(&c->in) && poll(&p, 1, 0) == 0;
}

/* RSET on a session that waited: a peer gone without a word (a link
 * down) costs REUSE_PROBE seconds, not control/timeoutremote */
static unsigned probe(struct conn *c, unsigned long tremote)
{
  unsigned code;
  c->in.timeout = c->out.timeout = c->tls.timeout = REUSE_PROBE;
  code = ask(c, "RSET", 0);
  c->in.timeout = c->out.timeout = c->tls.timeout = (int)tremote;
  return code;
}

/* the open connection takes this job when it can; returns when it
 * cannot, or when its session failed before the message went: the job
 * then goes over a new connection, as in a fresh run */
static void reuse_try(struct job *j)
{
  struct conn *c = &the_conn;
  char saved[RCPTS_MAX];
  unsigned code;
  if (c->fd < 0) return;
  if (c->reusable && !strcmp(c->key.s, j->key.s) && conn_quiet(c)) {
    memcpy(saved, j->res, j->nr);
    code = probe(c, j->cf.tremote);
    if (code >= 200 && code < 300) {
      precheck(j, c);
      (void)transaction(j, c, saved);   /* NEXT: it failed before the message */
    } else quit(c);
  } else quit(c);
  conn_close(c);
  j->last.len = 0;
}

/* a request from queue-spawn: its message and report pipe become fds 0
 * and 1 and the job starts over in main; returns at end of file */
static void take_request(struct reuse *r)
{
  uint32_t token;
  int fds[2];
  long n = qspawn_recv(r->fd, r->buf, &token, r->args, QSPAWN_ARGS_MAX, &r->n, fds);
  if (n <= 0) return;
  if (fd_move(0, fds[0]) < 0 || fd_move(1, fds[1]) < 0) diag_diesys(EXIT_TEMP, "unable to take a request", (char *)0);
  longjmp(next_job, 1);
}

/* tell queue-spawn we leave; a request it sent before it read that is
 * still ours. Returns when it closes the socket */
static void leave(struct reuse *r)
{
  struct pollfd p = { r->fd, POLLIN, 0 };
  if (send(r->fd, "X", 1, MSG_NOSIGNAL) != 1) return;
  for (;;) {
    int n = poll(&p, 1, REUSE_BYE_WAIT * 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) take_request(r);   /* returns at end of file */
    return;
  }
}

/* the report is written: wait for the next message for the connection,
 * up to control/remotereuse seconds; returns when there is none */
static void idle(struct job *j, struct conn *c, struct reuse *r)
{
  time_t end = time(0) + (time_t)j->cf.reuse;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  /* the message and the report pipe go: queue-manager sees the report end */
  if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) return;
  if (null > 2) close(null);
  if (send(r->fd, "I", 1, MSG_NOSIGNAL) != 1) return;
  for (;;) {
    struct pollfd p[2] = { { r->fd, POLLIN, 0 }, { c->fd, POLLIN, 0 } };
    time_t now = time(0);
    int n;
    if (now >= end) break;
    n = poll(p, 2, (int)(end - now) * 1000);
    if (n < 0 && errno != EINTR) break;
    if (n > 0 && p[0].revents) { take_request(r); return; }
    if (n > 0 && p[1].revents) { c->reusable = 0; break; }   /* a 421 or the end: no more */
  }
  leave(r);
}

/* after the report: wait for more over a connection that ended well,
 * else QUIT and exit */
static void __attribute__((noreturn)) after_report(struct job *j)
{
  struct conn *c = &the_conn;
  if (the_reuse.fd >= 0 && j->cf.reuse && c->fd >= 0 && c->reusable && c->msgs < REUSE_MSGS_MAX &&
      time(0) - c->born < REUSE_AGE_MAX)
    idle(j, c, &the_reuse);
  if (c->fd >= 0) quit(c);
  _exit(EXIT_OK);
}

/* QUAIL_REUSEFD: queue-spawn's socket, a SOCK_SEQPACKET one */
static void reuse_init(struct reuse *r)
{
  const char *e = getenv(REUSE_ENV);
  unsigned long fd;
  int type;
  socklen_t len = sizeof type;
  r->fd = -1;
  if (!e || scan_ulong(e, &fd) != (int)strlen(e) || fd < 3 || fd > 1024) return;
  if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET) return;
  fd_cloexec((int)fd);
  r->fd = (int)fd;
}

/* ---- main ---- */

/* a job's state from the one before it, forgotten */
static void job_clear(struct job *j)
{
  size_t i;
  for (i = 0; j->why && i < j->nr; i++) str_free(&j->why[i]);
  free(j->res);
  free(j->why);
  str_free(&j->user);
  str_free(&j->pass);
  j->res = 0;
  j->why = 0;
  j->tls_ca = 0;
  j->tls_verify = 0;
  j->last.len = j->report.len = j->key.len = 0;
}

static void setup_job(struct job *j, size_t n, char **args)
{
  size_t i;
  j->domain = args[0];
  j->sender = args[1];
  j->rcpt = args + 2;
  j->nr = n - 2;
  j->res = calloc(j->nr, 1);
  j->why = calloc(j->nr, sizeof *j->why);
  if (!j->res || !j->why) temp_nomem();
  for (i = 0; j->sender[i]; i++)
    if ((unsigned char)j->sender[i] < 32 || j->sender[i] == 127) perm_sender();
  j->utf8_sender = smtpc_8bit(j->sender);
  j->utf8_any = j->utf8_sender;
  for (i = 0; i < j->nr; i++) {
    const char *s;
    for (s = j->rcpt[i]; *s; s++)
      if ((unsigned char)*s < 32 || *s == 127) {
        j->res[i] = 'h';
        cat(&j->why[i], "The recipient address holds control characters. " ESC_QMAIL(ESC_PERM(ESC_BAD_RCPT)));
        break;
      }
    if (smtpc_8bit(j->rcpt[i])) j->utf8_any = 1;
  }
}

/* one message: args are domain, sender, recipients */
static void __attribute__((noreturn)) run(struct job *j, const char *home, size_t n, char **args)
{
  static struct dns_targets targets;
  job_clear(j);
  read_control(&j->cf, home);
  setup_job(j, n, args);
  choose_route(j);
  check_link(j);
  tls_policy(j);
  credentials(j);
  scan_message(j);
  make_key(j);
  reuse_try(j);
  find_targets(j, &targets);
  deliver(j, &targets);
}

int main(int argc, char **argv)
{
  static struct job j;
  static const char *home;

  diag_init("deliver-remote");
  signal(SIGPIPE, SIG_IGN);
  the_job = &j;
  the_conn.fd = -1;
  if (argc < 4 || (size_t)argc - 3 > RCPTS_MAX) {
    static const char usage[] = "DI (deliver-remote) was invoked improperly. " ESC_QMAIL(ESC_PERM(ESC_MISCONFIGURED));
    (void)fd_write_all(1, usage, sizeof usage);
    diag_usage("host sender recipient...");
  }
  /* the recipients off /proc/PID/cmdline (quail-security(7)) */
  if (priv_hide_args(argc, argv) < 0) temp_nomem();
  home = home_dir(getenv("QUAIL_HOME"));
  if (chdir(home) < 0) temp_home();
  reuse_init(&the_reuse);
  if (setjmp(next_job)) run(&j, home, the_reuse.n, the_reuse.args);
  run(&j, home, (size_t)argc - 1, argv + 1);
}
