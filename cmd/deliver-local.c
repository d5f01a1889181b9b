/* deliver-local: deliver one message to one local recipient by the
 * instructions of a .qmail file, as qmail-local does.
 *
 *   deliver-local [-nN] user homedir local dash ext domain sender defaultdelivery
 *
 * Reads the message on fd 0 (a seekable file, read again for every
 * delivery), HOMEDIR/.qmail<dash><ext> or a -default file (else the
 * defaultdelivery text), and QUAIL_HOME/control/timeoutlocal, and for SRS
 * (srs(8)) control/srsdomain, srssecret and locals: forwards of mail
 * from a domain not in locals get an SRS0 sender at srsdomain. Writes
 * messages into Maildirs (tmp/ then new/) and mbox files (locked, taken
 * back on failure), runs |programs with sh -c in HOMEDIR with the
 * qmail-command(8) environment, and hands all forwards to one run of
 * queue-writer ($QMAILQUEUE when set). Its report, on fd 1 (programs' own
 * output included), is "did F+W+P" (files, forwards, programs) and
 * "qp PID" after a forward; a failure is one line ending in an enhanced
 * status code, qmail's "(#X.Y.Z)". With -n it prints the instructions
 * instead of following them.
 * Exit codes: 0 every instruction done; 100 permanent failure (the
 * message bounces) or bad usage; 111 temporary failure (retry later). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "dotqmail.h"
#include "esc.h"
#include "exitcode.h"
#include "home.h"
#include "maildir.h"
#include "mbox.h"
#include "priv.h"
#include "qq.h"
#include "srs.h"
#include "str.h"

#define USAGE "[-nN] user homedir local dash ext domain sender defaultdelivery"
#define QMAIL_MAX        (1024 * 1024)  /* bytes of a .qmail file */
#define HEADER_MAX       (1024 * 1024)  /* header bytes scanned for a loop */
#define HEADER_LINES_MAX 10000          /* header lines scanned for a loop */
#define REPORT_MAX       (64 * 1024)    /* bytes of a program's output passed on */
#define TIMEOUT_DEFAULT  86400          /* seconds a program may run */
#define TIMEOUT_MAX      (30 * 86400)
#define FILE_DEADLINE    86400          /* seconds for one Maildir or mbox delivery */
#define COPY_SIZE        65536

struct job {
  int doit;                       /* 0 with -n */
  const char *user, *home, *local, *dash, *ext, *host, *sender, *defaultdelivery;
  struct str safeext;             /* ext lower-cased, '.' as ':' */
  struct str base;                /* .qmail<dash><safeext>: -owner files hang off it */
  struct str dtline, rpline, ufline, newsender;
  struct str cmds;                /* the delivery instructions */
  int forwardonly;                /* .qmail has its x bit set, or +list */
  struct str forwards;            /* forward addresses, each NUL-terminated */
  unsigned long nfile, nforward, nprogram;
  unsigned long timeout;          /* for programs */
  struct str qqprog;              /* queue-writer or $QMAILQUEUE */
  struct str path;                /* PATH for programs: HOME/bin first */
  struct srs_conf srs;            /* SRS when control/srsdomain is set */
  long qp;                        /* its pid, for the report */
  int stop;                       /* a program exited 99 */
};

/* What the SIGALRM handler cleans up: the delivery in progress. */
static struct {
  struct maildir_tmp *maildir;
  struct mbox *mbox;
  pid_t prog;                     /* process group of a running program */
  volatile sig_atomic_t expired;
} watch;

#define NORETURN __attribute__((noreturn))

/* Every failure is one report line: what went wrong, the file it concerns
 * (or ""), the system's reason when sys is set, then qmail's enhanced
 * status code "(#X.Y.Z)": the class follows from the exit code (esc.h). */
static void NORETURN die(int code, const char *detail, const char *what, const char *name, int sys)
{
  const char *reason = sys ? strerror(errno) : "";
  diag_report(code, what, name, sys ? ": " : "", reason, ". (#", esc_class(code), detail, ")", (char *)0);
}
/* a full disk or quota is "mailbox full", anything else a system error */
static const char *esc_errno(void)
{
  return errno == ENOSPC || errno == EDQUOT ? ESC_MAILBOX_FULL : ESC_SYSTEM;
}

static void NORETURN die_usage(void) { diag_usage(USAGE); }
static void NORETURN die_nomem(void) { die(EXIT_TEMP, ESC_SYSTEM, "Out of memory", "", 0); }
static void NORETURN die_rewind(void)
{
  die(EXIT_TEMP, ESC_SYSTEM, "Unable to rewind the message", "", 1);
}
static void NORETURN die_read(void)
{
  die(EXIT_TEMP, ESC_SYSTEM, "Unable to read the message", "", 1);
}
static void NORETURN die_chdir(const char *d)
{
  die(EXIT_TEMP, ESC_SYSTEM, "Unable to switch to ", d, 1);
}
static void NORETURN die_stathome(void)
{
  die(EXIT_TEMP, ESC_SYSTEM, "Unable to stat the home directory", "", 1);
}
static void NORETURN die_homewritable(void)
{
  die(EXIT_TEMP, ESC_SECURITY, "Uh-oh: home directory is writable", "", 0);
}
static void NORETURN die_sticky(void)
{
  die(EXIT_TEMP, ESC_MAILBOX_BUSY, "Home directory is sticky: user is editing his .qmail file", "", 0);
}
static void NORETURN die_unsafe(void)
{
  die(EXIT_PERM, ESC_NO_MAILBOX, "Sorry, the address extension is not a safe file name", "", 0);
}
static void NORETURN die_nomailbox(void)
{
  die(EXIT_PERM, ESC_NO_MAILBOX, "Sorry, no mailbox here by that name", "", 0);
}
static void NORETURN die_loop(void)
{
  die(EXIT_PERM, ESC_LOOP, "This message is looping: it already has my Delivered-To line", "", 0);
}
static void NORETURN die_qmail(const char *fn)
{
  die(EXIT_TEMP, ESC_SYSTEM, "Unable to open ", fn, 1);
}
static void NORETURN die_qmailwritable(void)
{
  die(EXIT_TEMP, ESC_SECURITY, "Uh-oh: .qmail file is writable", "", 0);
}
static void NORETURN die_qmailbig(const char *fn)
{
  die(EXIT_TEMP, ESC_SECURITY, "Uh-oh: .qmail file is too large: ", fn, 0);
}
static void NORETURN die_blankfirst(void)
{
  die(EXIT_TEMP, ESC_MAILBOX_BUSY, "Uh-oh: first line of .qmail file is blank", "", 0);
}
static void NORETURN die_xbitfile(void)
{
  die(EXIT_TEMP, ESC_SECURITY, "Uh-oh: .qmail has file delivery but has x bit set", "", 0);
}
static void NORETURN die_xbitprog(void)
{
  die(EXIT_TEMP, ESC_SECURITY, "Uh-oh: .qmail has prog delivery but has x bit set", "", 0);
}
static void NORETURN die_badforward(const char *a)
{
  die(EXIT_TEMP, ESC_SECURITY, "Uh-oh: bad forward address: ", a, 0);
}
static void NORETURN die_srscontrol(void)
{
  die(EXIT_TEMP, ESC_SYSTEM, "Unable to read control/srsdomain, srssecret or locals", "", 1);
}
static void NORETURN die_control(void)
{
  die(EXIT_TEMP, ESC_SYSTEM, "Unable to read control/timeoutlocal", "", 1);
}
static void NORETURN die_fork(void) { die(EXIT_TEMP, ESC_SYSTEM, "Unable to start a process", "", 1); }
static void NORETURN die_maildir(const char *d)
{
  die(EXIT_TEMP, esc_errno(), "Unable to deliver to Maildir ", d, 1);
}
static void NORETURN die_mboxopen(const char *fn)
{
  die(EXIT_TEMP, ESC_MAILBOX_BUSY, "Unable to open ", fn, 1);
}
static void NORETURN die_mboxwrite(const char *fn)
{
  die(EXIT_TEMP, esc_errno(), "Unable to write ", fn, 1);
}
static void NORETURN die_slowlock(void)
{
  die(EXIT_TEMP, ESC_SYSTEM, "File has been locked for 30 seconds straight", "", 0);
}
static void NORETURN die_crashed(void) { die(EXIT_TEMP, ESC_SYSTEM, "Aack, child crashed", "", 0); }
static void NORETURN die_progtimeout(void)
{
  die(EXIT_TEMP, ESC_SYSTEM, "Timeout on program delivery", "", 0);
}
static void NORETURN die_shell(void) { die(EXIT_TEMP, ESC_SYSTEM, "Unable to run /bin/sh", "", 1); }
/* a failing program that said nothing: its exit code is the reason */
static void NORETURN die_progsilent(int code, const char *num)
{
  die(code, ESC_SYSTEM, "Program failed with exit code ", num, 0);
}
static void NORETURN die_qqstart(const char *p) { die(EXIT_TEMP, ESC_SYSTEM, "Unable to run ", p, 1); }
static void NORETURN die_forward(int qq)
{
  if (qq_temporary(qq)) die(EXIT_TEMP, ESC_SYSTEM, "Unable to forward message: ", qq_text(qq), 0);
  die(EXIT_PERM, ESC_SYSTEM, "Unable to forward message: ", qq_text(qq), 0);
}

/* The timer of a delivery: a program's process group is killed (the
 * waiting code reports it); a file delivery is taken back here. */
static void on_alarm(int sig)
{
  if (watch.prog > 0) {
    kill(-watch.prog, SIGKILL);
    watch.expired = 1;
    alarm(1);     /* interrupt the report read again should it block */
    return;
  }
  if (watch.maildir) maildir_abort(watch.maildir);
  if (watch.mbox) mbox_abort(watch.mbox);
  die(EXIT_TEMP, ESC_SYSTEM, "Timeout on file delivery", "", 0);
}

static void rewind_message(void)
{
  if (lseek(0, 0, SEEK_SET) < 0) die_rewind();
}

static void cat(struct str *s, const char *a)
{
  if (str_cats(s, a) < 0) die_nomem();
}

static void put_env(const char *name, const char *value)
{
  if (setenv(name, value, 1) < 0) die_nomem();
}

/* ---- the home directory and the added header lines ---- */

static void check_home(const struct job *j)
{
  struct stat st;
  if (stat(".", &st) < 0) die_stathome();
  if (st.st_mode & S_IWOTH) die_homewritable();
  if (st.st_mode & S_ISVTX) {
    if (j->doit) die_sticky();
    diag_warn("home directory is sticky", (char *)0);
  }
}

static void newline_to_underscore(struct str *s)
{
  size_t i;
  for (i = 0; i < s->len; i++) if (s->s[i] == '\n') s->s[i] = '_';
}

/* Delivered-To, Return-Path and the mbox From line, each with its newline */
static void make_lines(struct job *j)
{
  cat(&j->dtline, "Delivered-To: ");
  cat(&j->dtline, j->local);
  cat(&j->dtline, "@");
  cat(&j->dtline, j->host);
  newline_to_underscore(&j->dtline);
  cat(&j->dtline, "\n");
  cat(&j->rpline, "Return-Path: <");
  if (*j->sender && addr_quote(&j->rpline, j->sender) < 0) die_nomem();
  newline_to_underscore(&j->rpline);
  cat(&j->rpline, ">\n");
  if (mbox_fromline(&j->ufline, j->sender, time(0)) < 0) die_nomem();
}

/* ---- the loop check ---- */

static int is_blank(const struct str *l)
{
  return (l->len == 1 && l->s[0] == '\n') || (l->len == 2 && l->s[0] == '\r' && l->s[1] == '\n');
}

/* a header line equal to our Delivered-To line, case aside */
static int is_dtline(const struct str *l, const struct str *dt)
{
  size_t n = l->len;
  if (n && l->s[n - 1] == '\n') n--;
  if (n && l->s[n - 1] == '\r') n--;
  return n == dt->len - 1 && !strncasecmp(l->s, dt->s, n);
}

/* the rest of a line too long to be a Delivered-To line; bytes skipped */
static size_t skip_line(struct buf *in, struct str *scratch)
{
  size_t n = 0;
  int r;
  do {
    scratch->len = 0;
    r = buf_getline(in, scratch, COPY_SIZE);
    if (r < 0) die_read();
    n += scratch->len;
  } while (r == 2 && n < HEADER_MAX);
  return n;
}

static void check_loop(const struct job *j)
{
  char space[COPY_SIZE];
  struct buf in;
  struct str line = STR_ZERO;
  size_t bytes = 0;
  unsigned long lines = 0;
  rewind_message();
  buf_init(&in, 0, space, sizeof space);
  while (bytes < HEADER_MAX && lines++ < HEADER_LINES_MAX) {
    int r;
    line.len = 0;
    r = buf_getline(&in, &line, j->dtline.len + 1);
    if (r < 0) die_read();
    if (r == 0 || is_blank(&line)) break;
    bytes += line.len;
    if (r == 2) bytes += skip_line(&in, &line);
    else if (is_dtline(&line, &j->dtline)) die_loop();
  }
  str_free(&line);
}

/* ---- the environment of programs (qmail-command(8)) ---- */

/* EXT2..EXT4: ext after its first, second, third dash */
static void put_exts(const struct job *j)
{
  const char *x = j->ext;
  char var[5] = "EXT2";
  for (var[3] = '2'; var[3] <= '4'; var[3]++) {
    x += strcspn(x, "-");
    if (*x) x++;
    put_env(var, x);
  }
}

/* the length of s[0..n) before its last c, n when there is none */
static size_t before_last(const char *s, size_t n, char c)
{
  size_t i = n;
  while (i) if (s[--i] == c) return i;
  return n;
}

/* HOST2..HOST4: the domain without its last one, two, three parts */
static void put_hosts(const struct job *j)
{
  struct str h = STR_ZERO;
  size_t n = strlen(j->host);
  char var[6] = "HOST2";
  for (var[4] = '2'; var[4] <= '4'; var[4]++) {
    n = before_last(j->host, n, '.');
    if (str_copyb(&h, j->host, n) < 0) die_nomem();
    put_env(var, h.s);
  }
  str_free(&h);
}

static void put_environment(const struct job *j)
{
  struct str rcpt = STR_ZERO;
  put_env("USER", j->user);
  put_env("HOME", j->home);
  put_env("LOCAL", j->local);
  put_env("HOST", j->host);
  put_env("SENDER", j->sender);
  cat(&rcpt, j->local);
  cat(&rcpt, "@");
  cat(&rcpt, j->host);
  put_env("RECIPIENT", rcpt.s);
  put_env("DTLINE", j->dtline.s);
  put_env("RPLINE", j->rpline.s);
  put_env("UFLINE", j->ufline.s);
  put_env("EXT", j->ext);
  put_env("PATH", j->path.s);
  put_exts(j);
  put_hosts(j);
  unsetenv("DEFAULT");
  str_free(&rcpt);
}

/* ---- finding the instructions ---- */

/* open name when it is a regular file: 1 found (fd and xbit set), 0 not */
static int qmail_open(const char *name, int *fd, int *xbit)
{
  struct stat st;
  *fd = open(name, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (*fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || !err_temporary(errno)) return 0;
    die_qmail(name);
  }
  if (fstat(*fd, &st) < 0) die_qmail(name);
  if (!S_ISREG(st.st_mode)) { close(*fd); return 0; }
  /* qmail's conf-patrn 002: only a world-writable file is refused, since
   * with Debian's private groups and umask 002 users' own files (and
   * ezmlm-make's) are group-writable */
  if (st.st_mode & S_IWOTH) die_qmailwritable();
  *xbit = (st.st_mode & S_IXUSR) != 0;
  return 1;
}

/* qmail-local's order: .qmail-EXT, then the -default files of EXT from
 * the right (.qmail-a-b-default, .qmail-a-default, .qmail-default),
 * with DEFAULT set to the part of EXT that -default stood for */
static int qmail_search(const struct job *j, int *fd, int *xbit, struct str *name)
{
  size_t n = j->safeext.len, i = n + 1;
  int r;
  if (!*j->ext) return qmail_open(j->base.s, fd, xbit);
  if (qmail_open(j->base.s, fd, xbit)) {
    if (n >= 7 && !memcmp(j->safeext.s + n - 7, "default", 7)) put_env("DEFAULT", j->ext + n - 7);
    return 1;
  }
  while ((r = dotqmail_default(name, j->dash, &j->safeext, &i)) == 1)
    if (qmail_open(name->s, fd, xbit)) { put_env("DEFAULT", j->ext + i); return 1; }
  if (r < 0) die_nomem();
  return 0;
}

static void read_qmail(int fd, const char *name, struct str *out)
{
  char b[4096];
  for (;;) {
    ssize_t r = fd_read_retry(fd, b, sizeof b);
    if (r < 0) die_qmail(name);
    if (r == 0) break;
    if (out->len + (size_t)r > QMAIL_MAX) die_qmailbig(name);
    if (str_catb(out, b, (size_t)r) < 0) die_nomem();
  }
  close(fd);
}

/* the .qmail file found, or defaultdelivery when there is none (for the
 * user's own address) or it is empty; no file for an extension bounces */
static void find_instructions(struct job *j)
{
  struct str name = STR_ZERO;
  int fd, xbit = 0;
  if (qmail_search(j, &fd, &xbit, &name)) {
    read_qmail(fd, name.len ? name.s : j->base.s, &j->cmds);
    j->forwardonly = xbit;
  } else if (*j->ext && *j->dash) {
    die_nomailbox();
  }
  if (!j->cmds.len) {
    cat(&j->cmds, j->defaultdelivery);
    j->forwardonly = 0;
  }
  if (dotqmail_ready(&j->cmds) < 0) die_nomem();
  str_free(&name);
}

static int owner_exists(const struct job *j, const char *suffix)
{
  struct str n = STR_ZERO;
  struct stat st;
  int found;
  cat(&n, j->base.s);
  cat(&n, suffix);
  found = stat(n.s, &st) == 0;
  if (!found && errno != ENOENT && errno != ENOTDIR && err_temporary(errno)) die_qmail(n.s);
  str_free(&n);
  return found;
}

/* the envelope sender of forwards (dot-qmail(5)): the original one, or
 * local-owner@domain when .qmail-EXT-owner exists (a VERP when
 * .qmail-EXT-owner-default exists too); bounces keep their null sender */
static void make_newsender(struct job *j)
{
  int owner = *j->sender && strcmp(j->sender, "#@[]") && owner_exists(j, "-owner");
  if (!owner) {
    cat(&j->newsender, j->sender);
  } else {
    cat(&j->newsender, j->local);
    if (owner_exists(j, "-owner-default")) {
      cat(&j->newsender, "-owner-@");
      cat(&j->newsender, j->host);
      cat(&j->newsender, "-@[]");
    } else {
      cat(&j->newsender, "-owner@");
      cat(&j->newsender, j->host);
    }
  }
  put_env("NEWSENDER", j->newsender.s);
}

/* ---- deliveries ---- */

static void say(const char *what, const char *arg)
{
  struct str s = STR_ZERO;
  cat(&s, what);
  cat(&s, arg);
  cat(&s, "\n");
  fd_write_all(1, s.s, s.len);
  str_free(&s);
}

/* the message from fd 0 to out: 0 done, -1 a read error, -2 a write error */
static int copy_message(struct buf *out)
{
  char b[COPY_SIZE];
  for (;;) {
    ssize_t r = fd_read_retry(0, b, sizeof b);
    if (r < 0) return -1;
    if (r == 0) return 0;
    if (buf_put(out, b, (size_t)r) < 0) return -2;
  }
}

static void deliver_maildir(const struct job *j, const char *dir)
{
  char space[COPY_SIZE];
  struct maildir_tmp t;
  struct buf out;
  int r;
  rewind_message();
  if (maildir_open(&t, dir) < 0) die_maildir(dir);
  watch.maildir = &t;
  alarm(FILE_DEADLINE);
  buf_init(&out, t.fd, space, sizeof space);
  r = 0;
  if (buf_putstr(&out, &j->rpline) < 0 || buf_putstr(&out, &j->dtline) < 0) r = -2;
  if (r == 0) r = copy_message(&out);
  if (r == 0 && buf_flush(&out) < 0) r = -2;
  if (r == 0) r = maildir_commit(&t) < 0 ? -2 : 0;    /* a failed commit cleans up */
  else maildir_abort(&t);
  alarm(0);
  watch.maildir = 0;
  if (r == -1) die_read();
  if (r == -2) die_maildir(dir);
}

static void deliver_mbox(const struct job *j, const char *fn)
{
  char ispace[COPY_SIZE], ospace[COPY_SIZE];
  struct mbox m;
  struct buf in, out;
  int r;
  rewind_message();
  if (mbox_open(&m, fn, MBOX_LOCK_WAIT) < 0) {
    if (errno == ETIMEDOUT) die_slowlock();
    die_mboxopen(fn);
  }
  watch.mbox = &m;
  alarm(FILE_DEADLINE);
  buf_init(&in, 0, ispace, sizeof ispace);
  buf_init(&out, m.fd, ospace, sizeof ospace);
  r = 0;
  if (buf_putstr(&out, &j->ufline) < 0 || buf_putstr(&out, &j->rpline) < 0) r = -2;
  if (r == 0 && buf_putstr(&out, &j->dtline) < 0) r = -2;
  if (r == 0) r = mbox_copy(&in, &out);
  if (r == 0 && buf_flush(&out) < 0) r = -2;
  if (r == 0) r = mbox_commit(&m) < 0 ? -2 : 0;      /* a failed commit takes it back */
  else mbox_abort(&m);
  alarm(0);
  watch.mbox = 0;
  if (r == -1) die_read();
  if (r == -2) die_mboxwrite(fn);
}

/* qmail-command(8): what a program's exit code means (esc.h's table) */
enum outcome { DONE, STOP, PERM, TEMP };
static enum outcome program_outcome(int code)
{
  const char *st = esc_exit(code);
  if (code == EXIT_STOP) return STOP;
  return st[0] == '2' ? DONE : st[0] == '5' ? PERM : TEMP;
}

static void NORETURN run_program(const char *cmd, int out)
{
  setpgid(0, 0);    /* its own process group, so a time-out kills all of it */
  if (dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(EXIT_TEMP);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGALRM, SIG_DFL);
  execl("/bin/sh", "sh", "-c", cmd, (char *)0);
  die_shell();
}

/* pass the program's output on as our report, up to REPORT_MAX bytes;
 * returns how many bytes it wrote */
static size_t pass_report(int fd)
{
  char b[4096];
  size_t total = 0;
  for (;;) {
    ssize_t r = read(fd, b, sizeof b);
    if (r < 0 && errno == EINTR && !watch.expired) continue;
    if (r <= 0) return total;
    if (total < REPORT_MAX)
      fd_write_all(1, b, (size_t)r < REPORT_MAX - total ? (size_t)r : REPORT_MAX - total);
    total += (size_t)r;
  }
}

static int reap(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) die_crashed();
  return st;
}

/* the end of a program: 1 when it asked to stop (99); failures die here,
 * with the program's own output as the report when it said anything */
static int program_result(int st, size_t said)
{
  char num[16];
  int code;
  if (watch.expired) die_progtimeout();
  if (!WIFEXITED(st)) die_crashed();
  code = WEXITSTATUS(st);
  switch (program_outcome(code)) {
  case DONE: return 0;
  case STOP: return 1;
  case PERM: code = EXIT_PERM; break;
  case TEMP: code = EXIT_TEMP; break;
  }
  if (said) _exit(code);
  snprintf(num, sizeof num, "%d", WEXITSTATUS(st));
  die_progsilent(code, num);
}

static void deliver_program(struct job *j, const char *cmd)
{
  int p[2], st;
  size_t said;
  pid_t pid;
  rewind_message();
  if (pipe2(p, O_CLOEXEC) < 0) die_fork();
  pid = fork();
  if (pid < 0) die_fork();
  if (pid == 0) run_program(cmd, p[1]);
  close(p[1]);
  setpgid(pid, pid);
  watch.expired = 0;
  watch.prog = pid;
  alarm((unsigned)j->timeout);
  said = pass_report(p[0]);
  st = reap(pid);
  alarm(0);
  watch.prog = 0;
  close(p[0]);
  j->stop = program_result(st, said);
}

static int copy_to_qq(struct qq *q)
{
  char b[COPY_SIZE];
  for (;;) {
    ssize_t r = fd_read_retry(0, b, sizeof b);
    if (r < 0) return -1;
    if (r == 0 || qq_put(q, b, (size_t)r) < 0) return 0;   /* qq_close tells */
  }
}

/* SRS: a foreign sender of a forward becomes SRS0-...@srsdomain, so
 * that SPF at the next hop sees our domain */
static void srs_rewrite(struct job *j)
{
  struct str out = STR_ZERO;
  if (srs_sender(&j->srs, j->newsender.s, time(0), &out) < 0) die_nomem();
  j->newsender.len = 0;
  cat(&j->newsender, out.s);
  str_free(&out);
}

/* every forward address in one queue-writer run, our Delivered-To first */
static void deliver_forwards(struct job *j)
{
  struct qq q;
  size_t pos = 0;
  const char *a;
  int r;
  rewind_message();
  if (qq_open(&q, j->qqprog.s) < 0) die_qqstart(j->qqprog.s);
  j->qp = (long)q.pid;
  qq_put(&q, j->dtline.s, j->dtline.len);
  if (copy_to_qq(&q) < 0) { qq_abort(&q); die_read(); }
  srs_rewrite(j);
  if (qq_from(&q, j->newsender.s) < 0) die_nomem();
  while ((a = control_next(&j->forwards, &pos)))
    if (qq_to(&q, a) < 0) die_nomem();
  r = qq_close(&q);
  if (r < 0) die_crashed();
  if (r != QQ_OK) die_forward(r);
}

/* ---- following the instructions ---- */

static void file_line(struct job *j, const char *line, int maildir)
{
  j->nfile++;
  if (j->forwardonly) die_xbitfile();
  if (!j->doit) say(maildir ? "maildir " : "mbox ", line);
  else if (maildir) deliver_maildir(j, line);
  else deliver_mbox(j, line);
}

static void program_line(struct job *j, const char *cmd)
{
  j->nprogram++;
  if (j->forwardonly) die_xbitprog();
  if (!j->doit) say("program ", cmd);
  else deliver_program(j, cmd);
}

/* forwards wait until every other instruction has succeeded */
static void forward_line(struct job *j, const char *a)
{
  j->nforward++;
  if (!j->doit) { say("forward ", a); return; }
  if (!*a || strlen(a) > ADDR_MAX) die_badforward(a);
  if (str_catb(&j->forwards, a, strlen(a) + 1) < 0) die_nomem();
}

static void one_line(struct job *j, const struct dotqmail_line *l, int first)
{
  switch (l->kind) {
  case DOTQMAIL_BLANK: if (first) die_blankfirst(); return;
  case DOTQMAIL_COMMENT: case DOTQMAIL_IGNORED: return;
  case DOTQMAIL_MBOX: case DOTQMAIL_MAILDIR: file_line(j, l->arg, l->kind == DOTQMAIL_MAILDIR); return;
  case DOTQMAIL_PROGRAM: program_line(j, l->arg); return;
  case DOTQMAIL_LIST: j->forwardonly = 1; return;
  case DOTQMAIL_FORWARD: forward_line(j, l->arg); return;
  }
}

/* each line in turn (dotqmail.h), until the end or a 99 */
static void follow(struct job *j)
{
  struct dotqmail_line l;
  size_t pos = 0;
  int first = 1;
  while (!j->stop && dotqmail_next(&j->cmds, &pos, &l)) {
    one_line(j, &l, first);
    first = 0;
  }
  if (j->doit && j->forwards.len) deliver_forwards(j);
}

static void report(const struct job *j)
{
  struct str s = STR_ZERO;
  if (str_catf(&s, "did %lu+%lu+%lu\n", j->nfile, j->nforward, j->nprogram) < 0) die_nomem();
  if (j->qp && str_catf(&s, "qp %ld\n", j->qp) < 0) die_nomem();
  fd_write_all(1, s.s, s.len);
  str_free(&s);
}

/* ---- setting up ---- */

static void parse_args(struct job *j, int argc, char **argv)
{
  if (argc != 8) die_usage();
  j->user = argv[0]; j->home = argv[1]; j->local = argv[2]; j->dash = argv[3];
  j->ext = argv[4]; j->host = argv[5]; j->sender = argv[6]; j->defaultdelivery = argv[7];
  if (j->home[0] != '/') die_usage();
  if (*j->ext && !addr_local_safe(j->ext, strlen(j->ext))) die_unsafe();
  if (dotqmail_base(&j->base, &j->safeext, j->dash, j->ext) < 0) die_nomem();
}

/* control/srsdomain, srssecret and locals, when SRS is wanted */
static void read_srs(struct job *j, const char *home)
{
  if (srs_load(&j->srs, home) < 0) die_srscontrol();
}

/* quail's bin first in PATH, as qmail's rc puts /var/qmail/bin there: a
 * .qmail file's "|preline procmail" finds qmail's helper programs */
static void bin_path(struct job *j, const char *home)
{
  const char *path = getenv("PATH");
  char cwd[4096];
  if (home[0] != '/' && getcwd(cwd, sizeof cwd)) { cat(&j->path, cwd); cat(&j->path, "/"); }
  cat(&j->path, home);
  cat(&j->path, "/bin:");
  cat(&j->path, path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
}

/* control/timeoutlocal and the queue program, read before we leave the
 * directory a relative QUAIL_HOME is relative to */
static void read_config(struct job *j)
{
  const char *home = home_dir(getenv("QUAIL_HOME"));
  const char *qq = getenv("QMAILQUEUE");
  struct str path = STR_ZERO;
  char cwd[4096];
  bin_path(j, home);
  if (!qq || !*qq) { cat(&path, home); cat(&path, "/bin/queue-writer"); qq = path.s; }
  if (qq[0] != '/' && getcwd(cwd, sizeof cwd)) { cat(&j->qqprog, cwd); cat(&j->qqprog, "/"); }
  cat(&j->qqprog, qq);
  path.len = 0;
  cat(&path, home);
  cat(&path, "/control/timeoutlocal");
  if (j->doit && control_readulong(path.s, &j->timeout, TIMEOUT_DEFAULT) < 0) die_control();
  if (!j->timeout) j->timeout = TIMEOUT_DEFAULT;
  if (j->timeout > TIMEOUT_MAX) j->timeout = TIMEOUT_MAX;
  if (j->doit) read_srs(j, home);
  str_free(&path);
}

static void install_timer(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;    /* no SA_RESTART: the read of a report stops */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, 0);
}

int main(int argc, char **argv)
{
  struct job j;
  int opt;

  diag_init("deliver-local");
  umask(077);
  signal(SIGPIPE, SIG_IGN);
  memset(&j, 0, sizeof j);
  j.doit = 1;
  /* the recipient and sender off /proc/PID/cmdline (quail-security(7)) */
  if (priv_hide_args(argc, argv) < 0) die_nomem();
  while ((opt = getopt(argc, argv, "+nN")) != -1)
    if (opt == 'n') j.doit = 0;
    else if (opt == 'N') j.doit = 1;
    else die_usage();
  parse_args(&j, argc - optind, argv + optind);
  read_config(&j);
  if (chdir(j.home) < 0) die_chdir(j.home);
  check_home(&j);

  make_lines(&j);
  if (j.doit) check_loop(&j);
  put_environment(&j);
  find_instructions(&j);
  make_newsender(&j);

  install_timer();
  follow(&j);
  report(&j);
  return EXIT_OK;
}
