/* smtp-lib.c: drives lib/smtp.c for t/smtp-lib.t.
 *   smtp-lib path    one path per stdin line: "addr|rest|utf8" or "EINVAL"/"E2BIG"
 *   smtp-lib data N  stdin as DATA (N bytes at a time; 0: chunked BDAT);
 *                    prints the decoded bytes, then "|flags=F done=D rest=" and
 *                    the input left unused
 *   smtp-lib lf N    the same for a message in LF form (QMTP, QMQP, local
 *                    submission: lf and chunked set), N bytes at a time
 *   smtp-lib b64e|b64d  stdin encoded or decoded (lib/b64.c), or "EINVAL" */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "b64.h"
#include "smtp.h"

static int path(void)
{
  char line[4096];
  struct str addr = STR_ZERO;
  while (fgets(line, sizeof line, stdin)) {
    const char *rest;
    int utf8;
    line[strcspn(line, "\n")] = 0;
    if (smtp_path(line, &addr, &rest, &utf8) < 0)
      printf("%s\n", errno == EINVAL ? "EINVAL" : errno == E2BIG ? "E2BIG" : "other");
    else
      printf("%s|%s|%d\n", addr.s, rest, utf8);
  }
  return 0;
}

static int data(size_t step, int lf)
{
  static char in[1 << 20];
  struct smtp_data d;
  struct str out = STR_ZERO;
  size_t n = fread(in, 1, sizeof in, stdin), used = 0;
  int done = 0;
  smtp_data_init(&d, 100000, 20, 5, 2);
  d.chunked = step == 0 || lf;
  d.lf = lf;
  if (!step) step = 1;
  while (used < n && !done) {
    size_t k = n - used < step ? n - used : step;
    used += smtp_data_feed(&d, in + used, k, &out, &done);
  }
  if (d.chunked) smtp_data_last(&d, &out);
  if (out.len) fwrite(out.s, 1, out.len, stdout);
  printf("|flags=%d done=%d rest=", d.flags, done);
  fwrite(in + used, 1, n - used, stdout);
  return 0;
}

static int b64(int decode)
{
  static char in[65536];
  struct str out = STR_ZERO;
  size_t n = fread(in, 1, sizeof in, stdin);
  if ((decode ? b64_decode(&out, in, n) : b64_encode(&out, in, n)) < 0) { printf("EINVAL"); return 0; }
  if (out.len) fwrite(out.s, 1, out.len, stdout);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc > 1 && !strcmp(argv[1], "b64e")) return b64(0);
  if (argc > 1 && !strcmp(argv[1], "b64d")) return b64(1);
  if (argc > 1 && !strcmp(argv[1], "path")) return path();
  if (argc > 2 && !strcmp(argv[1], "data")) return data((size_t)atoi(argv[2]), 0);
  if (argc > 2 && !strcmp(argv[1], "lf")) return data((size_t)atoi(argv[2]), 1);
  return 100;
}
