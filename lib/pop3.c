/* pop3.c: POP3's encoder, sizes and Maildir names. Never does I/O. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "md5.h"
#include "pop3.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int pop3_number(const char *s, unsigned long *n)
{
  int i = 0;
  unsigned long v = 0;
  for (; is_digit(s[i]); i++) {
    unsigned long d = (unsigned long)(s[i] - '0');
    v = v > (ULONG_MAX - d) / 10 ? ULONG_MAX : v * 10 + d;
  }
  if (i) *n = v;
  return i;
}

void pop3_enc_init(struct pop3_enc *e, int limited, unsigned long maxlines)
{
  memset(e, 0, sizeof *e);
  e->bol = 1;
  e->limited = limited;
  e->maxlines = maxlines;
}

/* a line ended: the header's end, or one more body line */
static void line_done(struct pop3_enc *e)
{
  int empty = e->linelen == 0 || (e->linelen == 1 && e->cr);
  if (!e->body) {
    if (empty) e->body = 1;
  } else {
    e->lines++;
  }
  if (e->limited && e->body && e->lines >= e->maxlines) e->done = 1;
  e->linelen = 0;
  e->bol = 1;
  e->cr = 0;
}

size_t pop3_enc_feed(struct pop3_enc *e, const char *in, size_t n, struct str *out)
{
  size_t i = 0;
  if (str_ready(out, out->len + 2 * n + 3) < 0) return (size_t)-1;
  while (i < n && !e->done) {
    const char *nl = memchr(in + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - in) : n, seg = end - i;
    char *o = out->s + out->len;
    if (e->bol && in[i] == '.') *o++ = '.';        /* stuffing: not in vsize */
    memcpy(o, in + i, seg);
    o += seg;
    if (seg) { e->cr = in[end - 1] == '\r'; e->bol = 0; }
    e->linelen += seg;
    e->vsize += seg;
    if (nl) {
      if (!e->cr) { *o++ = '\r'; e->vsize++; }
      *o++ = '\n';
      e->vsize++;
      end++;
    }
    out->len = (size_t)(o - out->s);
    i = end;
    if (nl) line_done(e);
  }
  out->s[out->len] = 0;
  return i;
}

int pop3_enc_end(struct pop3_enc *e, struct str *out)
{
  if (!e->bol) {
    if (str_catb(out, "\r\n", 2) < 0) return -1;
    e->vsize += 2;
  }
  return str_catb(out, ".\r\n", 3);
}

void pop3_vsize_init(struct pop3_vsize *v)
{
  v->size = 0;
  v->cr = 0;
  v->bol = 1;
}

void pop3_vsize_feed(struct pop3_vsize *v, const char *in, size_t n)
{
  const char *p = in, *end = in + n, *nl;
  if (!n) return;
  v->size += n;
  while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
    int cr = nl == in ? v->cr : nl[-1] == '\r';
    if (!cr) v->size++;
    p = nl + 1;
  }
  v->cr = end[-1] == '\r';
  v->bol = end[-1] == '\n';
}

unsigned long long pop3_vsize_end(const struct pop3_vsize *v)
{
  return v->size + (v->bol ? 0 : 2);
}

/* the part of a Maildir name before its ":2,flags" */
static size_t base_len(const char *name)
{
  const char *colon = strchr(name, ':');
  return colon ? (size_t)(colon - name) : strlen(name);
}

int pop3_uidl(const char *name, struct str *out)
{
  size_t base = base_len(name), n = strcspn(name, ",:"), i;
  char hex[MD5_HEX];
  int ok = n > 0 && n <= POP3_UIDL_MAX;
  for (i = 0; ok && i < n; i++)
    if (name[i] < '!' || name[i] > '~') ok = 0;
  if (ok) return str_catb(out, name, n);
  md5_hex(name, base, hex);
  return str_catb(out, hex, MD5_HEX - 1);
}

int pop3_info(const char *name, char key, unsigned long long *value)
{
  size_t base = base_len(name), i;
  for (i = 0; i + 2 < base; i++) {
    unsigned long long v = 0;
    size_t j;
    if (name[i] != ',' || name[i + 1] != key || name[i + 2] != '=') continue;
    for (j = i + 3; j < base && is_digit(name[j]); j++) {
      if (v > (~0ULL - 9) / 10) return 0;
      v = v * 10 + (unsigned long long)(name[j] - '0');
    }
    if (j == i + 3 || (j < base && name[j] != ',')) continue;
    *value = v;
    return 1;
  }
  return 0;
}

/* the number at s (digits), saturating */
static unsigned long long digits(const char *s)
{
  unsigned long long v = 0;
  for (; is_digit(*s); s++) v = v > (~0ULL - 9) / 10 ? ~0ULL : v * 10 + (unsigned long long)(*s - '0');
  return v;
}

void pop3_arrival(const char *name, unsigned long long *sec, unsigned long long *usec)
{
  const char *m = name;
  *sec = digits(name);
  *usec = 0;
  while (is_digit(*m)) m++;
  for (; *m && *m != ':' && *m != ','; m++)
    if (*m == 'M' && is_digit(m[1])) { *usec = digits(m + 1); return; }
}
