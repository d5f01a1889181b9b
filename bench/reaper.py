#!/usr/bin/python3
"""bench/reaper.py OUT COMMAND...: run COMMAND as a child subreaper, so
that every process below it, orphans included, is reaped here; on SIGUSR1
write the CPU seconds (user + system) of all that were reaped to OUT.
Ends with COMMAND's end, or on SIGTERM (passed on to COMMAND)."""
import ctypes, os, resource, signal, subprocess, sys

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
out = sys.argv[1]
child = subprocess.Popen(sys.argv[2:])


def report(*_):
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out + '.tmp', 'w') as f:
        f.write('%.4f\n' % (ru.ru_utime + ru.ru_stime))
    os.rename(out + '.tmp', out)


def stop(*_):
    child.terminate()
    sys.exit(0)


signal.signal(signal.SIGUSR1, report)
signal.signal(signal.SIGTERM, stop)
while True:
    try:
        pid, _ = os.wait()
    except ChildProcessError:
        break
    if pid == child.pid:
        break
