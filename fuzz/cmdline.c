/* cmdline: command lines as smtpd, pop3-login and pop3d read them
 * (cmdline_waiting, cmdline_get, cmdline_find over their tables of
 * verbs), then the arguments they take apart first: MAIL's and RCPT's
 * path (smtp_path) and a POP3 message number (pop3_number). The first
 * byte picks SMTP or POP3 (bit 0) and the size of the pieces the input
 * arrives in. A line is what the client sent without its LF and one CR
 * before it; a verb found is the line's first word; one not found is
 * no verb of the table. */
#include <errno.h>
#include "addr.h"
#include "cmdline.h"
#include "fuzz.h"
#include "pop3.h"
#include "smtp.h"

#define COMMAND_MAX 1000      /* smtpd's and pop3d's */
#define LINES_MAX   200

struct command { const char *verb; int id; };

/* smtpd's and pop3d's verbs; id 1: a path follows, 2: a message number */
static const struct command smtp[] = {
  { "helo", 0 }, { "ehlo", 0 }, { "mail", 1 }, { "rcpt", 1 }, { "data", 0 }, { "bdat", 0 },
  { "rset", 0 }, { "noop", 0 }, { "quit", 0 }, { "help", 0 }, { "vrfy", 0 }, { "expn", 0 },
  { "starttls", 0 }, { "auth", 0 }, { "etrn", 0 }, { 0, 0 }
};
static const struct command pop3[] = {
  { "stat", 0 }, { "list", 2 }, { "retr", 2 }, { "dele", 2 }, { "noop", 0 }, { "rset", 0 },
  { "quit", 0 }, { "top", 2 }, { "uidl", 2 }, { "capa", 0 }, { "last", 0 }, { "user", 0 },
  { "pass", 0 }, { "apop", 0 }, { "auth", 0 }, { "stls", 0 }, { 0, 0 }
};

static void path(const char *arg)
{
  struct str addr = STR_ZERO;
  const char *p = case_starts(arg, "FROM:") ? arg + 5 : case_starts(arg, "TO:") ? arg + 3 : 0, *rest;
  int utf8 = 0;
  if (p && smtp_path(p, &addr, &rest, &utf8) == 0)
    FUZZ_CHECK(addr.len <= ADDR_MAX && rest >= p && rest <= p + strlen(p));
  str_free(&addr);
}

static void number(const char *arg)
{
  unsigned long n;
  int k = pop3_number(arg, &n);
  FUZZ_CHECK(k >= 0 && (size_t)k == strspn(arg, "0123456789"));
}

/* line[0..n) is verb, case aside (verbs are in lower case) */
static int same(const char *line, size_t n, const char *verb)
{
  size_t i;
  if (strlen(verb) != n) return 0;
  for (i = 0; i < n; i++)
    if (line[i] != verb[i] && !(line[i] >= 'A' && line[i] <= 'Z' && line[i] - 'A' + 'a' == verb[i])) return 0;
  return 1;
}

/* the verb of line, looked up */
static void verb(const struct str *line, const struct command *table)
{
  const struct command *c, *t;
  const char *arg, *sp = memchr(line->s, ' ', line->len);
  size_t vlen = sp ? (size_t)(sp - line->s) : line->len;
  c = cmdline_find(line->s, line->len, table, sizeof *table, &arg);
  FUZZ_CHECK(sp ? arg == sp + 1 : !*arg);
  for (t = table; t->verb; t++)
    if (same(line->s, vlen, t->verb)) break;
  FUZZ_CHECK(c == (t->verb ? t : 0));
  if (!c || memchr(line->s, 0, line->len)) return;    /* the servers refuse a NUL */
  if (c->id == 1) path(arg);
  if (c->id == 2) number(arg);
}

/* the line just read is the bytes consumed without LF and one CR */
static void check_line(const struct str *line, const uint8_t *raw, size_t used)
{
  FUZZ_CHECK(used >= 1 && raw[used - 1] == '\n' && used <= COMMAND_MAX);
  used--;
  if (used && raw[used - 1] == '\r') used--;
  FUZZ_CHECK(line->len == used && !memcmp(line->s, raw, used) && !line->s[line->len]);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  static char space[BUF_SIZE];
  struct str line = STR_ZERO;
  struct fuzz_in f;
  struct buf in;
  size_t before, i;
  int r, waiting;
  if (n < 1) return 0;
  fuzz_buf(&in, space, sizeof space, &f, d + 1, n - 1, (d[0] >> 1) + 1);
  for (i = 0; i < LINES_MAX; i++) {
    before = f.at - buf_buffered(&in);
    waiting = cmdline_waiting(&in);
    r = cmdline_get(&in, &line, COMMAND_MAX);
    FUZZ_CHECK(r == 0 || r == 1 || r == 2);
    if (waiting) FUZZ_CHECK(r != 0);
    if (r != 1) {
      if (r == 2) FUZZ_CHECK(line.len == COMMAND_MAX && !memchr(line.s, '\n', line.len));
      break;
    }
    check_line(&line, d + 1 + before, f.at - buf_buffered(&in) - before);
    verb(&line, d[0] & 1 ? pop3 : smtp);
  }
  str_free(&line);
  return 0;
}
