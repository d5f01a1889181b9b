/* bench/listener.c: listener [-f] [-x RULES.cdb] [-l NAME] HOST PORT PROGRAM [ARG...]
 *
 * A measuring instrument, not a server to run mail on: a stand-in for
 * ucspi-tcp's tcpserver -R -H that does the same work per connection
 * (accept, the tcprules cdb lookup for the remote IPv4 address, the
 * PROTO/TCPLOCAL* /TCPREMOTE* environment, the socket on fd 0 and 1, exec
 * of PROGRAM) and differs from it in one chosen way at a time. It is built
 * as tcpserver is (dynamically, with glibc) and starts each PROGRAM with
 * vfork, or with fork under -f as tcpserver does. `LISTENER=1
 * bench/phases.sh` puts quail's smtpd under tcpserver and under each of
 * these and compares their transactions, which is how the cost of
 * tcpserver's fork per connection was measured (README.md); bench/run.sh
 * takes LISTENER=1 too. No connection limit, no DNS, no ident, IPv4 only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ENVMAX 256
extern char **environ;

static void usage(void)
{
  fprintf(stderr, "usage: listener [-f] [-x rules.cdb] [-l name] host port program [arg...]\n");
  exit(100);
}

static void reap(int sig)
{
  int e = errno;
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) ;
  errno = e;
}

/* the rules for ip as tcpserver looks them up without a host name or
 * ident: the address, its prefixes ending in a dot, then ""; 1 when found,
 * with the data in *data (NUL-separated "D" or "+VAR=value" strings) */
static int rules(const char *file, const char *ip, char **data, unsigned *len)
{
  static char buf[4096];
  size_t n = strlen(ip), i;
  int fd = open(file, O_RDONLY | O_CLOEXEC), found;
  if (fd < 0) return -1;
  found = cdb_seek(fd, ip, (unsigned)n, len) > 0;
  for (i = n; !found && i > 0; i--)
    if (ip[i - 1] == '.') found = cdb_seek(fd, ip, (unsigned)i, len) > 0;
  if (!found) found = cdb_seek(fd, "", 0, len) > 0;
  if (found && (*len >= sizeof buf || read(fd, buf, *len) != (ssize_t)*len)) found = -1;
  close(fd);
  *data = buf;
  return found;
}

int main(int argc, char **argv)
{
  static const char *rulesfile, *localname;   /* static: vfork */
  static int usefork;
  int s, one = 1, opt;
  struct sockaddr_in a;
  struct sigaction sa;

  while ((opt = getopt(argc, argv, "fx:l:")) != -1) {
    switch (opt) {
    case 'f': usefork = 1; break;
    case 'x': rulesfile = optarg; break;
    case 'l': localname = optarg; break;
    default: usage();
    }
  }
  if (argc - optind < 3) usage();
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[optind + 1]));
  if (inet_pton(AF_INET, argv[optind], &a.sin_addr) != 1) usage();
  s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 100) < 0) {
    perror("listener: unable to listen");
    return 111;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = reap;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);

  for (;;) {
    static char lip[64], lport[32], rip[64], rport[32], lhost[300];
    char *env[ENVMAX], *data, **e;
    unsigned len = 0;
    int n = 0, c, deny = 0;
    struct sockaddr_in r, l;
    socklen_t rl = sizeof r, ll = sizeof l;
    pid_t pid;

    c = accept4(s, (struct sockaddr *)&r, &rl, SOCK_CLOEXEC);
    if (c < 0) continue;
    if (getsockname(c, (struct sockaddr *)&l, &ll) < 0) { close(c); continue; }
    /* ours first: getenv takes the first of two with one name */
    env[n++] = "PROTO=TCP";
    snprintf(lip, sizeof lip, "TCPLOCALIP=%s", inet_ntoa(l.sin_addr));
    env[n++] = lip;
    snprintf(lport, sizeof lport, "TCPLOCALPORT=%u", ntohs(l.sin_port));
    env[n++] = lport;
    if (localname) {
      snprintf(lhost, sizeof lhost, "TCPLOCALHOST=%s", localname);
      env[n++] = lhost;
    }
    snprintf(rip, sizeof rip, "TCPREMOTEIP=%s", inet_ntoa(r.sin_addr));
    env[n++] = rip;
    snprintf(rport, sizeof rport, "TCPREMOTEPORT=%u", ntohs(r.sin_port));
    env[n++] = rport;
    if (rulesfile) {
      int f = rules(rulesfile, rip + sizeof "TCPREMOTEIP=" - 1, &data, &len);
      if (f < 0) { close(c); continue; }       /* tcpserver drops it too */
      while (f && len) {
        size_t k = strnlen(data, len);
        if (data[0] == 'D') deny = 1;
        if (data[0] == '+' && n < ENVMAX / 2) env[n++] = data + 1;
        if (k == len) break;
        data += k + 1;
        len -= (unsigned)k + 1;
      }
    }
    for (e = environ; *e && n < ENVMAX - 1; e++) env[n++] = *e;
    env[n] = 0;
    if (deny) { close(c); continue; }
    pid = usefork ? fork() : vfork();
    if (pid == 0) {
      if (dup2(c, 0) < 0 || dup2(c, 1) < 0) _exit(111);
      execve(argv[optind + 2], argv + optind + 2, env);
      _exit(111);
    }
    close(c);
  }
}
