/* netstring: QMTP's and QMQP's framing as qmtpd and qmqpd read it: a
 * netstring holding netstrings (the message, the sender, the
 * recipients), each length bounded before its data is read (ns_getlen,
 * ns_read, ns_skip, ns_getcomma, ns_get), the input arriving in pieces
 * whose size the first byte gives. */
#include <errno.h>
#include "fuzz.h"
#include "netstring.h"

#define MAX 256
#define ITEMS_MAX 64

static void items(struct buf *b)
{
  struct str s = STR_ZERO;
  int i, r = 1;
  for (i = 0; i < ITEMS_MAX && r == 1; i++) {
    r = ns_get(b, &s, MAX);
    if (r == 1) FUZZ_CHECK(s.len <= MAX && s.s[s.len] == 0);
    else if (r < 0) FUZZ_CHECK(errno == EPROTO || errno == EMSGSIZE || errno == ENODATA);
  }
  str_free(&s);
}

/* "LEN:" then LEN bytes read in parts, and the comma */
static int outer(struct buf *b)
{
  unsigned long long len;
  char part[64];
  int r = ns_getlen(b, 1 << 20, &len);
  if (r <= 0) return r;
  FUZZ_CHECK(len <= 1 << 20);
  if (len > sizeof part && ns_skip(b, len - sizeof part) < 0) return -1;
  if (ns_read(b, part, len < sizeof part ? (size_t)len : sizeof part) < 0) return -1;
  return ns_getcomma(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  struct buf b;
  struct fuzz_in f;
  char space[64];
  if (n < 1) return 0;
  fuzz_buf(&b, space, sizeof space, &f, d + 1, n - 1, d[0] % 16);
  if (d[0] & 16) outer(&b);
  else items(&b);
  FUZZ_CHECK(ns_size(n) > n);
  return 0;
}
