/* mbox2maildir: move the messages of an mbox into a Maildir.
 *
 * Reads the environment: MAIL (the mbox file) and MAILDIR (the Maildir),
 * as maildir2mbox does. Locks MAIL (flock and fcntl, as every quail
 * program that appends to an mbox), splits it at each "From " line that
 * begins the file or follows an empty line, and delivers each message
 * into MAILDIR the crash-safe way (tmp/, fsync, new/, fsync of new/): a
 * message appears in new/ whole or not at all. The "From " line becomes
 * "Return-Path: <sender>" unless the message has one first; ">From "
 * quoting is undone (one '>' less before a line matching ^>+From , as
 * mboxrd writers and quail's mbox deliveries quote); the empty line that
 * separates two messages is not kept; the delivered file gets the date of
 * the "From " line as its time. Only once every message is in new/ is
 * MAIL emptied (truncated and fsynced) and unlocked. A crash in between
 * leaves the mbox whole: running again delivers those messages twice, and
 * never loses one. Lines of any length are copied in bounded pieces.
 * Exit codes: 0 done (also for an empty or missing mbox); 100 usage, or
 * MAIL is not an mbox (it does not begin with "From "); 111 failure
 * (messages delivered so far stay in the Maildir, MAIL is left whole). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "maildir.h"
#include "mbox.h"
#include "str.h"

#define PIECE_MAX 65536         /* bytes of a line read at once */
#define SENDER_MAX 2048         /* bytes of a From line's sender kept */

struct job {
  const char *mail, *maildir;
  int fd;                       /* MAIL, read and then emptied */
  struct buf in;
  char space[BUF_SIZE * 8];
  struct str line;
  int at_start;                 /* line holds the start of a line */
  struct maildir_tmp m;
  int open;                     /* m is a message being written */
  struct buf out;
  char ospace[BUF_SIZE];
  time_t when;                  /* the From line's date, 0 unknown */
  unsigned long count;
};

static void __attribute__((noreturn)) die_unset(const char *var)
{
  diag_die(EXIT_TEMP, var, " is not set", (char *)0);
}
static void __attribute__((noreturn)) die_lock(const char *mail)
{
  if (errno == ETIMEDOUT)
    diag_die(EXIT_TEMP, "unable to lock ", mail, ": it stayed locked too long", (char *)0);
  diag_diesys(EXIT_TEMP, "unable to open and lock ", mail, (char *)0);
}
static void __attribute__((noreturn)) die_read(const char *mail)
{
  diag_diesys(EXIT_TEMP, "unable to read ", mail, (char *)0);
}
static void __attribute__((noreturn)) die_not_mbox(const char *mail)
{
  diag_die(EXIT_PERM, mail, " is not an mbox: it does not begin with a From line", (char *)0);
}
static void __attribute__((noreturn)) die_write(struct job *j)
{
  if (j->open) maildir_abort(&j->m);
  diag_diesys(EXIT_TEMP, "unable to write a message into ", j->maildir, (char *)0);
}
static void __attribute__((noreturn)) die_empty(const char *mail)
{
  diag_diesys(EXIT_TEMP, "every message was delivered, but unable to empty ", mail,
              " (running again would deliver them twice)", (char *)0);
}

/* open and lock MAIL for reading and emptying; 0 when there is none */
static int mail_open(const char *mail)
{
  struct stat st;
  /* O_NONBLOCK: a FIFO in the mailbox's place must not hang us */
  int fd = open(mail, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return -1;
  if (fd < 0 || fstat(fd, &st) < 0) die_lock(mail);
  if (!S_ISREG(st.st_mode)) { errno = EINVAL; die_lock(mail); }
  if (fcntl(fd, F_SETFL, 0) < 0 || mbox_lock(fd, MBOX_LOCK_WAIT) < 0) die_lock(mail);
  return fd;
}

/* the next piece of input into j->line: 1 a whole line, 2 a piece of a
 * longer one, 0 at the end */
static int next(struct job *j)
{
  int r;
  j->line.len = 0;
  r = buf_getline(&j->in, &j->line, PIECE_MAX);
  if (r < 0) die_read(j->mail);
  if (r == 0 && j->line.len) r = 1;  /* an unterminated last line */
  return r;
}

static int is_from(const struct str *l, int at_start)
{
  return at_start && l->len >= 5 && !memcmp(l->s, "From ", 5);
}

/* "From SENDER DATE": the sender ("" for MAILER-DAEMON) and the date */
static void from_line(struct job *j, struct str *sender)
{
  const char *s = j->line.s + 5, *e = j->line.s + j->line.len, *sp;
  struct tm tm;
  char date[64];
  size_t n;
  while (s < e && *s == ' ') s++;
  sp = memchr(s, ' ', (size_t)(e - s));
  if (!sp) sp = e;
  n = (size_t)(sp - s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
  if (n > SENDER_MAX) n = SENDER_MAX;
  if (str_copyb(sender, s, n) < 0 || str_0(sender) < 0) diag_nomem();
  if (!strcmp(sender->s, "MAILER-DAEMON")) sender->len = 0, sender->s[0] = 0;
  j->when = 0;
  n = sp < e ? (size_t)(e - sp) : 0;
  if (n && n < sizeof date) {
    memcpy(date, sp, n);
    date[n] = 0;
    memset(&tm, 0, sizeof tm);
    if (strptime(date, " %a %b %d %H:%M:%S %Y", &tm)) j->when = timegm(&tm);
  }
}

static void put(struct job *j, const char *s, size_t n)
{
  if (buf_put(&j->out, s, n) < 0) die_write(j);
}

/* begin a message: a Maildir tmp file, its Return-Path unless the first
 * header line (already in j->line) is one */
static void begin(struct job *j, const struct str *sender)
{
  if (maildir_open(&j->m, j->maildir) < 0) die_write(j);
  j->open = 1;
  buf_init(&j->out, j->m.fd, j->ospace, sizeof j->ospace);
  if (j->line.len >= 12 && !strncasecmp(j->line.s, "Return-Path:", 12)) return;
  put(j, "Return-Path: <", 14);
  put(j, sender->s, sender->len);
  put(j, ">\n", 2);
}

/* end a message: its time the From line's, flushed, fsynced, in new/ */
static void end(struct job *j)
{
  struct timespec t[2];
  if (buf_flush(&j->out) < 0) die_write(j);
  if (j->when) {
    t[0].tv_sec = t[1].tv_sec = j->when;
    t[0].tv_nsec = t[1].tv_nsec = 0;
    futimens(j->m.fd, t);   /* a time only: no failure */
  }
  if (maildir_commit(&j->m) < 0) { j->open = 0; die_write(j); }
  j->open = 0;
  j->count++;
}

/* one line (or piece) of a message body: ">From " quoting undone */
static void body(struct job *j, int at_start)
{
  const char *s = j->line.s;
  size_t n = j->line.len, i = 0;
  if (at_start) {
    while (i < n && s[i] == '>') i++;
    if (i && n - i >= 5 && !memcmp(s + i, "From ", 5)) { s++; n--; }
  }
  put(j, s, n);
}

/* copy every message; the empty line before a From line (and at the very
 * end) separates messages and is held back until the next line shows it */
static void split(struct job *j)
{
  struct str sender = STR_ZERO;
  int r, at_start = 1, blank = 0, first;
  r = next(j);
  if (!r) return;
  if (!is_from(&j->line, 1)) die_not_mbox(j->mail);
  for (;;) {
    from_line(j, &sender);
    r = next(j);
    begin(j, &sender);
    at_start = 1, blank = 0, first = 1;
    for (; r; r = next(j)) {
      if (is_from(&j->line, at_start) && (blank || first)) break;
      if (blank) put(j, "\n", 1);
      blank = at_start && r == 1 && j->line.len == 1 && j->line.s[0] == '\n';
      if (!blank) body(j, at_start);
      at_start = r == 1;
      first = 0;
    }
    end(j);
    if (!r) break;
  }
  str_free(&sender);
}

int main(int argc, char **argv)
{
  static struct job j;

  diag_init("mbox2maildir");
  umask(077);
  if (argc > 1) diag_usage("");
  if (!(j.mail = getenv("MAIL")) || !*j.mail) die_unset("MAIL");
  if (!(j.maildir = getenv("MAILDIR")) || !*j.maildir) die_unset("MAILDIR");
  if ((j.fd = mail_open(j.mail)) < 0) return 0;
  buf_init(&j.in, j.fd, j.space, sizeof j.space);
  split(&j);
  if (j.count && (ftruncate(j.fd, 0) < 0 || fsync(j.fd) < 0)) die_empty(j.mail);
  close(j.fd);
  return 0;
}
