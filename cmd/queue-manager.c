/* queue-manager: the one long-running scheduler (qmail-send, qmail-clean,
 * qmail-lspawn and qmail-rspawn in one).
 *
 * Reads the envelope of every queued message, HOME/queue/mess/ID.env or
 * else mess/ID's attribute user.quail.env (qenv.h) (at start, and
 * as IDs arrive on the queue/lock/trigger FIFO), splits the recipients
 * into local and remote (control/locals, control/virtualdomains), has
 * queue-spawn(8) run HOME/bin/deliver-local (one recipient, as the user)
 * and HOME/bin/deliver-remote (all recipients of one domain, as quailr)
 * with the message on fd 0, up to concurrencylocal and concurrencyremote
 * at once, retries
 * temporary failures on a growing schedule until queuelifetime, and
 * bounces permanent failures as RFC 3464 reports.
 *
 * Crash safety: a recipient is marked done ('T' overwritten by 'D' in the
 * .env file, fsynced) and its failure recorded in queue/bounce/ID (fsynced)
 * before anything depends on it; a finished message loses bounce/ID, then
 * mess/ID.env, then mess/ID. After kill -9 every message is found again
 * and delivered at least once. The next attempt time is the .env file's
 * mtime, so the schedule survives a restart.
 *
 * Held messages (queue-admin(8)): an envelope moved to queue/hold/ is
 * never started; deliveries start only under a shared flock on
 * queue/lock/admin, which queue-admin takes exclusively to move one, and
 * a message whose mess/ID.env is gone is forgotten (its done marks
 * written to hold/ID.env). The commands "forget ID", "now ID" and
 * "bounce ID" (every pending recipient fails: deleted by the
 * administrator) come from queue-admin on queue/admin/socket, from root
 * or the queue's owner only (SO_PEERCRED); the trigger only wakes us.
 *
 * Signals: ALRM retries everything now (so does a "flush" line on the
 * trigger), HUP rereads control/, TERM stops starting deliveries, waits for
 * the running ones and exits 0. Log: one line per event on stdout, in
 * qmail-send's format (see queue-manager(8)).
 * Privileges: started as root, it starts queue-spawn local (stays root)
 * and remote (becomes quailr), then becomes the queue's owner for good
 * (quail-security(7)).
 * Exit codes: 0 after TERM, 111 when it cannot start (a control file, the
 * queue, or another queue-manager already running). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "bounce.h"
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "fsx.h"
#include "heap.h"
#include "home.h"
#include "qenv.h"
#include "qfree.h"
#include "qq.h"
#include "route.h"
#include "priv.h"
#include "qspawn.h"
#include "str.h"
#include "usock.h"

#define CONC_MAX        1000       /* the most deliveries of one channel at once */
#define REPORT_MAX      4000       /* bytes of a delivery's report we keep */
#define LOG_REPORT_MAX  1000       /* bytes of it in a log line */
#define LIFETIME_DEF    604800     /* a week */
#define RETRY_LOCAL     10         /* retry schedule: (k * C)^2 seconds after arrival */
#define RETRY_REMOTE    20
#define ORPHAN_AGE      3600       /* mess/ID without ID.env older than this is removed */
#define TMP_AGE         129600     /* queue/tmp files older than 36 hours are removed */
#define ADMIN_READ_MAX  512        /* bytes of one connection's commands */
#define ADMIN_TIMEOUT   5          /* seconds a command connection may take */
#define SWEEP_EVERY     600        /* rescan mess/ for lost triggers and orphans */
#define SWEEP_STEP      256        /* entries of mess/ scanned per turn of the loop */
#define BOUNCE_RETRY    60         /* a bounce that could not be queued is retried */
#define POLL_MAX        (2 * CONC_MAX + 4 + NCHAN)
#define REMOTE_BATCH    100        /* recipients in one SMTP transaction */
#define SPAWN_WAIT_MS   100        /* a full spawner socket: read its replies this often */
#define TRIPLE_SENDER   "#@[]"     /* the sender of a double bounce (qmail's) */

enum chan { LOCAL, REMOTE, NCHAN };
static const char *const chan_name[NCHAN] = { "local", "remote" };

enum rstate { R_PENDING = 'T', R_DONE = 'D', R_RUN = 'R', R_WAIT = 'W' };

struct rcpt {
  size_t off;          /* offset of the state byte in the .env file */
  char state;
  unsigned char chan;
};

struct msg {
  unsigned long id;
  time_t birth, next;
  struct str env;                /* the envelope's bytes */
  int attr;                      /* it is mess/ID's attribute, no .env yet */
  int held;                      /* its envelope went to hold/ while deliveries ran */
  struct rcpt *r;
  size_t nr;
  struct str fails;              /* permanent failures: bounce.h's records */
  size_t fails_saved;            /* bytes of fails already in bounce/ID */
  int running;                   /* deliveries in progress */
  int deferred, deferred_remote; /* this round */
  int flush;                     /* a flush came while deliveries ran */
  int ready[NCHAN];              /* on ready[chan] */
  size_t scan[NCHAN];            /* recipients below it: started this round */
  struct msg *rnext[NCHAN];      /* ready list links */
  struct msg *hnext;             /* hash chain */
  unsigned long gen;             /* schedule generation (heap entries) */
  unsigned long qp;              /* the writer's pid, from the Received line */
  off_t size;                    /* of the message file */
};

struct job {
  int busy;                      /* 0: slot free (queue-spawn has the pid) */
  int fd;                        /* report pipe, -1 at EOF */
  int status, reaped;
  enum chan chan;
  struct msg *m;
  size_t *ri;                    /* indices of its recipients */
  unsigned long *dn;             /* their delivery numbers */
  size_t n;
  struct str out;
};

struct config {
  struct route rt;
  struct str me, bouncefrom, bouncehost, dbto, dbhost;
  unsigned long conc[NCHAN], lifetime;
};

struct qm {
  const char *home;
  struct config c;
  struct msg **hash;
  size_t hsize, count;
  struct heap sched;
  struct msg *rhead[NCHAN], *rtail[NCHAN];
  struct job jobs[NCHAN][CONC_MAX];
  unsigned long top[NCHAN];      /* slots at and above top[chan] are free */
  int active[NCHAN];
  unsigned long dnum;
  int trigger;                   /* FIFO, read end */
  int admin;                     /* queue/admin/socket, listening */
  uid_t owner;                   /* the queue's owner: may send commands */
  int spawner[NCHAN];            /* queue-spawn local and remote: requests, replies */
  struct str tbuf;               /* partial trigger line */
  int stopping;
  time_t last_sweep;
  DIR *sweep;                    /* mess/, while a scan is under way */
  struct qfree pool;              /* finished files for queue-writer (qfree.h) */
  struct buf log;
  char logspace[BUF_SIZE];
};

static int sigpipe_fd[2];
static int admin_fd = -1;        /* queue/lock/admin: held while starting deliveries */
static volatile sig_atomic_t got_alrm, got_hup, got_term;

/* ---------- failures ---------- */

static void die_control(const char *f) { diag_diesys(EXIT_TEMP, "unable to read control/", f, (char *)0); }
static void die_queue(const char *what) { diag_diesys(EXIT_TEMP, "unable to ", what, (char *)0); }

/* ---------- logging: one line per event, newlines in reports become '/' ---------- */

static void log_s(struct qm *q, const char *s) { buf_puts(&q->log, s); }
static void log_u(struct qm *q, unsigned long u) { buf_putu(&q->log, u); }

static void log_safe(struct qm *q, const char *s, size_t n)
{
  size_t i;
  if (n > LOG_REPORT_MAX) n = LOG_REPORT_MAX;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\n') c = '/';
    else if ((unsigned char)c < 32 || c == 127) c = '_';
    buf_put(&q->log, &c, 1);
  }
}

static void log_end(struct qm *q) { buf_puts(&q->log, "\n"); }

static void log_status(struct qm *q)
{
  log_s(q, "status: local ");
  log_u(q, (unsigned long)q->active[LOCAL]); log_s(q, "/"); log_u(q, q->c.conc[LOCAL]);
  log_s(q, " remote ");
  log_u(q, (unsigned long)q->active[REMOTE]); log_s(q, "/"); log_u(q, q->c.conc[REMOTE]);
  log_end(q);
}

static void log_warn(struct qm *q, const char *a, const char *b, int sys)
{
  log_s(q, "warning: ");
  log_s(q, a);
  if (b) log_safe(q, b, strlen(b));
  if (sys) { log_s(q, ": "); log_s(q, strerror(errno)); }
  log_end(q);
}

/* ---------- control ---------- */

/* control files live under HOME; the process works in HOME/queue */
static const char *control_dir = "control";

static void control_path(char *p, size_t n, const char *f) { snprintf(p, n, "%s/%s", control_dir, f); }

static int read_line(const char *f, struct str *s, const char *def)
{
  char p[256];
  control_path(p, sizeof p, f);
  if (control_readline(p, s, def) < 0) return -1;
  return str_0(s);
}

static int read_num(const char *f, unsigned long *u, unsigned long def)
{
  char p[256];
  control_path(p, sizeof p, f);
  return control_readulong(p, u, def) < 0 ? -1 : 0;
}


/* read every control file into c; the name of the one that failed in *bad */
static int config_read(struct config *c, const char **bad)
{
#define TRY(x, name) do { if ((x) < 0) { *bad = name; return -1; } } while (0)
  TRY(read_line("me", &c->me, "localhost"), "me");
  if (route_load(&c->rt, control_dir, c->me.s, bad) < 0) return -1;
  TRY(read_line("bouncefrom", &c->bouncefrom, "MAILER-DAEMON"), "bouncefrom");
  TRY(read_line("bouncehost", &c->bouncehost, c->me.s), "bouncehost");
  TRY(read_line("doublebounceto", &c->dbto, "postmaster"), "doublebounceto");
  TRY(read_line("doublebouncehost", &c->dbhost, c->me.s), "doublebouncehost");
  TRY(read_num("concurrencylocal", &c->conc[LOCAL], 10), "concurrencylocal");
  TRY(read_num("concurrencyremote", &c->conc[REMOTE], 20), "concurrencyremote");
  TRY(read_num("queuelifetime", &c->lifetime, LIFETIME_DEF), "queuelifetime");
#undef TRY
  if (c->conc[LOCAL] < 1) c->conc[LOCAL] = 1;
  if (c->conc[REMOTE] < 1) c->conc[REMOTE] = 1;
  if (c->conc[LOCAL] > CONC_MAX) c->conc[LOCAL] = CONC_MAX;
  if (c->conc[REMOTE] > CONC_MAX) c->conc[REMOTE] = CONC_MAX;
  return 0;
}

static void config_free(struct config *c)
{
  route_free(&c->rt);
  str_free(&c->me); str_free(&c->bouncefrom); str_free(&c->bouncehost);
  str_free(&c->dbto); str_free(&c->dbhost);
}

/* ---------- routing ---------- */

static enum chan classify(const struct config *c, const char *addr)
{
  struct str local = STR_ZERO, domain = STR_ZERO;
  int r = route_classify(&c->rt, addr, &local, &domain);
  if (r < 0) diag_nomem();
  str_free(&local);
  str_free(&domain);
  return r ? LOCAL : REMOTE;
}

/* ---------- the message table ---------- */

static struct msg *msg_find(struct qm *q, unsigned long id)
{
  struct msg *m;
  for (m = q->hash[id & (q->hsize - 1)]; m; m = m->hnext)
    if (m->id == id) return m;
  return 0;
}

static void hash_grow(struct qm *q)
{
  size_t size = q->hsize * 2, i;
  struct msg **h = calloc(size, sizeof *h);
  if (!h) return;                    /* longer chains, still correct */
  for (i = 0; i < q->hsize; i++) {
    struct msg *m = q->hash[i], *n;
    for (; m; m = n) {
      n = m->hnext;
      m->hnext = h[m->id & (size - 1)];
      h[m->id & (size - 1)] = m;
    }
  }
  free(q->hash);
  q->hash = h;
  q->hsize = size;
}

static void msg_insert(struct qm *q, struct msg *m)
{
  if (q->count >= q->hsize) hash_grow(q);
  m->hnext = q->hash[m->id & (q->hsize - 1)];
  q->hash[m->id & (q->hsize - 1)] = m;
  q->count++;
}

static void msg_remove(struct qm *q, struct msg *m)
{
  struct msg **p = &q->hash[m->id & (q->hsize - 1)];
  while (*p && *p != m) p = &(*p)->hnext;
  if (*p) *p = m->hnext;
  q->count--;
  str_free(&m->env);
  str_free(&m->fails);
  free(m->r);
  free(m);
}

static const char *msg_sender(const struct msg *m) { return m->env.s + 1; }
static const char *rcpt_addr(const struct msg *m, size_t i) { return m->env.s + m->r[i].off + 1; }

/* qmail's VERP: a sender PREFIX@HOST-@[] becomes PREFIX + local=domain @ HOST
 * for the recipient local@domain (mailing lists name the member this way);
 * 1 when out holds such a sender, 0 when the sender is not VERP */
static int verp_sender(const char *sender, const char *rcpt, struct str *out)
{
  size_t n = strlen(sender);
  const char *at, *rat = strrchr(rcpt, '@');
  if (n < 5 || strcmp(sender + n - 4, "-@[]")) return 0;
  at = memrchr(sender, '@', n - 4);
  if (!at) return 0;
  out->len = 0;
  if (str_catb(out, sender, (size_t)(at - sender)) < 0 ||
      str_catb(out, rcpt, rat ? (size_t)(rat - rcpt) : strlen(rcpt)) < 0 ||
      (rat && (str_catc(out, '=') < 0 || str_cats(out, rat + 1) < 0)) ||
      str_catb(out, at, (size_t)(sender + n - 4 - at)) < 0)
    diag_nomem();
  return 1;
}

static int is_verp(const struct msg *m)
{
  struct str t = STR_ZERO;
  int r = verp_sender(msg_sender(m), "x@x", &t);
  str_free(&t);
  return r;
}

/* the envelope sender for delivering recipient i of m (static storage) */
static const char *sender_for(const struct msg *m, size_t i)
{
  static struct str v = STR_ZERO;
  return verp_sender(msg_sender(m), rcpt_addr(m, i), &v) ? v.s : msg_sender(m);
}

static void path_of(char *p, size_t n, const char *dir, unsigned long id, const char *suffix)
{
  snprintf(p, n, "%s/%lu%s", dir, id, suffix);
}

/* ---------- ready lists and the schedule ---------- */

static void ready_push(struct qm *q, struct msg *m, enum chan c)
{
  if (m->ready[c]) return;
  m->ready[c] = 1;
  m->rnext[c] = 0;
  if (q->rtail[c]) q->rtail[c]->rnext[c] = m; else q->rhead[c] = m;
  q->rtail[c] = m;
}

static void ready_pop(struct qm *q, enum chan c)
{
  struct msg *m = q->rhead[c];
  q->rhead[c] = m->rnext[c];
  if (!q->rhead[c]) q->rtail[c] = 0;
  m->ready[c] = 0;
}

/* make a message's waiting recipients eligible and queue it for delivery */
static void msg_wake(struct qm *q, struct msg *m)
{
  size_t i;
  m->gen++;                          /* drop any heap entry */
  m->scan[LOCAL] = m->scan[REMOTE] = 0;
  for (i = 0; i < m->nr; i++) {
    if (m->r[i].state == R_WAIT) m->r[i].state = R_PENDING;
    if (m->r[i].state == R_PENDING) ready_push(q, m, (enum chan)m->r[i].chan);
  }
}

/* an envelope still in mess/ID's attribute gets its file (qenv.h) before
 * anything is written into it: 0, or -1 logged */
static int env_file(struct qm *q, struct msg *m)
{
  char p[64];
  if (!m->attr) return 0;
  if (qenv_to_file(m->id, m->env.s, m->env.len) < 0) {
    path_of(p, sizeof p, "mess", m->id, ".env");
    log_warn(q, "unable to write ", p, 1);
    return -1;
  }
  m->attr = 0;
  return 0;
}

static void msg_schedule(struct qm *q, struct msg *m, time_t when)
{
  char p[64];
  struct timespec ts[2];
  m->next = when;
  m->gen++;
  if (heap_push(&q->sched, when, m, m->gen) < 0) diag_nomem();
  /* remember the time across restarts as the .env file's mtime */
  if (env_file(q, m) < 0) return;
  ts[0].tv_sec = when; ts[0].tv_nsec = 0;
  ts[1] = ts[0];
  path_of(p, sizeof p, "mess", m->id, ".env");
  utimensat(AT_FDCWD, p, ts, 0);
}

static time_t next_retry(const struct msg *m, time_t now, int remote)
{
  double c = remote ? RETRY_REMOTE : RETRY_LOCAL;
  double age = now > m->birth ? (double)(now - m->birth) : 0;
  double k = floor(sqrt(age) / c) + 1;
  return m->birth + (time_t)(k * c * k * c);
}

/* ---------- loading a message ---------- */

/* parse the envelope into recipients (qenv_next); -1 when it is not one
 * queue-writer wrote */
static int msg_parse(struct qm *q, struct msg *m)
{
  const char *s = m->env.s;
  size_t len = m->env.len, pos = 0, i, n = 0, cap = 8;
  int r;
  if (len < 2 || s[len - 1] != 0) return -1;
  m->r = malloc(cap * sizeof *m->r);
  if (!m->r) return -1;
  while ((r = qenv_next(s, len, &pos, &i)) == 1) {
    if (s[i] != 'T' && s[i] != 'D') return -1;
    if (n == cap) {
      struct rcpt *more = realloc(m->r, (cap *= 2) * sizeof *more);
      if (!more) return -1;
      m->r = more;
    }
    m->r[n].off = i;
    m->r[n].state = s[i];
    m->r[n].chan = (unsigned char)classify(&q->c, s + i + 1);
    n++;
  }
  m->nr = n;
  if (r != 0 || !n) return -1;
  if (n < cap) {                     /* a big queue is mostly one-recipient messages */
    struct rcpt *shrunk = realloc(m->r, n * sizeof *shrunk);
    if (shrunk) m->r = shrunk;
  }
  return 0;
}

/* the writer's pid from "Received: (quail PID invoked ..." */
static unsigned long read_qp(int fd)
{
  char b[64];
  unsigned long qp = 0;
  ssize_t r = pread(fd, b, sizeof b - 1, 0);
  if (r > 0) {
    b[r] = 0;
    if (!strncmp(b, "Received: (quail ", 17)) scan_ulong(b + 17, &qp);
  }
  return qp;
}

static void load_bounces(struct msg *m)
{
  char p[64];
  path_of(p, sizeof p, "bounce", m->id, "");
  if (file_read(p, &m->fails, 64 * 1024 * 1024) > 0) m->fails_saved = m->fails.len;
  else m->fails.len = 0;
}

static void msg_finish(struct qm *q, struct msg *m, time_t now);

static int msg_all_done(const struct msg *m)
{
  size_t i;
  for (i = 0; i < m->nr; i++) if (m->r[i].state != R_DONE) return 0;
  return 1;
}

/* load ID's envelope (mess/ID.env, else mess/ID's attribute); log "new
 * msg" and "info msg" */
static void msg_load(struct qm *q, unsigned long id, time_t now)
{
  char p[64];
  struct stat st, est;
  struct msg *m;
  int fd, r = 0;
  if (msg_find(q, id)) return;
  path_of(p, sizeof p, "mess", id, "");
  fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0) { if (fd >= 0) close(fd); return; }
  m = calloc(1, sizeof *m);
  if (!m) diag_nomem();
  m->id = id;
  m->birth = st.st_mtime;
  m->qp = read_qp(fd);
  m->size = st.st_size;
  path_of(p, sizeof p, "mess", id, ".env");
  if (stat(p, &est) == 0) r = file_read(p, &m->env, 64 * 1024 * 1024);
  else if (errno != ENOENT) r = -1;
  else if ((r = qenv_attr_read(fd, &m->env)) > 0) {
    m->attr = 1;                          /* new from queue-writer: due now */
    est.st_mtime = 0;
  }
  close(fd);
  if (r <= 0 || msg_parse(q, m) < 0) {
    if (r != 0) log_warn(q, "unable to load ", p, 1);
    str_free(&m->env); free(m->r); free(m);
    return;
  }
  load_bounces(m);
  msg_insert(q, m);
  log_s(q, "new msg "); log_u(q, id); log_end(q);
  log_s(q, "info msg "); log_u(q, id); log_s(q, ": bytes "); log_u(q, (unsigned long)st.st_size);
  log_s(q, " from <"); log_safe(q, msg_sender(m), strlen(msg_sender(m)));
  log_s(q, "> qp "); log_u(q, m->qp); log_s(q, " uid "); log_u(q, (unsigned long)st.st_uid); log_end(q);
  if (est.st_mtime > now) msg_schedule(q, m, est.st_mtime);
  else msg_wake(q, m);
  if (msg_all_done(m)) msg_finish(q, m, now);   /* marked done before a crash, or by queue-admin */
}

/* ---------- finishing a message ---------- */

/* Finished queue files go to queue/free (qfree.c), or are removed. */
static void pool_warn(void *q, const char *what, const char *path)
{
  log_warn(q, what, path, 1);
}

static void recycle(struct qm *q, const char *path, off_t size)
{
  if (qfree_give(&q->pool, path, size) == 0) return;
  if (unlink(path) < 0 && errno != ENOENT) log_warn(q, "unable to remove ", path, 1);
}

static void msg_unlink(struct qm *q, struct msg *m)
{
  char p[64];
  path_of(p, sizeof p, "bounce", m->id, "");
  if (unlink(p) < 0 && errno != ENOENT) log_warn(q, "unable to remove ", p, 1);
  if (m->held) {                 /* held while its last deliveries ran: done all the same */
    path_of(p, sizeof p, "hold", m->id, ".env");
    if (unlink_synced(p) < 0) log_warn(q, "unable to remove ", p, 1);
  }
  if (!m->attr) {                /* the envelope file first: then ID is no message */
    path_of(p, sizeof p, "mess", m->id, ".env");
    recycle(q, p, (off_t)m->env.len);
  }
  path_of(p, sizeof p, "mess", m->id, "");
  recycle(q, p, m->size);
}

/* the copy of the message starts with its Return-Path, as qmail-send's */
static int cat_returnpath(struct str *o, const char *sender)
{
  if (str_cats(o, "Return-Path: <") < 0 || (*sender && addr_quote(o, sender) < 0)) return -1;
  return str_cats(o, ">\n");
}

/* queue a bounce of m listing fails to sender; 0 queued, -1 try again later */
static int bounce_send(struct qm *q, struct msg *m, time_t now, const struct str *fails, const char *sender)
{
  struct bounce b;
  struct str head = STR_ZERO, tail = STR_ZERO, from = STR_ZERO, to = STR_ZERO, qprog = STR_ZERO;
  struct qq qq;
  struct stat st;
  char p[64], in[8192];
  int fd, code = -1, dbl = !*sender;
  path_of(p, sizeof p, "mess", m->id, "");
  fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0) { log_warn(q, "unable to open ", p, 1); if (fd >= 0) close(fd); return -1; }
  str_catf(&from, "%s@%s", q->c.bouncefrom.s, q->c.bouncehost.s);
  if (dbl) str_catf(&to, "%s@%s", q->c.dbto.s, q->c.dbhost.s);
  else str_cats(&to, sender);
  b.host = q->c.me.s; b.from = from.s; b.to = to.s; b.sender = sender;
  b.arrival = m->birth; b.now = now; b.id = m->id; b.fails = fails;
  b.full = st.st_size <= BOUNCE_FULL_MAX;
  if (bounce_head(&head, &b) < 0 || bounce_tail(&tail, &b) < 0 || cat_returnpath(&head, sender) < 0) goto done;
  str_catf(&qprog, "%s/bin/queue-writer", q->home);
  if (qq_open(&qq, qprog.s) < 0) { log_warn(q, "unable to run ", qprog.s, 1); goto done; }
  qq_put(&qq, head.s, head.len);
  for (;;) {                             /* the message, or its header only */
    ssize_t r = fd_read_retry(fd, in, sizeof in);
    if (r <= 0) break;
    if (!b.full) {
      char *end = memmem(in, (size_t)r, "\n\n", 2);
      if (end) { qq_put(&qq, in, (size_t)(end - in) + 1); break; }
    }
    qq_put(&qq, in, (size_t)r);
  }
  qq_put(&qq, tail.s, tail.len);
  qq_from(&qq, dbl ? TRIPLE_SENDER : "");
  qq_to(&qq, to.s);
  code = qq_close(&qq);
  if (code) log_warn(q, "unable to queue the bounce: ", qq_text(code), 0);
  else { log_s(q, "bounce msg "); log_u(q, m->id); log_s(q, " qp "); log_u(q, m->qp); log_end(q); }
done:
  close(fd);
  str_free(&head); str_free(&tail); str_free(&from); str_free(&to); str_free(&qprog);
  return code == 0 ? 0 : -1;
}

static int save_bounces(struct qm *q, struct msg *m);
static void save_marks(struct qm *q, struct msg *m);

/* the bounce of m; under VERP one per failed recipient, to its own sender */
static int bounces_send(struct qm *q, struct msg *m, time_t now)
{
  struct str one = STR_ZERO, to = STR_ZERO;
  size_t i = 0;
  int r = 0;
  if (!is_verp(m)) return bounce_send(q, m, now, &m->fails, msg_sender(m));
  while (r == 0) {
    size_t start = i;
    struct bounce_rec b;
    if (!bounce_next(&m->fails, &i, &b)) break;
    if (str_copyb(&one, m->fails.s + start, i - start) < 0) diag_nomem();
    verp_sender(msg_sender(m), b.rcpt, &to);
    r = bounce_send(q, m, now, &one, to.s);
  }
  str_free(&one);
  str_free(&to);
  return r;
}

/* all recipients done: bounce if needed, then remove the message */
static void msg_finish(struct qm *q, struct msg *m, time_t now)
{
  if (m->fails.len) {
    if (!strcmp(msg_sender(m), TRIPLE_SENDER)) {
      log_s(q, "triple bounce: discarding bounce/"); log_u(q, m->id); log_end(q);
    } else if (bounces_send(q, m, now) < 0) {
      if (save_bounces(q, m) < 0) { msg_schedule(q, m, now + BOUNCE_RETRY); return; }
      save_marks(q, m);
      msg_schedule(q, m, now + BOUNCE_RETRY);
      return;
    }
  }
  msg_unlink(q, m);
  log_s(q, "end msg "); log_u(q, m->id); log_end(q);
  msg_remove(q, m);
}

/* append the unsaved failure records to bounce/ID and fsync it */
static int save_bounces(struct qm *q, struct msg *m)
{
  char p[64];
  int fd;
  if (m->fails.len == m->fails_saved) return 0;
  path_of(p, sizeof p, "bounce", m->id, "");
  fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) { log_warn(q, "unable to open ", p, 1); return -1; }
  if (fd_write_all(fd, m->fails.s + m->fails_saved, m->fails.len - m->fails_saved) < 0 || fsync(fd) < 0) {
    log_warn(q, "unable to write ", p, 1);
    close(fd);
    return -1;
  }
  close(fd);
  if (!m->fails_saved) fsync_dir("bounce");
  m->fails_saved = m->fails.len;
  return 0;
}

/* write the done marks of m into its .env file and fsync it */
static void save_marks(struct qm *q, struct msg *m)
{
  char p[64];
  size_t i;
  int fd, dirty = 0;
  for (i = 0; i < m->nr && (m->r[i].state != R_DONE || m->env.s[m->r[i].off] == 'D'); i++) ;
  if (i == m->nr || env_file(q, m) < 0) return;     /* nothing new, or no file */
  path_of(p, sizeof p, "mess", m->id, ".env");
  fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0) { log_warn(q, "unable to open ", p, 1); return; }
  for (i = 0; i < m->nr; i++) {
    if (m->r[i].state != R_DONE || m->env.s[m->r[i].off] == 'D') continue;
    if (pwrite(fd, "D", 1, (off_t)m->r[i].off) == 1) { m->env.s[m->r[i].off] = 'D'; dirty = 1; }
    else log_warn(q, "unable to write ", p, 1);
  }
  if (dirty && fsync(fd) < 0) log_warn(q, "unable to fsync ", p, 1);
  close(fd);
}

/* ---------- starting deliveries ---------- */

static struct job *job_slot(struct qm *q, enum chan c)
{
  unsigned long i;
  for (i = 0; i < q->c.conc[c]; i++)
    if (!q->jobs[c][i].busy) {
      if (i >= q->top[c]) q->top[c] = i + 1;
      return &q->jobs[c][i];
    }
  return 0;
}

static void reap(struct qm *q, enum chan c);

/* one request to the channel's spawner. While its socket is full, its
 * replies are read meanwhile, so that neither side can wait for the other
 * for ever. 0, or -1 with EMSGSIZE; any other failure is fatal */
static int to_spawner(struct qm *q, enum chan c, uint32_t token, char *const *args, size_t n, const int *fds)
{
  while (qspawn_send(q->spawner[c], token, args, n, fds) < 0) {
    struct pollfd p;
    if (errno == EMSGSIZE) return -1;
    if (errno != EAGAIN) diag_diesys(EXIT_TEMP, "unable to write to queue-spawn", (char *)0);
    reap(q, c);
    p.fd = q->spawner[c]; p.events = POLLOUT;
    (void)poll(&p, 1, SPAWN_WAIT_MS);
  }
  return 0;
}

/* open mess/ID and a report pipe, and hand both to the channel's
 * queue-spawn with the arguments; the read end of the pipe in *pipefd.
 * -1 with errno when the message or the pipe cannot be had (nothing was
 * sent); a spawner that cannot be written to is fatal */
static int spawn(struct qm *q, struct job *j, char *const *args, size_t n, int *pipefd)
{
  char path[64];
  int fds[2], pfd[2], e;
  path_of(path, sizeof path, "mess", j->m->id, "");
  if ((fds[0] = open(path, O_RDONLY | O_CLOEXEC)) < 0) return -1;
  if (pipe2(pfd, O_CLOEXEC) < 0) { e = errno; close(fds[0]); errno = e; return -1; }
  fds[1] = pfd[1];
  if (to_spawner(q, j->chan, (uint32_t)(j - q->jobs[j->chan]), args, n, fds) < 0) {
    e = errno; close(fds[0]); close(pfd[0]); close(pfd[1]); errno = e;
    return -1;
  }
  close(fds[0]);
  close(pfd[1]);
  fd_nonblock(pfd[0]);
  *pipefd = pfd[0];
  return 0;
}

static void job_begin(struct qm *q, struct job *j, struct msg *m, enum chan c, size_t n)
{
  j->chan = c;
  j->m = m;
  j->n = 0;
  j->status = 0;
  j->reaped = 0;
  j->out.len = 0;
  j->ri = realloc(j->ri, (n ? n : 1) * sizeof *j->ri);
  j->dn = realloc(j->dn, (n ? n : 1) * sizeof *j->dn);
  if (!j->ri || !j->dn) diag_nomem();
}

static void job_add(struct qm *q, struct job *j, size_t i)
{
  struct msg *m = j->m;
  j->ri[j->n] = i;
  j->dn[j->n] = ++q->dnum;
  m->r[i].state = R_RUN;
  log_s(q, "starting delivery "); log_u(q, j->dn[j->n]);
  log_s(q, ": msg "); log_u(q, m->id); log_s(q, " to "); log_s(q, chan_name[j->chan]); log_s(q, " ");
  log_safe(q, rcpt_addr(m, i), strlen(rcpt_addr(m, i)));
  log_end(q);
  j->n++;
}

static void job_started(struct qm *q, struct job *j, int fd)
{
  j->busy = 1;
  j->fd = fd;
  j->m->running++;
  q->active[j->chan]++;
  log_status(q);
}

static void results_fail_all(struct qm *q, struct job *j, int temporary, const char *why);
static void msg_settle(struct qm *q, struct msg *m, time_t now);
static int msg_held(struct qm *q, struct msg *m);

/* one local recipient: queue-spawn finds the user and runs deliver-local */
static void start_local(struct qm *q, struct msg *m, size_t i, struct job *j)
{
  struct str local = STR_ZERO, domain = STR_ZERO;
  char *args[3];
  int fd;
  if (route_classify(&q->c.rt, rcpt_addr(m, i), &local, &domain) < 0) diag_nomem();
  job_begin(q, j, m, LOCAL, 1);
  job_add(q, j, i);
  args[0] = local.s; args[1] = domain.s; args[2] = (char *)sender_for(m, i);
  if (spawn(q, j, args, 3, &fd) < 0) results_fail_all(q, j, 1, "Unable to start the delivery. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
  else job_started(q, j, fd);
  str_free(&local);
  str_free(&domain);
}

/* every waiting remote recipient of m with the same domain as recipient i */
static void start_remote(struct qm *q, struct msg *m, size_t i, struct job *j)
{
  const char *dom = addr_domain(rcpt_addr(m, i));
  size_t k, n = 0;
  char *args[REMOTE_BATCH + 2];
  int fd;
  size_t batch = is_verp(m) ? 1 : REMOTE_BATCH;   /* each VERP sender differs */
  for (k = i; k < m->nr && n < batch; k++)
    if (m->r[k].state == R_PENDING && m->r[k].chan == REMOTE) n++;
  job_begin(q, j, m, REMOTE, n);
  for (k = i; k < m->nr && j->n < n; k++) {
    const char *d = addr_domain(rcpt_addr(m, k));
    if (m->r[k].state != R_PENDING || m->r[k].chan != REMOTE) continue;
    if (d && dom && case_equals(d, dom)) job_add(q, j, k);
  }
  /* deliver-remote's arguments after its name: domain sender recipients */
  args[0] = (char *)(dom ? dom : "");
  args[1] = (char *)sender_for(m, i);
  for (k = 0; k < j->n; k++) args[2 + k] = (char *)rcpt_addr(m, j->ri[k]);
  if (spawn(q, j, args, j->n + 2, &fd) < 0) results_fail_all(q, j, 1, "Unable to start the delivery. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
  else job_started(q, j, fd);
}

/* start as many deliveries as the channel allows */
static void dispatch(struct qm *q, enum chan c)
{
  while (!q->stopping && q->rhead[c]) {
    struct msg *m = q->rhead[c];
    struct job *j = 0;
    size_t i;
    if (msg_held(q, m)) continue;
    /* from where the last call stopped: a message of 100,000 recipients
     * costs one pass over them per round, not one per delivery */
    for (i = m->scan[c]; i < m->nr; i++) {
      if (m->r[i].state != R_PENDING || m->r[i].chan != c) continue;
      m->scan[c] = i;
      if (!(j = job_slot(q, c))) return;
      if (c == LOCAL) start_local(q, m, i, j);
      else start_remote(q, m, i, j);
    }
    m->scan[c] = m->nr;
    ready_pop(q, c);
    msg_settle(q, m, time(0));   /* when every start failed at once */
  }
}

/* ---------- results ---------- */

/* one recipient's result: 'K' success, 'D' permanent, 'Z' temporary */
static void result(struct qm *q, struct job *j, size_t k, char what, const char *why, size_t whylen)
{
  struct msg *m = j->m;
  size_t i = j->ri[k];
  time_t now = time(0);
  if (what == 'Z' && now - m->birth >= (time_t)q->c.lifetime) {
    static const char old[] = "I'm not going to try again; this message has been in the queue too long. " ESC_QMAIL(ESC_TEMP(ESC_EXPIRED));
    struct str t = STR_ZERO;
    str_catb(&t, why, whylen);
    str_cats(&t, "\n");
    str_cats(&t, old);
    log_s(q, "delivery "); log_u(q, j->dn[k]); log_s(q, ": deferral: "); log_safe(q, why, whylen); log_end(q);
    result(q, j, k, 'D', t.s, t.len);
    str_free(&t);
    return;
  }
  log_s(q, "delivery "); log_u(q, j->dn[k]);
  log_s(q, what == 'K' ? ": success: " : what == 'D' ? ": failure: " : ": deferral: ");
  log_safe(q, why, whylen);
  log_end(q);
  if (what == 'Z') {
    m->r[i].state = R_WAIT;
    m->deferred = 1;
    if (j->chan == REMOTE) m->deferred_remote = 1;
    return;
  }
  if (what == 'D') {   /* the failure keeps the report's status as a field */
    char st[ESC_MAX];
    while (whylen && (why[whylen - 1] == '\n' || !why[whylen - 1])) whylen--;
    (void)esc_report(why, whylen, st);
    (void)bounce_fail(&m->fails, rcpt_addr(m, i), st, why, whylen);
  }
  m->r[i].state = R_DONE;
}

static void results_fail_all(struct qm *q, struct job *j, int temporary, const char *why)
{
  size_t k;
  for (k = 0; k < j->n; k++) result(q, j, k, temporary ? 'Z' : 'D', why, strlen(why));
}

/* deliver-local: exit code and its report */
static void results_local(struct qm *q, struct job *j)
{
  int st = j->status;
  const char *out = j->out.s ? j->out.s : "";
  size_t n = j->out.len;
  while (n && (out[n - 1] == '\n' || out[n - 1] == ' ')) n--;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) result(q, j, 0, 'K', out, n);
  else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_PERM) result(q, j, 0, 'D', out, n);
  else if (!n) result(q, j, 0, 'Z', "Unable to run deliver-local or it crashed. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)), 51);
  else result(q, j, 0, 'Z', out, n);
}

/* deliver-remote speaks qmail-remote's protocol: per recipient r/h/s text NUL,
 * then K/Z/D text NUL for the message; or only Z/D when no RCPT happened */
static void results_remote(struct qm *q, struct job *j)
{
  const char *s = j->out.s ? j->out.s : "";
  size_t len = j->out.len, pos = 0, k, nf = 0;
  const char *field[REMOTE_BATCH + 1];
  size_t flen[REMOTE_BATCH + 1];
  while (pos < len && nf < REMOTE_BATCH + 1) {
    const char *z = memchr(s + pos, 0, len - pos);
    size_t n = z ? (size_t)(z - (s + pos)) : len - pos;
    field[nf] = s + pos; flen[nf] = n; nf++;
    pos += n + 1;
  }
  if (nf >= 1 && (field[0][0] == 'Z' || field[0][0] == 'D') && nf < j->n + 1) {
    for (k = 0; k < j->n; k++) result(q, j, k, field[0][0], field[0] + 1, flen[0] ? flen[0] - 1 : 0);
    return;
  }
  if (nf < j->n + 1) {
    for (k = 0; k < j->n; k++) result(q, j, k, 'Z', "deliver-remote crashed or gave no report. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)), 52);
    return;
  }
  for (k = 0; k < j->n; k++) {
    char c = flen[k] ? field[k][0] : 's', fin = field[j->n][0];
    const char *t = flen[k] ? field[k] + 1 : "";
    size_t tl = flen[k] ? flen[k] - 1 : 0;
    if (c == 'r') {
      if (fin == 'K') result(q, j, k, 'K', field[j->n] + 1, flen[j->n] - 1);
      else result(q, j, k, fin == 'D' ? 'D' : 'Z', field[j->n] + 1, flen[j->n] ? flen[j->n] - 1 : 0);
    } else result(q, j, k, c == 'h' ? 'D' : 'Z', t, tl);
  }
}

/* a message with nothing running: finish it, or persist and reschedule */
static void msg_settle(struct qm *q, struct msg *m, time_t now)
{
  size_t i;
  int todo = 0;
  /* still running, or more to start this round: dispatch settles it later */
  if (m->running || m->ready[LOCAL] || m->ready[REMOTE]) return;
  for (i = 0; i < m->nr; i++)
    if (m->r[i].state != R_DONE) todo = 1;
  if (!todo) { msg_finish(q, m, now); return; }
  if (save_bounces(q, m) < 0) {
    /* a failure we cannot record must not be marked done: retry it */
    for (i = 0; i < m->nr; i++) if (m->r[i].state == R_DONE && m->env.s[m->r[i].off] == 'T') m->r[i].state = R_WAIT;
    m->fails.len = m->fails_saved;
  }
  save_marks(q, m);
  msg_schedule(q, m, m->deferred && !m->flush ? next_retry(m, now, m->deferred_remote) : now);
  m->deferred = m->deferred_remote = m->flush = 0;
}

static void job_done(struct qm *q, struct job *j)
{
  struct msg *m = j->m;
  if (j->chan == LOCAL) results_local(q, j);
  else results_remote(q, j);
  j->busy = 0;
  while (q->top[j->chan] && !q->jobs[j->chan][q->top[j->chan] - 1].busy) q->top[j->chan]--;
  q->active[j->chan]--;
  m->running--;
  log_status(q);
  msg_settle(q, m, time(0));
}

/* ---------- held messages and queue-admin ---------- */

/* deliveries start under a shared lock: queue-admin's exclusive one
 * waits for them, so a message it reports held is never started */
static void admin_lock(struct qm *q, int op)
{
  if (admin_fd < 0 || (op == LOCK_SH && !q->rhead[LOCAL] && !q->rhead[REMOTE])) return;
  while (flock(admin_fd, op) < 0 && errno == EINTR) ;
}

static void ready_drop(struct qm *q, struct msg *m, enum chan c)
{
  struct msg **p = &q->rhead[c], *prev = 0;
  if (!m->ready[c]) return;
  while (*p && *p != m) { prev = *p; p = &(*p)->rnext[c]; }
  if (!*p) return;
  *p = m->rnext[c];
  if (q->rtail[c] == m) q->rtail[c] = prev;
  m->ready[c] = 0;
}

/* write the done marks nobody saved into hold/ID.env, if it is there */
static void marks_to_hold(struct qm *q, struct msg *m)
{
  char p[64];
  size_t i;
  int fd;
  path_of(p, sizeof p, "hold", m->id, ".env");
  if ((fd = open(p, O_WRONLY | O_CLOEXEC)) < 0) return;
  for (i = 0; i < m->nr; i++)
    if (m->r[i].state == R_DONE && m->env.s[m->r[i].off] == 'T' && pwrite(fd, "D", 1, (off_t)m->r[i].off) != 1)
      log_warn(q, "unable to write ", p, 1);
  if (fsync(fd) < 0) log_warn(q, "unable to fsync ", p, 1);
  close(fd);
}

/* drop a message that left mess/ (held or deleted); its schedule
 * entries are pointed at a message that never matches */
static void msg_forget(struct qm *q, struct msg *m)
{
  static struct msg gone;
  size_t i;
  if (save_bounces(q, m) == 0) marks_to_hold(q, m);
  ready_drop(q, m, LOCAL);
  ready_drop(q, m, REMOTE);
  for (i = 0; i < q->sched.n; i++)
    if (q->sched.a[i].p == m) { q->sched.a[i].p = &gone; q->sched.a[i].gen = 1; }
  log_s(q, "forget msg "); log_u(q, m->id); log_end(q);
  msg_remove(q, m);
}

/* is m's envelope gone from mess/: forgotten when nothing runs for it */
static int msg_held(struct qm *q, struct msg *m)
{
  char p[64];
  if (m->attr) {                 /* the attribute still there, or unknown */
    path_of(p, sizeof p, "mess", m->id, "");
    if (qenv_attr_exists(p) != 0) return 0;
  }
  path_of(p, sizeof p, "mess", m->id, ".env");       /* queue-admin wrote it out */
  if (access(p, F_OK) == 0 || errno != ENOENT) return 0;
  if (m->running) { m->held = 1; ready_drop(q, m, LOCAL); ready_drop(q, m, REMOTE); }
  else msg_forget(q, m);
  return 1;
}

/* every pending recipient fails; the bounce follows when nothing runs */
static void admin_bounce(struct qm *q, struct msg *m, time_t now)
{
  static const char why[] = "This message was deleted by the administrator. " ESC_QMAIL(ESC_PERM(ESC_OTHER));
  size_t i;
  for (i = 0; i < m->nr; i++) {
    if (m->r[i].state != R_PENDING && m->r[i].state != R_WAIT) continue;
    if (bounce_fail(&m->fails, rcpt_addr(m, i), ESC_PERM(ESC_OTHER), why, sizeof why - 1) < 0) diag_nomem();
    m->r[i].state = R_DONE;
  }
  log_s(q, "admin bounce msg "); log_u(q, m->id); log_end(q);
  m->gen++;
  msg_settle(q, m, now);
}

/* "forget ID", "now ID", "bounce ID" from the command socket: 1 when
 * line is one of them */
static int admin_line(struct qm *q, const char *line, time_t now)
{
  static const char *const verbs[] = { "forget ", "now ", "bounce " };
  unsigned long id;
  struct msg *m;
  size_t v, n;
  for (v = 0; v < 3 && strncmp(line, verbs[v], strlen(verbs[v])); v++) ;
  if (v == 3) return 0;
  n = strlen(verbs[v]);
  if (!line[n] || scan_ulong(line + n, &id) != (int)strlen(line + n)) return 1;
  if (v > 0) msg_load(q, id, now);
  if (!(m = msg_find(q, id))) return 1;
  if (v == 0) msg_held(q, m);
  else if (v == 1 && !m->running) msg_wake(q, m);
  else if (v == 2) admin_bounce(q, m, now);
  return 1;
}

/* ---------- events ---------- */

static void on_signal(int sig)
{
  int e = errno;
  if (sig == SIGALRM) got_alrm = 1;
  if (sig == SIGHUP) got_hup = 1;
  if (sig == SIGTERM) got_term = 1;
  (void)!write(sigpipe_fd[1], "", 1);
  errno = e;
}

/* wait statuses from a channel's queue-spawn; its end is fatal */
static void reap(struct qm *q, enum chan c)
{
  struct qspawn_reply r;
  ssize_t n;
  while ((n = recv(q->spawner[c], &r, sizeof r, MSG_DONTWAIT)) == (ssize_t)sizeof r)
    if (r.token < q->top[c] && q->jobs[c][r.token].busy) {
      q->jobs[c][r.token].status = r.status;
      q->jobs[c][r.token].reaped = 1;
    }
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    diag_die(EXIT_TEMP, "queue-spawn ", chan_name[c], " is gone", (char *)0);
}

static void job_read(struct qm *q, struct job *j)
{
  char b[4096];
  ssize_t r = read(j->fd, b, sizeof b);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r > 0) {
    size_t room = j->out.len < REPORT_MAX ? REPORT_MAX - j->out.len : 0;
    str_catb(&j->out, b, (size_t)r < room ? (size_t)r : room);
    return;
  }
  close(j->fd);
  j->fd = -1;
}

static void every_message(struct qm *q, void (*f)(struct qm *, struct msg *))
{
  size_t i;
  for (i = 0; i < q->hsize; i++) {
    struct msg *m = q->hash[i], *n;
    for (; m; m = n) { n = m->hnext; f(q, m); }
  }
}

/* ALRM or "flush": retry now; a message with deliveries running retries as
 * soon as they settle, so the request is never lost to timing */
static void wake_idle(struct qm *q, struct msg *m)
{
  if (!m->running) msg_wake(q, m);
  else m->flush = 1;
}

static void on_trigger(struct qm *q, time_t now)
{
  char b[4096];
  ssize_t r = read(q->trigger, b, sizeof b);
  size_t start = 0, i;
  if (r <= 0) return;
  str_catb(&q->tbuf, b, (size_t)r);
  for (i = 0; i < q->tbuf.len; i++) {
    unsigned long id;
    if (q->tbuf.s[i] != '\n') continue;
    q->tbuf.s[i] = 0;
    if (!strcmp(q->tbuf.s + start, "flush")) every_message(q, wake_idle);
    else if (scan_ulong(q->tbuf.s + start, &id) == (int)(i - start)) msg_load(q, id, now);
    start = i + 1;
  }
  if (start) {
    memmove(q->tbuf.s, q->tbuf.s + start, q->tbuf.len - start);
    q->tbuf.len -= start;
  }
  if (q->tbuf.len > 64) q->tbuf.len = 0;   /* junk without a newline */
}

/* queue-admin's commands come on queue/admin/socket, never on the
 * trigger (which anyone in group quail, or everyone, may write): the
 * directory is the queue owner's, mode 700, and only root and the queue's
 * owner are heard (SO_PEERCRED). Each line is acted on, then "ok". */
static void on_admin(struct qm *q, time_t now)
{
  char b[ADMIN_READ_MAX + 1];
  size_t len = 0, start = 0, i;
  uid_t uid = (uid_t)-1;
  int fd = accept4(q->admin, 0, 0, SOCK_CLOEXEC);
  if (fd < 0) return;
  if (usock_peer_uid(fd, &uid) < 0 || (uid != 0 && uid != q->owner)) {
    log_s(q, "warning: command refused from uid "); log_u(q, (unsigned long)uid); log_end(q);
    close(fd);
    return;
  }
  usock_timeout(fd, ADMIN_TIMEOUT);
  while (len < ADMIN_READ_MAX) {
    ssize_t r = read(fd, b + len, ADMIN_READ_MAX - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  for (i = 0; i < len; i++)
    if (b[i] == '\n') { b[i] = 0; admin_line(q, b + start, now); start = i + 1; }
  (void)!write(fd, "ok\n", 3);
  close(fd);
}

/* due messages from the schedule */
static void run_schedule(struct qm *q, time_t now)
{
  struct heap_item *t;
  while ((t = heap_top(&q->sched)) && t->when <= now) {
    struct msg *m = t->p;
    unsigned long gen = t->gen;
    heap_pop(&q->sched);
    if (m->gen == gen && !m->running) msg_wake(q, m);
  }
}

/* old tmp files */
static void sweep_tmp(time_t now)
{
  DIR *d = opendir("tmp");
  struct dirent *e;
  if (!d) return;
  while ((e = readdir(d))) {
    char p[300];
    struct stat st;
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "tmp/%s", e->d_name);
    if (stat(p, &st) == 0 && now - st.st_mtime > TMP_AGE) unlink(p);
  }
  closedir(d);
}

/* one entry of mess/: a message we never heard of is loaded, an orphaned
 * message file or .env file removed */
static void sweep_entry(struct qm *q, const char *name, time_t now)
{
  unsigned long id;
  int n = scan_ulong(name, &id);
  char p[300];
  struct stat st;
  if (!n || msg_find(q, id)) return;   /* known: the rescan costs no system call */
  if (!strcmp(name + n, ".env")) {
    snprintf(p, sizeof p, "mess/%lu", id);
    if (access(p, F_OK) == 0) { msg_load(q, id, now); return; }
    snprintf(p, sizeof p, "mess/%lu.env", id);          /* its message is gone */
    if (stat(p, &st) == 0 && now - st.st_mtime > ORPHAN_AGE) unlink(p);
    return;
  }
  if (name[n]) return;
  snprintf(p, sizeof p, "mess/%lu.env", id);
  if (access(p, F_OK) == 0) return;
  snprintf(p, sizeof p, "mess/%lu", id);
  if (qenv_attr_exists(p) == 1) { msg_load(q, id, now); return; }   /* a trigger lost */
  snprintf(p, sizeof p, "hold/%lu.env", id);          /* held by queue-admin */
  if (access(p, F_OK) == 0) return;
  snprintf(p, sizeof p, "mess/%lu", id);
  if (stat(p, &st) == 0 && now - st.st_mtime > ORPHAN_AGE) {
    log_s(q, "warning: removing orphan "); log_s(q, p); log_end(q);
    unlink(p);
  }
}

struct ids { unsigned long *a; size_t n, cap; };

static int ids_add(struct ids *v, unsigned long id)
{
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 1024;
    unsigned long *a = realloc(v->a, cap * sizeof *a);
    if (!a) return -1;
    v->a = a;
    v->cap = cap;
  }
  v->a[v->n++] = id;
  return 0;
}

static int ids_cmp(const void *x, const void *y)
{
  unsigned long a = *(const unsigned long *)x, b = *(const unsigned long *)y;
  return a < b ? -1 : a > b;
}

/* at start, before the scan: the messages of mess/ that have no .env file
 * (queue-writer's, never seen: their trigger may have come while no
 * queue-manager read it) are loaded first, found by the names in mess/
 * alone, so that mail queued across a restart is not started after the
 * whole backlog is read. Short of memory, the scan finds them all the same */
static void load_unseen(struct qm *q, time_t now)
{
  struct ids bare = { 0, 0, 0 }, env = { 0, 0, 0 };
  DIR *d = opendir("mess");
  struct dirent *e;
  size_t i, k = 0;
  int full = 0;
  if (!d) return;
  while (!full && (e = readdir(d))) {
    unsigned long id;
    int n = scan_ulong(e->d_name, &id);
    if (!n) continue;
    if (!e->d_name[n]) full = ids_add(&bare, id) < 0;
    else if (!strcmp(e->d_name + n, ".env")) full = ids_add(&env, id) < 0;
  }
  closedir(d);
  if (!full) {
    if (bare.n) qsort(bare.a, bare.n, sizeof *bare.a, ids_cmp);
    if (env.n) qsort(env.a, env.n, sizeof *env.a, ids_cmp);
    for (i = 0; i < bare.n; i++) {
      while (k < env.n && env.a[k] < bare.a[i]) k++;
      if (k == env.n || env.a[k] != bare.a[i]) msg_load(q, bare.a[i], now);
    }
  }
  free(bare.a);
  free(env.a);
}

/* start a scan of the queue (at start, and every SWEEP_EVERY seconds):
 * old tmp files, then mess/ a step at a time (sweep_step) */
static void sweep_begin(struct qm *q, time_t now)
{
  q->last_sweep = now;
  sweep_tmp(now);
  if (q->sweep) return;
  if (!(q->sweep = opendir("mess"))) log_warn(q, "unable to read mess/", 0, 1);
}

/* SWEEP_STEP entries of mess/ between two looks at the trigger: with a
 * queue of 100,000 messages a new one is still started at once, while
 * the scan after a restart goes on */
static void sweep_step(struct qm *q, time_t now)
{
  int k;
  for (k = 0; k < SWEEP_STEP; k++) {
    struct dirent *e = readdir(q->sweep);
    if (!e) { closedir(q->sweep); q->sweep = 0; return; }
    sweep_entry(q, e->d_name, now);
  }
}

static void on_hup(struct qm *q)
{
  struct config c;
  const char *bad = 0;
  memset(&c, 0, sizeof c);
  if (config_read(&c, &bad) < 0) {
    log_warn(q, "unable to reread control/", bad, 1);
    config_free(&c);
    return;
  }
  config_free(&q->c);
  q->c = c;
  to_spawner(q, LOCAL, QSPAWN_REREAD, 0, 0, 0);
  log_s(q, "status: control files reread"); log_end(q);
}

static int poll_timeout(struct qm *q, time_t now)
{
  struct heap_item *t = heap_top(&q->sched);
  time_t next = q->last_sweep + SWEEP_EVERY;
  if (t && t->when < next) next = t->when;
  if (qfree_due(&q->pool) && qfree_due(&q->pool) < next) next = qfree_due(&q->pool);
  if (next <= now || q->sweep) return 0;
  return next - now > 3600 ? 3600000 : (int)(next - now) * 1000;
}

static void loop(struct qm *q)
{
  struct pollfd pf[POLL_MAX];
  struct job *pj[POLL_MAX];
  for (;;) {
    time_t now = time(0);
    int n = 0, c, r, i;
    unsigned long k;
    if (got_term && !q->stopping) { q->stopping = 1; log_s(q, "status: exiting"); log_end(q); }
    if (q->stopping && !q->active[LOCAL] && !q->active[REMOTE]) { qfree_release(&q->pool); return; }
    if (got_hup) { got_hup = 0; on_hup(q); }
    if (got_alrm) { got_alrm = 0; every_message(q, wake_idle); }
    run_schedule(q, now);
    if (now - q->last_sweep >= SWEEP_EVERY) sweep_begin(q, now);
    if (q->sweep) sweep_step(q, now);
    if (qfree_due(&q->pool) && now >= qfree_due(&q->pool)) qfree_release(&q->pool);
    admin_lock(q, LOCK_SH);
    for (c = 0; c < NCHAN; c++) dispatch(q, (enum chan)c);
    admin_lock(q, LOCK_UN);
    buf_flush(&q->log);
    pf[n].fd = sigpipe_fd[0]; pf[n].events = POLLIN; pj[n++] = 0;
    pf[n].fd = q->trigger; pf[n].events = POLLIN; pj[n++] = 0;
    pf[n].fd = q->admin; pf[n].events = POLLIN; pj[n++] = 0;
    for (c = 0; c < NCHAN; c++) { pf[n].fd = q->spawner[c]; pf[n].events = POLLIN; pj[n++] = 0; }
    for (c = 0; c < NCHAN; c++)
      for (k = 0; k < q->top[c]; k++)
        if (q->jobs[c][k].busy && q->jobs[c][k].fd >= 0) {
          pf[n].fd = q->jobs[c][k].fd; pf[n].events = POLLIN; pj[n++] = &q->jobs[c][k];
        }
    r = poll(pf, (nfds_t)n, poll_timeout(q, now));
    if (r < 0 && errno != EINTR) diag_diesys(EXIT_TEMP, "poll failed", (char *)0);
    if (r > 0 && pf[0].revents) { char b[64]; while (read(sigpipe_fd[0], b, sizeof b) > 0) ; }
    if (r > 0 && pf[1].revents) on_trigger(q, time(0));
    if (r > 0 && pf[2].revents) on_admin(q, time(0));
    for (i = 3 + NCHAN; r > 0 && i < n; i++) if (pf[i].revents) job_read(q, pj[i]);
    for (c = 0; r > 0 && c < NCHAN; c++) if (pf[3 + c].revents) reap(q, (enum chan)c);
    for (c = 0; c < NCHAN; c++)
      for (k = 0; k < q->top[c]; k++) {
        struct job *j = &q->jobs[c][k];
        if (j->busy && j->reaped && j->fd < 0) job_done(q, j);
      }
  }
}

/* ---------- start ---------- */

static void setup_signals(void)
{
  struct sigaction sa;
  if (pipe(sigpipe_fd) < 0) die_queue("create a pipe");
  fd_nonblock(sigpipe_fd[0]); fd_nonblock(sigpipe_fd[1]);
  fd_cloexec(sigpipe_fd[0]); fd_cloexec(sigpipe_fd[1]);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, 0); sigaction(SIGHUP, &sa, 0);
  sigaction(SIGTERM, &sa, 0); sigaction(SIGCHLD, &sa, 0);
  signal(SIGPIPE, SIG_IGN);
}

/* one queue-manager per queue: a lock held for our lifetime */
static void lock_queue(void)
{
  int fd = open("lock/manager", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) die_queue("open queue/lock/manager");
  if (flock(fd, LOCK_EX | LOCK_NB) < 0)
    diag_die(EXIT_TEMP, "another queue-manager is running on this queue", (char *)0);
}

/* queue-spawn local (stays root) and remote (becomes quailr), each on
 * a socket of ours; started before we give up root, as qmail-start
 * starts qmail-lspawn and qmail-rspawn */
static void start_spawners(struct qm *q)
{
  char prog[4096];
  int c;
  snprintf(prog, sizeof prog, "%s/bin/queue-spawn", q->home);
  for (c = 0; c < NCHAN; c++) {
    int sv[2];
    pid_t pid;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) die_queue("create a socket");
    {
      int size = 2 * QSPAWN_REQ_MAX;     /* the largest request fits, whatever wmem_default says */
      (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    if ((pid = fork()) < 0) die_queue("start queue-spawn");
    if (pid == 0) {
      char *argv[3] = { "queue-spawn", (char *)chan_name[c], 0 };
      if (dup2(sv[1], 0) == 0) execv(prog, argv);
      diag_diesys(EXIT_TEMP, "unable to run ", prog, (char *)0);
    }
    close(sv[1]);
    q->spawner[c] = sv[0];
  }
}

static void open_trigger(struct qm *q)
{
  q->trigger = open("lock/trigger", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (q->trigger < 0) die_queue("open queue/lock/trigger");
  /* hold a writer open ourselves so the FIFO never reports end of file */
  if (open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) < 0) die_queue("open queue/lock/trigger");
}

/* queue/admin/socket, in queue/admin/ (made when missing: 700, the queue
 * owner's), the socket given to the queue owner too */
static void open_admin(struct qm *q)
{
  struct stat st;
  if (stat(".", &st) < 0) die_queue("stat the queue directory");
  q->owner = st.st_uid;
  if (mkdir(USOCK_QUEUE_DIR, 0700) < 0 && errno != EEXIST) die_queue("create queue/admin");
  if (geteuid() == 0 && chown(USOCK_QUEUE_DIR, q->owner, st.st_gid) < 0) die_queue("give queue/admin to the queue owner");
  if ((q->admin = usock_listen(USOCK_QUEUE_ADMIN, 0600)) < 0) die_queue("listen on queue/admin/socket");
  if (geteuid() == 0 && chown(USOCK_QUEUE_ADMIN, q->owner, st.st_gid) < 0) die_queue("give queue/admin/socket to the queue owner");
}

int main(int argc, char **argv)
{
  static struct qm q;
  const char *bad = 0;
  diag_init("queue-manager");
  if (argc > 1) diag_usage("");
  q.home = home_dir(getenv("QUAIL_HOME"));
  if (chdir(q.home) < 0) diag_diesys(EXIT_TEMP, "unable to enter ", q.home, (char *)0);
  /* children run elsewhere: give them the home as an absolute path */
  if (!(q.home = getcwd(0, 0))) diag_diesys(EXIT_TEMP, "unable to find the home directory", (char *)0);
  if (setenv("QUAIL_HOME", q.home, 1) < 0) diag_nomem();
  {
    static char cdir[4096];
    snprintf(cdir, sizeof cdir, "%s/control", q.home);
    control_dir = cdir;
  }
  if (config_read(&q.c, &bad) < 0) die_control(bad);
  if (chdir("queue") < 0) die_queue("enter the queue directory");
  buf_init(&q.log, 1, q.logspace, sizeof q.logspace);
  lock_queue();
  admin_fd = open("lock/admin", O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  start_spawners(&q);
  setup_signals();
  open_trigger(&q);
  open_admin(&q);
  /* the queue's owner (quailq) from here on: it reads, marks and renames
   * queue files, which are that user's alone (quail-security(7)); an
   * instance run by root keeps root */
  if (priv_become_owner(".") < 0) diag_diesys(EXIT_TEMP, "unable to become the queue's owner", (char *)0);
  q.hsize = 1024;
  q.hash = calloc(q.hsize, sizeof *q.hash);
  if (!q.hash) diag_nomem();
  log_s(&q, "status: local 0/"); log_u(&q, q.c.conc[LOCAL]);
  log_s(&q, " remote 0/"); log_u(&q, q.c.conc[REMOTE]); log_end(&q);
  qfree_open(&q.pool, pool_warn, &q);
  load_unseen(&q, time(0));
  sweep_begin(&q, time(0));
  loop(&q);
  buf_flush(&q.log);
  return EXIT_OK;
}
