/* srs: an SRS0 address coming back to the SRS domain (srs_reverse, as
 * deliver-local takes it apart): only one made by srs_forward with the
 * same secret, not too old, gives a sender; what srs_forward makes of
 * a sender whose domain has no '=' reverses to it. */
#include <errno.h>
#include "fuzz.h"
#include "srs.h"

#define NOW 1700000000L

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct str out = STR_ZERO, fw = STR_ZERO, back = STR_ZERO;
  char *s = fuzz_cstr(d, n);
  if (srs_reverse("fuzz secret", s, NOW, &out) < 0)
    FUZZ_CHECK(errno == EINVAL || errno == EPERM || errno == ETIMEDOUT || errno == ENOMEM);
  /* a domain holding '=' cannot come back: SRS0's fields are split at
   * '=' (libsrs2's too), and such a name gets no mail by DNS anyway */
  if (strchr(s, '@') && !strchr(strrchr(s, '@'), '=') &&
      srs_forward("fuzz secret", s, "srs.example", NOW, &fw) == 0 && str_0(&fw) == 0) {
    FUZZ_CHECK(srs_reverse("fuzz secret", fw.s, NOW, &back) == 0);
  }
  str_free(&out); str_free(&fw); str_free(&back);
  free(s);
  return 0;
}
