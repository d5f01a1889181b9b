/* qmqp: a QMQP package as qmqpd reads it through lib/qms (qms_getlen,
 * qms_inner, qms_addr, over lib/netstring): one netstring holding the
 * message, the sender and the recipients, each inner length checked
 * against what is left of the outer one; the input arrives in pieces
 * whose size the first byte gives. (qmtpd reads the same three items as
 * netstrings of their own, with the same functions.) */
#include <errno.h>
#include "addr.h"
#include "fuzz.h"
#include "netstring.h"
#include "qms.h"

#define PACKAGE_MAX (1 << 20)
#define RCPTS_MAX 100

static ssize_t discard(void *ctx, int fd, char *s, size_t n) { (void)ctx; (void)fd; (void)s; return (ssize_t)n; }

/* one address inside the package; 1 read, -1 trouble */
static int address(struct qms *c, unsigned long long *left, struct str *a)
{
  unsigned long long len;
  int r;
  if (qms_inner(c, left, &len) < 0) return -1;
  if ((r = qms_addr(c, len, a)) < 0) return -1;
  FUZZ_CHECK(a->len <= ADDR_MAX);
  if (r == 1) FUZZ_CHECK(!memchr(a->s, 0, a->len) && !memchr(a->s, '\r', a->len) && !memchr(a->s, '\n', a->len));
  return 1;
}

static void package(struct qms *c)
{
  static struct str a;
  unsigned long long left, len, before;
  int i;
  if (qms_getlen(c, PACKAGE_MAX, &left) < 0) return;
  FUZZ_CHECK(left <= PACKAGE_MAX);
  before = left;
  if (qms_inner(c, &left, &len) < 0 || ns_skip(&c->in, len) < 0 || ns_getcomma(&c->in) < 0) return;
  FUZZ_CHECK(left < before);
  for (i = 0; i < RCPTS_MAX && left > 0; i++)
    if (address(c, &left, &a) < 0) return;
  ns_getcomma(&c->in);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  static struct qms c;
  struct fuzz_in f;
  if (n < 1) return 0;
  memset(&c, 0, sizeof c);
  fuzz_buf(&c.in, c.inspace, sizeof c.inspace, &f, d + 1, n - 1, d[0] + 1);
  buf_init(&c.out, -1, c.outspace, sizeof c.outspace);
  buf_transport(&c.out, discard, 0);
  package(&c);
  return 0;
}
