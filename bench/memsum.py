#!/usr/bin/python3
"""bench/memsum.py PID...: the memory of the processes PID and all their
descendants, summed from /proc/P/smaps_rollup (run as root to read other
users' processes), and their CPU. Prints one line:
  procs=N rss_kb=R pss_kb=P pte_kb=T cpu_s=C [name=COUNT ...]
C is the user + system time of them all and of every child they reaped
(utime, stime, cutime, cstime), so the difference of two readings is what
the group spent between them, ended processes included.
RSS counts each shared page (program text, libraries) once per process;
PSS divides it among the processes that share it, so PSS sums to what the
group really holds; T is the kernel's page tables (VmPTE), not in either."""
import collections, os, sys


HZ = os.sysconf('SC_CLK_TCK')


def children():
    kids = collections.defaultdict(list)
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(')') + 2:].split()[1])
        kids[ppid].append(int(d))
    return kids


def tree(roots):
    kids, seen, todo = children(), set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(kids.get(p, []))
    return seen


def rollup(pid):
    r = {}
    try:
        with open('/proc/%d/stat' % pid) as f:
            st = f.read()
        r['cpu'] = sum(int(x) for x in st[st.rindex(')') + 2:].split()[11:15])
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                k, _, v = line.partition(':')
                if k in ('Rss', 'Pss'):
                    r[k] = int(v.split()[0])
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmPTE:'):
                    r['Pte'] = int(line.split()[1])
        with open('/proc/%d/comm' % pid) as f:
            r['comm'] = f.read().strip()
    except OSError:
        return None
    return r


def main():
    pids = tree(int(a) for a in sys.argv[1:] if a.isdigit() and os.path.isdir('/proc/' + a))
    n = rss = pss = pte = cpu = 0
    names = collections.Counter()
    for p in pids:
        r = rollup(p)
        if not r:
            continue
        n += 1
        rss += r.get('Rss', 0)
        pss += r.get('Pss', 0)
        pte += r.get('Pte', 0)
        cpu += r['cpu']
        names[r['comm']] += 1
    print('procs=%d rss_kb=%d pss_kb=%d pte_kb=%d cpu_s=%.2f %s' % (n, rss, pss, pte, cpu / HZ,
          ' '.join('%s=%d' % kv for kv in sorted(names.items()))))


main()
