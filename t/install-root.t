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
QUSERS="quaild quaill alias quailq quails quailr" QGROUPS="quail nofiles"
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
make -s -j2 -C "$T/src" install PREFIX="$P" UNITDIR="$T/units" DEFAULTDELIVERY=maildir > "$T/out" 2>&1
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
is "$(own "$P/alias")" "alias:nofiles 2755" "alias/ owned by alias"
is "$(own "$P/log/smtpd")" "quaill:nofiles 755" "logs owned by quaill"
# a self-signed certificate for control/me, so that STARTTLS works at once
is "$(stat -c '%U %a' "$P/control/servercert.pem")" "quaild 600" "servercert.pem made, smtpd's user's only"
like "$(openssl x509 -in "$P/control/servercert.pem" -noout -subject)" "CN ?= ?$(head -n 1 "$P/control/me")" "  for control/me"
like "$(cat "$T/out")" "quail-cert install FULLCHAIN KEY" "  and make install says how to replace it"
is "$(own "$P/control")" "root:quail 755" "control/ root's"
is "$(cat "$P/control/defaultdelivery")" "./Maildir/" "DEFAULTDELIVERY=maildir written"
like "$(cat "$P/service/smtpd/log/run")" "exec chpst -u quaill:nofiles svlogd -tt $P/log/smtpd" "svlogd runs as quaill"
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
sed -i "s/\"\$addr\" 25 /\"\$addr\" $SP /" "$P/service/smtpd/run"
sed -i "s/\"\$addr\" 110 /\"\$addr\" $PP /" "$P/service/pop3d/run"
sed -i "s/\$addr 209 /\$addr $TP /" "$P/service/qmtpd/run"
sed -i "s/\$addr 628 /\$addr $QP /" "$P/service/qmqpd/run"
ok "ports moved in every run script" eval '! grep -qE " (25|110|209|628) " "$P"/service/{smtpd,pop3d,qmtpd,qmqpd}/run'
# an installed system looks its clients up in DNS; a test asks no name
# server that is not its own (t/run-dns.t checks both ways)
sed -i 's/lookup=$/lookup=-H/' "$P"/service/{smtpd,qmtpd,qmqpd}/run
is "$(grep -c 'lookup=-H' "$P"/service/{smtpd,qmtpd,qmqpd}/run | grep -c ':[1-9]')" 3 "client name lookups off in the three run scripts for this test"
env -u QUAIL_HOME runsvdir -P "$P/service" >/dev/null 2>&1 &
RSV=$!
running() { [ "$(env -u QUAIL_HOME "$P/bin/quailctl" status 2>/dev/null | grep -c '^run: ')" -ge 10 ]; }
ok "every installed service runs" wait_for 15 running
smtp_up() { $PY -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$SP),2); sys.exit(0 if s.recv(100).startswith(b'220') else 1)" 2>/dev/null; }
ok "installed smtpd answers" wait_for 10 smtp_up

user_of() { ps -o user= -p "$(sv status "$P/service/$1" | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p')"; }
is "$(user_of queue-manager)" root "queue-manager runs as root (local deliveries switch users)"
is "$(user_of smtpd)" quaild "smtpd's quail-tcpserver runs as quaild"
ok "smtpd's log written by quaill" wait_for 10 test -f "$P/log/smtpd/current"
is "$(stat -c %U "$P/log/smtpd/current")" quaill "log files owned by quaill"

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
ok "queue empty, nothing left behind" wait_for 10 eval 'test -z "$(ls "$P/queue/mess")"'

# remote deliveries run as quailr, not root: smtp-sink holds DATA long
# enough to see deliver-remote's owner
if [ -x /usr/sbin/smtp-sink ]; then
  KP=$(free_port)
  /usr/sbin/smtp-sink -u nobody -w 2 127.0.0.1:"$KP" 10 2>"$T/sink.err" & kill_on_exit $!
  echo "remote.test:127.0.0.1:$KP" > "$P/control/smtproutes"
  is "$(own "$P/queue/lock/tcpto")" "quailr:quail 644" "queue/lock/tcpto belongs to quailr"
  printf 'Subject: out\n\nto the world\n' | runuser -u nobody -- "$P/bin/sendmail" -f nobody@quail-test.example joe@remote.test
  ok "a remote delivery starts" wait_for 10 pgrep -x deliver-remote
  is "$(ps -o user= -C deliver-remote | sort -u | tr -d ' ')" quailr "deliver-remote runs as quailr"
  remote_ok() {
    local d
    d=$(sed -n 's/.*starting delivery \([0-9]*\): msg [0-9]* to remote joe@remote.test.*/\1/p' "$P/log/queue-manager/current" | tail -1)
    [ -n "$d" ] && grep -q "delivery $d: success" "$P/log/queue-manager/current"
  }
  ok "and delivers through smtp-sink" wait_for 15 remote_ok || grep 'delivery' "$P/log/queue-manager/current" | tail -3 >&2
  rm -f "$P/control/smtproutes"
else
  skip "no smtp-sink"; skip "no smtp-sink"; skip "no smtp-sink"; skip "no smtp-sink"
fi

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
