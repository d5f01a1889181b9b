/* bounce-lib.c: drives lib/bounce.c for t/bounce-lib.t.
 *   bounce-lib VERB   failure records from stdin, one a line:
 *                     "rcpt<TAB>status<TAB>reason" (bounce_fail), or
 *                     "rcpt<TAB>-<TAB>reason" for a record written before
 *                     the status field; '/' in a reason is a newline.
 *   VERB status       the bounce's Status: values, one a line
 *   VERB reasons      the reason lines of its text part, one a line */
#include <stdio.h>
#include <string.h>
#include "bounce.h"

static void records(struct str *f)
{
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    char *st, *why, *p;
    line[strcspn(line, "\n")] = 0;
    if (!(st = strchr(line, '\t')) || !(why = strchr(st + 1, '\t'))) continue;
    *st++ = 0; *why++ = 0;
    for (p = why; *p; p++) if (*p == '/') *p = '\n';
    if (strcmp(st, "-")) bounce_fail(f, line, st, why, strlen(why));
    else { str_cats(f, line); str_catc(f, 0); str_cats(f, why); str_catc(f, 0); }
  }
}

/* each non-empty line of o after the one holding from and before to
 * that starts with prefix, without it */
static void lines(const struct str *o, const char *prefix, const char *from, const char *to)
{
  const char *p = strstr(o->s, from), *end = strstr(o->s, to);
  size_t n = strlen(prefix);
  for (p = p ? strchr(p, '\n') : 0; p && p < end; p = strchr(p, '\n')) {
    p++;
    if (p < end && *p != '\n' && !strncmp(p, prefix, n)) printf("%.*s\n", (int)strcspn(p + n, "\n"), p + n);
  }
}

int main(int argc, char **argv)
{
  struct str f = STR_ZERO, o = STR_ZERO;
  struct bounce b;
  memset(&b, 0, sizeof b);
  b.host = "mx.example"; b.from = "MAILER-DAEMON@mx.example"; b.to = b.sender = "a@example.org";
  b.id = 1; b.full = 1; b.fails = &f;
  records(&f);
  if (argc < 2 || bounce_head(&o, &b) < 0) return 100;
  if (!strcmp(argv[1], "status")) lines(&o, "Status: ", "message/delivery-status", "message/rfc822");
  else if (!strcmp(argv[1], "reasons")) lines(&o, "", "Sorry it didn't work out.", "--- Below");
  else return 100;
  return 0;
}
