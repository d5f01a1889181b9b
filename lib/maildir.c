/* maildir.c: Maildir making, delivery and listing. Never exits or prints. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "fsx.h"
#include "maildir.h"

static const char *const subdirs[3] = { "tmp", "new", "cur" };

/* deliveries started by this process: the _count part of unique names */
static unsigned long counter;

static int rmdir_made(struct str *p, const char *dir, int made)
{
  int e = errno;
  while (made-- > 0)
    if (str_copys(p, dir) == 0 && str_catc(p, '/') == 0 && str_cats(p, subdirs[made]) == 0)
      rmdir(p->s);
  rmdir(dir);
  str_free(p);
  errno = e;
  return -1;
}

int maildir_make(const char *dir)
{
  struct str p = STR_ZERO;
  int i;
  if (mkdir(dir, 0700) < 0) return -1;
  for (i = 0; i < 3; i++) {
    if (str_copys(&p, dir) < 0 || str_catc(&p, '/') < 0 || str_cats(&p, subdirs[i]) < 0)
      return rmdir_made(&p, dir, i);
    if (mkdir(p.s, 0700) < 0) return rmdir_made(&p, dir, i);
  }
  if (fsync_dir(dir) < 0 || fsync_parent(dir) < 0) return rmdir_made(&p, dir, 3);
  str_free(&p);
  return 0;
}

/* the host name with '/' and ':' written as \057 and \072 (maildir(5)) */
static int cat_host(struct str *out)
{
  char h[MAILDIR_HOST_MAX + 1];
  size_t i;
  if (gethostname(h, sizeof h) < 0 || !h[0]) strcpy(h, "localhost");
  h[MAILDIR_HOST_MAX] = 0;
  for (i = 0; h[i]; i++) {
    const char *s = h[i] == '/' ? "\\057" : h[i] == ':' ? "\\072" : 0;
    if (s ? str_cats(out, s) < 0 : str_catc(out, h[i]) < 0) return -1;
  }
  return 0;
}

static int cat_unique(struct str *out, const char *dir, const char *sub, const struct str *name)
{
  if (str_copys(out, dir) < 0 || str_catc(out, '/') < 0 || str_cats(out, sub) < 0) return -1;
  if (str_catc(out, '/') < 0 || str_catb(out, name->s, name->len) < 0) return -1;
  return 0;
}

static int unique_names(struct maildir_tmp *t, const char *dir)
{
  struct str name = STR_ZERO;
  struct timeval tv;
  int r;
  gettimeofday(&tv, 0);
  r = str_catf(&name, "%lld.M%ldP%ld_%lu.", (long long)tv.tv_sec, (long)tv.tv_usec,
               (long)getpid(), counter++);
  if (r == 0) r = cat_host(&name);
  if (r == 0) r = cat_unique(&t->tmp, dir, "tmp", &name);
  if (r == 0) r = cat_unique(&t->new, dir, "new", &name);
  str_free(&name);
  return r;
}

int maildir_open(struct maildir_tmp *t, const char *dir)
{
  int tries;
  t->fd = -1;
  t->tmp = (struct str)STR_ZERO;
  t->new = (struct str)STR_ZERO;
  for (tries = 0; tries < MAILDIR_TRIES; tries++) {
    if (unique_names(t, dir) < 0) break;
    t->fd = open(t->tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (t->fd >= 0) return 0;
    if (errno != EEXIST) break;
  }
  { int e = errno; str_free(&t->tmp); str_free(&t->new); errno = e; }
  return -1;
}

static int same_file(const char *a, const char *b)
{
  struct stat sa, sb;
  if (stat(a, &sa) < 0 || stat(b, &sb) < 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* tmp/NAME to new/NAME, never over an existing new/NAME: one
 * renameat2(RENAME_NOREPLACE) where the file system has it, else link and
 * unlink, as maildir(5) says (a retried NFS link can report EEXIST after
 * it worked); rename where hard links are refused */
static int move_to_new(struct maildir_tmp *t)
{
  if (rename_noreplace(t->tmp.s, t->new.s) == 0) return 0;
  if (errno == EEXIST) return -1;
  if (link(t->tmp.s, t->new.s) == 0) { unlink(t->tmp.s); return 0; }
  if (errno == EEXIST && same_file(t->tmp.s, t->new.s)) { unlink(t->tmp.s); return 0; }
  if (errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP) return rename(t->tmp.s, t->new.s);
  return -1;
}

int maildir_commit(struct maildir_tmp *t)
{
  int e;
  if (fsync(t->fd) < 0) goto fail;
  e = close(t->fd);
  t->fd = -1;
  if (e < 0 || move_to_new(t) < 0) goto fail;
  if (fsync_parent(t->new.s) < 0) {
    /* not known to be on disk: take it back, the caller reports failure */
    e = errno;
    unlink(t->new.s);
    errno = e;
    goto fail;
  }
  str_free(&t->tmp);
  str_free(&t->new);
  return 0;
fail:
  e = errno;
  maildir_abort(t);
  errno = e;
  return -1;
}

void maildir_abort(struct maildir_tmp *t)
{
  int e = errno;
  if (t->fd >= 0) close(t->fd);
  t->fd = -1;
  if (t->tmp.s) unlink(t->tmp.s);
  str_free(&t->tmp);
  str_free(&t->new);
  errno = e;
}

static int list_add(struct maildir_list *l, const char *path, time_t mtime)
{
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    struct maildir_msg *m = realloc(l->m, cap * sizeof *m);
    if (!m) { errno = ENOMEM; return -1; }
    l->m = m;
    l->cap = cap;
  }
  l->m[l->n].path = l->names.len;
  l->m[l->n].mtime = mtime;
  if (str_cats(&l->names, path) < 0 || str_catc(&l->names, 0) < 0) return -1;
  l->n++;
  return 0;
}

static int list_sub(struct maildir_list *l, const char *dir, const char *sub)
{
  struct str p = STR_ZERO;
  struct dirent *d;
  DIR *dh;
  int r = 0, e;
  if (str_copys(&p, dir) < 0 || str_catc(&p, '/') < 0 || str_cats(&p, sub) < 0) return -1;
  dh = opendir(p.s);
  if (!dh) { e = errno; str_free(&p); errno = e; return -1; }
  for (;;) {
    struct stat st;
    errno = 0;
    if (!(d = readdir(dh))) { r = errno ? -1 : 0; break; }
    if (d->d_name[0] == '.') continue;
    if (str_copys(&p, dir) < 0 || str_catf(&p, "/%s/%s", sub, d->d_name) < 0) { r = -1; break; }
    if (stat(p.s, &st) < 0) {
      if (errno == ENOENT) continue;      /* a reader moved it meanwhile */
      r = -1;
      break;
    }
    if (S_ISREG(st.st_mode) && list_add(l, p.s, st.st_mtime) < 0) { r = -1; break; }
  }
  e = errno;
  closedir(dh);
  str_free(&p);
  errno = e;
  return r;
}

static int by_age(const void *a, const void *b, void *names)
{
  const struct maildir_msg *x = a, *y = b;
  if (x->mtime != y->mtime) return x->mtime < y->mtime ? -1 : 1;
  return strcmp((char *)names + x->path, (char *)names + y->path);
}

int maildir_list(const char *dir, struct maildir_list *l)
{
  l->n = 0;
  l->names.len = 0;
  if (list_sub(l, dir, "new") < 0 || list_sub(l, dir, "cur") < 0) return -1;
  if (l->n) qsort_r(l->m, l->n, sizeof *l->m, by_age, l->names.s);
  return 0;
}

const char *maildir_path(const struct maildir_list *l, size_t i) { return l->names.s + l->m[i].path; }

void maildir_list_free(struct maildir_list *l)
{
  free(l->m);
  l->m = 0;
  l->n = l->cap = 0;
  str_free(&l->names);
}
