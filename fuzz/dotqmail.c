/* dotqmail: a .qmail file as deliver-local follows it (dotqmail_ready,
 * dotqmail_next): one instruction per line, trailing blanks dropped, the
 * kind given by the first byte alone ('#' comment, '|' program, '.' or
 * '/' a file, a Maildir when it ends in '/', "+list", '&' or anything
 * else a forward). Every line comes out once, in order; a program or a
 * file comes only from a line that starts so; what is left of each line
 * in place is the line without its trailing blanks. */
#include "dotqmail.h"
#include "fuzz.h"

/* the length of line[0..n) without its trailing spaces and tabs */
static size_t trimmed(const char *line, size_t n)
{
  while (n && (line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
  return n;
}

/* what the kind must be, from the line as the file had it */
static void check_kind(const struct dotqmail_line *l, const char *line, const char *orig, size_t tl)
{
  size_t cl = strlen(line);             /* a NUL inside ends the line for its users */
  FUZZ_CHECK(cl <= tl && !memcmp(line, orig, cl));
  switch (cl ? line[0] : 0) {
  case 0: FUZZ_CHECK(l->kind == DOTQMAIL_BLANK); break;
  case '#': FUZZ_CHECK(l->kind == DOTQMAIL_COMMENT); break;
  case '.': case '/':
    FUZZ_CHECK(l->kind == (line[cl - 1] == '/' ? DOTQMAIL_MAILDIR : DOTQMAIL_MBOX) && l->arg == line);
    break;
  case '|': FUZZ_CHECK(l->kind == DOTQMAIL_PROGRAM && l->arg == line + 1); break;
  case '+': FUZZ_CHECK(l->kind == (strcmp(line, "+list") ? DOTQMAIL_IGNORED : DOTQMAIL_LIST)); break;
  case '&': FUZZ_CHECK(l->kind == DOTQMAIL_FORWARD && l->arg == line + 1); break;
  default: FUZZ_CHECK(l->kind == DOTQMAIL_FORWARD && l->arg == line); break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct str text = STR_ZERO, orig = STR_ZERO;
  struct dotqmail_line l;
  size_t pos = 0, lines = 0, newlines = 0, i;
  if (str_copyb(&text, (const char *)d, n) < 0 || dotqmail_ready(&text) < 0) abort();
  FUZZ_CHECK(text.s[text.len - 1] == '\n' && (text.len == n || (text.len == n + 1 && !memcmp(text.s, d, n))));
  if (str_copyb(&orig, text.s, text.len) < 0) abort();
  for (i = 0; i < text.len; i++) newlines += text.s[i] == '\n';
  for (;;) {
    size_t start = pos, end, tl;
    if (!dotqmail_next(&text, &pos, &l)) break;
    end = (size_t)((char *)memchr(orig.s + start, '\n', orig.len - start) - orig.s);
    FUZZ_CHECK(pos == end + 1);
    tl = trimmed(orig.s + start, end - start);
    FUZZ_CHECK(!memcmp(text.s + start, orig.s + start, tl));
    for (i = start + tl; i <= end; i++) FUZZ_CHECK(text.s[i] == 0);
    FUZZ_CHECK(l.arg >= text.s + start && l.arg <= text.s + start + 1);
    check_kind(&l, text.s + start, orig.s + start, tl);
    lines++;
  }
  FUZZ_CHECK(lines == newlines && pos == text.len && !dotqmail_next(&text, &pos, &l));
  str_free(&text);
  str_free(&orig);
  return 0;
}
