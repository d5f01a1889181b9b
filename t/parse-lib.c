/* parse-lib.c: drives the parsers the programs took out of cmd/ and
 * lists/ for t/parse-lib.t:
 *   parse-lib dotqmail         stdin as a .qmail file: "KIND|ARG" a line
 *   parse-lib names EXT        the .qmail files for EXT, in the order
 *                              deliver-local tries them, "DEFAULT|NAME"
 *   parse-lib envelope [F]     stdin as queue-writer's fd 1 (F: the first
 *                              byte, read ahead): "ok N" or the trouble,
 *                              then what was copied, walked
 *   parse-lib walk             stdin as a stored envelope: "OFFSET:STATE"
 *                              a recipient, then "end" or "broken"
 *   parse-lib cmdline          stdin as an SMTP session: "R VERB|ARG" a line
 *   parse-lib mod S            list-moderate's DEFAULT: "ID COOKIE WHEN"
 *   parse-lib return S         list-bounce's DEFAULT: "post ADDR",
 *                              "probe REST" or "unknown" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"
#include "dotqmail.h"
#include "list.h"
#include "qenv.h"

static char in[1 << 20];

static size_t slurp(void) { return fread(in, 1, sizeof in, stdin); }

static int dotqmail(void)
{
  static const char *const kind[] = { "blank", "comment", "mbox", "maildir", "program", "forward", "list", "ignored" };
  struct str t = STR_ZERO;
  struct dotqmail_line l;
  size_t pos = 0;
  if (str_copyb(&t, in, slurp()) < 0 || dotqmail_ready(&t) < 0) return 111;
  while (dotqmail_next(&t, &pos, &l)) printf("%s|%s\n", kind[l.kind], l.arg);
  return 0;
}

static int names(const char *ext)
{
  struct str base = STR_ZERO, safe = STR_ZERO, name = STR_ZERO;
  size_t i;
  if (dotqmail_base(&base, &safe, "-", ext) < 0) return 111;
  printf("|%s\n", base.s);
  for (i = safe.len + 1; *ext && dotqmail_default(&name, "-", &safe, &i) == 1;) printf("%s|%s\n", ext + i, name.s);
  return 0;
}

static void walk(const char *env, size_t len)
{
  size_t pos = 0, at;
  int r;
  while ((r = qenv_next(env, len, &pos, &at)) == 1) printf("%zu:%c\n", at, env[at]);
  printf(r ? "broken\n" : "end\n");
}

static ssize_t to_str(void *ctx, int fd, char *s, size_t n)
{
  return str_catb(ctx, s, n) < 0 ? -1 : (ssize_t)n;
}

static int envelope(int first)
{
  static const char *const what[] = { "ok", "read", "write", "format", "long", "eof" };
  char ispace[64], ospace[64];
  struct str env = STR_ZERO;
  struct buf b, out;
  unsigned long rcpts;
  int r;
  buf_init(&b, 0, ispace, sizeof ispace);
  buf_init(&out, -1, ospace, sizeof ospace);
  buf_transport(&out, to_str, &env);
  r = qenv_copy(&b, &out, first, &rcpts);
  if (buf_flush(&out) < 0) return 111;
  if (r == QENV_OK) printf("ok %lu\n", rcpts); else printf("%s\n", what[-r]);
  walk(env.s ? env.s : "", env.len);
  return 0;
}

struct command { const char *verb; };
static const struct command smtp[] = { { "helo" }, { "mail" }, { "rcpt" }, { "data" }, { "starttls" }, { 0 } };

static int cmdline(void)
{
  char space[64];
  struct str line = STR_ZERO;
  struct buf b;
  int r;
  buf_init(&b, 0, space, sizeof space);
  while ((r = cmdline_get(&b, &line, 40)) == 1) {
    const char *arg;
    const struct command *c = cmdline_find(line.s, line.len, smtp, sizeof *smtp, &arg);
    printf("%d %s|%s|%zu\n", r, c ? c->verb : "-", arg, line.len);
  }
  printf("%d\n", r);
  return 0;
}

static int mod(const char *s)
{
  struct str id = STR_ZERO;
  const char *cookie;
  unsigned long when;
  if (list_mod_parse(s, &id, &cookie, &when) < 0) printf("refused\n");
  else printf("%s %s %lu\n", id.s, cookie, when);
  return 0;
}

static int ret(const char *s)
{
  struct str addr = STR_ZERO;
  const char *probe;
  switch (list_return_parse(s, &addr, &probe)) {
  case LIST_RETURN_POST: printf("post %s\n", addr.s); break;
  case LIST_RETURN_PROBE: printf("probe %s\n", probe); break;
  case LIST_RETURN_UNKNOWN: printf("unknown\n"); break;
  }
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 2) return 100;
  if (!strcmp(argv[1], "dotqmail")) return dotqmail();
  if (argc > 2 && !strcmp(argv[1], "names")) return names(argv[2]);
  if (!strcmp(argv[1], "envelope")) return envelope(argc > 2 ? (unsigned char)argv[2][0] : -1);
  if (!strcmp(argv[1], "walk")) { size_t n = slurp(); walk(in, n); return 0; }
  if (!strcmp(argv[1], "cmdline")) return cmdline();
  if (argc > 2 && !strcmp(argv[1], "mod")) return mod(argv[2]);
  if (argc > 2 && !strcmp(argv[1], "return")) return ret(argv[2]);
  return 100;
}
