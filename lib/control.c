/* control.c: control files, read the qmail way. */
#include <errno.h>
#include <string.h>
#include "control.h"
#include "fsx.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int control_readline(const char *path, struct str *out, const char *def)
{
  struct str all = STR_ZERO;
  char *nl;
  size_t n;
  int r = file_read(path, &all, CONTROL_MAX);
  if (r <= 0) {
    str_free(&all);
    if (r < 0) return -1;
    out->len = 0;
    if (def && str_cats(out, def) < 0) return -1;
    return str_0(out) < 0 ? -1 : 0;
  }
  nl = memchr(all.s, '\n', all.len);
  n = nl ? (size_t)(nl - all.s) : all.len;
  while (n && is_space(all.s[n - 1])) n--;
  r = str_copyb(out, all.s, n);
  str_free(&all);
  return r < 0 ? -1 : 1;
}

int control_readulong(const char *path, unsigned long *out, unsigned long def)
{
  struct str line = STR_ZERO;
  int r = control_readline(path, &line, 0);
  if (r == 1) {
    size_t i = 0;
    while (i < line.len && is_space(line.s[i])) i++;
    if (!scan_ulong(line.s + i, out)) { str_free(&line); errno = EINVAL; return -1; }
  } else if (r == 0) {
    *out = def;
  }
  str_free(&line);
  return r;
}

int control_readlines(const char *path, struct str *out)
{
  struct str all = STR_ZERO;
  size_t i = 0;
  int r = file_read(path, &all, CONTROL_MAX);
  out->len = 0;
  if (r <= 0) { str_free(&all); return r; }
  while (i < all.len) {
    char *nl = memchr(all.s + i, '\n', all.len - i);
    size_t end = nl ? (size_t)(nl - all.s) : all.len;
    size_t a = i, b = end;
    while (a < b && is_space(all.s[a])) a++;
    while (b > a && is_space(all.s[b - 1])) b--;
    if (b > a && all.s[a] != '#')
      if (str_catb(out, all.s + a, b - a) < 0 || str_catc(out, 0) < 0) { str_free(&all); return -1; }
    i = end + 1;
  }
  str_free(&all);
  return 1;
}

const char *control_next(const struct str *list, size_t *pos)
{
  const char *s;
  if (*pos >= list->len) return 0;
  s = list->s + *pos;
  *pos += strlen(s) + 1;
  return s;
}

int control_member(const struct str *list, const char *s)
{
  size_t pos = 0;
  const char *line;
  while ((line = control_next(list, &pos)))
    if (case_equals(line, s)) return 1;
  return 0;
}
