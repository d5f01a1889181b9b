/* json.h: just enough JSON (RFC 8259) to read a server's answer: the
 * members of an object, strings and numbers. A value is a span of the
 * document (nothing is copied until json_string decodes one); nesting
 * deeper than JSON_DEPTH is malformed. Functions return -1 with errno
 * EINVAL for malformed text, ENOMEM from json_string. */
#ifndef JSON_H
#define JSON_H
#include <stddef.h>
#include "str.h"

#define JSON_DEPTH 32

struct json { const char *s; size_t n; };   /* one value's text */

/* the next member of the object v: *pos starts at 0; 1 with key (the
 * quoted string, undecoded) and val set, 0 after the last, -1 malformed
 * or not an object */
int json_next(const struct json *v, size_t *pos, struct json *key, struct json *val);
/* the member named name (compared with its decoded key): 1, 0 none, -1 */
int json_member(const struct json *v, const char *name, struct json *val);
/* decode the string v into out (appended, NUL-terminated, len without
 * the NUL); \u escapes become UTF-8 */
int json_string(const struct json *v, struct str *out);
/* the number v: 0, or -1 */
int json_number(const struct json *v, double *out);
/* the text of a whole document, white space around it allowed: 0 when
 * it is one well-formed value (then v spans it), -1 */
int json_parse(const char *s, size_t n, struct json *v);
#endif
