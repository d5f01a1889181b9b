/* smtpc.c: SMTP client pieces: replies, EHLO keywords, the DATA encoder. */
#include <errno.h>
#include <string.h>
#include "smtpc.h"

/* ---- replies ---- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* the rest of an over-long line, dropped */
static int skip_line(struct buf *in, struct str *scratch)
{
  for (;;) {
    int r;
    scratch->len = 0;
    r = buf_getline(in, scratch, SMTPC_LINE_MAX);
    if (r != 2) return r;
  }
}

/* one reply line into r->line without its line end: 1, or -1 */
static int reply_line(struct buf *in, struct smtpc_reply *r)
{
  int g;
  r->line.len = 0;
  g = buf_getline(in, &r->line, SMTPC_LINE_MAX);
  if (g < 0) return -1;
  if (g == 0) { errno = EPIPE; return -1; }
  if (g == 2) {
    struct str rest = STR_ZERO;
    int k = skip_line(in, &rest);
    str_free(&rest);
    if (k < 0) return -1;
    if (k == 0) { errno = EPIPE; return -1; }
  }
  while (r->line.len && (r->line.s[r->line.len - 1] == '\n' || r->line.s[r->line.len - 1] == '\r')) r->line.len--;
  return 1;
}

static int keep(struct smtpc_reply *r)
{
  size_t room;
  if (r->text.len >= SMTPC_TEXT_MAX) return 0;
  if (r->text.len && str_catc(&r->text, '\n') < 0) return -1;
  room = SMTPC_TEXT_MAX - r->text.len;
  return str_catb(&r->text, r->line.s, r->line.len < room ? r->line.len : room);
}

int smtpc_reply(struct buf *in, struct smtpc_reply *r)
{
  unsigned lines;
  r->code = 0;
  r->text.len = 0;
  for (lines = 0; lines < SMTPC_LINES_MAX; lines++) {
    const char *s;
    if (reply_line(in, r) < 0) return -1;
    s = r->line.s;
    if (r->line.len < 3 || s[0] < '1' || s[0] > '5' || !is_digit(s[1]) || !is_digit(s[2]) ||
        (r->line.len > 3 && s[3] != ' ' && s[3] != '-')) { errno = EPROTO; return -1; }
    if (!r->code) r->code = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
    if (keep(r) < 0) return -1;
    if (r->line.len == 3 || s[3] == ' ') return (int)r->code;
  }
  errno = EPROTO;
  return -1;
}

/* ---- EHLO ---- */

/* is the word at s (up to a space or the end) w, in any case */
static int word(const char *s, size_t n, const char *w)
{
  size_t l = strlen(w);
  return n >= l && case_equalb(s, l, w) && (n == l || s[l] == ' ' || s[l] == '=');
}

static void auth_mechs(const char *s, size_t n, struct smtpc_ext *x)
{
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && s[j] != ' ') j++;
    if (j - i == 5 && case_equalb(s + i, 5, "PLAIN")) x->flags |= SMTPC_AUTH_PLAIN;
    if (j - i == 5 && case_equalb(s + i, 5, "LOGIN")) x->flags |= SMTPC_AUTH_LOGIN;
    i = j + 1;
  }
}

static void keyword(const char *s, size_t n, struct smtpc_ext *x)
{
  if (word(s, n, "PIPELINING")) x->flags |= SMTPC_PIPELINING;
  else if (word(s, n, "8BITMIME")) x->flags |= SMTPC_8BITMIME;
  else if (word(s, n, "SMTPUTF8")) x->flags |= SMTPC_SMTPUTF8;
  else if (word(s, n, "STARTTLS")) x->flags |= SMTPC_STARTTLS;
  else if (word(s, n, "AUTH") && n > 5) auth_mechs(s + 5, n - 5, x);
  else if (word(s, n, "SIZE")) {
    unsigned long v = 0;
    x->flags |= SMTPC_SIZE;
    if (n > 5 && scan_ulong(s + 5, &v)) x->size = v;
  }
}

void smtpc_ehlo(const struct str *text, struct smtpc_ext *x)
{
  size_t i = 0, first = 1;
  x->flags = 0;
  x->size = 0;
  while (i < text->len) {
    const char *nl = memchr(text->s + i, '\n', text->len - i);
    size_t end = nl ? (size_t)(nl - text->s) : text->len;
    if (!first && end - i > 4) keyword(text->s + i + 4, end - i - 4, x);   /* the greeting line is not a keyword */
    first = 0;
    i = end + 1;
  }
}

/* ---- the message ---- */

void smtpc_scan_init(struct smtpc_scan *c)
{
  memset(c, 0, sizeof *c);
  c->in_header = 1;
  c->bol = 1;
}

void smtpc_scan_feed(struct smtpc_scan *c, const char *s, size_t n)
{
  size_t i;
  c->bytes += n;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n') {
      c->bytes++;   /* sent as CRLF */
      if (c->bol) c->in_header = 0;
      c->bol = 1;
      continue;
    }
    if (ch >= 128) { c->eightbit = 1; if (c->in_header) c->header_utf8 = 1; }
    if (ch != '\r') c->bol = 0;
  }
}

int smtpc_8bit(const char *s)
{
  for (; *s; s++) if ((unsigned char)*s >= 128) return 1;
  return 0;
}

void smtpc_dot_init(struct smtpc_dot *d) { d->bol = 1; d->cr = 0; }

/* the bytes that end a run sent as it is: LF, CR and NUL */
static const unsigned char dot_stop[256] = { [0] = 1, ['\r'] = 1, ['\n'] = 1 };

static int line_end(struct smtpc_dot *d, struct buf *out)
{
  d->cr = 0;
  d->bol = 1;
  return buf_put(out, "\r\n", 2);
}

/* a receiver must never find an end of data we did not mean: every LF,
 * CR LF and bare CR is a line end, sent as CR LF, so a line that starts
 * with "." after any of them is stuffed; a NUL is not sent (a receiver
 * that drops NULs would read "\n\0.\n" as the end), and a line that
 * starts with NULs and a dot is stuffed as if they were not there */
int smtpc_dot_put(struct smtpc_dot *d, struct buf *out, const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    size_t k = i;
    if (s[i] == '\n' || d->cr) {
      if (line_end(d, out) < 0) return -1;
      if (s[i] == '\n') { i++; continue; }
    }
    if (s[i] == '\r') { d->cr = 1; i++; continue; }
    if (!s[i]) { i++; continue; }
    while (k < n && !dot_stop[(unsigned char)s[k]]) k++;
    if (d->bol && s[i] == '.' && buf_put(out, ".", 1) < 0) return -1;
    if (buf_put(out, s + i, k - i) < 0) return -1;
    d->bol = 0;
    i = k;
  }
  return 0;
}

int smtpc_dot_end(struct smtpc_dot *d, struct buf *out)
{
  if (d->cr && line_end(d, out) < 0) return -1;
  if (!d->bol && buf_put(out, "\r\n", 2) < 0) return -1;
  return buf_put(out, ".\r\n", 3);
}
