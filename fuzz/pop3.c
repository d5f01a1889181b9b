/* pop3: what pop3d reads from a client and from a mailbox: a command's
 * message numbers (pop3_number, as "TOP 1 10" gives them), a message as
 * RETR and TOP encode it (pop3_enc_*: whatever the message holds, the
 * output is dot-stuffed CRLF lines ending in ".\r\n", and the size LIST
 * announces, pop3_vsize, is the size RETR sends), and the facts in a
 * Maildir file name (pop3_uidl, pop3_info, pop3_arrival). The first byte
 * picks TOP's line count and the size of the pieces. */
#include "fuzz.h"
#include "pop3.h"

static void numbers(const char *s)
{
  unsigned long n;
  int k;
  while (*s && (k = pop3_number(s, &n)) >= 0) {
    s += k ? k : 1;
    if (*s == ' ') s++;
  }
}

/* the encoding of d[0..n) in pieces of step bytes; its vsize */
static unsigned long long encode(const char *d, size_t n, size_t step, int limited,
                                 unsigned long lines, struct str *out)
{
  struct pop3_enc e;
  size_t at = 0;
  pop3_enc_init(&e, limited, lines);
  while (at < n && !e.done) {
    size_t k = n - at < step ? n - at : step;
    size_t used = pop3_enc_feed(&e, d + at, k, out);
    FUZZ_CHECK(used != (size_t)-1 && used <= k);
    FUZZ_CHECK(used == k || e.done);
    at += used;
  }
  FUZZ_CHECK(pop3_enc_end(&e, out) == 0);
  FUZZ_CHECK(out->len >= 3 && !memcmp(out->s + out->len - 3, ".\r\n", 3));
  return e.vsize;
}

/* every LF of the output follows a CR; every line starting with '.' is
 * stuffed, but for the last (bare CR stays as it is: POP3 ends at
 * CRLF "." CRLF only) */
static void check_wire(const struct str *w)
{
  size_t i;
  for (i = 0; i < w->len; i++) {
    if (w->s[i] == '\n') FUZZ_CHECK(i > 0 && w->s[i - 1] == '\r');
    if (w->s[i] == '.' && (i == 0 || w->s[i - 1] == '\n') && i + 3 != w->len)
      FUZZ_CHECK(i + 1 < w->len && w->s[i + 1] == '.');
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct pop3_vsize v;
  struct str out = STR_ZERO, top = STR_ZERO, uidl = STR_ZERO;
  unsigned long long x, y;
  char *s;
  size_t step;
  if (n < 1) return 0;
  step = d[0] % 32 + 1;
  s = fuzz_cstr(d + 1, n - 1);
  numbers(s);
  pop3_vsize_init(&v);
  pop3_vsize_feed(&v, (const char *)d + 1, n - 1);
  FUZZ_CHECK(encode((const char *)d + 1, n - 1, step, 0, 0, &out) == pop3_vsize_end(&v));
  check_wire(&out);
  encode((const char *)d + 1, n - 1, step, 1, d[0] % 4, &top);
  FUZZ_CHECK(top.len <= out.len);
  check_wire(&top);
  FUZZ_CHECK(pop3_uidl(s, &uidl) == 0 && uidl.len >= 1 && uidl.len <= POP3_UIDL_MAX);
  pop3_info(s, 'S', &x);
  pop3_arrival(s, &x, &y);
  str_free(&out); str_free(&top); str_free(&uidl);
  free(s);
  return 0;
}
