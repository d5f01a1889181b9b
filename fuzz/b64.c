/* b64: base64 as SMTP AUTH and POP3 AUTH read it (b64_decode); what
 * decodes is at most 3 bytes per 4 characters, and any bytes survive a
 * round trip through b64_encode. (Padding bits that are not zero are
 * accepted, so decoding does not always encode back to the same text.) */
#include "b64.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct str dec = STR_ZERO, enc = STR_ZERO, back = STR_ZERO;
  const char *s = (const char *)d;
  if (b64_decode(&dec, s, n) == 0) FUZZ_CHECK(dec.len <= n / 4 * 3);
  FUZZ_CHECK(b64_encode(&enc, s, n) == 0);
  FUZZ_CHECK(b64_decode(&back, enc.s ? enc.s : "", enc.len) == 0);
  FUZZ_CHECK(back.len == n && (!n || !memcmp(back.s, s, n)));
  str_free(&dec); str_free(&enc); str_free(&back);
  return 0;
}
