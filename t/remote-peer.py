#!/usr/bin/python3
"""t/remote-peer.py ADDR PORT LOG [OPTION...]: a scriptable SMTP server for
the deliver-remote tests, on a loopback address.

Every command line received is appended to LOG (one per line, CRLF shown
as is stripped), "DATA-BYTES n" after each message, and the raw bytes of
message k (as received, dot-stuffed, CRLF) go to LOG.k. Options:
  greet=CODE      answer the greeting with CODE (421, 554 ...)
  noehlo          refuse EHLO with 502 (HELO still works)
  nopipe          do not offer PIPELINING
  utf8            offer SMTPUTF8
  size=N          offer SIZE N
  mail=CODE       answer MAIL with CODE
  rcpt=CODE       answer RCPT with CODE for local parts starting "bad"
  data=CODE       answer the end of DATA with CODE
  dropdata        close the connection in the middle of DATA
  silent          greet, then never answer (a time-out)
  tls=PEM         offer STARTTLS with the chain and key in PEM
  clientca=FILE   with tls: ask for a client certificate, verified against
                  FILE, and log "CLIENT-CERT subject" (or "CLIENT-CERT none")
  blackhole       listen but never accept (connects time out)
  count           log "CONNECT" for each connection and "TLS version
                  RESUMED yes|no" after each handshake (one TLS context
                  for all connections, so sessions can be resumed); the
                  lines of connection k also go to LOG.ck
  tls12           with tls: TLS 1.2 at most
  droprset        close the connection, without a reply, at RSET
  bye421          after each message's reply, send 421 and close
Ends on SIGTERM. Prints "ready" on stdout once listening."""
import os, signal, socket, ssl, sys, threading

addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
opts = {}
for o in sys.argv[4:]:
    k, _, v = o.partition('=')
    opts[k] = v
lock = threading.Lock()
count = [0]


conns = [0]
local = threading.local()


def note(s):
    with lock:
        with open(log, 'a') as f:
            f.write(s + '\n')
        if getattr(local, 'conn', 0):
            with open('%s.c%d' % (log, local.conn), 'a') as f:
                f.write(s + '\n')


def reply(c, code, text):
    c.sendall(('%s %s\r\n' % (code, text)).encode())


def readline(f):
    line = f.readline(4096)
    if not line:
        raise EOFError
    return line


def data(c, f):
    raw = b''
    while True:
        line = readline(f)
        if 'dropdata' in opts and len(raw) > 0:
            note('DROPPED')
            raise EOFError
        if line == b'.\r\n':
            break
        raw += line
    with lock:
        count[0] += 1
        n = count[0]
    with open('%s.%d' % (log, n), 'wb') as m:
        m.write(raw)
    note('DATA-BYTES %d' % len(raw))
    reply(c, opts.get('data', '250'), 'ok message %d' % n)
    if 'bye421' in opts:
        reply(c, 421, '4.3.2 closing now')
        raise EOFError


def ehlo(c):
    lines = ['peer.test hello']
    if 'nopipe' not in opts:
        lines.append('PIPELINING')
    lines.append('8BITMIME')
    if 'utf8' in opts:
        lines.append('SMTPUTF8')
    if 'size' in opts:
        lines.append('SIZE ' + opts['size'])
    if 'tls' in opts:
        lines.append('STARTTLS')
    out = ''.join('250-%s\r\n' % l for l in lines[:-1]) + '250 %s\r\n' % lines[-1]
    c.sendall(out.encode())


def command(c, f, line):
    verb = line[:4].upper()
    if verb == 'EHLO':
        if 'noehlo' in opts:
            reply(c, 502, '5.5.1 no EHLO here')
        else:
            ehlo(c)
    elif verb == 'HELO':
        reply(c, 250, 'peer.test')
    elif verb == 'MAIL':
        code = opts.get('mail', '250')
        reply(c, code, '5.1.7 sender refused' if code[0] == '5' else 'ok')
    elif verb == 'RCPT':
        local = line.split('<', 1)[-1]
        code = opts.get('rcpt', '550') if local.startswith('bad') else '250'
        reply(c, code, '5.1.1 no such user here' if code[0] == '5' else
              '4.2.1 try later' if code[0] == '4' else 'ok')
    elif verb == 'DATA':
        reply(c, 354, 'go ahead')
        data(c, f)
    elif verb == 'QUIT':
        reply(c, 221, 'bye')
        raise EOFError
    elif verb == 'RSET' and 'droprset' in opts:
        note('DROPPED')
        raise EOFError
    else:
        reply(c, 250, 'ok')


def context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts['tls'])
    if 'tls12' in opts:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if 'clientca' in opts:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(opts['clientca'])
    return ctx


shared = []


def starttls(c):
    if 'count' not in opts:
        ctx = context()
    else:
        with lock:
            if not shared:
                shared.append(context())
        ctx = shared[0]
    reply(c, 220, 'go ahead')
    t = ctx.wrap_socket(c, server_side=True)
    if 'count' in opts:
        note('TLS %s RESUMED %s' % (t.version(), 'yes' if t.session_reused else 'no'))
    cert = t.getpeercert()
    subject = ','.join('%s=%s' % kv for rdn in cert.get('subject', ()) for kv in rdn) if cert else 'none'
    note('CLIENT-CERT ' + subject)
    return t, t.makefile('rb')


def session(c):
    f = c.makefile('rb')
    if 'count' in opts:
        with lock:
            conns[0] += 1
            local.conn = conns[0]
        note('CONNECT')
    try:
        if 'greet' in opts:
            reply(c, opts['greet'], 'not now')
            return
        reply(c, 220, 'peer.test ESMTP')
        while True:
            line = readline(f).decode('utf-8', 'replace').rstrip('\r\n')
            note(line)
            if 'silent' in opts:
                continue
            if line.upper() == 'STARTTLS' and 'tls' in opts:
                c, f = starttls(c)
                continue
            command(c, f, line)
    except (EOFError, OSError):
        pass
    finally:
        c.close()


def main():
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    if 'blackhole' in opts:
        s.listen(0)
        fillers = []
        for _ in range(4):   # fill the accept queue: later SYNs are dropped
            x = socket.socket(fam, socket.SOCK_STREAM)
            x.setblocking(False)
            try:
                x.connect((addr, port))
            except BlockingIOError:
                pass
            fillers.append(x)
        print('ready', flush=True)
        signal.pause()
    s.listen(64)
    print('ready', flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=session, args=(c,), daemon=True).start()


main()
