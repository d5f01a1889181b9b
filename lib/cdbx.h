/* cdbx.h: lookups in and atomic builds of cdb files, over tinycdb's libcdb. */
#ifndef CDBX_H
#define CDBX_H
#include <cdb.h>
#include "str.h"

/* value of key in the cdb at path: 1 found, 0 not found or no file, -1 error */
int cdbx_get(const char *path, const char *key, size_t klen, struct str *val);
/* the same in steps, for several keys in one file: open (1, 0 no file,
 * -1 error), find (1, 0, -1), close */
int cdbx_open(struct cdb *, const char *path);
int cdbx_find(struct cdb *, const char *key, size_t klen, struct str *val);
void cdbx_close(struct cdb *);

struct cdbx_make {
  struct cdb_make cm;
  int fd;
  struct str tmp;   /* path.tmp */
  struct str path;
};
/* build path.tmp; finish fsyncs it, renames it over path, fsyncs the dir */
int cdbx_make_start(struct cdbx_make *, const char *path, int mode);
int cdbx_make_add(struct cdbx_make *, const char *k, size_t kl, const char *v, size_t vl);
int cdbx_make_finish(struct cdbx_make *);
void cdbx_make_abort(struct cdbx_make *);

#endif
