/* queue-writer: put one message into the queue (qmail-queue's protocol).
 *
 * Reads the message on fd 0 and then the envelope on fd 1
 * (F sender NUL, T recipient NUL for each, NUL). Writes:
 *   queue/tmp/PID.TIME.N   while working (a file taken from queue/free
 *                          and written over, or a new one)
 *   queue/mess/ID          the message, with a Received line first, and
 *                          an envelope of at most QENV_ATTR_MAX bytes as
 *                          its attribute user.quail.env (qenv.h)
 *   queue/mess/ID.env      a longer envelope (or one the file system
 *                          refuses as an attribute)
 * where ID is the inode number of the message file. The files and the
 * directory entries are fsynced before exit 0, then ID is written to the
 * queue/lock/trigger FIFO to wake queue-manager and "quail-queue-writer:
 * queued" to fd 1 (read by a caller that gave the envelope on a socket).
 *
 * Exit codes are qmail-queue's (exitcode.h): 0 queued (or an envelope
 * without recipients: accepted, nothing queued); 91 malformed
 * envelope; 54 end of file before the envelope's last NUL (qmail-queue's
 * read error); 11 address too long; 51-81 temporary failures. On any failure
 * nothing is left in mess/. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "date.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "qenv.h"
#include "qfree.h"
#include "qq.h"

#define DEADLINE   86400        /* seconds for the whole message */
#define COPY_SIZE  65536
#define TRIGGER_TRIES 100       /* 10 ms apart, when the FIFO is full */

struct job {
  char tmp[64];                 /* tmp/... being written */
  char mess[64];                /* mess/ID once renamed */
  char env[64];                 /* tmp/....env */
  unsigned long id;
};

static struct job *cleanup;     /* what to remove when we fail */

/* fail: remove what this run created and exit with a qmail-queue code */
static void __attribute__((noreturn)) fail(int code)
{
  if (cleanup) {
    if (cleanup->tmp[0]) unlink(cleanup->tmp);
    if (cleanup->env[0]) unlink(cleanup->env);
    if (cleanup->mess[0]) unlink(cleanup->mess);
  }
  _exit(code);
}

static void on_alarm(int sig) { fail(QQ_TIMEOUT); }
/* the client gave up (smtpd's qq_abort): leave nothing behind */
static void on_term(int sig) { fail(QQ_READ); }

/* the names in queue/free, read at the first file we make (qfree.h) */
static struct qfree_taker pool;

/* cut a recycled file after what we wrote (a new one has nothing more) */
static void cut(int fd, int recycled)
{
  if (recycled && qfree_cut(fd) < 0) fail(QQ_WRITE);
}

/* name: a recycled file from free/ (*recycled set), or a new one */
static int create(const char *name, int *recycled)
{
  int fd = qfree_take(&pool, name);
  *recycled = fd >= 0;
  if (fd >= 0 || errno == EEXIST) return fd;
  return open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);   /* the queue's owner's alone */
}

static int create_tmp(struct job *j, int *recycled)
{
  unsigned n;
  for (n = 0; n < 100; n++) {
    int fd;
    snprintf(j->tmp, sizeof j->tmp, "tmp/%ld.%ld.%u", (long)getpid(), (long)time(0), n);
    fd = create(j->tmp, recycled);
    if (fd >= 0) return fd;
    if (errno != EEXIST) break;
  }
  j->tmp[0] = 0;
  fail(QQ_QUEUEDIR);
}

/* the message's first bytes, read before the queue is touched: a sender
 * that starts us and gives up before the first byte costs the queue
 * nothing (smtpd hands over its Received line at once, so that the file
 * is ready while the client is still sending) */
static char first[COPY_SIZE];
static ssize_t first_n;
static int first_env = -1;      /* the envelope's first byte, read already */

static void read_first(void)
{
  first_n = fd_read_retry(0, first, sizeof first);
  if (first_n < 0) _exit(QQ_READ);
  if (first_n == 0) {           /* an empty message, or nothing at all */
    char c;
    ssize_t r = fd_read_retry(1, &c, 1);
    if (r <= 0) _exit(QQ_READ);     /* qmail-queue: end of file is a read error */
    first_env = (unsigned char)c;
  }
}

/* copy the message from fd 0 behind a Received line */
static void write_message(int fd)
{
  static char space[COPY_SIZE];
  struct buf out;
  char date[DATE_MAX], head[200];
  int n;
  buf_init(&out, fd, space, sizeof space);
  date_rfc5322(time(0), date);
  n = snprintf(head, sizeof head, "Received: (quail %ld invoked by uid %ld); %s\n",
               (long)getpid(), (long)getuid(), date);
  if (buf_put(&out, head, (size_t)n) < 0) fail(QQ_WRITE);
  if (first_n > 0) {
    if (buf_put(&out, first, (size_t)first_n) < 0) fail(QQ_WRITE);
    for (;;) {
      ssize_t r = fd_read_retry(0, first, sizeof first);
      if (r < 0) fail(QQ_READ);
      if (r == 0) break;
      if (buf_put(&out, first, (size_t)r) < 0) fail(QQ_WRITE);
    }
  }
  if (buf_flush(&out) < 0) fail(QQ_WRITE);
}

/* one address up to its NUL; checks the bounds and the characters */
static size_t read_addr(struct buf *in, struct buf *out)
{
  size_t len = 0;
  for (;;) {
    char c;
    if (buf_get(in, &c, 1) != 1) fail(QQ_READ);
    if (buf_put(out, &c, 1) < 0) fail(QQ_WRITE);
    if (!c) return len;
    if (c == '\n' || c == '\r') fail(QQ_ENVELOPE);
    if (++len > 1000) fail(QQ_ADDR_TOO_LONG);
  }
}

/* Where the envelope goes: into memory while it fits in the message
 * file's attribute (qenv.h), into tmp/....env once it does not. */
struct envsink {
  struct job *j;
  char mem[QENV_ATTR_MAX];
  size_t n;
  int fd;                       /* tmp/....env once made, else -1 */
  int reused;                   /* it came from free/ */
};

static void env_spill(struct envsink *e)
{
  e->fd = create(e->j->env, &e->reused);
  if (e->fd < 0) { e->j->env[0] = 0; fail(QQ_QUEUEDIR); }
  if (fd_write_all(e->fd, e->mem, e->n) < 0) fail(QQ_WRITE);
}

/* the envelope buffer's transport */
static ssize_t env_write(void *ctx, int fd, char *s, size_t n)
{
  struct envsink *e = ctx;
  (void)fd;
  if (e->fd < 0 && n <= sizeof e->mem - e->n) {
    memcpy(e->mem + e->n, s, n);
    e->n += n;
    return (ssize_t)n;
  }
  if (e->fd < 0) env_spill(e);
  return write(e->fd, s, n);
}

/* an envelope without recipients is, as for qmail-queue, a message with
 * nothing to deliver (ezmlm-send queues a post to an empty list so):
 * accepted, and nothing of it stays in the queue */
static void __attribute__((noreturn)) nothing_to_deliver(void)
{
  fail(QQ_OK);
}

/* copy and check the envelope from fd 1 */
static void write_envelope(struct envsink *e)
{
  static char ispace[4096], ospace[1024];
  struct buf in, out;
  unsigned long rcpts = 0;
  char c;
  buf_init(&in, 1, ispace, sizeof ispace);
  buf_init(&out, -1, ospace, sizeof ospace);
  buf_transport(&out, env_write, e);
  if (first_env >= 0) c = (char)first_env;
  else if (buf_get(&in, &c, 1) != 1) fail(QQ_READ);
  if (c != 'F') fail(QQ_ENVELOPE);
  if (buf_put(&out, &c, 1) < 0) fail(QQ_WRITE);
  read_addr(&in, &out);
  for (;;) {
    if (buf_get(&in, &c, 1) != 1) fail(QQ_READ);
    if (buf_put(&out, &c, 1) < 0) fail(QQ_WRITE);
    if (!c) break;
    if (c != 'T') fail(QQ_ENVELOPE);
    if (!read_addr(&in, &out)) fail(QQ_ENVELOPE);   /* empty recipient */
    rcpts++;
  }
  if (!rcpts) nothing_to_deliver();
  if (buf_flush(&out) < 0) fail(QQ_WRITE);
}

static void trigger(unsigned long id)
{
  char line[32];
  int n = snprintf(line, sizeof line, "%lu\n", id);
  int fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  int tries;
  if (fd < 0) return;         /* no queue-manager: it scans when it starts */
  for (tries = 0; tries < TRIGGER_TRIES; tries++) {
    if (write(fd, line, (size_t)n) == n) break;
    if (errno != EAGAIN) break;
    usleep(10000);
  }
  close(fd);
}

int main(int argc, char **argv)
{
  static struct envsink e;
  struct job j;
  struct stat st;
  char envname[64], heldname[64];
  int mfd, mreused;             /* mreused: the file came from free/ */
  int envfile;                  /* the envelope has a file of its own */

  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, on_alarm);
  signal(SIGTERM, on_term);
  alarm(DEADLINE);
  memset(&j, 0, sizeof j);
  if (chdir(home_dir(getenv("QUAIL_HOME"))) < 0) _exit(QQ_HOME);
  if (chdir("queue") < 0) _exit(QQ_QUEUEDIR);
  cleanup = &j;
  read_first();

  mfd = create_tmp(&j, &mreused);
  if (fstat(mfd, &st) < 0) fail(QQ_QUEUEDIR);
  j.id = (unsigned long)st.st_ino;
  write_message(mfd);
  cut(mfd, mreused);

  snprintf(envname, sizeof envname, "mess/%lu.env", j.id);
  snprintf(j.env, sizeof j.env, "%s.env", j.tmp);
  e.j = &j;
  e.fd = -1;
  write_envelope(&e);
  /* a short envelope rides on the message file: one file and one fsync
   * less; a long one, or one the file system refuses, gets its own file */
  if (e.fd < 0 && fsetxattr(mfd, QENV_ATTR, e.mem, e.n, 0) < 0) env_spill(&e);
  envfile = e.fd >= 0;
  if (envfile) {
    /* a recycled message file may still carry an old envelope */
    if (mreused && fremovexattr(mfd, QENV_ATTR) < 0 && !qenv_no_attr(errno)) fail(QQ_WRITE);
    cut(e.fd, e.reused);
  } else j.env[0] = 0;

  if (fsync(mfd) < 0 || close(mfd) < 0) fail(QQ_WRITE);
  if (envfile && (fsync(e.fd) < 0 || close(e.fd) < 0)) fail(QQ_WRITE);
  snprintf(j.mess, sizeof j.mess, "mess/%lu", j.id);
  /* an envelope file would be read before the attribute: one left by an
   * old message whose inode this is (a crash can leave one) must go */
  if (!envfile && unlink(envname) < 0 && errno != ENOENT) { j.mess[0] = 0; fail(QQ_MESS); }
  /* so must a held envelope of an old message whose inode this is: it
   * would be released onto this message */
  snprintf(heldname, sizeof heldname, "hold/%lu.env", j.id);
  if (unlink_synced(heldname) < 0) fail(QQ_MESS);
  if (rename(j.tmp, j.mess) < 0) { j.mess[0] = 0; fail(QQ_MESS); }
  j.tmp[0] = 0;
  if (envfile && rename(j.env, envname) < 0) fail(QQ_MESS);
  j.env[0] = 0;
  /* from here on the envelope names the message: remove both on failure */
  snprintf(j.env, sizeof j.env, "%s", envname);
  if (fsync_dir("mess") < 0) fail(QQ_MESS);
  cleanup = 0;
  trigger(j.id);
  /* to a caller that gave the envelope over a socket (lib/qq.c): it may
   * answer its client now; on an envelope pipe this fails, unread */
  (void)!write(1, QQ_REPORT, sizeof QQ_REPORT - 1);
  (void)argc; (void)argv;
  return QQ_OK;
}
