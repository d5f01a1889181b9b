/* fuzz-main.c: a main for the harnesses in fuzz/ without libFuzzer: each
 * file named is read and given to LLVMFuzzerTestOneInput once, so the
 * corpora run in make test (t/fuzz-corpus.t) with any compiler. A
 * finding aborts the program (or the sanitizers stop it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (1024 * 1024)

int main(int argc, char **argv)
{
  static uint8_t d[INPUT_MAX];
  int i;
  for (i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    size_t n;
    if (!f) { perror(argv[i]); return 111; }
    n = fread(d, 1, sizeof d, f);
    fclose(f);
    /* a copy of exactly n bytes, so reading past the input is caught */
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) return 111;
    for (size_t k = 0; k < n; k++) copy[k] = d[k];
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
  }
  return 0;
}
