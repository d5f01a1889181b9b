#!/usr/bin/python3
"""pop3-raw.py PORT [-t] [-p] LINE...: a raw POP3 conversation.

Reads the greeting, then sends each LINE (Python escapes such as \\x00
decoded) with CRLF and reads its whole answer: one line, or up to the
"." line for a +OK to CAPA, LIST, UIDL, RETR, TOP, AUTH without argument
(the lines as sent, dots unstuffed by nobody). "+ " continuations count as
answers. A LINE "@close" drops the connection there, "@sleep" waits 1 s.
-t: STLS first, then TLS (no certificate check). -p: send every LINE at
once (pipelining), then read the answers in order. At the end it reads
until the server closes the connection (or 10 s pass) and prints
everything the server said."""
import codecs, socket, ssl, sys, time, warnings

MULTI = ("CAPA", "LIST", "UIDL", "RETR", "TOP", "AUTH")

def decode(s):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return codecs.escape_decode(s.encode("latin-1"))[0]

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.got = b""

    def line(self):
        while b"\n" not in self.buf:
            try:
                d = self.s.recv(65536)
            except (socket.timeout, ConnectionResetError, ssl.SSLError, OSError):
                d = b""
            if not d:
                l, self.buf = self.buf, b""
                self.got += l
                return None
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        self.got += l + b"\n"
        return l + b"\n"

    def answer(self, cmd):
        first = self.line()
        if first is None or not first.startswith(b"+OK"):
            return
        verb = cmd.split(b" ")[0].upper().decode("latin-1")
        args = cmd.split(b" ")[1:]
        multi = verb in ("CAPA", "RETR", "TOP") or (verb in ("LIST", "UIDL", "AUTH") and not args)
        while multi:
            l = self.line()
            if l is None or l == b".\r\n":
                break

    def rest(self):
        while self.line() is not None:
            pass

def main():
    port = int(sys.argv[1])
    args = sys.argv[2:]
    tls = pipelined = False
    while args and args[0] in ("-t", "-p"):
        tls |= args[0] == "-t"
        pipelined |= args[0] == "-p"
        args = args[1:]
    c = Conn(port)
    c.line()
    if tls:
        c.s.sendall(b"STLS\r\n")
        c.line()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c.s = ctx.wrap_socket(c.s)
    lines = [decode(a) for a in args]
    if pipelined:
        c.s.sendall(b"".join(l + b"\r\n" for l in lines if not l.startswith(b"@")))
        for l in lines:
            if not l.startswith(b"@"):
                c.answer(l)
    else:
        for l in lines:
            if l == b"@close":
                c.s.close()
                sys.stdout.buffer.write(c.got)
                return
            if l == b"@sleep":
                time.sleep(1)
                continue
            try:
                c.s.sendall(l + b"\r\n")
            except OSError:
                break
            c.answer(l)
    c.rest()
    sys.stdout.buffer.write(c.got)

main()
