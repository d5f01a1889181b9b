/* bench/hold.c: many slow clients in one process (bench/conns.sh).
 *
 *   hold smtp|pop3 HOST PORT N [TRICKLE]
 *     opens N connections at once (non-blocking, one poll(2) loop), reads
 *     each greeting, sends EHLO (smtp) or CAPA (pop3) and reads the whole
 *     reply, then holds every session open and idle; with TRICKLE > 0 it
 *     sends a NOOP on each every TRICKLE seconds, as a slow client would.
 *     When every session is set up (or after 120 s) it prints
 *       sessions=N greeted=G ready=R refused=F failed=E setup_s=S
 *     and holds until SIGTERM or SIGINT, then prints alive=A (the sessions
 *     still open) and closes them all.  greeted counts 220 / +OK greetings,
 *     refused any other greeting, failed a connection that could not be
 *     made or was closed before its greeting, waiting one still without
 *     a greeting after 120 s (in the listen backlog).
 *   hold pop3-login HOST PORT N PREFIX PASS [TRICKLE]
 *     the same, but each session logs in (USER PREFIX1 ... PREFIXN, PASS,
 *     STAT) before it is held; login_failed counts the -ERR answers, and
 *     waiting also the sessions whose login is still unanswered.
 *   hold smtp-one HOST PORT RCPT
 *     one fresh transaction (greeting, EHLO, MAIL, RCPT, DATA, a small
 *     message, QUIT): prints latency_s (connect to the reply after the dot).
 *   hold pop3-one HOST PORT USER PASS
 *     one fresh session (greeting, USER, PASS, STAT, QUIT): latency_s.
 *   hold pop3-uidl HOST PORT USER PASS
 *     the same with a full UIDL after STAT: stat_s (connect to STAT's
 *     reply), uidl_s (UIDL to its last line), uidl_lines, latency_s.
 * Exit 0, or 1 when an -one session gets an error reply. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, GREETING, REPLY, HELD, DEAD };

struct conn {
  int fd, state, greeted, id, step;
  char line[512];
  size_t len;
};

static struct sockaddr_in addr;
static volatile sig_atomic_t stop;
static int pop3, uidl;
static const char *login_user, *login_pass;   /* pop3-login: USER PREFIXi, PASS */
static int login_failed;

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
  fprintf(stderr, "hold: %s\n", what);
  exit(1);
}

static void on_signal(int sig) { (void)sig; stop = 1; }

static int dial(int nonblock)
{
  int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) fail("socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

/* a reply's last line: "NNN " in SMTP, "+OK"/"-ERR" or "." in POP3 */
static int last_line(const char *l, int multi)
{
  if (pop3) return multi ? !strcmp(l, ".") || !strncmp(l, "-ERR", 4) : 1;
  return strlen(l) < 4 || l[3] != '-';
}

static void say(struct conn *c, const char *text)
{
  size_t n = strlen(text);
  if (write(c->fd, text, n) != (ssize_t)n) { close(c->fd); c->state = DEAD; }
}

/* pop3-login: the next command of c's login (USER, PASS, STAT), sent;
 * 0 when the login is done */
static int next_command(struct conn *c)
{
  char cmd[300];
  switch (c->step++) {
  case 0: snprintf(cmd, sizeof cmd, "USER %s%d\r\n", login_user, c->id + 1); break;
  case 1: snprintf(cmd, sizeof cmd, "PASS %s\r\n", login_pass); break;
  case 2: snprintf(cmd, sizeof cmd, "STAT\r\n"); break;
  default: return 0;
  }
  say(c, cmd);
  return 1;
}

/* a line from the server on c: advance its state */
static void got_line(struct conn *c, int *greeted, int *refused, int *ready)
{
  if (c->state == GREETING) {
    int good = pop3 ? !strncmp(c->line, "+OK", 3) : !strncmp(c->line, "220", 3);
    if (!good) { (*refused)++; close(c->fd); c->state = DEAD; return; }
    if (!last_line(c->line, 0)) return;
    (*greeted)++;
    c->greeted = 1;
    c->state = REPLY;
    if (login_user) next_command(c);
    else say(c, pop3 ? "CAPA\r\n" : "EHLO bench.quail.test\r\n");
    return;
  }
  if (c->state != REPLY) return;
  if (login_user) {
    if (strncmp(c->line, "+OK", 3)) { login_failed++; close(c->fd); c->state = DEAD; return; }
    if (next_command(c)) return;
  } else if (!last_line(c->line, 1)) {
    return;
  }
  c->state = HELD;
  (*ready)++;
}

static void readable(struct conn *c, int *greeted, int *refused, int *ready)
{
  char b[4096];
  ssize_t r = read(c->fd, b, sizeof b), i;
  if (r <= 0) { close(c->fd); c->state = DEAD; return; }
  for (i = 0; i < r && c->state != DEAD; i++) {
    if (b[i] == '\r') continue;
    if (b[i] != '\n') { if (c->len < sizeof c->line - 1) c->line[c->len++] = b[i]; continue; }
    c->line[c->len] = 0;
    c->len = 0;
    if (c->state == HELD) continue;         /* a NOOP's reply */
    got_line(c, greeted, refused, ready);
  }
}

static void raise_nofile(int n)
{
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) < 0) fail("getrlimit");
  if (r.rlim_cur < (rlim_t)n + 16) {
    r.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur < (rlim_t)n + 16) fail("too few file descriptors");
  }
}

static void hold(int n, int trickle)
{
  struct conn *c = calloc(n, sizeof *c);
  struct pollfd *p = calloc(n, sizeof *p);
  int i, greeted = 0, refused = 0, ready = 0, failed = 0, reported = 0, alive;
  double t0 = now(), next = 0;
  if (!c || !p) fail("out of memory");
  raise_nofile(n);
  for (i = 0; i < n; i++) {
    c[i].id = i;
    c[i].fd = dial(1);
    c[i].state = c[i].fd < 0 ? DEAD : CONNECTING;
  }
  while (!stop) {
    int settled = 1;
    for (i = 0; i < n; i++) {
      p[i].fd = c[i].state == DEAD ? -1 : c[i].fd;
      p[i].events = c[i].state == CONNECTING ? POLLOUT : POLLIN;
      if (c[i].state != HELD && c[i].state != DEAD) settled = 0;
    }
    if (!reported && (settled || now() - t0 > 120)) {
      int waiting = 0;
      for (i = 0; i < n; i++) {
        if (c[i].state == DEAD && !c[i].greeted) failed++;
        if (c[i].state == REPLY) waiting++;
        if (c[i].state == CONNECTING || c[i].state == GREETING) waiting++;
      }
      failed -= refused;
      printf("sessions=%d greeted=%d ready=%d refused=%d failed=%d waiting=%d login_failed=%d setup_s=%.3f\n", n,
             greeted, ready, refused, failed, waiting, login_failed, now() - t0);
      fflush(stdout);
      reported = 1;
      next = now() + trickle;
    }
    if (reported && trickle > 0 && now() >= next) {
      for (i = 0; i < n; i++) if (c[i].state == HELD) say(&c[i], "NOOP\r\n");
      next = now() + trickle;
    }
    if (poll(p, n, 1000) < 0) { if (errno == EINTR) continue; fail("poll"); }
    for (i = 0; i < n; i++) {
      if (!p[i].revents || c[i].state == DEAD) continue;
      if (c[i].state == CONNECTING) {
        int e = 0;
        socklen_t l = sizeof e;
        getsockopt(c[i].fd, SOL_SOCKET, SO_ERROR, &e, &l);
        if (e) { close(c[i].fd); c[i].state = DEAD; } else c[i].state = GREETING;
        continue;
      }
      readable(&c[i], &greeted, &refused, &ready);
    }
  }
  for (alive = 0, i = 0; i < n; i++)
    if (c[i].state == HELD) { alive++; close(c[i].fd); }
  printf("alive=%d\n", alive);
}

/* ---- one fresh session, blocking ---- */

static int one_fd;
static char rbuf[4096];
static size_t rhave, rpos;

static void one_line(char *out, size_t max)
{
  size_t n = 0;
  for (;;) {
    if (rpos == rhave) {
      ssize_t r = read(one_fd, rbuf, sizeof rbuf);
      if (r <= 0) fail("connection closed");
      rhave = (size_t)r, rpos = 0;
    }
    char ch = rbuf[rpos++];
    if (ch == '\n') break;
    if (ch != '\r' && n < max - 1) out[n++] = ch;
  }
  out[n] = 0;
}

/* send text (if any), read the reply; it must start with want */
static void step(const char *text, const char *want)
{
  char l[512];
  if (text && write(one_fd, text, strlen(text)) != (ssize_t)strlen(text)) fail("write");
  do {
    one_line(l, sizeof l);
    if (strncmp(l, want, strlen(want))) { fprintf(stderr, "hold: %s", text ? text : "greeting\n"); fail(l); }
  } while (!pop3 && !last_line(l, 0));
}

static void one(char **arg)
{
  double t0 = now();
  char cmd[600];
  one_fd = dial(0);
  if (one_fd < 0) fail("connect");
  if (pop3) {
    step(0, "+OK");
    snprintf(cmd, sizeof cmd, "USER %s\r\n", arg[0]);
    step(cmd, "+OK");
    snprintf(cmd, sizeof cmd, "PASS %s\r\n", arg[1]);
    step(cmd, "+OK");
    step("STAT\r\n", "+OK");
    if (uidl) {
      double t1 = now();
      unsigned long lines = 0;
      char l[512];
      step("UIDL\r\n", "+OK");
      for (;;) { one_line(l, sizeof l); if (!strcmp(l, ".")) break; lines++; }
      printf("stat_s=%.4f uidl_s=%.4f uidl_lines=%lu ", t1 - t0, now() - t1, lines);
    }
    printf("latency_s=%.4f\n", now() - t0);
    step("QUIT\r\n", "+OK");
    return;
  }
  step(0, "220");
  step("EHLO bench.quail.test\r\n", "250");
  step("MAIL FROM:<bench@quail.test>\r\n", "250");
  snprintf(cmd, sizeof cmd, "RCPT TO:<%s>\r\n", arg[0]);
  step(cmd, "250");
  step("DATA\r\n", "354");
  step("From: bench@quail.test\r\nSubject: one more\r\n\r\nwhile the others are held\r\n.\r\n", "250");
  printf("latency_s=%.4f\n", now() - t0);
  step("QUIT\r\n", "221");
}

int main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "";
  struct sigaction sa;
  if (argc < 5) fail("usage: hold smtp|pop3 HOST PORT N [TRICKLE] | smtp-one HOST PORT RCPT | pop3-login HOST PORT N PREFIX PASS [TRICKLE] | pop3-one|pop3-uidl HOST PORT USER PASS");
  pop3 = !strncmp(mode, "pop3", 4);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) fail("bad HOST");
  signal(SIGPIPE, SIG_IGN);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;            /* no SA_RESTART: poll returns EINTR */
  sigaction(SIGTERM, &sa, 0);
  sigaction(SIGINT, &sa, 0);
  if (!strcmp(mode, "smtp") || !strcmp(mode, "pop3")) hold(atoi(argv[4]), argc > 5 ? atoi(argv[5]) : 0);
  else if (!strcmp(mode, "pop3-login") && argc > 6) {
    login_user = argv[5], login_pass = argv[6];
    hold(atoi(argv[4]), argc > 7 ? atoi(argv[7]) : 0);
  }
  else if (!strcmp(mode, "smtp-one")) one(argv + 4);
  else if ((!strcmp(mode, "pop3-one") || (uidl = !strcmp(mode, "pop3-uidl"))) && argc > 5) one(argv + 4);
  else fail("unknown mode");
  return 0;
}
