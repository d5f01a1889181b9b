/* queue-reader: show what is in the queue (qmail-qread).
 *
 *   queue-reader          one paragraph per queued message, oldest first:
 *                           26 Nov 2026 12:09:10 GMT  #ID  SIZE  <sender>
 *                         then a line per recipient, "\tlocal\tADDR" or
 *                         "\tremote\tADDR", with "  done" in front once the
 *                         recipient is delivered or bounced; "  bouncing"
 *                         ends the first line while a bounce is pending,
 *                         "  held" while queue-admin holds the message
 *                         (held messages are listed after the others)
 *   queue-reader -e ID    that paragraph for the one message ID
 *   queue-reader ID       the message file itself, as stored, on stdout
 *
 * Reads HOME/queue/mess/ID and ID.env or its attribute user.quail.env
 * (or queue/hold/ID.env; qenv.h), HOME/queue/bounce/ID, and
 * control/me (default localhost), control/locals (default: me),
 * control/virtualdomains and control/envnoathost (default: me) to tell
 * local from remote.
 * Bytes outside printable ASCII are shown as '_'. Only the sort keys of
 * the listing are held in memory; envelopes are streamed.
 * Exit codes: 0 shown; 100 usage, or no message ID in the queue; 111 a
 * temporary failure (queue or control file unreadable, a message that
 * could not be read while listing, output error). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "qenv.h"
#include "route.h"
#include "str.h"

#define USAGE     "[ -e ] [ ID ]"
#define SORT_MAX  1000000       /* messages sorted by age; more are listed unsorted */
#define SORT_MAX_TEXT "1000000"
#define ID_DIGITS 20            /* a queue id is an inode number */
#define COPY_SIZE 65536
#define ME_DEFAULT "localhost"  /* as queue-manager, without control/me */

struct reader {
  struct route route;           /* local or remote */
  struct str local, domain;     /* scratch for route_classify */
  struct buf out;
  char space[BUF_SIZE];
  int trouble;                  /* a message could not be read: exit 111 */
};

struct entry {
  time_t when;                  /* arrival: the mtime of mess/ID */
  unsigned long id;
  unsigned long long size;
};

struct list {                   /* the sort keys of the listing */
  struct entry *e;
  size_t n, cap;
};

static void __attribute__((noreturn)) die_home(const char *home)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory ", home, (char *)0);
}
static void __attribute__((noreturn)) die_queue(const char *what)
{
  diag_diesys(EXIT_TEMP, "unable to read the queue: ", what, (char *)0);
}
static void __attribute__((noreturn)) die_control(const char *name)
{
  diag_diesys(EXIT_TEMP, "unable to read control/", name, (char *)0);
}
static void __attribute__((noreturn)) die_output(void)
{
  diag_diesys(EXIT_TEMP, "unable to write to standard output", (char *)0);
}
static void __attribute__((noreturn)) die_unknown(const char *id)
{
  diag_die(EXIT_PERM, "no message #", id, " in the queue", (char *)0);
}
static void __attribute__((noreturn)) die_message(const char *id)
{
  diag_diesys(EXIT_TEMP, "unable to read message #", id, (char *)0);
}

/* "mess/ID" and friends */
static void qname(char *out, size_t size, const char *dir, unsigned long id, const char *suffix)
{
  snprintf(out, size, "%s/%lu%s", dir, id, suffix);
}

/* a queue id as typed: digits, "#" allowed in front as the listing shows it */
static unsigned long parse_id(const char *s)
{
  unsigned long id;
  size_t n;
  if (*s == '#') s++;
  n = strlen(s);
  if (!n || n > ID_DIGITS || scan_ulong(s, &id) != (int)n) {
    diag_warn("not a queue id: ", s, (char *)0);
    diag_usage(USAGE);
  }
  return id;
}

/* the defaults are queue-manager's: me is ME_DEFAULT, locals and
 * envnoathost are me */
static void load_control(struct reader *r)
{
  struct str me = STR_ZERO;
  const char *bad;
  if (control_readline("control/me", &me, ME_DEFAULT) < 0) die_control("me");
  if (str_0(&me) < 0) diag_nomem();
  if (route_load(&r->route, "control", me.s, &bad) < 0) {
    if (errno == ENOMEM) diag_nomem();
    die_control(bad);
  }
  str_free(&me);
}

/* qmail-send's rule (lib/route.h) */
static int is_local(struct reader *r, const char *rcpt)
{
  int got = route_classify(&r->route, rcpt, &r->local, &r->domain);
  if (got < 0) diag_nomem();
  return got;
}

static void put(struct reader *r, const char *s, size_t n)
{
  if (buf_put(&r->out, s, n) < 0) die_output();
}
static void puts_(struct reader *r, const char *s) { put(r, s, strlen(s)); }

/* an address from the queue: only printable ASCII reaches the terminal */
static void put_safe(struct reader *r, const char *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    char c = s[i] >= 32 && s[i] <= 126 ? s[i] : '_';
    put(r, &c, 1);
  }
}

/* 26 Nov 2026 12:09:10 GMT  #ID  SIZE  <sender> */
static void put_head(struct reader *r, const struct entry *e, const struct str *sender,
                     int bouncing, int held)
{
  static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  char head[160];
  struct tm tm;
  gmtime_r(&e->when, &tm);
  snprintf(head, sizeof head, "%d %s %d %02d:%02d:%02d GMT  #%lu  %llu  <",
           tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
           e->id, e->size);
  puts_(r, head);
  put_safe(r, sender->s, sender->len);
  puts_(r, bouncing ? ">  bouncing" : ">");
  puts_(r, held ? "  held\n" : "\n");
}

/* one envelope field up to its NUL: 1 read, 0 malformed (EOF or too
 * long), -1 read error */
static int get_field(struct buf *in, struct str *f)
{
  f->len = 0;
  for (;;) {
    char c;
    ssize_t n = buf_get(in, &c, 1);
    if (n <= 0) return (int)n;
    if (!c) break;
    if (f->len >= ADDR_MAX) return 0;
    if (str_catc(f, c) < 0) diag_nomem();
  }
  if (str_0(f) < 0) diag_nomem();
  return 1;
}

/* the sender after the leading 'F': 1, 0 malformed, -1 read error */
static int get_sender(struct buf *in, struct str *f)
{
  char kind;
  ssize_t n = buf_get(in, &kind, 1);
  if (n <= 0) return (int)n;
  return kind == 'F' ? get_field(in, f) : 0;
}

/* stream the recipients of an envelope after its sender */
static int put_recipients(struct reader *r, struct buf *in, struct str *f)
{
  for (;;) {
    char kind;
    ssize_t n = buf_get(in, &kind, 1);
    int got;
    if (n <= 0) return (int)n;
    if (!kind) return 1;
    if (kind != 'T' && kind != 'D') return 0;
    got = get_field(in, f);
    if (got <= 0) return got;
    if (kind == 'D') puts_(r, "  done");
    puts_(r, is_local(r, f->s) ? "\tlocal\t" : "\tremote\t");
    put_safe(r, f->s, f->len);
    puts_(r, "\n");
  }
}

static ssize_t at_end(void *ctx, int fd, char *s, size_t n) { return 0; }

/* a buffer that reads the bytes of env, then EOF */
static void mem_buf(struct buf *in, struct str *env)
{
  buf_init(in, -1, env->s, env->len);
  buf_transport(in, at_end, 0);
  in->n = env->len;
}

/* the paragraph of message e: 1 shown, 0 gone from the queue, -1
 * trouble (errno set), -2 a malformed envelope */
static int show(struct reader *r, const struct entry *e)
{
  char name[64], space[4096];
  struct str f = STR_ZERO;
  struct stat bst;
  struct buf in;
  int fd, got, e2, held = 0;
  struct str attr = STR_ZERO;
  qname(name, sizeof name, "mess", e->id, ".env");
  fd = open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {          /* in mess/ID's attribute */
    qname(name, sizeof name, "mess", e->id, "");
    if ((got = qenv_attr_read_path(name, &attr)) < 0 && errno != ENOENT) return -1;
    if (got > 0) fd = -2;
    else errno = ENOENT;
  }
  if (fd == -1 && errno == ENOENT) {        /* held by queue-admin */
    qname(name, sizeof name, "hold", e->id, ".env");
    fd = open(name, O_RDONLY | O_CLOEXEC);
    held = 1;
  }
  if (fd == -1) return errno == ENOENT ? 0 : -1;
  if (fd == -2) mem_buf(&in, &attr);
  else buf_init(&in, fd, space, sizeof space);
  got = get_sender(&in, &f);
  if (got == 1) {
    qname(name, sizeof name, "bounce", e->id, "");
    put_head(r, e, &f, stat(name, &bst) == 0, held);
    got = put_recipients(r, &in, &f);
  }
  e2 = errno;
  if (fd >= 0) close(fd);
  str_free(&f);
  str_free(&attr);
  errno = e2;
  return got == 0 ? -2 : got;
}

/* arrival time and size of message id: 1, 0 gone, -1 trouble */
static int stat_message(unsigned long id, struct entry *e)
{
  char name[64];
  struct stat st;
  qname(name, sizeof name, "mess", id, "");
  if (stat(name, &st) < 0) return errno == ENOENT ? 0 : -1;
  e->id = id;
  e->when = st.st_mtime;
  e->size = (unsigned long long)st.st_size;
  return 1;
}

/* got: -1 with errno set, -2 for a malformed envelope */
static void trouble(struct reader *r, unsigned long id, int got)
{
  char s[24];
  snprintf(s, sizeof s, "%lu", id);
  if (got == -2) diag_warn("trouble with #", s, ": malformed envelope", (char *)0);
  else diag_warnsys("trouble with #", s, (char *)0);
  r->trouble = 1;
}

/* list one message, skipping it quietly when it left the queue meanwhile */
static void list_one(struct reader *r, unsigned long id)
{
  struct entry e;
  int got = stat_message(id, &e);
  if (got == 1) got = show(r, &e);
  if (got < 0) trouble(r, id, got);
}

/* is this entry of dir a queued message's: an envelope "ID.env", or in
 * mess/ a message "ID" with its envelope in its attribute (qenv.h) */
static int env_name(const char *dir, const char *name, unsigned long *id)
{
  int n = scan_ulong(name, id);
  if (n <= 0 || n > ID_DIGITS) return 0;
  if (!strcmp(name + n, ".env")) return 1;
  return !name[n] && dir[0] == 'm' && qenv_attr_only(*id);
}

static struct dirent *next_entry(DIR *d)
{
  struct dirent *de;
  errno = 0;
  de = readdir(d);
  if (!de && errno) die_queue("mess");
  return de;
}

static int by_age(const void *a, const void *b)
{
  const struct entry *x = a, *y = b;
  if (x->when != y->when) return x->when < y->when ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* the sort keys of every message; 0 when there are more than SORT_MAX */
static int collect(struct reader *r, const char *dir, DIR *d, struct list *l)
{
  struct dirent *de;
  unsigned long id;
  while ((de = next_entry(d))) {
    if (!env_name(dir, de->d_name, &id)) continue;
    if (l->n == l->cap) {
      struct entry *p;
      if (l->cap == SORT_MAX) return 0;
      l->cap = l->cap ? 2 * l->cap : 256;
      if (l->cap > SORT_MAX) l->cap = SORT_MAX;
      if (!(p = realloc(l->e, l->cap * sizeof *p))) diag_nomem();
      l->e = p;
    }
    switch (stat_message(id, &l->e[l->n])) {
    case 1: l->n++; break;
    case -1: trouble(r, id, -1); break;
    }
  }
  return 1;
}

/* the envelopes in dir (mess, or hold for held messages) */
static void list_dir(struct reader *r, const char *dir)
{
  struct list l = { 0, 0, 0 };
  struct dirent *de;
  unsigned long id;
  size_t i;
  DIR *d = opendir(dir);
  if (!d && errno == ENOENT && !strcmp(dir, "hold")) return;   /* a queue from before hold/ */
  if (!d) die_queue(dir);
  if (collect(r, dir, d, &l)) {
    if (l.n) qsort(l.e, l.n, sizeof *l.e, by_age);   /* l.e is 0 when empty */
    for (i = 0; i < l.n; i++) list_one(r, l.e[i].id);
  } else {   /* too many to sort in bounded memory: directory order */
    diag_warn("more than " SORT_MAX_TEXT " messages: listed unsorted", (char *)0);
    rewinddir(d);
    while ((de = next_entry(d)))
      if (env_name(dir, de->d_name, &id)) list_one(r, id);
  }
  free(l.e);
  closedir(d);
}

static void list_queue(struct reader *r)
{
  list_dir(r, "mess");
  list_dir(r, "hold");
}

/* queue-reader -e ID */
static void show_envelope(struct reader *r, unsigned long id, const char *arg)
{
  struct entry e;
  int got = stat_message(id, &e);
  if (got == 1) got = show(r, &e);
  if (got == 0) die_unknown(arg);
  if (got == -2) diag_die(EXIT_TEMP, "message #", arg, ": malformed envelope", (char *)0);
  if (got < 0) die_message(arg);
}

/* queue-reader ID: the message file as stored */
static void copy_message(struct reader *r, unsigned long id, const char *arg)
{
  char name[64], in[COPY_SIZE];
  struct stat st;
  int fd;
  qname(name, sizeof name, "mess", id, ".env");
  if (stat(name, &st) < 0 && errno == ENOENT) {
    qname(name, sizeof name, "mess", id, "");
    switch (qenv_attr_exists(name)) {
    case 1: name[0] = 0; break;             /* its envelope is its attribute */
    case -1: if (errno != ENOENT) die_message(arg);
    }
    if (name[0]) qname(name, sizeof name, "hold", id, ".env");
  }
  if (name[0] && stat(name, &st) < 0) {
    if (errno == ENOENT) die_unknown(arg);
    die_message(arg);
  }
  qname(name, sizeof name, "mess", id, "");
  fd = open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) die_unknown(arg);
    die_message(arg);
  }
  for (;;) {
    ssize_t n = fd_read_retry(fd, in, sizeof in);
    if (n < 0) die_message(arg);
    if (n == 0) break;
    put(r, in, (size_t)n);
  }
  close(fd);
}

int main(int argc, char **argv)
{
  static struct reader r;
  const char *home;
  char arg[24] = "";            /* the id asked for, as digits */
  unsigned long id = 0;
  int envelope = 0, opt;

  diag_init("queue-reader");
  opterr = 0;
  while ((opt = getopt(argc, argv, "e")) != -1) {
    if (opt != 'e') diag_usage(USAGE);
    envelope = 1;
  }
  if (argc - optind > 1 || (envelope && argc - optind != 1)) diag_usage(USAGE);
  if (argc - optind == 1) snprintf(arg, sizeof arg, "%lu", id = parse_id(argv[optind]));
  buf_init(&r.out, 1, r.space, sizeof r.space);

  home = home_dir(getenv("QUAIL_HOME"));
  if (chdir(home) < 0) die_home(home);
  if (!*arg || envelope) load_control(&r);
  if (chdir("queue") < 0) die_queue("queue");
  if (!*arg) list_queue(&r);
  else if (envelope) show_envelope(&r, id, arg);
  else copy_message(&r, id, arg);
  if (buf_flush(&r.out) < 0) die_output();
  return r.trouble ? EXIT_TEMP : EXIT_OK;
}
