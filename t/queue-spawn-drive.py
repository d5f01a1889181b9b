# queue-spawn-drive.py PROG MODE MESSAGE ARGS... [-- ARGS...]: start
# "PROG MODE" on a SOCK_SEQPACKET socket (as queue-manager does), send one
# request per ARGS group (strings separated by ","; "!bad" sends a request
# with no descriptors), print each delivery's status and report, then
# close the socket and print the spawner's exit code.
import os, socket, struct, subprocess, sys

prog, mode, message = sys.argv[1:4]
groups, cur = [], []
for a in sys.argv[4:]:
    if a == "--": groups.append(cur); cur = []
    else: cur.append(a)
groups.append(cur)
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
p = subprocess.Popen([prog, mode], stdin=theirs, close_fds=True)
theirs.close()
for token, g in enumerate(groups):
    if g == ["!bad"]:
        ours.send(struct.pack("=I", token) + b"x\0")
        continue
    data = struct.pack("=I", token) + b"".join(x.encode() + b"\0" for x in g)
    mfd = os.open(message, os.O_RDONLY)
    r, w = os.pipe()
    socket.send_fds(ours, [data], [mfd, w])
    os.close(mfd); os.close(w)
    ours.settimeout(30)
    tok, status = struct.unpack("=Ii", ours.recv(8))
    report = b""
    while True:
        b = os.read(r, 4096)
        if not b: break
        report += b
    os.close(r)
    print("token %d status %d report %s" % (tok, status >> 8, report.replace(b"\0", b"|").decode(errors="replace").strip()))
ours.close()
print("exit", p.wait(timeout=30))
