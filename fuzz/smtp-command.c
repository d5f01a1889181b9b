/* smtp-command: an SMTP command's argument as smtpd reads it: the path
 * after "MAIL FROM:" or "RCPT TO:" (smtp_path), the ESMTP parameters
 * after it (smtp_param), the domain check (smtp_domain_ok), the cleaning
 * of text for logs and headers (smtp_clean) and the quoting of an
 * address (addr_quote). */
#include <errno.h>
#include "addr.h"
#include "fuzz.h"
#include "smtp.h"

#define PARAMS_MAX 64

static void params(const char *rest)
{
  const char *key, *val;
  size_t kl, vl;
  int i, r;
  for (i = 0; i < PARAMS_MAX && (r = smtp_param(&rest, &key, &kl, &val, &vl)) == 1; i++)
    FUZZ_CHECK(kl > 0 && !memchr(key, 0, kl) && (!val || !memchr(val, 0, vl)));
}

static void path(const char *s)
{
  struct str addr = STR_ZERO, q = STR_ZERO;
  const char *rest;
  int utf8 = 0;
  if (smtp_path(s, &addr, &rest, &utf8) == 0) {
    FUZZ_CHECK(addr.len <= ADDR_MAX);
    FUZZ_CHECK(rest >= s && rest <= s + strlen(s));
    if (str_0(&addr) == 0) {
      const char *d = addr_domain(addr.s);
      if (d) smtp_domain_ok(d);
      FUZZ_CHECK(addr_quote(&q, addr.s) == 0);
    }
    params(rest);
  } else {
    FUZZ_CHECK(errno == EINVAL || errno == E2BIG || errno == ENOMEM);
  }
  str_free(&addr);
  str_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  char *s = fuzz_cstr(d, n);
  struct str c = STR_ZERO;
  size_t i;
  path(s);
  smtp_domain_ok(s);
  FUZZ_CHECK(smtp_clean(&c, s, 512) == 0 && c.len <= 512);
  for (i = 0; i < c.len; i++) FUZZ_CHECK((unsigned char)c.s[i] >= 32 && c.s[i] != 127);
  str_free(&c);
  free(s);
  return 0;
}
