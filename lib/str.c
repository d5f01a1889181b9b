/* str.c: growable byte strings. No function here exits or prints. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include "str.h"

int str_ready(struct str *x, size_t n)
{
  size_t cap;
  char *p;
  if (n < x->cap) return 0;
  cap = x->cap ? x->cap : 32;
  while (cap <= n) {
    if (cap > ((size_t)-1) / 2) { errno = ENOMEM; return -1; }
    cap *= 2;
  }
  p = realloc(x->s, cap);
  if (!p) { errno = ENOMEM; return -1; }
  x->s = p;
  x->cap = cap;
  return 0;
}

int str_catb(struct str *x, const char *b, size_t n)
{
  if (str_ready(x, x->len + n + 1) < 0) return -1;
  if (n) memcpy(x->s + x->len, b, n);
  x->len += n;
  x->s[x->len] = 0;
  return 0;
}

int str_cats(struct str *x, const char *s) { return str_catb(x, s, strlen(s)); }
int str_catc(struct str *x, char c) { return str_catb(x, &c, 1); }

int str_catu(struct str *x, unsigned long long u)
{
  char b[24];
  int n = snprintf(b, sizeof b, "%llu", u);
  return str_catb(x, b, (size_t)n);
}

int str_copyb(struct str *x, const char *b, size_t n)
{
  x->len = 0;
  return str_catb(x, b, n);
}

int str_copys(struct str *x, const char *s) { return str_copyb(x, s, strlen(s)); }

int str_0(struct str *x)
{
  if (str_ready(x, x->len + 1) < 0) return -1;
  x->s[x->len] = 0;
  return 0;
}

int str_catf(struct str *x, const char *fmt, ...)
{
  va_list ap;
  int n;
  char small[256];
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) { errno = EINVAL; return -1; }
  if ((size_t)n < sizeof small) return str_catb(x, small, (size_t)n);
  if (str_ready(x, x->len + (size_t)n + 1) < 0) return -1;
  va_start(ap, fmt);
  vsnprintf(x->s + x->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  x->len += (size_t)n;
  return 0;
}

void str_free(struct str *x)
{
  free(x->s);
  x->s = 0;
  x->len = x->cap = 0;
}

int str_starts(const struct str *x, const char *p)
{
  size_t n = strlen(p);
  return x->len >= n && !memcmp(x->s, p, n);
}

void str_lower(struct str *x)
{
  size_t i;
  for (i = 0; i < x->len; i++) x->s[i] = (char)tolower((unsigned char)x->s[i]);
}

int case_equals(const char *a, const char *b) { return !strcasecmp(a, b); }

int case_equalb(const char *a, size_t n, const char *b)
{
  return strlen(b) == n && !strncasecmp(a, b, n);
}

int case_starts(const char *s, const char *p) { return !strncasecmp(s, p, strlen(p)); }

int scan_ulong(const char *s, unsigned long *u)
{
  unsigned long r = 0;
  int n = 0;
  while (s[n] >= '0' && s[n] <= '9') {
    unsigned long d = (unsigned long)(s[n] - '0');
    if (r > (((unsigned long)-1) - d) / 10) return 0;
    r = r * 10 + d;
    n++;
  }
  if (n) *u = r;
  return n;
}
