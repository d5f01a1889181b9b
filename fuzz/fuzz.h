/* fuzz.h: what the harnesses share. Each fuzz/NAME.c defines
 * LLVMFuzzerTestOneInput and calls the real lib/ functions on the bytes
 * it is given; a broken invariant is a finding (FUZZ_CHECK aborts).
 * Built with clang's libFuzzer by make fuzz, and with mk/fuzz-main.c
 * over fuzz/corpus/NAME/ by t/fuzz-corpus.t. */
#ifndef FUZZ_H
#define FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } } while (0)

/* the input as a NUL-terminated string (cut at its first NUL, as a
 * caller's C string would be); free it with free() */
static inline char *fuzz_cstr(const uint8_t *d, size_t n)
{
  char *s = malloc(n + 1);
  if (!s) abort();
  memcpy(s, d, n);
  s[n] = 0;
  return s;
}

/* A struct buf reading the input in pieces of at most step bytes (each
 * read as a socket may return it), then EOF. */
struct fuzz_in { const uint8_t *d; size_t n, at, step; };

static inline ssize_t fuzz_read(void *ctx, int fd, char *s, size_t n)
{
  struct fuzz_in *f = ctx;
  size_t k = f->n - f->at;
  (void)fd;
  if (k > n) k = n;
  if (k > f->step) k = f->step;
  memcpy(s, f->d + f->at, k);
  f->at += k;
  return (ssize_t)k;
}

static inline void fuzz_buf(struct buf *b, char *space, size_t size, struct fuzz_in *f,
                            const uint8_t *d, size_t n, size_t step)
{
  f->d = d; f->n = n; f->at = 0; f->step = step ? step : 1;
  buf_init(b, -1, space, size);
  buf_transport(b, fuzz_read, f);
}

#endif
