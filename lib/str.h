/* str.h: growable byte strings. Functions return 0, or -1 with errno ENOMEM. */
#ifndef STR_H
#define STR_H
#include <stddef.h>

struct str {
  char *s;
  size_t len;
  size_t cap;
};
#define STR_ZERO { 0, 0, 0 }

int str_ready(struct str *, size_t n);      /* room for n bytes in all */
int str_catb(struct str *, const char *, size_t);
int str_cats(struct str *, const char *);
int str_catc(struct str *, char);
int str_catu(struct str *, unsigned long long);
int str_copyb(struct str *, const char *, size_t);
int str_copys(struct str *, const char *);
int str_0(struct str *);                   /* NUL-terminate, len unchanged */
int str_catf(struct str *, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
void str_free(struct str *);
int str_starts(const struct str *, const char *);
void str_lower(struct str *);

/* helpers on C strings that keep callers free of repeated loops */
int case_equals(const char *, const char *);
int case_equalb(const char *, size_t, const char *);
int case_starts(const char *, const char *);
int scan_ulong(const char *, unsigned long *);  /* digits consumed, 0 if none */

#endif
