/* diag.c: one diagnostics format for every program. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "exitcode.h"

static const char *progname = "quail";

void diag_init(const char *prog)
{
  const char *slash = strrchr(prog, '/');
  progname = slash ? slash + 1 : prog;
}

const char *diag_prog(void) { return progname; }

static void out(const char *kind, int sys, int e, const char *s, va_list ap)
{
  char line[2048];
  size_t n = 0;
  const char *part;
#define ADD(p) do { size_t l_ = strlen(p); if (l_ > sizeof line - 2 - n) l_ = sizeof line - 2 - n; memcpy(line + n, p, l_); n += l_; } while (0)
  ADD(progname);
  ADD(": ");
  ADD(kind);
  ADD(": ");
  for (part = s; part; part = va_arg(ap, const char *)) ADD(part);
  if (sys) { ADD(": "); ADD(strerror(e)); }
#undef ADD
  line[n++] = '\n';
  (void)!write(2, line, n);
}

void diag_warn(const char *s, ...)
{
  va_list ap;
  va_start(ap, s);
  out("warning", 0, 0, s, ap);
  va_end(ap);
}

void diag_warnsys(const char *s, ...)
{
  int e = errno;
  va_list ap;
  va_start(ap, s);
  out("warning", 1, e, s, ap);
  va_end(ap);
  errno = e;
}

void diag_die(int code, const char *s, ...)
{
  va_list ap;
  va_start(ap, s);
  out("fatal", 0, 0, s, ap);
  va_end(ap);
  _exit(code);
}

void diag_diesys(int code, const char *s, ...)
{
  int e = errno;
  va_list ap;
  va_start(ap, s);
  out("fatal", 1, e, s, ap);
  va_end(ap);
  _exit(code);
}

void diag_report(int code, const char *s, ...)
{
  char line[2048];
  size_t n = 0;
  const char *part;
  va_list ap;
  va_start(ap, s);
  for (part = s; part; part = va_arg(ap, const char *)) {
    size_t l = strlen(part);
    if (l > sizeof line - 2 - n) l = sizeof line - 2 - n;
    memcpy(line + n, part, l);
    n += l;
  }
  va_end(ap);
  line[n++] = '\n';
  (void)!write(1, line, n);
  _exit(code);
}

void diag_usage(const char *usage)
{
  diag_die(EXIT_USAGE, "usage: ", progname, " ", usage, (char *)0);
}

void diag_nomem(void) { diag_die(EXIT_TEMP, "out of memory", (char *)0); }
