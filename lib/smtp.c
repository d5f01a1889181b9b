/* smtp.c: SMTP paths, parameters, replies, the DATA decoder and the
 * Received line. Pure functions over strings: no I/O. */
#include <errno.h>
#include <string.h>
#include "addr.h"
#include "date.h"
#include "smtp.h"

int smtp_reply(struct str *out, unsigned code, int more, const char *esc, const char *text)
{
  if (str_catu(out, code) < 0 || str_catc(out, more ? '-' : ' ') < 0) return -1;
  if (esc && (str_cats(out, esc) < 0 || str_catc(out, ' ') < 0)) return -1;
  if (str_cats(out, text) < 0) return -1;
  return str_catb(out, "\r\n", 2);
}

/* ---- paths ---- */

static int inval(void) { errno = EINVAL; return -1; }

static int is_atext(unsigned char c)
{
  if (c >= 128) return 1;   /* SMTPUTF8; the caller learns it through *utf8 */
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
  return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0;
}

static int is_domain_char(unsigned char c)
{
  return c >= 128 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* "@one,@two:" : skipped, as RFC 5321 tells a server to */
static const char *skip_route(const char *s)
{
  while (*s == '@') {
    s++;
    while (is_domain_char((unsigned char)*s) || *s == '[' || *s == ']' || *s == ':') {
      if (*s == ':') return s + 1;
      s++;
    }
    if (*s == ',') s++;
    else break;
  }
  return 0;
}

static const char *dot_string(const char *s, struct str *addr)
{
  const char *start = s;
  while (is_atext((unsigned char)*s) || *s == '.') s++;
  if (s == start) return 0;
  return str_catb(addr, start, (size_t)(s - start)) < 0 ? 0 : s;
}

/* a quoted local part, stored without its quotes and backslashes */
static const char *quoted_string(const char *s, struct str *addr)
{
  size_t start = addr->len;
  for (s++; *s != '"'; s++) {
    unsigned char c;
    if (*s == '\\') s++;
    c = (unsigned char)*s;
    if (c < 32 || c == 127) return 0;   /* also the end of the line */
    if (str_catc(addr, (char)c) < 0) return 0;
  }
  return addr->len > start ? s + 1 : 0;
}

int smtp_domain_ok(const char *d)
{
  size_t label = 0;
  if (*d == '[') {
    for (d++; *d && *d != ']'; d++)
      if (!is_domain_char((unsigned char)*d) && *d != ':') return 0;
    return *d == ']' && !d[1];
  }
  for (; *d; d++) {
    if (*d == '.') { if (!label) return 0; label = 0; continue; }
    if (!is_domain_char((unsigned char)*d)) return 0;
    label++;
  }
  return label > 0;
}

/* the domain after '@'; one trailing dot (the root) is dropped */
static const char *domain(const char *s, struct str *addr)
{
  size_t start = addr->len;
  const char *d = s;
  int root = 0;
  if (*d == '[') {
    while (*d && *d != ']' && *d != '>' && *d != ' ') d++;
    if (*d == ']') d++;
  } else {
    while (is_domain_char((unsigned char)*d)) d++;
    if (d - s > 1 && d[-1] == '.') { d--; root = 1; }
  }
  if (str_catb(addr, s, (size_t)(d - s)) < 0) return 0;
  if (!smtp_domain_ok(addr->s + start)) return 0;
  return d + root;
}

static int has_8bit(const struct str *x)
{
  size_t i;
  for (i = 0; i < x->len; i++)
    if ((unsigned char)x->s[i] >= 128) return 1;
  return 0;
}

int smtp_path(const char *s, struct str *addr, const char **rest, int *utf8)
{
  int bracket = 0;
  addr->len = 0;
  *utf8 = 0;
  if (str_0(addr) < 0) return -1;
  while (*s == ' ') s++;
  if (*s == '<') {
    bracket = 1;
    if (*++s == '>') { *rest = s + 1; return 0; }
    if (*s == '@' && !(s = skip_route(s))) return inval();
  }
  errno = EINVAL;
  s = *s == '"' ? quoted_string(s, addr) : dot_string(s, addr);
  if (!s) return -1;
  if (*s == '@') {
    if (str_catc(addr, '@') < 0) return -1;
    if (!(s = domain(s + 1, addr))) return inval();
  } else if (memchr(addr->s, '@', addr->len)) {
    return inval();   /* <"a@b">: no domain, yet it would read as one */
  }
  if (bracket && *s++ != '>') return inval();
  if (*s && *s != ' ') return inval();
  if (addr->len > ADDR_MAX) { errno = E2BIG; return -1; }
  *utf8 = has_8bit(addr);
  *rest = s;
  return 0;
}

int smtp_param(const char **s, const char **key, size_t *keylen, const char **val, size_t *vallen)
{
  const char *p = *s;
  while (*p == ' ') p++;
  if (!*p) { *s = p; return 0; }
  *key = p;
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-') p++;
  *keylen = (size_t)(p - *key);
  *val = 0;
  *vallen = 0;
  if (*p == '=') {
    *val = ++p;
    while ((unsigned char)*p > 32 && (unsigned char)*p < 127 && *p != '=') p++;
    *vallen = (size_t)(p - *val);
    if (!*vallen) return -1;
  }
  if (!*keylen || (*p && *p != ' ')) return -1;
  *s = p;
  return 1;
}

int smtp_clean(struct str *out, const char *s, size_t max)
{
  size_t i;
  for (i = 0; s[i] && i < max; i++) {
    unsigned char c = (unsigned char)s[i];
    if (str_catc(out, c < 32 || c == 127 ? '?' : (char)c) < 0) return -1;
  }
  return 0;
}

/* ---- the DATA decoder ---- */

enum { D_BOL, D_DOT, D_DOTCR, D_MID, D_CR };          /* decoder states */
enum { F_NAME, F_COLON, F_CONT, F_NOTFIELD };         /* header line states */

void smtp_data_init(struct smtp_data *d, unsigned long long maxbytes, size_t maxline,
                    unsigned long maxheaders, unsigned long maxhops)
{
  memset(d, 0, sizeof *d);
  d->state = D_BOL;
  d->in_header = 1;
  d->maxbytes = maxbytes;
  d->maxline = maxline;
  d->maxheaders = maxheaders;
  d->maxhops = maxhops;
}

/* follow the header: count fields and Received fields, see where it ends */
static void header_char(struct smtp_data *d, char c)
{
  if (c == '\n') {
    if (!d->linelen || d->field_state == F_NAME || d->field_state == F_NOTFIELD) d->in_header = 0;
    return;
  }
  if (!d->linelen) {
    d->field_state = (c == ' ' || c == '\t') ? F_CONT : F_NAME;
    d->field_len = 0;
  }
  if (d->field_state != F_NAME) return;
  if (c == ':') {
    d->field_state = F_COLON;
    if (++d->headers > d->maxheaders && d->maxheaders) d->flags |= SMTP_DATA_HEADERS;
    if (case_equalb(d->field, d->field_len, "received") && ++d->hops > d->maxhops && d->maxhops)
      d->flags |= SMTP_DATA_LOOP;
  } else if ((unsigned char)c > 32 && (unsigned char)c < 127) {
    if (d->field_len < sizeof d->field - 1) d->field[d->field_len] = c;
    d->field_len++;
  } else {
    d->field_state = F_NOTFIELD;
  }
}

/* one decoded byte: the limits, then into out */
static int emit(struct smtp_data *d, struct str *out, char c)
{
  if (d->in_header) header_char(d, c);
  if (c == '\n') d->linelen = 0;
  else if (++d->linelen > d->maxline) d->flags |= SMTP_DATA_LONG_LINE;
  d->bytes++;
  if (d->maxbytes && d->bytes > d->maxbytes) d->flags |= SMTP_DATA_TOO_BIG;
  if (d->flags & SMTP_DATA_TOO_BIG) return 0;
  return str_catc(out, c);
}

/* the bytes that end a run of plain ones: CR, LF and NUL */
static const unsigned char run_stop[256] = { [0] = 1, ['\r'] = 1, ['\n'] = 1 };

/* the middle of a body line: copy up to the next CR, LF or NUL at once */
static size_t copy_run(struct smtp_data *d, const char *in, size_t n, struct str *out)
{
  size_t k = 0;
  while (k < n && !run_stop[(unsigned char)in[k]]) k++;
  d->linelen += k;
  if (d->linelen > d->maxline) d->flags |= SMTP_DATA_LONG_LINE;
  d->bytes += k;
  if (d->maxbytes && d->bytes > d->maxbytes) d->flags |= SMTP_DATA_TOO_BIG;
  if (!(d->flags & SMTP_DATA_TOO_BIG) && str_catb(out, in, k) < 0) return (size_t)-1;
  return k;
}

/* a byte in the middle of a line (also right after a bare CR or LF) */
static int mid(struct smtp_data *d, char c, struct str *out)
{
  if (c == '\r') { d->state = D_CR; return 0; }
  d->state = D_MID;
  if (c == '\n' && !d->lf) d->flags |= SMTP_DATA_BARE_LF;
  else if (!c) d->flags |= SMTP_DATA_NUL;
  return emit(d, out, c);
}

/* the byte after a CR that is not an LF: the CR was bare */
static int bare_cr(struct smtp_data *d, char c, struct str *out)
{
  d->flags |= SMTP_DATA_BARE_CR;
  if (emit(d, out, '\n') < 0) return -1;
  return mid(d, c, out);
}

/* one byte through the state machine: 1 at the end of DATA */
static int step(struct smtp_data *d, char c, struct str *out)
{
  switch (d->state) {
  case D_BOL:
    if (c == '.' && !d->chunked) { d->state = D_DOT; return 0; }
    return mid(d, c, out);
  case D_DOT:                       /* a leading dot is dropped */
    if (c == '\r') { d->state = D_DOTCR; return 0; }
    return mid(d, c, out);
  case D_DOTCR:
    if (c == '\n') return 1;
    return bare_cr(d, c, out);
  case D_CR:
    if (c != '\n') return bare_cr(d, c, out);
    d->state = D_BOL;
    return emit(d, out, '\n');
  default:
    return mid(d, c, out);
  }
}

size_t smtp_data_feed(struct smtp_data *d, const char *in, size_t n, struct str *out, int *done)
{
  size_t i = 0;
  *done = 0;
  while (i < n) {
    int r;
    if (d->state == D_MID && !d->in_header) {
      size_t k = copy_run(d, in + i, n - i, out);
      if (k == (size_t)-1) return i;
      i += k;
      if (i == n) break;
    }
    r = step(d, in[i++], out);
    if (r < 0) return i - 1;
    if (r == 1) { *done = 1; break; }
  }
  return i;
}

int smtp_data_last(struct smtp_data *d, struct str *out)
{
  if (d->state != D_CR) return 0;
  d->state = D_MID;
  d->flags |= SMTP_DATA_BARE_CR;
  return emit(d, out, '\n');
}

int smtp_data_fatal(int flags, int normalize)
{
  int fatal = SMTP_DATA_LONG_LINE | SMTP_DATA_TOO_BIG | SMTP_DATA_HEADERS | SMTP_DATA_LOOP | SMTP_DATA_NUL;
  if (!normalize) fatal |= SMTP_DATA_BARE_LF | SMTP_DATA_BARE_CR;
  return flags & fatal;
}

/* ---- the Received line ---- */

/* "[" or "[IPv6:" before a client's address: RFC 5321's address literal */
const char *smtp_ip_prefix(const char *ip)
{
  return ip && strchr(ip, ':') ? "[IPv6:" : "[";
}

int smtp_received(struct str *out, const struct smtp_received *r)
{
  char date[DATE_MAX];
  date_rfc5322(r->when, date);
  if (str_cats(out, "Received: from ") < 0 || smtp_clean(out, r->helo ? r->helo : "unknown", 255) < 0) return -1;
  if (str_cats(out, " (") < 0) return -1;
  if (r->host && *r->host && (smtp_clean(out, r->host, 255) < 0 || str_catc(out, ' ') < 0)) return -1;
  if (str_cats(out, smtp_ip_prefix(r->ip)) < 0 || smtp_clean(out, r->ip ? r->ip : "unknown", 64) < 0)
    return -1;
  if (str_cats(out, "])\n\tby ") < 0 || smtp_clean(out, r->me, 255) < 0) return -1;
  if (str_cats(out, " (quail smtpd) with ") < 0 || str_cats(out, r->proto) < 0) return -1;
  if (r->tls && (str_cats(out, "\n\t(") < 0 || smtp_clean(out, r->tls, 255) < 0 || str_catc(out, ')') < 0))
    return -1;
  if (r->auth && (str_cats(out, "\n\t(authenticated as ") < 0 || smtp_clean(out, r->auth, 255) < 0 ||
                  str_catc(out, ')') < 0))
    return -1;
  if (str_cats(out, ";\n\t") < 0 || str_cats(out, date) < 0) return -1;
  return str_catc(out, '\n');
}
