/* dotqmail: a .qmail file as deliver-local follows it (dotqmail_ready,
 * dotqmail_next): one instruction per line, trailing blanks dropped, the
 * kind given by the first byte alone ('#' comment, '|' program, '.' or
 * '/' a file, a Maildir when it ends in '/', "+list", '&' or anything
 * else a forward). Every line comes out once, in order; a program or a
 * file comes only from a line that starts so; what is left of each line
 * in place is the line without its trailing blanks. The input up to its
 * first NUL is also an address extension, whose files deliver-local
 * looks for (dotqmail_base, dotqmail_default): ".qmail-EXT", then the
 * -default files from the longest, one per '-' and one more, each
 * named from a prefix of EXT, none holding ".." or (when
 * addr_local_safe passes EXT) '/'. */
#include "addr.h"
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

/* the names of the files for extension ext */
static void names(const char *ext)
{
  struct str base = STR_ZERO, safe = STR_ZERO, name = STR_ZERO;
  size_t n = strlen(ext), i = n + 1, last = n + 1, found = 0, dashes = 0, k;
  int r, safe_ext = addr_local_safe(ext, n);
  FUZZ_CHECK(dotqmail_base(&base, &safe, "-", ext) == 0 && safe.len == n);
  for (k = 0; k < n; k++) {
    FUZZ_CHECK(safe.s[k] != '.' && (safe.s[k] >= 'A' && safe.s[k] <= 'Z') == 0);
    dashes += ext[k] == '-';
  }
  FUZZ_CHECK(!strncmp(base.s, ".qmail", 6) && base.len == (n ? 7 + n : 6) && (!n || !strcmp(base.s + 7, safe.s)));
  FUZZ_CHECK(!strstr(base.s, "..") && (!safe_ext || !strchr(base.s, '/')));
  while ((r = dotqmail_default(&name, "-", &safe, &i)) == 1) {
    FUZZ_CHECK(i < last && (i == 0 || safe.s[i - 1] == '-'));
    FUZZ_CHECK(name.len == 7 + i + 7 && !memcmp(name.s + 7, safe.s, i) && !memcmp(name.s + 7 + i, "default", 7));
    FUZZ_CHECK(!strstr(name.s, "..") && (!safe_ext || !strchr(name.s, '/')));
    last = i;
    found++;
  }
  FUZZ_CHECK(r == 0 && found == dashes + 1 && last == 0);
  str_free(&base); str_free(&safe); str_free(&name);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct str text = STR_ZERO, orig = STR_ZERO;
  struct dotqmail_line l;
  size_t pos = 0, lines = 0, newlines = 0, i;
  char *ext = fuzz_cstr(d, n);
  names(ext);
  free(ext);
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
