/* queue-admin: hold, release, delete, requeue or bounce queued messages
 * (Postfix's postsuper), safe while queue-manager runs.
 *
 *   queue-admin hold|release|delete|requeue|bounce [-s PAT] [-r PAT] [ID ...]
 *
 * Messages are named by queue ID (as queue-reader shows them, "#" allowed)
 * or chosen by shell patterns, any case: -s the envelope sender, -r any
 * recipient not yet delivered (both must match when both are given).
 * "requeue" without a selection retries the whole queue now.
 *
 * hold moves HOME/queue/mess/ID.env (written from mess/ID's attribute
 * first when the envelope is still that: qenv.h) to queue/hold/ID.env under an
 * exclusive flock on queue/lock/admin (queue-manager starts deliveries
 * under a shared one, so once "held" is printed no new delivery starts;
 * one already running may finish), then sends "forget ID" to
 * queue-manager on queue/admin/socket (a Unix socket in a directory of
 * the queue owner's, mode 700; queue-manager hears only root and the
 * queue's owner, by SO_PEERCRED, and answers "ok" once it acted).
 * release moves it back (due now) and writes "ID" to the trigger (which
 * only wakes queue-manager). delete holds the message, then removes
 * bounce/ID, the envelope and mess/ID. requeue makes it due now ("now
 * ID", or "flush" on the trigger). bounce fails every pending
 * recipient with "deleted by the administrator": queue-manager does it
 * ("bounce ID") when it runs; otherwise, and for a held message, the
 * failures are appended to bounce/ID and the recipients marked done here,
 * and queue-manager sends the bounce.
 * Prints one line per message acted on ("held #ID").
 * Exit codes: 0 done; 100 usage or an ID not in the queue; 111 a
 * temporary failure (the queue could not be read or changed). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bounce.h"
#include "buf.h"
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "priv.h"
#include "qenv.h"
#include "str.h"
#include "usock.h"

#define USAGE       "hold|release|delete|requeue|bounce [ -s PATTERN ] [ -r PATTERN ] [ ID ... ]"
#define ENV_MAX     (64 * 1024 * 1024)   /* bytes of one envelope */
#define ID_DIGITS   20
#define COMMAND_TIMEOUT 30                /* seconds for queue-manager's "ok" */
#define ESC_ADMIN   ESC_PERM(ESC_OTHER)
#define WHY_ADMIN   "This message was deleted by the administrator. " ESC_QMAIL(ESC_ADMIN)

enum op { HOLD, RELEASE, DELETE, REQUEUE, BOUNCE, NOPS };
static const char *const op_name[NOPS] = { "hold", "release", "delete", "requeue", "bounce" };
static const char *const op_done[NOPS] = { "held", "released", "deleted", "requeued", "bounced" };

struct admin {
  enum op op;
  const char *sender, *rcpt;      /* patterns, or 0 */
  int adminfd;                    /* queue/lock/admin */
  int offline;                    /* we hold queue/lock/manager: no queue-manager */
  int unknown, trouble;           /* exit 100 / 111 at the end */
  unsigned long count;
  struct str env;
  int attr;                       /* env is mess/ID's attribute (qenv.h) */
  struct buf out;
  char space[BUF_SIZE];
};

static void __attribute__((noreturn)) die_home(const char *h)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail queue in ", h, (char *)0);
}
static void __attribute__((noreturn)) die_lock(void)
{
  diag_diesys(EXIT_TEMP, "unable to lock queue/lock/admin", (char *)0);
}
static void __attribute__((noreturn)) die_dir(const char *d)
{
  diag_diesys(EXIT_TEMP, "unable to read queue/", d, (char *)0);
}
static void __attribute__((noreturn)) die_output(void)
{
  diag_diesys(EXIT_TEMP, "unable to write to standard output", (char *)0);
}

static void path(char *p, size_t n, const char *dir, unsigned long id, const char *suffix)
{
  snprintf(p, n, "%s/%lu%s", dir, id, suffix);
}

/* a failed step: warn with the file, and exit 111 at the end */
static int trouble(struct admin *a, const char *what, const char *p)
{
  diag_warnsys("unable to ", what, " queue/", p, (char *)0);
  a->trouble = 1;
  return -1;
}

/* one line to queue-manager's trigger (an ID or "flush": it only wakes
 * queue-manager); none running is fine */
static void trigger(const char *verb, unsigned long id)
{
  char line[64];
  int fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC), n;
  if (fd < 0) return;
  n = id ? snprintf(line, sizeof line, "%s%lu\n", verb, id) : snprintf(line, sizeof line, "%s\n", verb);
  if (write(fd, line, (size_t)n) != n) diag_warnsys("unable to write to queue/lock/trigger", (char *)0);
  close(fd);
}

/* one command to queue-manager on queue/admin/socket (root's and the
 * queue owner's only), and its "ok"; none running is fine */
static void command(struct admin *a, const char *verb, unsigned long id)
{
  char line[64], ok[4];
  int fd = usock_connect(USOCK_QUEUE_ADMIN), n;
  if (fd < 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return;
    diag_warnsys("unable to reach queue-manager on queue/", USOCK_QUEUE_ADMIN, (char *)0);
    a->trouble = 1;
    return;
  }
  usock_timeout(fd, COMMAND_TIMEOUT);
  n = snprintf(line, sizeof line, "%s%lu\n", verb, id);
  if (fd_write_all(fd, line, (size_t)n) < 0 || shutdown(fd, SHUT_WR) < 0 ||
      read(fd, ok, sizeof ok) != 3 || memcmp(ok, "ok\n", 3)) {
    diag_warnsys("queue-manager did not take the command on queue/", USOCK_QUEUE_ADMIN, (char *)0);
    a->trouble = 1;
  }
  close(fd);
}

/* move ID.env between mess/ and hold/ under the admin lock */
static int move_env(struct admin *a, unsigned long id, const char *from, const char *to)
{
  char p[64], q[64];
  int r;
  path(p, sizeof p, from, id, ".env");
  path(q, sizeof q, to, id, ".env");
  if (flock(a->adminfd, LOCK_EX) < 0) die_lock();
  r = rename(p, q);
  if (r == 0 && (fsync_dir(to) < 0 || fsync_dir(from) < 0)) r = -1;
  flock(a->adminfd, LOCK_UN);
  return r < 0 ? trouble(a, "move", p) : 0;
}

/* the envelope's mtime is queue-manager's next attempt: now */
static void due_now(const char *p)
{
  utimensat(AT_FDCWD, p, 0, 0);
}

/* an envelope still in mess/ID's attribute (qenv.h) gets its file first */
static int env_file(struct admin *a, unsigned long id)
{
  char p[64];
  if (!a->attr) return 0;
  if (qenv_to_file(id, a->env.s, a->env.len) < 0) {
    path(p, sizeof p, "mess", id, ".env");
    return trouble(a, "write", p);
  }
  a->attr = 0;
  return 0;
}

static int do_hold(struct admin *a, unsigned long id, int held)
{
  if (held) return 0;
  if (env_file(a, id) < 0 || move_env(a, id, "mess", "hold") < 0) return -1;
  command(a, "forget ", id);
  return 0;
}

static int do_release(struct admin *a, unsigned long id, int held)
{
  char p[64];
  if (!held) return 0;
  path(p, sizeof p, "mess", id, "");
  if (access(p, F_OK) < 0 && errno == ENOENT) {   /* finished by a delivery that was running */
    path(p, sizeof p, "hold", id, ".env");
    if (unlink(p) < 0) return trouble(a, "remove", p);
    return 0;
  }
  path(p, sizeof p, "hold", id, ".env");
  due_now(p);
  if (move_env(a, id, "hold", "mess") < 0) return -1;
  trigger("", id);
  return 0;
}

static int do_delete(struct admin *a, unsigned long id, int held)
{
  char p[64];
  if (do_hold(a, id, held) < 0) return -1;
  path(p, sizeof p, "bounce", id, "");
  if (unlink(p) < 0 && errno != ENOENT) return trouble(a, "remove", p);
  path(p, sizeof p, "hold", id, ".env");
  if (unlink(p) < 0 && errno != ENOENT) return trouble(a, "remove", p);
  path(p, sizeof p, "mess", id, "");
  if (unlink(p) < 0 && errno != ENOENT) return trouble(a, "remove", p);
  fsync_dir("bounce"); fsync_dir("hold"); fsync_dir("mess");
  return 0;
}

static int do_requeue(struct admin *a, unsigned long id, int held)
{
  char p[64];
  path(p, sizeof p, "mess", id, ".env");
  due_now(p);
  command(a, "now ", id);
  return 0;
}

/* on disk: a failure record per pending recipient in bounce/ID, fsynced,
 * then each marked done in the envelope, fsynced (queue-manager's order) */
static int bounce_on_disk(struct admin *a, unsigned long id, const char *dir)
{
  char p[64], b[64];
  struct str rec = STR_ZERO;
  size_t pos = 0, i;
  int fd, r = -1;
  while (qenv_next(a->env.s, a->env.len, &pos, &i) == 1)
    if (a->env.s[i] == 'T' &&
        bounce_fail(&rec, a->env.s + i + 1, ESC_ADMIN, WHY_ADMIN, sizeof WHY_ADMIN - 1) < 0) diag_nomem();
  path(b, sizeof b, "bounce", id, "");
  path(p, sizeof p, dir, id, ".env");
  fd = open(b, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || fd_write_all(fd, rec.s, rec.len) < 0 || fsync(fd) < 0 || fsync_dir("bounce") < 0) {
    trouble(a, "write", b);
    goto done;
  }
  close(fd);
  if ((fd = open(p, O_WRONLY | O_CLOEXEC)) < 0) { trouble(a, "open", p); goto done; }
  for (pos = 0; qenv_next(a->env.s, a->env.len, &pos, &i) == 1;)
    if (a->env.s[i] == 'T' && pwrite(fd, "D", 1, (off_t)i) != 1) { trouble(a, "write", p); goto done; }
  if (fsync(fd) < 0) { trouble(a, "fsync", p); goto done; }
  r = 0;
done:
  if (fd >= 0) close(fd);
  str_free(&rec);
  return r;
}

static int do_bounce(struct admin *a, unsigned long id, int held)
{
  if (!held && !a->offline) { command(a, "bounce ", id); return 0; }
  if (env_file(a, id) < 0 || bounce_on_disk(a, id, held ? "hold" : "mess") < 0) return -1;
  return held ? do_release(a, id, held) : 0;
}

/* read ID's envelope into a->env: 1 in mess/, 2 in hold/, 0 not queued */
static int load(struct admin *a, unsigned long id)
{
  char p[64];
  int r, where;
  for (where = 1; where <= 2; where++) {
    path(p, sizeof p, where == 1 ? "mess" : "hold", id, ".env");
    r = qenv_read(where == 1 ? "mess" : "hold", id, &a->env, ENV_MAX);
    a->attr = r == 2;
    if (r > 0 && a->env.len && !a->env.s[a->env.len - 1]) return where;
    if (r < 0 && errno != ENOENT) { trouble(a, "read", p); return -1; }
  }
  return 0;
}

/* does the envelope in a->env match the patterns */
static int selected(const struct admin *a)
{
  const char *s = a->env.s;
  size_t pos = 0, i;
  if (s[0] != 'F') return 0;
  if (a->sender && fnmatch(a->sender, s + 1, FNM_CASEFOLD)) return 0;
  if (!a->rcpt) return 1;
  while (qenv_next(s, a->env.len, &pos, &i) == 1)
    if (s[i] == 'T' && !fnmatch(a->rcpt, s + i + 1, FNM_CASEFOLD)) return 1;
  return 0;
}

/* hold and requeue concern queued messages, release held ones */
static int applies(enum op op, int held)
{
  if (op == HOLD || op == REQUEUE) return !held;
  return op == RELEASE ? held : 1;
}

static void act(struct admin *a, unsigned long id, int where)
{
  static int (*const run[NOPS])(struct admin *, unsigned long, int) = {
    do_hold, do_release, do_delete, do_requeue, do_bounce };
  if (!applies(a->op, where == 2)) return;
  if (run[a->op](a, id, where == 2) < 0) { a->trouble = 1; return; }
  a->count++;
  if (buf_puts(&a->out, op_done[a->op]) < 0 || buf_puts(&a->out, " #") < 0 ||
      buf_putu(&a->out, id) < 0 || buf_puts(&a->out, "\n") < 0) die_output();
}

/* an ID from the command line */
static void by_id(struct admin *a, const char *arg)
{
  unsigned long id;
  const char *s = arg[0] == '#' ? arg + 1 : arg;
  size_t n = strlen(s);
  int where;
  if (!n || n > ID_DIGITS || scan_ulong(s, &id) != (int)n) { diag_warn("not a queue id: ", arg, (char *)0); diag_usage(USAGE); }
  where = load(a, id);
  if (where == 0) { diag_warn("no message #", s, " in the queue", (char *)0); a->unknown = 1; return; }
  if (where > 0 && selected(a)) act(a, id, where);
}

/* every envelope in dir matching the patterns */
static void by_pattern(struct admin *a, const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  if (!d) die_dir(dir);
  while ((e = readdir(d))) {
    unsigned long id;
    int n = scan_ulong(e->d_name, &id), where;
    if (n <= 0) continue;
    if (e->d_name[n]) {
      if (strcmp(e->d_name + n, ".env")) continue;
    } else if (dir[0] != 'm' || !qenv_attr_only(id)) continue;   /* a message file */
    if ((where = load(a, id)) > 0 && selected(a)) act(a, id, where);
  }
  closedir(d);
}

/* bounce without queue-manager: keep it from starting meanwhile */
static void check_offline(struct admin *a)
{
  int fd = open("lock/manager", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  a->offline = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
}

static enum op parse_op(const char *s)
{
  int i;
  for (i = 0; i < NOPS; i++) if (!strcmp(s, op_name[i])) return (enum op)i;
  diag_usage(USAGE);
}

int main(int argc, char **argv)
{
  static struct admin a;
  const char *home;
  int opt, i;
  diag_init("queue-admin");
  if (argc < 2) diag_usage(USAGE);
  a.op = parse_op(argv[1]);
  optind = 2;
  while ((opt = getopt(argc, argv, "s:r:")) != -1)
    if (opt == 's') a.sender = optarg;
    else if (opt == 'r') a.rcpt = optarg;
    else diag_usage(USAGE);
  if (optind == argc && !a.sender && !a.rcpt && a.op != REQUEUE) diag_usage(USAGE);
  home = home_dir(getenv("QUAIL_HOME"));
  if (chdir(home) < 0 || chdir("queue") < 0) die_home(home);
  /* root acts as the queue's owner: the files it makes stay the scheduler's */
  if (priv_become_owner(".") < 0) diag_diesys(EXIT_TEMP, "unable to become the queue's owner", (char *)0);
  if (mkdir("hold", 0700) < 0 && errno != EEXIST) die_dir("hold");
  if ((a.adminfd = open("lock/admin", O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) < 0) die_lock();
  if (a.op == BOUNCE) check_offline(&a);
  buf_init(&a.out, 1, a.space, sizeof a.space);
  if (optind == argc && !a.sender && !a.rcpt) trigger("flush", 0);
  for (i = optind; i < argc; i++) by_id(&a, argv[i]);
  if (optind == argc && (a.sender || a.rcpt)) { by_pattern(&a, "mess"); by_pattern(&a, "hold"); }
  if (buf_flush(&a.out) < 0) die_output();
  return a.trouble ? EXIT_TEMP : a.unknown ? EXIT_PERM : EXIT_OK;
}
