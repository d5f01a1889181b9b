#!/usr/bin/python3
"""bench/sink.py HOST PORT STATE MODE [CERT KEY]: a counting SMTP sink for
the benchmarks, on loopback only.

MODE defer: every RCPT gets "451 4.3.0 try again later" (a destination
that is down for mail but up for TCP, as smtp-sink -r rcpt).
MODE accept: every RCPT and message gets 250; with CERT and KEY, STARTTLS
is offered (TLS session tickets on, so resumption shows).

It counts connections, TLS handshakes (and how many of them resumed a
session), transactions (MAIL), RCPTs, accepted recipients and messages,
and writes them as one key=value line to STATE (replaced, at most every
0.2 s, and at exit on TERM). PIPELINING is offered; the replies of a
pipelined group go out together.
"""
import asyncio
import os
import signal
import ssl
import sys

count = dict(connections=0, tls=0, resumed=0, mails=0, rcpts=0, accepted=0, messages=0)


def write_state(path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(" ".join("%s=%d" % kv for kv in count.items()) + "\n")
    os.replace(tmp, path)


async def session(reader, writer, mode, tls):
    count["connections"] += 1
    out = [b"220 sink.test ESMTP bench sink\r\n"]
    intls = False
    ok_rcpts = 0
    try:
        while True:
            if out and not reader._buffer.count(b"\n"):
                writer.write(b"".join(out))
                out = []
                await writer.drain()
            line = await reader.readline()
            if not line:
                return
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                ext = [b"250-sink.test", b"250-PIPELINING", b"250-8BITMIME", b"250-SIZE 100000000"]
                if tls and not intls:
                    ext.append(b"250-STARTTLS")
                ext.append(b"250 ENHANCEDSTATUSCODES")
                out.append(b"\r\n".join(ext) + b"\r\n")
            elif cmd == b"STAR" and tls and not intls:
                writer.write(b"".join(out) + b"220 2.0.0 go ahead\r\n")
                out = []
                await writer.drain()
                await writer.start_tls(tls)
                intls = True
                count["tls"] += 1
                if writer.get_extra_info("ssl_object").session_reused:
                    count["resumed"] += 1
            elif cmd == b"MAIL":
                count["mails"] += 1
                ok_rcpts = 0
                out.append(b"250 2.1.0 ok\r\n")
            elif cmd == b"RCPT":
                count["rcpts"] += 1
                if mode == "defer":
                    out.append(b"451 4.3.0 try again later\r\n")
                else:
                    ok_rcpts += 1
                    out.append(b"250 2.1.5 ok\r\n")
            elif cmd == b"DATA":
                if not ok_rcpts:
                    out.append(b"554 5.5.1 no valid recipients\r\n")
                    continue
                writer.write(b"".join(out) + b"354 go ahead\r\n")
                out = []
                await writer.drain()
                while True:
                    d = await reader.readline()
                    if not d:
                        return
                    if d == b".\r\n":
                        break
                count["messages"] += 1
                count["accepted"] += ok_rcpts
                ok_rcpts = 0
                out.append(b"250 2.0.0 queued\r\n")
            elif cmd == b"RSET":
                ok_rcpts = 0
                out.append(b"250 2.0.0 ok\r\n")
            elif cmd == b"NOOP":
                out.append(b"250 2.0.0 ok\r\n")
            elif cmd == b"QUIT":
                writer.write(b"".join(out) + b"221 2.0.0 bye\r\n")
                out = []
                await writer.drain()
                return
            else:
                out.append(b"502 5.5.2 not implemented\r\n")
    except (ConnectionError, ssl.SSLError, OSError):
        return
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    host, port, state, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if not host.startswith("127.") and host != "::1":
        sys.exit("sink.py: loopback addresses only")
    tls = None
    if len(sys.argv) > 6:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[5], sys.argv[6])
    server = await asyncio.start_server(
        lambda r, w: session(r, w, mode, tls), host, port, backlog=1024, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    write_state(state)
    async with server:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except asyncio.TimeoutError:
                pass
            write_state(state)
    write_state(state)


if __name__ == "__main__":
    asyncio.run(main())
