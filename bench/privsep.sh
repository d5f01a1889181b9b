#!/bin/bash
# bench/privsep.sh [privsep] [listener]: what privilege separation and the
# listener each cost, taken apart with two quail builds side by side.
#   privsep   the build before privilege separation (PRIVSEP_A, default:
#             commit e806c5a, the first parent of the merge of 'privsep')
#             beside the merge itself (PRIVSEP_B, f5f1b12); both run
#             smtpd under tcpserver. COUNT (1000) `sendmail -f FROM TO`
#             one after another, then SMTP_COUNT (2000) messages by
#             smtp-source at each of SESSIONS ("1 50"), each message of
#             SIZE (2048) bytes delivered into a Maildir.
#   listener  one build (QUAIL, default this checkout) under ucspi-tcp's
#             tcpserver beside the same build under quail's own
#             quail-tcpserver (QUAIL_TCPSERVER, default built from
#             f4abbef, its last version), which the run script then
#             execs as `tcpserver` from PATH with the same arguments:
#             smtp-source at each of SESSIONS.
# Both instances of a comparison run the whole time, each started by its
# own run scripts (queue-manager, smtpd: the shipped defaults), and take
# turns run by run (A B, B A, A B, ...), RUNS (5) times, COOLDOWN (5) s
# before each; with TOGETHER=1 both sides run at the same time instead, so
# that both see the same moments of a busy machine (their rates then are
# each one's share of it). CPU per message is that of the instance's own
# processes, from cgroups (v2) of its own: "in" is the smtpd service (tcpserver, smtpd,
# queue-writer) or the sendmail runs (sendmail, queue-writer; the shell's
# own CPU taken off, the child's side of its fork left in), "queue" is
# queue-manager and all it starts (queue-spawn, deliver-local). Other work
# on the machine does not count there; rates do feel it, so each run's
# load average is printed with them. A commit is built once, by git
# archive and make, in BUILDS ($TMPDIR/quail-builds/COMMIT), and kept.
# Prints each run, then medians and B/A ratios. Needs root (cgroups).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
PRIVSEP_MERGE=f5f1b12   # Merge branch 'privsep'
TCPSERVER_LAST=f4abbef  # quail-tcpserver's last version (e8d6118 removed it)
runs=${RUNS:-5} count=${COUNT:-1000} smtp_count=${SMTP_COUNT:-2000} size=${SIZE:-2048}
sessions=${SESSIONS:-1 50}
parts=${*:-privsep listener}
builds=${BUILDS:-${TMPDIR:-/tmp}/quail-builds}
for p in $parts; do case $p in privsep|listener) ;; *) die "usage: bench/privsep.sh [privsep] [listener]";; esac; done
cgr=$(cg_root) || die "no cgroup v2 this user can write to (run as root)"
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-privsep.XXXXXX")
raw=$out/raw.txt
message bench@quail.test test@quail.test "$size" > "$out/msg"
cp /usr/sbin/smtp-source "$out/smtp-source-ps" || die "/usr/sbin/smtp-source missing (Debian package postfix)"
cg=$cgr/quail-privsep.${out##*.}
mkdir "$cg" || die "unable to make $cg"
pids=
cleanup() {
  local c
  [ -z "$pids" ] || { kill $pids 2>/dev/null; sleep 0.2; }
  for c in "$cg"/*/; do cg_drop "$c" || true; done
  rmdir "$cg" 2>/dev/null || true
  rm -rf "$out"/i-*
}
trap cleanup EXIT

# build COMMIT [TARGET...]: the directory where COMMIT is built (made once)
build() {
  local c d
  c=$(git -C "$src" rev-parse --verify -q "$1^{commit}") || die "no commit $1 in $src"
  d=$builds/$c
  if [ ! -e "$d/.built" ]; then
    echo "bench: building $1 in $d" >&2
    rm -rf "$d" && mkdir -p "$d" || die "unable to make $d"
    git -C "$src" archive "$c" | tar -x -C "$d" || die "unable to unpack $1"
    shift
    make -C "$d" -j2 "$@" > "$d/build.log" 2>&1 || die "unable to build $c (see $d/build.log)"
    touch "$d/.built"
  fi
  echo "$d"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# up NAME BIN [PATHDIR]: instance $out/i-NAME made by BIN/mkinstance, its
# queue-manager and smtpd started by their run scripts in the cgroups
# $cg/NAME.queue and $cg/NAME.in (smtpd with PATHDIR first in its PATH);
# its port in $port_NAME
up() {
  local inst=$out/i-$1 port k; port=$(free_port)
  SMTP_PORT=$port "$2/mkinstance" "$inst" quail.test >/dev/null || die "mkinstance ($1) failed"
  for k in queue in; do mkdir "$cg/$1.$k" || die "unable to make $cg/$1.$k"; done
  service_start "$inst" queue-manager "$cg/$1.queue" 'status: local 0/'; pids="$pids $service"; disown "$service"
  PATH=${3:+$3:}$PATH service_start "$inst" smtpd "$cg/$1.in"; pids="$pids $service"; disown "$service"
  eval "port_$1=$port listener_$1=$service"
}

# inject CGROUP COUNT MESSAGE TIMES SENDMAIL: COUNT `SENDMAIL -f FROM TO`
# one after another, by a shell in CGROUP; prints that shell's own CPU in
# µs (from its `times`, written to TIMES.0 and TIMES.1)
inject() {
  bash -c 'echo $$ > "$1/cgroup.procs" || exit 111
    times > "$4.0"
    for ((i = 0; i < $2; i++)); do "$5" -f bench@quail.test test@quail.test < "$3" > /dev/null || exit 111; done
    times > "$4.1"' inject "$1" "$2" "$3" "$4" "$5" || die "sendmail failed"
  awk 'function us(t) { split(t, a, /[ms]/); return (a[1] * 60 + a[2]) * 1e6 }
       FNR == 1 { s += (FILENAME ~ /1$/ ? 1 : -1) * (us($1) + us($2)) } END { printf "%d", s }' \
    "$4.0" "$4.1"
}
# idle INST: wait until the queue is empty and the Maildir holds N messages
idle() {
  local t0; t0=$(now)
  until [ "$(md_count "$1/mail/test/Maildir")" -ge "$2" ] && [ -z "$(ls -A "$1/queue/mess")" ]; do
    [ "$(calc "$(now) - $t0" 0)" -gt "${TIMEOUT:-600}" ] && break
    sleep 0.05
  done
}

# one PART SIDE NAME BIN KIND [SESSIONS]: one measurement, a line on $raw
one() {
  local inst=$out/i-$3 md=$out/i-$3/mail/test/Maildir msg=$out/msg line self=0
  local q0 q1 i0 i1 t0 t1 t2 n load port dog me
  eval "port=\$port_$3"
  find "$md/new" "$md/cur" -maxdepth 1 -type f -delete
  settle
  load=$(cut -d' ' -f1 /proc/loadavg)
  q0=$(cg_usec "$cg/$3.queue") i0=$(cg_usec "$cg/$3.in")
  t0=$(now)
  case $5 in
  sendmail)
    self=$(QUAIL_HOME=$inst inject "$cg/$3.in" "$count" "$msg" "$out/times-$3" "$4/sendmail"); n=$count;;
  smtp)
    n=$smtp_count
    # smtp-source in the foreground (bench/smtp.sh says why); a watchdog
    # kills this one only if it is stuck. It runs as a copy of its own
    # name, which other benchmarks' `pkill -x smtp-source` do not reach
    me=$BASHPID
    ( sleep "${TIMEOUT:-600}"; pkill -x -P "$me" smtp-source-ps ) >/dev/null 2>&1 & dog=$!
    "$out/smtp-source-ps" -s "$6" -m "$n" -l "$size" -f bench@quail.test -t test@quail.test \
      "127.0.0.1:$port" || die "smtp-source failed"
    pkill -P "$dog" 2>/dev/null; kill "$dog" 2>/dev/null || true;;
  esac
  t1=$(now)
  idle "$inst" "$n"
  t2=$(now)
  q1=$(cg_usec "$cg/$3.queue") i1=$(cg_usec "$cg/$3.in")
  [ "$(md_count "$md")" -ge "$n" ] || die "$3: only $(md_count "$md") of $n messages delivered"
  line="part=$1 side=$2 kind=$5${6:+-$6} run=$r accept_per_s=$(calc "$n / ($t1 - $t0)" 0)"
  line="$line e2e_per_s=$(calc "$n / ($t2 - $t0)" 0) cpu_in=$(calc "($i1 - $i0 - $self) / 1000 / $n" 3)"
  line="$line cpu_queue=$(calc "($q1 - $q0) / 1000 / $n" 3) cpu=$(calc "($i1 - $i0 - $self + $q1 - $q0) / 1000 / $n" 3) load=$load"
  echo "$line" | tee -a "$raw" >&2
}
# pair PART A B BIN_A BIN_B KIND [SESSIONS]: run $r of both sides, in
# turn (A first in odd runs), or at the same time with TOGETHER=1
pair() {
  if [ "${TOGETHER:-0}" = 1 ]; then
    one "$1" a "$2" "$4" "${@:6}" & local pa=$!
    one "$1" b "$3" "$5" "${@:6}" & local pb=$!
    wait "$pa" && wait "$pb" || die "a run failed"
  elif [ $((r % 2)) = 1 ]; then one "$1" a "$2" "$4" "${@:6}"; one "$1" b "$3" "$5" "${@:6}"
  else one "$1" b "$3" "$5" "${@:6}"; one "$1" a "$2" "$4" "${@:6}"; fi
}

values() { grep "part=$1 side=$2 kind=$3 run=${5:-[0-9]*} " "$raw" | sed -n "s/.* $4=\([^ ]*\).*/\1/p"; }
pick() { values "$@" | median; }
# ratios PART KIND METRIC: each run's B/A
ratios() {
  local i; for i in $(seq "$runs"); do calc "$(values "$1" b "$2" "$3" "$i") / $(values "$1" a "$2" "$3" "$i")" 3; echo; done
}
range() { grep "part=$1 " "$raw" | sed -n 's/.* load=\([^ ]*\).*/\1/p' | sort -g | sed -n '1p;$p' | paste -sd-; }
# table PART LABEL_A LABEL_B KIND...: medians, B/A
table() {
  local p=$1 la=$2 lb=$3 k m a b; shift 3
  echo
  echo "| $p | metric | $la | $lb | B/A | B/A by run: median (range) |"
  echo "|---|---|---|---|---|---|"
  for k in "$@"; do for m in accept_per_s e2e_per_s cpu_in cpu_queue cpu; do
    a=$(pick "$p" a "$k" $m) b=$(pick "$p" b "$k" $m)
    echo "| $k | $m | $a | $b | $(calc "$b / $a" 3) | $(ratios "$p" "$k" $m | median) ($(ratios "$p" "$k" $m | sort -g | sed -n '1p;$p' | paste -sd' ')) |"
  done; done
  echo "(medians of $runs runs, $([ "${TOGETHER:-0}" = 1 ] && echo "both sides at once" || echo "in turn")," \
       "cpu_* in ms per message; load average $(range "$p") over the runs)"
}

for p in $parts; do
  case $p in
  privsep)
    a=${PRIVSEP_A:-$(build "$PRIVSEP_MERGE^1")} b=${PRIVSEP_B:-$(build "$PRIVSEP_MERGE")}
    up pa "$a/bin"; up pb "$b/bin"
    kinds="sendmail"; for s in $sessions; do kinds="$kinds smtp-$s"; done
    for r in $(seq "$runs"); do
      pair privsep pa pb "$a/bin" "$b/bin" sendmail
      for s in $sessions; do pair privsep pa pb "$a/bin" "$b/bin" smtp "$s"; done
    done
    table privsep "A: ${PRIVSEP_A:-$PRIVSEP_MERGE^1}" "B: ${PRIVSEP_B:-$PRIVSEP_MERGE}" $kinds;;
  listener)
    q=${QUAIL:-$src}
    qt=${QUAIL_TCPSERVER:-$(build "$TCPSERVER_LAST" bin/quail-tcpserver)/bin/quail-tcpserver}
    mkdir -p "$out/qt" && ln -sf "$(readlink -f "$qt")" "$out/qt/tcpserver"
    up lq "$q/bin" "$out/qt"; up lt "$q/bin"
    [ "$(readlink "/proc/$listener_lq/exe")" = "$(readlink -f "$qt")" ] || die "the run script did not start $qt"
    kinds=; for s in $sessions; do kinds="$kinds smtp-$s"; done
    for r in $(seq "$runs"); do
      for s in $sessions; do pair listener lq lt "$q/bin" "$q/bin" smtp "$s"; done
    done
    table listener "A: quail-tcpserver" "B: tcpserver" $kinds;;
  esac
done
echo "(raw lines in $raw)"
