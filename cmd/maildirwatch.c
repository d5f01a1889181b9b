/* maildirwatch: look for new mail in a Maildir, as qmail's maildirwatch
 * does: twice a minute it clears the window (VT100: ESC [H ESC [J) and
 * prints a summary of the unread messages in $MAILDIR, oldest first:
 *
 *   HOST: 2 new messages in /home/joe/Maildir
 *
 *   From: Alice <alice@example.org>
 *   Subject: lunch?
 *
 * Unread: every file of new/, and those of cur/ without the S (seen)
 * flag. At most SHOWN_MAX messages are shown, from the first HEADER_MAX
 * bytes of each; control bytes are shown as '?'. It runs until killed.
 * Exit codes: 100 usage or MAILDIR not set; 111 MAILDIR cannot be read
 * or stdout written. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "str.h"

#define INTERVAL   30           /* seconds between summaries */
#define SHOWN_MAX  50           /* messages shown */
#define NAMES_MAX  10000        /* file names read from each directory */
#define HEADER_MAX 8192         /* bytes of a message read */
#define LINE_SHOWN 78
#define CLEAR      "\033[H\033[J"

static void __attribute__((noreturn)) die_env(void) { diag_die(EXIT_PERM, "MAILDIR not set", (char *)0); }
static void __attribute__((noreturn)) die_read(const char *d) { diag_diesys(EXIT_TEMP, "unable to read ", d, (char *)0); }
static void __attribute__((noreturn)) die_write(void) { diag_diesys(EXIT_TEMP, "unable to write", (char *)0); }
static void __attribute__((noreturn)) die_nomem(void) { diag_nomem(); }

/* is a file of cur/ unread: no S among its flags (after ":2,") */
static int unread(const char *sub, const char *name)
{
  const char *info = strstr(name, ":2,");
  return !strcmp(sub, "new") || !info || !strchr(info + 3, 'S');
}

/* "sub/name" of every unread message into names, NUL-separated */
static void scan(const char *sub, struct str *names)
{
  DIR *d = opendir(sub);
  struct dirent *e;
  int n = 0;
  if (!d) die_read(sub);
  while ((e = readdir(d)) && n < NAMES_MAX) {
    if (e->d_name[0] == '.' || !unread(sub, e->d_name)) continue;
    if (str_catf(names, "%s/%s", sub, e->d_name) < 0 || str_catc(names, 0) < 0) die_nomem();
    n++;
  }
  closedir(d);
}

static int by_name(const void *a, const void *b)
{
  const char *x = strchr(*(char *const *)a, '/') + 1, *y = strchr(*(char *const *)b, '/') + 1;
  return strcmp(x, y);
}

/* one header line, shown: cut, control bytes as '?' */
static void show(struct str *out, const char *s, size_t n)
{
  size_t i;
  if (n > LINE_SHOWN) n = LINE_SHOWN;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (str_catc(out, c < 32 || c == 127 ? '?' : (char)c) < 0) die_nomem();
  }
  if (str_catc(out, '\n') < 0) die_nomem();
}

/* From and Subject of the message file fn */
static void message(struct str *out, const char *fn)
{
  char b[HEADER_MAX + 1];
  ssize_t n = 0;
  int fd = open(fn, O_RDONLY | O_CLOEXEC);
  const char *p, *end;
  if (fd >= 0) { n = read(fd, b, HEADER_MAX); close(fd); }
  if (n < 0) n = 0;
  b[n] = 0;
  for (p = b; *p && *p != '\n'; p = end + (*end == '\n')) {
    end = p + strcspn(p, "\n");
    if (case_starts(p, "from:") || case_starts(p, "subject:")) show(out, p, (size_t)(end - p));
  }
  if (str_catc(out, '\n') < 0) die_nomem();
}

static void summary(const char *host, const char *maildir, struct str *out)
{
  struct str names = STR_ZERO;
  const char **v;
  size_t i, n = 0;
  scan("new", &names);
  scan("cur", &names);
  for (i = 0; i < names.len; i++) if (!names.s[i]) n++;
  v = calloc(n ? n : 1, sizeof *v);
  if (!v) die_nomem();
  for (i = 0, n = 0; i < names.len; i += strlen(names.s + i) + 1) v[n++] = names.s + i;
  qsort(v, n, sizeof *v, by_name);
  out->len = 0;
  if (str_catf(out, "%s%s: %lu new message%s in %s\n\n", CLEAR, host, (unsigned long)n, n == 1 ? "" : "s",
               maildir) < 0) die_nomem();
  for (i = 0; i < n && i < SHOWN_MAX; i++) message(out, v[i]);
  free(v);
  str_free(&names);
}

int main(int argc, char **argv)
{
  const char *maildir = getenv("MAILDIR");
  char host[256];
  struct str out = STR_ZERO;

  diag_init("maildirwatch");
  if (argc > 1) diag_usage("");
  if (!maildir || !*maildir) die_env();
  if (chdir(maildir) < 0) die_read(maildir);
  if (gethostname(host, sizeof host) < 0) strcpy(host, "localhost");
  host[sizeof host - 1] = 0;
  for (;;) {
    summary(host, maildir, &out);
    if (fd_write_all(1, out.s, out.len) < 0) die_write();
    sleep(INTERVAL);
  }
  (void)argv;
}
