/* header: header fields as inject and sendmail read a message's header
 * (header_field, header_kind) and address lists (header_addrlist with
 * masquerading, header_rewrite of each address found). */
#include <errno.h>
#include "fuzz.h"
#include "header.h"

static void rewrite_all(const struct str *addrs, const struct header_rw *rw)
{
  size_t i = 0;
  while (i < addrs->len) {
    struct str a = STR_ZERO;
    size_t k = strlen(addrs->s + i);
    FUZZ_CHECK(str_copyb(&a, addrs->s + i, k) == 0 && str_0(&a) == 0);
    FUZZ_CHECK(header_rewrite(&a, rw) >= 0);
    str_free(&a);
    i += k + 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  static const struct header_rw rw = { "host.example", "example.org", "plus.example" };
  const char *s = (const char *)d;
  struct str out = STR_ZERO, addrs = STR_ZERO;
  size_t body = 0, name = header_field(s, n, &body);
  if (name) {
    FUZZ_CHECK(name < n && body <= n);
    header_addresses(header_kind(s, name));
    s += body;
    n -= body;
  }
  if (header_addrlist(s, n, &rw, &out, &addrs) == 0) {
    FUZZ_CHECK(!addrs.len || addrs.s[addrs.len - 1] == 0);
    rewrite_all(&addrs, &rw);
  } else {
    FUZZ_CHECK(errno == EINVAL || errno == ENOMEM);
  }
  str_free(&out);
  str_free(&addrs);
  return 0;
}
