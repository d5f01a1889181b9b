/* checkpassword: check a password, then run a program as the user (the
 * checkpassword interface, cr.yp.to/checkpwd/interface.html).
 *
 *   checkpassword prog [args...]
 *
 * Reads fd 3 to its end (at most 512 bytes): name NUL password NUL
 * timestamp NUL. Looks name up in HOME/users/passwd.cdb (pw.h, written
 * by quail-passwd), and, when control/systempasswd exists, in the
 * system's passwd and shadow databases for a name the cdb lacks (never
 * uid 0). The password matches the entry's crypt(3) hash; or, with a
 * timestamp (APOP), it is the MD5 in hex of the timestamp and the entry's
 * APOP secret. Then, as root, sets the user's groups and gid, enters the
 * home directory and sets the uid (not root: only enters the directory);
 * an entry with uid 0 is refused (111), except in an instance (home.h);
 * sets USER, HOME, SHELL and, for a cdb entry, MAILDIR; and runs prog.
 *
 * Exit codes are the interface's: 1 the password is unacceptable (or the
 * user unknown: the same answer, after the same work); 2 misuse (no
 * program, malformed input on fd 3); 111 a temporary failure (database
 * missing or unreadable, a failed switch of user, prog not runnable). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "pw.h"
#include "str.h"

#define CP_BAD        1        /* the interface's exit codes */
#define CP_MISUSE     2
#define CHECK_TIMEOUT 60       /* seconds for everything before the exec */
#define PATH_MAX_HOME 4096
#define SHELL_DEFAULT "/bin/sh"

struct user {
  struct pw_entry e;
  const char *name;
  const char *shell;
  int system;                  /* from the system's databases */
};

/* ---- failures ---- */

static void __attribute__((noreturn)) die_usage(void)
{
  diag_die(CP_MISUSE, "usage: checkpassword prog [args...]", (char *)0);
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
static void __attribute__((noreturn)) die_system(const char *what)
{
  diag_diesys(EXIT_TEMP, "unable to read the system's ", what, " database", (char *)0);
}
static void __attribute__((noreturn)) die_switch(const char *what, const char *name)
{
  diag_diesys(EXIT_TEMP, "unable to ", what, " for ", name, (char *)0);
}
static void __attribute__((noreturn)) die_bad(void) { _exit(CP_BAD); }

/* ---- the input ---- */

/* fd 3 to its end; more than PW_INPUT_MAX bytes is not a password we accept */
static void read_input(struct pw_input *in)
{
  if (pw_input_read(3, in) < 0) {
    if (errno == EMSGSIZE) die_bad();
    if (errno == EINVAL) die_input();
    die_read();
  }
  close(3);
}

/* ---- finding the user ---- */

/* getpwnam's ways of saying "no such user" */
static int not_found(int e) { return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM; }

/* the system's passwd and shadow: 1 found, 0 not (or uid 0) */
static int system_lookup(struct user *u)
{
  struct passwd *pw;
  struct spwd *sp;
  const char *hash;
  errno = 0;
  if (!(pw = getpwnam(u->name))) {
    if (not_found(errno)) return 0;
    die_system("passwd");
  }
  if (pw->pw_uid == 0) return 0;
  hash = pw->pw_passwd;
  if (!strcmp(hash, "x")) {
    errno = 0;
    if (!(sp = getspnam(u->name))) die_system("shadow");
    hash = sp->sp_pwdp;
  }
  u->e.uid = pw->pw_uid;
  u->e.gid = pw->pw_gid;
  u->shell = pw->pw_shell && *pw->pw_shell ? pw->pw_shell : SHELL_DEFAULT;
  u->system = 1;
  if (str_copys(&u->e.hash, hash) < 0 || str_copys(&u->e.home, pw->pw_dir) < 0) diag_nomem();
  return 1;
}

/* the database, then the system when control/systempasswd says so:
 * 1 found, 0 unknown */
static int find_user(struct user *u, const char *home)
{
  char db[PATH_MAX_HOME], flag[PATH_MAX_HOME];
  struct str x = STR_ZERO;
  int r, use_system;
  if (home_path(home, "users/passwd.cdb", db, sizeof db) < 0 ||
      home_path(home, "control/systempasswd", flag, sizeof flag) < 0)
    diag_die(EXIT_TEMP, "the quail home directory's name is too long", (char *)0);
  if ((r = control_readline(flag, &x, 0)) < 0)
    diag_diesys(EXIT_TEMP, "unable to read ", flag, (char *)0);
  use_system = r == 1;
  str_free(&x);
  if (!pw_name_ok(u->name)) return 0;
  r = pw_lookup(db, u->name, &u->e);
  if (r < 0 && !(errno == ENOENT && use_system)) die_db(db);
  if (r == 1) { u->shell = SHELL_DEFAULT; return 1; }
  return use_system ? system_lookup(u) : 0;
}

/* ---- the password ---- */

static int password_ok(const struct user *u, const struct pw_input *in)
{
  int r;
  if (*in->stamp && u->e.apop.len && pw_apop_check(in->stamp, u->e.apop.s, in->password)) return 1;
  if ((r = pw_check(in->password, u->e.hash.s)) < 0)
    diag_diesys(EXIT_TEMP, "unable to check the password", (char *)0);
  return r;
}

/* ---- becoming the user ---- */

/* groups, gid, home directory, uid: in that order, and only as root */
static void become(const struct user *u, const char *home)
{
  gid_t gid = (gid_t)u->e.gid;
  if (geteuid() == 0) {
    if (u->e.uid == 0 && !home_instance(home))
      diag_die(EXIT_TEMP, "refusing to become ", u->name, ": uid 0, and a mail user may not be root", (char *)0);
    if ((u->system ? initgroups(u->name, gid) : setgroups(1, &gid)) < 0) die_switch("set the groups", u->name);
    if (setgid(gid) < 0) die_switch("set the gid", u->name);
  }
  if (chdir(u->e.home.s) < 0) die_switch("enter the home directory", u->name);
  if (geteuid() == 0) {
    if (setuid((uid_t)u->e.uid) < 0) die_switch("set the uid", u->name);
    if (u->e.uid && (getuid() == 0 || geteuid() == 0)) die_switch("drop root", u->name);
  }
}

static void set_env(const struct user *u)
{
  if (setenv("USER", u->name, 1) < 0 || setenv("HOME", u->e.home.s, 1) < 0 ||
      setenv("SHELL", u->shell, 1) < 0)
    diag_nomem();
  if (u->system || !u->e.maildir.len) {
    if (unsetenv("MAILDIR") < 0) diag_nomem();
  } else if (setenv("MAILDIR", u->e.maildir.s, 1) < 0) {
    diag_nomem();
  }
}

int main(int argc, char **argv)
{
  static struct pw_input in;
  struct user u;
  const char *home;
  int found;

  diag_init("checkpassword");
  signal(SIGPIPE, SIG_DFL);
  alarm(CHECK_TIMEOUT);               /* a hung lookup dies: the caller sees a crash */
  if (argc < 2) die_usage();
  read_input(&in);
  memset(&u, 0, sizeof u);
  u.name = in.name;
  home = home_dir(getenv("QUAIL_HOME"));
  found = find_user(&u, home);
  if (!found) {
    pw_spend(in.password);            /* an unknown user costs what a wrong password costs */
    die_bad();
  }
  if (!password_ok(&u, &in)) die_bad();
  become(&u, home);
  set_env(&u);
  pw_input_forget(&in);
  pw_free(&u.e);
  alarm(0);
  execvp(argv[1], argv + 1);
  diag_diesys(EXIT_TEMP, "unable to run ", argv[1], (char *)0);
}
