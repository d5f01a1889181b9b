#!/usr/bin/python3
"""smtpd-raw.py PORT [-e] [-t] (DATA COUNT)...: a raw SMTP conversation.

Waits for the greeting (not with -e: an early talker), then for each pair
sends DATA (Python escapes such as \\r\\n decoded) and reads until COUNT more
final reply lines (NNN followed by a space) have arrived. At the end it
reads until the server closes the connection (or 15 s pass) and prints
everything the server said. -t: STARTTLS first (after EHLO), then TLS."""
import codecs, re, socket, ssl, sys, warnings

def decode(s):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return codecs.escape_decode(s.encode("latin-1"))[0]

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.got = b""
        self.seen = 0

    def finals(self):
        return len(re.findall(rb"(?m)^\d{3}(?: |$)", self.got))

    def expect(self, n):
        want = self.seen + n
        while self.finals() < want:
            if not self.read():
                break
        self.seen = self.finals()

    def read(self):
        try:
            d = self.s.recv(65536)
        except (socket.timeout, ConnectionResetError, ssl.SSLError, OSError):
            return False
        self.got += d
        return bool(d)

def main():
    a = sys.argv[1:]
    port = int(a.pop(0))
    early = tls = False
    while a and a[0] in ("-e", "-t"):
        if a.pop(0) == "-e":
            early = True
        else:
            tls = True
    c = Conn(port)
    if not early:
        c.expect(1)
    if tls:
        c.s.sendall(b"EHLO tls.example\r\nSTARTTLS\r\n")
        c.expect(2)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c.s = ctx.wrap_socket(c.s)
    while a:
        c.s.sendall(decode(a.pop(0)))
        c.expect(int(a.pop(0)) if a else 0)
    while c.read():
        pass
    sys.stdout.write(c.got.decode("latin-1"))

main()
