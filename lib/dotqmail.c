/* dotqmail.c: the lines of a .qmail file (dotqmail.h). */
#include <string.h>
#include "dotqmail.h"

int dotqmail_ready(struct str *text)
{
  if (text->len && text->s[text->len - 1] == '\n') return 0;
  return str_catc(text, '\n');
}

static enum dotqmail_kind kind(const char *line)
{
  switch (line[0]) {
  case 0: return DOTQMAIL_BLANK;
  case '#': return DOTQMAIL_COMMENT;
  case '.': case '/': return line[strlen(line) - 1] == '/' ? DOTQMAIL_MAILDIR : DOTQMAIL_MBOX;
  case '|': return DOTQMAIL_PROGRAM;
  case '+': return strcmp(line + 1, "list") ? DOTQMAIL_IGNORED : DOTQMAIL_LIST;
  default: return DOTQMAIL_FORWARD;
  }
}

int dotqmail_next(struct str *text, size_t *pos, struct dotqmail_line *l)
{
  char *s = text->s + *pos, *nl, *k;
  if (*pos >= text->len) return 0;
  nl = memchr(s, '\n', text->len - *pos);
  if (!nl) { *pos = text->len; return 0; }     /* not made ready: the rest is no line */
  *nl = 0;
  for (k = nl; k > s && (k[-1] == ' ' || k[-1] == '\t');) *--k = 0;
  *pos = (size_t)(nl - text->s) + 1;
  l->kind = kind(s);
  l->arg = s + (l->kind == DOTQMAIL_PROGRAM || (l->kind == DOTQMAIL_FORWARD && s[0] == '&'));
  return 1;
}

int dotqmail_base(struct str *base, struct str *safe, const char *dash, const char *ext)
{
  size_t i;
  if (str_copys(safe, ext) < 0 || str_0(safe) < 0) return -1;
  str_lower(safe);
  for (i = 0; i < safe->len; i++) if (safe->s[i] == '.') safe->s[i] = ':';
  if (str_copys(base, ".qmail") < 0) return -1;
  if (*ext && (str_cats(base, dash) < 0 || str_catb(base, safe->s, safe->len) < 0)) return -1;
  return str_0(base);
}

int dotqmail_default(struct str *name, const char *dash, const struct str *safe, size_t *i)
{
  size_t k = *i;
  while (k-- > 0) {
    if (k && safe->s[k - 1] != '-') continue;
    *i = k;
    if (str_copys(name, ".qmail") < 0 || str_cats(name, dash) < 0) return -1;
    if (str_catb(name, safe->s, k) < 0 || str_cats(name, "default") < 0) return -1;
    return 1;
  }
  *i = 0;
  return 0;
}
