#!/usr/bin/python3
# qenv.py: the queue's envelopes as queue-manager reads them (qenv.h):
# mess/ID.env when it exists, else the attribute user.quail.env of mess/ID.
#   qenv.py ids QUEUE      the IDs of the queued messages in mess/, sorted
#   qenv.py env QUEUE ID   one envelope, as stored
#   qenv.py cat QUEUE      every envelope in mess/, one after another
#   qenv.py where QUEUE ID "file", "attr" or "none"
import os, sys

def envelope(q, i):
    try:
        with open(os.path.join(q, "mess", i + ".env"), "rb") as f:
            return f.read(), "file"
    except FileNotFoundError:
        pass
    try:
        return os.getxattr(os.path.join(q, "mess", i), "user.quail.env"), "attr"
    except OSError:
        return None, "none"

def ids(q):
    out = set()
    for n in os.listdir(os.path.join(q, "mess")):
        i = n[:-4] if n.endswith(".env") else n
        if i.isdigit() and envelope(q, i)[0] is not None:
            out.add(i)
    return sorted(out, key=int)

cmd, q = sys.argv[1], sys.argv[2]
if cmd == "ids":
    for i in ids(q):
        print(i)
elif cmd == "env":
    sys.stdout.buffer.write(envelope(q, sys.argv[3])[0] or b"")
elif cmd == "cat":
    for i in ids(q):
        sys.stdout.buffer.write(envelope(q, i)[0])
elif cmd == "where":
    print(envelope(q, sys.argv[3])[1])
else:
    sys.exit("usage: qenv.py ids|env|cat|where QUEUE [ID]")
