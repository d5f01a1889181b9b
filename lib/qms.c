/* qms.c: the parts qmtpd and qmqpd share. Never exits or prints. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "control.h"
#include "date.h"
#include "exitcode.h"
#include "home.h"
#include "netstring.h"
#include "qms.h"
#include "smtp.h"

#define HOST_LOG_MAX  255         /* bytes of a host name in the Received line */
#define IP_LOG_MAX    64

/* the input's transport: first flush the responses, then wait no longer
 * than the timeout and the session's end */
static ssize_t net_read(void *ctx, int fd, char *p, size_t n)
{
  struct qms *c = ctx;
  time_t left = c->deadline - time(0);
  int t = c->timeout;
  ssize_t r;
  if (qms_flush(c) < 0) return -1;
  if (left <= 0) { errno = ETIMEDOUT; return -1; }
  if (left < t) t = (int)left;
  if (fd_wait(fd, 0, t) < 0) return -1;
  do r = read(fd, p, n); while (r < 0 && errno == EINTR);
  return r;
}

int qms_init(struct qms *c, const char *prog, const char *proto, const char *home,
             const char *qmailqueue)
{
  c->prog = prog;
  c->proto = proto;
  c->deadline = time(0) + QMS_SESSION_MAX;
  c->timeout = QMS_TIMEOUT_DEF;
  buf_init(&c->in, 0, c->inspace, sizeof c->inspace);
  buf_transport(&c->in, net_read, c);
  buf_init(&c->out, 1, c->outspace, sizeof c->outspace);
  c->qqprog = home_queue(home, qmailqueue, c->qqpath, sizeof c->qqpath);
  return c->qqprog ? 0 : -1;
}

void qms_client(struct qms *c, const char *ip, const char *host)
{
  c->remoteip = ip && *ip ? ip : "unknown";
  c->remotehost = host && *host ? host : "unknown";
}

int qms_config(struct qms *c, const char **bad)
{
  unsigned long u;
  int r;
  if (control_readline(*bad = "control/me", &c->me, QMS_ME_DEF) < 0) return -1;
  if (control_readulong(*bad = "control/timeoutsmtpd", &u, QMS_TIMEOUT_DEF) < 0) return -1;
  c->timeout = u == 0 || u > INT_MAX ? QMS_TIMEOUT_DEF : (int)u;
  c->out.timeout = c->timeout;
  if (control_readulong(*bad = "control/databytes", &u, SMTP_DATABYTES_DEFAULT) < 0) return -1;
  c->databytes = u;
  if ((r = control_readline(*bad = "control/smtpnormalize", &c->dec, 0)) < 0) return -1;
  c->normalize = r == 1;
  return 0;
}

int qms_too_big(const struct qms *c, unsigned long long len)
{
  return c->databytes && len > c->databytes;
}

/* ---------- the message ---------- */

int qms_refused(const struct qms *c)
{
  return smtp_data_fatal(c->d.flags, c->normalize);
}

int qms_content(const struct qms *c)
{
  int f = qms_refused(c);
  if (f & SMTP_DATA_TOO_BIG) return QMS_CONTENT_BIG;
  if (f & SMTP_DATA_NUL) return QMS_CONTENT_NUL;
  if (f & SMTP_DATA_BARE_CR) return QMS_CONTENT_BARECR;
  return QMS_CONTENT_OK;
}

int qms_message(struct qms *c, unsigned long long len, int store)
{
  char chunk[QMS_CHUNK];
  int done;
  smtp_data_init(&c->d, c->databytes, (size_t)-1, 0, 0);
  c->d.chunked = c->d.lf = 1;
  while (store && len) {
    size_t n = len < sizeof chunk ? (size_t)len : sizeof chunk;
    if (ns_read(&c->in, chunk, n) < 0) return -1;
    len -= n;
    c->dec.len = 0;
    if (smtp_data_feed(&c->d, chunk, n, &c->dec, &done) < n) return -1;
    if (qms_refused(c)) store = 0;
    else qq_put(&c->qq, c->dec.s, c->dec.len);   /* a dead writer shows at qq_close */
  }
  if (!store) return ns_skip(&c->in, len);
  c->dec.len = 0;
  if (smtp_data_last(&c->d, &c->dec) < 0) return -1;
  if (!qms_refused(c)) qq_put(&c->qq, c->dec.s, c->dec.len);
  return 0;
}

/* ---------- reading ---------- */

int qms_getlen(struct qms *c, unsigned long long max, unsigned long long *len)
{
  int r = ns_getlen(&c->in, max, len);
  if (r == 0) errno = ENODATA;
  return r == 1 ? 0 : -1;
}

int qms_inner(struct qms *c, unsigned long long *left, unsigned long long *len)
{
  if (qms_getlen(c, *left, len) < 0) return -1;
  if (ns_size(*len) > *left) { errno = EPROTO; return -1; }
  *left -= ns_size(*len);
  return 0;
}

/* an address we can pass on: no NUL, CR or LF */
static int addr_ok(const struct str *a)
{
  return !memchr(a->s, 0, a->len) && !memchr(a->s, '\n', a->len) && !memchr(a->s, '\r', a->len);
}

int qms_addr(struct qms *c, unsigned long long len, struct str *a)
{
  int ok = len <= ADDR_MAX;
  if (!ok && ns_skip(&c->in, len) < 0) return -1;
  if (ok && str_ready(a, (size_t)len + 1) < 0) return -1;
  if (ok && ns_read(&c->in, a->s, (size_t)len) < 0) return -1;
  a->len = ok ? (size_t)len : 0;
  if (str_0(a) < 0 || ns_getcomma(&c->in) < 0) return -1;
  return ok && addr_ok(a);
}

/* ---------- writing ---------- */

int qms_reply(struct qms *c, const char *s, size_t n)
{
  if (ns_put(&c->out, s, n) < 0) { c->wfail = 1; return -1; }
  return 0;
}

int qms_flush(struct qms *c)
{
  if (buf_flush(&c->out) < 0) { c->wfail = 1; return -1; }
  return 0;
}

/* ---------- the queue program ---------- */

int qms_received(const struct qms *c, struct str *out)
{
  char date[DATE_MAX];
  date_rfc5322(time(0), date);
  if (str_copys(out, "Received: from ") < 0 || smtp_clean(out, c->remotehost, HOST_LOG_MAX) < 0) return -1;
  if (str_cats(out, " (") < 0 || str_cats(out, smtp_ip_prefix(c->remoteip)) < 0 ||
      smtp_clean(out, c->remoteip, IP_LOG_MAX) < 0) return -1;
  if (str_cats(out, "])\n\tby ") < 0 || smtp_clean(out, c->me.s, HOST_LOG_MAX) < 0) return -1;
  if (str_catf(out, " (quail %s) with %s; %s\n", c->prog, c->proto, date) < 0) return -1;
  return 0;
}

int qms_queue(struct qms *c, const struct str *line)
{
  if (qq_open(&c->qq, c->qqprog) < 0) return -1;
  c->qqopen = 1;
  qq_put(&c->qq, line->s, line->len);   /* a dead writer shows at qq_close */
  return 0;
}

void qms_drop(struct qms *c)
{
  if (!c->qqopen) return;
  c->qqopen = 0;
  c->qq.failed = 1;
  (void)qq_close(&c->qq);
}

int qms_close(struct qms *c)
{
  c->qqopen = 0;
  return qq_close(&c->qq);
}

int qms_result(const struct qms *c, struct str *out, int code)
{
  int temp = qq_temporary(code);
  out->len = 0;
  if (code == QQ_OK) return str_catf(out, "Kok %lu qp %lu", (unsigned long)time(0), (unsigned long)c->qq.pid);
  return str_catf(out, "%c%s (#%s)", temp ? 'Z' : 'D', qq_text(code),
                  temp ? ESC_TEMP(ESC_SYSTEM) : ESC_PERM(ESC_SYSTEM));
}

int qms_fail(struct qms *c, int e, const char *unit)
{
  int perm = e == ENODATA || e == EPROTO || e == EMSGSIZE;
  qms_drop(c);
  if (c->wfail) snprintf(c->why, sizeof c->why, "unable to write to the client: %s", strerror(e));
  else if (e == ENODATA) snprintf(c->why, sizeof c->why, "client closed the connection inside %s", unit);
  else if (e == EPROTO) snprintf(c->why, sizeof c->why, "protocol error: malformed netstring");
  else if (e == EMSGSIZE) snprintf(c->why, sizeof c->why, "protocol error: netstring too long");
  else snprintf(c->why, sizeof c->why, "unable to read from the client: %s", strerror(e));
  errno = e;
  return perm && !c->wfail ? EXIT_PERM : EXIT_TEMP;
}

/* ---------- logging ---------- */

int qms_detail(struct str *d, const char *key, const char *value, int angle)
{
  if (str_catc(d, ' ') < 0 || str_cats(d, key) < 0 || str_cats(d, angle ? "=<" : "=") < 0) return -1;
  if (smtp_clean(d, value, ADDR_MAX) < 0) return -1;
  return angle ? str_catc(d, '>') : 0;
}

int qms_logline(const struct qms *c, struct str *l, const char *event, const struct str *detail)
{
  l->len = 0;
  if (str_catf(l, "%s: pid %ld from ", c->prog, (long)getpid()) < 0) return -1;
  if (smtp_clean(l, c->remoteip, IP_LOG_MAX) < 0 || str_cats(l, ": ") < 0 || str_cats(l, event) < 0) return -1;
  if (str_catb(l, detail->s, detail->len) < 0) return -1;
  return str_catc(l, '\n');
}

int qms_logpackage(const struct qms *c, struct str *l, const char *sender,
                   const struct str *rcpts, unsigned long long size, const char *why)
{
  struct str d = STR_ZERO;
  size_t pos = 0;
  const char *r;
  int x = qms_detail(&d, "from", sender ? sender : "", 1);
  while (!x && (r = control_next(rcpts, &pos))) x = qms_detail(&d, "to", r, 1);
  if (!x) x = str_catf(&d, " size=%llu", size);
  if (!x) x = why ? qms_detail(&d, "reason", why, 0) : str_catf(&d, " qp=%lu", (unsigned long)c->qq.pid);
  if (!x) x = qms_logline(c, l, why ? "rejected" : "accepted", &d);
  str_free(&d);
  return x;
}
