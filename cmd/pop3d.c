/* pop3d: one user's Maildir over POP3 (RFC 1939, 2449), after the login
 * (qmail-pop3d), on fd 0 (from the client) and fd 1 (to it).
 *
 *   pop3d maildir
 *
 * $MAILDIR, set by checkpassword from the password database, takes the
 * place of the argument. pop3d enters the Maildir and locks it (flock on
 * the directory: a second session gets -ERR [IN-USE]), moves new/ into
 * cur/ and greets with +OK: the answer to the client's login.
 *
 * Sizes: a message's size is what the client receives, CRLF line ends
 * included, stuffed dots not (lib/pop3.h). It is read from the name's
 * ",W=" field (Maildir++); a message without one is read once, then
 * renamed with ",S=bytes,W=size" added before its ":2," info, so every
 * later session opens the mailbox from the directory listing alone. The
 * UIDL is the unique part of the name, which these renames keep.
 * Deletions happen at QUIT only (unlink, then fsync of cur/).
 *
 * Writes one log line per session to fd 2.
 * Exit codes: 0 the session ended (QUIT, the client left or idled out,
 * or pop3d refused it with a reply of its own); 100 usage; 111 a
 * temporary failure (the Maildir unreadable, out of memory, a message
 * unreadable in mid-transfer). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>
#include "buf.h"
#include "cmdline.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "pop3.h"
#include "smtp.h"
#include "str.h"

#define COMMAND_MAX   1000          /* a command line, CRLF included */
#define TIMEOUT       1200          /* idle seconds before we hang up (RFC 1939: >= 600) */
#define MESSAGES_MAX  200000        /* messages one session serves */
#define BAD_MAX       20            /* bad commands before we hang up */
#define IO_SIZE       65536         /* reads of message files */
#define OUT_SIZE      65536

struct msg {
  size_t path;                      /* offset of "cur/NAME" in the box's paths */
  unsigned long long size;          /* octets, as the client counts them */
  unsigned long long sec, usec;     /* arrival, from the name */
  int deleted;
};

struct mailbox {
  struct msg *m;
  size_t n, cap;
  struct str paths;                 /* "sub/NAME" NUL ... */
  size_t live;                      /* messages not deleted */
  unsigned long long octets;        /* their sizes */
  int lockfd;
};

struct session {
  struct buf in, out;
  char inspace[BUF_SIZE], outspace[OUT_SIZE];
  char io[IO_SIZE];
  struct mailbox box;
  const char *user;
  unsigned bad;
  unsigned long retrieved;          /* RETR and TOP answered */
  size_t last;                      /* the highest message they named (LAST) */
  struct str line, tmp, enc, name;
};

struct command {
  const char *verb;
  void (*run)(struct session *, const char *arg);
};

/* ---- failures ---- */

static void __attribute__((noreturn)) die_usage(void) { diag_usage("maildir"); }
static void __attribute__((noreturn)) die_nomem(void) { diag_nomem(); }
static void __attribute__((noreturn)) die_maildir(const char *what, const char *dir)
{
  diag_diesys(EXIT_TEMP, "unable to ", what, " ", dir, (char *)0);
}

/* ---- output and the log ---- */

static void log_event(struct session *s, const char *event, const char *detail)
{
  struct str l = STR_ZERO;
  if (str_catf(&l, "%s: pid %ld user ", diag_prog(), (long)getpid()) < 0 ||
      smtp_clean(&l, s->user, 200) < 0 || str_cats(&l, ": ") < 0 || str_cats(&l, event) < 0 ||
      (detail && (str_catc(&l, ' ') < 0 || str_cats(&l, detail) < 0)) || str_catc(&l, '\n') < 0)
    die_nomem();
  (void)!write(2, l.s, l.len);
  str_free(&l);
}

/* the client went away or stopped talking: the session is over, nothing deleted */
static void __attribute__((noreturn)) gone(struct session *s, const char *why)
{
  struct str d = STR_ZERO;
  if (str_catf(&d, "%s retrieved=%lu", why, s->retrieved) < 0) die_nomem();
  log_event(s, "ended", d.s);
  _exit(EXIT_OK);
}

static void put(struct session *s, const char *text, size_t n)
{
  if (buf_put(&s->out, text, n) < 0) gone(s, errno == ETIMEDOUT ? "timeout" : "write failed");
}

static void flush(struct session *s)
{
  if (buf_flush(&s->out) < 0) gone(s, errno == ETIMEDOUT ? "timeout" : "write failed");
}

static void reply(struct session *s, const char *status, const char *text)
{
  put(s, status, strlen(status));
  if (text && *text) { put(s, " ", 1); put(s, text, strlen(text)); }
  put(s, "\r\n", 2);
}

static void ok(struct session *s, const char *text) { reply(s, "+OK", text); }
static void err(struct session *s, const char *text) { reply(s, "-ERR", text); }

/* reply with a formatted text */
static void __attribute__((format(printf, 3, 4))) replyf(struct session *s, const char *status, const char *fmt, ...)
{
  char t[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t, sizeof t, fmt, ap);
  va_end(ap);
  reply(s, status, t);
}

/* ---- the mailbox ---- */

static const char *path_of(const struct mailbox *b, size_t i) { return b->paths.s + b->m[i].path; }

static void add_message(struct mailbox *b, const char *sub, const char *name, unsigned long long size)
{
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    struct msg *m = realloc(b->m, cap * sizeof *m);
    if (!m) die_nomem();
    b->m = m;
    b->cap = cap;
  }
  b->m[b->n].path = b->paths.len;
  b->m[b->n].size = size;
  b->m[b->n].deleted = 0;
  pop3_arrival(name, &b->m[b->n].sec, &b->m[b->n].usec);
  if (str_cats(&b->paths, sub) < 0 || str_catc(&b->paths, '/') < 0 || str_cats(&b->paths, name) < 0 ||
      str_catc(&b->paths, 0) < 0)
    die_nomem();
  b->n++;
  b->live++;
  b->octets += size;
}

/* read a message once for its size: 1 done, 0 it vanished or cannot be
 * read (then it is left out of this session, not the whole mailbox) */
static int measure(struct session *s, const char *path, unsigned long long *bytes, unsigned long long *size)
{
  struct pop3_vsize v;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) diag_warnsys("unable to open ", path, ": left out", (char *)0);
    return 0;
  }
  pop3_vsize_init(&v);
  *bytes = 0;
  for (;;) {
    ssize_t r = fd_read_retry(fd, s->io, sizeof s->io);
    if (r < 0) {
      diag_warnsys("unable to read ", path, ": left out", (char *)0);
      close(fd);
      return 0;
    }
    if (r == 0) break;
    pop3_vsize_feed(&v, s->io, (size_t)r);
    *bytes += (unsigned long long)r;
  }
  close(fd);
  *size = pop3_vsize_end(&v);
  return 1;
}

/* the name with ",S=bytes,W=size" before its info, and ":2," when it has none */
static void sized_name(struct str *out, const char *name, unsigned long long bytes, unsigned long long size)
{
  const char *colon = strchr(name, ':');
  size_t base = colon ? (size_t)(colon - name) : strlen(name);
  unsigned long long dummy;
  out->len = 0;
  if (str_catb(out, name, base) < 0) die_nomem();
  if (!pop3_info(name, 'S', &dummy) && str_catf(out, ",S=%llu", bytes) < 0) die_nomem();
  if (str_catf(out, ",W=%llu", size) < 0 || str_cats(out, colon ? colon : ":2,") < 0) die_nomem();
}

/* one directory entry of new/ or cur/: into cur/ with its size in the name */
static void take(struct session *s, const char *sub, const char *name)
{
  char from[NAME_MAX + 8], to[2 * NAME_MAX];
  unsigned long long size, bytes;
  int sized = pop3_info(name, 'W', &size);
  if (sized && !strcmp(sub, "cur")) { add_message(&s->box, sub, name, size); return; }
  snprintf(from, sizeof from, "%s/%s", sub, name);
  if (!sized && !measure(s, from, &bytes, &size)) return;
  if (sized) {
    if (str_copys(&s->name, name) < 0 || (!strchr(name, ':') && str_cats(&s->name, ":2,") < 0)) die_nomem();
  } else {
    sized_name(&s->name, name, bytes, size);
  }
  snprintf(to, sizeof to, "cur/%s", s->name.s);
  if (rename(from, to) == 0) { add_message(&s->box, "cur", s->name.s, size); return; }
  if (errno == ENOENT) return;                     /* another reader moved it */
  diag_warnsys("unable to rename ", from, " to ", to, (char *)0);
  add_message(&s->box, sub, name, size);           /* served where it is */
}

/* the names in sub/, read before any is renamed: a rename during
 * readdir(3) may show a name twice */
static void list_dir(const char *sub, struct str *names, size_t room)
{
  struct dirent *d;
  DIR *dh = opendir(sub);
  names->len = 0;
  if (!dh) die_maildir("open the directory", sub);
  for (;;) {
    errno = 0;
    if (!(d = readdir(dh))) break;
    if (d->d_name[0] == '.') continue;
    if (d->d_type != DT_REG && d->d_type != DT_UNKNOWN && d->d_type != DT_LNK) continue;
    if (!room--) break;
    if (str_cats(names, d->d_name) < 0 || str_catc(names, 0) < 0) die_nomem();
  }
  if (errno) die_maildir("read the directory", sub);
  closedir(dh);
}

static void scan(struct session *s, const char *sub)
{
  struct str names = STR_ZERO;
  size_t i;
  list_dir(sub, &names, MESSAGES_MAX - s->box.n);
  for (i = 0; i < names.len; i += strlen(names.s + i) + 1) take(s, sub, names.s + i);
  str_free(&names);
}

static int by_arrival(const void *a, const void *b, void *paths)
{
  const struct msg *x = a, *y = b;
  if (x->sec != y->sec) return x->sec < y->sec ? -1 : 1;
  if (x->usec != y->usec) return x->usec < y->usec ? -1 : 1;
  /* "cur/" and "new/" are alike in length: compare the names */
  return strcmp((const char *)paths + x->path + 4, (const char *)paths + y->path + 4);
}

/* in[lo, mid) and in[mid, hi), each in order, into out[lo, hi) */
static void merge(const struct msg *in, struct msg *out, size_t lo, size_t mid, size_t hi, void *paths)
{
  size_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi) out[k++] = by_arrival(&in[j], &in[i], paths) < 0 ? in[j++] : in[i++];
  while (i < mid) out[k++] = in[i++];
  while (j < hi) out[k++] = in[j++];
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* the messages in order of arrival: a merge sort that moves whole
 * structs (musl's qsort moves them by memcpy, a third of the time it
 * takes to open 100,000 messages) */
static void sort_box(struct mailbox *b)
{
  struct msg *tmp, *from = b->m, *to, *t;
  size_t w, i;
  if (b->n < 2) return;
  if (!(tmp = malloc(b->n * sizeof *tmp))) die_nomem();
  to = tmp;
  for (w = 1; w < b->n; w *= 2) {
    for (i = 0; i < b->n; i += 2 * w)
      merge(from, to, i, min_size(i + w, b->n), min_size(i + 2 * w, b->n), b->paths.s);
    t = from, from = to, to = t;
  }
  if (from != b->m) memcpy(b->m, from, b->n * sizeof *b->m);
  free(tmp);
}

/* enter the Maildir, lock it, take new/ into cur/, list it all */
static int open_mailbox(struct session *s, const char *dir)
{
  struct mailbox *b = &s->box;
  if (chdir(dir) < 0) die_maildir("enter the Maildir", dir);
  b->lockfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (b->lockfd < 0) die_maildir("open the Maildir", dir);
  if (flock(b->lockfd, LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) return -1;
    die_maildir("lock the Maildir", dir);
  }
  scan(s, "cur");
  scan(s, "new");
  sort_box(b);
  return 0;
}

/* ---- reading commands ---- */

static void read_line(struct session *s)
{
  int r;
  if (!cmdline_waiting(&s->in)) flush(s);
  r = cmdline_get(&s->in, &s->line, COMMAND_MAX);
  if (r < 0) gone(s, errno == ETIMEDOUT ? "timeout" : "read failed");
  if (r == 0) gone(s, "disconnected");
  if (r == 2) {
    err(s, "line too long; closing connection");
    flush(s);
    gone(s, "line too long");
  }
}

static void bad_command(struct session *s, const char *text)
{
  if (++s->bad > BAD_MAX) {
    err(s, "too many bad commands; closing connection");
    flush(s);
    gone(s, "too many bad commands");
  }
  err(s, text);
}

/* the message named at *arg: its index, or -1 with the reply sent */
static long message(struct session *s, const char **arg)
{
  unsigned long n;
  int k = pop3_number(*arg, &n);
  if (!k) { err(s, "a message number is needed"); return -1; }
  *arg += k;
  if (n == 0 || n > s->box.n) { err(s, "no such message"); return -1; }
  if (s->box.m[n - 1].deleted) { replyf(s, "-ERR", "message %lu is deleted", n); return -1; }
  return (long)(n - 1);
}

/* a command that takes one message number and nothing else */
static long only_message(struct session *s, const char *arg)
{
  long i = message(s, &arg);
  if (i >= 0 && *arg) { err(s, "syntax: one message number"); return -1; }
  return i;
}

static int no_argument(struct session *s, const char *arg)
{
  if (!*arg) return 1;
  err(s, "this command takes no argument");
  return 0;
}

/* ---- sending a message ---- */

/* the message file, encoded; TOP when limited */
static void send_message(struct session *s, size_t i, int limited, unsigned long lines)
{
  const char *path = path_of(&s->box, i);
  struct pop3_enc e;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    diag_warnsys("unable to open ", path, (char *)0);
    err(s, errno == ENOENT ? "[SYS/PERM] the message has vanished" : "[SYS/TEMP] unable to read the message");
    return;
  }
  if (limited) ok(s, "top of message follows");
  else replyf(s, "+OK", "%llu octets", s->box.m[i].size);
  pop3_enc_init(&e, limited, lines);
  while (!e.done) {
    ssize_t r = fd_read_retry(fd, s->io, sizeof s->io);
    if (r < 0) die_maildir("read", path);    /* mid-answer: we can only hang up */
    if (r == 0) break;
    s->enc.len = 0;
    if (pop3_enc_feed(&e, s->io, (size_t)r, &s->enc) == (size_t)-1) die_nomem();
    put(s, s->enc.s, s->enc.len);
  }
  close(fd);
  s->enc.len = 0;
  if (pop3_enc_end(&e, &s->enc) < 0) die_nomem();
  put(s, s->enc.s, s->enc.len);
  s->retrieved++;
  if (i + 1 > s->last) s->last = i + 1;
}

/* ---- the commands ---- */

static void cmd_stat(struct session *s, const char *arg)
{
  if (!no_argument(s, arg)) return;
  replyf(s, "+OK", "%zu %llu", s->box.live, s->box.octets);
}

static void cmd_list(struct session *s, const char *arg)
{
  char line[64];
  size_t i;
  long k;
  if (*arg) {
    if ((k = only_message(s, arg)) >= 0) replyf(s, "+OK", "%ld %llu", k + 1, s->box.m[k].size);
    return;
  }
  replyf(s, "+OK", "%zu messages (%llu octets)", s->box.live, s->box.octets);
  for (i = 0; i < s->box.n; i++) {
    if (s->box.m[i].deleted) continue;
    put(s, line, (size_t)snprintf(line, sizeof line, "%zu %llu\r\n", i + 1, s->box.m[i].size));
  }
  put(s, ".\r\n", 3);
}

/* "N UIDL" of message i into s->tmp */
static void uidl_line(struct session *s, size_t i)
{
  const char *path = path_of(&s->box, i);
  s->tmp.len = 0;
  if (str_catf(&s->tmp, "%zu ", i + 1) < 0 || pop3_uidl(path + 4, &s->tmp) < 0) die_nomem();
}

static void cmd_uidl(struct session *s, const char *arg)
{
  size_t i;
  long k;
  if (*arg) {
    if ((k = only_message(s, arg)) < 0) return;
    uidl_line(s, (size_t)k);
    ok(s, s->tmp.s);
    return;
  }
  ok(s, "unique-id listing follows");
  for (i = 0; i < s->box.n; i++) {
    if (s->box.m[i].deleted) continue;
    uidl_line(s, i);
    if (str_cats(&s->tmp, "\r\n") < 0) die_nomem();
    put(s, s->tmp.s, s->tmp.len);
  }
  put(s, ".\r\n", 3);
}

static void cmd_retr(struct session *s, const char *arg)
{
  long k = only_message(s, arg);
  if (k >= 0) send_message(s, (size_t)k, 0, 0);
}

static void cmd_top(struct session *s, const char *arg)
{
  unsigned long lines;
  long k = message(s, &arg);
  int n;
  if (k < 0) return;
  if (*arg != ' ' || !(n = pop3_number(arg + 1, &lines)) || arg[1 + n]) {
    err(s, "syntax: TOP message lines");
    return;
  }
  send_message(s, (size_t)k, 1, lines);
}

static void cmd_dele(struct session *s, const char *arg)
{
  long k = only_message(s, arg);
  if (k < 0) return;
  s->box.m[k].deleted = 1;
  s->box.live--;
  s->box.octets -= s->box.m[k].size;
  replyf(s, "+OK", "message %ld deleted", k + 1);
}

static void cmd_rset(struct session *s, const char *arg)
{
  size_t i;
  if (!no_argument(s, arg)) return;
  for (i = 0; i < s->box.n; i++)
    if (s->box.m[i].deleted) {
      s->box.m[i].deleted = 0;
      s->box.live++;
      s->box.octets += s->box.m[i].size;
    }
  s->last = 0;
  replyf(s, "+OK", "maildrop has %zu messages (%llu octets)", s->box.live, s->box.octets);
}

/* RFC 1460's LAST, as qmail-pop3d keeps it: the highest message
 * retrieved in this session (fetchmail asks) */
static void cmd_last(struct session *s, const char *arg)
{
  if (no_argument(s, arg)) replyf(s, "+OK", "%zu", s->last);
}

static void cmd_noop(struct session *s, const char *arg)
{
  if (no_argument(s, arg)) ok(s, 0);
}

static void cmd_capa(struct session *s, const char *arg)
{
  static const char list[] =
    "TOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nEXPIRE NEVER\r\nIMPLEMENTATION quail\r\n.\r\n";
  ok(s, "capability list follows");
  put(s, list, sizeof list - 1);
}

/* the UPDATE state: remove what was deleted, make it last, say goodbye */
static void cmd_quit(struct session *s, const char *arg)
{
  size_t i, deleted = 0, failed = 0;
  struct str d = STR_ZERO;
  for (i = 0; i < s->box.n; i++) {
    if (!s->box.m[i].deleted) continue;
    if (unlink(path_of(&s->box, i)) == 0 || errno == ENOENT) { deleted++; continue; }
    diag_warnsys("unable to remove ", path_of(&s->box, i), (char *)0);
    failed++;
  }
  if (deleted && (fsync_dir("cur") < 0 || fsync_dir("new") < 0)) {
    diag_warnsys("unable to fsync the Maildir", (char *)0);
    failed++;
  }
  if (failed) err(s, "[SYS/TEMP] some deleted messages not removed");
  else ok(s, "bye");
  flush(s);
  if (str_catf(&d, "retrieved=%lu deleted=%zu failed=%zu left=%zu", s->retrieved, deleted, failed,
               s->box.n - deleted) < 0)
    die_nomem();
  log_event(s, "quit", d.s);
  _exit(EXIT_OK);
}

/* the commands of the AUTHORIZATION state */
static void cmd_login(struct session *s, const char *arg)
{
  bad_command(s, "already logged in");
}

static const struct command commands[] = {
  { "stat", cmd_stat }, { "list", cmd_list }, { "retr", cmd_retr }, { "dele", cmd_dele },
  { "noop", cmd_noop }, { "rset", cmd_rset }, { "quit", cmd_quit }, { "top", cmd_top },
  { "uidl", cmd_uidl }, { "capa", cmd_capa }, { "last", cmd_last },
  { "user", cmd_login }, { "pass", cmd_login }, { "apop", cmd_login }, { "auth", cmd_login },
  { "stls", cmd_login }, { 0, 0 }
};

static void dispatch(struct session *s)
{
  const struct command *c;
  const char *arg;
  if (memchr(s->line.s, 0, s->line.len)) { bad_command(s, "bad characters in the command line"); return; }
  if ((c = cmdline_find(s->line.s, s->line.len, commands, sizeof *commands, &arg))) {
    c->run(s, arg);
    return;
  }
  bad_command(s, "unknown command");
}

/* ---- the start ---- */

static void setup(struct session *s, int argc, char **argv, const char **dir)
{
  const char *md = getenv("MAILDIR");
  int one = 1;
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) die_usage();
  *dir = md && *md ? md : argc == 2 ? argv[1] : 0;
  if (!*dir) die_usage();
  s->user = getenv("USER") ? getenv("USER") : "unknown";
  buf_init(&s->in, 0, s->inspace, sizeof s->inspace);
  buf_init(&s->out, 1, s->outspace, sizeof s->outspace);
  s->in.timeout = s->out.timeout = TIMEOUT;
  (void)setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* a pipe under TLS: no matter */
}

int main(int argc, char **argv)
{
  static struct session s;
  const char *dir;
  struct str d = STR_ZERO;

  diag_init("pop3d");
  signal(SIGPIPE, SIG_IGN);
  setup(&s, argc, argv, &dir);
  if (open_mailbox(&s, dir) < 0) {
    err(&s, "[IN-USE] the mailbox is in use by another session; try again later");
    flush(&s);
    log_event(&s, "refused", "mailbox locked");
    return EXIT_OK;
  }
  replyf(&s, "+OK", "maildrop has %zu messages (%llu octets)", s.box.live, s.box.octets);
  if (str_catf(&d, "messages=%zu octets=%llu", s.box.live, s.box.octets) < 0) die_nomem();
  log_event(&s, "open", d.s);
  str_free(&d);
  for (;;) {
    read_line(&s);
    dispatch(&s);
  }
}
