#!/usr/bin/python3
# t/qbiff-pty.py USER LOCAL-OF-MAILBOX: for t/qbiff.t, inside a mount
# namespace whose /run is the test's own: a pty, a utmp record of USER
# logged in on it (/run/utmp, glibc's struct utmp), then
#   1. biff y (owner x bit on the pty): send one message, print what the
#      pty received as "y: ..." (repr), once it holds the subject
#   2. biff n: send another, wait until it is delivered and the queue is
#      empty (qbiff ran before deliver-local finished), print "n: ..."
# queue-manager, sendmail and the Maildir come from QUAIL_HOME, BIN, MD.
import os, select, struct, subprocess, sys, time

user, rcpt = sys.argv[1], sys.argv[2]
BIN, MD, HOME = os.environ["BIN"], os.environ["MD"], os.environ["QUAIL_HOME"]
master, slave = os.openpty()
name = os.ttyname(slave)
rec = struct.pack("<hhi32s4s32s256shhiii4i20s", 7, 0, os.getpid(), name[len("/dev/"):].encode(),
                  b"qb", user.encode(), b"", 0, 0, 0, int(time.time()), 0, 0, 0, 0, 0, b"")
assert len(rec) == 384
with open("/run/utmp", "wb") as f:
    f.write(rec)
qm = subprocess.Popen([BIN + "/queue-manager"], stdout=open(HOME + "/qm.log", "a"), stderr=subprocess.STDOUT)

def count():
    return sum(len(os.listdir(os.path.join(MD, d))) for d in ("new", "cur"))

def queue_empty():
    out = subprocess.run([sys.executable, os.environ["SRC"] + "/t/qenv.py", "ids", HOME + "/queue"],
                         capture_output=True, text=True).stdout
    return not out.strip()

def send(subject):
    msg = "From: Alice <alice@example.org>\nSubject: %s\n\nfirst body line\nsecond \x1b[31m line\n" % subject
    subprocess.run([BIN + "/sendmail", "-f", "alice@example.org", rcpt], input=msg.encode(), check=True)

def drain(want, deadline):
    got = b""
    while time.time() < deadline and (want is None or want not in got):
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            got += os.read(master, 4096)
        elif want is None:
            break
    return got

try:
    os.chmod(name, 0o720)                       # biff y
    send("biff-yes")
    print("y: " + repr(drain(b"biff-yes", time.time() + 15)))
    os.chmod(name, 0o620)                       # biff n
    n = count()
    send("biff-no")
    deadline = time.time() + 15
    while time.time() < deadline and not (count() > n and queue_empty()):
        time.sleep(0.05)
    print("delivered: %d" % (count() > n))
    print("n: " + repr(drain(None, time.time() + 0.2)))
finally:
    qm.terminate()
    qm.wait()
