/* control.h: the one control-file reader, with three outcomes:
 * 1 present (value read), 0 missing (default used), -1 unreadable
 * (errno set: the caller treats it as a temporary failure). */
#ifndef CONTROL_H
#define CONTROL_H
#include "str.h"

#define CONTROL_MAX (1024 * 1024)   /* a control file larger than this is an error */

/* first line, trailing white space removed; def (may be 0) when missing */
int control_readline(const char *path, struct str *out, const char *def);
/* first line as a number; EINVAL when it is not one */
int control_readulong(const char *path, unsigned long *out, unsigned long def);
/* every line, comments (#) and blank lines dropped, white space trimmed,
 * each line followed by a NUL; missing gives an empty list */
int control_readlines(const char *path, struct str *out);
/* iterate such a list: *pos starts at 0; returns the next line or 0 */
const char *control_next(const struct str *list, size_t *pos);
/* is s, case-insensitively, a line of list? */
int control_member(const struct str *list, const char *s);

#endif
