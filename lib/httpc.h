/* httpc.h: one HTTP/1.1 request over a fresh connection to a local
 * service (rspamd), every step bounded by one deadline (a time(2) value).
 * Functions return -1 with errno set: ETIMEDOUT past the deadline,
 * EINVAL for an address or an answer they cannot read, EFBIG for an
 * answer longer than its bound. Nothing here prints or exits. */
#ifndef HTTPC_H
#define HTTPC_H
#include <sys/types.h>
#include <time.h>
#include "str.h"

/* a connection to addr: "IPv4:PORT", "[IPv6]:PORT" or "/path" (a Unix
 * socket); the fd (close-on-exec, non-blocking) */
int httpc_connect(const char *addr, time_t deadline);
/* n bytes of s; then len bytes of file from its offset 0 */
int httpc_send(int fd, const char *s, size_t n, time_t deadline);
int httpc_send_file(int fd, int file, off_t len, time_t deadline);
/* the answer, read to its Content-Length or the end: its status code,
 * and its body (at most max bytes) appended to body, NUL-terminated */
int httpc_answer(int fd, time_t deadline, size_t max, struct str *body);
#endif
