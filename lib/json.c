/* json.c: a validating skipper over JSON text, and the few readers
 * built on it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define BAD ((size_t)-1)

static int inval(void) { errno = EINVAL; return -1; }

static size_t ws(const char *s, size_t n, size_t i)
{
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  return i;
}

static int hex(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* s[i] is '"': the index after the closing quote */
static size_t skip_string(const char *s, size_t n, size_t i)
{
  for (i++; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"') return i + 1;
    if (c < 32) return BAD;
    if (c != '\\') continue;
    if (++i >= n) return BAD;
    if (s[i] == 'u') {
      int k;
      for (k = 1; k <= 4; k++) if (i + k >= n || hex(s[i + k]) < 0) return BAD;
      i += 4;
    } else if (!strchr("\"\\/bfnrt", s[i]) || !s[i]) return BAD;
  }
  return BAD;
}

static size_t skip_digits(const char *s, size_t n, size_t i)
{
  size_t j = i;
  while (j < n && s[j] >= '0' && s[j] <= '9') j++;
  return j > i ? j : BAD;
}

static size_t skip_number(const char *s, size_t n, size_t i)
{
  if (i < n && s[i] == '-') i++;
  if (i < n && s[i] == '0') i++;
  else if ((i = skip_digits(s, n, i)) == BAD) return BAD;
  if (i < n && s[i] == '.' && (i = skip_digits(s, n, i + 1)) == BAD) return BAD;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if ((i = skip_digits(s, n, i)) == BAD) return BAD;
  }
  return i;
}

static size_t skip_value(const char *s, size_t n, size_t i, int depth);

/* the elements of an array or members of an object: s[i] is '[' or '{' */
static size_t skip_nested(const char *s, size_t n, size_t i, int depth)
{
  char close = s[i] == '[' ? ']' : '}';
  int first = 1;
  if (depth >= JSON_DEPTH) return BAD;
  for (i = ws(s, n, i + 1); i < n; first = 0) {
    if (s[i] == close && first) return i + 1;
    if (close == '}') {
      if (s[i] != '"' || (i = skip_string(s, n, i)) == BAD) return BAD;
      i = ws(s, n, i);
      if (i >= n || s[i] != ':') return BAD;
      i++;
    }
    if ((i = skip_value(s, n, i, depth + 1)) == BAD) return BAD;
    i = ws(s, n, i);
    if (i < n && s[i] == close) return i + 1;
    if (i >= n || s[i] != ',') return BAD;
    i = ws(s, n, i + 1);
  }
  return BAD;
}

/* a value starting at or after white space at i: the index after it */
static size_t skip_value(const char *s, size_t n, size_t i, int depth)
{
  i = ws(s, n, i);
  if (i >= n) return BAD;
  switch (s[i]) {
  case '"': return skip_string(s, n, i);
  case '{': case '[': return skip_nested(s, n, i, depth);
  case 't': return n - i >= 4 && !memcmp(s + i, "true", 4) ? i + 4 : BAD;
  case 'f': return n - i >= 5 && !memcmp(s + i, "false", 5) ? i + 5 : BAD;
  case 'n': return n - i >= 4 && !memcmp(s + i, "null", 4) ? i + 4 : BAD;
  default: return skip_number(s, n, i);
  }
}

int json_parse(const char *s, size_t n, struct json *v)
{
  size_t start = ws(s, n, 0), end = skip_value(s, n, start, 0);
  if (end == BAD || ws(s, n, end) != n) return inval();
  v->s = s + start;
  v->n = end - start;
  return 0;
}

int json_next(const struct json *v, size_t *pos, struct json *key, struct json *val)
{
  const char *s = v->s;
  size_t n = v->n, i = *pos, e;
  if (n < 2 || s[0] != '{') return inval();
  i = ws(s, n, i ? i : 1);
  if (i < n && s[i] == ',') i = ws(s, n, i + 1);
  if (i < n && s[i] == '}') return 0;
  if (i >= n || s[i] != '"' || (e = skip_string(s, n, i)) == BAD) return inval();
  key->s = s + i;
  key->n = e - i;
  i = ws(s, n, e);
  if (i >= n || s[i] != ':') return inval();
  i = ws(s, n, i + 1);
  if ((e = skip_value(s, n, i, 1)) == BAD) return inval();
  val->s = s + i;
  val->n = e - i;
  *pos = e;
  return 1;
}

int json_member(const struct json *v, const char *name, struct json *val)
{
  struct json k, obj = *v;   /* val may be v */
  struct str d = { 0, 0, 0 };
  size_t pos = 0;
  int r;
  while ((r = json_next(&obj, &pos, &k, val)) == 1) {
    d.len = 0;
    if (json_string(&k, &d) < 0) { r = -1; break; }
    if (d.len == strlen(name) && !memcmp(d.s, name, d.len)) break;
  }
  str_free(&d);
  return r;
}

/* code point u as UTF-8 */
static int put_utf8(struct str *out, unsigned long u)
{
  char b[4];
  size_t n;
  if (u < 0x80) { b[0] = (char)u; n = 1; }
  else if (u < 0x800) { b[0] = (char)(0xc0 | u >> 6); b[1] = (char)(0x80 | (u & 0x3f)); n = 2; }
  else if (u < 0x10000) {
    b[0] = (char)(0xe0 | u >> 12); b[1] = (char)(0x80 | (u >> 6 & 0x3f)); b[2] = (char)(0x80 | (u & 0x3f)); n = 3;
  } else {
    b[0] = (char)(0xf0 | u >> 18); b[1] = (char)(0x80 | (u >> 12 & 0x3f));
    b[2] = (char)(0x80 | (u >> 6 & 0x3f)); b[3] = (char)(0x80 | (u & 0x3f)); n = 4;
  }
  return str_catb(out, b, n);
}

static unsigned long hex4(const char *s)
{
  return (unsigned long)(hex(s[0]) << 12 | hex(s[1]) << 8 | hex(s[2]) << 4 | hex(s[3]));
}

/* the escape at s[i] (after the backslash) into out: the index after it */
static size_t unescape(const char *s, size_t n, size_t i, struct str *out)
{
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  unsigned long u;
  if (s[i] != 'u') return str_catc(out, to[strchr(from, s[i]) - from]) < 0 ? BAD : i + 1;
  u = hex4(s + i + 1);
  i += 5;
  /* a surrogate pair is one code point; a lone surrogate becomes U+FFFD */
  if (u >= 0xd800 && u < 0xdc00 && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
    unsigned long lo = hex4(s + i + 2);
    if (lo >= 0xdc00 && lo < 0xe000) { u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00); i += 6; }
  }
  if (u >= 0xd800 && u < 0xe000) u = 0xfffd;
  return put_utf8(out, u) < 0 ? BAD : i;
}

int json_string(const struct json *v, struct str *out)
{
  size_t i, n = v->n;
  const char *s = v->s;
  if (n < 2 || s[0] != '"' || skip_string(s, n, 0) != n) return inval();
  for (i = 1; i < n - 1;) {
    size_t j = i;
    while (j < n - 1 && s[j] != '\\') j++;
    if (str_catb(out, s + i, j - i) < 0) return -1;
    if (j == n - 1) break;
    if ((i = unescape(s, n, j + 1, out)) == BAD) return -1;
  }
  return str_0(out);
}

int json_number(const struct json *v, double *out)
{
  char b[64];
  if (!v->n || v->n >= sizeof b || skip_number(v->s, v->n, 0) != v->n) return inval();
  memcpy(b, v->s, v->n);
  b[v->n] = 0;
  *out = strtod(b, 0);
  return 0;
}
