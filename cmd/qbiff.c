/* qbiff: announce new mail on the user's terminals, as qmail's qbiff does
 * from a .qmail file ("|qbiff" after the mailbox line).
 *
 * Reads the message header and its first body lines on stdin (at most
 * READ_MAX bytes) and the login records of utmp (_PATH_UTMP). On every
 * terminal where $USER is logged in that is a character device owned by
 * our uid with its owner-execute bit set ("biff y"), it writes, with CR LF
 * line ends and every control byte shown as '?':
 *   New mail for LOCAL@HOST from SENDER
 *   From: ...
 *   Subject: ...
 *   up to BODY_LINES lines of the body
 * A terminal that would block is skipped. Nothing is ever a failure for
 * the delivery: qbiff exits 0 (100 only for arguments, a usage error). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmp.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "str.h"

#define READ_MAX   (64 * 1024)  /* bytes of the message looked at */
#define LINE_SHOWN 78           /* bytes of a line shown */
#define BODY_LINES 4
#define TTY_MAX    64           /* bytes of "/dev/" + ut_line */
#define LOGINS_MAX 1000         /* utmp records read */

/* a line of the message as shown: control bytes as '?', cut, CR LF */
static int show(struct str *out, const char *s, size_t n)
{
  size_t i;
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
  if (n > LINE_SHOWN) n = LINE_SHOWN;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (str_catc(out, c < 32 || c == 127 ? '?' : (char)c) < 0) return -1;
  }
  return str_cats(out, "\r\n");
}

/* From and Subject of the header, then the first body lines */
static int summary(struct str *out)
{
  char space[BUF_SIZE];
  struct buf in;
  struct str line = STR_ZERO;
  size_t total = 0;
  int body = 0, shown = 0, r = 1;
  buf_init(&in, 0, space, sizeof space);
  while (r == 1 && total < READ_MAX && shown < BODY_LINES) {
    line.len = 0;
    r = buf_getline(&in, &line, READ_MAX - total);
    if (r < 0 || !line.len) break;
    total += line.len;
    if (!body && (line.s[0] == '\n' || (line.s[0] == '\r' && line.len == 2))) { body = 1; continue; }
    if (body) shown++;
    else if (str_0(&line) < 0 || !(case_starts(line.s, "from:") || case_starts(line.s, "subject:"))) continue;
    if (show(out, line.s, line.len) < 0) return -1;
  }
  str_free(&line);
  return 0;
}

#define TTY_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/"

/* the terminal of one login of user, or 0 */
static const char *tty_of(const struct utmp *u, const char *user, char tty[TTY_MAX])
{
  char line[sizeof u->ut_line + 1];
  if (u->ut_type != USER_PROCESS || strncmp(u->ut_user, user, sizeof u->ut_user)) return 0;
  memcpy(line, u->ut_line, sizeof u->ut_line);
  line[sizeof u->ut_line] = 0;
  if (!*line || strstr(line, "..") || strspn(line, TTY_CHARS) != strlen(line)) return 0;
  if (snprintf(tty, TTY_MAX, "/dev/%s", line) >= TTY_MAX) return 0;
  return tty;
}

/* write the notice on tty when its owner asked for it (biff y) */
static void notify(const char *tty, const struct str *notice)
{
  struct stat st;
  int fd = open(tty, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_APPEND | O_CLOEXEC);
  if (fd < 0) return;
  if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_uid == getuid() && (st.st_mode & S_IXUSR))
    (void)!write(fd, notice->s, notice->len);
  close(fd);
}

static void each_login(const char *user, const struct str *notice)
{
  struct utmp u;
  char tty[TTY_MAX];
  int fd = open(_PATH_UTMP, O_RDONLY | O_CLOEXEC), n = 0;
  const char *t;
  if (fd < 0) return;
  while (n++ < LOGINS_MAX && fd_read_retry(fd, (char *)&u, sizeof u) == (ssize_t)sizeof u)
    if ((t = tty_of(&u, user, tty))) notify(t, notice);
  close(fd);
}

int main(int argc, char **argv)
{
  const char *user = getenv("USER"), *sender = getenv("SENDER");
  const char *local = getenv("LOCAL"), *host = getenv("HOST");
  struct str notice = STR_ZERO;

  diag_init("qbiff");
  if (argc > 1) diag_usage("");
  if (!user || !sender || !local || !host || strlen(user) > sizeof ((struct utmp *)0)->ut_user) return EXIT_OK;
  if (str_cats(&notice, "\r\n\a") < 0) return EXIT_OK;
  {
    struct str head = STR_ZERO;
    if (str_catf(&head, "New mail for %s@%s from %s", local, host, *sender ? sender : "<>") < 0
        || show(&notice, head.s, head.len) < 0) return EXIT_OK;
    str_free(&head);
  }
  if (summary(&notice) < 0) return EXIT_OK;
  each_login(user, &notice);
  (void)argv;
  return EXIT_OK;
}
