/* pop3-lib.c: drives lib/pop3.c, lib/md5.c and lib/pw.c for t/pop3-lib.t.
 *   pop3-lib enc STEP [LINES]  stdin through the encoder STEP bytes at a
 *                              time (TOP's limit with LINES); prints the
 *                              bytes, then "|vsize=V fast=F" (F: pop3_vsize)
 *   pop3-lib uidl|info K|arrival|number|name   one input per stdin line
 *   pop3-lib md5               the MD5 of stdin in hex
 *   pop3-lib apop STAMP SECRET DIGEST   1 or 0
 *   pop3-lib hash PREFIX PASSWORD       a hash, then "1" if it checks */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "md5.h"
#include "pop3.h"
#include "pw.h"

static char in[1 << 20];

static int enc(size_t step, int limited, unsigned long lines)
{
  size_t n = fread(in, 1, sizeof in, stdin), used = 0;
  struct pop3_enc e;
  struct pop3_vsize v;
  struct str out = STR_ZERO;
  pop3_enc_init(&e, limited, lines);
  pop3_vsize_init(&v);
  while (used < n && !e.done) {
    size_t k = n - used < step ? n - used : step;
    size_t took = pop3_enc_feed(&e, in + used, k, &out);
    pop3_vsize_feed(&v, in + used, took);
    used += took;
  }
  pop3_enc_end(&e, &out);
  fwrite(out.s, 1, out.len, stdout);
  printf("|vsize=%llu fast=%llu\n", e.vsize, pop3_vsize_end(&v));
  return 0;
}

static int per_line(const char *what, const char *arg)
{
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    struct str out = STR_ZERO;
    unsigned long long a, b;
    unsigned long n;
    line[strcspn(line, "\n")] = 0;
    if (!strcmp(what, "uidl")) { pop3_uidl(line, &out); printf("%s\n", out.s); }
    else if (!strcmp(what, "info")) {
      if (pop3_info(line, arg[0], &a)) printf("%llu\n", a); else printf("none\n");
    } else if (!strcmp(what, "arrival")) { pop3_arrival(line, &a, &b); printf("%llu %llu\n", a, b); }
    else if (!strcmp(what, "number")) {
      int k = pop3_number(line, &n);
      if (k) printf("%lu %d\n", n, k); else printf("none\n");
    } else if (!strcmp(what, "name")) printf("%d\n", pw_name_ok(line));
    str_free(&out);
  }
  return 0;
}

int main(int argc, char **argv)
{
  char hex[MD5_HEX];
  if (argc >= 3 && !strcmp(argv[1], "enc")) return enc((size_t)atol(argv[2]), argc > 3, argc > 3 ? (unsigned long)atol(argv[3]) : 0);
  if (argc >= 2 && !strcmp(argv[1], "md5")) {
    size_t n = fread(in, 1, sizeof in, stdin);
    md5_hex(in, n, hex);
    printf("%s\n", hex);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "apop")) { printf("%d\n", pw_apop_check(argv[2], argv[3], argv[4])); return 0; }
  if (argc == 4 && !strcmp(argv[1], "hash")) {
    struct str h = STR_ZERO;
    if (pw_hash(argv[3], argv[2], &h) < 0) { printf("error\n"); return 0; }
    printf("%s\n%d %d\n", h.s, pw_check(argv[3], h.s), pw_check("wrong", h.s));
    return 0;
  }
  if (argc >= 2) return per_line(argv[1], argc > 2 ? argv[2] : "");
  return 2;
}
