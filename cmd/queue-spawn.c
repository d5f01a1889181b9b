/* queue-spawn: start the deliveries queue-manager asks for (qmail-lspawn's
 * and qmail-rspawn's job).
 *
 * queue-spawn local | queue-spawn remote, started by queue-manager before
 * it gives up root, with a SOCK_SEQPACKET socket on fd 0 (qspawn.h). Each
 * request carries the message (fd) and the write end of a report pipe;
 * the delivery gets the message on fd 0 and the pipe on fd 1 (and 2,
 * local). When it ends, the token and its wait status go back.
 *
 * local: the request is local part, domain, sender. The user is looked up
 * here (users/cdb, else a system user owning its home, else alias), never
 * taken from the scheduler, and uid 0 is refused; deliver-local runs as
 * that user in the user's home with qmail-local's arguments and
 * control/defaultdelivery (read at start and on a QSPAWN_REREAD request).
 * This is the only part of quail that stays root.
 * remote: the request is deliver-remote's arguments (domain, sender,
 * recipients). On an installed system run as root it first becomes
 * quailr for good; deliver-remote runs as that user. Each delivery also
 * gets a socket to us on fd 3 (QUAIL_REUSEFD=3): one that finished its
 * message with its connection still open says 'I' there (for queue-manager
 * that is its end, status 0) and waits; the next request for the same
 * domain goes to it on that socket instead of to a new process. It says
 * 'X' when it will wait no longer, and we close the socket, which it
 * takes as the word to QUIT and exit (queue-spawn(8), deliver-remote(8)).
 *
 * Every descriptor it inherits is closed on exec, so a delivery gets
 * only its own three (and, remote, its socket to us).
 * Started as a user other than root (an instance), it stays that user
 * and delivers only to users with its own uid.
 * Exit codes: 0 when queue-manager closes the socket, 100 usage, 111
 * when it cannot start or read its socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "addr.h"
#include "control.h"
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "priv.h"
#include "qspawn.h"
#include "spawn.h"
#include "str.h"
#include "users.h"

#define IDLE_MAX     64         /* remote deliveries waiting with an open connection */
#define KIDS_MAX     (1000 + 2 * IDLE_MAX)   /* queue-manager's CONC_MAX, the idle and the leaving */
#define DOMAIN_MAX   256
#define REUSE_FD     3          /* a remote delivery's socket to us */
#define REUSE_ENV    "QUAIL_REUSEFD=3"
#define PATH_MAX_Q   4096
#define FDS_SWEEP_MAX 65536     /* descriptors marked close-on-exec without close_range(2) */
#define REMOTE_USER  "quailr"   /* remote deliveries of an installed system */

enum mode { LOCAL, REMOTE };

/* busy: it has queue-manager's token; idle: it waits for a message for
 * domain; leaving: we closed its socket, it quits */
enum kstate { K_BUSY, K_IDLE, K_LEAVING };

struct kid {
  pid_t pid;
  uint32_t token;
  enum kstate state;
  int sock;                     /* remote: our end of its socket, or -1 */
  char domain[DOMAIN_MAX];      /* remote: its last request's, lower case */
};

struct spawner {
  enum mode mode;
  const char *home;
  int sock;
  struct str defdel;            /* control/defaultdelivery (local) */
  const char *nouser;           /* remote: why every delivery fails, or 0 */
  char **envp;                  /* remote: ours and REUSE_ENV */
  struct kid kids[KIDS_MAX];
  size_t nkids;
};

static int sigfd[2];

static void die_usage(void) { diag_usage("local|remote"); }
static void die_socket(void) { diag_diesys(EXIT_TEMP, "unable to read the request socket", (char *)0); }
static void die_control(void) { diag_diesys(EXIT_TEMP, "unable to read control/defaultdelivery", (char *)0); }
static void die_user(const char *u) { diag_diesys(EXIT_TEMP, "unable to switch to user ", u, (char *)0); }

static void on_chld(int sig) { int e = errno; (void)!write(sigfd[1], "", 1); errno = e; }

/* an instance (HOME/bin is a link, mkinstance(8)) runs as its one user */
static int instance(const struct spawner *s)
{
  char bin[PATH_MAX_Q];
  struct stat st;
  snprintf(bin, sizeof bin, "%s/bin", s->home);
  return lstat(bin, &st) < 0 || S_ISLNK(st.st_mode);
}

static void read_defdel(struct spawner *s)
{
  char p[PATH_MAX_Q];
  snprintf(p, sizeof p, "%s/control/defaultdelivery", s->home);
  if (control_readline(p, &s->defdel, "./Maildir/") < 0 || str_0(&s->defdel) < 0) die_control();
}

/* the user of a local delivery: users/cdb, else a system user that owns
 * its home, else alias. 1 found, 0 none, -1 users/cdb unreadable */
static int local_user(struct spawner *s, const char *local, struct userinfo *u)
{
  struct passwd *pw;
  const char *dash = strchr(local, '-');
  size_t n = dash ? (size_t)(dash - local) : strlen(local);
  char cdb[PATH_MAX_Q];
  int r;
  snprintf(cdb, sizeof cdb, "%s/users/cdb", s->home);
  if ((r = users_lookup(cdb, local, u))) return r;
  if (n && n < 64) {
    char name[64];
    struct stat st;
    memcpy(name, local, n);
    name[n] = 0;
    pw = getpwnam(name);
    if (pw && pw->pw_uid && (!getuid() || pw->pw_uid == getuid()) &&
        stat(pw->pw_dir, &st) == 0 && st.st_uid == pw->pw_uid) {
      str_copys(&u->user, pw->pw_name); str_copys(&u->home, pw->pw_dir);
      str_copys(&u->dash, dash ? "-" : ""); str_copys(&u->ext, dash ? dash + 1 : "");
      u->uid = pw->pw_uid; u->gid = pw->pw_gid;
      return 1;
    }
  }
  if (!(pw = getpwnam("alias"))) return 0;
  str_copys(&u->user, "alias"); str_copys(&u->home, pw->pw_dir);
  str_copys(&u->dash, "-"); str_copys(&u->ext, local);
  u->uid = pw->pw_uid; u->gid = pw->pw_gid;
  return 1;
}

/* ---------- the delivery's child (spawn_vm: no allocation) ---------- */

struct child {
  struct spawner *s;
  int fds[2];                   /* message, report pipe */
  int sock;                     /* remote: the delivery's end of its socket to us, or -1 */
  char **argv;
  const struct userinfo *u;     /* local */
};

/* a failure in the channel's report format: deliver-local's text, or
 * qmail-remote's Z for the whole message */
static int child_fail(const struct child *c, const char *a, const char *b)
{
  if (c->s->mode == LOCAL) { spawn_report(1, a, b, " " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)) "\n"); return EXIT_TEMP; }
  (void)!write(1, "Z", 1);
  spawn_report(1, a, b, " " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
  (void)!write(1, "", 1);
  return EXIT_TEMP;
}

static int child_main(void *p)
{
  struct child *c = p;
  char prog[PATH_MAX_Q];
  const struct userinfo *u = c->u;
  /* the socket out of the way of 0, 1 and 3 first (the child's own descriptors) */
  int sock = c->sock >= 0 ? fcntl(c->sock, F_DUPFD_CLOEXEC, REUSE_FD + 1) : -1;
  if (fd_move(0, c->fds[0]) < 0 || fd_move(1, c->fds[1]) < 0) return EXIT_TEMP;
  if (sock >= 0 && dup2(sock, REUSE_FD) < 0) return EXIT_TEMP;
  if (c->s->mode == LOCAL && dup2(1, 2) < 0) return EXIT_TEMP;
  if (u && getuid() == 0) {
    if (priv_become((uid_t)u->uid, (gid_t)u->gid) < 0)
      return child_fail(c, "unable to switch to user ", u->user.s);
  } else if (u && u->uid != getuid()) {
    errno = EPERM;
    return child_fail(c, "unable to switch to user ", u->user.s);
  }
  if (u && chdir(u->home.s) < 0) return child_fail(c, "unable to enter the home directory of ", u->user.s);
  snprintf(prog, sizeof prog, "%s/bin/%s", c->s->home, c->s->mode == LOCAL ? "deliver-local" : "deliver-remote");
  if (c->sock >= 0) execve(prog, c->argv, c->s->envp);
  else execv(prog, c->argv);
  return child_fail(c, "unable to run ", prog);
}

/* ---------- requests and replies ---------- */

static void reply(struct spawner *s, uint32_t token, int status)
{
  struct qspawn_reply r = { token, status };
  while (send(s->sock, &r, sizeof r, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) die_socket();
}

/* a delivery that never started: its report, then its status */
static void refuse(struct spawner *s, uint32_t token, int rfd, int code, const char *why)
{
  (void)!write(rfd, why, strlen(why) + (s->mode == REMOTE));   /* remote: with its NUL */
  reply(s, token, code << 8);
}

/* a remote delivery's domain, lower case ("" when too long: never matched) */
static void kid_domain(struct kid *k, const char *d)
{
  size_t i, n = strlen(d);
  k->domain[0] = 0;
  if (n >= sizeof k->domain) return;
  for (i = 0; i <= n; i++) k->domain[i] = d[i] >= 'A' && d[i] <= 'Z' ? (char)(d[i] + 32) : d[i];
}

static void start(struct spawner *s, uint32_t token, struct child *c, const char *domain)
{
  int pair[2] = { -1, -1 };
  pid_t pid = -1;
  struct kid *k = &s->kids[s->nkids];
  c->sock = -1;
  if (s->mode == REMOTE && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0) {
    int size = 2 * QSPAWN_REQ_MAX;   /* a request handed on fits, whatever wmem_default says */
    (void)setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    c->sock = pair[1];
  }
  if (s->nkids < KIDS_MAX) pid = spawn_vm(child_main, c);
  if (pair[1] >= 0) close(pair[1]);
  if (pid < 0) {
    if (pair[0] >= 0) close(pair[0]);
    refuse(s, token, c->fds[1], EXIT_TEMP, s->mode == LOCAL ? "Unable to fork. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)) : "ZUnable to fork. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
    return;
  }
  k->pid = pid;
  k->token = token;
  k->state = K_BUSY;
  k->sock = pair[0];
  kid_domain(k, domain ? domain : "");
  s->nkids++;
}

/* ---------- idle remote deliveries ---------- */

/* its socket closed: it QUITs and exits, and is reaped without a reply */
static void dismiss(struct kid *k)
{
  if (k->sock >= 0) close(k->sock);
  k->sock = -1;
  k->state = K_LEAVING;
}

/* the request to an idle delivery for its domain: 1 handed over, 0 none took it */
static int hand(struct spawner *s, uint32_t token, char **args, size_t n, int *fds)
{
  struct kid tmp;
  size_t i;
  kid_domain(&tmp, args[0]);
  if (!tmp.domain[0]) return 0;
  for (i = 0; i < s->nkids; i++) {
    struct kid *k = &s->kids[i];
    if (k->state != K_IDLE || strcmp(k->domain, tmp.domain)) continue;
    if (qspawn_send(k->sock, token, args, n, fds) < 0) { dismiss(k); continue; }
    k->state = K_BUSY;
    k->token = token;
    return 1;
  }
  return 0;
}

static size_t idle_count(const struct spawner *s)
{
  size_t i, n = 0;
  for (i = 0; i < s->nkids; i++) n += s->kids[i].state == K_IDLE;
  return n;
}

/* a word from a remote delivery: 'I' its message is done and it waits
 * (its status is 0), 'X' it waits no longer; end of file, it is gone */
static void on_kid(struct spawner *s, struct kid *k)
{
  char b[8];
  ssize_t r = recv(k->sock, b, sizeof b, MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    close(k->sock);
    k->sock = -1;
    if (k->state == K_IDLE) k->state = K_LEAVING;
    return;
  }
  if (b[0] == 'I' && k->state == K_BUSY) {
    reply(s, k->token, 0);
    k->state = K_IDLE;
    if (idle_count(s) > IDLE_MAX) dismiss(k);
  } else if (b[0] == 'X' && k->state == K_IDLE) dismiss(k);
}

/* local part, domain, sender */
static void start_local(struct spawner *s, uint32_t token, char **args, size_t n, int *fds)
{
  struct userinfo u = { STR_ZERO, STR_ZERO, STR_ZERO, STR_ZERO, 0, 0 };
  char *argv[10];
  int r = n == 3 ? local_user(s, args[0], &u) : 0;
  if (n != 3) refuse(s, token, fds[1], EXIT_TEMP, "queue-spawn: bad request. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
  else if (r < 0) refuse(s, token, fds[1], EXIT_TEMP, "Unable to read users/cdb. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)));
  else if (!r || !addr_local_safe(args[0], strlen(args[0])))
    refuse(s, token, fds[1], EXIT_PERM, "Sorry, no mailbox here by that name. " ESC_QMAIL(ESC_PERM(ESC_NO_MAILBOX)));
  else if (u.uid == 0 && !instance(s)) {
    /* qmail-lspawn's rule, but for an instance, which runs as the one user who made it */
    char why[USERS_FIELD_MAX + 64];
    snprintf(why, sizeof why, "refusing to deliver as root: uid 0 for user %s " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM)), u.user.s);
    refuse(s, token, fds[1], EXIT_TEMP, why);
  } else {
    struct child c = { s, { fds[0], fds[1] }, -1, argv, &u };
    /* qmail-local's arguments: user homedir local dash ext domain sender defaultdelivery */
    argv[0] = "deliver-local"; argv[1] = u.user.s; argv[2] = u.home.s; argv[3] = args[0];
    argv[4] = u.dash.s; argv[5] = u.ext.s; argv[6] = args[1]; argv[7] = args[2];
    argv[8] = s->defdel.s; argv[9] = 0;
    start(s, token, &c, 0);
  }
  users_free(&u);
}

/* deliver-remote's arguments: domain, sender, recipients */
static void start_remote(struct spawner *s, uint32_t token, char **args, size_t n, int *fds)
{
  char *argv[QSPAWN_ARGS_MAX + 2];
  struct child c = { s, { fds[0], fds[1] }, -1, argv, 0 };
  if (n < 3) { refuse(s, token, fds[1], EXIT_TEMP, "Zqueue-spawn: bad request. " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM))); return; }
  if (s->nouser) { refuse(s, token, fds[1], EXIT_TEMP, s->nouser); return; }
  if (hand(s, token, args, n, fds)) return;
  argv[0] = "deliver-remote";
  memcpy(argv + 1, args, (n + 1) * sizeof *args);
  start(s, token, &c, args[0]);
}

static void on_request(struct spawner *s)
{
  static char buf[QSPAWN_REQ_MAX];
  char *args[QSPAWN_ARGS_MAX + 1];
  size_t n;
  uint32_t token;
  int fds[2];
  long r = qspawn_recv(s->sock, buf, &token, args, QSPAWN_ARGS_MAX, &n, fds);
  if (r < 0 && errno == EPROTO) { diag_warn("ignoring a malformed request", (char *)0); return; }
  if (r < 0) die_socket();
  if (r == 0) _exit(EXIT_OK);               /* queue-manager is gone */
  if (token == QSPAWN_REREAD) { if (s->mode == LOCAL) read_defdel(s); return; }
  if (s->mode == LOCAL) start_local(s, token, args, n, fds);
  else start_remote(s, token, args, n, fds);
  close(fds[0]);
  close(fds[1]);
}

static void reap(struct spawner *s)
{
  char b[64];
  int st;
  pid_t pid;
  while (read(sigfd[0], b, sizeof b) > 0) ;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    size_t i;
    for (i = 0; i < s->nkids; i++)
      if (s->kids[i].pid == pid) {
        if (s->kids[i].state == K_BUSY) reply(s, s->kids[i].token, st);
        if (s->kids[i].sock >= 0) close(s->kids[i].sock);
        s->kids[i] = s->kids[--s->nkids];
        break;
      }
  }
}

/* ---------- start ---------- */

/* remote on an installed system run as root: quailr for good; an
 * instance keeps its user */
static void become_remote_user(struct spawner *s)
{
  struct passwd *pw;
  if (getuid() != 0 || instance(s)) return;
  if (!(pw = getpwnam(REMOTE_USER))) {
    s->nouser = "Zno user " REMOTE_USER " for remote deliveries (see quail-install(8)). " ESC_QMAIL(ESC_TEMP(ESC_SYSTEM));
    return;
  }
  if (priv_become(pw->pw_uid, pw->pw_gid) < 0) die_user(REMOTE_USER);
}

/* remote deliveries get our environment and REUSE_ENV */
static void reuse_env(struct spawner *s)
{
  extern char **environ;
  size_t i, n = 0;
  while (environ[n]) n++;
  if (!(s->envp = calloc(n + 2, sizeof *s->envp))) diag_nomem();
  for (i = n = 0; environ[i]; i++)
    if (strncmp(environ[i], "QUAIL_REUSEFD=", 14)) s->envp[n++] = environ[i];
  s->envp[n++] = REUSE_ENV;
}

static void setup(struct spawner *s)
{
  struct sigaction sa;
  int null;
  /* the socket leaves fd 0, which each delivery's message takes */
  if ((s->sock = fcntl(0, F_DUPFD_CLOEXEC, 3)) < 0) die_socket();
  if ((null = open("/dev/null", O_RDONLY)) < 0 || fd_move(0, null) < 0) die_socket();
  /* nothing our starter left open reaches a delivery */
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    int fd;
    for (fd = 3; fd < FDS_SWEEP_MAX; fd++) if (fd != s->sock) fd_cloexec(fd);
  }
  if (pipe2(sigfd, O_CLOEXEC | O_NONBLOCK) < 0) die_socket();
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, 0);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);   /* queue-manager's HUP reaches us as QSPAWN_REREAD */
}

int main(int argc, char **argv)
{
  static struct spawner s;
  diag_init("queue-spawn");
  if (argc != 2) die_usage();
  if (!strcmp(argv[1], "local")) s.mode = LOCAL;
  else if (!strcmp(argv[1], "remote")) s.mode = REMOTE;
  else die_usage();
  s.home = home_dir(getenv("QUAIL_HOME"));
  setup(&s);
  if (s.mode == LOCAL) read_defdel(&s);
  else { become_remote_user(&s); reuse_env(&s); }
  for (;;) {
    static struct pollfd pf[KIDS_MAX + 2];
    static size_t who[KIDS_MAX + 2];
    size_t i, n = 2;
    pf[0].fd = s.sock; pf[0].events = POLLIN;
    pf[1].fd = sigfd[0]; pf[1].events = POLLIN;
    for (i = 0; i < s.nkids; i++)
      if (s.kids[i].sock >= 0) { pf[n].fd = s.kids[i].sock; pf[n].events = POLLIN; who[n++] = i; }
    if (poll(pf, n, -1) < 0) { if (errno == EINTR) continue; die_socket(); }
    /* the kids' words before their ends: 'I' then exit is one reply */
    for (i = 2; i < n; i++) if (pf[i].revents) on_kid(&s, &s.kids[who[i]]);
    if (pf[1].revents) reap(&s);
    if (pf[0].revents) on_request(&s);
  }
}
