/* qmqp-client: give a message to a QMQP server (qmail-qmqpc), the queue
 * program of a host without a queue of its own (mini-qmail): put it in
 * QMAILQUEUE, or install it as queue-writer, and every program that
 * queues sends its mail to a hub.
 *
 * Reads the message on fd 0, then the envelope on fd 1 in qmail-queue's
 * format (F sender NUL, T recipient NUL for each, NUL), as queue-writer
 * does. The message is held in memory up to SPOOL_MEM bytes, beyond
 * that in an unlinked file in $TMPDIR (default /tmp). Sends both as one
 * QMQP package (cr.yp.to/proto/qmqp.html) to the first server of
 * HOME/control/qmqpservers that takes it: one server per line, an IPv4
 * or IPv6 address with an optional port ("192.0.2.1:628",
 * "[2001:db8::1]:628"; default 628). The next server is tried when a
 * connection fails or times out (control/timeoutconnect, default 60
 * seconds), or breaks before the whole package was sent; once the
 * package is sent, the answer decides (control/timeoutremote, default
 * 1200 seconds, bounds each write and the wait for the answer).
 *
 * Exit codes are qmail-qmqpc's, from qmail-queue's table: 0 the server
 * accepted the message; 31 it refused it permanently; 71 temporarily;
 * 72 timeout; 73 connection refused; 74 communication failed or a
 * malformed answer; 11 address too long; 51 out of memory; 53 unable to
 * write the temporary file; 54 unable to read the message or the
 * envelope; 55 unable to read a control file, or no usable server in
 * qmqpservers; 56 unable to make a socket; 61 unable to enter HOME;
 * 91 envelope format error. 11-40 are permanent, the others temporary. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "addr.h"
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "netstring.h"
#include "str.h"

#define PORT_QMQP          628
#define TIMEOUT_CONNECT    60       /* control/timeoutconnect when missing */
#define TIMEOUT_REMOTE     1200     /* control/timeoutremote when missing */
#define SPOOL_MEM          (1024 * 1024)   /* message bytes held in memory */
#define RCPTS_MAX          10000    /* recipients of one message */
#define ANSWER_MAX         1000     /* bytes of the server's answer */
#define CHUNK              16384
#define TMPDIR_DEFAULT     "/tmp"
#define PATH_SIZE          4096

struct client {
  /* the message: in mem, or in the file fd when larger than SPOOL_MEM */
  struct str mem;
  int fd;
  unsigned long long len;
  struct str envelope;           /* sender and recipients as netstrings */
  unsigned long rcpts;
  int timeoutconnect, timeoutremote;
  int lasterror;                 /* exit code when no server takes the message */
  struct str answer;
  char space[BUF_SIZE];
};

/* ---------- failures ---------- */

static void __attribute__((noreturn)) die_home(const char *home)
{
  diag_diesys(QQ_HOME, "unable to enter the quail home directory ", home, (char *)0);
}
static void __attribute__((noreturn)) die_control(const char *f)
{
  diag_diesys(QQ_CONFIG, "unable to read control/", f, (char *)0);
}
static void __attribute__((noreturn)) die_noservers(void)
{
  diag_die(QQ_CONFIG, "no usable server in control/qmqpservers", (char *)0);
}
static void __attribute__((noreturn)) die_nomem(void) { diag_die(QQ_NOMEM, "out of memory", (char *)0); }
static void __attribute__((noreturn)) die_read(const char *what)
{
  if (errno == ENOMEM) die_nomem();
  diag_diesys(QQ_READ, "unable to read the ", what, (char *)0);
}
static void __attribute__((noreturn)) die_tmp(const char *dir)
{
  diag_diesys(QQ_WRITE, "unable to write a temporary file in ", dir, (char *)0);
}
static void __attribute__((noreturn)) die_envelope(const char *why)
{
  diag_die(QQ_ENVELOPE, "envelope format error: ", why, (char *)0);
}
static void __attribute__((noreturn)) die_toolong(void)
{
  diag_die(QQ_ADDR_TOO_LONG, "address too long", (char *)0);
}
static void __attribute__((noreturn)) die_toomany(void)
{
  diag_die(QQ_PERM_REFUSED, "too many recipients", (char *)0);
}
static void __attribute__((noreturn)) die_socket(void)
{
  diag_diesys(QQ_NETWORK, "unable to make a socket", (char *)0);
}

/* ---------- configuration ---------- */

static int read_timeout(const char *name, int def)
{
  unsigned long u;
  char path[64];
  snprintf(path, sizeof path, "control/%s", name);   /* our own short names */
  if (control_readulong(path, &u, (unsigned long)def) < 0) die_control(name);
  return u == 0 || u > INT_MAX ? def : (int)u;
}

/* "a.b.c.d[:port]", "v6addr" or "[v6addr][:port]": 0, or -1 malformed */
static int server_parse(const char *line, struct sockaddr_storage *ss, socklen_t *sslen)
{
  char host[INET6_ADDRSTRLEN + 1];
  const char *end, *port = 0;
  unsigned long p = PORT_QMQP;
  size_t n;
  if (line[0] == '[') {
    if (!(end = strchr(++line, ']'))) return -1;
    if (end[1] == ':') port = end + 2;
    else if (end[1]) return -1;
  } else if ((end = strchr(line, ':')) && !strchr(end + 1, ':')) {
    port = end + 1;                               /* IPv4 with a port */
  } else {
    end = line + strlen(line);                    /* bare IPv4 or IPv6 */
  }
  n = (size_t)(end - line);
  if (!n || n >= sizeof host) return -1;
  memcpy(host, line, n);
  host[n] = 0;
  if (port && (scan_ulong(port, &p) != (int)strlen(port) || !*port || p == 0 || p > 65535)) return -1;
  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
    ((struct sockaddr_in *)ss)->sin_family = AF_INET;
    ((struct sockaddr_in *)ss)->sin_port = htons((unsigned short)p);
    *sslen = sizeof(struct sockaddr_in);
    return 0;
  }
  if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
    ((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
    ((struct sockaddr_in6 *)ss)->sin6_port = htons((unsigned short)p);
    *sslen = sizeof(struct sockaddr_in6);
    return 0;
  }
  return -1;
}

/* ---------- the message and the envelope ---------- */

/* move what is in memory to an unlinked file in dir */
static void spool_to_file(struct client *c, const char *dir)
{
  char path[PATH_SIZE];
  int n = snprintf(path, sizeof path, "%s/qmqp-client.XXXXXX", dir);
  if (n < 0 || (size_t)n >= sizeof path) { errno = ENAMETOOLONG; die_tmp(dir); }
  c->fd = mkostemp(path, O_CLOEXEC);
  if (c->fd < 0) die_tmp(dir);
  unlink(path);
  if (fd_write_all(c->fd, c->mem.s, c->mem.len) < 0) die_tmp(dir);
  str_free(&c->mem);
}

static void read_message(struct client *c, const char *tmpdir)
{
  char chunk[CHUNK];
  for (;;) {
    ssize_t r = fd_read_retry(0, chunk, sizeof chunk);
    if (r < 0) die_read("message");
    if (r == 0) return;
    c->len += (unsigned long long)r;
    if (c->fd < 0 && c->len > SPOOL_MEM) spool_to_file(c, tmpdir);
    if (c->fd >= 0 && fd_write_all(c->fd, chunk, (size_t)r) < 0) die_tmp(tmpdir);
    if (c->fd < 0 && str_catb(&c->mem, chunk, (size_t)r) < 0) die_nomem();
  }
}

/* one address up to its NUL, appended to the envelope as a netstring */
static void read_addr(struct client *c, struct buf *in, struct str *a)
{
  char ch;
  a->len = 0;
  for (;;) {
    ssize_t r = buf_get(in, &ch, 1);
    if (r < 0) die_read("envelope");
    if (r == 0) die_envelope("it ends inside an address");
    if (!ch) break;
    if (ch == '\n' || ch == '\r') die_envelope("a line break in an address");
    if (a->len >= ADDR_MAX) die_toolong();
    if (str_catc(a, ch) < 0) die_nomem();
  }
  if (ns_cat(&c->envelope, a->s ? a->s : "", a->len) < 0) die_nomem();
}

static void read_envelope(struct client *c)
{
  char space[4096], ch;
  struct buf in;
  struct str a = STR_ZERO;
  buf_init(&in, 1, space, sizeof space);
  if (buf_get(&in, &ch, 1) != 1 || ch != 'F') die_envelope("no sender first");
  read_addr(c, &in, &a);
  for (;;) {
    ssize_t r = buf_get(&in, &ch, 1);
    if (r < 0) die_read("envelope");
    if (r == 0) die_envelope("no NUL at its end");
    if (!ch) break;
    if (ch != 'T') die_envelope("a field other than T");
    if (++c->rcpts > RCPTS_MAX) die_toomany();
    read_addr(c, &in, &a);
    if (!a.len) die_envelope("an empty recipient");
  }
  if (!c->rcpts) die_envelope("no recipients");
  str_free(&a);
}

/* ---------- one server ---------- */

/* a connection to sa within the timeout: the fd, or -1 with errno */
static int connect_timeout(const struct sockaddr *sa, socklen_t len, int timeout)
{
  int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int err = 0;
  socklen_t elen = sizeof err;
  if (fd < 0) die_socket();
  if (fd_nonblock(fd) < 0) die_socket();
  if (connect(fd, sa, len) < 0) {
    if (errno != EINPROGRESS) goto fail;
    if (fd_wait(fd, 1, timeout) < 0) goto fail;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) goto fail;
    if (err) { errno = err; goto fail; }
  }
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) goto fail;
  return fd;
fail:
  err = errno;
  close(fd);
  errno = err;
  return -1;
}

/* the whole package: "LEN:" message-netstring envelope "," */
static int send_package(struct client *c, int fd)
{
  struct buf out;
  char chunk[CHUNK];
  unsigned long long left = c->len;
  buf_init(&out, fd, c->space, sizeof c->space);
  out.timeout = c->timeoutremote;
  if (ns_puthead(&out, ns_size(c->len) + c->envelope.len) < 0 || ns_puthead(&out, c->len) < 0) return -1;
  if (c->fd < 0 && c->len && buf_put(&out, c->mem.s, c->len) < 0) return -1;
  if (c->fd >= 0 && lseek(c->fd, 0, SEEK_SET) < 0) die_read("temporary file");
  while (c->fd >= 0 && left) {
    ssize_t r = fd_read_retry(c->fd, chunk, left < sizeof chunk ? (size_t)left : sizeof chunk);
    if (r <= 0) { if (r == 0) errno = EIO; die_read("temporary file"); }
    if (buf_put(&out, chunk, (size_t)r) < 0) return -1;
    left -= (unsigned long long)r;
  }
  if (buf_put(&out, ",", 1) < 0 || buf_putstr(&out, &c->envelope) < 0) return -1;
  if (buf_put(&out, ",", 1) < 0 || buf_flush(&out) < 0) return -1;
  return 0;
}

/* the answer's exit code: K 0, Z 71, D 31; 72 or 74 when there is none */
static int read_answer(struct client *c, int fd)
{
  struct buf in;
  int r;
  buf_init(&in, fd, c->space, sizeof c->space);
  in.timeout = c->timeoutremote;
  r = ns_get(&in, &c->answer, ANSWER_MAX);
  if (r < 0 && errno == ETIMEDOUT) return QQ_CONN_TIMEOUT;
  if (r <= 0 || !c->answer.len) return QQ_CONN_FAILED;
  switch (c->answer.s[0]) {
  case 'K': return QQ_OK;
  case 'Z': return QQ_TEMP_REFUSED;
  case 'D': return QQ_PERM_REFUSED;
  default: return QQ_CONN_FAILED;
  }
}

/* try one server: 1 when the answer is final (its code in c->lasterror),
 * 0 when the next server should be tried */
static int try_server(struct client *c, const char *name)
{
  struct sockaddr_storage ss;
  socklen_t sslen;
  int fd, code;
  if (server_parse(name, &ss, &sslen) < 0) {
    diag_warn("control/qmqpservers: not an address: ", name, (char *)0);
    return 0;
  }
  fd = connect_timeout((struct sockaddr *)&ss, sslen, c->timeoutconnect);
  if (fd < 0) {
    c->lasterror = errno == ETIMEDOUT ? QQ_CONN_TIMEOUT : QQ_CONN_REJECT;
    diag_warnsys("unable to connect to ", name, (char *)0);
    return 0;
  }
  if (send_package(c, fd) < 0) {
    c->lasterror = errno == ETIMEDOUT ? QQ_CONN_TIMEOUT : QQ_CONN_FAILED;
    diag_warnsys("unable to send the message to ", name, (char *)0);
    close(fd);
    return 0;
  }
  code = read_answer(c, fd);
  close(fd);
  c->lasterror = code;
  return 1;
}

/* the final word: silent on K */
static void __attribute__((noreturn)) report(struct client *c, const char *name)
{
  int code = c->lasterror;
  if (code == QQ_OK) _exit(QQ_OK);
  if (code == QQ_TEMP_REFUSED || code == QQ_PERM_REFUSED) {
    if (str_0(&c->answer) < 0) die_nomem();
    diag_die(code, name, " refused the message: ", c->answer.s + 1, (char *)0);
  }
  diag_die(code, name ? name : "every server", ": ", qq_text(code), (char *)0);
}

int main(int argc, char **argv)
{
  static struct client c;
  struct str servers = STR_ZERO;
  const char *home = home_dir(getenv("QUAIL_HOME"));
  const char *tmpdir = getenv("TMPDIR");
  const char *name;
  size_t pos = 0;
  int any = 0;

  diag_init("qmqp-client");
  (void)argc; (void)argv;          /* qmail-queue's interface: arguments are ignored */
  signal(SIGPIPE, SIG_IGN);
  c.fd = -1;
  c.lasterror = QQ_CONFIG;
  if (chdir(home) < 0) die_home(home);
  switch (control_readlines("control/qmqpservers", &servers)) {
  case -1: die_control("qmqpservers");
  case 0: die_noservers();
  }
  c.timeoutconnect = read_timeout("timeoutconnect", TIMEOUT_CONNECT);
  c.timeoutremote = read_timeout("timeoutremote", TIMEOUT_REMOTE);

  read_message(&c, tmpdir && *tmpdir ? tmpdir : TMPDIR_DEFAULT);
  read_envelope(&c);

  while ((name = control_next(&servers, &pos))) {
    any = 1;
    if (try_server(&c, name)) report(&c, name);
  }
  if (!any || c.lasterror == QQ_CONFIG) die_noservers();
  report(&c, 0);
}
