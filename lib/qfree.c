/* qfree.c: queue/free, where the files of finished messages wait for
 * queue-writer to write over them instead of creating new files: no
 * inode is freed and allocated per message (on ext4 without a journal
 * every allocation scans past the inodes freed in the last minutes), and
 * a file written over in place reuses its blocks, so its fsync writes no
 * allocation bitmaps.
 *
 * The invariant: a file under a plain name free/NAME belongs to no
 * message, and no crash can make it one again. Everything below keeps it:
 *
 *   queue-manager (qfree_give, qfree_release), once a message is done:
 *   1. rename mess/ID.env, then mess/ID, to a hidden free/.START.SEQ
 *      (never over an existing name; a file not kept is removed). Only
 *      renames: whatever part of them a crash keeps, no queued file is
 *      left emptied or altered.
 *   2. fsync mess/ (once for up to QFREE_WAIT_MAX files, or the first
 *      of them QFREE_WAIT_SECS ago). Until then a crash could bring the
 *      old name back in mess/, and a writer that had written over the
 *      file would have put a new message's bytes under an old envelope.
 *   3. rename free/.NAME to free/NAME (never over an existing name: the
 *      hidden file then goes). At the start, files a stopped manager
 *      left hidden are offered the same way, after an fsync of mess/.
 *
 *   queue-writer (qfree_take, qfree_cut):
 *   4. rename free/NAME to its own tmp/PID.TIME.N, never over an existing
 *      name: of writers racing for one file, one gets it. A hidden name
 *      is never taken.
 *   5. open it and write into it only if it is a plain file with one
 *      link that is not a queued message mess/INODE (a crash on a file
 *      system without a journal can leave a name in free/ for a file
 *      renamed into mess/ since; fsck counts its links, and a message
 *      file is named by its inode); anything else is removed.
 *   6. write over it from its start and cut off the rest; then the
 *      writer's own order (quail-queue(5)): fsync, rename into mess/.
 *
 * Names in free/ are the manager's start time and a count, never used
 * twice while the file may still be there. free/ is counted every
 * QFREE_RECOUNT given files and kept under QFREE_MAX files of at most
 * QFREE_FILE_MAX bytes. Nothing in free/ belongs to a message: it is safe
 * to empty at any time, and without free/ files are removed and created
 * as before. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fsx.h"
#include "qfree.h"

/* ---------- queue-manager's side ---------- */

static int count(void)
{
  DIR *d = opendir("free");
  struct dirent *e;
  int n = 0;
  if (!d) return -1;
  while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

/* step 3 for one file */
static void show(struct qfree *f, const char *name)
{
  char from[QFREE_NAME + 8], to[QFREE_NAME + 8];
  snprintf(from, sizeof from, "free/.%s", name);
  snprintf(to, sizeof to, "free/%s", name);
  if (rename_noreplace(from, to) == 0) return;
  if (errno == ENOENT) return;
  if (unlink(from) < 0 && errno != ENOENT) f->warn(f->ctx, "unable to remove ", from);
}

void qfree_release(struct qfree *f)
{
  int i;
  if (!f->nwait) return;
  if (fsync_dir("mess") < 0) {            /* they wait for the next try */
    f->warn(f->ctx, "unable to sync ", "mess");
    f->wait_since = time(0);
    return;
  }
  for (i = 0; i < f->nwait; i++) show(f, f->wait[i]);
  f->nwait = 0;
}

void qfree_open(struct qfree *f, qfree_warn *warn, void *ctx)
{
  struct stat st;
  DIR *d;
  struct dirent *e;
  memset(f, 0, sizeof *f);
  f->warn = warn;
  f->ctx = ctx;
  f->recycled = QFREE_RECOUNT;
  f->on = stat("free", &st) == 0 && S_ISDIR(st.st_mode);
  if (!f->on || !(d = opendir("free"))) return;
  if (fsync_dir("mess") < 0) { closedir(d); return; }
  while ((e = readdir(d)))
    if (e->d_name[0] == '.' && e->d_name[1] && e->d_name[1] != '.' && strlen(e->d_name) < QFREE_NAME)
      show(f, e->d_name + 1);
  closedir(d);
}

/* step 1 */
int qfree_give(struct qfree *f, const char *path, off_t size)
{
  char name[QFREE_NAME], to[QFREE_NAME + 8];
  if (!f->on || size > QFREE_FILE_MAX) return -1;
  if (f->recycled++ >= QFREE_RECOUNT) {
    int n = count();
    f->pooled = n < 0 ? QFREE_MAX : (unsigned long)n + (unsigned long)f->nwait;
    f->recycled = 0;
  }
  if (!f->start) f->start = (long)time(0);
  if (f->nwait == QFREE_WAIT_MAX) qfree_release(f);
  snprintf(name, sizeof name, "%ld.%lu", f->start, ++f->seq);
  snprintf(to, sizeof to, "free/.%s", name);
  if (f->pooled >= QFREE_MAX || f->nwait >= QFREE_WAIT_MAX || rename_noreplace(path, to) < 0) return -1;
  if (!f->nwait) f->wait_since = time(0);
  memcpy(f->wait[f->nwait++], name, sizeof name);
  f->pooled++;
  return 0;
}

time_t qfree_due(const struct qfree *f)
{
  return f->nwait ? f->wait_since + QFREE_WAIT_SECS : 0;
}

/* ---------- queue-writer's side ---------- */

/* read the first few dozen names (plenty), to be tried from a place that
 * depends on the pid, so that writers running at once mostly try
 * different files */
static void load(struct qfree_taker *t)
{
  long n, at;
  int fd = open("free", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  t->read = 1;
  if (fd < 0) return;
  n = getdents64(fd, (void *)t->space.c, sizeof t->space);
  close(fd);
  for (at = 0; at < n && t->n < QFREE_TAKE_MAX; ) {
    struct dirent64 *d = (struct dirent64 *)(void *)(t->space.c + at);
    if (d->d_name[0] != '.') t->name[t->n++] = d->d_name;
    at += d->d_reclen;
  }
  if (t->n) t->at = (unsigned)getpid() % t->n;
}

/* is inode ino the message file mess/ino? */
static int queued(ino_t ino)
{
  char p[64];
  struct stat st;
  snprintf(p, sizeof p, "mess/%lu", (unsigned long)ino);
  return stat(p, &st) == 0 && st.st_ino == ino;
}

/* steps 4 and 5 */
int qfree_take(struct qfree_taker *t, const char *dst)
{
  if (!t->read) load(t);
  while (t->n) {
    char src[300];
    struct stat st;
    int fd;
    unsigned i = t->at % t->n;
    snprintf(src, sizeof src, "free/%s", t->name[i]);
    t->name[i] = t->name[--t->n];
    if (rename_noreplace(src, dst) < 0) {
      if (errno == ENOENT) continue;          /* another writer took it */
      if (errno != EEXIST) t->n = 0;          /* no renameat2 here */
      return -1;
    }
    fd = open(dst, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    /* a file made 0644 by an older queue-writer becomes the queue
     * owner's alone before it holds a message (quail-security(7)) */
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
        !queued(st.st_ino) && ((st.st_mode & 077) == 0 || fchmod(fd, 0600) == 0)) return fd;
    if (fd >= 0) close(fd);
    unlink(dst);                              /* not ours to reuse */
  }
  errno = ENOENT;
  return -1;
}

/* step 6's end */
int qfree_cut(int fd)
{
  off_t n = lseek(fd, 0, SEEK_CUR);
  return n < 0 ? -1 : ftruncate(fd, n);
}
