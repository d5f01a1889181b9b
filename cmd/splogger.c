/* splogger: make entries in syslog, as qmail's splogger does.
 *
 *   splogger [tag [facility]]
 *
 * Reads lines on stdin and hands each to syslog(3) (the socket /dev/log)
 * with tag (default splogger) and facility (a number, default 2: mail),
 * behind a numeric time stamp "SECONDS.MICROSECONDS ". A line that begins
 * with "alert:" is logged at LOG_ALERT, "warning:" at LOG_WARNING, any
 * other at LOG_INFO. Unprintable bytes become '?', blank lines are not
 * logged, and a line longer than LINE_MAX bytes is folded: each further
 * piece is logged behind the same stamp and a '+'.
 * Exit codes: 0 at the end of the input; 100 usage; 111 stdin could not
 * be read. syslog itself may drop messages: it tells nobody. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "str.h"

#define LINE_MAX_  800             /* bytes of a line in one syslog message */
#define FACILITY_MAX 23            /* LOG_LOCAL7 >> 3 */
#define USAGE "[tag [facility]]"

struct line {
  char s[LINE_MAX_ + 1];
  size_t n;
  int cont;                        /* a piece of a folded line follows */
  int prio;
  char stamp[40];
};

static void __attribute__((noreturn)) die_read(void) { diag_diesys(EXIT_TEMP, "unable to read standard input", (char *)0); }

static int priority(const char *s)
{
  if (!strncmp(s, "alert:", 6)) return LOG_ALERT;
  if (!strncmp(s, "warning:", 8)) return LOG_WARNING;
  return LOG_INFO;
}

/* log what is held: a new line gets a stamp and a priority, a further
 * piece of a folded line the same ones behind a '+' */
static void flush(struct line *l)
{
  struct timeval tv;
  if (!l->n) return;
  l->s[l->n] = 0;
  if (l->cont) {
    syslog(l->prio, "%s+%s", l->stamp, l->s);
  } else {
    gettimeofday(&tv, 0);
    snprintf(l->stamp, sizeof l->stamp, "%lu.%06lu", (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec);
    l->prio = priority(l->s);
    syslog(l->prio, "%s %s", l->stamp, l->s);
    l->cont = 1;
  }
  l->n = 0;
}

static void put(struct line *l, unsigned char c)
{
  if (c == '\n') { flush(l); l->cont = 0; return; }
  l->s[l->n++] = c < 32 || c > 126 ? '?' : (char)c;
  if (l->n == LINE_MAX_) flush(l);
}

/* a facility number: digits only, at most FACILITY_MAX */
static int facility(const char *s, unsigned long *fac)
{
  size_t n = (size_t)scan_ulong(s, fac);
  return n && !s[n] && *fac <= FACILITY_MAX;
}

int main(int argc, char **argv)
{
  static struct line l;
  char space[BUF_SIZE], c;
  const char *tag = "splogger";
  unsigned long fac = 2;
  struct buf in;
  ssize_t r;

  diag_init("splogger");
  if (argc > 3) diag_usage(USAGE);
  if (argc > 1) tag = argv[1];
  if (argc > 2 && !facility(argv[2], &fac)) diag_usage(USAGE);
  openlog(tag, 0, (int)(fac << 3));
  buf_init(&in, 0, space, sizeof space);
  while ((r = buf_get(&in, &c, 1)) == 1) put(&l, (unsigned char)c);
  if (r < 0) die_read();
  flush(&l);
  closelog();
  return EXIT_OK;
}
