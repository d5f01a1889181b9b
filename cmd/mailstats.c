/* mailstats: statistics from queue-manager's logs, qmailanalog's job.
 *
 * Reads svlogd lines (a "YYYY-MM-DD_HH:MM:SS.frac " or TAI64N "@..." label,
 * then one of queue-manager's log lines; see queue-manager(8)), or lines
 * that splogger sent to syslog ("SECONDS.MICROSECONDS " after the syslog
 * file's own "date host tag: " prefix); qmail-send's lines read the same
 * as queue-manager's. From the
 * files named, in order, or from standard input. Writes text reports on
 * standard output: basic statistics (zoverall), the ddelay distribution
 * (zddist), message sizes and qtimes, deliveries per recipient domain,
 * recipients (zrxdelay), senders, failure and deferral reasons, and
 * concurrency, rate and queue size over time. With -o DIR it also writes
 * DIR/series.dat and DIR/delay.dat and has gnuplot draw DIR/rate.svg,
 * DIR/delay.svg and DIR/queue.svg.
 *
 * Memory is bounded whatever the log's length: one record per message and
 * per delivery in flight, fixed-size top tables (Misra-Gries: exact while
 * a table holds every distinct key), fixed histograms and a fixed number
 * of time buckets whose width doubles as the span grows.
 *
 * Exit codes: 0 done, 100 usage, 111 unable to read a log, to write a
 * report or plot, or to run gnuplot.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "diag.h"
#include "exitcode.h"

#define LOG_LINE_MAX 4096      /* longer log lines are cut here */
#define KEY_MAX     200       /* addresses, domains and reasons are cut here */
#define TOP_SLOTS   4096      /* distinct keys per top table */
#define MAP_MAX     (1u << 21) /* slots for messages or deliveries in flight */
#define BUCKETS     360       /* time buckets for the series */
#define BUCKET0     60.0      /* first bucket width, seconds */
#define DELAY_BINS  64        /* ddelay and qtime histograms, 2^(1/2) steps */
#define DELAY_MIN   0.001     /* upper edge of the first delay bin, seconds */
#define SIZE_BINS   40        /* message size histogram, powers of two */
#define SYSLOG_PREFIX_MAX 256 /* bytes of a syslog line before splogger's stamp */
#define TOP_DEFAULT 10        /* lines in each top-N report */
#define TOP_LIMIT   100000

enum { SUCCESS, FAILURE, DEFERRAL, RESULTS };
enum { LOCAL, REMOTE };

static const char *result_name[RESULTS] = { "success", "failure", "deferral" };

/* one key of a top table */
struct entry {
  char key[KEY_MAX];
  unsigned long n;              /* weight, Misra-Gries decremented */
  unsigned long r[RESULTS];     /* deliveries by result */
  unsigned long long bytes;     /* message bytes, or bytes delivered */
  double xdelay;                /* total delivery time */
  int used;
};

struct top {
  const char *name;
  struct entry *e;              /* TOP_SLOTS entries */
  int *index;                   /* 2 * TOP_SLOTS hash slots, -1 empty */
  int count;
  unsigned long dropped;        /* keys evicted: the table is approximate */
};

/* a hash map from a number (message ID or delivery number) to a record */
struct slot { unsigned long key; void *v; };
struct map { struct slot *s; size_t size, count; unsigned long refused; };

struct msg { double birth; unsigned long bytes; unsigned tries, rcpts; };
struct dlv { double start; unsigned long msg; int chan; char rcpt[KEY_MAX]; };

struct bucket {
  unsigned long r[RESULTS], arrived, conc_samples;
  double conc_sum;
  unsigned conc_max, queue_max;
};

struct series { double t0, width; int started; struct bucket b[BUCKETS]; };

struct stats {
  double first, last, now;
  unsigned long lines, unparsed, cut, warnings, alerts, triples, bounces;
  unsigned long forgotten, admin_bounces;   /* queue-admin's work */
  unsigned long arrived, done_msgs, done_rcpts, done_tries;
  unsigned long long done_bytes, weighted_bytes;
  double qtime_sum, ddelay_sum, xdelay_sum;
  unsigned long r[2][RESULTS];
  unsigned long ddist[DELAY_BINS], qdist[DELAY_BINS], sdist[SIZE_BINS];
  unsigned long queue;          /* messages in flight now */
  struct map msgs, dlvs;
  struct top senders, rcpts, domains, reasons[RESULTS];
  struct series ser;
  int topn;
};

static void die_read(const char *f) { diag_diesys(EXIT_TEMP, "unable to read ", f, (char *)0); }
static void die_write(const char *f) { diag_diesys(EXIT_TEMP, "unable to write ", f, (char *)0); }
static void die_gnuplot(const char *why) { diag_die(EXIT_TEMP, "gnuplot ", why, (char *)0); }
static void usage(void) { diag_usage("[ -n TOP ] [ -o DIR ] [ FILE ... ]"); }

static void *zalloc(size_t n)
{
  void *p = calloc(1, n);
  if (!p) diag_nomem();
  return p;
}

/* --- maps: open addressing, linear probing, backward-shift deletion --- */

static size_t map_home(const struct map *m, unsigned long k)
{
  return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (m->size - 1);
}

static struct slot *map_find(struct map *m, unsigned long k)
{
  size_t i = map_home(m, k);
  for (; m->s[i].v; i = (i + 1) & (m->size - 1))
    if (m->s[i].key == k) return &m->s[i];
  return &m->s[i];
}

static void map_grow(struct map *m)
{
  struct slot *old = m->s;
  size_t i, n = m->size;
  m->size *= 2;
  m->s = zalloc(m->size * sizeof *m->s);
  for (i = 0; i < n; i++)
    if (old[i].v) *map_find(m, old[i].key) = old[i];
  free(old);
}

/* map_put: a record for k (the old one is freed); 0 when the map is full */
static int map_put(struct map *m, unsigned long k, void *v)
{
  struct slot *s;
  if (!m->s) { m->size = 1024; m->s = zalloc(m->size * sizeof *m->s); }
  if (2 * (m->count + 1) > m->size) {
    if (m->size >= MAP_MAX) { m->refused++; free(v); return 0; }
    map_grow(m);
  }
  s = map_find(m, k);
  if (s->v) free(s->v); else m->count++;
  s->key = k;
  s->v = v;
  return 1;
}

static void *map_get(struct map *m, unsigned long k)
{
  return m->s ? map_find(m, k)->v : 0;
}

static void map_del(struct map *m, unsigned long k)
{
  size_t i, j, h;
  struct slot *s;
  if (!m->s || !(s = map_find(m, k))->v) return;
  free(s->v);
  i = (size_t)(s - m->s);
  m->s[i].v = 0;
  m->count--;
  for (j = (i + 1) & (m->size - 1); m->s[j].v; j = (j + 1) & (m->size - 1)) {
    h = map_home(m, m->s[j].key);
    /* move j back to the hole i unless its home lies cyclically in (i, j] */
    if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
      m->s[i] = m->s[j];
      m->s[j].v = 0;
      i = j;
    }
  }
}

/* --- top tables --- */

static void top_init(struct top *t, const char *name)
{
  int i;
  t->name = name;
  t->e = zalloc(TOP_SLOTS * sizeof *t->e);
  t->index = zalloc(2 * TOP_SLOTS * sizeof *t->index);
  for (i = 0; i < 2 * TOP_SLOTS; i++) t->index[i] = -1;
}

static unsigned top_hash(const char *k)
{
  unsigned h = 5381;
  while (*k) h = h * 33 ^ (unsigned char)*k++;
  return h & (2 * TOP_SLOTS - 1);
}

static int *top_slot(struct top *t, const char *k)
{
  unsigned i = top_hash(k);
  for (; t->index[i] >= 0; i = (i + 1) & (2 * TOP_SLOTS - 1))
    if (!strcmp(t->e[t->index[i]].key, k)) return &t->index[i];
  return &t->index[i];
}

/* top_shrink: Misra-Gries' step: every weight down by one, zeros leave */
static void top_shrink(struct top *t)
{
  int i, j = 0;
  for (i = 0; i < 2 * TOP_SLOTS; i++) t->index[i] = -1;
  for (i = 0; i < t->count; i++) {
    if (--t->e[i].n == 0) { t->dropped++; continue; }
    if (i != j) t->e[j] = t->e[i];
    *top_slot(t, t->e[j].key) = j;
    j++;
  }
  for (i = j; i < t->count; i++) t->e[i].used = 0;
  t->count = j;
}

/* top_add: the entry for key with its weight raised, or 0 when evicted */
static struct entry *top_add(struct top *t, const char *key)
{
  int *s = top_slot(t, key);
  struct entry *e;
  if (*s >= 0) { e = &t->e[*s]; e->n++; return e; }
  if (t->count == TOP_SLOTS) { top_shrink(t); t->dropped++; return 0; }
  *s = t->count++;
  e = &t->e[*s];
  memset(e, 0, sizeof *e);
  snprintf(e->key, sizeof e->key, "%s", key);
  e->n = 1;
  e->used = 1;
  return e;
}

/* --- time series --- */

static struct bucket *series_at(struct series *s, double t)
{
  long i;
  int k;
  if (!s->started) { s->started = 1; s->t0 = floor(t / BUCKET0) * BUCKET0; s->width = BUCKET0; }
  if (t < s->t0) t = s->t0;
  while ((i = (long)((t - s->t0) / s->width)) >= BUCKETS) {
    for (k = 0; k < BUCKETS / 2; k++) {
      struct bucket *a = &s->b[2 * k], *b = &s->b[2 * k + 1], m = *a;
      int r;
      for (r = 0; r < RESULTS; r++) m.r[r] += b->r[r];
      m.arrived += b->arrived; m.conc_samples += b->conc_samples; m.conc_sum += b->conc_sum;
      if (b->conc_max > m.conc_max) m.conc_max = b->conc_max;
      if (b->queue_max > m.queue_max) m.queue_max = b->queue_max;
      s->b[k] = m;
    }
    memset(&s->b[BUCKETS / 2], 0, sizeof s->b[0] * (BUCKETS / 2));
    s->width *= 2;
  }
  return &s->b[i];
}

static int series_used(const struct series *s)
{
  int n = BUCKETS;
  while (n > 0 && !s->b[n - 1].arrived && !s->b[n - 1].conc_samples &&
         !s->b[n - 1].r[0] && !s->b[n - 1].r[1] && !s->b[n - 1].r[2] && !s->b[n - 1].queue_max) n--;
  return n;
}

/* --- histograms --- */

static double delay_edge(int i) { return DELAY_MIN * pow(2.0, i / 2.0); }

static int delay_bin(double d)
{
  int i = 0;
  while (i < DELAY_BINS - 1 && d > delay_edge(i)) i++;
  return i;
}

static int size_bin(unsigned long b)
{
  int i = 0;
  while (i < SIZE_BINS - 1 && b > (1ul << i)) i++;
  return i;
}

/* --- parsing --- */

/* splogger's "SECONDS.MICROSECONDS " at l; *rest after it. -1 when it is not
 * there, -2 for splogger's continuation of a long line ("SECONDS.USEC+") */
static double splogger_stamp(const char *l, const char **rest)
{
  char *e;
  double t;
  if (*l < '0' || *l > '9') return -1;
  t = strtod(l, &e);
  if (*e == '+') return -2;
  if (e - l < 12 || e[-7] != '.' || *e != ' ') return -1;
  *rest = e + 1;
  return t;
}

/* label: the time of an svlogd, multilog or splogger line; *rest after it.
 * -1 when there is none, -2 for a splogger continuation */
static double label(const char *l, const char **rest)
{
  struct tm tm;
  int n = 0;
  double frac = 0;
  const char *colon;
  memset(&tm, 0, sizeof tm);
  if ((frac = splogger_stamp(l, rest)) != -1) return frac;
  /* a syslog file's "Dec  7 12:00:00 host qmail: " before the stamp */
  if ((colon = strstr(l, ": ")) && colon - l < SYSLOG_PREFIX_MAX &&
      (frac = splogger_stamp(colon + 2, rest)) != -1) return frac;
  frac = 0;
  if (l[0] == '@' && strlen(l) > 26 && l[25] == ' ') {
    char hex[17];
    unsigned long long s;
    memcpy(hex, l + 1, 16); hex[16] = 0;
    s = strtoull(hex, 0, 16);
    *rest = l + 26;
    return (double)(s - 4611686018427387914ull); /* 2^62 + 10: TAI to UTC, near enough */
  }
  if (sscanf(l, "%4d-%2d-%2d_%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6) return -1;
  l += n;
  if (*l == '.') { char *e; frac = strtod(l, &e); l = e; }
  if (*l != ' ') return -1;
  *rest = l + 1;
  tm.tm_year -= 1900; tm.tm_mon -= 1;
  return (double)timegm(&tm) + frac;
}

static void domain_of(const char *addr, char *out, size_t n)
{
  const char *at = strrchr(addr, '@');
  size_t i;
  snprintf(out, n, "%s", at ? at + 1 : "(local)");
  for (i = 0; out[i]; i++) if (out[i] >= 'A' && out[i] <= 'Z') out[i] += 'a' - 'A';
}

static void on_status(struct stats *st, const char *l)
{
  unsigned long la, lc, ra, rc;
  struct bucket *b;
  if (!strcmp(l, "exiting")) return;
  if (sscanf(l, "local %lu/%lu remote %lu/%lu", &la, &lc, &ra, &rc) != 4) { st->unparsed++; return; }
  b = series_at(&st->ser, st->now);
  b->conc_samples++;
  b->conc_sum += (double)(la + ra);
  if (la + ra > b->conc_max) b->conc_max = (unsigned)(la + ra);
}

static void queue_sample(struct stats *st)
{
  struct bucket *b = series_at(&st->ser, st->now);
  if (st->queue > b->queue_max) b->queue_max = (unsigned)st->queue;
}

static void on_new(struct stats *st, unsigned long id)
{
  struct msg *m = zalloc(sizeof *m);
  m->birth = st->now;
  if (map_get(&st->msgs, id) == 0) st->queue++;
  map_put(&st->msgs, id, m);
  st->arrived++;
  series_at(&st->ser, st->now)->arrived++;
  queue_sample(st);
}

/* last_of: the last occurrence of pat in s, or 0 */
static const char *last_of(const char *s, const char *pat)
{
  const char *r = 0, *p;
  while ((p = strstr(s, pat))) { r = p; s = p + 1; }
  return r;
}

static void on_info(struct stats *st, unsigned long id, const char *l)
{
  unsigned long bytes;
  const char *from = strstr(l, " from <"), *end = last_of(l, "> qp ");
  char sender[KEY_MAX];
  struct msg *m = map_get(&st->msgs, id);
  struct entry *e;
  size_t n;
  if (sscanf(l, "bytes %lu", &bytes) != 1 || !from || !end || end < from + 7) { st->unparsed++; return; }
  if (m) m->bytes = bytes;
  n = (size_t)(end - (from + 7));
  if (n > KEY_MAX - 1) n = KEY_MAX - 1;
  if (!n) snprintf(sender, sizeof sender, "<>");
  else { memcpy(sender, from + 7, n); sender[n] = 0; }
  if ((e = top_add(&st->senders, sender))) e->bytes += bytes;
}

static void on_start(struct stats *st, unsigned long d, const char *l)
{
  unsigned long id;
  int n = 0;
  char chan[8];
  struct dlv *v;
  struct msg *m;
  if (sscanf(l, "msg %lu to %7s %n", &id, chan, &n) != 2 || !n) { st->unparsed++; return; }
  v = zalloc(sizeof *v);
  v->start = st->now;
  v->msg = id;
  v->chan = strcmp(chan, "local") ? REMOTE : LOCAL;
  snprintf(v->rcpt, sizeof v->rcpt, "%s", l + n);
  map_put(&st->dlvs, d, v);
  if ((m = map_get(&st->msgs, id))) m->tries++;
}

/* on_result: a delivery's end, counted for its recipient and domain */
static void on_result(struct stats *st, struct dlv *v, int r, const char *why)
{
  struct msg *m = map_get(&st->msgs, v->msg);
  double x = st->now - v->start;
  unsigned long bytes = m ? m->bytes : 0;
  char dom[KEY_MAX], reason[KEY_MAX];
  struct entry *e;
  st->r[v->chan][r]++;
  st->xdelay_sum += x;
  series_at(&st->ser, st->now)->r[r]++;
  if (r == SUCCESS && m) {
    st->ddelay_sum += st->now - m->birth;
    st->ddist[delay_bin(st->now - m->birth)]++;
    st->weighted_bytes += bytes;
  }
  if (r != DEFERRAL && m) m->rcpts++;
  if ((e = top_add(&st->rcpts, v->rcpt))) {
    e->r[r]++; e->xdelay += x;
    if (r == SUCCESS) e->bytes += bytes;
  }
  domain_of(v->rcpt, dom, sizeof dom);
  if ((e = top_add(&st->domains, dom))) {
    e->r[r]++; e->xdelay += x;
    if (r == SUCCESS) e->bytes += bytes;
  }
  snprintf(reason, sizeof reason, "%s", why);
  if (r != SUCCESS) top_add(&st->reasons[r], reason);
}

static void on_delivery(struct stats *st, unsigned long d, const char *l)
{
  struct dlv *v = map_get(&st->dlvs, d);
  int r;
  for (r = 0; r < RESULTS; r++) {
    size_t n = strlen(result_name[r]);
    if (!strncmp(l, result_name[r], n) && l[n] == ':') break;
  }
  if (r == RESULTS && !strcmp(l, "report mangled, will defer")) {
    if (!v) { st->unparsed++; return; }    /* qmail-send's word for a broken report */
    on_result(st, v, DEFERRAL, "report mangled");
    map_del(&st->dlvs, d);
    return;
  }
  if (r == RESULTS || !v) { st->unparsed++; return; }
  l += strlen(result_name[r]) + 1;
  on_result(st, v, r, *l == ' ' ? l + 1 : l);
  map_del(&st->dlvs, d);
}

/* a message held or deleted by the administrator left the queue */
static void on_forget(struct stats *st, unsigned long id)
{
  if (!map_get(&st->msgs, id)) return;
  st->forgotten++;
  map_del(&st->msgs, id);
  st->queue--;
  queue_sample(st);
}

static void on_end(struct stats *st, unsigned long id)
{
  struct msg *m = map_get(&st->msgs, id);
  if (!m) return;
  st->done_msgs++;
  st->done_rcpts += m->rcpts;
  st->done_tries += m->tries;
  st->done_bytes += m->bytes;
  st->qtime_sum += st->now - m->birth;
  st->qdist[delay_bin(st->now - m->birth)]++;
  st->sdist[size_bin(m->bytes)]++;
  map_del(&st->msgs, id);
  st->queue--;
  queue_sample(st);
}

/* line: one log line without its newline */
static void line(struct stats *st, const char *l)
{
  unsigned long a;
  int n = 0;
  double t = label(l, &l);
  st->lines++;
  if (t == -2) { st->cut++; return; }   /* the rest of a line splogger split */
  if (t >= 0) {
    st->now = t;
    if (!st->first || t < st->first) st->first = t;
    if (t > st->last) st->last = t;
  }
  if (!strncmp(l, "status: ", 8)) on_status(st, l + 8);
  else if (sscanf(l, "new msg %lu%n", &a, &n) == 1 && !l[n]) on_new(st, a);
  else if (sscanf(l, "info msg %lu: %n", &a, &n) == 1 && n) on_info(st, a, l + n);
  else if (sscanf(l, "starting delivery %lu: %n", &a, &n) == 1 && n) on_start(st, a, l + n);
  else if (sscanf(l, "delivery %lu: %n", &a, &n) == 1 && n) on_delivery(st, a, l + n);
  else if (sscanf(l, "end msg %lu%n", &a, &n) == 1 && !l[n]) on_end(st, a);
  else if (sscanf(l, "forget msg %lu%n", &a, &n) == 1 && !l[n]) on_forget(st, a);
  else if (sscanf(l, "admin bounce msg %lu%n", &a, &n) == 1 && !l[n]) st->admin_bounces++;
  else if (!strncmp(l, "bounce msg ", 11)) st->bounces++;
  else if (!strncmp(l, "triple bounce: ", 15)) st->triples++;
  else if (!strncmp(l, "warning: ", 9)) st->warnings++;
  else if (!strncmp(l, "alert: ", 7)) st->alerts++;
  else st->unparsed++;
}

static void read_log(struct stats *st, FILE *f, const char *name)
{
  char l[LOG_LINE_MAX];
  int c;
  while (fgets(l, sizeof l, f)) {
    size_t n = strlen(l);
    if (n && l[n - 1] == '\n') l[n - 1] = 0;
    else if (n == sizeof l - 1) {
      st->cut++;
      while ((c = getc(f)) != EOF && c != '\n') ;
    }
    line(st, l);
  }
  if (ferror(f)) die_read(name);
}

/* --- reports --- */

static double span(const struct stats *st) { return st->last > st->first ? st->last - st->first : 0; }
static double avg(double a, unsigned long n) { return n ? a / (double)n : 0; }
static unsigned long sum3(const unsigned long *r) { return r[0] + r[1] + r[2]; }

static void report_overall(const struct stats *st)
{
  unsigned long r[RESULTS];
  int i;
  for (i = 0; i < RESULTS; i++) r[i] = st->r[LOCAL][i] + st->r[REMOTE][i];
  printf("Basic statistics\n\n"
         "qtime is the time spent by a message in the queue.\n\n"
         "ddelay is the latency for a successful delivery to one recipient---the\n"
         "end of successful delivery, minus the time when the message was queued.\n\n"
         "xdelay is the latency for a delivery attempt---the time when the attempt\n"
         "finished, minus the time when it started. The average concurrency is the\n"
         "total xdelay for all deliveries divided by the time span; this is a good\n"
         "measure of how busy the mailer is.\n\n");
  printf("Completed messages: %lu\n", st->done_msgs);
  printf("Recipients for completed messages: %lu\n", st->done_rcpts);
  printf("Total delivery attempts for completed messages: %lu\n", st->done_tries);
  printf("Average delivery attempts per completed message: %g\n", avg(st->done_tries, st->done_msgs));
  printf("Bytes in completed messages: %llu\n", st->done_bytes);
  printf("Bytes weighted by success: %llu\n", st->weighted_bytes);
  printf("Average message qtime (s): %.6g\n\n", avg(st->qtime_sum, st->done_msgs));
  printf("Messages queued: %lu\n", st->arrived);
  printf("Messages still in the queue: %lu\n", st->queue);
  printf("Bounces: %lu\n", st->bounces);
  printf("Triple bounces discarded: %lu\n", st->triples);
  printf("Messages held or deleted by the administrator: %lu\n", st->forgotten);
  printf("Messages bounced by the administrator: %lu\n\n", st->admin_bounces);
  printf("Total delivery attempts: %lu\n", sum3(r));
  for (i = 0; i < RESULTS; i++)
    printf("  %s: %lu (local %lu, remote %lu)\n", result_name[i], r[i], st->r[LOCAL][i], st->r[REMOTE][i]);
  printf("Total ddelay (s): %.6f\n", st->ddelay_sum);
  printf("Average ddelay per success (s): %.6f\n", avg(st->ddelay_sum, r[SUCCESS]));
  printf("Total xdelay (s): %.6f\n", st->xdelay_sum);
  printf("Average xdelay per delivery attempt (s): %.6f\n", avg(st->xdelay_sum, sum3(r)));
  printf("Time span (days): %.6g\n", span(st) / 86400);
  printf("Average concurrency: %.6g\n\n", span(st) > 0 ? st->xdelay_sum / span(st) : 0);
  printf("Log lines: %lu (not understood %lu, cut %lu); warnings %lu; alerts %lu\n\n",
         st->lines, st->unparsed, st->cut, st->warnings, st->alerts);
}

/* report_dist: a histogram with cumulative percentages */
static void report_dist(const char *title, const char *meaning, const unsigned long *h, int bins, int sizes)
{
  unsigned long total = 0, cum = 0;
  int i;
  for (i = 0; i < bins; i++) total += h[i];
  printf("%s\n\n%s\n\n%10s %10s %8s\n", title, meaning, sizes ? "bytes<=" : "seconds<=", "count", "cum%");
  for (i = 0; i < bins; i++) {
    if (!h[i]) continue;
    cum += h[i];
    if (sizes) printf("%10lu %10lu %7.2f%%\n", 1ul << i, h[i], 100.0 * cum / total);
    else printf("%10.3f %10lu %7.2f%%\n", delay_edge(i), h[i], 100.0 * cum / total);
  }
  printf("\n");
}

static int by_weight(const void *a, const void *b)
{
  const struct entry *x = a, *y = b;
  unsigned long nx = sum3(x->r) ? sum3(x->r) : x->n, ny = sum3(y->r) ? sum3(y->r) : y->n;
  if (nx != ny) return nx < ny ? 1 : -1;
  return strcmp(x->key, y->key);
}

static int by_xdelay(const void *a, const void *b)
{
  const struct entry *x = a, *y = b;
  double dx = avg(x->xdelay, sum3(x->r)), dy = avg(y->xdelay, sum3(y->r));
  if (dx != dy) return dx < dy ? -1 : 1;
  return strcmp(x->key, y->key);
}

/* sorted: a copy of a top table's entries in order */
static struct entry *sorted(const struct top *t, int (*cmp)(const void *, const void *))
{
  struct entry *e = zalloc((size_t)(t->count + 1) * sizeof *e);
  memcpy(e, t->e, (size_t)t->count * sizeof *e);
  qsort(e, (size_t)t->count, sizeof *e, cmp);
  return e;
}

static void approx_note(const struct top *t)
{
  if (t->dropped) printf("(more than %d distinct: counts below are lower bounds)\n", TOP_SLOTS);
}

static void report_deliveries(const struct top *t, int topn, int (*cmp)(const void *, const void *), const char *title)
{
  struct entry *e = sorted(t, cmp);
  int i;
  printf("%s\n\n", title);
  approx_note(t);
  printf("%10s %8s %8s %8s %12s %10s  %s\n", "sbytes", "success", "failure", "deferral", "xdelay", "avgxdelay", t->name);
  for (i = 0; i < t->count && i < topn; i++)
    printf("%10llu %8lu %8lu %8lu %12.3f %10.3f  %s\n", e[i].bytes, e[i].r[SUCCESS], e[i].r[FAILURE],
           e[i].r[DEFERRAL], e[i].xdelay, avg(e[i].xdelay, sum3(e[i].r)), e[i].key);
  printf("\n");
  free(e);
}

static void report_counts(const struct top *t, int topn, const char *title, int bytes)
{
  struct entry *e = sorted(t, by_weight);
  int i;
  printf("%s\n\n", title);
  approx_note(t);
  for (i = 0; i < t->count && i < topn; i++) {
    if (bytes) printf("%8lu %12llu  %s\n", e[i].n, e[i].bytes, e[i].key);
    else printf("%8lu  %s\n", e[i].n, e[i].key);
  }
  printf("\n");
  free(e);
}

static void report_series(const struct stats *st)
{
  const struct series *s = &st->ser;
  int i, n = series_used(s);
  printf("Over time (buckets of %g s)\n\n%-19s %7s %7s %7s %7s %7s %7s %7s\n", s->width,
         "start (UTC)", "arrived", "success", "failure", "defer", "avgconc", "maxconc", "maxqueue");
  for (i = 0; i < n; i++) {
    const struct bucket *b = &s->b[i];
    char when[32];
    time_t t = (time_t)(s->t0 + i * s->width);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
    printf("%-19s %7lu %7lu %7lu %7lu %7.2f %7u %7u\n", when, b->arrived, b->r[SUCCESS], b->r[FAILURE],
           b->r[DEFERRAL], avg(b->conc_sum, b->conc_samples), b->conc_max, b->queue_max);
  }
  printf("\n");
}

static void reports(const struct stats *st)
{
  report_overall(st);
  report_dist("Distribution of ddelays for successful deliveries",
              "Each line: successful deliveries with ddelay in the bin, and the percentage at most that long.",
              st->ddist, DELAY_BINS, 0);
  report_dist("Distribution of qtimes for completed messages", "Each line: messages with qtime in the bin.",
              st->qdist, DELAY_BINS, 0);
  report_dist("Distribution of sizes of completed messages", "Each line: messages of at most that many bytes.",
              st->sdist, SIZE_BINS, 1);
  report_deliveries(&st->domains, st->topn, by_weight, "Deliveries by recipient domain");
  report_deliveries(&st->rcpts, st->topn, by_weight, "Recipients with the most delivery attempts");
  report_deliveries(&st->rcpts, st->topn, by_xdelay, "Recipients in the best order for mailing lists (by average xdelay)");
  report_counts(&st->senders, st->topn, "Senders with the most messages (messages, bytes)", 1);
  report_counts(&st->reasons[FAILURE], st->topn, "Reasons for failure", 0);
  report_counts(&st->reasons[DEFERRAL], st->topn, "Reasons for deferral", 0);
  report_series(st);
  if (fflush(stdout) || ferror(stdout)) die_write("standard output");
}

/* --- plots --- */

static void write_data(const struct stats *st, const char *dir)
{
  const struct series *s = &st->ser;
  char p[4096];
  FILE *f;
  int i, n = series_used(s);
  unsigned long total = 0, cum = 0;
  snprintf(p, sizeof p, "%s/series.dat", dir);
  if (!(f = fopen(p, "w"))) die_write(p);
  fprintf(f, "# time per-minute:success failure deferral arrived avgconc maxconc maxqueue\n");
  for (i = 0; i < n; i++) {
    const struct bucket *b = &s->b[i];
    double k = 60.0 / s->width;
    fprintf(f, "%.0f %g %g %g %g %g %u %u\n", s->t0 + i * s->width, b->r[SUCCESS] * k, b->r[FAILURE] * k,
            b->r[DEFERRAL] * k, b->arrived * k, avg(b->conc_sum, b->conc_samples), b->conc_max, b->queue_max);
  }
  if (fclose(f)) die_write(p);
  snprintf(p, sizeof p, "%s/delay.dat", dir);
  if (!(f = fopen(p, "w"))) die_write(p);
  for (i = 0; i < DELAY_BINS; i++) total += st->ddist[i];
  fprintf(f, "# ddelay<= count cum%%\n");
  for (i = 0; i < DELAY_BINS; i++) {
    if (!st->ddist[i]) continue;
    cum += st->ddist[i];
    fprintf(f, "%g %lu %g\n", delay_edge(i), st->ddist[i], 100.0 * cum / total);
  }
  if (fclose(f)) die_write(p);
}

static const char plot_script[] =
  "set terminal svg size 900,450\n"
  "set xdata time\nset timefmt '%s'\nset format x '%m-%d\\n%H:%M'\nset grid\n"
  "set output 'rate.svg'\nset title 'Deliveries per minute'\n"
  "plot 'series.dat' using 1:2 with lines title 'success', '' using 1:3 with lines title 'failure', "
  "'' using 1:4 with lines title 'deferral'\n"
  "set output 'queue.svg'\nset title 'Queue size and concurrency'\n"
  "plot 'series.dat' using 1:8 with steps title 'messages in the queue (max)', "
  "'' using 1:7 with steps title 'concurrency (max)', '' using 1:6 with lines title 'concurrency (average)'\n"
  "set xdata\nset format x '%g'\nset logscale x\nset yrange [0:100]\n"
  "set output 'delay.svg'\nset title 'ddelay distribution'\nset xlabel 'seconds'\nset ylabel '% of successes'\n"
  "plot 'delay.dat' using 1:3 with steps title 'cumulative'\n";

static void plot(const char *dir)
{
  int p[2], status;
  pid_t pid;
  if (pipe(p) < 0) die_gnuplot("pipe failed");
  if ((pid = fork()) < 0) die_gnuplot("fork failed");
  if (pid == 0) {
    dup2(p[0], 0);
    close(p[0]); close(p[1]);
    if (chdir(dir) < 0) _exit(EXIT_TEMP);
    execlp("gnuplot", "gnuplot", (char *)0);
    _exit(EXIT_TEMP);
  }
  close(p[0]);
  if (write(p[1], plot_script, sizeof plot_script - 1) != (ssize_t)(sizeof plot_script - 1)) die_gnuplot("write failed");
  close(p[1]);
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
    die_gnuplot("failed (is gnuplot-nox installed?)");
}

int main(int argc, char **argv)
{
  struct stats *st = zalloc(sizeof *st);
  const char *dir = 0;
  int c, i;
  diag_init("mailstats");
  st->topn = TOP_DEFAULT;
  while ((c = getopt(argc, argv, "n:o:")) != -1) {
    if (c == 'n') { st->topn = atoi(optarg); if (st->topn < 1 || st->topn > TOP_LIMIT) usage(); }
    else if (c == 'o') dir = optarg;
    else usage();
  }
  top_init(&st->senders, "sender"); top_init(&st->rcpts, "recipient"); top_init(&st->domains, "domain");
  for (i = 0; i < RESULTS; i++) top_init(&st->reasons[i], "reason");
  if (optind == argc) read_log(st, stdin, "standard input");
  for (i = optind; i < argc; i++) {
    FILE *f = fopen(argv[i], "r");
    if (!f) die_read(argv[i]);
    read_log(st, f, argv[i]);
    fclose(f);
  }
  reports(st);
  if (dir) {
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) die_write(dir);
    write_data(st, dir);
    plot(dir);
  }
  return EXIT_OK;
}
