/* newrcpt: compile the valid local recipients into users/rcpt.cdb, so
 * that smtpd and qmtpd can refuse unknown local users at RCPT time
 * without reading home directories (see rcptcheck.h for the format).
 *
 * Reads HOME/users/cdb (every exact and prefix entry), the system users
 * (getpwent: uid not 0, home owned by the user, and only our own uid when
 * not run as root, as queue-manager picks them), the user "alias", and
 * the names of the .qmail files in each of their home directories. Writes
 * HOME/users/rcpt.cdb.tmp, fsyncs it and renames it over users/rcpt.cdb.
 * A home directory that cannot be read accepts every address it could
 * serve (a warning says so): the check never refuses what it cannot judge.
 * Run it as root after users/assign or any .qmail file changes (newu runs
 * it when users/rcpt.cdb exists).
 * Exit codes: 0 done, 100 usage, 111 a temporary failure (nothing is
 * replaced). */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cdbx.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "rcptcheck.h"

#define QMAIL_FILES_MAX 100000      /* .qmail files looked at in one home */
#define USERS_CDB       "users/cdb"
#define USERS_FIELDS    6           /* user uid gid home dash ext */

struct job {
  struct cdbx_make out;
  struct str key, names, safe;      /* names: .qmail suffixes, NUL-ended */
};

static void __attribute__((noreturn)) die_write(void)
{
  diag_diesys(EXIT_TEMP, "unable to write " RCPTCHECK_CDB, (char *)0);
}
static void __attribute__((noreturn)) die_users(void)
{
  diag_diesys(EXIT_TEMP, "unable to read " USERS_CDB, (char *)0);
}
static void __attribute__((noreturn)) die_home(void)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory", (char *)0);
}

static void add(struct job *j, const struct str *k, const char *v)
{
  if (cdbx_make_add(&j->out, k->s, k->len, v, strlen(v)) < 0) die_write();
}

/* "K" SPACE NUL s into the key, and add it */
static void add_pattern(struct job *j, char k, const struct str *space, const char *s)
{
  j->key.len = 0;
  if (str_catc(&j->key, k) < 0 || str_catb(&j->key, space->s, space->len) < 0 ||
      str_catc(&j->key, 0) < 0 || str_cats(&j->key, s) < 0) diag_nomem();
  add(j, &j->key, "y");
}

/* a .qmail suffix deliver-local could ever open: lower case, no '.' */
static int usable(const char *x)
{
  for (; *x; x++) if ((*x >= 'A' && *x <= 'Z') || *x == '.') return 0;
  return 1;
}

/* the suffixes of the regular files .qmail<dash>X in home into j->names;
 * -1 when the directory cannot be read (a warning is printed) */
static int scan_home(struct job *j, const char *home, const char *dash)
{
  DIR *d = opendir(home);
  struct dirent *e;
  size_t plen = 6 + strlen(dash), n = 0;
  j->names.len = 0;
  if (!d) { diag_warnsys("unable to read ", home, ": accepting all its addresses", (char *)0); return -1; }
  while ((e = readdir(d))) {
    struct stat st;
    char p[4096];
    if (strncmp(e->d_name, ".qmail", 6) || strncmp(e->d_name + 6, dash, plen - 6)) continue;
    if (!usable(e->d_name + plen)) continue;
    snprintf(p, sizeof p, "%s/%s", home, e->d_name);
    if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) continue;
    if (++n > QMAIL_FILES_MAX) { closedir(d); diag_warn("too many .qmail files in ", home, (char *)0); return -1; }
    if (str_cats(&j->names, e->d_name + plen) < 0 || str_catc(&j->names, 0) < 0) diag_nomem();
  }
  closedir(d);
  return 0;
}

/* the patterns of one .qmail suffix x for a space whose fixed ext is
 * sext: 1 when x covers every address of the space */
static int one_file(struct job *j, const struct str *space, const char *x, const char *sext)
{
  long pre = rcptcheck_default_prefix(x);
  size_t n = strlen(sext);
  if (pre >= 0 && (size_t)pre <= n && !strncmp(x, sext, (size_t)pre)) return 1;
  if (pre >= 0 && (size_t)pre > n && !strncmp(x, sext, n)) {
    char *y = strndup(x + n, (size_t)pre - n);
    if (!y) diag_nomem();
    add_pattern(j, '*', space, y);
    free(y);
  } else if (!strncmp(x, sext, n)) add_pattern(j, '?', space, x + n);
  return 0;
}

/* a space: local parts that share home, dash and a fixed ext prefix */
static void add_space(struct job *j, const struct str *space, const char *home, const char *dash, const char *ext)
{
  size_t pos;
  int all = !*dash || scan_home(j, home, dash) < 0;
  if (rcptcheck_safe(&j->safe, ext, strlen(ext)) < 0) diag_nomem();
  if (!all && !*ext) add_pattern(j, '?', space, "");
  for (pos = 0; !all && pos < j->names.len; pos += strlen(j->names.s + pos) + 1)
    all = one_file(j, space, j->names.s + pos, j->safe.s);
  add(j, space, all ? "y" : "s");
}

/* an exact users/assign entry: its one address deliverable or not */
static void add_exact(struct job *j, const struct str *key, const char *home, const char *dash, const char *ext)
{
  size_t pos;
  int yes = !*dash || !*ext || scan_home(j, home, dash) < 0;
  if (rcptcheck_safe(&j->safe, ext, strlen(ext)) < 0) diag_nomem();
  for (pos = 0; !yes && pos < j->names.len; pos += strlen(j->names.s + pos) + 1)
    yes = rcptcheck_qmail_match(j->names.s + pos, j->safe.s);
  add(j, key, yes ? "y" : "n");
}

/* users/cdb: each key once, with its first value (the one a lookup finds) */
/* returns 1 when users/assign has a catch-all "+:" entry, which leaves no
 * address to system users or the alias user */
static int from_assign(struct job *j)
{
  struct cdb c;
  unsigned pos;
  struct str k = STR_ZERO, v = STR_ZERO;
  int all = 0;
  int fd = open(USERS_CDB, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { if (errno == ENOENT) return 0; die_users(); }
  if (cdb_init(&c, fd) < 0) die_users();
  cdb_seqinit(&pos, &c);
  while (cdb_seqnext(&pos, &c) > 0) {
    const char *f[USERS_FIELDS];
    size_t i, nf = 0;
    if (str_ready(&k, cdb_keylen(&c)) < 0) diag_nomem();
    if (cdb_read(&c, k.s, cdb_keylen(&c), cdb_keypos(&c)) < 0) die_users();
    k.len = cdb_keylen(&c);
    if (k.len == 1 && k.s[0] == '+') all = 1;
    if (!k.len || cdb_make_exists(&j->out.cm, k.s, (unsigned)k.len)) continue;
    if (cdbx_get(USERS_CDB, k.s, k.len, &v) <= 0 || str_0(&v) < 0) die_users();
    for (i = 0; i < v.len && nf < USERS_FIELDS; i += strlen(v.s + i) + 1) f[nf++] = v.s + i;
    if (nf != USERS_FIELDS) { diag_warn("skipping a malformed entry of " USERS_CDB, (char *)0); continue; }
    if (k.s[0] == '=') add_exact(j, &k, f[3], f[4], f[5]);
    else add_space(j, &k, f[3], f[4], f[5]);
  }
  cdb_free(&c);
  close(fd);
  str_free(&k);
  str_free(&v);
  return all;
}

/* queue-manager's system users: uid not 0, home owned by the user */
static int eligible(const struct passwd *pw)
{
  struct stat st;
  size_t n = strlen(pw->pw_name);
  if (!pw->pw_uid || !n || n >= RCPTCHECK_NAME_MAX || strchr(pw->pw_name, '-')) return 0;
  if (getuid() && pw->pw_uid != getuid()) return 0;
  return stat(pw->pw_dir, &st) == 0 && st.st_uid == pw->pw_uid;
}

static void from_passwd(struct job *j)
{
  struct passwd *pw;
  struct str k = STR_ZERO;
  setpwent();
  while ((pw = getpwent())) {
    if (!eligible(pw)) continue;
    if (str_copys(&k, "u") < 0 || str_cats(&k, pw->pw_name) < 0) diag_nomem();
    if (cdb_make_exists(&j->out.cm, k.s, (unsigned)k.len)) continue;
    add_space(j, &k, pw->pw_dir, "-", "");
  }
  endpwent();
  if ((pw = getpwnam("alias"))) {
    if (str_copys(&k, "a") < 0) diag_nomem();
    add_space(j, &k, pw->pw_dir, "-", "");
  }
  str_free(&k);
}

int main(int argc, char **argv)
{
  static struct job j;
  diag_init("newrcpt");
  if (argc > 1) diag_usage("");
  if (chdir(home_dir(getenv("QUAIL_HOME"))) < 0) die_home();
  if (cdbx_make_start(&j.out, RCPTCHECK_CDB, 0644) < 0) die_write();
  if (!from_assign(&j)) from_passwd(&j);
  if (cdbx_make_finish(&j.out) < 0) die_write();
  return EXIT_OK;
}
