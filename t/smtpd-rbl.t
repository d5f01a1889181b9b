#!/bin/bash
# run/smtpd/run: control/rbls puts rblsmtpd in front of smtpd. dnsmasq on
# port 53 of a private 127/8 address serves the blocklist (rblsmtpd's
# resolver speaks only port 53: root only); DNSCACHEIP points rblsmtpd at it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
need_root "dnsmasq must listen on port 53"
command -v rblsmtpd >/dev/null || skip_all "rblsmtpd (ucspi-tcp) is not installed"
net_pick
dnsmasq --keep-in-foreground --port=53 --listen-address="$NET.53" --bind-interfaces \
  --no-resolv --no-hosts --cache-size=0 --local=/test/ --pid-file= --log-facility="$T/dns.log" \
  --txt-record=1.0.0.127.rbl.test,"listed by the quail test blocklist" 2>"$T/dns.err" &
kill_on_exit $!
wait_for 5 grep -q started "$T/dns.log" || { cat "$T/dns.err"; echo "Bail out! dnsmasq"; exit 1; }
export SMTP_PORT=$(free_port)
inst_new
run_smtpd() { # [ADDRESS]: start the instance's own service script
  DNSCACHEIP=$NET.53 sh "$INST/service/smtpd/run" > "$T/smtpd.log" 2>&1 &
  SPID=$!
  kill_on_exit $SPID
  wait_for 10 $PY -c "import socket; socket.create_connection(('${1:-127.0.0.1}', $SMTP_PORT), 1)"
}
send() { swaks --server "127.0.0.1:$SMTP_PORT" --from a@example.org --to test@localhost --h-Subject "$1" 2>&1; }

echo rbl.test > "$INST/control/rbls"
run_smtpd
like "$(ps -o args= --ppid "$SPID" 2>/dev/null; ps -o args= -p "$SPID")" "tcpserver .*127\.0\.0\.1 $SMTP_PORT rblsmtpd -r rbl.test" "the run script puts rblsmtpd -r rbl.test in front"
out=$(send listed)
like "$out" "451 listed by the quail test blocklist" "a listed client gets rblsmtpd's 451 with the list's text"
ok "nothing queued from the listed client" queue_empty
kill "$SPID"; wait "$SPID" 2>/dev/null

echo other.test > "$INST/control/rbls"
run_smtpd
out=$(send clean)
like "$out" "250 2.0.0 ok" "a client not on the list reaches smtpd"
ok "and its message is queued" test -n "$(ls "$INST/queue/mess")"
kill "$SPID"; wait "$SPID" 2>/dev/null

# listen address: an instance listens on 127.0.0.1 unless control/listenip says otherwise
rm "$INST/control/rbls"
echo 127.0.0.2 > "$INST/control/listenip"
run_smtpd 127.0.0.2
ok "control/listenip moves the listener" $PY -c "import socket; socket.create_connection(('127.0.0.2', $SMTP_PORT), 1)"
nok "and 127.0.0.1 no longer answers" $PY -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 1)"
done_testing
