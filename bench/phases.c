/* bench/phases.c: phases PORT-A PORT-B COUNT RCPT-A [RCPT-B]
 * Alternates whole SMTP transactions (connect, HELO, MAIL, RCPT, DATA, a
 * 2 KB message, QUIT) between two servers, COUNT on each, one at a time,
 * and prints the median time of each phase in microseconds for each. Two
 * servers measured in the same minutes see the same machine, which is
 * what makes differences of tens of microseconds visible on a noisy VM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define NPH 8
static const char *const phase[NPH] = { "greet", "helo", "mail", "rcpt", "data", "eom", "quit", "total" };

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void die(const char *what)
{
  fprintf(stderr, "phases: %s\n", what);
  exit(111);
}

/* read until a final reply line (three digits and a space) has come */
static char reply[8192];
static void get_reply(int s)
{
  size_t n = 0;
  for (;;) {
    ssize_t r = read(s, reply + n, sizeof reply - 1 - n);
    char *l;
    if (r <= 0) die("the server closed the connection");
    n += (size_t)r;
    reply[n] = 0;
    if (n < 2 || reply[n - 1] != '\n') continue;
    for (l = reply + n - 2; l > reply && l[-1] != '\n'; l--) ;
    if (reply + n - l >= 4 && l[3] == ' ') return;
    if (n == sizeof reply - 1) die("reply too long");
  }
}

static void put(int s, const char *b, size_t n)
{
  if (write(s, b, n) != (ssize_t)n) die("write failed");
}

int main(int argc, char **argv)
{
  int port[2], count, i, k, j;
  const char *rcpt[2];
  double *t[2][NPH];
  char body[4096], cmd[2][3][300];
  size_t bl = 0;
  if (argc < 5 || (count = atoi(argv[3])) <= 0) {
    fprintf(stderr, "usage: phases PORT-A PORT-B COUNT RCPT-A [RCPT-B]\n");
    return 100;
  }
  port[0] = atoi(argv[1]); port[1] = atoi(argv[2]);
  rcpt[0] = argv[4]; rcpt[1] = argc > 5 ? argv[5] : argv[4];
  for (k = 0; k < 2; k++) {
    for (j = 0; j < NPH; j++) if (!(t[k][j] = malloc(sizeof(double) * (size_t)count))) die("out of memory");
    snprintf(cmd[k][0], sizeof cmd[k][0], "HELO phases.test\r\n");
    snprintf(cmd[k][1], sizeof cmd[k][1], "MAIL FROM:<bench@quail.test>\r\n");
    snprintf(cmd[k][2], sizeof cmd[k][2], "RCPT TO:<%s>\r\n", rcpt[k]);
  }
  bl += (size_t)snprintf(body, sizeof body, "From: <bench@quail.test>\r\nSubject: phases\r\n\r\n");
  while (bl < 2048) bl += (size_t)snprintf(body + bl, sizeof body - bl, "%.70s\r\n",
                                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  bl += (size_t)snprintf(body + bl, sizeof body - bl, ".\r\n");
  for (i = 0; i < count; i++)
    for (j = 0; j < 2; j++) {
      int s, one = 1;
      double m[NPH];
      struct sockaddr_in a;
      k = i & 1 ? 1 - j : j;        /* who goes first alternates too */
      memset(&a, 0, sizeof a);
      a.sin_family = AF_INET;
      a.sin_port = htons((unsigned short)port[k]);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      m[0] = now();
      if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0) die("no socket");
      setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect failed");
      get_reply(s); m[1] = now();
      for (int c = 0; c < 3; c++) { put(s, cmd[k][c], strlen(cmd[k][c])); get_reply(s); m[2 + c] = now(); }
      put(s, "DATA\r\n", 6); get_reply(s); m[5] = now();
      put(s, body, bl); get_reply(s);
      if (reply[0] != '2') die("message refused");
      m[6] = now();
      put(s, "QUIT\r\n", 6); get_reply(s); close(s);
      m[7] = now();
      for (int p = 0; p < 7; p++) t[k][p][i] = m[p + 1] - m[p];
      t[k][7][i] = m[7] - m[0];
      usleep(200);
    }
  for (k = 0; k < 2; k++) {
    printf("port %d:", port[k]);
    for (j = 0; j < NPH; j++) {
      qsort(t[k][j], (size_t)count, sizeof(double), cmp);
      printf(" %s=%.0f", phase[j], t[k][j][count / 2]);
    }
    printf("\n");
  }
  return 0;
}
