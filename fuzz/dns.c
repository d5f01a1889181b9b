/* dns: answers from a name server, read as dns_mx, dns_host and dns_txt
 * read theirs (dns_answer): the first byte picks the query type (MX, A,
 * AAAA, TXT), the rest is the answer. */
#include <arpa/nameser.h>
#include "dns.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  static const int types[] = { ns_t_mx, ns_t_a, ns_t_aaaa, ns_t_txt };
  static struct dns_targets t;
  struct str txt = STR_ZERO;
  size_t i;
  int r;
  if (n < 1 || n > 65536) return 0;
  r = dns_answer(d + 1, (int)(n - 1), types[d[0] % 4], d[0], &t, &txt);
  FUZZ_CHECK(r >= DNS_OK && r <= DNS_NOMEM);
  FUZZ_CHECK(t.n <= DNS_TARGETS_MAX);
  for (i = 0; i < t.n; i++) FUZZ_CHECK(memchr(t.t[i].name, 0, sizeof t.t[i].name));
  for (i = 1; d[0] % 4 == 0 && i < t.n; i++) FUZZ_CHECK(t.t[i - 1].pref <= t.t[i].pref);
  FUZZ_CHECK(!txt.len || txt.s[txt.len - 1] == 0);
  str_free(&txt);
  return 0;
}
