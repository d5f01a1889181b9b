#!/bin/bash
# quail-log and control/logto: every service's log to svlogd, to syslog or
# to both, under a real runsv, against a real syslog daemon (busybox
# syslogd) on a private /dev/log. The test re-runs itself in a mount
# namespace of its own whose /dev is a tmpfs of the test's (null, zero,
# random, urandom made in it; t/splogger.t makes its own /dev too), so
# that syslogd's socket is the only /dev/log its programs see.
if [ -z "${QUAIL_LOG_NS:-}" ] && [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
  QUAIL_LOG_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
[ -n "${QUAIL_LOG_NS:-}" ] || skip_all "needs root and unshare -m (a mount namespace for a private /dev/log)"
command -v busybox >/dev/null || skip_all "needs busybox (syslogd): apt-get install busybox"
command -v runsv >/dev/null || skip_all "needs runit (runsv, svlogd)"
# a /dev of the namespace's own: a tmpfs with the devices the programs use
mount -t tmpfs -o mode=755 quail-dev /dev || exit 1
mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
  mknod -m 666 /dev/random c 1 8 && mknod -m 666 /dev/urandom c 1 9 || exit 1
ln -s /proc/self/fd /dev/fd
inst_new
QM=$INST/service/queue-manager
CUR=$INST/log/queue-manager/current

# syslogd_start NAME: a syslogd writing to $T/NAME.syslog ($LOG); syslogd_stop
syslogd_start() {
  LOG=$T/$1.syslog
  rm -f /dev/log
  busybox syslogd -n -O "$LOG" & SYSLOGD=$!
  kill_on_exit $SYSLOGD
  wait_for 10 test -S /dev/log || diag "syslogd made no /dev/log"
}
syslogd_stop() { kill "$SYSLOGD" 2>/dev/null; wait "$SYSLOGD" 2>/dev/null; rm -f /dev/log; }
# synced MARK: every message sent before is in $LOG (datagrams arrive in order)
synced() {
  busybox logger -t sync "$1"
  wait_for 10 grep -q "sync: $1" "$LOG"
}
# runsv_start DIR ERR: runsv on DIR, its (and so the log service's) stderr to ERR
runsv_start() {
  runsv "$1" 2>>"$2" & RUNSV=$!
  kill_on_exit $RUNSV
  wait_for 10 sv status "$1/log" >/dev/null || diag "runsv did not start $1"
}
# logpid DIR: the pid of DIR's log service
logpid() { sv status "$1/log" 2>/dev/null | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p'; }
# runsv_stop DIR: the service, then its log, stopped; runsv gone
runsv_stop() { sv exit "$1" >/dev/null 2>&1; wait "$RUNSV" 2>/dev/null; }
# mail MARK: a message to test-MARK, delivered by the queue-manager service
mail() {
  local n
  n=$(md_count "$MD")
  printf 'Subject: %s\n\nhello\n' "$1" | "$BIN/sendmail" "test-$1@localhost"
  wait_for 20 md_has "$MD" $((n + 1))
}
# count FILE MARK: how many of queue-manager's lines for MARK are in FILE
count() { grep -c "to local test-$2@localhost" "$1" 2>/dev/null; }
logto() { if [ "$1" = - ]; then rm -rf "$INST/control/logto"; else printf '%s\n' "$1" > "$INST/control/logto"; fi; }
# one_case VALUE MARK: queue-manager under runsv with control/logto VALUE
# (- for none), one message to test-MARK; $ERR holds runsv's stderr
one_case() {
  logto "$1"
  ERR=$T/$2.err
  : > "$ERR"
  LINES_BEFORE=$(cat "$CUR" 2>/dev/null | wc -l)
  syslogd_start "$2"
  runsv_start "$QM" "$ERR"
  ok "$2: the message is delivered" mail "$2"
  runsv_stop "$QM"
  synced "$2"
}

is "$(head -n 1 "$INST/control/logto")" svlogd "mkinstance copies control/logto: svlogd"

one_case svlogd svl
is "$(count "$CUR" svl)" 1 "svlogd: the delivery is in log/queue-manager/current"
like "$(cat "$CUR")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:.]+ status: ' "  with svlogd -tt's labels, as before"
is "$(count "$LOG" svl)" 0 "  and not in syslog"
syslogd_stop

one_case syslog sys
like "$(cat "$LOG")" "mail\\.info queue-manager: [0-9]+\\.[0-9]{6} starting delivery [0-9]+: msg [0-9]+ to local test-sys@localhost" \
  "syslog: the delivery is in syslog: facility mail, the tag queue-manager, splogger's stamp"
is "$(count "$CUR" sys)" 0 "  and not in log/queue-manager/current"
is "$(cat "$ERR")" "" "  nothing on the log service's stderr"
syslogd_stop

one_case both bth
is "$(count "$LOG" bth)" 1 "both: the delivery is in syslog"
is "$(count "$CUR" bth)" 1 "  and in log/queue-manager/current"
# the lines of this case, without svlogd's label and splogger's stamp
from_svlogd=$(tail -n +$((LINES_BEFORE + 1)) "$CUR" | sed 's/^[^ ]* //')
from_syslog=$(sed -n 's/.* queue-manager: [0-9.]* //p' "$LOG")
like "$from_svlogd" 'end msg' "  svlogd has the whole run"
is "$from_syslog" "$from_svlogd" "  and syslog the same lines in the same order"
is "$(cat "$ERR")" "" "  nothing on the log service's stderr"
syslogd_stop

one_case - none
is "$(count "$CUR" none)" 1 "no control/logto: svlogd"
is "$(count "$LOG" none)" 0 "  not syslog"
is "$(cat "$ERR")" "" "  and no warning"
syslogd_stop

one_case sysl0g typo
is "$(count "$CUR" typo)" 1 "an unknown value: svlogd, the lines are not lost"
is "$(count "$LOG" typo)" 0 "  not syslog"
like "$(cat "$ERR")" "quail-log: warning: queue-manager logs to svlogd: $INST/control/logto says \"sysl0g\", not svlogd, syslog or both" \
  "  a warning on the log service's stderr (runsv's), naming the file and the value"
syslogd_stop

one_case '' empty
is "$(count "$CUR" empty)" 1 "an empty control/logto: svlogd"
like "$(cat "$ERR")" "logto says \"\", not svlogd, syslog or both" "  with a warning"
syslogd_stop

mkdir -p "$INST/control/logto.d" && rm -f "$INST/control/logto" && mv "$INST/control/logto.d" "$INST/control/logto"
ERR=$T/dir.err; : > "$ERR"
syslogd_start dir
runsv_start "$QM" "$ERR"
ok "dir: the message is delivered" mail dir
runsv_stop "$QM"
synced dir
is "$(count "$CUR" dir)" 1 "control/logto that cannot be read: svlogd"
like "$(cat "$ERR")" "quail-log: warning: queue-manager logs to svlogd: unable to read $INST/control/logto: Is a directory" \
  "  with a warning that names the error"
syslogd_stop
rm -rf "$INST/control/logto"

# syslog without a syslog daemon: the service works, the lines go to stderr
logto syslog
ERR=$T/nosys.err; : > "$ERR"
rm -f /dev/log
runsv_start "$QM" "$ERR"
ok "syslog, no syslog daemon: the message is still delivered" mail nosys
runsv_stop "$QM"
like "$(cat "$ERR")" "splogger: warning: lines go to standard error until syslog takes them: unable to send to /dev/log: No such file or directory" \
  "  splogger says on stderr that syslog takes nothing"
like "$(cat "$ERR")" "queue-manager: [0-9]+\\.[0-9]{6} starting delivery [0-9]+: msg [0-9]+ to local test-nosys@localhost" \
  "  and writes the lines there instead of losing them"
is "$(count "$CUR" nosys)" 0 "  (not to log/)"

logto both
ERR=$T/nosys2.err; : > "$ERR"
runsv_start "$QM" "$ERR"
ok "both, no syslog daemon: the message is delivered" mail nosys2
runsv_stop "$QM"
is "$(count "$CUR" nosys2)" 1 "  svlogd has the line"
like "$(cat "$ERR")" "splogger: warning: lines go to standard output only until syslog takes them" "  splogger says syslog takes nothing"
is "$(grep -c 'test-nosys2@' "$ERR")" 0 "  and does not repeat on stderr what svlogd has"

# the setting takes effect when the log service restarts
logto svlogd
ERR=$T/restart.err; : > "$ERR"
syslogd_start restart
runsv_start "$QM" "$ERR"
mail before
logto syslog
old=$(logpid "$QM")
sv restart "$QM/log" >/dev/null
ok "sv restart service/queue-manager/log restarts the log service" wait_for 10 eval '[ -n "$(logpid "$QM")" ] && [ "$(logpid "$QM")" != "$old" ]'
mail after
runsv_stop "$QM"
synced restart
is "$(count "$CUR" before) $(count "$LOG" before)" "1 0" "before the restart: svlogd"
is "$(count "$CUR" after) $(count "$LOG" after)" "0 1" "after control/logto says syslog and the log service restarts: syslog"
syslogd_stop

# both, one side slow: nothing is lost. A service that writes N lines when
# told to, with the same log/run as every service
N=10000
S=$INST/service/talk
mkdir -p "$S/log" "$INST/log/talk"
printf '#!/bin/sh\nwhile [ ! -e go ]; do sleep 0.05; done\nseq -f "talk line %%g" 1 %s\necho "warning: talk is done"\nexec sleep 100000\n' $N > "$S/run"
sed 's/queue-manager/talk/g' "$QM/log/run" > "$S/log/run"
chmod 755 "$S/run" "$S/log/run"
TCUR=$INST/log/talk/current
logto both
# svlogd_pid: the svlogd that splogger -t writes to (its child)
svlogd_pid() { pgrep -P "$(logpid "$S")" -x svlogd; }
talk() {
  rm -f "$S/go"
  : > "$TCUR" 2>/dev/null
  syslogd_start "$1"
  runsv_start "$S" "$T/$1.err"
  wait_for 10 svlogd_pid >/dev/null || diag "no svlogd under splogger"
}
# slow NAME SIDE: with both, SIDE (svlogd or syslogd) stopped while talk
# writes its N lines: the other side gets some, not all; then all arrive
slow() {
  local sp fast pat c
  talk "$1"
  if [ "$2" = svlogd ]; then sp=$(svlogd_pid) fast=$LOG pat='talk: .* talk line'
  else sp=$SYSLOGD fast=$TCUR pat=' talk line'; fi
  kill -STOP "$sp"
  touch "$S/go"
  ok "$2 stopped: the other side gets the first lines" wait_for 20 grep -q "$pat 1\$" "$fast"
  c=$(grep -c "$pat" "$fast")
  ok "  but not all $N while $2 reads nothing (splogger waits for it: got $c)" test "$c" -lt $N
  kill -CONT "$sp"
  ok "$2 going again: the last line reaches both" \
    wait_for 60 eval 'grep -q "warning: talk is done" "$TCUR" && grep -q "talk: .* warning: talk is done" "$LOG"'
  runsv_stop "$S"
  synced "$1"
  is "$(grep -c ' talk line ' "$TCUR")" $N "  every line in log/talk/current"
  is "$(grep -c 'talk: .* talk line ' "$LOG")" $N "  every line in syslog"
  is "$(sed -n 's/.* talk line //p' "$LOG" | sort -n | uniq | wc -l)" $N "  each once"
}
slow slowsvlogd svlogd
like "$(cat "$LOG")" 'mail\.warn talk: [0-9.]+ warning: talk is done' "  a warning: line at LOG_WARNING"
syslogd_stop
slow slowsyslog syslogd
syslogd_stop

# every service of run/ logs through quail-log under its own name
for s in $(cd "$SRC/run" && ls -d */ | tr -d /); do
  like "$(cat "$INST/service/$s/log/run")" "^exec [^ ]*/quail-log $s\$" "service/$s/log/run runs quail-log $s"
done

# showctl explains the file, and says when it is wrong
sc() { QUAIL_HOME=$INST "$BIN/showctl" 2>&1 | grep '^logto: '; }
logto svlogd; like "$(sc)" '^logto: Services log to svlogd, in log/SERVICE/; read when a log service starts: quailctl restart' "showctl: svlogd"
logto syslog; like "$(sc)" '^logto: Services log to syslog \(splogger, facility mail\), not to log/' "showctl: syslog"
logto both; like "$(sc)" '^logto: Services log to svlogd in log/SERVICE/ and to syslog' "showctl: both"
logto sysl0g; like "$(sc)" '^logto: Oops! It says "sysl0g", not svlogd, syslog or both: services log to svlogd' "showctl: an unknown value is an Oops"
logto -; like "$(sc)" '^logto: \(Default\.\) Services log to svlogd' "showctl: no file, the default"

# quail-setup leaves the setting alone
logto both
quail-setup isolated >/dev/null 2>&1
is "$(cat "$INST/control/logto")" both "quail-setup keeps control/logto"

# usage
"$BIN/quail-log" 2>/dev/null; is $? 100 "quail-log without a name: usage, 100"
"$BIN/quail-log" ../x 2>/dev/null; is $? 100 "a name with a slash: 100"
done_testing
