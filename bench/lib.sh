# bench/lib.sh: helpers for quail's benchmarks (sourced).
now() { echo "$EPOCHREALTIME"; }
# busy CPU seconds of the whole machine (user+nice+system+irq+softirq)
cpu_busy() { awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { print ($2+$3+$4+$7+$8)/hz; exit }' /proc/stat; }
md_count() { local f; shopt -s nullglob; f=("$1"/new/* "$1"/cur/*); echo "${#f[@]}"; }
median() { grep -v '^-$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
die() { echo "bench: $*" >&2; exit 111; }
# service_start INST NAME [CGROUP [READY]]: INST/service/NAME/run started
# as runsv would start it (inside CGROUP, a cgroup v2 directory, when one
# is named), its output in INST/NAME.log; $service is its pid (tcpserver's,
# which the script becomes); dies unless the log says READY ('status: 0/':
# tcpserver listens) within 30 s (a loaded machine, as when make test runs
# t/bench.t beside other tests)
service_start() {
  local log=$1/$2.log i=0
  sh -c '[ -z "$1" ] || echo $$ > "$1/cgroup.procs" || exit 111; exec sh "$2"' sh "${3:-}" \
    "$1/service/$2/run" >"$log" 2>&1 & service=$!
  until grep -q "${4:-status: 0/}" "$log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 300 ] || die "service/$2/run did not start: $(cat "$log")"
    sleep 0.1
  done
}
settle() { sync; sleep "${COOLDOWN:-5}"; }
# a message of about SIZE bytes on stdout
message() {
  printf 'From: %s\nTo: %s\nSubject: quail bench\n\n' "$1" "$2"
  awk -v n="$3" 'BEGIN { l = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    for (i = 0; i + 76 <= n; i += 76) print l }'
}
# dovecot_user DIR USER PASS HOME: a user for dovecot_conf, with the uid
# and gid of bench, in DIR/dovecot.passwd
dovecot_user() {
  printf '%s:{PLAIN}%s:%s:%s::%s\n' "$2" "$3" "$(id -u bench)" "$(id -g bench)" "$4" >>"$1/dovecot.passwd"
  chmod 644 "$1/dovecot.passwd"
}
# dovecot_conf DIR PORT [SETTING...]: DIR/dovecot.conf, the shared anchor's
# configuration (dovecot-anchor.sh) with POP3 on 127.0.0.1:PORT, its own
# base_dir (DIR/dovecot-run: master.pid there), so that it runs beside the
# anchor and other benches, the SETTINGs, and the users of DIR/dovecot.passwd
# (dovecot_user); start it with dovecot -c DIR/dovecot.conf
dovecot_conf() {
  local dir=$1 port=$2
  shift 2
  { echo '!include /etc/dovecot/quail-anchor.conf'
    echo "base_dir = $dir/dovecot-run"
    printf 'service pop3-login {\n  inet_listener pop3 {\n    port = %s\n  }\n}\n' "$port"
    printf '%s\n' "$@"
    printf 'passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%%u %s\n}\n' "$dir/dovecot.passwd"
    printf 'userdb {\n  driver = passwd-file\n  args = username_format=%%u %s\n}\n' "$dir/dovecot.passwd"
  } >"$dir/dovecot.conf"
  doveconf -c "$dir/dovecot.conf" -n >/dev/null
}
# shared_bench SRC: the shared yardstick's scripts (postfix-anchor.sh,
# dovecot-anchor.sh, ...), $SHARED_BENCH or shared/bench beside the source
# (or beside the worktrees' folder, for a worktree in wt/)
shared_bench() {
  if [ -n "${SHARED_BENCH:-}" ]; then echo "$SHARED_BENCH"
  elif [ -d "$1/../shared/bench" ]; then echo "$1/../shared/bench"
  else echo "$1/../../shared/bench"; fi
}
# cgroups (v2) of the benchmark's own, so that a process tree's CPU time
# is counted apart from the rest of the machine's (root only)
# cg_root: where cgroup2 is mounted, if this user may make groups there
cg_root() {
  local r; r=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
  [ -n "$r" ] && [ -w "$r" ] && echo "$r"
}
# cg_usec DIR: CPU microseconds (user + system) of every process that ran in DIR
cg_usec() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"; }
# cg_drop DIR: kill what is left in DIR, then remove it
cg_drop() {
  local i=0
  [ -d "$1" ] || return 0
  if [ -e "$1/cgroup.kill" ]; then echo 1 > "$1/cgroup.kill"
  else xargs -r kill -9 < "$1/cgroup.procs"; fi
  until rmdir "$1" 2>/dev/null; do i=$((i + 1)); [ $i -le 50 ] || return 1; sleep 0.1; done
}
# CPU and memory of one MTA's processes, by a cgroup of the ones above
# that its processes are started in, so that other load on the machine
# does not count: cg_make NAME; cg_run NAME COMMAND... (execs COMMAND: call
# it with & or in a subshell; COMMAND and everything it starts are in the
# cgroup); cg_cpu NAME (CPU seconds so far); cg_rss NAME (kB of memory of
# its processes now, as PSS: shared pages divided among sharers);
# cg_remove NAME. Without a cgroup2 to write to (not root) cg_cpu is the
# machine's busy CPU (cpu_busy).
cg_base=$(cg_root) || cg_base=
cg_dir() { echo "$cg_base/quail-bench-$$-$1"; }   # one per run of a script
cg_make() { [ -z "$cg_base" ] || mkdir -p "$(cg_dir "$1")" 2>/dev/null || true; }
cg_run() { local d; d=$(cg_dir "$1"); shift; [ -n "$cg_base" ] && [ -w "$d/cgroup.procs" ] && echo "$BASHPID" > "$d/cgroup.procs"; exec "$@"; }
cg_cpu() {
  local d; d=$(cg_dir "$1")
  if [ -n "$cg_base" ] && [ -r "$d/cpu.stat" ]; then awk -v u="$(cg_usec "$d")" 'BEGIN { printf "%.3f\n", u / 1e6 }'; else cpu_busy; fi
}
cg_rss() {
  local d p t=0 r; d=$(cg_dir "$1")
  [ -n "$cg_base" ] && [ -r "$d/cgroup.procs" ] || { echo -; return; }
  for p in $(cat "$d/cgroup.procs"); do
    r=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) && t=$((t + ${r:-0}))
  done
  echo "$t"
}
cg_remove() { [ -z "$cg_base" ] || cg_drop "$(cg_dir "$1")" || true; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo -; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo -; }
# bench/sink.py: STATE file's counter NAME (0 before the first write)
sink_get() { local v; v=$(sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" "$1" 2>/dev/null); echo "${v:-0}"; }
