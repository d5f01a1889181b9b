/* dotqmail.h: the lines of a .qmail file (dot-qmail(5)) as deliver-local
 * follows them, qmail-local's rules: a line's kind is its first byte,
 * spaces and tabs at its end do not count. Nothing here reads, writes,
 * exits or prints. */
#ifndef DOTQMAIL_H
#define DOTQMAIL_H
#include <stddef.h>
#include "str.h"

enum dotqmail_kind {
  DOTQMAIL_BLANK,      /* nothing (not allowed as the first line) */
  DOTQMAIL_COMMENT,    /* "#..." */
  DOTQMAIL_MBOX,       /* "./path" or "/path" */
  DOTQMAIL_MAILDIR,    /* the same ending in '/' */
  DOTQMAIL_PROGRAM,    /* "|command": arg is the command */
  DOTQMAIL_FORWARD,    /* "&address" or "address": arg is the address */
  DOTQMAIL_LIST,       /* "+list": forwards only, as with the x bit */
  DOTQMAIL_IGNORED     /* another "+..." line */
};

struct dotqmail_line {
  enum dotqmail_kind kind;
  char *arg;           /* NUL-terminated, inside the text */
};

/* the instructions made ready for dotqmail_next: a newline after the
 * last line unless there is one (an empty text becomes one blank line);
 * 0, or -1 with ENOMEM */
int dotqmail_ready(struct str *text);
/* the line at *pos of text (ready as above): cut at its newline, its
 * trailing blanks dropped, in place; *pos moves to the next line.
 * 1 a line, 0 the end. */
int dotqmail_next(struct str *text, size_t *pos, struct dotqmail_line *l);

/* The files for an address extension ext, qmail-local's names.
 * dotqmail_base: ".qmail", then when ext is not empty dash and ext
 * lower-cased with '.' as ':' (no name holds ".."), that extension also
 * into safe; 0, or -1 with ENOMEM. deliver-local refuses an ext with a
 * '/' first (addr_local_safe). */
int dotqmail_base(struct str *base, struct str *safe, const char *dash, const char *ext);
/* the -default files, from the longest: the next cut of safe below *i
 * (start with safe->len + 1), 0 or just after a '-', into *i, and its
 * name ".qmail" dash safe[0..*i) "default" into name (DEFAULT is ext
 * from *i). 1 found, 0 none left, -1 ENOMEM. */
int dotqmail_default(struct str *name, const char *dash, const struct str *safe, size_t *i);

#endif
