/* list: what the list programs read from the addresses mail comes to
 * and from the messages themselves: a confirmation or probe address
 * "T.C-user=host" (list_cookie_parse, list_verp_decode,
 * list_cookie_check, as list-manage and list-bounce take DEFAULT apart),
 * a cookie made for it checks (and a forged one does not), and header
 * fields (list_header, list_header_end). */
#include <errno.h>
#include "fuzz.h"
#include "list.h"

#define NOW 1700000000L

static void address(const struct list *l, const char *s)
{
  struct str hex = STR_ZERO, addr = STR_ZERO, back = STR_ZERO;
  unsigned long when;
  const char *dash;
  char c[LIST_COOKIE_HEX + 1];
  int r;
  if (list_cookie_parse(s, &when, &hex, &dash) < 0) { FUZZ_CHECK(errno == EINVAL); goto done; }
  FUZZ_CHECK(*dash == '-' && strlen(hex.s) == (size_t)(dash - s) - (strchr(s, '.') - s) - 1);
  if (list_verp_decode(dash + 1, &addr) < 0 || str_0(&addr) < 0) goto done;
  r = list_cookie_check(l, "probe", addr.s, when, hex.s, NOW);
  FUZZ_CHECK(r == 0 || r == -1 || r == -2);
  FUZZ_CHECK(list_cookie(l, "probe", addr.s, when, c) == 0);
  r = list_cookie_check(l, "probe", addr.s, when, c, NOW);
  FUZZ_CHECK(r == 0 || r == -2);
  c[0] = c[0] == '0' ? '1' : '0';
  FUZZ_CHECK(list_cookie_check(l, "probe", addr.s, when, c, NOW) == -1);
  FUZZ_CHECK(list_verp_encode(addr.s, &back) == 0);
done:
  str_free(&hex); str_free(&addr); str_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  static struct list l;
  struct str v = STR_ZERO;
  char *s = fuzz_cstr(d, n);
  size_t end;
  if (!l.secret.len && str_copys(&l.secret, "fuzz secret") < 0) abort();
  address(&l, s);
  end = list_header_end((const char *)d, n);
  FUZZ_CHECK(end <= n);
  list_header((const char *)d, n, "Subject", &v);
  list_header((const char *)d, n, "List-Id", &v);
  str_free(&v);
  free(s);
  return 0;
}
