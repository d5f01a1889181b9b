/* qfree.h: queue/free, the files of finished messages that queue-writer
 * writes over instead of creating new ones (quail-queue(5); the protocol
 * and its invariant are at the top of qfree.c). queue-manager gives
 * files (struct qfree), queue-writer takes them (struct qfree_taker).
 * All paths are relative to the queue directory. */
#ifndef QFREE_H
#define QFREE_H
#include <dirent.h>
#include <sys/types.h>
#include <time.h>

#define QFREE_MAX       4000       /* files kept in free/ */
#define QFREE_FILE_MAX  65536      /* bytes: larger files are removed */
#define QFREE_RECOUNT   256        /* count free/ after this many additions */
#define QFREE_WAIT_MAX  32         /* files hidden in free/ until mess/ is synced */
#define QFREE_WAIT_SECS 1          /* ... or until they have waited this long */
#define QFREE_NAME      32         /* bytes of a name in free/, with its NUL */
#define QFREE_TAKE_MAX  128        /* names a writer reads from free/ */

/* called with errno set for what the giver could not do, path named */
typedef void qfree_warn(void *ctx, const char *what, const char *path);

/* queue-manager's side */
struct qfree {
  int on;                          /* free/ exists: files are recycled */
  unsigned long pooled;            /* files in free/, as last counted plus added since */
  unsigned long recycled;          /* files given since free/ was counted */
  unsigned long seq;               /* names: start.seq */
  long start;
  char wait[QFREE_WAIT_MAX][QFREE_NAME];   /* hidden as free/.NAME */
  int nwait;
  time_t wait_since;
  qfree_warn *warn;
  void *ctx;
};

/* free/ exists or not; offer the files a stopped manager left hidden */
void qfree_open(struct qfree *f, qfree_warn *warn, void *ctx);
/* hide the finished file path (of size bytes) in free/: 0, or -1 when it
 * is not kept there (free/ full or missing, the file too large or the
 * rename failed): the caller removes it */
int qfree_give(struct qfree *f, const char *path, off_t size);
/* fsync mess/, then offer every hidden file under its plain name */
void qfree_release(struct qfree *f);
/* when the hidden files are due to be offered; 0 when none waits */
time_t qfree_due(const struct qfree *f);

/* queue-writer's side: the names read once from free/ */
struct qfree_taker {
  union { struct dirent64 d; char c[2048]; } space;
  const char *name[QFREE_TAKE_MAX];
  unsigned n, at, read;
};

/* move a file from free/ to dst and open it for writing from its start:
 * the descriptor, or -1 with errno EEXIST when dst exists, or -1 (ENOENT
 * or the rename's errno) when free/ has nothing to give */
int qfree_take(struct qfree_taker *t, const char *dst);
/* cut a taken file after what was written at fd's offset: 0 or -1 */
int qfree_cut(int fd);

#endif
