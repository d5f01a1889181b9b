/* cmdline.h: the command lines of the line protocols quail serves (SMTP
 * in smtpd, POP3 in pop3-login and pop3d): a line read with a bound,
 * its line end taken off, and its verb looked up in the program's table
 * of commands. Nothing here writes, exits or prints. */
#ifndef CMDLINE_H
#define CMDLINE_H
#include <stddef.h>
#include "buf.h"
#include "str.h"

/* cmdline_get: the next line from in into line (replacing it), at most
 * max bytes with its LF; the LF and a CR before it are taken off and the
 * line NUL-terminated (it may hold NULs and CRs of its own). 1 a line,
 * 0 EOF (line holds any partial text), 2 longer than max (the rest is
 * left unread), -1 a read error (errno set). */
int cmdline_get(struct buf *in, struct str *line, size_t max);

/* is a whole line read ahead in b already (so a reply may wait: the
 * client pipelines) */
int cmdline_waiting(const struct buf *b);

/* cmdline_find: the entry of table whose verb is the line's first word
 * (up to the first space, or all of it), case ignored; 0 when none.
 * table holds entries of size bytes, each beginning with its verb (a
 * const char *), the last one's verb 0, as a program's
 * struct command { const char *verb; handler } array. *arg is set to
 * the text after that space, or "" when there is none. */
const void *cmdline_find(const char *line, size_t len, const void *table, size_t size, const char **arg);

#endif
