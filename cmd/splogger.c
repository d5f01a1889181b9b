/* splogger: make entries in syslog, as qmail's splogger does.
 *
 *   splogger [-t] [tag [facility]]
 *
 * Reads lines on stdin and sends each to the syslog daemon (the socket
 * /dev/log, as syslog(3) does) with tag (default splogger) and facility
 * (a number, default 2: mail), behind a numeric time stamp
 * "SECONDS.MICROSECONDS ". A line that begins with "alert:" is logged at
 * LOG_ALERT, "warning:" at LOG_WARNING, any other at LOG_INFO.
 * Unprintable bytes become '?', blank lines are not logged, and a line
 * longer than LINE_MAX bytes is folded: each further piece is logged
 * behind the same stamp and a '+'.
 * When no syslog daemon takes a message (no /dev/log, nobody behind it),
 * splogger says so on stderr once and writes the lines there, "TAG: STAMP
 * LINE", until one is taken again; nothing is dropped without a word.
 * A daemon that reads slowly slows splogger down: a send waits.
 * -t: a tee: every byte read is first copied to stdout (for svlogd, see
 * quail-log(8)); at the end splogger closes stdout and waits for its child
 * processes. SIGTERM ends splogger once what it has read is logged.
 * Exit codes: 0 at the end of the input or on SIGTERM; 100 usage; 111
 * stdin could not be read or (-t) stdout could not be written (what was
 * read is logged first). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "str.h"

#define LINE_MAX_  800             /* bytes of a line in one syslog message */
#define FACILITY_MAX 23            /* LOG_LOCAL7 >> 3 */
#define TAG_MAX    64              /* bytes of the tag in a message */
#define MSG_MAX    (LINE_MAX_ + TAG_MAX + 128)
#define USAGE "[-t] [tag [facility]]"

struct line {
  char s[LINE_MAX_ + 1];
  size_t n;
  int cont;                        /* a piece of a folded line follows */
  int prio;
  char stamp[40];
};

/* the connection to the syslog daemon */
struct slog {
  int fd;                          /* -1: not connected */
  int stream;                      /* /dev/log is a stream socket: NUL ends a message */
  int down;                        /* the last message was not taken */
  int tee;                         /* the lines are on stdout too (-t) */
  int fac;
  char tag[TAG_MAX + 1];
};

static volatile sig_atomic_t stop;

static void __attribute__((noreturn)) die_read(void) { diag_diesys(EXIT_TEMP, "unable to read standard input", (char *)0); }
static void __attribute__((noreturn)) die_write(void) { diag_diesys(EXIT_TEMP, "unable to write standard output", (char *)0); }

static void on_term(int sig) { (void)sig; stop = 1; }

/* ---------- the syslog daemon ---------- */

/* connect to /dev/log, a datagram socket or (as syslog(3) tries next) a
 * stream one: 0, or -1 with errno */
static int slog_connect(struct slog *g)
{
  struct sockaddr_un sa;
  int type;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  strcpy(sa.sun_path, _PATH_LOG);
  for (type = SOCK_DGRAM; ; type = SOCK_STREAM) {
    g->fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (g->fd < 0) return -1;
    if (connect(g->fd, (struct sockaddr *)&sa, sizeof sa) == 0) { g->stream = type == SOCK_STREAM; return 0; }
    close(g->fd);
    g->fd = -1;
    if (errno != EPROTOTYPE || type == SOCK_STREAM) return -1;
  }
}

static int send_all(int fd, const char *s, size_t n)
{
  while (n) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* one message, as syslog(3) formats it: "<PRI>Mmm dd hh:mm:ss TAG: text";
 * on a failure connect again once (the daemon may have restarted) */
static int slog_send(struct slog *g, int prio, const char *text)
{
  char msg[MSG_MAX], date[32];
  time_t now = time(0);
  struct tm tm;
  int n, tries;
  if (!localtime_r(&now, &tm) || !strftime(date, sizeof date, "%b %e %T", &tm)) date[0] = 0;
  n = snprintf(msg, sizeof msg, "<%d>%s %s: %s", g->fac | prio, date, g->tag, text);
  if (n < 0) return -1;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  for (tries = 0; tries < 2; tries++) {
    if (g->fd < 0 && slog_connect(g) < 0) continue;
    if (send_all(g->fd, msg, (size_t)n + (size_t)g->stream) == 0) return 0;
    close(g->fd);
    g->fd = -1;
  }
  return -1;
}

/* a message syslog did not take: say so once, and (without -t, where
 * stdout has it) put the line on stderr */
static void slog_missed(struct slog *g, const char *text)
{
  if (!g->down)
    diag_warnsys(g->tee ? "lines go to standard output only" : "lines go to standard error",
                 " until syslog takes them: unable to send to " _PATH_LOG, (char *)0);
  g->down = 1;
  if (g->tee) return;
  fprintf(stderr, "%s: %s\n", g->tag, text);
  fflush(stderr);
}

static void slog_line(struct slog *g, int prio, const char *text)
{
  if (slog_send(g, prio, text) < 0) { slog_missed(g, text); return; }
  if (g->down) diag_warn("syslog takes messages at " _PATH_LOG " again", (char *)0);
  g->down = 0;
}

/* ---------- lines ---------- */

static int priority(const char *s)
{
  if (!strncmp(s, "alert:", 6)) return LOG_ALERT;
  if (!strncmp(s, "warning:", 8)) return LOG_WARNING;
  return LOG_INFO;
}

/* log what is held: a new line gets a stamp and a priority, a further
 * piece of a folded line the same ones behind a '+' */
static void flush(struct slog *g, struct line *l)
{
  char text[sizeof l->stamp + LINE_MAX_ + 2];
  struct timeval tv;
  if (!l->n) return;
  l->s[l->n] = 0;
  if (!l->cont) {
    gettimeofday(&tv, 0);
    snprintf(l->stamp, sizeof l->stamp, "%lu.%06lu", (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec);
    l->prio = priority(l->s);
  }
  snprintf(text, sizeof text, "%s%s%s", l->stamp, l->cont ? "+" : " ", l->s);
  slog_line(g, l->prio, text);
  l->cont = 1;
  l->n = 0;
}

static void put(struct slog *g, struct line *l, unsigned char c)
{
  if (c == '\n') { flush(g, l); l->cont = 0; return; }
  l->s[l->n++] = c < 32 || c > 126 ? '?' : (char)c;
  if (l->n == LINE_MAX_) flush(g, l);
}

/* ---------- input ---------- */

/* SIGTERM only interrupts the wait for input (ppoll), so that a signal
 * never lands between a check of stop and a read that blocks */
static void catch_term(sigset_t *waitmask)
{
  struct sigaction sa;
  sigset_t term;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, 0);
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, waitmask);
  sigdelset(waitmask, SIGTERM);
}

/* the next bytes of stdin into s: the count, 0 at the end or on SIGTERM */
static ssize_t next(char *s, size_t n, const sigset_t *waitmask)
{
  struct pollfd p = { 0, POLLIN, 0 };
  ssize_t r;
  for (;;) {
    if (stop) return 0;
    if (ppoll(&p, 1, 0, waitmask) < 0) {
      if (errno == EINTR) continue;
      die_read();
    }
    r = read(0, s, n);
    if (r >= 0) return r;
    if (errno != EINTR && errno != EAGAIN) die_read();
  }
}

/* a facility number: digits only, at most FACILITY_MAX */
static int facility(const char *s, unsigned long *fac)
{
  size_t n = (size_t)scan_ulong(s, fac);
  return n && !s[n] && *fac <= FACILITY_MAX;
}

static void options(int argc, char **argv, struct slog *g)
{
  unsigned long fac = 2;
  const char *tag = "splogger";
  int opt;
  while ((opt = getopt(argc, argv, "+t")) != -1)
    if (opt == 't') g->tee = 1; else diag_usage(USAGE);
  argv += optind;
  argc -= optind;
  if (argc > 2) diag_usage(USAGE);
  if (argc > 0) tag = argv[0];
  if (argc > 1 && !facility(argv[1], &fac)) diag_usage(USAGE);
  snprintf(g->tag, sizeof g->tag, "%s", tag);
  g->fac = (int)(fac << 3);
}

int main(int argc, char **argv)
{
  static struct line l;
  static struct slog g = { -1, 0, 0, 0, 0, "" };
  char space[BUF_SIZE];
  sigset_t waitmask;
  ssize_t r, i;

  diag_init("splogger");
  options(argc, argv, &g);
  catch_term(&waitmask);
  /* -t: a reader gone from stdout is an error after the lines are logged */
  if (g.tee) signal(SIGPIPE, SIG_IGN);
  while ((r = next(space, sizeof space, &waitmask)) > 0) {
    int lost = g.tee && fd_write_all(1, space, (size_t)r) < 0;
    for (i = 0; i < r; i++) put(&g, &l, (unsigned char)space[i]);
    if (lost) { flush(&g, &l); die_write(); }
  }
  flush(&g, &l);
  if (g.tee) {
    if (close(1) < 0) die_write();
    while (wait(0) > 0 || errno == EINTR) ;
  }
  return EXIT_OK;
}
