#!/bin/bash
# SPF at MAIL FROM (smtpd with control/spf): results against records served
# by dnsmasq, the Received-SPF field on the queued message, refusal of
# "fail" only in reject mode, relay clients skipped, malformed records,
# a DNS server that never answers (temporary, never permanent), and
# agreement with an independent checker (spf-tools-perl's spfquery).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
command -v swaks >/dev/null || skip_all "swaks is not installed"
net_pick
dns_start \
  --txt-record=pass.test,"v=spf1 ip4:192.0.2.9 -all" \
  --txt-record=fail.test,"v=spf1 ip4:198.51.100.1 -all" \
  --txt-record=soft.test,"v=spf1 ip4:198.51.100.1 ~all" \
  --txt-record=neutral.test,"v=spf1 ?all" \
  --txt-record=inc.test,"v=spf1 include:pass.test -all" \
  --txt-record=a.test,"v=spf1 a -all" --host-record=a.test,192.0.2.9 \
  --txt-record=mx.test,"v=spf1 mx -all" --mx-host=mx.test,mxh.test,10 --host-record=mxh.test,192.0.2.9 \
  --txt-record=bad.test,"v=spf1 ip4:300.1.2.3 -all" \
  --txt-record=two.test,"v=spf1 -all" --txt-record=two.test,"v=spf1 +all" \
  --txt-record=loop.test,"v=spf1 include:loop.test -all" \
  --txt-record=helo.test,"v=spf1 ip4:192.0.2.9 -all" \
  --txt-record=other.test,"some other text"
inst_new
rcpthosts localhost

# libspf2 passes every loopback client whatever the record says ("localhost
# is always allowed"), so smtpd is told the client is $CLIENT, a TEST-NET
# address, through tcpserver's own interface: TCPREMOTEIP. Nothing is ever
# sent to it.
CLIENT=192.0.2.9
# smtpd_start [VAR=VALUE...]: as smtpd-lib.sh's, with TCPREMOTEIP=$CLIENT
smtpd_start() {
  PORT=$(free_port)
  SLOG=$INST/smtpd.$PORT.log
  tcpserver -v -R -H -l localhost -c 250 -b 250 127.0.0.1 "$PORT" \
    env TCPREMOTEIP=$CLIENT "$@" "$BIN/smtpd" >>"$SLOG" 2>&1 &
  SMTPD_PID=$!
  kill_on_exit $!
  wait_for 5 grep -q 'status: 0/' "$SLOG" || { echo "Bail out! tcpserver did not start"; exit 1; }
}
# sw SENDER [HELO] [swaks options]: a transaction from $CLIENT
sw() {
  local from=$1 helo=${2:-client.test}; shift; [ $# -gt 0 ] && shift
  swaks --server 127.0.0.1 --port "$PORT" --from "$from" --to test@localhost \
    --helo "$helo" --timeout 20 "$@" 2>&1
}
# mail_reply SENDER: the code and enhanced code answering MAIL FROM
mail_reply() { sw "$1" "" --quit-after MAIL | sed -n 's/^<[*-]* *\([0-9]\{3\} [245]\.[0-9]*\.[0-9]*\).*/\1/p' | head -1; }
# deliver SENDER [HELO]: the result in the queued message's Received-SPF
deliver() {
  mess_clear
  sw "$1" "${2:-client.test}" >/dev/null
  mess_all | sed -n 's/^Received-SPF: \([a-z]*\).*/\1/p' | head -1
}

smtpd_start

# off (the default): no header, nothing refused
is "$(deliver a@fail.test)" "" "control/spf missing: no Received-SPF field"

echo mark > "$INST/control/spf"
while read -r sender want; do
  is "$(deliver "$sender")" "$want" "mark: $sender gives $want"
done <<'CASES'
a@pass.test pass
a@fail.test fail
a@soft.test softfail
a@neutral.test neutral
a@inc.test pass
a@a.test pass
a@mx.test pass
a@none.test none
a@other.test none
a@bad.test permerror
a@two.test permerror
a@loop.test permerror
CASES
is "$(deliver '<>' helo.test)" pass "null sender: the HELO name is checked"
mess_clear
sw a@fail.test >/dev/null
like "$(mess_all | grep '^Received-SPF:')" "client-ip=$CLIENT" "the field names the client's address"
like "$(env_all)" 'Fa@fail.test' "mark: the failing message is queued"

echo reject > "$INST/control/spf"
is "$(mail_reply a@fail.test)" "550 5.7.23" "reject: fail refused with 550 5.7.23"
is "$(mail_reply a@soft.test)" "250 2.1.0" "reject: softfail accepted"
is "$(mail_reply a@bad.test)" "250 2.1.0" "reject: a malformed record (permerror) is only marked"
is "$(mail_reply a@pass.test)" "250 2.1.0" "reject: pass accepted"
like "$(cat "$SLOG")" 'spf fail' "the refusal is logged"
smtpd_stop
smtpd_start RELAYCLIENT=
is "$(mail_reply a@fail.test)" "250 2.1.0" "a relay client skips the check"
is "$(deliver a@fail.test)" "" "  and its message has no Received-SPF"
smtpd_stop

# a name server that never answers: 451 4.7.24, never a 5xx
$PY -c 'import socket,sys,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0))
print(s.getsockname()[1], flush=True)
while True: s.recvfrom(4096)' > "$T/sink.port" &
kill_on_exit $!
wait_for 5 test -s "$T/sink.port"
printf 'nameserver 127.0.0.1#%s\noptions timeout:1 attempts:1\n' "$(cat "$T/sink.port")" > "$T/resolv.sink"
smtpd_start QUAIL_RESOLVCONF="$T/resolv.sink"
is "$(mail_reply a@pass.test)" "451 4.7.24" "reject: DNS time-out is a temporary refusal"
echo mark > "$INST/control/spf"
is "$(deliver a@fail.test)" "temperror" "mark: DNS time-out marked temperror, message kept"
smtpd_stop

# an independent checker on the same records
if command -v spfquery >/dev/null; then
  for d in pass fail soft neutral inc a mx none bad two loop; do
    want=$(RES_NAMESERVERS=$NET.53 RES_OPTIONS="port:$DNS_PORT" spfquery --scope mfrom --id "a@$d.test" \
             --ip "$CLIENT" --helo-id client.test 2>/dev/null | head -1)
    echo mark > "$INST/control/spf"
    [ -n "${SMTPD_UP:-}" ] || { smtpd_start; SMTPD_UP=1; }
    is "$(deliver "a@$d.test")" "$want" "spfquery agrees on $d.test ($want)"
  done
else
  skip "spfquery (spf-tools-perl) is not installed"
fi
done_testing
