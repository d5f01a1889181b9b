#!/bin/bash
# make install as root for real into a temporary PREFIX: users and groups,
# owners and modes as qmail's, the systemd unit, the default delivery;
# then the installed services under runsvdir (systemd's path without
# systemd) on free loopback ports, used by a non-root user through
# PREFIX/bin/sendmail and by SMTP. A DESTDIR install creates no user and
# makes the sendmail links only when asked.
# The users quaild quaill quailq quails quailr alias and the groups quail
# and nofiles are the real ones: made when missing, never removed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "not root: make install creates users and sets owners"
command -v useradd >/dev/null || skip_all "no useradd"
command -v runuser >/dev/null || skip_all "no runuser"
P=$(mktemp -d /var/tmp/quail-test-XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
RSV=
# the users and groups make install creates: those that did not exist
# before this test are removed at the end, so no user is left whose home
# was this test's temporary prefix
QUSERS="quaild quaill alias quailq quails quailr quailv" QGROUPS="quail nofiles quailv"
new_users= new_groups=
for u in $QUSERS; do getent passwd "$u" >/dev/null || new_users="$new_users $u"; done
for g in $QGROUPS; do getent group "$g" >/dev/null || new_groups="$new_groups $g"; done
finish() {
  [ -n "$RSV" ] && kill -HUP "$RSV" 2>/dev/null && wait "$RSV" 2>/dev/null
  # runsv processes stop after runsvdir: wait for those of this prefix, or
  # they re-create service/*/supervise after the removal
  local i pid busy
  for i in $(seq 50); do
    busy=
    for pid in $(pgrep -x runsv); do
      case $(readlink "/proc/$pid/cwd") in "$P"/*) busy=1;; esac
    done
    [ -z "$busy" ] && break
    sleep 0.1
  done
  case "$P" in /var/tmp/quail-test-??????) rm -rf "$P";; esac
  for u in $new_users; do userdel "$u" 2>/dev/null; done
  for g in $new_groups; do groupdel "$g" 2>/dev/null; done
  _cleanup
}
trap finish EXIT
sendmail_before=$(readlink /usr/sbin/sendmail 2>/dev/null || ls -l /usr/sbin/sendmail 2>/dev/null)

# a build of this tree for PREFIX (setuid programs use the compiled-in
# prefix, never QUAIL_HOME)
mkdir "$T/src"
(cd "$SRC" && git ls-files -co --exclude-standard | grep -vE '^(obj|bin)/' | tar cf - -T -) | tar xf - -C "$T/src"
mkdir "$T/init.d"
make -s -j2 -C "$T/src" install PREFIX="$P" UNITDIR="$T/units" INITDIR="$T/init.d" DEFAULTDELIVERY=maildir > "$T/out" 2>&1
st=$?
is "$st" 0 "make install as root into $P exits 0"
[ "$st" = 0 ] || { diag "$(tail -20 "$T/out")"; done_testing; }
like "$(cat "$T/out")" "default delivery: ./Maildir/" "says the default delivery"

for u in quaild quaill quailq quails quailr alias; do ok "user $u exists" getent passwd "$u"; done
for g in quail nofiles; do ok "group $g exists" getent group "$g"; done
is "$(id -gn quailq)" quail "quailq is in group quail"
is "$(id -gn quaild)" nofiles "quaild is in group nofiles"
own() { stat -c '%U:%G %a' "$1"; }
is "$(own "$P/bin/queue-writer")" "quailq:quail 4711" "queue-writer setuid quailq"
is "$(own "$P/bin/smtpd")" "root:quail 755" "other programs root's"
is "$(own "$P/queue")" "quailq:quail 750" "queue owned by quailq, closed to others"
is "$(own "$P/queue/mess")" "quailq:quail 700" "queue/mess private to quailq"
is "$(own "$P/queue/tmp")" "quailq:quail 700" "queue/tmp private to quailq"
is "$(own "$P/queue/lock/trigger")" "quailq:quail 622" "trigger FIFO writable by all"
# the rest of quail-security(7)'s table of owners and modes
for d in bounce hold free; do is "$(own "$P/queue/$d")" "quailq:quail 700" "queue/$d private to quailq"; done
is "$(own "$P/queue/lock")" "quailq:quail 750" "queue/lock closed to others"
is "$(for f in "$P"/bin/*; do case ${f##*/} in queue-writer|verifypw) continue;; esac; [ -L "$f" ] || own "$f"; done | sort -u)" "root:quail 755" "every other program root:quail 755 (queue-writer and verifypw are setuid)"
is "$(own "$P/users")" "root:quail 755" "users/ root's"
is "$(own "$P/alias")" "alias:nofiles 2755" "alias/ owned by alias"
is "$(own "$P/log/smtpd")" "quaill:nofiles 755" "logs owned by quaill"
# a self-signed certificate for control/me, so that STARTTLS works at once
is "$(stat -c '%U %a' "$P/control/servercert.pem")" "quaild 600" "servercert.pem made, smtpd's user's only"
like "$(openssl x509 -in "$P/control/servercert.pem" -noout -subject)" "CN ?= ?$(head -n 1 "$P/control/me")" "  for control/me"
like "$(cat "$T/out")" "quail-cert install FULLCHAIN KEY" "  and make install says how to replace it"
is "$(own "$P/control")" "root:quail 755" "control/ root's"
is "$(cat "$P/control/defaultdelivery")" "./Maildir/" "DEFAULTDELIVERY=maildir written"
like "$(cat "$P/service/smtpd/log/run")" "exec chpst -u quaill:nofiles $P/bin/quail-log smtpd" "the log service (quail-log: svlogd or splogger) runs as quaill"
like "$(cat "$T/units/quail.service")" "ExecStart=/usr/bin/runsvdir -P $P/service" "systemd unit runs runsvdir on PREFIX/service"
ok "man pages installed" test -f "$P/man/man8/quail-install.8" -a -f "$P/man/man8/quailctl.8" -a -f "$P/man/man1/mailsubj.1"
is "$(readlink /usr/sbin/sendmail 2>/dev/null || ls -l /usr/sbin/sendmail 2>/dev/null)" "$sendmail_before" "/usr/sbin/sendmail untouched without SENDMAIL_LINKS"
nok "nobody cannot write the queue directly" runuser -u nobody -- touch "$P/queue/mess/x" 2>/dev/null

# a mailbox for user nobody, and the services on free loopback ports
nuid=$(id -u nobody) ngid=$(id -g nobody)
printf '=box:nobody:%s:%s:%s/box:::\n.\n' "$nuid" "$ngid" "$P" > "$P/users/assign"
QUAIL_HOME=$P "$P/bin/newu"
install -d -o nobody -g "$ngid" "$P/box"
runuser -u nobody -- "$P/bin/maildirmake" "$P/box/Maildir"
SP=$(free_port) PP=$(free_port) TP=$(free_port) QP=$(free_port)
# loopback only (control/listenip, read by every run script) on free ports
echo 127.0.0.1 > "$P/control/listenip"
sed -i "s/ 25 / $SP /" "$P/service/smtpd/run"
sed -i "s/ 110 / $PP /" "$P/service/pop3d/run"
sed -i "s/ 209 / $TP /" "$P/service/qmtpd/run"
sed -i "s/ 628 / $QP /" "$P/service/qmqpd/run"
UP=$(free_port) XSP=$(free_port) P3S=$(free_port)
sed -i "s/ 587 / $UP /" "$P/service/submission/run"
sed -i "s/ 465 / $XSP /" "$P/service/smtps/run"
sed -i "s/ 995 / $P3S /" "$P/service/pop3s/run"
ok "ports moved in every run script" eval '! grep -qE " (25|110|209|628|587|465|995) " "$P"/service/{smtpd,pop3d,qmtpd,qmqpd,submission,smtps,pop3s}/run'
# an installed system looks its clients up in DNS; a test asks no name
# server that is not its own (t/run-dns.t checks both ways)
sed -i 's|/quail-listen |/quail-listen -H |' "$P"/service/{smtpd,qmtpd,qmqpd,submission,smtps}/run
is "$(grep -c 'quail-listen -H ' "$P"/service/{smtpd,qmtpd,qmqpd,submission,smtps}/run | grep -c ':[1-9]')" 5 "client name lookups off in the five run scripts for this test"
env -u QUAIL_HOME runsvdir -P "$P/service" >/dev/null 2>&1 &
RSV=$!
running() { [ "$(env -u QUAIL_HOME "$P/bin/quailctl" status 2>/dev/null | grep -c '^run: ')" -ge 10 ]; }
ok "every installed service runs" wait_for 15 running
if [ -d /run/systemd/system ]; then
  skip "systemd runs this machine: no init script"; skip "systemd: no init script"
else
  like "$(grep '^QUAILCTL=' "$T/init.d/quail")" "^QUAILCTL=$P/bin/quailctl$" "without systemd: an init script for PREFIX's quailctl"
  like "$(env -u QUAIL_HOME "$T/init.d/quail" status 2>&1)" "^supervision: runsvdir started outside quailctl" "the init script's status is quailctl's"
fi
smtp_up() { $PY -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$SP),2); sys.exit(0 if s.recv(100).startswith(b'220') else 1)" 2>/dev/null; }
ok "installed smtpd answers" wait_for 10 smtp_up

user_of() { ps -o user= -p "$(sv status "$P/service/$1" | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p')"; }
is "$(user_of queue-manager)" quailq "queue-manager runs as quailq, the queue's owner"
# ours_ps NAME: "user args" of the processes NAME working under $P (other
# tests on this machine may run programs of the same name)
ours_ps() {
  local pid
  for pid in $(pgrep -x "$1"); do
    case $(readlink "/proc/$pid/cwd") in "$P"|"$P"/*) ps -o user=,args= -p "$pid";; esac
  done | sed 's/  */ /g; s/^ //' | sort | tr '\n' ';'
}
is "$(ours_ps queue-spawn)" "quailr queue-spawn remote;root queue-spawn local;" "queue-spawn local stays root, remote runs as quailr"
is "$(user_of smtpd)" quaild "smtpd's tcpserver runs as quaild"
ok "smtpd's log written by quaill" wait_for 10 test -f "$P/log/smtpd/current"
is "$(stat -c %U "$P/log/smtpd/current")" quaill "log files owned by quaill"
# control/logto both (quail-log(8)): at the log service's restart, splogger
# -t with svlogd as its child, both as quaill (no line is sent meanwhile)
logpid() { sv status "$P/service/$1/log" | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p'; }
comm_of() { ps -o comm= -p "$1" 2>/dev/null; }
split_up() { [ "$(comm_of "$(logpid smtpd)")" = splogger ] && pgrep -P "$(logpid smtpd)" -x svlogd >/dev/null; }
echo both > "$P/control/logto"
sv restart "$P/service/smtpd/log" >/dev/null
ok "control/logto both, sv restart of smtpd's log: splogger with svlogd under it" wait_for 10 split_up
is "$(ps -o user= -p "$(logpid smtpd)") $(ps -o user= -p "$(pgrep -P "$(logpid smtpd)" -x svlogd)")" "quaill quaill" "  both run as quaill"
echo svlogd > "$P/control/logto"
sv restart "$P/service/smtpd/log" >/dev/null
ok "  svlogd again at the next restart" wait_for 10 eval '[ "$(comm_of "$(logpid smtpd)")" = svlogd ]'

# a message from a non-root user through PREFIX/bin/sendmail
printf 'Subject: from nobody\n\nhello from nobody\n' | runuser -u nobody -- env -u QUAIL_HOME "$P/bin/sendmail" box@localhost
is "$?" 0 "nobody's sendmail exits 0"
ok "it lands in the Maildir" wait_for 15 md_has "$P/box/Maildir" 1
f=$(md_grep "$P/box/Maildir" 'hello from nobody')
ok "the message is there" test -n "$f"
is "$(stat -c %U "$f" 2>/dev/null)" nobody "delivered as the mailbox's user"
like "$(cat "$f" 2>/dev/null)" "Return-Path: <nobody@" "sender is nobody"
# and one by SMTP: smtpd as quaild through setuid queue-writer
$PY - "$SP" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.sendmail("a@example.org", ["box@localhost"], "Subject: by smtp\r\n\r\nhello by smtp\r\n")
s.quit()
PY
is "$?" 0 "SMTP to the installed smtpd accepted"
ok "it lands in the Maildir too" wait_for 15 md_has "$P/box/Maildir" 2
like "$(cat "$P/log/smtpd/current" 2>/dev/null)" "pid [0-9]+ from 127.0.0.1" "smtpd's log has the connection"

# POP3 over STLS with make install's certificate: TLS and the dialogue
# run as quaild; the user's pop3d as the user; root only waits
printf 'pop secret\n' | QUAIL_HOME=$P "$P/bin/quail-passwd" add box "$nuid" "$ngid" "$P/box" >/dev/null
$PY - "$PP" "$T/pop.in" "$T/pop.done" > "$T/pop.out" 2>&1 <<'PY' &
import os, poplib, ssl, sys, time
c = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
c.stls(context=ssl._create_unverified_context())
c.user("box"); c.pass_("pop secret")
print("messages", c.stat()[0], flush=True)
open(sys.argv[2], "w").close()
for i in range(200):
    if os.path.exists(sys.argv[3]): break
    time.sleep(0.05)
c.quit()
print("quit")
PY
popc=$!
ok "a POP3 login over STLS to the installed pop3d" wait_for 20 test -f "$T/pop.in"
users_of() { ours_ps "$1" | sed 's/ [^;]*//g'; }
is "$(users_of pop3-login)" "quaild;root;" "pop3-login: TLS and the dialogue as quaild, root only waits for checkpassword"
is "$(users_of pop3d)" "nobody;" "pop3d runs as the user"
: > "$T/pop.done"; wait "$popc"
is "$(tr '\n' ' ' < "$T/pop.out")" "messages 2 quit " "the session reads the box (2 messages) and ends well"

# a Bcc recipient stays secret from another recipient's .qmail program
# (issue 18 item 2): probe (nobody) and $bcc (uid 61002, no passwd
# entry needed) get one message; probe's program tries every way in
sq=61002 bcc=hidden$$x
printf '=box:nobody:%s:%s:%s/box:::\n=probe:nobody:%s:%s:%s/probe:::\n=%s:quailtestb:%s:%s:%s/hb:::\n.\n' \
  "$nuid" "$ngid" "$P" "$nuid" "$ngid" "$P" "$bcc" "$sq" "$sq" "$P" > "$P/users/assign"
QUAIL_HOME=$P "$P/bin/newu"
install -d -o nobody -g "$ngid" "$P/probe"
install -d -o "$sq" -g "$sq" "$P/hb"
install -m 644 "$SRC/t/bcc-probe.py" "$P/bcc-probe.py"
printf '|%s %s/bcc-probe.py %s %s %s/probe/out\n' "$PY" "$P" "$P" "$sq" "$P" > "$P/probe/.qmail"
printf '|sleep 4\n' > "$P/hb/.qmail"
chown nobody "$P/probe/.qmail"; chown "$sq" "$P/hb/.qmail"
# (-t: the Bcc from the header, so that no command line of this test's own
# names it while the probe looks, as a slow-exiting sendmail's did)
printf 'To: probe@localhost\nBcc: %s@localhost\nSubject: with a Bcc\n\nwith a Bcc\n' "$bcc" |
  runuser -u nobody -- env -u QUAIL_HOME "$P/bin/sendmail" -t
ok "the probe ran" wait_for 20 test -f "$P/probe/out"
probe=$(cat "$P/probe/out" 2>/dev/null)
like "$probe" "xattr: error EACCES" "fgetxattr(0, user.quail.env) refused to the recipient's program"
like "$probe" "reopen: error EACCES" "the message file cannot be reopened through /proc/self/fd/0"
like "$probe" "mess: error EACCES" "queue/mess cannot be listed"
like "$probe" "envfile: error EACCES" "nor queue/mess/ID.env opened"
is "$(grep '^fd ' <<<"$probe" | grep -vc '^fd [012]: ')" 1 "the program has fds 0, 1, 2 and its own listing only"
[ "$(grep '^fd ' <<<"$probe" | grep -vc '^fd [012]: ')" = 1 ] || grep '^fd ' <<<"$probe" | sed 's/^/# /' >&2
like "$probe" "other delivery seen" "the other recipient's delivery ran meanwhile"
unlike "$probe" "$bcc" "the Bcc recipient appears nowhere the program could look"
grep -n "$bcc" <<<"$probe" | sed "s/^/# seen: /" >&2
[ -f "$P/probe/out" ] || diag "$(tail -5 "$P/log/queue-manager/current")"

$PY - "$SP" <<'PY'
import smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.starttls(context=ssl._create_unverified_context())
s.sendmail("a@example.org", ["box@localhost"], "Subject: over tls\r\n\r\nhello over tls\r\n")
s.quit()
PY
is "$?" 0 "STARTTLS on the installed smtpd, with the certificate of make install"
ok "  the message lands" wait_for 15 md_has "$P/box/Maildir" 3
# quail-cert on the installed system: owners kept or given, smtpd takes it
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=real.example \
  -keyout "$T/real.key" -out "$T/real.crt" 2>/dev/null
env -u QUAIL_HOME "$P/bin/quail-cert" install "$T/real.crt" "$T/real.key" >/dev/null
is "$?" 0 "quail-cert install on the installed system"
is "$(stat -c '%U %a' "$P/control/servercert.pem") $(stat -c '%U %a' "$P/control/clientcert.pem")" "quaild 600 quailr 600" \
  "  servercert.pem stays smtpd's user's, clientcert.pem is deliver-remote's"
like "$(openssl s_client -starttls smtp -connect "127.0.0.1:$SP" </dev/null 2>/dev/null | grep '^subject=')" 'CN ?= ?real\.example' \
  "  a new STARTTLS session shows it"
ls -n "$P/queue/mess" > "$T/mess" 2>&1

# SMTP AUTH on the installed system: smtpd runs as quaild, the password
# database stays 0600 root, and verifypw (setuid root only to open it)
# answers yes or no
is "$(own "$P/bin/verifypw")" "root:nofiles 4750" "verifypw setuid root, run by group nofiles only"
printf 'auth pw 1\n' | QUAIL_HOME=$P "$P/bin/quail-passwd" add alice "$nuid" "$ngid" "$P/box"
is "$?" 0 "quail-passwd adds alice"
is "$(own "$P/users/passwd.cdb")" "root:root 600" "users/passwd.cdb is root's, mode 600"
nok "quaild cannot read users/passwd.cdb" runuser -u quaild -- cat "$P/users/passwd.cdb" 2>/dev/null
printf 'alice\0auth pw 1\0\0' > "$T/fd3a"
is "$(runuser -u quaild -- "$P/bin/verifypw" sh -c 'echo $(id -u):$(id -ru):$(id -g)' 3<"$T/fd3a")" \
  "$(id -u quaild):$(id -u quaild):$(id -g quaild)" "verifypw run by quaild: the program runs as quaild, root given up"
runuser -u quaild -- "$P/bin/verifypw" true 3<"$T/fd3a"; is "$?" 0 "verifypw as quaild: the right password, exit 0"
printf 'alice\0wrong\0\0' > "$T/fd3b"
runuser -u quaild -- "$P/bin/verifypw" true 3<"$T/fd3b"; is "$?" 1 "verifypw as quaild: a wrong password, exit 1"
nok "nobody (not in group nofiles) cannot run verifypw" runuser -u nobody -- "$P/bin/verifypw" true 3<"$T/fd3a" 2>/dev/null
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
     -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null; then
  (umask 077; cat "$T/cert.pem" "$T/key.pem" > "$P/control/servercert.pem")
  chown quaild "$P/control/servercert.pem"
  sw() { swaks --server 127.0.0.1:"$SP" --tls --from a@example.org --to box@localhost --timeout 20 "$@" 2>&1; }
  out=$(sw --auth PLAIN --auth-user alice --auth-password 'auth pw 1')
  like "$out" '235 2.7.0' "AUTH PLAIN over STARTTLS with quail-passwd's password: 235"
  like "$out" '250 2.0.0 ok' "and the message is accepted"
  out=$(sw --auth LOGIN --auth-user alice --auth-password 'auth pw 1')
  like "$out" '235 2.7.0' "AUTH LOGIN over STARTTLS: 235"
  out=$(sw --auth PLAIN --auth-user alice --auth-password 'auth pw 2')
  like "$out" '535 5.7.8' "a wrong password: 535"
  out=$(sw --auth LOGIN --auth-user nobody-here --auth-password 'auth pw 1')
  like "$out" '535 5.7.8' "an unknown user: 535 too"
  unlike "$(cat "$P/log/smtpd/current")" 'auth temporary failure' "no temporary failure logged"
  # POP3 still logs in through checkpassword, run as root to become the user
  out=$($PY - "$PP" <<'PY'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
p.user("alice"); print(p.pass_("auth pw 1").decode()); print("messages", p.stat()[0]); p.quit()
PY
)
  like "$out" '^\+OK' "POP3 login as alice (checkpassword as root) still works"
  like "$out" 'messages [1-9]' "and alice's Maildir is there"
  # the user-facing services of the installed system: submission (587),
  # smtps (465) and pop3s (995), on this test's ports
  out=$(swaks --server 127.0.0.1:"$UP" --from a@example.org --to box@localhost --timeout 20 --quit-after RCPT 2>&1)
  like "$out" '530 5\.7\.0' "submission (587): no mail without AUTH"
  out=$(swaks --server 127.0.0.1:"$UP" --tls --from a@example.org --to box@localhost --timeout 20 \
    --auth PLAIN --auth-user alice --auth-password 'auth pw 1' 2>&1)
  like "$out" '250 2\.0\.0 ok' "submission (587): AUTH over STARTTLS as alice, accepted"
  out=$(swaks --server 127.0.0.1:"$XSP" --tlsc --from a@example.org --to box@localhost --timeout 20 \
    --auth LOGIN --auth-user alice --auth-password 'auth pw 1' 2>&1)
  like "$out" '250 2\.0\.0 ok' "smtps (465): implicit TLS and AUTH as alice, accepted"
  out=$(curl -sk --max-time 20 "pop3s://127.0.0.1:$P3S/" -u 'alice:auth pw 1')
  like "$out" '^1 [0-9]+' "pop3s (995): curl lists alice's mail over implicit TLS"
else
  for i in $(seq 12); do skip "openssl cannot make a certificate"; done
fi
ok "queue empty, nothing left behind" wait_for 10 eval 'test -z "$(ls "$P/queue/mess")"'

# remote deliveries run as quailr, not root: smtp-sink holds DATA long
# enough to see deliver-remote's owner
if [ -x /usr/sbin/smtp-sink ]; then
  KP=$(free_port)
  /usr/sbin/smtp-sink -u nobody -w 2 127.0.0.1:"$KP" 10 2>"$T/sink.err" & kill_on_exit $!
  echo "remote.test:127.0.0.1:$KP" > "$P/control/smtproutes"
  is "$(own "$P/queue/lock/tcpto")" "quailr:quail 644" "queue/lock/tcpto belongs to quailr"
  is "$(own "$P/queue/lock/tls")" "quailr:quail 700" "queue/lock/tls (TLS sessions) is quailr's alone"
  printf 'Subject: out\n\nto the world\n' | runuser -u nobody -- "$P/bin/sendmail" -f nobody@quail-test.example joe@remote.test
  # the message is queued now; a deliver-remote may outlive its delivery
  # (control/remotereuse), so its presence says nothing of the queue
  is "$(stat -c '%U %a' "$P"/queue/mess/* | sort -u)" "quailq 600" "queue files are quailq's alone (600)"
  ours_remote() { [ -n "$(ours_ps deliver-remote)" ]; }
  ok "a remote delivery starts" wait_for 30 ours_remote
  is "$(ours_ps deliver-remote | sed 's/ .*//' | sort -u | tr '\n' ';')" "quailr;" "deliver-remote runs as quailr"
  remote_ok() {
    local d
    d=$(sed -n 's/.*starting delivery \([0-9]*\): msg [0-9]* to remote joe@remote.test.*/\1/p' "$P/log/queue-manager/current" | tail -1)
    [ -n "$d" ] && grep -q "delivery $d: success" "$P/log/queue-manager/current"
  }
  ok "and delivers through smtp-sink" wait_for 30 remote_ok || grep 'delivery' "$P/log/queue-manager/current" | tail -3 >&2
  rm -f "$P/control/smtproutes"
else
  skip "no smtp-sink"; skip "no smtp-sink"; skip "no smtp-sink"; skip "no smtp-sink"
fi

# the trigger FIFO only wakes queue-manager: a command written to it by
# quailr (group quail may write it) does nothing; commands come on
# queue/admin/socket from root or the queue's owner (SO_PEERCRED)
XP=$(free_port)
echo "stuck.test:127.0.0.1:$XP" > "$P/control/smtproutes"
printf 'Subject: stuck\n\nstuck\n' | env -u QUAIL_HOME "$P/bin/sendmail" -f box@localhost joe@stuck.test
stuck_id() { sed -n 's/.*starting delivery [0-9]*: msg \([0-9]*\) to remote joe@stuck.test.*/\1/p' "$P/log/queue-manager/current" | tail -1; }
deferred_once() {
  local d
  d=$(sed -n 's/.*starting delivery \([0-9]*\): msg [0-9]* to remote joe@stuck.test.*/\1/p' "$P/log/queue-manager/current" | tail -1)
  [ -n "$d" ] && grep -q "delivery $d: deferral" "$P/log/queue-manager/current"
}
ok "a message to a closed port is deferred and stays queued" wait_for 15 deferred_once
id=$(stuck_id)
attempts() { grep -c "msg $id to remote joe@stuck.test" "$P/log/queue-manager/current"; }
is "$(own "$P/queue/admin")" "quailq:quail 700" "queue/admin is the queue owner's, mode 700"
ok "queue-manager listens on queue/admin/socket" test -S "$P/queue/admin/socket"
n=$(attempts)
runuser -u quailr -- sh -c "printf 'bounce $id\nforget $id\nflush\n' > '$P/queue/lock/trigger'"
is "$?" 0 "quailr writes bounce, forget and flush to the trigger"
more() { [ "$(attempts)" -gt "$n" ]; }
ok "the trigger woke queue-manager (flush: a new attempt)" wait_for 15 more
unlike "$(cat "$P/log/queue-manager/current")" "admin bounce msg $id|forget msg $id" "but bounce and forget from the trigger did nothing"
ok "the message is still queued" test -e "$P/queue/mess/$id"
nok "quailr (group quail) cannot reach queue/admin/socket" runuser -u quailr -- $PY -c "import socket; socket.socket(socket.AF_UNIX).connect('$P/queue/admin/socket')" 2>/dev/null
chmod 755 "$P/queue/admin"; chmod 666 "$P/queue/admin/socket"
got=$(runuser -u quailr -- $PY - "$P/queue/admin/socket" "$id" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
try:
    s.sendall(b"bounce %s\n" % sys.argv[2].encode()); s.shutdown(socket.SHUT_WR)
    print(repr(s.recv(100)))
except OSError as e:
    print(e)
PY
)
chmod 700 "$P/queue/admin"; chmod 600 "$P/queue/admin/socket"
unlike "$got" "^b.ok" "a non-owner that reaches the socket gets no ok" || diag "got: $got"
refused() { grep -q "warning: command refused from uid $(id -u quailr)\$" "$P/log/queue-manager/current"; }
ok "queue-manager logs the refusal" wait_for 5 refused
ok "and the message is still queued" test -e "$P/queue/mess/$id"
is "$(QUAIL_HOME=$P "$P/bin/queue-admin" bounce "$id" 2>&1)" "bounced #$id" "queue-admin bounce as root"
acted() { grep -q "admin bounce msg $id\$" "$P/log/queue-manager/current"; }
ok "queue-manager acted on it" wait_for 10 acted
gone() { [ ! -e "$P/queue/mess/$id" ]; }
ok "the message leaves the queue" wait_for 15 gone
rm -f "$P/control/smtproutes"

# no mail user is root (qmail-lspawn's rule), wherever a uid is taken
cp "$P/users/assign" "$T/assign.saved"
printf '=rootbox:root:0:0:%s/box:::\n.\n' "$P" > "$P/users/assign"
QUAIL_HOME=$P "$P/bin/newu" 2>"$T/err"
is "$?" 100 "newu refuses an assign entry with uid 0"
like "$(cat "$T/err")" "uid 0: a mail user may not be root" "and says why"
cp "$T/assign.saved" "$P/users/assign"
printf 'x\n' | QUAIL_HOME=$P "$P/bin/quail-passwd" add eve 0 0 "$P/box" 2>"$T/err"
is "$?" 100 "quail-passwd refuses to add a user with uid 0"
# tables with uid 0 written by hand (as main's newu and quail-passwd did)
cdbmake() { # CDB KEY VALUE (VALUE's fields separated by |)
  $PY - "$2" "$3" <<'PY' | cdb -c "$1"
import sys
k = sys.argv[1].encode(); v = sys.argv[2].replace("|", "\0").encode()
sys.stdout.buffer.write(b"+%d,%d:%s->%s\n\n" % (len(k), len(v), k, v))
PY
}
cp "$P/users/cdb" "$T/cdb.saved"
cdbmake "$P/users/cdb" =rootbox "root|0|0|$P/box|||"
n0=$(md_count "$P/box/Maildir")
printf 'Subject: to root\n\nas root?\n' | env -u QUAIL_HOME "$P/bin/sendmail" rootbox@localhost
deferred() { grep -q 'deferral: refusing to deliver as root: uid 0 for user root' "$P/log/queue-manager/current"; }
ok "queue-manager defers a delivery to a user with uid 0" wait_for 15 deferred || tail -5 "$P/log/queue-manager/current" >&2
is "$(md_count "$P/box/Maildir")" "$n0" "nothing delivered as root"
ok "the message stays in the queue" test -n "$(ls "$P/queue/mess")"
cp "$T/cdb.saved" "$P/users/cdb"
QUAIL_HOME=$P "$P/bin/queue-admin" delete -r 'rootbox@*' >/dev/null
cdbmake "$P/users/passwd.cdb" eve "$(printf 'pw' | $PY -c 'import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_SHA512)))' 2>/dev/null)|0|0|$P/box|./Maildir/||"
printf 'eve\0pw\0\0' > "$T/fd3"
QUAIL_HOME=$P "$P/bin/checkpassword" id -u 3<"$T/fd3" >"$T/out" 2>"$T/err"
is "$?" 111 "checkpassword as root refuses an entry with uid 0: 111"
like "$(cat "$T/err")" "refusing to become eve: uid 0" "and says why"
is "$(cat "$T/out")" "" "nothing ran as root"
# quail-setup on the installed system: the mailboxes belong to quailv
QUAIL_HOME=$P "$P/bin/quail-setup" isolated --home "$P" --user carol > "$T/setup" 2>&1
is "$?" 0 "quail-setup isolated --user carol on the installed system"
cuid=$(id -u quailv 2>/dev/null)
ok "user quailv exists, not root" test -n "$cuid" -a "$cuid" != 0
like "$(grep '^=carol:' "$P/users/assign")" "^=carol:quailv:$cuid:" "carol's assign entry is quailv's"
is "$(stat -c %U "$P/mail/carol/Maildir")" quailv "carol's Maildir belongs to quailv"
printf 'Subject: carol\n\nfor carol\n' | env -u QUAIL_HOME "$P/bin/sendmail" carol@localhost
ok "mail for carol is delivered" wait_for 15 md_has "$P/mail/carol/Maildir" 1
f=$(md_grep "$P/mail/carol/Maildir" 'for carol')
is "$(stat -c %U "$f" 2>/dev/null)" quailv "delivered as quailv"

# a DESTDIR install creates no user, sets no setuid bit, links sendmail when asked
make -s -C "$T/src" install DESTDIR="$T/dest" PREFIX="$P" UNITDIR=/etc/systemd/system SENDMAIL_LINKS=1 DEFAULTDELIVERY=mailbox > "$T/out2" 2>&1
is "$?" 0 "DESTDIR install exits 0"
like "$(cat "$T/out2")" "these owners and modes would be set" "prints the owners instead of setting them"
like "$(cat "$T/out2")" "quailq:quail 4711 $T/dest$P/bin/queue-writer" "names queue-writer's"
is "$(stat -c %a "$T/dest$P/bin/queue-writer")" 711 "no setuid bit in DESTDIR"
is "$(readlink "$T/dest/usr/sbin/sendmail")" "$P/bin/sendmail" "SENDMAIL_LINKS=1: /usr/sbin/sendmail"
is "$(readlink "$T/dest/usr/lib/sendmail")" "$P/bin/sendmail" "SENDMAIL_LINKS=1: /usr/lib/sendmail"
is "$(cat "$T/dest$P/control/defaultdelivery")" "./Mailbox" "DEFAULTDELIVERY=mailbox"
ok "no certificate made in a DESTDIR" test ! -e "$T/dest$P/control/servercert.pem"
ok "unit under DESTDIR" test -f "$T/dest/etc/systemd/system/quail.service"
make -s -C "$T/src" install DESTDIR="$T/dest" PREFIX="$P" DEFAULTDELIVERY=nonsense > "$T/out3" 2>&1
nok "a bad DEFAULTDELIVERY fails" test "$?" = 0
like "$(cat "$T/out3")" "DEFAULTDELIVERY must be maildir, mailbox or a .qmail line" "and says why"
done_testing
