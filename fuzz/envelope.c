/* envelope: qmail-queue's envelope as queue-writer reads it from fd 1
 * (qenv_copy: 'F' sender NUL, 'T' recipient NUL each, NUL), the input
 * arriving in pieces whose size the first byte gives (its top bit: the
 * envelope's first byte read ahead, as when the message was empty); and
 * a stored envelope as queue-manager and queue-admin walk it
 * (qenv_next). What queue-writer copies is exactly what it read (but a
 * first byte other than 'F'), and when it accepts an envelope the walk
 * finds the same recipients, each 'T', within the bounds it checked,
 * also after they are marked 'D'. */
#include <errno.h>
#include "fuzz.h"
#include "qenv.h"

static ssize_t to_str(void *ctx, int fd, char *s, size_t n)
{
  (void)fd;
  if (str_catb(ctx, s, n) < 0) abort();
  return (ssize_t)n;
}

/* walk env[0..len): offsets rising, each field NUL-ended inside; the
 * number of recipients, or -1 when the walk stopped at a broken field */
static long walk(const char *env, size_t len, size_t *end)
{
  size_t pos = 0, at, last = 0;
  long k = 0;
  int r;
  while ((r = qenv_next(env, len, &pos, &at)) == 1) {
    FUZZ_CHECK(at > last && at < len && pos > at && pos <= len && !env[pos - 1]);
    FUZZ_CHECK(!memchr(env + at, 0, pos - 1 - at));
    last = at;
    k++;
  }
  *end = pos;
  if (r < 0) return -1;
  FUZZ_CHECK(pos == len || !env[pos]);
  return k;
}

/* an envelope qenv_copy accepted with rcpts recipients */
static void accepted(struct str *env, unsigned long rcpts)
{
  size_t pos = 0, at, end;
  unsigned long k = 0;
  FUZZ_CHECK(env->len >= 3 && env->s[0] == 'F' && !env->s[env->len - 1]);
  FUZZ_CHECK(strlen(env->s + 1) <= QENV_ADDR_MAX);
  while (qenv_next(env->s, env->len, &pos, &at) == 1) {
    size_t alen = pos - at - 2;
    FUZZ_CHECK(env->s[at] == 'T' && alen >= 1 && alen <= QENV_ADDR_MAX);
    FUZZ_CHECK(!memchr(env->s + at, '\n', alen + 1) && !memchr(env->s + at, '\r', alen + 1));
    env->s[at] = 'D';                   /* as queue-manager marks it done */
    k++;
  }
  FUZZ_CHECK(k == rcpts && pos == env->len - 1);
  FUZZ_CHECK(walk(env->s, env->len, &end) == (long)rcpts && end == env->len - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
  static char ispace[4096], ospace[1024];
  struct str env = STR_ZERO;
  struct fuzz_in f;
  struct buf in, out;
  unsigned long rcpts;
  size_t end, used;
  int first = -1, r;
  if (n < 1) return 0;
  if (d[0] & 0x80 && n >= 2) first = d[1];
  fuzz_buf(&in, ispace, sizeof ispace, &f, d + 1, n - 1, (d[0] & 0x7f) + 1);
  if (first >= 0) f.at = 1;
  buf_init(&out, -1, ospace, sizeof ospace);
  buf_transport(&out, to_str, &env);
  r = qenv_copy(&in, &out, first, &rcpts);
  FUZZ_CHECK(buf_flush(&out) == 0);
  FUZZ_CHECK(r == QENV_OK || r == QENV_EFORMAT || r == QENV_ELONG || r == QENV_EEOF);
  used = f.at - buf_buffered(&in);
  /* all that was read is copied, but a first byte other than 'F' */
  FUZZ_CHECK(env.len == used || (r == QENV_EFORMAT && !env.len && used == 1 && d[1] != 'F'));
  FUZZ_CHECK(!env.len || !memcmp(env.s, d + 1, env.len));
  if (r == QENV_OK) accepted(&env, rcpts);
  if (r == QENV_ELONG) FUZZ_CHECK(env.len > QENV_ADDR_MAX + 1 && !memchr(env.s + env.len - QENV_ADDR_MAX - 1, 0, QENV_ADDR_MAX + 1));
  walk((const char *)d + 1, n - 1, &end);
  str_free(&env);
  return 0;
}
