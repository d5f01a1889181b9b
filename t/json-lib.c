/* t/json-lib.c: a driver for lib/json.c, for t/json-lib.t.
 *   json-lib PATH < doc   the value at PATH (members joined by '.', "." the
 *                         document): a string decoded, a number as %g,
 *                         anything else as its text; "none" or "EINVAL"
 *   json-lib -k PATH      the keys of the object at PATH, one a line */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "json.h"

static int walk(struct json *v, char *path)
{
  char *dot;
  int r;
  if (!strcmp(path, ".")) return 1;
  while (*path) {
    if ((dot = strchr(path, '.'))) *dot = 0;
    if ((r = json_member(v, path, v)) <= 0) return r;
    path = dot ? dot + 1 : path + strlen(path);
  }
  return 1;
}

static void show(const struct json *v)
{
  struct str s = STR_ZERO;
  double d;
  if (v->s[0] == '"') {
    if (json_string(v, &s) < 0) { puts("EINVAL"); return; }
    printf("%s|%zu\n", s.s, s.len);
  } else if (json_number(v, &d) == 0) printf("%g\n", d);
  else printf("%.*s\n", (int)v->n, v->s);
}

int main(int argc, char **argv)
{
  static char in[1 << 16];
  size_t n = fread(in, 1, sizeof in, stdin), pos = 0;
  int keys = argc > 2 && !strcmp(argv[1], "-k"), r;
  struct json v, k, x;
  if (json_parse(in, n, &v) < 0) { puts("EINVAL"); return 0; }
  r = walk(&v, argv[argc - 1]);
  if (r <= 0) { puts(r < 0 ? "EINVAL" : "none"); return 0; }
  if (!keys) { show(&v); return 0; }
  while ((r = json_next(&v, &pos, &k, &x)) == 1) show(&k);
  if (r < 0) puts("EINVAL");
  return 0;
}
