#!/usr/bin/python3
"""dkim-verify.py FILE: verify every DKIM-Signature of FILE with Debian's
python3-dkim (dkimpy), keys fetched from the name server named in
$QUAIL_RESOLVCONF ("nameserver IP#PORT"). Prints "pass N" (N signatures,
all verified) or "fail"; exit 0 on pass."""
import os, random, re, socket, struct, sys
import dkim

def server():
    for line in open(os.environ["QUAIL_RESOLVCONF"]):
        m = re.match(r"nameserver\s+([0-9.]+)#(\d+)", line)
        if m:
            return m.group(1), int(m.group(2))

def txt(name, timeout=5):
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(b".").split(b"."):
        q += bytes([len(label)]) + label
    q += b"\0" + struct.pack(">HH", 16, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(q, server())
    r = s.recv(65535)
    an = struct.unpack(">H", r[6:8])[0]
    p = 12 + len(q) - 12  # skip the question, echoed as sent
    out = []
    for _ in range(an):
        while r[p] and r[p] < 0xC0:
            p += r[p] + 1
        p += 2 if r[p] >= 0xC0 else 1
        typ, _, _, rdlen = struct.unpack(">HHIH", r[p:p + 10])
        p += 10
        data, end = b"", p + rdlen
        while p < end:
            n = r[p]; data += r[p + 1:p + 1 + n]; p += 1 + n
        if typ == 16:
            out.append(data)
    return b"".join(out[:1])

def dnsfunc(name, timeout=5):
    return txt(name if isinstance(name, bytes) else name.encode(), timeout)

msg = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
d = dkim.DKIM(msg)
n = len([h for h in d.headers if h[0].lower() == b"dkim-signature"])
def one(i):
    try:
        return d.verify(idx=i, dnsfunc=dnsfunc)
    except dkim.DKIMException:
        return False
ok = n > 0 and all(one(i) for i in range(n))
print("pass %d" % n if ok else "fail")
sys.exit(0 if ok else 1)
