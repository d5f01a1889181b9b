/* esc.c: enhanced status codes: the exit-code table and reading a
 * report's status. */
#include <string.h>
#include <sysexits.h>
#include "esc.h"
#include "exitcode.h"

#define QUOTE      "Remote host said: "
#define QUOTE_LEN  (sizeof QUOTE - 1)

/* qmail-command(8): the exit codes that mean a permanent failure */
static const int exit_perm[] = {
  EXIT_PERM, EX_USAGE, EX_DATAERR, EX_SOFTWARE, EX_PROTOCOL, EX_NOPERM, EX_CONFIG, 112,
};

const char *esc_class(int code)
{
  return code == EXIT_OK ? "2." : code == EXIT_PERM ? "5." : "4.";
}

const char *esc_exit(int code)
{
  size_t i;
  if (code == EXIT_OK || code == EXIT_STOP) return ESC_OK(ESC_OTHER);
  for (i = 0; i < sizeof exit_perm / sizeof exit_perm[0]; i++)
    if (code == exit_perm[i]) return ESC_PERM(ESC_SYSTEM);
  return ESC_TEMP(ESC_SYSTEM);
}

static int digits(const char *s, size_t n, size_t *i)
{
  size_t start = *i;
  while (*i < n && s[*i] >= '0' && s[*i] <= '9') (*i)++;
  return *i > start && *i - start <= 3;
}

int esc_valid(const char *s, size_t n)
{
  size_t i = 2;
  if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return 0;
  if (!digits(s, n, &i) || i >= n || s[i++] != '.') return 0;
  return digits(s, n, &i) && i == n;
}

/* the code in s[i..n) up to the first byte that is neither digit nor dot */
static size_t code_len(const char *s, size_t n, size_t i)
{
  size_t k = i;
  while (k < n && ((s[k] >= '0' && s[k] <= '9') || s[k] == '.')) k++;
  return k - i;
}

/* a failure's code: class 4 or 5 */
static int take(const char *s, size_t len, char out[ESC_MAX])
{
  if (!esc_valid(s, len) || s[0] == '2' || len >= ESC_MAX) return -1;
  memcpy(out, s, len);
  out[len] = 0;
  return 0;
}

/* "(#X.Y.Z)" at s+i */
static int at_qmail(const char *s, size_t n, size_t i, char out[ESC_MAX])
{
  size_t len;
  if (i + 2 > n || s[i] != '(' || s[i + 1] != '#') return -1;
  len = code_len(s, n, i + 2);
  if (i + 2 + len >= n || s[i + 2 + len] != ')') return -1;
  return take(s + i + 2, len, out);
}

/* a quoted reply "NNN X.Y.Z " or "NNN-X.Y.Z " starting at s+i */
static int at_reply(const char *s, size_t n, size_t i, char out[ESC_MAX])
{
  size_t k = i, len;
  if (i < QUOTE_LEN || memcmp(s + i - QUOTE_LEN, QUOTE, QUOTE_LEN)) return -1;
  if (!digits(s, n, &k) || k - i != 3 || k >= n || (s[k] != ' ' && s[k] != '-')) return -1;
  len = code_len(s, n, ++k);
  if (k + len < n && s[k + len] != ' ' && s[k + len] != '\n') return -1;
  return take(s + k, len, out);
}

int esc_report(const char *s, size_t n, char out[ESC_MAX])
{
  size_t i;
  for (i = 0; i < n; i++)
    if (at_qmail(s, n, i, out) == 0 || at_reply(s, n, i, out) == 0) return 0;
  strcpy(out, ESC_PERM(ESC_OTHER));
  return -1;
}
