/* pop3-login: POP3's AUTHORIZATION state (qmail-popup), a tcpserver child.
 *
 *   pop3-login hostname checkpassword-program [args...]
 *   e.g. pop3-login mail.example.org HOME/bin/checkpassword HOME/bin/pop3d Maildir
 *
 * Greets with the APOP timestamp <pid.time@hostname>, then takes USER and
 * PASS, APOP, AUTH PLAIN (RFC 5034), CAPA (RFC 2449), STLS (RFC 2595,
 * libtls, certificate and key from control/servercert.pem) and QUIT. A
 * login runs the checkpassword program with name NUL password NUL
 * timestamp NUL on its fd 3 and the client on fds 0 and 1; on success it
 * runs pop3d, which answers the login and serves the session. Under TLS
 * the program gets a socket pair and pop3-login relays between it and the
 * TLS session. USER, PASS and AUTH PLAIN need TLS unless
 * control/pop3plaintext exists or AUTHPLAINTEXT is set (a tcprules rule).
 * With POP3S set (the pop3s service, RFC 8314: port 995) the TLS
 * handshake comes before the greeting, and the whole session is TLS.
 * A refused login is answered after control/pop3faildelay seconds
 * (default 2) with the same words for an unknown user and a wrong
 * password; the third ends the connection.
 *
 * The program's exit code decides: 0 the session happened; 1 refused
 * credentials (the dialogue goes on); anything else a temporary failure
 * (-ERR [SYS/TEMP], then pop3-login hangs up).
 * Run as root, it forks: the child becomes quaild (or nobody) and does
 * the dialogue, TLS and the relay; root only runs the checkpassword
 * program for it, one login at a time, and opens the certificate for it
 * at STLS (split()).
 * Writes one log line per event to fd 2 (for svlogd).
 * Exit codes: 0 the session ended (QUIT, the client left, or the program
 * ran the session); 100 usage, or we hung up on a misbehaving client;
 * 111 a temporary failure (control files, memory, time-out, network, the
 * program). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "b64.h"
#include "buf.h"
#include "cmdline.h"
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "pop3.h"
#include "priv.h"
#include "smtp.h"
#include "str.h"
#include "tlsx.h"

#define COMMAND_MAX   2048          /* a command line, CRLF included (AUTH PLAIN's is long) */
#define TIMEOUT       600           /* idle seconds (RFC 1939: at least 10 minutes) */
#define NAME_MAX_POP  128           /* bytes of a user name */
#define SECRET_MAX    256           /* bytes of a password or an APOP digest */
#define CRED_MAX      512           /* what the checkpassword interface accepts on fd 3 */
#define FAILS_MAX     3             /* refused logins before we hang up */
#define BAD_MAX       10            /* unknown or misplaced commands before we hang up */
#define FAILDELAY_DEFAULT 2         /* seconds before answering a refused login */
#define FAILDELAY_MAX 60
#define RELAY_SIZE    32768         /* holds a whole TLS record (16 KB) */
#define CP_BAD        1             /* checkpassword: the credentials were refused */
#define FRONT_USER    "quaild"      /* the unprivileged side, run as root (else nobody) */
#define FRONT_USER2   "nobody"
#define REQ_DIRECT    'd'           /* the program gets the client's fds 0 and 1 */
#define REQ_RELAY     'r'           /* ... a socket pair, whose other end comes back */
#define REQ_CERT      'c'           /* control/servercert.pem, opened, comes back */

struct config {
  unsigned long faildelay;
  int plaintext;                    /* control/pop3plaintext */
};

struct session {
  struct buf in, out;
  char inspace[BUF_SIZE], outspace[BUF_SIZE];
  struct config cf;
  const char *host, *ip;
  char **prog;                      /* the checkpassword program and its arguments */
  struct str stamp;                 /* "<pid.time@host>" */
  struct tlsx tls;
  int tls_on;
  struct str user;                  /* from USER, for PASS */
  int have_user;
  unsigned bad, fails;
  struct str line, tmp;
  int broker;                       /* to the root side, or -1: we are whole */
  int cert;                         /* root could read the certificate at the split */
};

struct command {
  const char *verb;
  void (*run)(struct session *, const char *arg);
};

/* ---- failures ---- */

static void __attribute__((noreturn)) die_usage(void)
{
  diag_usage("hostname checkpassword-program [args...]");
}
static void __attribute__((noreturn)) die_nomem(void) { diag_nomem(); }

/* ---- output and the log ---- */

/* "pop3-login: pid P from IP: EVENT DETAIL" on fd 2 */
static void log_event(struct session *s, const char *event, const char *detail)
{
  struct str l = STR_ZERO;
  if (str_catf(&l, "%s: pid %ld from ", diag_prog(), (long)getpid()) < 0 ||
      smtp_clean(&l, s->ip, 64) < 0 || str_cats(&l, ": ") < 0 || str_cats(&l, event) < 0 ||
      (detail && *detail && (str_catc(&l, ' ') < 0 || smtp_clean(&l, detail, 1000) < 0)) ||
      str_catc(&l, '\n') < 0)
    die_nomem();
  (void)!write(2, l.s, l.len);
  str_free(&l);
}

/* the client is gone or silent: nothing more to say */
static void __attribute__((noreturn)) gone(struct session *s, int code)
{
  log_event(s, errno == ETIMEDOUT ? "timeout" : "disconnected", 0);
  _exit(code);
}

static void put(struct session *s, const char *text)
{
  if (buf_puts(&s->out, text) < 0) gone(s, EXIT_TEMP);
}

static void flush(struct session *s)
{
  if (buf_flush(&s->out) < 0) gone(s, EXIT_TEMP);
}

static void reply(struct session *s, const char *status, const char *text)
{
  put(s, status);
  if (text && *text) { put(s, " "); put(s, text); }
  put(s, "\r\n");
}

static void ok(struct session *s, const char *text) { reply(s, "+OK", text); }
static void err(struct session *s, const char *text) { reply(s, "-ERR", text); }

static void __attribute__((noreturn)) hangup(struct session *s, const char *text, const char *event, int code)
{
  err(s, text);
  buf_flush(&s->out);
  log_event(s, event, 0);
  _exit(code);
}

/* "user=NAME" for the log */
static const char *who(struct session *s, const char *name)
{
  s->tmp.len = 0;
  if (str_cats(&s->tmp, "user=") < 0 || smtp_clean(&s->tmp, name, NAME_MAX_POP) < 0) die_nomem();
  return s->tmp.s;
}

/* ---- configuration ---- */

static int load_config(struct config *c, const char **bad)
{
  struct str x = STR_ZERO;
  int r = control_readline(*bad = "control/pop3plaintext", &x, 0);
  str_free(&x);
  if (r < 0) return -1;
  c->plaintext = r == 1;
  if (control_readulong(*bad = "control/pop3faildelay", &c->faildelay, FAILDELAY_DEFAULT) < 0) return -1;
  if (c->faildelay > FAILDELAY_MAX) c->faildelay = FAILDELAY_MAX;
  return 0;
}

/* may a password travel in clear on this connection? */
static int plaintext_ok(const struct session *s)
{
  return s->tls_on || s->cf.plaintext || getenv("AUTHPLAINTEXT");
}

/* ---- reading from the client ---- */

static void read_line(struct session *s)
{
  int r;
  if (!cmdline_waiting(&s->in)) flush(s);
  r = cmdline_get(&s->in, &s->line, COMMAND_MAX);
  if (r < 0) gone(s, EXIT_TEMP);
  if (r == 0) { errno = 0; gone(s, EXIT_OK); }
  if (r == 2) hangup(s, "line too long; closing connection", "line too long", EXIT_PERM);
}

static void bad_command(struct session *s, const char *text)
{
  if (++s->bad > BAD_MAX) hangup(s, "too many bad commands; closing connection", "too many bad commands", EXIT_PERM);
  err(s, text);
}

static void forget_line(struct session *s) { explicit_bzero(s->line.s, s->line.len); }

/* ---- running the checkpassword program ---- */

/* the TLS client and the program's socket, both ways, until the program
 * closes it; the client's words go to the program only once it has
 * spoken, so a refused login leaves them for us */
static void relay(struct session *s, int fd)
{
  static char up[RELAY_SIZE], down[RELAY_SIZE];
  size_t upn = 0, upp = 0;
  int spoke = 0, reading = 1, writing = 1;   /* from and to the client */
  fd_nonblock(fd);
  for (;;) {
    struct pollfd p[2];
    ssize_t r;
    if (spoke && reading && !upn && buf_buffered(&s->in)) { upn = (size_t)buf_get(&s->in, up, sizeof up); upp = 0; }
    p[0].fd = fd;
    p[0].events = (short)(POLLIN | (upn ? POLLOUT : 0));
    p[1].fd = spoke && reading && !upn ? 0 : -1;   /* -1: poll reports nothing for it */
    p[1].events = POLLIN;
    if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; return; }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      r = read(fd, down, sizeof down);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) return;
      spoke = 1;
      if (writing && buf_putflush(&s->out, down, (size_t)r) < 0) { writing = reading = 0; shutdown(fd, SHUT_WR); }
    }
    if (upn && (p[0].revents & POLLOUT)) {
      r = write(fd, up + upp, upn - upp);
      if (r < 0 && errno != EAGAIN && errno != EINTR) { upn = 0; reading = 0; continue; }
      if (r > 0 && (upp += (size_t)r) == upn) upn = upp = 0;
    }
    if (p[1].revents) {                       /* the client's end: the program's too */
      r = buf_get(&s->in, up, sizeof up);
      if (r <= 0) { reading = 0; shutdown(fd, SHUT_WR); }
      else { upn = (size_t)r; upp = 0; }
    }
  }
}

/* the child: fd 3 the credentials, fds 0 and 1 the client (or the pair) */
static void __attribute__((noreturn)) exec_prog(struct session *s, int p[2], int pair[2])
{
  close(p[1]);
  if (fd_move(3, p[0]) < 0) _exit(EXIT_TEMP);
  if (pair[1] >= 0) {
    if (dup2(pair[1], 0) < 0 || dup2(pair[1], 1) < 0) _exit(EXIT_TEMP);
    close(pair[0]);
    close(pair[1]);
  }
  signal(SIGPIPE, SIG_DFL);
  execvp(s->prog[0], s->prog);
  diag_diesys(EXIT_TEMP, "unable to run ", s->prog[0], (char *)0);
}

/* start the program with cred on its fd 3: its pid, or -1. It gets
 * the client itself, or a socket pair (whose end comes back in *relayfd)
 * when the client's words cannot reach it otherwise: under TLS, or when
 * commands were sent ahead. Run by root (the broker, or a whole pop3-login) */
static int spawn_prog(struct session *s, const char *cred, size_t len, int relaying, int *relayfd)
{
  int p[2], pair[2] = { -1, -1 };
  pid_t pid;
  *relayfd = -1;
  if (pipe(p) < 0) return -1;
  if (relaying && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) { close(p[0]); close(p[1]); return -1; }
  if ((pid = fork()) < 0) return -1;
  if (pid == 0) exec_prog(s, p, pair);
  close(p[0]);
  (void)!fd_write_all(p[1], cred, len);     /* at most 512 bytes: fits the pipe */
  close(p[1]);
  if (pair[1] >= 0) { close(pair[1]); *relayfd = pair[0]; }
  return pid;
}

static int wait_prog(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* the front's side: the broker runs the program, we relay if needed */
static int broker_prog(struct session *s, struct str *cred, int relaying)
{
  char req[1 + CRED_MAX];
  int32_t code;
  int fd = -1;
  req[0] = relaying ? REQ_RELAY : REQ_DIRECT;
  memcpy(req + 1, cred->s, cred->len);
  explicit_bzero(cred->s, cred->len);
  if (priv_sendfd(s->broker, req, 1 + cred->len, -1) < 0) { explicit_bzero(req, sizeof req); return -1; }
  explicit_bzero(req, sizeof req);
  if (relaying) {
    if (priv_recvfd(s->broker, &code, sizeof code, &fd) <= 0 || fd < 0) return -1;
    relay(s, fd);
    close(fd);
  }
  if (priv_recvfd(s->broker, &code, sizeof code, &fd) != (long)sizeof code) return -1;
  if (fd >= 0) close(fd);
  return code;
}

static int run_prog(struct session *s, struct str *cred)
{
  int relaying = s->tls_on || buf_buffered(&s->in), fd;
  pid_t pid;
  flush(s);
  if (s->broker >= 0) return broker_prog(s, cred, relaying);
  pid = spawn_prog(s, cred->s, cred->len, relaying, &fd);
  explicit_bzero(cred->s, cred->len);
  if (pid < 0) return -1;
  if (fd >= 0) { relay(s, fd); close(fd); }
  return wait_prog(pid);
}

/* ---- logging in ---- */

static void verdict(struct session *s, const char *name, int code)
{
  if (code == 0) {
    log_event(s, "session ended", who(s, name));
    _exit(EXIT_OK);
  }
  if (code != CP_BAD) {
    struct str d = STR_ZERO;
    if (str_catf(&d, "%s code=%d", who(s, name), code) < 0) die_nomem();
    err(s, POP3_RC_SYS_TEMP "unable to log in right now; try again later");
    buf_flush(&s->out);
    log_event(s, "login temporary failure", d.s);
    _exit(EXIT_TEMP);
  }
  log_event(s, "login failed", who(s, name));
  flush(s);
  sleep((unsigned)s->cf.faildelay);
  if (++s->fails >= FAILS_MAX)
    hangup(s, POP3_RC_AUTH "authentication failed; closing connection", "too many failed logins", EXIT_PERM);
  err(s, POP3_RC_AUTH "authentication failed");
}

/* check name and secret with the program, which runs the session; the
 * secret (in our own buffers: the command line or the decoded response)
 * is wiped before the program runs, which may take hours */
static void login(struct session *s, const char *name, const char *secret)
{
  struct str cred = STR_ZERO;
  size_t n = strlen(secret);
  int code = CP_BAD;                      /* what no program could accept */
  s->have_user = 0;
  if (*name && strlen(name) <= NAME_MAX_POP && n <= SECRET_MAX) {
    if (str_catb(&cred, name, strlen(name) + 1) < 0 || str_catb(&cred, secret, n + 1) < 0 ||
        str_catb(&cred, s->stamp.s, s->stamp.len + 1) < 0)
      die_nomem();
  }
  explicit_bzero((char *)secret, n);
  forget_line(s);
  if (cred.len && cred.len <= CRED_MAX) code = run_prog(s, &cred);
  if (cred.s) explicit_bzero(cred.s, cred.len);
  str_free(&cred);
  verdict(s, name, code);
}

/* ---- the commands ---- */

static void cmd_capa(struct session *s, const char *arg)
{
  ok(s, "capability list follows");
  put(s, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n");
  if (plaintext_ok(s)) put(s, "USER\r\nSASL PLAIN\r\n");
  if (!s->tls_on && (s->cert || access("control/servercert.pem", R_OK) == 0)) put(s, "STLS\r\n");
  put(s, "IMPLEMENTATION quail\r\n.\r\n");
}

static int plaintext_refused(struct session *s)
{
  if (plaintext_ok(s)) return 0;
  err(s, POP3_RC_AUTH "plaintext authentication is disallowed without TLS: use STLS");
  return 1;
}

static void cmd_user(struct session *s, const char *arg)
{
  if (plaintext_refused(s)) return;
  if (!*arg) { err(s, "a user name is needed"); return; }
  if (str_copys(&s->user, arg) < 0) die_nomem();
  s->have_user = 1;
  ok(s, "send PASS");
}

static void cmd_pass(struct session *s, const char *arg)
{
  if (!s->have_user) { bad_command(s, "send USER first"); return; }
  login(s, s->user.s, arg);
  forget_line(s);
}

static void cmd_apop(struct session *s, const char *arg)
{
  const char *sp = strrchr(arg, ' ');
  struct str name = STR_ZERO;
  if (!sp || sp == arg) { err(s, "syntax: APOP name digest"); return; }
  if (str_copyb(&name, arg, (size_t)(sp - arg)) < 0) die_nomem();
  login(s, name.s, sp + 1);
  str_free(&name);
}

/* AUTH PLAIN's response (base64 of authzid NUL authcid NUL password) */
static void auth_plain(struct session *s, const char *resp)
{
  struct str raw = STR_ZERO;
  const char *authc, *pw, *end;
  if (!strcmp(resp, "*")) { err(s, "authentication cancelled"); return; }
  if (strcmp(resp, "=") && (b64_decode(&raw, resp, strlen(resp)) < 0 || str_0(&raw) < 0)) {
    if (errno == ENOMEM) die_nomem();
    err(s, "malformed base64 text");
    return;
  }
  authc = raw.len ? memchr(raw.s, 0, raw.len) : 0;
  end = authc ? raw.s + raw.len : 0;      /* raw.s is 0 after "=" */
  pw = authc ? memchr(authc + 1, 0, (size_t)(end - authc - 1)) : 0;
  if (!pw || memchr(pw + 1, 0, (size_t)(end - pw - 1))) err(s, "malformed AUTH PLAIN response");
  else if (*raw.s && strcmp(raw.s, authc + 1)) err(s, POP3_RC_AUTH "authorization identity differs from the user");
  else login(s, authc + 1, pw + 1);
  if (raw.s) explicit_bzero(raw.s, raw.len);
  str_free(&raw);
}

static void cmd_auth(struct session *s, const char *arg)
{
  const char *sp = strchr(arg, ' ');
  size_t mlen = sp ? (size_t)(sp - arg) : strlen(arg);
  if (!*arg) {                            /* RFC 1734's list of mechanisms */
    ok(s, "mechanisms follow");
    put(s, plaintext_ok(s) ? "PLAIN\r\n.\r\n" : ".\r\n");
    return;
  }
  if (!case_equalb(arg, mlen, "PLAIN")) { err(s, "unrecognized authentication mechanism"); return; }
  if (plaintext_refused(s)) return;
  if (!sp) {
    put(s, "+ \r\n");
    read_line(s);
    auth_plain(s, s->line.s);
  } else {
    auth_plain(s, sp + 1);
  }
  forget_line(s);
}

/* after the split: control/servercert.pem opened by the broker, which
 * can read it (only root may); -1 when it cannot */
static int broker_cert(struct session *s)
{
  char c = REQ_CERT, reply;
  int fd = -1, r;
  if (priv_sendfd(s->broker, &c, 1, -1) < 0 || priv_recvfd(s->broker, &reply, 1, &fd) != 1) return -1;
  if (fd < 0) { errno = ENOENT; return -1; }
  r = tlsx_server_fd(&s->tls, fd);
  close(fd);
  return r;
}

/* TLS as server with control/servercert.pem, loaded when first needed
 * (not for every connection: most never ask); -1, logged, when it cannot */
static int tls_ready(struct session *s)
{
  if (s->tls.server) return 0;
  if ((s->broker >= 0 ? broker_cert(s) : tlsx_server(&s->tls, "control/servercert.pem")) == 0) return 0;
  log_event(s, "tls unavailable", tlsx_error(&s->tls));
  tlsx_close(&s->tls);
  return -1;
}

/* the handshake on the client's socket; a failed one ends the session */
static void tls_handshake(struct session *s)
{
  struct str *t = &s->tmp;
  if (buf_buffered(&s->in)) log_event(s, "discarded", "plaintext sent before the TLS handshake");
  buf_discard(&s->in);                    /* no command injection past STLS */
  if (tlsx_accept(&s->tls, 0, 1, TIMEOUT) < 0) {
    log_event(s, "tls handshake failed", errno == ETIMEDOUT ? "timeout" : tlsx_error(&s->tls));
    _exit(EXIT_TEMP);
  }
  s->tls_on = 1;
  s->have_user = 0;
  buf_transport(&s->in, tlsx_read, &s->tls);
  buf_transport(&s->out, tlsx_write, &s->tls);
  t->len = 0;
  if (str_cats(t, tlsx_version(&s->tls)) < 0 || str_catc(t, ' ') < 0 || str_cats(t, tlsx_cipher(&s->tls)) < 0)
    die_nomem();
  log_event(s, "tls", t->s);
}

static void cmd_stls(struct session *s, const char *arg)
{
  if (s->tls_on) { bad_command(s, "command not permitted when TLS active"); return; }
  if (*arg) { err(s, "STLS takes no argument"); return; }
  if (tls_ready(s) < 0) { err(s, POP3_RC_SYS_TEMP "TLS not available"); return; }
  ok(s, "begin TLS negotiation");
  flush(s);
  tls_handshake(s);
}

static void cmd_quit(struct session *s, const char *arg)
{
  ok(s, "bye");
  flush(s);
  _exit(EXIT_OK);
}

/* the TRANSACTION state's commands, before a login */
static void cmd_later(struct session *s, const char *arg) { bad_command(s, "log in first"); }

static const struct command commands[] = {
  { "capa", cmd_capa }, { "user", cmd_user }, { "pass", cmd_pass }, { "apop", cmd_apop },
  { "auth", cmd_auth }, { "stls", cmd_stls }, { "quit", cmd_quit },
  { "stat", cmd_later }, { "list", cmd_later }, { "retr", cmd_later }, { "dele", cmd_later },
  { "noop", cmd_later }, { "rset", cmd_later }, { "top", cmd_later }, { "uidl", cmd_later },
  { "last", cmd_later },
  { 0, 0 }
};

static void dispatch(struct session *s)
{
  const struct command *c;
  const char *arg;
  if (memchr(s->line.s, 0, s->line.len)) { bad_command(s, "bad characters in the command line"); return; }
  if ((c = cmdline_find(s->line.s, s->line.len, commands, sizeof *commands, &arg))) {
    if (c->run != cmd_pass) s->have_user = 0;     /* PASS must follow USER at once */
    c->run(s, arg);
    return;
  }
  s->have_user = 0;
  bad_command(s, "unknown command");
}

/* ---- the split: root keeps only the running of the program ---- */

/* the broker's answer to REQ_CERT: the certificate file, opened as root
 * (none attached when it cannot be) */
static int send_cert(int sock)
{
  int fd = open("control/servercert.pem", O_RDONLY | O_CLOEXEC), r;
  r = priv_sendfd(sock, "c", 1, fd);
  if (fd >= 0) close(fd);
  return r;
}

/* the root side: one request (mode, credentials; or the certificate) at a
 * time from the front; the program runs as root until checkpassword
 * switches to the user. Ends with the front's exit code when the front
 * is gone. */
static void __attribute__((noreturn)) broker(struct session *s, int sock, pid_t front)
{
  char req[1 + CRED_MAX];
  int code;
  for (;;) {
    int fd;
    int32_t reply;
    pid_t pid;
    long n = priv_recvfd(sock, req, sizeof req, &fd);
    if (fd >= 0) close(fd);
    if (n <= 0) break;
    if (n == 1 && req[0] == REQ_CERT) {
      if (send_cert(sock) < 0) break;
      continue;
    }
    if (n < 2 || (req[0] != REQ_DIRECT && req[0] != REQ_RELAY)) break;
    pid = spawn_prog(s, req + 1, (size_t)n - 1, req[0] == REQ_RELAY, &fd);
    explicit_bzero(req, sizeof req);
    if (fd >= 0) {
      if (priv_sendfd(sock, "", 1, fd) < 0) break;
      close(fd);
    }
    code = pid < 0 ? -1 : wait_prog(pid);
    reply = code;
    if (priv_sendfd(sock, &reply, sizeof reply, -1) < 0) break;
  }
  close(sock);
  code = wait_prog(front);
  _exit(code < 0 ? EXIT_TEMP : code);
}

/* run as root: a child that becomes quaild (nobody where there is no
 * quaild) talks POP3 and TLS and relays the session, and we stay only to
 * run the checkpassword program and to open the certificate for it */
static void split(struct session *s)
{
  uid_t uid;
  gid_t gid;
  int sv[2];
  pid_t pid;
  s->broker = -1;
  if (getuid() != 0) return;
  if (priv_lookup(FRONT_USER, &uid, &gid) != 1 && priv_lookup(FRONT_USER2, &uid, &gid) != 1) {
    diag_warn("no user " FRONT_USER " or " FRONT_USER2, (char *)0);
    hangup(s, POP3_RC_SYS_TEMP "temporary configuration problem; try again later", "no unprivileged user", EXIT_TEMP);
  }
  s->cert = access("control/servercert.pem", R_OK) == 0;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || (pid = fork()) < 0)
    hangup(s, POP3_RC_SYS_TEMP "unable to start; try again later", "unable to fork", EXIT_TEMP);
  if (pid > 0) { close(sv[1]); broker(s, sv[0], pid); }
  close(sv[0]);
  s->broker = sv[1];
  if (priv_become(uid, gid) < 0) {
    diag_warnsys("unable to become " FRONT_USER, (char *)0);
    _exit(EXIT_TEMP);
  }
}

/* ---- the start ---- */

static void setup(struct session *s, int argc, char **argv)
{
  const char *home = home_dir(getenv("QUAIL_HOME"));
  const char *ip = getenv("TCPREMOTEIP");
  if (argc < 3 || argv[1][0] == '-' || !argv[1][0]) die_usage();
  s->host = argv[1];
  s->prog = argv + 2;
  s->ip = ip ? ip : "unknown";
  buf_init(&s->in, 0, s->inspace, sizeof s->inspace);
  buf_init(&s->out, 1, s->outspace, sizeof s->outspace);
  s->in.timeout = s->out.timeout = TIMEOUT;
  if (chdir(home) < 0) {
    diag_warnsys("unable to enter the quail home directory ", home, (char *)0);
    hangup(s, POP3_RC_SYS_TEMP "temporary configuration problem; try again later", "no home directory", EXIT_TEMP);
  }
  if (str_catf(&s->stamp, "<%ld.%ld@%s>", (long)getpid(), (long)time(0), s->host) < 0) die_nomem();
}

int main(int argc, char **argv)
{
  static struct session s;
  const char *bad;

  diag_init("pop3-login");
  signal(SIGPIPE, SIG_IGN);
  setup(&s, argc, argv);
  if (load_config(&s.cf, &bad) < 0) {
    diag_warnsys("unable to read ", bad, (char *)0);
    hangup(&s, POP3_RC_SYS_TEMP "temporary configuration problem; try again later",
           "configuration unreadable", EXIT_TEMP);
  }
  split(&s);
  /* POP3S (RFC 8314, port 995): TLS from the first byte */
  if (getenv("POP3S") && tls_ready(&s) < 0) _exit(EXIT_TEMP);
  if (getenv("POP3S")) tls_handshake(&s);
  s.tmp.len = 0;
  if (str_cats(&s.tmp, "quail POP3 server ready ") < 0 || str_cats(&s.tmp, s.stamp.s) < 0) die_nomem();
  ok(&s, s.tmp.s);
  for (;;) {
    read_line(&s);
    dispatch(&s);
  }
}
