/* smtp-data: the DATA and BDAT decoder (smtp_data_feed, smtp_data_last)
 * as smtpd drives it: the first byte picks DATA or BDAT and the size of
 * the pieces the input arrives in; the rest is the client's bytes. */
#include "fuzz.h"
#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct smtp_data sd;
  struct str out = STR_ZERO;
  size_t at = 0, step;
  int done = 0, chunked;
  if (n < 1) return 0;
  chunked = d[0] & 1;
  step = (d[0] >> 1) + 1;
  d++; n--;
  smtp_data_init(&sd, 4096, 100, 20, 5);
  sd.chunked = chunked;
  while (at < n && !done) {
    size_t k = n - at < step ? n - at : step;
    size_t used = smtp_data_feed(&sd, (const char *)d + at, k, &out, &done);
    FUZZ_CHECK(used <= k);
    FUZZ_CHECK(used == k || done);
    at += used;
  }
  if (chunked) {
    FUZZ_CHECK(!done);
    FUZZ_CHECK(smtp_data_last(&sd, &out) == 0);
  }
  FUZZ_CHECK(out.len <= 4096 + 2);
  FUZZ_CHECK(!(sd.flags & SMTP_DATA_TOO_BIG) == (sd.bytes <= 4096));
  str_free(&out);
  return 0;
}
