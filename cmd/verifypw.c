/* verifypw: check a password for SMTP AUTH, the checkpassword interface
 * without becoming the user (cr.yp.to/checkpwd/interface.html).
 *
 *   verifypw prog [args...]
 *
 * Installed setuid root, executable by group nofiles only (smtpd's
 * quaild): root is used for one thing, opening HOME/users/passwd.cdb
 * (0600 root), at once; then every id is set back to the caller's for
 * good, before anything is read from fd 3. The caller never gets the
 * hashes: the process is not dumpable (it was setuid), and it only
 * answers with its exit code. HOME is the compiled-in prefix when run
 * setuid (QUAIL_HOME is ignored), QUAIL_HOME otherwise.
 *
 * Reads fd 3 to its end (at most 512 bytes): name NUL password NUL
 * timestamp NUL. The password must match the entry's crypt(3) hash (no
 * APOP, no system users: that is checkpassword's, for POP3 as root). An
 * unknown user costs the same hash computation as a wrong password. On a
 * match runs prog with the caller's ids, in the caller's directory.
 *
 * Exit codes are the interface's: 1 the password is unacceptable (or the
 * user unknown); 2 misuse (no program, malformed input on fd 3); 111 a
 * temporary failure (database missing or unreadable, prog not runnable). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cdbx.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "pw.h"

#define CP_BAD        1        /* the interface's exit codes */
#define CP_MISUSE     2
#define CHECK_TIMEOUT 60       /* seconds for everything before the exec */
#define PATH_MAX_HOME 4096

static void __attribute__((noreturn)) die_usage(void)
{
  diag_die(CP_MISUSE, "usage: verifypw prog [args...]", (char *)0);
}
static void __attribute__((noreturn)) die_input(void)
{
  diag_die(CP_MISUSE, "malformed input on fd 3: want name NUL password NUL timestamp NUL", (char *)0);
}
static void __attribute__((noreturn)) die_read(void)
{
  if (errno == EBADF) diag_die(CP_MISUSE, "nothing to read on fd 3", (char *)0);
  diag_diesys(EXIT_TEMP, "unable to read fd 3", (char *)0);
}
static void __attribute__((noreturn)) die_db(const char *path)
{
  if (errno == ENOENT) diag_die(EXIT_TEMP, "the password database ", path, " does not exist", (char *)0);
  if (errno == EINVAL) diag_die(EXIT_TEMP, "the password database ", path, " is corrupt", (char *)0);
  diag_diesys(EXIT_TEMP, "unable to read the password database ", path, (char *)0);
}
static void __attribute__((noreturn)) die_drop(void)
{
  diag_diesys(EXIT_TEMP, "unable to give up root", (char *)0);
}
static void __attribute__((noreturn)) die_bad(void) { _exit(CP_BAD); }

/* the one privileged step: the database, opened while setuid */
static void open_db(struct cdb *c)
{
  char db[PATH_MAX_HOME];
  int r;
  if (home_path(home_dir(getenv("QUAIL_HOME")), "users/passwd.cdb", db, sizeof db) < 0)
    diag_die(EXIT_TEMP, "the quail home directory's name is too long", (char *)0);
  r = cdbx_open(c, db);
  if (r == 0) errno = ENOENT;
  if (r <= 0) die_db(db);
}

/* every id back to the caller's, for good */
static void drop(void)
{
  if (setgid(getgid()) < 0 || setuid(getuid()) < 0) die_drop();
  if (geteuid() != getuid() || getegid() != getgid()) { errno = EPERM; die_drop(); }
}

static void read_input(struct pw_input *in)
{
  if (pw_input_read(3, in) < 0) {
    if (errno == EMSGSIZE) die_bad();
    if (errno == EINVAL) die_input();
    die_read();
  }
  close(3);
}

/* 1 the password is the user's; 0 not, or no such user (after a hash) */
static int verify(struct cdb *c, const struct pw_input *in)
{
  struct pw_entry e = PW_ENTRY_ZERO;
  int r = pw_name_ok(in->name) ? pw_find(c, in->name, &e) : 0;
  if (r < 0) die_db("users/passwd.cdb");
  if (r == 0) { pw_spend(in->password); return 0; }
  r = pw_check(in->password, e.hash.s);
  pw_free(&e);
  if (r < 0) diag_diesys(EXIT_TEMP, "unable to check the password", (char *)0);
  return r;
}

int main(int argc, char **argv)
{
  static struct pw_input in;
  struct cdb c;

  diag_init("verifypw");
  signal(SIGPIPE, SIG_DFL);
  alarm(CHECK_TIMEOUT);               /* a hung check dies: the caller sees a crash */
  if (argc < 2) die_usage();
  /* fd 3 first: else the database would be opened as fd 3 */
  if (fcntl(3, F_GETFD) < 0) { errno = EBADF; die_read(); }
  open_db(&c);
  drop();
  read_input(&in);
  if (!verify(&c, &in)) die_bad();
  pw_input_forget(&in);
  cdbx_close(&c);
  alarm(0);
  execvp(argv[1], argv + 1);
  diag_diesys(EXIT_TEMP, "unable to run ", argv[1], (char *)0);
}
