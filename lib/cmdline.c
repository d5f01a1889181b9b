/* cmdline.c: a protocol's command lines (cmdline.h). */
#include <string.h>
#include "cmdline.h"

int cmdline_get(struct buf *in, struct str *line, size_t max)
{
  int r;
  line->len = 0;
  r = buf_getline(in, line, max);
  if (r != 1) return r;
  line->len--;
  if (line->len && line->s[line->len - 1] == '\r') line->len--;
  line->s[line->len] = 0;
  return 1;
}

int cmdline_waiting(const struct buf *b)
{
  return b->n && memchr(b->x + b->p, '\n', b->n) != 0;
}

const void *cmdline_find(const char *line, size_t len, const void *table, size_t size, const char **arg)
{
  const char *t = table, *sp = memchr(line, ' ', len), *verb;
  size_t vlen = sp ? (size_t)(sp - line) : len;
  *arg = sp ? sp + 1 : "";
  for (; (verb = *(const char *const *)t); t += size)
    if (case_equalb(line, vlen, verb)) return t;
  return 0;
}
