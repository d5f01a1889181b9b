/* list-bounce: a bounce's return address as list-bounce takes it apart,
 * DEFAULT of LIST-return-DEFAULT (list_return_parse): "N-user=host"
 * or "dN-user=host" for a post or digest N to a member, or
 * "probe.T.C-user=host" for a probe, whose cookie part goes on to
 * list_cookie_parse and list_verp_decode as list-bounce reads it. (The
 * bounce's text is not read: the VERP address says who bounced.) The
 * member found is the tail with its last '=' made '@', and encodes back
 * to the tail when no '@' follows that '='; an address refused is
 * neither form. */
#include <errno.h>
#include "fuzz.h"
#include "list.h"

/* the probe's "T.C-user=host" */
static void probe(const char *s)
{
  struct str hex = STR_ZERO, addr = STR_ZERO;
  unsigned long when;
  const char *dash;
  if (list_cookie_parse(s, &when, &hex, &dash) == 0) {
    FUZZ_CHECK(*dash == '-' && dash > s && strlen(hex.s) < (size_t)(dash - s));
    if (list_verp_decode(dash + 1, &addr) == 0) FUZZ_CHECK(strchr(addr.s, '@'));
  }
  str_free(&hex);
  str_free(&addr);
}

/* s after "N-" or "dN-", or 0 when it is not so */
static const char *post_tail(const char *s)
{
  size_t k;
  if (*s == 'd') s++;
  k = strspn(s, "0123456789");
  return k && s[k] == '-' ? s + k + 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct str addr = STR_ZERO, back = STR_ZERO;
  char *s = fuzz_cstr(d, n);
  const char *p = 0, *tail = post_tail(s), *eq;
  switch (list_return_parse(s, &addr, &p)) {
  case LIST_RETURN_PROBE:
    FUZZ_CHECK(!strncmp(s, "probe.", 6) && p == s + 6);
    probe(p);
    break;
  case LIST_RETURN_POST:
    FUZZ_CHECK(strncmp(s, "probe.", 6) && tail && strchr(tail, '='));
    eq = strrchr(tail, '=');
    FUZZ_CHECK(addr.len == strlen(tail) && addr.s[eq - tail] == '@');
    FUZZ_CHECK(!memcmp(addr.s, tail, (size_t)(eq - tail)) && !strcmp(addr.s + (eq - tail) + 1, eq + 1));
    FUZZ_CHECK(list_verp_encode(addr.s, &back) == 0);
    if (!strchr(eq, '@')) FUZZ_CHECK(!strcmp(back.s, tail));
    break;
  case LIST_RETURN_UNKNOWN:
    FUZZ_CHECK(strncmp(s, "probe.", 6) && (!tail || !strchr(tail, '=')));
    break;
  default:
    FUZZ_CHECK(!"a kind list_return_parse does not have");
  }
  str_free(&addr);
  str_free(&back);
  free(s);
  return 0;
}
