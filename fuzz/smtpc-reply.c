/* smtpc-reply: what deliver-remote and maildir-smtp read from a remote
 * SMTP server: replies (smtpc_reply, the input arriving in pieces whose
 * size the first byte gives) and the EHLO keywords (smtpc_ehlo). */
#include <errno.h>
#include "fuzz.h"
#include "smtpc.h"

#define REPLIES_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct buf b;
  struct fuzz_in f;
  struct smtpc_reply r = { 0 };
  struct smtpc_ext e;
  char space[512];
  int i, code = 0;
  if (n < 1) return 0;
  fuzz_buf(&b, space, sizeof space, &f, d + 1, n - 1, d[0] + 1);
  for (i = 0; i < REPLIES_MAX && (code = smtpc_reply(&b, &r)) >= 0; i++) {
    FUZZ_CHECK(code >= 100 && code <= 599);
    FUZZ_CHECK(r.text.len <= SMTPC_TEXT_MAX + SMTPC_LINE_MAX);
    smtpc_ehlo(&r.text, &e);
  }
  if (code < 0) FUZZ_CHECK(errno == EPROTO || errno == EPIPE || errno == ENOMEM);
  str_free(&r.text); str_free(&r.line);
  return 0;
}
