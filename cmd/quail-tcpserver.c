/* quail-tcpserver: ucspi-tcp's tcpserver, starting each child without a
 * fork of itself.
 *
 *   quail-tcpserver [-qQvdDhHpPrRoO1UX] [-c n] [-b n] [-t n] [-x rules.cdb]
 *                   [-l name] [-B banner] [-u uid] [-g gid] host port prog...
 *
 * The command line, the environment (PROTO, TCPLOCALIP, TCPLOCALPORT,
 * TCPLOCALHOST, TCPREMOTEIP, TCPREMOTEPORT, TCPREMOTEHOST, TCPREMOTEINFO
 * and ucspi-tcp-ipv6's TCP6* twins), the rules (a cdb made by tcprules),
 * the banner, the child's signals and the log lines are tcpserver's
 * (t/quail-tcpserver.t compares them). Names are looked up with the
 * system resolver. What differs is how a child starts: tcpserver forks
 * and does the per-connection work (rules, environment, DNS) in the
 * child; here, when nothing needs the network (-H, -R and -l given), the
 * work is done in this process and the child is started with
 * clone(CLONE_VM | CLONE_VFORK) (lib/spawn.c), which copies no page
 * tables and leaves no copy-on-write faults behind: about 190 µs less
 * per connection on the development VM (README.md). A connection that
 * needs the network first (-h, -r, or no -l: tcpserver's defaults) takes
 * tcpserver's way: a fork, and the lookups in the child.
 *
 * Exit codes: 100 usage; 111 unable to listen or to drop privileges. */
#include <arpa/inet.h>
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "diag.h"
#include "spawn.h"
#include "str.h"

#define USAGE "[-qQvdDhHpPrRoO1UX] [-c n] [-b n] [-t n] [-x rules.cdb] [-l name] [-B banner] [-u uid] [-g gid] host port prog..."
#define ENV_MAX   512           /* entries of a child's environment */
#define INFO_MAX  256           /* bytes of TCPREMOTEINFO, as tcpserver keeps */

extern char **environ;

static int verbose = 1, nodelay = 0, lookup_host = 1, lookup_local = 1, lookup_info = 1, paranoid, allow_missing;
static unsigned limit = 40, active, info_timeout = 26;
static const char *rules_file, *local_name, *banner;
static unsigned long uid, gid;    /* 0: keep ours, as tcpserver does */
static char *const *prog;
static char **base_env;         /* the inherited environment, less ours */
static volatile sig_atomic_t child_ended;
static char run_failed[64];     /* "quail-tcpserver: warning: unable to run " */

/* one connection: what its child gets */
struct conn {
  int fd;
  int v6;                       /* the client is a real IPv6 one */
  char lip[INET6_ADDRSTRLEN], rip[INET6_ADDRSTRLEN];   /* TCP* forms */
  char lip6[INET6_ADDRSTRLEN], rip6[INET6_ADDRSTRLEN]; /* TCP6* forms */
  unsigned lport, rport;
  char rhost[NI_MAXHOST];       /* "" when not looked up or not found */
  char rinfo[INFO_MAX + 1];     /* the ident answer; "" when none */
  int has_info;                 /* an answer came (it may be empty) */
  struct str rules;             /* the matching rule's instructions */
  char vars[16][NI_MAXHOST + 32];
  char *env[ENV_MAX];
};

static void status(void)
{
  if (verbose > 1) fprintf(stderr, "%s: status: %u/%u\n", diag_prog(), active, limit);
}

static void on_child(int sig)
{
  (void)sig;
  child_ended = 1;
}

/* a decimal number from min to max, or exit 100 */
static unsigned long number(const char *s, const char *what, unsigned long min, unsigned long max)
{
  unsigned long n;
  int k = scan_ulong(s, &n);
  if (!k || s[k] || n < min || n > max) diag_die(100, "bad ", what, ": ", s, (char *)0);
  return n;
}
#define COUNT_MAX 1000000
#define ID_MAX    4294967294UL  /* a uid or gid; 0 leaves ours */

static void on_term(int sig)
{
  (void)sig;
  _exit(0);                     /* tcpserver's way: children go on */
}

/* the name of an environment entry, up to '=' */
static size_t namelen(const char *e)
{
  const char *q = strchr(e, '=');
  return q ? (size_t)(q - e) : strlen(e);
}

static int ours(const char *e)
{
  static const char *const names[] = { "PROTO", "TCPLOCALIP", "TCPLOCALPORT", "TCPLOCALHOST",
    "TCPREMOTEIP", "TCPREMOTEPORT", "TCPREMOTEHOST", "TCPREMOTEINFO", "TCP6LOCALIP",
    "TCP6LOCALPORT", "TCP6LOCALHOST", "TCP6REMOTEIP", "TCP6REMOTEPORT", "TCP6REMOTEHOST",
    "TCP6REMOTEINFO", 0 };
  size_t n = namelen(e), i;
  for (i = 0; names[i]; i++)
    if (strlen(names[i]) == n && !memcmp(names[i], e, n)) return 1;
  return 0;
}

/* the rule for the key fmt makes, into c->rules: 1, 0 none, -1 error.
 * cdb_seek's reads on the descriptor: an mmap of the file (cdb_init)
 * costs about 20 µs more a connection */
static int rule_at(int fd, struct conn *c, const char *fmt, ...)
{
  char key[INFO_MAX + NI_MAXHOST + 3];
  unsigned len;
  va_list ap;
  int n, r;
  va_start(ap, fmt);
  n = vsnprintf(key, sizeof key, fmt, ap);
  va_end(ap);
  r = cdb_seek(fd, key, (unsigned)n, &len);
  if (r <= 0) return r;
  if (str_ready(&c->rules, len + 1) < 0 || read(fd, c->rules.s, len) != (ssize_t)len) return -1;
  c->rules.len = len;
  return 1;
}

/* the instructions of the first rule that matches, in tcpserver's order:
 * info@address and info@=host when ident answered, the address, =host,
 * the address's prefixes ending in '.' (or ':' for IPv6), =.suffixes of
 * host, "=" when a host is known, then ""; 1 found, 0 none, -1
 * unreadable */
static int rules_find(struct conn *c)
{
  const char *ip = c->rip, *h = c->rhost;
  char sep = c->v6 ? ':' : '.';
  size_t n = strlen(ip), i;
  int fd, r = 0;
  c->rules.len = 0;
  if (!rules_file) return 0;
  fd = open(rules_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT && allow_missing ? 0 : -1;
  if (c->has_info) {
    r = rule_at(fd, c, "%s@%s", c->rinfo, ip);
    if (!r && *h) r = rule_at(fd, c, "%s@=%s", c->rinfo, h);
  }
  if (!r) r = rule_at(fd, c, "%s", ip);
  if (!r && *h) r = rule_at(fd, c, "=%s", h);
  for (i = n; !r && i > 0; i--)
    if (ip[i - 1] == sep) r = rule_at(fd, c, "%.*s", (int)i, ip);
  for (i = 0; !r && *h && h[i]; i++)
    if (h[i] == '.') r = rule_at(fd, c, "=%s", h + i);
  if (!r && *h) r = rule_at(fd, c, "=");
  if (!r) r = rule_at(fd, c, "");
  close(fd);
  if (r <= 0) c->rules.len = 0;
  return r;
}

/* whether e's name is among the first n entries of c's environment,
 * the rule's variables */
static int set_by_rule(const struct conn *c, int n, const char *e)
{
  size_t l = namelen(e);
  int k;
  for (k = 0; k < n; k++)
    if (namelen(c->env[k]) == l && !memcmp(c->env[k], e, l)) return 1;
  return 0;
}

/* the child's environment: the rule's variables, then ours and the
 * inherited ones that the rule does not set; 0 allowed, -1 denied */
static int env_make(struct conn *c)
{
  const char *set[16];
  size_t nset = 0, i;
  int n = 0, v = 0, nrules;
  char *p = c->rules.s, *end = c->rules.s + c->rules.len;
  while (p < end) {
    size_t l = strnlen(p, (size_t)(end - p));
    if (*p == 'D') return -1;
    if (*p == '+' && n < ENV_MAX / 2) c->env[n++] = p + 1;
    p += l + 1;
  }
#define VAR(...) (snprintf(c->vars[v], sizeof c->vars[v], __VA_ARGS__), set[nset++] = c->vars[v++])
  VAR("PROTO=%s", c->v6 ? "TCP6" : "TCP");
  VAR("TCPLOCALIP=%s", c->lip);
  VAR("TCP6LOCALIP=%s", c->lip6);
  VAR("TCPLOCALPORT=%u", c->lport);
  VAR("TCP6LOCALPORT=%u", c->lport);
  if (local_name) {
    VAR("TCPLOCALHOST=%s", local_name);
    VAR("TCP6LOCALHOST=%s", local_name);
  }
  VAR("TCPREMOTEIP=%s", c->rip);
  VAR("TCP6REMOTEIP=%s", c->rip6);
  VAR("TCPREMOTEPORT=%u", c->rport);
  VAR("TCP6REMOTEPORT=%u", c->rport);
  if (*c->rhost) {
    VAR("TCPREMOTEHOST=%s", c->rhost);
    VAR("TCP6REMOTEHOST=%s", c->rhost);
  }
  if (c->has_info) {
    VAR("TCPREMOTEINFO=%s", c->rinfo);
    VAR("TCP6REMOTEINFO=%s", c->rinfo);
  }
#undef VAR
  nrules = n;
  for (i = 0; i < nset; i++)
    if (!set_by_rule(c, nrules, set[i])) c->env[n++] = (char *)set[i];
  for (i = 0; base_env[i] && n < ENV_MAX - 1; i++)
    if (!set_by_rule(c, nrules, base_env[i])) c->env[n++] = base_env[i];
  c->env[n] = 0;
  return 0;
}

/* TCP* and TCP6* forms of an address: an IPv4-mapped one is IPv4 in
 * TCP*, as ucspi-tcp-ipv6 writes it */
static int addr_forms(const struct sockaddr_storage *ss, char *v4form, char *v6form, unsigned *port)
{
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s = (const void *)ss;
    inet_ntop(AF_INET, &s->sin_addr, v4form, INET6_ADDRSTRLEN);
    snprintf(v6form, INET6_ADDRSTRLEN, "::ffff:%s", v4form);
    *port = ntohs(s->sin_port);
    return 0;
  } else {
    const struct sockaddr_in6 *s = (const void *)ss;
    inet_ntop(AF_INET6, &s->sin6_addr, v6form, INET6_ADDRSTRLEN);
    *port = ntohs(s->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
      inet_ntop(AF_INET, &s->sin6_addr.s6_addr[12], v4form, INET6_ADDRSTRLEN);
      return 0;
    }
    strcpy(v4form, v6form);
    return 1;
  }
}

/* the remote host's name (-h), confirmed forward with -p; in a forked
 * child only */
static void remote_host(struct conn *c, const struct sockaddr_storage *r, socklen_t rl)
{
  struct addrinfo hints, *ai, *a;
  char ip[INET6_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
  unsigned port;
  int ok = 0;
  if (getnameinfo((const struct sockaddr *)r, rl, c->rhost, sizeof c->rhost, 0, 0, NI_NAMEREQD) != 0) {
    c->rhost[0] = 0;
    return;
  }
  if (!paranoid) return;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(c->rhost, 0, &hints, &ai) == 0) {
    for (a = ai; a && !ok; a = a->ai_next) {
      struct sockaddr_storage ss;
      memset(&ss, 0, sizeof ss);
      memcpy(&ss, a->ai_addr, a->ai_addrlen);
      addr_forms(&ss, ip, ip6, &port);
      ok = !strcmp(ip, c->rip);
    }
    freeaddrinfo(ai);
  }
  if (!ok) c->rhost[0] = 0;
}

/* a name for a log line, as tcpserver writes it: at most 100 bytes,
 * anything but printable ASCII and '%' as '?' */
static const char *safe(char *out, const char *in)
{
  size_t i;
  for (i = 0; in[i] && i < 100; i++)
    out[i] = in[i] < 33 || in[i] > 126 || in[i] == '%' ? '?' : in[i];
  strcpy(out + i, in[i] ? "..." : "");
  return out;
}

static void log_conn(const char *what, pid_t pid, const struct conn *c)
{
  char l[104], h[104], i[104];
  if (verbose > 1)
    fprintf(stderr, "%s: %s %ld %s:%s:%u %s:%s:%s:%u\n", diag_prog(), what, (long)pid,
            safe(l, local_name ? local_name : ""), c->lip6, c->lport, safe(h, c->rhost), c->rip6,
            safe(i, c->rinfo), c->rport);
}

/* milliseconds left before deadline, at least 0 */
static int left(const struct timespec *deadline)
{
  struct timespec now;
  long ms;
  clock_gettime(CLOCK_MONOTONIC, &now);
  ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
  return ms > 0 ? (int)ms : 0;
}

static void set_port(struct sockaddr_storage *ss, unsigned port)
{
  if (ss->ss_family == AF_INET6) ((struct sockaddr_in6 *)ss)->sin6_port = htons((unsigned short)port);
  else ((struct sockaddr_in *)ss)->sin_port = htons((unsigned short)port);
}

/* TCPREMOTEINFO (-r): ask the client's ident server (RFC 1413, port 113)
 * from our address on this connection, all within -t seconds; keep what
 * follows the third ':' of its answer less blanks, as tcpserver does. In
 * a forked child only. */
static void remote_info(struct conn *c, const struct sockaddr_storage *l, socklen_t ll,
                        const struct sockaddr_storage *r, socklen_t rl)
{
  struct sockaddr_storage from = *l, to = *r;
  struct timespec deadline;
  struct pollfd p;
  char q[32], buf[512];
  size_t n = 0;
  int fd, colons = 0, err = 0;
  socklen_t el = sizeof err;
  ssize_t got, i;
  c->has_info = 0;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += info_timeout;
  set_port(&from, 0);
  set_port(&to, 113);
  fd = socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  p.fd = fd;
  if (bind(fd, (struct sockaddr *)&from, ll) < 0) goto out;
  if (connect(fd, (struct sockaddr *)&to, rl) < 0) {
    if (errno != EINPROGRESS) goto out;
    p.events = POLLOUT;
    if (poll(&p, 1, left(&deadline)) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) goto out;
  }
  snprintf(q, sizeof q, "%u , %u\r\n", c->rport, c->lport);
  if (write(fd, q, strlen(q)) != (ssize_t)strlen(q)) goto out;
  p.events = POLLIN;
  for (;;) {
    if (poll(&p, 1, left(&deadline)) != 1) goto out;
    got = read(fd, buf, sizeof buf);
    if (got <= 0) goto out;
    for (i = 0; i < got; i++) {
      if (buf[i] == '\n') goto done;
      if (colons < 3) colons += buf[i] == ':';
      else if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r') {
        c->rinfo[n++] = buf[i];
        if (n >= INFO_MAX) goto done;
      }
    }
  }
done:
  c->rinfo[n] = 0;
  c->has_info = 1;
out:
  close(fd);
}

/* exec prog, searched for as tcpserver does: on the PATH of its own
 * environment (/bin:/usr/bin without one) unless it names a path */
static void exec_prog(char *const *env)
{
  const char *path = "/bin:/usr/bin", *end;
  char file[4096];
  int err = ENOENT;
  size_t i, n, m = strlen(prog[0]);
  if (strchr(prog[0], '/')) {
    execve(prog[0], prog, env);
    return;
  }
  for (i = 0; env[i]; i++)
    if (!strncmp(env[i], "PATH=", 5)) path = env[i] + 5;
  for (;;) {
    end = strchr(path, ':');
    n = end ? (size_t)(end - path) : strlen(path);
    if (n + m + 3 <= sizeof file) {
      if (n) memcpy(file, path, n);
      else file[n++] = '.';
      file[n] = '/';
      memcpy(file + n + 1, prog[0], m + 1);
      execve(file, prog, env);
      if (errno != ENOENT) err = errno;
    }
    if (!end) break;
    path = end + 1;
  }
  errno = err;
}

/* the child's side: the socket on 0 and 1, the signals as a new process
 * has them, prog */
static int child_exec(void *arg)
{
  struct conn *c = arg;
  sigset_t chld;
  if (dup2(c->fd, 0) < 0 || dup2(c->fd, 1) < 0) return 111;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_UNBLOCK, &chld, 0);
  signal(SIGPIPE, SIG_DFL);
  exec_prog(c->env);
  if (verbose) spawn_report(2, run_failed, prog[0], "\n");
  return 111;
}

/* the banner, before any lookup, as tcpserver writes it; 0 or -1 */
static int write_banner(int fd)
{
  size_t n = banner ? strlen(banner) : 0;
  return n && write(fd, banner, n) != (ssize_t)n ? -1 : 0;
}

/* a connection that needs DNS: tcpserver's way, in a forked child */
static void slow_child(struct conn *c, const struct sockaddr_storage *r, socklen_t rl)
{
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &dfl, 0);
  sigaction(SIGPIPE, &dfl, 0);
  sigaction(SIGTERM, &dfl, 0);
  if (verbose > 1) fprintf(stderr, "%s: pid %ld from %s\n", diag_prog(), (long)getpid(), c->rip);
  if (write_banner(c->fd) < 0) {
    if (verbose) diag_warnsys("unable to print banner", (char *)0);
    _exit(111);
  }
  if (lookup_local) {
    static char name[NI_MAXHOST];
    struct sockaddr_storage l;
    socklen_t ll = sizeof l;
    if (getsockname(c->fd, (struct sockaddr *)&l, &ll) == 0 &&
        getnameinfo((struct sockaddr *)&l, ll, name, sizeof name, 0, 0, NI_NAMEREQD) == 0)
      local_name = name;
  }
  if (lookup_host) remote_host(c, r, rl);
  if (lookup_info) {
    struct sockaddr_storage l;
    socklen_t ll = sizeof l;
    if (getsockname(c->fd, (struct sockaddr *)&l, &ll) == 0) remote_info(c, &l, ll, r, rl);
  }
  switch (rules_find(c)) {
  case -1:
    if (verbose) diag_warnsys("unable to read ", rules_file, (char *)0);
    _exit(111);
  default: break;
  }
  if (env_make(c) < 0) {
    log_conn("deny", getpid(), c);
    _exit(100);
  }
  log_conn("ok", getpid(), c);
  fflush(stderr);
  _exit(child_exec(c));
}

static void reap(void)
{
  int st;
  pid_t pid;
  child_ended = 0;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    if (active) active--;
    if (verbose > 1) fprintf(stderr, "%s: end %ld status %d\n", diag_prog(), (long)pid, st);
    status();
  }
}

static int listen_on(const char *host, const char *port, int backlog)
{
  struct addrinfo hints, *ai;
  int s, one = 1, zero = 0, e;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (!strcmp(host, "0")) {
    host = "::";
    hints.ai_family = AF_INET6;
  }
  if (strspn(port, "0123456789") != strlen(port)) {
    struct servent *se = getservbyname(port, "tcp");
    static char num[16];
    if (!se) diag_die(111, "unable to figure out port number for ", port, (char *)0);
    snprintf(num, sizeof num, "%u", ntohs((unsigned short)se->s_port));
    port = num;
  }
  if ((e = getaddrinfo(host, port, &hints, &ai)) != 0)
    diag_die(111, "unable to figure out the address of ", host, ": ", gai_strerror(e), (char *)0);
  s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 && errno == EAFNOSUPPORT && hints.ai_family == AF_INET6) {
    freeaddrinfo(ai);           /* "0" on a host without IPv6 */
    hints.ai_family = AF_INET;
    if ((e = getaddrinfo("0.0.0.0", port, &hints, &ai)) != 0)
      diag_die(111, "unable to figure out the address of 0: ", gai_strerror(e), (char *)0);
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }
  if (s < 0) diag_diesys(111, "unable to create a socket", (char *)0);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ai->ai_family == AF_INET6 && hints.ai_family == AF_INET6)
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);   /* "0": both */
  if (bind(s, ai->ai_addr, ai->ai_addrlen) < 0) diag_diesys(111, "unable to bind", (char *)0);
  if (listen(s, backlog) < 0) diag_diesys(111, "unable to listen", (char *)0);
  freeaddrinfo(ai);
  return s;
}

int main(int argc, char **argv)
{
  static struct conn c;         /* one at a time; static: read by a vfork child */
  const char *e;
  int opt, s, backlog = 20, print_port = 0, i, n;
  struct sigaction sa;
  sigset_t block, waitmask;

  diag_init("quail-tcpserver");
  snprintf(run_failed, sizeof run_failed, "%s: warning: unable to run ", diag_prog());
  while ((opt = getopt(argc, argv, "+qQvdDhHpPrRoO1UXx:c:b:l:B:u:g:t:")) != -1) {
    switch (opt) {
    case 'q': verbose = 0; break;
    case 'Q': verbose = 1; break;
    case 'v': verbose = 2; break;
    case 'd': nodelay = 0; break;
    case 'D': nodelay = 1; break;
    case 'h': lookup_host = 1; break;
    case 'H': lookup_host = 0; break;
    case 'p': paranoid = 1; break;
    case 'P': paranoid = 0; break;
    case 'r': lookup_info = 1; break;
    case 'R': lookup_info = 0; break;
    case 't': info_timeout = (unsigned)number(optarg, "timeout", 1, COUNT_MAX); break;
    case 'o': case 'O': break;                /* IP options: accepted, ignored */
    case '1': print_port = 1; break;
    case 'U':                 /* $UID and $GID, as if given here */
      if ((e = getenv("UID"))) uid = number(e, "$UID", 0, ID_MAX);
      if ((e = getenv("GID"))) gid = number(e, "$GID", 0, ID_MAX);
      break;
    case 'X': allow_missing = 1; break;
    case 'x': rules_file = optarg; break;
    case 'c': limit = (unsigned)number(optarg, "concurrency", 1, COUNT_MAX); break;
    case 'b': backlog = (int)number(optarg, "backlog", 1, COUNT_MAX); break;
    case 'l': local_name = optarg; lookup_local = 0; break;
    case 'B': banner = optarg; break;
    case 'u': uid = number(optarg, "uid", 0, ID_MAX); break;
    case 'g': gid = number(optarg, "gid", 0, ID_MAX); break;
    default: diag_usage(USAGE);
    }
  }
  if (argc - optind < 3) diag_usage(USAGE);
  prog = argv + optind + 2;

  s = listen_on(argv[optind], argv[optind + 1], backlog);
  if (print_port) {
    struct sockaddr_storage l;
    socklen_t ll = sizeof l;
    char a[INET6_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
    unsigned port = 0;
    if (getsockname(s, (struct sockaddr *)&l, &ll) == 0) addr_forms(&l, a, a6, &port);
    printf("%u\n", port);
    fflush(stdout);
  }
  if (gid && (setgroups(0, 0) < 0 || setgid((gid_t)gid) < 0))
    diag_diesys(111, "unable to set group id", (char *)0);
  if (uid && setuid((uid_t)uid) < 0)
    diag_diesys(111, "unable to set user id", (char *)0);

  for (n = 0; environ[n]; n++) ;
  base_env = calloc((size_t)n + 1, sizeof *base_env);
  if (!base_env) diag_nomem();
  for (i = n = 0; environ[i]; i++)
    if (!ours(environ[i])) base_env[n++] = environ[i];

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);
  signal(SIGPIPE, SIG_IGN);
  sa.sa_handler = on_term;
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, 0);
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &waitmask);
  sigdelset(&waitmask, SIGCHLD);
  status();

  for (;;) {
    struct sockaddr_storage r, l;
    socklen_t rl = sizeof r, ll = sizeof l;
    struct pollfd p;
    pid_t pid;
    if (child_ended) reap();
    p.fd = s;
    p.events = POLLIN;
    /* SIGCHLD only while waiting; at the limit, wait for a child alone */
    if (ppoll(&p, active < limit ? 1 : 0, 0, &waitmask) < 0 || !(p.revents & POLLIN) || active >= limit) continue;
    c.fd = accept4(s, (struct sockaddr *)&r, &rl, SOCK_CLOEXEC);
    if (c.fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        if (verbose) diag_warnsys("unable to accept", (char *)0);
        poll(0, 0, 100);
      }
      continue;
    }
    if (getsockname(c.fd, (struct sockaddr *)&l, &ll) < 0) { close(c.fd); continue; }
    addr_forms(&l, c.lip, c.lip6, &c.lport);
    c.v6 = addr_forms(&r, c.rip, c.rip6, &c.rport);
    c.rhost[0] = c.rinfo[0] = 0;
    c.has_info = 0;
    if (nodelay) {
      int one = 1;
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (lookup_host || lookup_local || lookup_info) {
      pid = fork();
      if (pid == 0) slow_child(&c, &r, rl);
      if (pid < 0 && verbose) diag_warnsys("unable to fork", (char *)0);
    } else {
      /* no child yet: a denial is logged with our own pid */
      pid = -1;
      if (write_banner(c.fd) < 0) {
        if (verbose) diag_warnsys("unable to print banner", (char *)0);
      } else if (rules_find(&c) < 0) {
        if (verbose) diag_warnsys("unable to read ", rules_file, (char *)0);
      } else if (env_make(&c) < 0) {
        log_conn("deny", getpid(), &c);
      } else if ((pid = spawn_vm(child_exec, &c)) < 0) {
        if (verbose) diag_warnsys("unable to start a child", (char *)0);
      } else {
        if (verbose > 1) fprintf(stderr, "%s: pid %ld from %s\n", diag_prog(), (long)pid, c.rip);
        log_conn("ok", pid, &c);
      }
    }
    if (pid > 0) {
      active++;
      status();
    }
    close(c.fd);
  }
}
