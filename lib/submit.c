/* submit.c: local submission, qmail-inject's job. Never exits or prints.
 *
 * The header is read field by field (folded lines joined) into memory;
 * address fields are masqueraded as they come and their addresses kept
 * for -t and friends. When the header ends, the envelope is chosen, the
 * queue program started, the completed header written and the body
 * copied in pieces: CRLF becomes LF, and with dotstop a line "." ends.
 * Everything written passes smtpd's decoder in LF form (smtp.h): what
 * goes to the queue holds no CR, and a bare CR (unless smtpnormalize) or
 * a NUL refuses the message, as on every other way into the queue. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include "addr.h"
#include "control.h"
#include "date.h"
#include "exitcode.h"
#include "home.h"
#include "qq.h"
#include "smtp.h"
#include "submit.h"

#define PATH_SIZE   4096
#define ERRARG_MAX  200      /* bytes of an address shown in a message */

/* QMAILINJECT letters (qmail-inject(8)) */
enum { FLAG_COMMENT = 1, FLAG_DELSENDER = 2, FLAG_DELFROM = 4, FLAG_DELMSGID = 8, FLAG_VERPMESS = 16,
       FLAG_VERPRCPT = 32 };

/* how the header ended */
enum { MORE, END_BLANK, END_BODYLINE, END_EOF, END_DOT };

const char *const submit_envnames[SUBMIT_ENVS] = {
  "QMAILHOST", "MAILHOST", "QMAILUSER", "MAILUSER",
  "USER", "LOGNAME", "QMAILNAME", "MAILNAME", "NAME",
  "QMAILSUSER", "QMAILSHOST", "QMAILINJECT",
  "QMAILDEFAULTDOMAIN", "QMAILDEFAULTHOST", "QMAILPLUSDOMAIN",
  "QMAILIDHOST", "QMAILMFTFILE",
};

struct out {                 /* where the message goes */
  int queue;                 /* to the queue program, else printed */
  int normalize;             /* control/smtpnormalize */
  struct smtp_data d;        /* everything written, in LF form */
  struct str dec;            /* what the decoder made of a piece */
  struct qq q;
  struct buf b;
  char space[BUF_SIZE];
};

struct rcpt {                /* for finding repeated recipients */
  const char *p;
  size_t rank;
};

static int fail(struct submit *s, int err)
{
  s->err = err;
  s->errnum = errno;
  return -1;
}

static int nomem(struct submit *s)
{
  errno = ENOMEM;
  return fail(s, SUBMIT_ENOMEM);
}

/* fail, naming arg (control characters shown as '?') */
static int fail_on(struct submit *s, int err, const char *arg, size_t n)
{
  int e = errno;
  size_t i;
  s->errarg.len = 0;
  for (i = 0; i < n && i < ERRARG_MAX; i++) {
    unsigned char c = (unsigned char)arg[i];
    if (str_catc(&s->errarg, c < 32 || c == 127 ? '?' : (char)c) < 0) return nomem(s);
  }
  if (n > ERRARG_MAX && str_cats(&s->errarg, "...") < 0) return nomem(s);
  errno = e;
  return fail(s, err);
}

void submit_zero(struct submit *s) { memset(s, 0, sizeof *s); }

static const char *first(const char *a, const char *b) { return a ? a : b; }

static unsigned inject_flags(const char *x)
{
  unsigned f = 0;
  for (; x && *x; x++)
    switch (*x) {
    case 'c': f |= FLAG_COMMENT; break;
    case 's': f |= FLAG_DELSENDER; break;
    case 'f': f |= FLAG_DELFROM; break;
    case 'i': f |= FLAG_DELMSGID; break;
    case 'm': f |= FLAG_VERPMESS; break;
    case 'r': f |= FLAG_VERPRCPT; break;
    }
  return f;
}

/* control/NAME into out, def (may be 0) when it is missing */
static int control(struct submit *s, const char *name, struct str *out, const char *def)
{
  char path[PATH_SIZE], rel[64];
  snprintf(rel, sizeof rel, "control/%s", name);
  if (home_path(s->home, rel, path, sizeof path) < 0) return fail_on(s, SUBMIT_ECONTROL, rel, strlen(rel));
  if (control_readline(path, out, def) < 0) return fail_on(s, SUBMIT_ECONTROL, path, strlen(path));
  return 0;
}

/* the environment's override, else control/NAME, else control/me, else
 * the literal name (qmail-inject's defaults) */
static int setting(struct submit *s, const char *name, const char *override,
                   const struct str *me, struct str *out)
{
  if (override) return str_copys(out, override) < 0 ? nomem(s) : 0;
  return control(s, name, out, me->len ? me->s : name);
}

/* control/smtpnormalize: present, a bare CR is a line end (smtpd's flag) */
static int read_normalize(struct submit *s, struct str *scratch)
{
  char path[PATH_SIZE];
  int r;
  if (home_path(s->home, "control/smtpnormalize", path, sizeof path) < 0 ||
      (r = control_readline(path, scratch, 0)) < 0)
    return fail_on(s, SUBMIT_ECONTROL, "control/smtpnormalize", 21);
  s->normalize = r == 1;
  return 0;
}

static int read_controls(struct submit *s)
{
  const char **e = s->env;
  struct str me = STR_ZERO;
  int r = control(s, "me", &me, 0);
  /* unlike qmail, no fallback to me: a dotless host such as localhost stays
   * as it is unless a defaultdomain is configured */
  if (r == 0) r = e[SUBMIT_QMAILDEFAULTDOMAIN] ? setting(s, "defaultdomain", e[SUBMIT_QMAILDEFAULTDOMAIN], &me, &s->defaultdomain)
                                            : control(s, "defaultdomain", &s->defaultdomain, 0);
  if (r == 0) r = setting(s, "defaulthost", e[SUBMIT_QMAILDEFAULTHOST], &me, &s->defaulthost);
  if (r == 0) r = setting(s, "plusdomain", e[SUBMIT_QMAILPLUSDOMAIN], &me, &s->plusdomain);
  if (r == 0) r = setting(s, "idhost", e[SUBMIT_QMAILIDHOST], &me, &s->idhost);
  if (r == 0) r = read_normalize(s, &me);
  if (r == 0 && e[SUBMIT_QMAILMFTFILE] && control_readlines(e[SUBMIT_QMAILMFTFILE], &s->mftlists) < 0)
    r = fail_on(s, SUBMIT_ECONTROL, e[SUBMIT_QMAILMFTFILE], strlen(e[SUBMIT_QMAILMFTFILE]));
  str_free(&me);
  return r;
}

int submit_init(struct submit *s)
{
  const char **e = s->env;
  struct timeval tv;
  gettimeofday(&tv, 0);
  s->now = tv.tv_sec;
  s->usec = (long)tv.tv_usec;
  s->pid = (long)getpid();
  s->flags = inject_flags(e[SUBMIT_QMAILINJECT]);
  s->host = first(e[SUBMIT_QMAILHOST], e[SUBMIT_MAILHOST]);
  s->user = first(e[SUBMIT_QMAILUSER], first(e[SUBMIT_MAILUSER], first(e[SUBMIT_USER],
                  first(e[SUBMIT_LOGNAME], "anonymous"))));
  s->name = first(s->fullname, first(e[SUBMIT_QMAILNAME], first(e[SUBMIT_MAILNAME], e[SUBMIT_NAME])));
  if (read_controls(s) < 0) return -1;
  s->rw.defaulthost = s->defaulthost.s;
  s->rw.defaultdomain = s->defaultdomain.len ? s->defaultdomain.s : 0;
  s->rw.plusdomain = s->plusdomain.s;
  return 0;
}

/* an envelope address must fit queue-writer: not empty, not too long,
 * no control characters */
static int check_addr(struct submit *s, const char *a, size_t n)
{
  size_t i;
  if (!n) return fail_on(s, SUBMIT_EADDR, "(empty)", 7);
  if (n > ADDR_MAX) return fail_on(s, SUBMIT_EADDR, a, n);
  for (i = 0; i < n; i++)
    if ((unsigned char)a[i] < 32 || a[i] == 127) return fail_on(s, SUBMIT_EADDR, a, n);
  return 0;
}

int submit_rcpt(struct submit *s, const char *addr)
{
  struct str *a = &s->scratch;
  if (str_copys(a, addr) < 0 || header_rewrite(a, &s->rw) < 0) return nomem(s);
  if (check_addr(s, a->s, a->len) < 0) return -1;
  if (str_catb(&s->rcpts, a->s, a->len + 1) < 0) return nomem(s);
  return 0;
}

/* "<addr>" as addr */
static int strip_angle(struct str *out, const char *a)
{
  size_t n = strlen(a);
  if (n >= 2 && a[0] == '<' && a[n - 1] == '>') return str_copyb(out, a + 1, n - 2);
  return str_copyb(out, a, n);
}

static void crlf(struct str *l)
{
  if (l->len >= 2 && l->s[l->len - 2] == '\r' && l->s[l->len - 1] == '\n') {
    l->s[l->len - 2] = '\n';
    l->len--;
  }
}

/* a line's end as LF; a line cut short by the end of input gets one, a
 * CR that ends the input becoming it */
static int line_end(struct str *l, int full)
{
  crlf(l);
  if (full) return 0;
  if (l->len && l->s[l->len - 1] == '\r') {
    l->s[l->len - 1] = '\n';
    return 0;
  }
  return str_catc(l, '\n');
}

static int is_dot(const struct str *l)
{
  return (l->len == 1 && l->s[0] == '.') || (l->len == 2 && !memcmp(l->s, ".\n", 2))
      || (l->len == 3 && !memcmp(l->s, ".\r\n", 3));
}

static int is_resent(const struct submit *s)
{
  static const int k[] = { HEADER_RESENT_SENDER, HEADER_RESENT_FROM, HEADER_RESENT_REPLY_TO,
                           HEADER_RESENT_TO, HEADER_RESENT_CC, HEADER_RESENT_BCC,
                           HEADER_RESENT_DATE, HEADER_RESENT_MESSAGE_ID };
  size_t i;
  for (i = 0; i < sizeof k / sizeof k[0]; i++)
    if (s->seen[k[i]]) return 1;
  return 0;
}

/* where a field's addresses go: the header recipients, or 0 */
static struct str *rcpt_list(struct submit *s, int kind)
{
  switch (kind) {
  case HEADER_TO: case HEADER_CC: case HEADER_BCC: case HEADER_APPARENTLY_TO:
    return &s->hdrrcpts;
  case HEADER_RESENT_TO: case HEADER_RESENT_CC: case HEADER_RESENT_BCC:
    return &s->resentrcpts;
  default:
    return 0;
  }
}

/* masquerade an address field; collect its recipients, or the envelope
 * sender from Return-Path. A field we cannot parse stays as it came,
 * unless we need its addresses. */
static int addresses(struct submit *s, int kind, size_t namelen, size_t body)
{
  struct str *f = &s->field, *dst = rcpt_list(s, kind);
  struct str *addrs = dst ? dst : &s->list;
  struct str t;
  size_t mark = addrs->len;
  s->list.len = 0;
  if (str_copyb(&s->scratch, f->s, body) < 0) return nomem(s);
  if (header_addrlist(f->s + body, f->len - body, &s->rw, &s->scratch, addrs) < 0) {
    if (errno == ENOMEM) return nomem(s);
    addrs->len = mark;
    if ((dst && s->header_rcpts) || (kind == HEADER_RETURN_PATH && !s->sender))
      return fail_on(s, SUBMIT_EPARSE, f->s, namelen);
    return 0;
  }
  if ((kind == HEADER_TO || kind == HEADER_CC) && str_catb(&s->tocc, addrs->s + mark, addrs->len - mark) < 0)
    return nomem(s);
  if (kind == HEADER_RETURN_PATH && !s->have_sender && s->list.len) {
    if (str_copys(&s->envsender, s->list.s) < 0) return nomem(s);
    s->have_sender = 1;
  }
  t = s->field;
  s->field = s->scratch;
  s->scratch = t;
  return 0;
}

static int dropped(const struct submit *s, int kind)
{
  return ((s->flags & FLAG_DELFROM) && kind == HEADER_FROM)
      || ((s->flags & FLAG_DELMSGID) && kind == HEADER_MESSAGE_ID)
      || ((s->flags & FLAG_DELSENDER) && kind == HEADER_RETURN_PATH);
}

static int kept(int kind)
{
  return kind != HEADER_BCC && kind != HEADER_RESENT_BCC
      && kind != HEADER_RETURN_PATH && kind != HEADER_CONTENT_LENGTH;
}

/* the field read so far is complete */
static int finish_field(struct submit *s)
{
  size_t body = 0, n;
  int kind;
  if (!s->field.len) return 0;
  n = header_field(s->field.s, s->field.len, &body);
  kind = header_kind(s->field.s, n);
  if (n == 16 && !strncasecmp(s->field.s, "Mail-Followup-To", 16)) s->mft_seen = 1;
  if (!dropped(s, kind)) {
    s->seen[kind] = 1;
    if (header_addresses(kind) && addresses(s, kind, n, body) < 0) return -1;
    if (kept(kind) && str_catb(&s->head, s->field.s, s->field.len) < 0) return nomem(s);
    /* masquerading lengthens a header; keep even that bounded */
    if (s->head.len > 2 * SUBMIT_HEADER_MAX) return fail(s, SUBMIT_EBIGHEADER);
  }
  s->field.len = 0;
  return 0;
}

/* one line of the header (full: it ended in '\n'); MORE, or how the
 * header ended (the line that ended it stays in s->line) */
static int header_line(struct submit *s, int full)
{
  struct str *l = &s->line;
  size_t body;
  if (!l->len) return finish_field(s) < 0 ? -1 : END_EOF;
  if (line_end(l, full) < 0) return nomem(s);
  if (s->dotstop && is_dot(l)) return finish_field(s) < 0 ? -1 : END_DOT;
  if (s->field.len && (l->s[0] == ' ' || l->s[0] == '\t'))
    return str_catb(&s->field, l->s, l->len) < 0 ? nomem(s) : MORE;
  if (finish_field(s) < 0) return -1;
  if (l->len == 1) return END_BLANK;
  if (str_starts(l, "From ")) {     /* an mbox separator, as qmail-inject keeps it */
    if (str_copys(&s->field, "MBOX-Line: ") < 0) return nomem(s);
  } else if (!header_field(l->s, l->len, &body)) {
    return END_BODYLINE;
  }
  return str_catb(&s->field, l->s, l->len) < 0 ? nomem(s) : MORE;
}

static int read_header(struct submit *s)
{
  size_t total = 0;
  for (;;) {
    int r;
    s->line.len = 0;
    r = buf_getline(&s->in, &s->line, SUBMIT_HEADER_MAX - total + 1);
    if (r < 0) return fail(s, SUBMIT_EREAD);
    total += s->line.len;
    if (r == 2 || total > SUBMIT_HEADER_MAX) return fail(s, SUBMIT_EBIGHEADER);
    r = header_line(s, r == 1);
    if (r != MORE) return r;
  }
}

static int default_sender(struct submit *s, struct str *e)
{
  const char *host = first(s->env[SUBMIT_QMAILSHOST], s->host);
  if (str_copys(e, first(s->env[SUBMIT_QMAILSUSER], s->user)) < 0) return -1;
  if ((s->flags & FLAG_VERPMESS) && str_catf(e, "-%ld.%ld", (long)s->now, s->pid) < 0) return -1;
  if ((s->flags & FLAG_VERPRCPT) && str_catc(e, '-') < 0) return -1;
  if (host && (str_catc(e, '@') < 0 || str_cats(e, host) < 0)) return -1;
  return header_rewrite(e, &s->rw) < 0 ? -1 : 0;
}

/* -f, else Return-Path, else the user (QMAILSUSER, QMAILSHOST); with
 * QMAILINJECT=r the last two become a per-recipient VERP, PREFIX@HOST-@[],
 * which queue-manager expands as qmail-send does */
static int choose_sender(struct submit *s)
{
  struct str *e = &s->envsender;
  if (s->sender) {
    if (strip_angle(e, s->sender) < 0 || header_rewrite(e, &s->rw) < 0) return nomem(s);
  } else if (!s->have_sender) {
    if (default_sender(s, e) < 0) return nomem(s);
  }
  if (!s->sender && (s->flags & FLAG_VERPRCPT) && e->len && str_cats(e, "-@[]") < 0) return nomem(s);
  if (str_0(e) < 0) return nomem(s);
  return e->len ? check_addr(s, e->s, e->len) : 0;
}

static int cmp_rcpt(const void *a, const void *b)
{
  const struct rcpt *x = a, *y = b;
  int c = strcmp(x->p, y->p);
  return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

/* drop repeated recipients, keeping the first of each, in order */
static int dedupe(struct submit *s, size_t n)
{
  struct rcpt *v = calloc(n, sizeof *v);
  char *drop = calloc(n, 1);
  const char *p = s->rcpts.s;
  size_t i, keep = 0;
  int r = -1;
  if (!v || !drop) goto done;
  for (i = 0; i < n; i++, p += strlen(p) + 1) { v[i].p = p; v[i].rank = i; }
  qsort(v, n, sizeof *v, cmp_rcpt);
  for (i = 1; i < n; i++)
    if (!strcmp(v[i].p, v[keep].p)) drop[v[i].rank] = 1;
    else keep = i;
  s->scratch.len = 0;
  for (i = 0, p = s->rcpts.s; i < n; i++, p += strlen(p) + 1)
    if (!drop[i] && str_catb(&s->scratch, p, strlen(p) + 1) < 0) goto done;
  r = str_copyb(&s->rcpts, s->scratch.s, s->scratch.len);
done:
  free(v);
  free(drop);
  return r;
}

/* the arguments' recipients, then the header's when asked for */
static int choose_rcpts(struct submit *s, int queueing)
{
  const struct str *h = is_resent(s) ? &s->resentrcpts : &s->hdrrcpts;
  size_t i = 0, n = 0;
  while (s->header_rcpts && i < h->len) {
    const char *a = h->s + i;
    size_t len = strlen(a);
    i += len + 1;
    if (!len) continue;             /* <> */
    if (check_addr(s, a, len) < 0) return -1;
    if (str_catb(&s->rcpts, a, len + 1) < 0) return nomem(s);
  }
  for (i = 0; i < s->rcpts.len; i++)
    if (!s->rcpts.s[i]) n++;
  if (n > 1 && dedupe(s, n) < 0) return nomem(s);
  if (!n && queueing) return fail(s, SUBMIT_ENORCPT);
  return 0;
}

/* the From field for a message without one */
static int from_field(struct submit *s, struct str *h)
{
  struct str *a = &s->list;
  size_t i;
  if (s->fromaddr && *s->fromaddr && strcmp(s->fromaddr, "<>")) {
    if (strip_angle(a, s->fromaddr) < 0) return -1;
  } else {
    if (str_copys(a, s->user) < 0) return -1;
    if (s->host && (str_catc(a, '@') < 0 || str_cats(a, s->host) < 0)) return -1;
  }
  if (header_rewrite(a, &s->rw) < 0) return -1;
  for (i = 0; i < a->len; i++)      /* from the environment: no new lines */
    if ((unsigned char)a->s[i] < 32 || a->s[i] == 127) a->s[i] = '?';
  if (str_cats(h, "From: ") < 0) return -1;
  if (s->name && !(s->flags & FLAG_COMMENT)) {
    if (header_quoted(h, s->name) < 0 || str_cats(h, " <") < 0 || addr_quote(h, a->s) < 0
        || str_catc(h, '>') < 0) return -1;
  } else {
    if (addr_quote(h, a->s) < 0) return -1;
    if (s->name && (str_catc(h, ' ') < 0 || header_comment(h, s->name) < 0)) return -1;
  }
  return str_catc(h, '\n');
}

/* QMAILMFTFILE (qmail-inject(8)): when a To or Cc address is one of the
 * file's lists and the message has no Mail-Followup-To, one with every
 * To and Cc address */
static int mft_field(const struct submit *s, struct str *h)
{
  const char *a;
  size_t pos;
  int list = 0, n = 0;
  if (s->mft_seen || !s->mftlists.len) return 0;
  for (pos = 0; !list && pos < s->tocc.len; pos += strlen(a) + 1)
    list = control_member(&s->mftlists, a = s->tocc.s + pos);
  if (!list) return 0;
  if (str_cats(h, "Mail-Followup-To: ") < 0) return -1;
  for (pos = 0; pos < s->tocc.len; pos += strlen(a) + 1) {
    if (!*(a = s->tocc.s + pos)) continue;             /* <> */
    if ((n++ && str_cats(h, ",\n  ") < 0) || addr_quote(h, a) < 0) return -1;
  }
  return str_catc(h, '\n');
}

/* Date, Message-ID, From and Cc when missing (k: their kinds, with
 * To), each name after prefix pre: "" or "Resent-" */
static int stamps(struct submit *s, struct str *h, const char *pre, const int k[5])
{
  char date[DATE_MAX];
  date_rfc5322(s->now, date);
  if (!s->seen[k[0]] && str_catf(h, "%sDate: %s\n", pre, date) < 0) return -1;
  if (!s->seen[k[1]] && str_catf(h, "%sMessage-ID: <%ld.%ld.%ld@%s>\n", pre, (long)s->now,
                                 s->pid, s->usec, s->idhost.s) < 0) return -1;
  if (!s->seen[k[2]] && (str_cats(h, pre) < 0 || from_field(s, h) < 0)) return -1;
  if (!s->seen[k[3]] && !s->seen[k[4]] && str_catf(h, "%sCc: recipient list not shown: ;\n", pre) < 0)
    return -1;
  return *pre ? 0 : mft_field(s, h);
}

/* what the decoder made of a piece, to the queue program or printed */
static int out_dec(struct out *o)
{
  return o->queue ? qq_put(&o->q, o->dec.s, o->dec.len) : buf_put(&o->b, o->dec.s, o->dec.len);
}

/* a piece through the decoder; nothing more once the message is refused */
static int out_put(struct out *o, const char *x, size_t n)
{
  int done;
  o->dec.len = 0;
  if (smtp_data_feed(&o->d, x, n, &o->dec, &done) < n) return -1;
  if (smtp_data_fatal(o->d.flags, o->normalize)) return 0;
  return out_dec(o);
}

/* the end of the message: a CR left waiting was bare; -1 when the
 * message is refused for what it holds (noted in s), -2 output failed */
static int out_last(struct submit *s, struct out *o)
{
  o->dec.len = 0;
  if (smtp_data_last(&o->d, &o->dec) < 0) return nomem(s);
  if ((s->content = smtp_data_fatal(o->d.flags, o->normalize))) return fail(s, SUBMIT_ECONTENT);
  return o->dec.len && out_dec(o) < 0 ? -2 : 0;
}

/* -1 failure noted in s, -2 the output failed */
static int put_header(struct submit *s, struct out *o)
{
  static const int plain[5] = { HEADER_DATE, HEADER_MESSAGE_ID, HEADER_FROM, HEADER_TO, HEADER_CC };
  static const int resent[5] = { HEADER_RESENT_DATE, HEADER_RESENT_MESSAGE_ID, HEADER_RESENT_FROM,
                                 HEADER_RESENT_TO, HEADER_RESENT_CC };
  struct str *h = &s->scratch;
  int r = 0;
  h->len = 0;
  if (!o->queue) {
    r = str_cats(h, "Return-Path: <");
    if (r == 0 && s->envsender.len) r = addr_quote(h, s->envsender.s);
    if (r == 0) r = str_cats(h, ">\n");
  }
  if (r == 0) r = is_resent(s) ? stamps(s, h, "Resent-", resent) : stamps(s, h, "", plain);
  if (r < 0) return nomem(s);
  if (out_put(o, h->s, h->len) < 0 || out_put(o, s->head.s, s->head.len) < 0 || out_put(o, "\n", 1) < 0)
    return -2;
  return 0;
}

/* the body in pieces of at most SUBMIT_PIECE bytes; a CR that ends a
 * piece waits to see whether a LF follows */
static int copy_body(struct submit *s, struct out *o, int end)
{
  struct str *l = &s->line;
  int bol = 1, cr = 0;
  if (end == END_EOF || end == END_DOT) return 0;
  if (end == END_BODYLINE && out_put(o, l->s, l->len) < 0) return -2;
  for (;;) {
    int r;
    l->len = 0;
    r = buf_getline(&s->in, l, SUBMIT_PIECE);
    if (r < 0) return fail(s, SUBMIT_EREAD);
    if (!l->len) break;
    if (cr && l->s[0] != '\n' && out_put(o, "\r", 1) < 0) return -2;
    cr = 0;
    if (bol && s->dotstop && is_dot(l)) return 0;
    if (r == 2) {
      if (l->s[l->len - 1] == '\r') { l->len--; cr = 1; }
    } else if (line_end(l, r == 1) < 0) {
      return nomem(s);
    }
    if (out_put(o, l->s, l->len) < 0) return -2;
    bol = r != 2;
  }
  if (cr && out_put(o, "\n", 1) < 0) return -2;   /* it ended the input */
  return 0;
}

static int out_open(struct submit *s, struct out *o, const char *qprog, int outfd)
{
  o->queue = qprog != 0;
  o->normalize = s->normalize;
  o->dec = (struct str)STR_ZERO;
  smtp_data_init(&o->d, 0, (size_t)-1, 0, 0);
  o->d.chunked = o->d.lf = 1;
  if (!o->queue) {
    buf_init(&o->b, outfd, o->space, sizeof o->space);
    return 0;
  }
  if (access(qprog, X_OK) < 0 || qq_open(&o->q, qprog) < 0)
    return fail_on(s, SUBMIT_EQUEUESTART, qprog, strlen(qprog));
  o->q.early = 1;             /* inject and sendmail exit once it reports */
  return 0;
}

static int envelope(struct submit *s, struct qq *q)
{
  size_t i;
  if (qq_from(q, s->envsender.s) < 0) return -1;
  for (i = 0; i < s->rcpts.len; i += strlen(s->rcpts.s + i) + 1)
    if (qq_to(q, s->rcpts.s + i) < 0) return -1;
  return 0;
}

/* finish after copying ended with r (0, -1 failure noted, -2 output failed) */
static int out_close(struct submit *s, struct out *o, int r)
{
  int code;
  if (!o->queue) {
    if (r == 0 && buf_flush(&o->b) < 0) r = -2;
    return r == -2 ? fail(s, SUBMIT_EWRITE) : r;
  }
  if (r == -1 || envelope(s, &o->q) < 0) {
    qq_abort(&o->q);
    return r == -1 ? -1 : nomem(s);
  }
  code = qq_close(&o->q);
  if (code < 0) return fail(s, SUBMIT_EQUEUESTART);
  if (code) {
    s->qqcode = code;
    return fail(s, SUBMIT_EQUEUE);
  }
  return 0;
}

int submit_message(struct submit *s, int infd, const char *qprog, int outfd)
{
  struct out o;
  int end, r;
  buf_init(&s->in, infd, s->inspace, sizeof s->inspace);
  if ((end = read_header(s)) < 0) return -1;
  if (choose_sender(s) < 0 || choose_rcpts(s, qprog != 0) < 0) return -1;
  if (out_open(s, &o, qprog, outfd) < 0) return -1;
  r = put_header(s, &o);
  if (r == 0) r = copy_body(s, &o, end);
  if (r == 0) r = out_last(s, &o);
  r = out_close(s, &o, r);
  str_free(&o.dec);
  return r;
}

int submit_error(const struct submit *s, struct str *m)
{
  const char *arg = s->errarg.len ? s->errarg.s : "";
  const char *sys = strerror(s->errnum);
  int temp = 1, r;
  m->len = 0;
  switch (s->err) {
  case SUBMIT_ENOMEM: r = str_cats(m, "out of memory"); break;
  case SUBMIT_ECONTROL: r = str_catf(m, "unable to read %s: %s", arg, sys); break;
  case SUBMIT_EREAD: r = str_catf(m, "unable to read the message: %s", sys); break;
  case SUBMIT_EWRITE: r = str_catf(m, "unable to write the message: %s", sys); break;
  case SUBMIT_EBIGHEADER:
    temp = 0;
    r = str_catf(m, "message header larger than %d bytes", SUBMIT_HEADER_MAX);
    break;
  case SUBMIT_EPARSE: temp = 0; r = str_catf(m, "unable to parse the address list in the %s field", arg); break;
  case SUBMIT_EADDR: temp = 0; r = str_catf(m, "invalid address: %s", arg); break;
  case SUBMIT_ENORCPT: temp = 0; r = str_cats(m, "no recipients"); break;
  case SUBMIT_ECONTENT:
    temp = 0;
    r = str_cats(m, s->content & SMTP_DATA_NUL ? "message refused: it holds a NUL byte"
                                               : "message refused: a bare CR in it (lines end with LF)");
    break;
  case SUBMIT_EQUEUESTART: r = str_catf(m, "unable to run %s: %s", arg, sys); break;
  case SUBMIT_EQUEUE:
    temp = qq_temporary(s->qqcode);
    r = str_catf(m, "unable to queue the message: %s (#%d)", qq_text(s->qqcode), s->qqcode);
    break;
  default: r = str_cats(m, "internal error"); break;
  }
  return r < 0 ? -1 : temp;
}

void submit_free(struct submit *s)
{
  struct str *all[] = { &s->errarg, &s->defaulthost, &s->defaultdomain, &s->plusdomain, &s->idhost,
                        &s->envsender, &s->rcpts, &s->hdrrcpts, &s->resentrcpts, &s->head,
                        &s->field, &s->line, &s->scratch, &s->list, &s->tocc, &s->mftlists };
  size_t i;
  for (i = 0; i < sizeof all / sizeof all[0]; i++) str_free(all[i]);
}
