/* list-moderate: a moderator's answer as list-moderate takes it apart,
 * DEFAULT "ID.C" of LIST-accept-DEFAULT or LIST-reject-DEFAULT
 * (list_mod_parse), and the cookie check that follows
 * (list_cookie_check with "mod"). An ID taken is digits and dots from
 * a digit, at most LIST_MOD_ID_MAX bytes, so held/ID stays in held/; ID,
 * a dot and the cookie are the input; an input refused breaks one of
 * those rules; a cookie made for the ID checks and a changed one not. */
#include <errno.h>
#include "fuzz.h"
#include "list.h"

#define NOW 1700000000L

/* why s may be refused: 1 when some rule of list_mod_parse is broken */
static int breaks_a_rule(const char *s)
{
  const char *dot = strrchr(s, '.');
  size_t n = dot ? (size_t)(dot - s) : 0, digits = strspn(s, "0123456789");
  return !dot || n > LIST_MOD_ID_MAX || !digits || strspn(s, "0123456789.") < n
    || digits >= 20;                    /* the time does not fit */
}

static void cookies(const struct list *l, const char *id, unsigned long when, const char *cookie)
{
  char c[LIST_COOKIE_HEX + 1];
  int r = list_cookie_check(l, "mod", id, when, cookie, NOW);
  FUZZ_CHECK(r == 0 || r == -1 || r == -2);
  FUZZ_CHECK(list_cookie(l, "mod", id, when, c) == 0);
  r = list_cookie_check(l, "mod", id, when, c, NOW);
  FUZZ_CHECK(r == 0 || r == -2);
  c[LIST_COOKIE_HEX - 1] = c[LIST_COOKIE_HEX - 1] == 'a' ? 'b' : 'a';
  FUZZ_CHECK(list_cookie_check(l, "mod", id, when, c, NOW) == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  static struct list l;
  struct str id = STR_ZERO;
  char *s = fuzz_cstr(d, n);
  const char *cookie;
  unsigned long when = 0, lead;
  if (!l.secret.len && str_copys(&l.secret, "fuzz secret") < 0) abort();
  if (list_mod_parse(s, &id, &cookie, &when) == 0) {
    FUZZ_CHECK(id.len >= 1 && id.len <= LIST_MOD_ID_MAX && id.s[0] >= '0' && id.s[0] <= '9');
    FUZZ_CHECK(strspn(id.s, "0123456789.") == id.len && !strchr(id.s, '/'));
    FUZZ_CHECK(!memcmp(s, id.s, id.len) && s[id.len] == '.' && cookie == s + id.len + 1 && !strchr(cookie, '.'));
    FUZZ_CHECK(scan_ulong(s, &lead) > 0 && lead == when);
    cookies(&l, id.s, when, cookie);
  } else {
    FUZZ_CHECK(errno == EINVAL && breaks_a_rule(s));
  }
  str_free(&id);
  free(s);
  return 0;
}
