/* quail-passwd: add, change, remove and list the users of the password
 * database HOME/users/passwd.cdb that checkpassword reads (pw.h).
 *
 *   quail-passwd add [-s scheme] user uid gid home [maildir]
 *   quail-passwd passwd [-s scheme] user
 *   quail-passwd apop user
 *   quail-passwd del user
 *   quail-passwd list
 *
 * add and passwd read the password, apop the APOP secret (an empty one
 * removes it), from the first line of stdin, never from the arguments
 * (on a terminal: asked twice, not echoed). Every change takes
 * users/passwd.lock, writes users/passwd.cdb.tmp, fsyncs it and renames
 * it over users/passwd.cdb with the old file's mode and owner (new: 0600),
 * so checkpassword sees the old database or the new one, never half.
 * list prints user:uid:gid:home:maildir:flags, one a line. add refuses
 * uid 0 (no mail user is root), except in an instance (home.h), which
 * runs as the user who made it.
 * Exit codes: 0 done; 100 usage, a bad argument or password, a user that
 * exists (add) or does not (the rest); 111 a temporary failure (nothing
 * is changed). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "buf.h"
#include "cdbx.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "pw.h"
#include "str.h"

#define PATH_MAX_HOME 4096
#define DB_MODE       0600
#define MAILDIR_DEFAULT "./Maildir/"
#define USAGE "add [-s yescrypt|sha512] user uid gid home [maildir] | passwd [-s scheme] user | apop user | del user | list"

enum verb { V_ADD, V_PASSWD, V_APOP, V_DEL, V_LIST };

struct job {
  enum verb verb;
  const char *user;
  const char *scheme;          /* a crypt(3) prefix */
  struct pw_entry e;           /* the entry to write */
  struct str key;
  char db[PATH_MAX_HOME], lock[PATH_MAX_HOME];
  struct cdbx_make m;
};

/* ---- failures ---- */

static void __attribute__((noreturn)) die_usage(void) { diag_usage(USAGE); }
static void __attribute__((noreturn)) die_arg(const char *what, const char *arg)
{
  diag_die(EXIT_PERM, what, ": ", arg, (char *)0);
}
static void __attribute__((noreturn)) die_read_db(const struct job *j)
{
  if (errno == EINVAL) diag_die(EXIT_TEMP, j->db, " is corrupt", (char *)0);
  diag_diesys(EXIT_TEMP, "unable to read ", j->db, (char *)0);
}
static void __attribute__((noreturn)) die_write_db(struct job *j)
{
  int e = errno;
  cdbx_make_abort(&j->m);
  errno = e;
  diag_diesys(EXIT_TEMP, "unable to write ", j->db, (char *)0);
}
static void __attribute__((noreturn)) die_stdin(void)
{
  diag_diesys(EXIT_TEMP, "unable to read stdin", (char *)0);
}

/* ---- arguments ---- */

static enum verb parse_verb(const char *v)
{
  static const char *const names[] = { "add", "passwd", "apop", "del", "list" };
  unsigned i;
  for (i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(v, names[i])) return (enum verb)i;
  die_usage();
}

static const char *parse_scheme(const char *s)
{
  if (!strcmp(s, "yescrypt")) return PW_YESCRYPT;
  if (!strcmp(s, "sha512")) return PW_SHA512;
  die_arg("unknown scheme (yescrypt or sha512)", s);
}

static unsigned long parse_id(const char *what, const char *s)
{
  unsigned long u;
  if (!*s || scan_ulong(s, &u) != (int)strlen(s)) die_arg(what, s);
  return u;
}

/* the fields of add: uid gid home [maildir] */
static void parse_entry(struct job *j, int argc, char **argv)
{
  const char *maildir = argc > 3 ? argv[3] : MAILDIR_DEFAULT;
  if (argc < 3 || argc > 4) die_usage();
  j->e.uid = parse_id("not a uid", argv[0]);
  j->e.gid = parse_id("not a gid", argv[1]);
  if (argv[2][0] != '/' || strlen(argv[2]) > PW_FIELD_MAX) die_arg("home must be an absolute path", argv[2]);
  if (!*maildir || strlen(maildir) > PW_FIELD_MAX) die_arg("bad maildir", maildir);
  if (str_copys(&j->e.home, argv[2]) < 0 || str_copys(&j->e.maildir, maildir) < 0) diag_nomem();
}

static void parse_args(struct job *j, int argc, char **argv)
{
  int i = 2;
  if (argc < 2) die_usage();
  j->verb = parse_verb(argv[1]);
  j->scheme = PW_YESCRYPT;
  if (j->verb == V_LIST) { if (argc != 2) die_usage(); return; }
  if (argc > 3 && !strcmp(argv[2], "-s") && (j->verb == V_ADD || j->verb == V_PASSWD)) {
    j->scheme = parse_scheme(argv[3]);
    i = 4;
  }
  if (i >= argc) die_usage();
  j->user = argv[i++];
  if (!pw_name_ok(j->user)) die_arg("bad user name", j->user);
  if (pw_key(j->user, &j->key) < 0) diag_nomem();
  if (j->verb == V_ADD) parse_entry(j, argc - i, argv + i);
  else if (i != argc) die_usage();
}

/* ---- the secret from stdin ---- */

/* one line of at most PW_SECRET_MAX bytes into out (CR LF removed) */
static void read_line(int fd, struct str *out)
{
  char c;
  out->len = 0;
  for (;;) {
    ssize_t r = fd_read_retry(fd, &c, 1);
    if (r < 0) die_stdin();
    if (r == 0 || c == '\n') break;
    if (!c) diag_die(EXIT_PERM, "a NUL in the secret", (char *)0);
    if (out->len > PW_SECRET_MAX) diag_die(EXIT_PERM, "the secret is longer than 256 bytes", (char *)0);
    if (str_catc(out, c) < 0) diag_nomem();
  }
  if (out->len && out->s[out->len - 1] == '\r') out->len--;
  if (out->len > PW_SECRET_MAX) diag_die(EXIT_PERM, "the secret is longer than 256 bytes", (char *)0);
  if (str_0(out) < 0) diag_nomem();
}

/* on a terminal: prompt on fd 2 with echo off */
static void ask(const char *prompt, struct str *out)
{
  struct termios old, quiet;
  if (tcgetattr(0, &old) < 0) die_stdin();
  quiet = old;
  quiet.c_lflag &= ~(tcflag_t)ECHO;
  (void)!write(2, prompt, strlen(prompt));
  if (tcsetattr(0, TCSAFLUSH, &quiet) < 0) die_stdin();
  read_line(0, out);
  tcsetattr(0, TCSAFLUSH, &old);
  (void)!write(2, "\n", 1);
}

static void read_secret(const char *what, struct str *out)
{
  struct str again = STR_ZERO;
  if (!isatty(0)) { read_line(0, out); return; }
  ask(what, out);
  ask("again: ", &again);
  if (strcmp(out->s, again.s)) diag_die(EXIT_PERM, "the two entries differ", (char *)0);
  explicit_bzero(again.s, again.len);
  str_free(&again);
}

/* the hash (add, passwd) or the APOP secret (apop) for the entry */
static void take_secret(struct job *j)
{
  struct str s = STR_ZERO;
  read_secret(j->verb == V_APOP ? "APOP secret: " : "password: ", &s);
  if (j->verb == V_APOP) {
    if (str_copyb(&j->e.apop, s.s, s.len) < 0) diag_nomem();
  } else {
    if (!s.len) diag_die(EXIT_PERM, "refusing an empty password", (char *)0);
    if (pw_hash(s.s, j->scheme, &j->e.hash) < 0) diag_diesys(EXIT_TEMP, "unable to hash the password", (char *)0);
  }
  explicit_bzero(s.s, s.len);
  str_free(&s);
}

/* ---- the database ---- */

static void take_lock(const struct job *j)
{
  int fd = open(j->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) diag_diesys(EXIT_TEMP, "unable to open ", j->lock, (char *)0);
  if (flock(fd, LOCK_EX) < 0) diag_diesys(EXIT_TEMP, "unable to lock ", j->lock, (char *)0);
  /* held until we exit */
}

/* the current entry of j->user into cur: 1 found, 0 not */
static int current(struct job *j, struct pw_entry *cur)
{
  int r = pw_lookup(j->db, j->user, cur);
  if (r < 0 && errno == ENOENT) return 0;
  if (r < 0) die_read_db(j);
  return r;
}

/* the entry to write, from the one there and the verb */
static void merge(struct job *j, const struct pw_entry *cur, int exists)
{
  if (j->verb == V_ADD) {
    if (exists) diag_die(EXIT_PERM, j->user, " exists already: use passwd", (char *)0);
    return;
  }
  if (!exists) diag_die(EXIT_PERM, "no such user: ", j->user, (char *)0);
  j->e.uid = cur->uid;
  j->e.gid = cur->gid;
  if (str_copyb(&j->e.home, cur->home.s, cur->home.len) < 0 ||
      str_copyb(&j->e.maildir, cur->maildir.s, cur->maildir.len) < 0)
    diag_nomem();
  if (j->verb != V_PASSWD && str_copyb(&j->e.hash, cur->hash.s, cur->hash.len) < 0) diag_nomem();
  if (j->verb != V_APOP && str_copyb(&j->e.apop, cur->apop.s, cur->apop.len) < 0) diag_nomem();
}

/* pw_each: copy every other user's entry */
static int copy_other(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
  struct job *j = ctx;
  if (kl == j->key.len && !memcmp(k, j->key.s, kl)) return 0;
  return cdbx_make_add(&j->m, k, kl, v, vl);
}

/* the new file gets the old one's mode and owner */
static void keep_owner(struct job *j)
{
  struct stat st;
  if (stat(j->db, &st) < 0) return;
  if (fchmod(j->m.fd, st.st_mode & 07777) < 0) die_write_db(j);
  if (geteuid() == 0 && fchown(j->m.fd, st.st_uid, st.st_gid) < 0) die_write_db(j);
}

static void rewrite(struct job *j)
{
  struct str val = STR_ZERO;
  if (cdbx_make_start(&j->m, j->db, DB_MODE) < 0) die_write_db(j);
  keep_owner(j);
  if (pw_each(j->db, copy_other, j) < 0) {
    int e = errno;
    cdbx_make_abort(&j->m);
    errno = e;
    die_read_db(j);
  }
  if (j->verb != V_DEL) {
    if (pw_encode(&j->e, &val) < 0) diag_nomem();
    if (cdbx_make_add(&j->m, j->key.s, j->key.len, val.s, val.len) < 0) die_write_db(j);
    explicit_bzero(val.s, val.len);
  }
  if (cdbx_make_finish(&j->m) < 0) diag_diesys(EXIT_TEMP, "unable to write ", j->db, (char *)0);
  str_free(&val);
}

/* ---- list ---- */

struct lister { struct buf out; char space[BUF_SIZE]; struct pw_entry e; };

static int list_one(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
  struct lister *l = ctx;
  const char *h;
  if (pw_decode(v, vl, &l->e) < 0) return -1;
  h = l->e.hash.len ? l->e.hash.s : "";
  if (buf_put(&l->out, k, kl) < 0 || buf_puts(&l->out, ":") < 0 || buf_putu(&l->out, l->e.uid) < 0 ||
      buf_puts(&l->out, ":") < 0 || buf_putu(&l->out, l->e.gid) < 0 || buf_puts(&l->out, ":") < 0 ||
      buf_putstr(&l->out, &l->e.home) < 0 || buf_puts(&l->out, ":") < 0 ||
      buf_putstr(&l->out, &l->e.maildir) < 0 || buf_puts(&l->out, ":") < 0)
    return -1;
  if (!h[0] || h[0] == '!' || h[0] == '*') { if (buf_puts(&l->out, "locked") < 0) return -1; }
  else if (l->e.apop.len && buf_puts(&l->out, "apop") < 0) return -1;
  return buf_puts(&l->out, "\n");
}

static void list(const struct job *j)
{
  static struct lister l;
  buf_init(&l.out, 1, l.space, sizeof l.space);
  if (pw_each(j->db, list_one, &l) < 0 || buf_flush(&l.out) < 0) {
    if (errno == EINVAL) die_read_db(j);
    diag_diesys(EXIT_TEMP, "unable to list ", j->db, (char *)0);
  }
  pw_free(&l.e);
}

int main(int argc, char **argv)
{
  static struct job j;
  struct pw_entry cur = PW_ENTRY_ZERO;
  const char *home;

  diag_init("quail-passwd");
  parse_args(&j, argc, argv);
  home = home_dir(getenv("QUAIL_HOME"));
  if (home_path(home, "users/passwd.cdb", j.db, sizeof j.db) < 0 ||
      home_path(home, "users/passwd.lock", j.lock, sizeof j.lock) < 0)
    diag_die(EXIT_TEMP, "the quail home directory's name is too long", (char *)0);
  if (j.verb == V_LIST) { list(&j); return EXIT_OK; }
  if (j.verb == V_ADD && j.e.uid == 0 && !home_instance(home))
    diag_die(EXIT_PERM, "uid 0 for ", j.user, ": a mail user may not be root", (char *)0);
  if (j.verb != V_DEL) take_secret(&j);
  umask(077);
  take_lock(&j);
  merge(&j, &cur, current(&j, &cur));
  rewrite(&j);
  pw_free(&cur);
  pw_free(&j.e);
  return EXIT_OK;
}
