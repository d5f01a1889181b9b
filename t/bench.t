#!/bin/bash
# make bench: the scripts run by the interpreter make's recipe names
# (bench/lib.sh is bash), on a workload small enough for the suite: a few
# messages through sendmail and SMTP (quail alone), and bench/auth.sh.
. "$(dirname "$0")/lib.sh"
cd "$SRC" || exit 1
cmds=$(make -n --no-print-directory bench 2>/dev/null | grep -E '^[a-z]+ bench/[a-z]+\.sh$')
like "$cmds" 'bench/run\.sh' "make bench runs bench/run.sh"
like "$cmds" 'bench/auth\.sh' "make bench runs bench/auth.sh"
run_sh=$(printf '%s\n' "$cmds" | grep 'bench/run\.sh$')
auth_sh=$(printf '%s\n' "$cmds" | grep 'bench/auth\.sh$')

out=$(TMPDIR=$T POSTFIX=0 QUAIL_SMTP_PORT=$(free_port) RUNS=1 COUNT=3 SMTP_COUNT=3 SESSIONS=1 COOLDOWN=0 $run_sh sendmail smtp 2>&1)
is "$?" 0 "'$run_sh sendmail smtp' (as make bench runs it) exits 0"
like "$out" '\| sendmail 3 x 2048 B \| e2e_per_s \| [0-9]+ \|' "the sendmail row has quail's figure"
like "$out" '\| SMTP 3 x 2048 B, 1 sessions \| accept_per_s \| [0-9]+ \|' "the SMTP row has quail's figure"

# a run that fails (its port taken) leaves none of quail's processes behind
port=$(free_port)
$PY -c 'import socket, sys, time; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' "$port" &
taker=$!
sleep 0.5
mkdir -p "$T/taken"
out=$(TMPDIR=$T/taken POSTFIX=0 RUNS=1 COUNT=3 SESSIONS=1 COOLDOWN=0 QUAIL_SMTP_PORT=$port $run_sh sendmail 2>&1)
rc=$?
ok "bench/run.sh with its port taken fails" [ "$rc" != 0 ]
left=
for p in $(pgrep -x queue-manager) $(pgrep -x tcpserver); do
  case $(readlink "/proc/$p/cwd") in "$T/taken"*) left="$left $p";; esac
done
is "$left" "" "and leaves no queue-manager or tcpserver running"
kill $taker 2>/dev/null; wait $taker 2>/dev/null

out=$(TMPDIR=$T RUNS=1 COUNT=3 SESSIONS=1 COOLDOWN=0 $auth_sh 2>&1)
is "$?" 0 "'$auth_sh' (as make bench runs it) exits 0"
like "$out" 'on/off' "and prints its comparison"
# every bench starts quail's servers as the run scripts do: by the run script
is "$(grep -n 'tcpserver ' bench/*.sh | grep -v ':[0-9]*: *#')" "" "no bench script starts tcpserver with its own command line"
like "$(grep 'sessions=' bench/run.sh)" 'SESSIONS:-1 10 50 200' "bench/run.sh measures 1, 10, 50 and 200 sessions by default"
out=$(TMPDIR=$T PORT_A=$(free_port) PORT_B=$(free_port) QUAIL_B=$SRC bash bench/phases.sh 5 2>&1)
is "$?" 0 "bench/phases.sh (two instances by their run scripts) exits 0" || diag "$out"
like "$out" 'quail' "and prints its phases"

like "$cmds" 'bench/rspamd\.sh' "make bench runs bench/rspamd.sh"
if command -v rspamd >/dev/null; then
  out=$(TMPDIR=$T COOLDOWN=0 bash bench/rspamd.sh 5 1 2>&1)
  is "$?" 0 "'bash bench/rspamd.sh 5 1' exits 0"
  like "$out" 'medians of 1 x 5: no filter [0-9.]+ ms/msg.*rspamd-filter [0-9.]+ ms/msg' "and prints both figures"
else
  skip "rspamd is not installed"; skip "rspamd is not installed"
fi
# many held sessions and a big Maildir (bench/conns.sh, bench/bigbox.sh),
# small: quail alone (the baselines are other servers' instances)
like "$cmds" 'bench/conns\.sh' "make bench runs bench/conns.sh"
like "$cmds" 'bench/bigbox\.sh' "make bench runs bench/bigbox.sh"
out=$(TMPDIR=$T SESSIONS=20 POP3_SESSIONS=5 HOLD=0 RUNS=1 POSTFIX=0 DOVECOT=0 \
  QUAIL_SMTP_PORT=$(free_port) QUAIL_POP3_PORT=$(free_port) bash bench/conns.sh 2>&1)
is "$?" 0 "bench/conns.sh (20 SMTP, 5 POP3 and 5 logged-in POP3 sessions held) exits 0" || diag "$out"
like "$out" '\| SMTP x 20 \(vs Postfix\) \| greeted \| 20 \|' "every SMTP session was greeted"
like "$out" '\| SMTP x 20 \(vs Postfix\) \| alive \| 20 \|' "and all 20 were still open at the end"
like "$out" '\| SMTP x 20 \(vs Postfix\) \| pss_kb_per_session \| [0-9.]+ \|' "the memory per SMTP session"
like "$out" '\| SMTP x 20 \(vs Postfix\) \| extra_latency_s \| [0-9.]+ \|' "one more SMTP transaction went through meanwhile"
like "$out" '\| POP3 x 5 \(vs Dovecot\) \| greeted \| 5 \|' "every POP3 session was greeted"
like "$out" '\| POP3 x 5 \(vs Dovecot\) \| extra_latency_s \| [0-9.]+ \|' "one more POP3 login went through meanwhile"
like "$out" '\| POP3 x 5 logged in \(vs Dovecot\) \| alive \| 5 \|' "5 POP3 sessions logged in and held"
like "$out" '\| POP3 x 5 logged in \(vs Dovecot\) \| login_failed \| 0 \|' "none of their logins refused"
out=$(TMPDIR=$T MESSAGES=50 LEVELS="0 50" DELIVERIES=3 RUNS=1 DOVECOT=0 DROP_CACHES=0 PORT=$(free_port) \
  bash bench/bigbox.sh 2>&1)
is "$?" 0 "bench/bigbox.sh (50 messages) exits 0" || diag "$out"
like "$out" 'uidl_lines=50 ' "the UIDL listed every message"
like "$out" '\| full UIDL \| uidl_s \| [0-9.]+ \|' "the UIDL row has quail's figure"
like "$out" '\| 50 messages \| [0-9.]+ \| [0-9.]+ \|' "deliver-local's time per delivery into 50 messages"
like "$cmds" 'bench/privsep\.sh' "make bench runs bench/privsep.sh"
# the small mode: this checkout on both sides, tcpserver for quail-tcpserver
cgr=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$cgr" ] && [ -w "$cgr" ]; then
  out=$(TMPDIR=$T PRIVSEP_A=$SRC PRIVSEP_B=$SRC QUAIL_TCPSERVER=$(command -v tcpserver) RUNS=1 COUNT=3 \
        SMTP_COUNT=3 SESSIONS=1 COOLDOWN=0 bash bench/privsep.sh 2>&1)
  is "$?" 0 "bench/privsep.sh (two instances by their run scripts, in cgroups) exits 0" || diag "$out"
  like "$out" '^\| sendmail \| cpu \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \(' "privsep: CPU per message delivered from sendmail, both sides and B/A"
  is "$(printf '%s\n' "$out" | grep -cE '^\| smtp-1 \| cpu \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| ')" 2 \
    "privsep and listener: CPU per SMTP message, both sides and B/A"
  like "$out" '^\| listener \| metric \| A: quail-tcpserver \| B: tcpserver' "the listener's table says which is which"
  run=$(ls -d "$T"/quail-privsep.*) && run=${run##*.}
  nok "and leaves no cgroup behind" test -e "$cgr/quail-privsep.$run"
  out=$(TMPDIR=$T PRIVSEP_A=$SRC PRIVSEP_B=$SRC TOGETHER=1 RUNS=1 COUNT=3 SMTP_COUNT=3 SESSIONS=1 COOLDOWN=0 \
        bash bench/privsep.sh privsep 2>&1)
  like "$out" '^\(medians of 1 runs, both sides at once,' "TOGETHER=1 runs both sides at once" || diag "$out"
else
  for i in 1 2 3 4 5 6; do skip "no cgroup v2 to write to"; done
fi
# issue 23's workloads, quail alone, a few messages (the sink on a free port)
like "$cmds" 'bench/backlog\.sh' "make bench runs bench/backlog.sh"
out=$(TMPDIR=$T POSTFIX=0 BACKLOG=20 SMTP_COUNT=5 SESSIONS=1 FILL_SESSIONS=2 IDLE=1 COOLDOWN=0 TIMEOUT=300 \
      SINK_PORT=$(free_port) QUAIL_SMTP_PORT=$(free_port) bash bench/backlog.sh 2>&1)
is "$?" 0 "bench/backlog.sh with a backlog of 20 exits 0" || diag "$out"
like "$out" '\| SMTP accepted per s, with the backlog queued \| [0-9]+ \|' "the acceptance row with the backlog has quail's figure"
like "$out" '\| scheduler RSS kB with the backlog \(queue-manager / qmgr\) \| [0-9]+ \|' "the scheduler's memory"
like "$out" '\| retry wave: MTA CPU ms per deferred message \| [0-9.]+ \|' "the retry wave's CPU"
like "$out" '\| kill -9, restart: s to the first new local delivery \| [0-9.]+ \|' "the restart's first delivery"
like "$out" '\| destination back \(250, STARTTLS\): s to an empty queue \| [0-9.]+ \|' "the drain"
like "$out" '\| drain: transactions at the sink \| 20 \|' "every deferred message delivered to the sink"
like "$out" '\| drain: TLS handshakes \| [1-9][0-9]* \|' "over STARTTLS"
like "$cmds" 'bench/biglist\.sh' "make bench runs bench/biglist.sh"
out=$(TMPDIR=$T POSTFIX=0 LIST_MEMBERS=30 LIST_DOMAINS=3 COOLDOWN=0 TIMEOUT=300 SINK_PORT=$(free_port) bash bench/biglist.sh 2>&1)
is "$?" 0 "bench/biglist.sh with 30 members exits 0" || diag "$out"
like "$out" '\| done_s \| [0-9.]+ \|' "the time to an empty queue"
like "$out" '\| accepted \| 30 \|' "every member's copy at the sink"
like "$cmds" 'bench/restart\.sh' "make bench runs bench/restart.sh"
out=$(TMPDIR=$T BACKLOG=50 TRIES=1 SMTP_COUNT=5 SESSIONS=1 COOLDOWN=0 QUAIL_SMTP_PORT=$(free_port) bash bench/restart.sh 2>&1)
is "$?" 0 "bench/restart.sh with 50 queued exits 0" || diag "$out"
like "$out" 'restart, 50 queued: median [0-9.]+ s' "the time to the first delivery after a restart"
like "$out" 'SMTP acceptance with 50 queued / with none: rate [0-9.]+, CPU per message [0-9.]+' "acceptance with and without the queue"
done_testing
