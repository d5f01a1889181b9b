/* smtpc-lib.c: drives lib/smtpc.c and lib/tcpto.c for t/smtpc-lib.t.
 *   smtpc-lib reply     replies from stdin: "CODE|text" each (lines joined
 *                       by '/'), or "ERR errno-name" and stop
 *   smtpc-lib ehlo      an EHLO reply's text on stdin: the flags found
 *   smtpc-lib dot N     stdin through the DATA encoder, N bytes at a time
 *   smtpc-lib scan      stdin's facts: "bytes eightbit header_utf8"
 *   smtpc-lib tcpto FILE IP now fail|ok|dead   note an attempt, or ask
 *                       (IP: IPv4, or IPv6 when it has a ':') */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "smtpc.h"
#include "tcpto.h"

static int reply(void)
{
  static char space[BUF_SIZE];
  struct buf in;
  struct smtpc_reply r = { 0, STR_ZERO, STR_ZERO };
  buf_init(&in, 0, space, sizeof space);
  for (;;) {
    size_t i;
    int code = smtpc_reply(&in, &r);
    if (code < 0) { printf("ERR %s\n", errno == EPROTO ? "EPROTO" : errno == EPIPE ? "EPIPE" : "other"); return 0; }
    for (i = 0; i < r.text.len; i++) if (r.text.s[i] == '\n') r.text.s[i] = '/';
    printf("%d|%.*s\n", code, (int)r.text.len, r.text.s);
  }
}

static int ehlo(void)
{
  static char in[65536];
  struct str t = STR_ZERO;
  struct smtpc_ext x;
  size_t n = fread(in, 1, sizeof in, stdin);
  while (n && in[n - 1] == '\n') n--;
  str_catb(&t, in, n);
  smtpc_ehlo(&t, &x);
  printf("%s%s%s%s%s%s%s size=%llu\n", x.flags & SMTPC_PIPELINING ? "P" : "-", x.flags & SMTPC_8BITMIME ? "8" : "-",
         x.flags & SMTPC_SMTPUTF8 ? "U" : "-", x.flags & SMTPC_STARTTLS ? "T" : "-", x.flags & SMTPC_SIZE ? "S" : "-",
         x.flags & SMTPC_AUTH_PLAIN ? "p" : "-", x.flags & SMTPC_AUTH_LOGIN ? "l" : "-", x.size);
  return 0;
}

static int dot(size_t step)
{
  static char in[1 << 20], space[64];
  struct buf out;
  struct smtpc_dot d;
  size_t n = fread(in, 1, sizeof in, stdin), i;
  buf_init(&out, 1, space, sizeof space);
  smtpc_dot_init(&d);
  for (i = 0; i < n; i += step) smtpc_dot_put(&d, &out, in + i, n - i < step ? n - i : step);
  smtpc_dot_end(&d, &out);
  return buf_flush(&out) < 0;
}

static int scan(void)
{
  static char in[1 << 20];
  struct smtpc_scan c;
  size_t n = fread(in, 1, sizeof in, stdin);
  smtpc_scan_init(&c);
  smtpc_scan_feed(&c, in, n);
  printf("%llu %d %d\n", c.bytes, c.eightbit, c.header_utf8);
  return 0;
}

static int tcpto(char **v)
{
  struct sockaddr_storage ss;     /* IPv4, or IPv6 for an address with ':' */
  struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)&ss;
  memset(&ss, 0, sizeof ss);
  if (strchr(v[1], ':')) { sa6->sin6_family = AF_INET6; inet_pton(AF_INET6, v[1], &sa6->sin6_addr); }
  else { sa->sin_family = AF_INET; inet_pton(AF_INET, v[1], &sa->sin_addr); }
  if (!strcmp(v[3], "dead")) { printf("%d\n", tcpto_dead(v[0], (struct sockaddr *)&ss, atol(v[2]))); return 0; }
  return tcpto_note(v[0], (struct sockaddr *)&ss, !strcmp(v[3], "fail"), atol(v[2])) < 0;
}

int main(int argc, char **argv)
{
  if (argc >= 2 && !strcmp(argv[1], "reply")) return reply();
  if (argc >= 2 && !strcmp(argv[1], "ehlo")) return ehlo();
  if (argc >= 3 && !strcmp(argv[1], "dot")) return dot((size_t)atol(argv[2]));
  if (argc >= 2 && !strcmp(argv[1], "scan")) return scan();
  if (argc >= 6 && !strcmp(argv[1], "tcpto")) return tcpto(argv + 2);
  return 100;
}
