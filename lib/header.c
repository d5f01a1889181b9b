/* header.c: header fields and address lists. Never exits or prints.
 *
 * An address list is read in segments: the text up to a ',' or ';' or
 * ':' outside angle brackets. A segment ending in ':' is a group's name
 * and holds no address; a segment with '<' is a display name and an
 * angle address; any other segment is one or more bare addresses. */
#include <errno.h>
#include <string.h>
#include "addr.h"
#include "header.h"

static const struct { const char *name; int kind; } kinds[] = {
  { "to", HEADER_TO }, { "cc", HEADER_CC }, { "bcc", HEADER_BCC },
  { "apparently-to", HEADER_APPARENTLY_TO },
  { "resent-to", HEADER_RESENT_TO }, { "resent-cc", HEADER_RESENT_CC },
  { "resent-bcc", HEADER_RESENT_BCC },
  { "from", HEADER_FROM }, { "sender", HEADER_SENDER }, { "reply-to", HEADER_REPLY_TO },
  { "return-path", HEADER_RETURN_PATH }, { "return-receipt-to", HEADER_RETURN_RECEIPT_TO },
  { "errors-to", HEADER_ERRORS_TO },
  { "resent-from", HEADER_RESENT_FROM }, { "resent-sender", HEADER_RESENT_SENDER },
  { "resent-reply-to", HEADER_RESENT_REPLY_TO },
  { "date", HEADER_DATE }, { "resent-date", HEADER_RESENT_DATE },
  { "message-id", HEADER_MESSAGE_ID }, { "resent-message-id", HEADER_RESENT_MESSAGE_ID },
  { "content-length", HEADER_CONTENT_LENGTH },
};

enum { TOK_END, TOK_ATOM, TOK_QUOTED, TOK_LITERAL, TOK_COMMENT, TOK_SPECIAL };

struct tok {
  int type;
  char c;          /* the character of a TOK_SPECIAL */
  size_t a, b;     /* its bytes in the source: [a, b) */
};

struct seg {
  size_t end;      /* where the terminator starts (or the end) */
  size_t next;     /* where the next segment starts */
  char term;       /* ',' ';' ':' or 0 at the end */
  int angle;       /* holds an angle address */
};

struct addrb {     /* an address being built from tokens */
  struct str local, domain;
  int at;          /* an '@' came */
  int words;       /* words (atoms, quoted strings, literals) so far */
  int toks;        /* tokens so far */
  size_t a, b;     /* its span in the source */
};

struct parse {
  const char *s;
  const struct header_rw *rw;
  struct str *out, *addrs;
  size_t copied;   /* the source up to here is in out */
  struct addrb x;
  struct str env;  /* the address in envelope form */
};

size_t header_field(const char *line, size_t n, size_t *body)
{
  size_t i = 0, len;
  while (i < n && line[i] > 32 && line[i] < 127 && line[i] != ':') i++;
  len = i;
  while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
  if (!len || i == n || line[i] != ':') return 0;
  *body = i + 1;
  return len;
}

int header_kind(const char *name, size_t n)
{
  size_t i;
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (case_equalb(name, n, kinds[i].name)) return kinds[i].kind;
  return HEADER_OTHER;
}

int header_addresses(int kind) { return kind >= HEADER_TO && kind <= HEADER_RESENT_REPLY_TO; }

static int is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* ')', ']' and '\\' do not end an atom: qmail-inject is as lenient */
static int atom_end(char c) { return is_wsp(c) || (c && strchr("(<>[:;@,.\"", c)); }

/* move *i past the quoted string, comment or literal that opens there */
static int skip_delimited(const char *s, size_t n, size_t *i, char close)
{
  char open = s[*i];
  int depth = 1;
  size_t j;
  for (j = *i + 1; j < n; j++) {
    if (s[j] == '\\') { j++; continue; }
    if (open == '(' && s[j] == '(') depth++;
    else if (s[j] == close && --depth == 0) { *i = j + 1; return 0; }
  }
  errno = EINVAL;
  return -1;
}

static int next_tok(const char *s, size_t n, size_t *pos, struct tok *t)
{
  size_t i = *pos;
  int r = 0;
  while (i < n && is_wsp(s[i])) i++;
  t->a = i;
  t->type = TOK_END;
  t->c = 0;
  if (i < n) {
    char c = s[i];
    if (c == '(') { t->type = TOK_COMMENT; r = skip_delimited(s, n, &i, ')'); }
    else if (c == '"') { t->type = TOK_QUOTED; r = skip_delimited(s, n, &i, '"'); }
    else if (c == '[') { t->type = TOK_LITERAL; r = skip_delimited(s, n, &i, ']'); }
    else if (atom_end(c)) { t->type = TOK_SPECIAL; t->c = c; i++; }
    else { t->type = TOK_ATOM; while (i < n && !atom_end(s[i])) i++; }
  }
  t->b = i;
  *pos = i;
  return r;
}

/* the contents of a quoted string: quoted pairs resolved, folding removed */
static int unquote(struct str *out, const char *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    if (s[i] == '\r' || s[i] == '\n') continue;
    if (s[i] == '\\' && i + 1 < n) i++;
    if (str_catc(out, s[i]) < 0) return -1;
  }
  return 0;
}

static void addrb_reset(struct addrb *x)
{
  x->local.len = x->domain.len = 0;
  x->at = x->words = x->toks = 0;
  x->a = x->b = 0;
}

/* add a word, '.' or '@' to the address being built */
static int addrb_add(struct addrb *x, const char *s, const struct tok *t)
{
  struct str *part = x->at ? &x->domain : &x->local;
  if (!x->toks++) x->a = t->a;
  x->b = t->b;
  if (t->type != TOK_SPECIAL) x->words++;
  if (t->type == TOK_ATOM || t->type == TOK_LITERAL) return str_catb(part, s + t->a, t->b - t->a);
  if (t->type == TOK_QUOTED) return unquote(part, s + t->a + 1, t->b - t->a - 2);
  if (t->c == '.') return str_catc(part, '.');
  if (!x->at) { x->at = 1; return 0; }
  /* a second '@': what came before it belongs to the local part */
  if (str_catc(&x->local, '@') < 0 || str_catb(&x->local, x->domain.s, x->domain.len) < 0) return -1;
  x->domain.len = 0;
  return 0;
}

/* qmail-inject's masquerading of a domain; 1 when it changed */
static int rw_domain(struct str *d, int *at, const struct header_rw *rw)
{
  int changed = 0;
  if (!*at || !d->len) {
    if (!rw->defaulthost) return 0;
    if (str_copys(d, rw->defaulthost) < 0) return -1;
    *at = 1;
    changed = 1;
  }
  if (!d->len || d->s[0] == '[') return changed;   /* a literal, or <foo@[]> */
  if (d->s[d->len - 1] == '+' && rw->plusdomain) {
    d->len--;
    if (str_catc(d, '.') < 0 || str_cats(d, rw->plusdomain) < 0) return -1;
    changed = 1;
  }
  if (!memchr(d->s, '.', d->len) && rw->defaultdomain) {
    if (str_catc(d, '.') < 0 || str_cats(d, rw->defaultdomain) < 0) return -1;
    changed = 1;
  }
  return changed;
}

int header_rewrite(struct str *addr, const struct header_rw *rw)
{
  struct str d = STR_ZERO;
  const char *at;
  size_t llen;
  int has, r;
  if (!addr->len || !rw) return 0;
  at = memrchr(addr->s, '@', addr->len);
  has = at != 0;
  llen = has ? (size_t)(at - addr->s) : addr->len;
  if (has && str_copyb(&d, at + 1, addr->len - llen - 1) < 0) return -1;
  r = rw_domain(&d, &has, rw);
  if (r > 0) {
    addr->len = llen;
    if (str_catc(addr, '@') < 0 || str_catb(addr, d.s, d.len) < 0) r = -1;
  }
  str_free(&d);
  return r;
}

/* the address built (source span [a, b)): masquerade it, add it to
 * addrs, and to out as it was or, when changed, written anew; sep puts
 * a comma before it; angle: "<>" counts as the null address */
static int emit(struct parse *p, size_t a, size_t b, int changed, int sep, int angle)
{
  struct addrb *x = &p->x;
  struct str *e = &p->env;
  int r;
  if (!x->words && !angle) return 0;
  if (!x->local.len) {
    changed |= x->at;              /* <@host> is the null address */
    x->at = 0;
  } else if (p->rw) {
    if ((r = rw_domain(&x->domain, &x->at, p->rw)) < 0) return -1;
    changed |= r;
  }
  if (str_copyb(e, x->local.s, x->local.len) < 0) return -1;
  if (x->at && (str_catc(e, '@') < 0 || str_catb(e, x->domain.s, x->domain.len) < 0)) return -1;
  if (str_catb(p->addrs, e->s, e->len) < 0 || str_catc(p->addrs, 0) < 0) return -1;
  if (!p->out) return 0;
  if (sep && str_catc(p->out, ',') < 0) return -1;
  if (str_catb(p->out, p->s + p->copied, a - p->copied) < 0) return -1;
  if (!changed) r = str_catb(p->out, p->s + a, b - a);
  else r = e->len ? addr_quote(p->out, e->s) : 0;
  p->copied = b;
  return r;
}

static int seg_scan(const char *s, size_t n, size_t pos, struct seg *g)
{
  struct tok t;
  int inangle = 0;
  g->angle = 0;
  for (;;) {
    if (next_tok(s, n, &pos, &t) < 0) return -1;
    if (t.type == TOK_END) break;
    if (t.type != TOK_SPECIAL) continue;
    if (t.c == '<') {
      if (g->angle) break;         /* two angle addresses in one */
      inangle = g->angle = 1;
    } else if (t.c == '>') {
      if (!inangle) break;
      inangle = 0;
    } else if (!inangle && strchr(",;:", t.c)) {
      g->end = t.a;
      g->term = t.c;
      g->next = t.b;
      return 0;
    }
  }
  if (t.type != TOK_END || inangle) { errno = EINVAL; return -1; }
  g->end = g->next = n;
  g->term = 0;
  return 0;
}

static int is_special(const struct tok *t, char c) { return t->type == TOK_SPECIAL && t->c == c; }

/* display name, then <route:addr-spec>; the route is dropped */
static int do_angle(struct parse *p, size_t pos, size_t end)
{
  struct tok t;
  size_t a;
  int route = 0;
  do
    if (next_tok(p->s, end, &pos, &t) < 0 || t.type == TOK_END) goto bad;
  while (!is_special(&t, '<'));
  a = t.b;
  addrb_reset(&p->x);
  for (;;) {
    if (next_tok(p->s, end, &pos, &t) < 0 || t.type == TOK_END) goto bad;
    if (is_special(&t, '>')) break;
    if (t.type == TOK_COMMENT || is_special(&t, ',') || is_special(&t, ';')) continue;
    if (is_special(&t, ':')) { addrb_reset(&p->x); route = 1; continue; }
    if (addrb_add(&p->x, p->s, &t) < 0) return -1;
  }
  return emit(p, a, t.a, route, 0, 1);
bad:
  errno = EINVAL;
  return -1;
}

/* one or more bare addr-specs; "djb fred" reads as "djb, fred" */
static int do_bare(struct parse *p, size_t pos, size_t end)
{
  struct tok t;
  int prevword = 0, sep = 0;
  addrb_reset(&p->x);
  for (;;) {
    int word;
    if (next_tok(p->s, end, &pos, &t) < 0) return -1;
    if (t.type == TOK_END) break;
    if (t.type == TOK_COMMENT) continue;
    word = t.type != TOK_SPECIAL;
    if (word && prevword) {
      if (emit(p, p->x.a, p->x.b, 0, sep, 0) < 0) return -1;
      addrb_reset(&p->x);
      sep = 1;
    }
    prevword = word;
    if (addrb_add(&p->x, p->s, &t) < 0) return -1;
  }
  return emit(p, p->x.a, p->x.b, 0, sep, 0);
}

int header_addrlist(const char *s, size_t n, const struct header_rw *rw,
                    struct str *out, struct str *addrs)
{
  struct parse p;
  size_t pos = 0;
  int r = 0, e;
  memset(&p, 0, sizeof p);
  p.s = s;
  p.rw = rw;
  p.out = out;
  p.addrs = addrs;
  while (pos < n && r == 0) {
    struct seg g;
    r = seg_scan(s, n, pos, &g);
    if (r < 0) break;
    if (g.term != ':') r = g.angle ? do_angle(&p, pos, g.end) : do_bare(&p, pos, g.end);
    pos = g.next;
  }
  if (r == 0 && out) r = str_catb(out, s + p.copied, n - p.copied);
  e = errno;
  str_free(&p.x.local);
  str_free(&p.x.domain);
  str_free(&p.env);
  errno = e;
  return r;
}

static int quote_with(struct str *out, const char *s, char open, char close, const char *esc)
{
  if (str_catc(out, open) < 0) return -1;
  for (; *s; s++) {
    char c = *s;
    if ((unsigned char)c < 32 || c == 127) c = ' ';
    else if (strchr(esc, c) && str_catc(out, '\\') < 0) return -1;
    if (str_catc(out, c) < 0) return -1;
  }
  return str_catc(out, close);
}

int header_quoted(struct str *out, const char *s) { return quote_with(out, s, '"', '"', "\"\\"); }
int header_comment(struct str *out, const char *s) { return quote_with(out, s, '(', ')', "()\\"); }
