/* esc-lib.c: drives lib/esc.c for t/esc-lib.t.
 *   esc-lib report   a report text per line of stdin ('/' for a newline):
 *                    its status, or "none"
 *   esc-lib exit     an exit code per line: its status
 *   esc-lib valid    a string per line: 1 when it is one status code
 *   esc-lib class    an exit code per line: the class of its status */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "esc.h"

int main(int argc, char **argv)
{
  char line[4096], st[ESC_MAX];
  const char *verb = argc > 1 ? argv[1] : "";
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strcspn(line, "\n"), i;
    line[n] = 0;
    if (!strcmp(verb, "report")) {
      for (i = 0; i < n; i++) if (line[i] == '/') line[i] = '\n';
      puts(esc_report(line, n, st) == 0 ? st : strcmp(st, "5.0.0") ? "bad default" : "none");
    } else if (!strcmp(verb, "exit")) puts(esc_exit(atoi(line)));
    else if (!strcmp(verb, "valid")) puts(esc_valid(line, n) ? "1" : "0");
    else if (!strcmp(verb, "class")) puts(esc_class(atoi(line)));
    else return 100;
  }
  return 0;
}
