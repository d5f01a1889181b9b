/* san.c: linked into every program by make SANITIZE=1. The sanitizers'
 * default options: each report goes to a file SAN_DIR/asan.PID or
 * SAN_DIR/ubsan.PID (a program started with a cleared environment or
 * stderr closed still leaves its report), UBSan stops the program at the
 * first error, with a stack trace. make test fails when SAN_DIR holds a
 * report (mk/san-check.sh). Leaks are not checked: programs exit with
 * their memory held, as qmail's do. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
  return "log_path=" SAN_DIR "/asan:detect_leaks=0";
}

const char *__ubsan_default_options(void)
{
  return "log_path=" SAN_DIR "/ubsan:print_stacktrace=1:halt_on_error=1";
}
