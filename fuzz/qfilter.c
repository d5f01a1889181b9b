/* qfilter: what a QMAILQUEUE filter (auth-check, dkim-sign) reads
 * through lib/qfilter: the qmail-queue envelope's sender
 * (qfilter_sender) and the domain of the message's From: field
 * (qfilter_from_domain, over lib/header). The input is both. */
#include "fuzz.h"
#include "qfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct str in = STR_ZERO, dom = STR_ZERO;
  const char *s;
  if (n && str_copyb(&in, (const char *)d, n) < 0) abort();
  if ((s = qfilter_sender(&in))) FUZZ_CHECK(s == in.s + 1 && memchr(s, 0, in.len - 1));
  if (qfilter_from_domain(&in, &dom) == 1) FUZZ_CHECK(dom.len > 0 && !memchr(dom.s, 0, dom.len));
  str_free(&in);
  str_free(&dom);
  return 0;
}
