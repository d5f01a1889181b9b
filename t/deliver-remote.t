#!/bin/bash
# deliver-remote: DNS (dnsmasq), routes, the SMTP client against scripted
# peers and Postfix's smtp-sink, QMTP against qmtpd, qmail-remote's report.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
need_root "MX peers listen on port 25 of 127/8 addresses"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
inst_new
C=$INST/control
net_pick
N=$NET
dns_start \
  --mx-host=a.test,mx1.a.test,10 --host-record=mx1.a.test,$N.2 \
  --mx-host=multi.test,mxa.multi.test,10 --mx-host=multi.test,mxb.multi.test,20 \
  --host-record=mxa.multi.test,$N.4 --host-record=mxb.multi.test,$N.5 \
  --host-record=implicit.test,$N.7 \
  --host-record=v6.test,::1 \
  --mx-host=self.test,mx.self.test,10 --host-record=mx.self.test,127.0.0.1 \
  --mx-host=selfback.test,mx1.a.test,10 --mx-host=selfback.test,mx.self.test,20 \
  --mx-host=null.test,.,0 \
  --mx-host=noaddr.test,gone.noaddr.test,10 \
  --mx-host=dead.test,mxdead.dead.test,10 --mx-host=dead.test,mx1.a.test,20 --host-record=mxdead.dead.test,$N.6 \
  --mx-host=deadonly.test,mxdead.dead.test,10 \
  --mx-host=helo.test,mxb.multi.test,10 \
  --host-record=mail5.test,$N.8 --host-record=data4.test,$N.9 --host-record=drop.test,$N.10 \
  --host-record=small.test,$N.11 --host-record=sink.test,$N.12 --host-record=silent.test,$N.14 \
  --host-record=data1.test,$N.15 \
  --server=/servfail.test/$N.99#9

peer_start ok $N.2 25 utf8 size=1000000
peer_start hold $N.4 25 greet=421
peer_start plain $N.5 25 noehlo
peer_start dead $N.6 25 blackhole
peer_start tmp $N.7 25 rcpt=450
peer_start mail5 $N.8 25 mail=550
peer_start data4 $N.9 25 data=451
peer_start data1 $N.15 25 data=150
peer_start drop $N.10 25 dropdata
peer_start small $N.11 25 size=50
peer_start silent $N.14 25 silent
peer_start v6 ::1 25

msgfile "first" "body"
printf '.starts with a dot\n..two dots\n.\nlast line\n' >> "$T/msg"

# --- DNS: MX, implicit MX, AAAA, null MX, NXDOMAIN, no address, SERVFAIL, timeout
out=$(dr a.test a@quail.test joe@a.test < "$T/msg")
like "$out" '^r\|KRemote host said: 250 ok message 1' "MX: r for the recipient, K for the message"
like "$out" "mx1.a.test \[$N.2\] accepted the message" "the report names the exchanger and its address"
log=$(peer_log ok)
like "$log" 'MAIL FROM:<a@quail.test> SIZE=[0-9]+' "SIZE given in MAIL when offered"
like "$log" 'RCPT TO:<joe@a.test>' "RCPT sent"
is "$(cat "$T/ok.log.1")" "$(printf 'From: a@quail.test\r\nSubject: first\r\n\r\nbody\r\n..starts with a dot\r\n...two dots\r\n..\r\nlast line\r')" \
  "the message went out with CRLF line ends and dot-stuffing"

out=$(dr implicit.test a@quail.test joe@implicit.test < "$T/msg")
like "$out" "^r\|K.*implicit.test \[$N.7\]" "no MX: the domain's own A record is the exchanger"

# ::1 is this host: only control/notipme lets a peer there count as another MTA
out=$(dr v6.test a@quail.test joe@v6.test < "$T/msg")
like "$out" "^DSorry. Although I'm listed as a best-preference MX or A for that host" "an exchanger that is this host: D (qmail's ipme rule)"
echo ::1 > "$C/notipme"
out=$(dr v6.test a@quail.test joe@v6.test < "$T/msg")
like "$out" '^r\|K.*v6.test \[::1\] accepted' "an AAAA record: delivered over IPv6"
like "$(peer_log v6)" 'RCPT TO:<joe@v6.test>' "the IPv6 peer got the recipient"

out=$(dr self.test a@quail.test joe@self.test < "$T/msg")
like "$out" '^D.*#5\.4\.6' "MX pointing back at this host (127.0.0.1): a permanent failure, no loop"
out=$(dr selfback.test a@quail.test joe@selfback.test < "$T/msg")
like "$out" "^r\|K.*mx1.a.test \[$N.2\] accepted" "a backup MX that is this host: only the better MX is tried"
out=$(dr null.test a@quail.test joe@null.test < "$T/msg")
is "$out" "DSorry, null.test accepts no mail: it publishes a null MX (RFC 7505). (#5.1.10)|" "null MX: D at once"
out=$(dr nx.test a@quail.test joe@nx.test < "$T/msg")
is "$out" "DSorry, I couldn't find any host named nx.test. (#5.1.2)|" "NXDOMAIN: D"
out=$(dr noaddr.test a@quail.test joe@noaddr.test < "$T/msg")
like "$out" "^DSorry, I couldn't find a mail exchanger or IP address. \(#5.4.4\)\|$" "an MX without an address: D"
out=$(dr servfail.test a@quail.test joe@servfail.test < "$T/msg")
like "$out" '^ZSorry, the DNS lookup of servfail.test failed temporarily. \(#4.4.3\)\|$' "SERVFAIL: Z"
$PY -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],0)); print(s.getsockname()[1]); sys.stdout.flush(); import time; time.sleep(60)' "$N.98" > "$T/hole.port" &
kill_on_exit $!
wait_for 5 test -s "$T/hole.port"
printf 'nameserver %s#%s\noptions timeout:1 attempts:1\n' "$N.98" "$(cat "$T/hole.port")" > "$T/dead.conf"
out=$(QUAIL_RESOLVCONF=$T/dead.conf dr a.test a@quail.test joe@a.test < "$T/msg")
like "$out" '^ZSorry, the DNS lookup of a.test failed temporarily' "a name server that never answers: Z"
out=$(QUAIL_RESOLVCONF=$T/nonexistent dr a.test a@quail.test joe@a.test < "$T/msg")
like "$out" '^ZUnable to set up the DNS resolver: No such file' "a missing QUAIL_RESOLVCONF file: Z"

# --- MX failover, HELO fallback, no pipelining
out=$(dr multi.test a@quail.test joe@multi.test < "$T/msg")
like "$out" "^r\|K.*mxb.multi.test \[$N.5\] accepted" "the best MX greets with 421: the next MX takes it"
log=$(peer_log plain)
like "$log" '^EHLO localhost' "EHLO first"
like "$log" 'HELO localhost' "HELO after EHLO was refused"
is "$(grep -c . "$T/hold.log")" 0 "the 421 MX got no command"
out=$(dr multi.test a@quail.test joe@multi.test bad@multi.test x@multi.test < "$T/msg")
like "$out" '^r\|hRemote host said: 550 5.1.1 no such user here' "without PIPELINING: per-recipient results still line up"
like "$out" '\|r\|K' "the third recipient accepted after the refused second"

# --- the dead-host memory: a connect time-out, remembered after two
echo 1 > "$C/timeoutconnect"
out=$(dr dead.test a@quail.test joe@dead.test < "$T/msg")
like "$out" "^r\|K.*mx1.a.test" "an MX that times out: the next MX takes the message"
out=$(dr deadonly.test a@quail.test joe@deadonly.test < "$T/msg")
like "$out" "^ZSorry, I wasn't able to establish an SMTP connection to mxdead.dead.test \[$N.6\]: Connection timed out" \
  "the only MX times out: Z naming it"
out=$(dr deadonly.test a@quail.test joe@deadonly.test < "$T/msg")
like "$out" "^ZSorry, every address of the destination timed out recently" "after two time-outs the address is skipped"
ok "queue/lock/tcpto holds the memory" test -s "$INST/queue/lock/tcpto"
rm -f "$INST/queue/lock/tcpto"

# --- failures in the transaction
out=$(dr implicit.test a@quail.test joe@implicit.test bad@implicit.test < "$T/msg")
like "$out" '^r\|sRemote host said: 450 4.2.1 try later' "RCPT 450: s with the peer's text"
out=$(dr mail5.test a@quail.test joe@mail5.test < "$T/msg")
like "$out" '^DRemote host said: 550 5.1.7 sender refused' "MAIL 550: D for the message"
out=$(dr data4.test a@quail.test joe@data4.test < "$T/msg")
like "$out" '^r\|ZRemote host said: 451 ok message 1' "451 after the message: Z"
out=$(dr data1.test a@quail.test joe@data1.test < "$T/msg")
like "$out" '^r\|Z.*150' "150 after the message is no acceptance: Z, never K"
out=$(dr drop.test a@quail.test joe@drop.test < "$T/msg")
like "$out" '^r\|Z.*dropped the connection after the message; possible duplicate' "connection dropped in DATA: Z"
like "$(peer_log drop)" 'DROPPED' "the peer did drop it"
out=$(dr small.test a@quail.test joe@small.test < "$T/msg")
like "$out" '^D.*accepts no message this large \(SIZE\). \(#5.3.4\)' "larger than the peer's SIZE: D, no MAIL"
unlike "$(peer_log small)" 'MAIL' "nothing sent to the small peer"
echo 2 > "$C/timeoutremote"
out=$(dr silent.test a@quail.test joe@silent.test < "$T/msg")
like "$out" '^Z.*silent.test \[.*\] dropped the connection or timed out' "a peer that never answers: Z after timeoutremote"
rm -f "$C/timeoutremote"

# --- 8BITMIME and SMTPUTF8
printf 'Subject: caf\xc3\xa9\n\nna\xc3\xafve\n' > "$T/msg8"
out=$(dr a.test a@quail.test "$(printf 'j\xc3\xb6rg@a.test')" < "$T/msg8")
like "$out" '^r\|K' "a UTF-8 recipient to a peer with SMTPUTF8"
like "$(peer_log ok)" 'MAIL FROM:<a@quail.test> SIZE=[0-9]+ BODY=8BITMIME SMTPUTF8' "BODY=8BITMIME SMTPUTF8 given"
out=$(dr helo.test a@quail.test "$(printf 'j\xc3\xb6rg@helo.test')" joe@helo.test < "$T/msg8")
like "$out" '^h.*does not support SMTPUTF8, which this non-ASCII address needs. \(#5.6.7\)\|r\|K' \
  "a UTF-8 recipient to a peer without SMTPUTF8: h, the others delivered"
out=$(dr helo.test "$(printf 'j\xc3\xb6rg@quail.test')" joe@helo.test < "$T/msg8")
like "$out" '^D.*non-ASCII sender address needs. \(#5.6.7\)' "a UTF-8 sender to a peer without SMTPUTF8: D"

# --- smtproutes: a domain, a literal, a port, the default route
peer_start high $N.2 2526
printf 'route.test:mx1.a.test\nported.test:[%s]:2526\n' "$N.2" > "$C/smtproutes"
out=$(dr route.test a@quail.test joe@route.test < "$T/msg")
like "$out" "^r\|K.*mx1.a.test \[$N.2\]" "smtproutes: the relay instead of DNS"
out=$(dr ported.test a@quail.test joe@ported.test < "$T/msg")
like "$out" '^r\|K' "smtproutes: an address literal and a port"
like "$(peer_log high)" 'RCPT TO:<joe@ported.test>' "the peer on port 2526 got it"
out=$(dr "[$N.7]" a@quail.test "joe@[$N.7]" < "$T/msg")
like "$out" "^r\|K.*\[$N.7\]" "a domain literal recipient: no DNS"
printf ':mx1.a.test\n.sub.test:\n' > "$C/smtproutes"
out=$(dr elsewhere.test a@quail.test joe@elsewhere.test < "$T/msg")
like "$out" "^r\|K.*mx1.a.test" "the default route ':relay' takes every domain"
out=$(dr x.sub.test a@quail.test joe@x.sub.test < "$T/msg")
like "$out" "^DSorry, I couldn't find any host named x.sub.test" "an empty relay sends a subdomain back to DNS"
rm -f "$C/smtproutes"

# --- intermittent links: a route on a link that is down waits
printf 'dial.test:mx1.a.test::dialup\n' > "$C/smtproutes"
echo dialup > "$C/linksdown"
before=$(grep -c 'RCPT TO:<joe@dial.test>' "$T/ok.log")
out=$(dr dial.test a@quail.test joe@dial.test < "$T/msg")
is "$out" "ZThe link dialup is down: the message waits until it is up. (#4.4.1)|" "link down: Z at once"
is "$(grep -c 'RCPT TO:<joe@dial.test>' "$T/ok.log")" "$before" "nothing sent while the link is down"
out=$(dr a.test a@quail.test joe@a.test < "$T/msg")
like "$out" '^r\|K' "other links (default) still deliver"
echo '*' > "$C/linksdown"
out=$(dr a.test a@quail.test joe@a.test < "$T/msg")
like "$out" '^ZThe link default is down' "'*' holds every link"
rm -f "$C/linksdown"
out=$(dr dial.test a@quail.test joe@dial.test < "$T/msg")
like "$out" '^r\|K' "link up again: delivered"
# several providers: one line per link for the same domain, the first whose link is up
printf 'multi.test:mx1.a.test::prov1\nmulti.test:implicit.test::prov2\n' > "$C/smtproutes"
out=$(dr multi.test a@quail.test joe@multi.test < "$T/msg")
like "$out" "^r\\|K.*mx1.a.test \\[$N.2\\] accepted" "both links up: the first provider's route"
echo prov1 > "$C/linksdown"
out=$(dr multi.test a@quail.test joe@multi.test < "$T/msg")
like "$out" "implicit.test \\[$N.7\\]" "prov1 down: the route over prov2 is taken"
printf 'prov2\n' > "$C/linksdown"
out=$(dr multi.test a@quail.test joe@multi.test < "$T/msg")
like "$out" "^r\\|K.*mx1.a.test \\[$N.2\\]" "prov2 down: back to prov1"
printf 'prov1\nprov2\n' > "$C/linksdown"
out=$(dr multi.test a@quail.test joe@multi.test < "$T/msg")
like "$out" "^ZThe link prov1 is down" "both down: the message waits"
rm -f "$C/linksdown" "$C/smtproutes"

# --- a foreign peer: Postfix's smtp-sink, 50 recipients in one transaction
if [ -x /usr/sbin/smtp-sink ]; then
  chmod 711 "$T"; mkdir -p "$T/sink"; chmod 777 "$T/sink"
  /usr/sbin/smtp-sink -u nobody -D "$T/sink/dump" "$N.12:25" 64 &
  kill_on_exit $!
  wait_for 5 $PY -c 'import socket,sys; socket.create_connection((sys.argv[1],25),1)' "$N.12"
  rcpts=$(for i in $(seq 1 50); do echo "u$i@sink.test"; done)
  out=$(dr sink.test a@quail.test $rcpts < "$T/msg")
  is "$(printf '%s' "$out" | grep -o 'r|' | wc -l)" 50 "smtp-sink: 50 recipients accepted"
  like "$out" '\|K' "smtp-sink: K for the message"
  is "$(grep -c '^X-Mail-Args:' "$T/sink/dump")" 1 "smtp-sink: one transaction for the 50"
  is "$(grep -c '^X-Rcpt-Args:' "$T/sink/dump")" 50 "smtp-sink: 50 RCPT in it"
else
  skip "smtp-sink (postfix) not installed"; skip "-"; skip "-"; skip "-"
fi

# --- QMTP: qmtproutes to quail's own qmtpd
PEER=$T/peer
mkinstance "$PEER" peer.test >/dev/null
echo q.test > "$PEER/control/rcpthosts"
QPORT=$(free_port)
QUAIL_HOME=$PEER tcpserver -R -H -l peer.test 127.0.0.1 "$QPORT" "$BIN/qmtpd" 2>"$T/qmtpd.log" &
kill_on_exit $!
wait_for 5 $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$QPORT"
printf 'q.test:127.0.0.1:%s\n' "$QPORT" > "$C/qmtproutes"
out=$(dr q.test a@quail.test joe@q.test ann@q.test bob@other.test < "$T/msg")
like "$out" '^r\|r\|h.*\|K' "QMTP: two accepted, the one outside rcpthosts refused"
env=$(q_cat "$PEER/queue" | tr '\0' '|')
is "$env" 'Fa@quail.test|Tjoe@q.test|Tann@q.test||' "QMTP: the peer queued the envelope"
like "$(for f in "$PEER"/queue/mess/*; do case $f in *.env) ;; *) cat "$f";; esac; done)" '^From: a@quail.test' "QMTP: the message arrived"
rm -f "$C/qmtproutes"

# --- usage and bad input
out=$("$BIN/deliver-remote" a.test 2>"$T/err" | tr '\0' '|')
is "$out" "DI (deliver-remote) was invoked improperly. (#5.3.5)|" "too few arguments: a D report"
like "$(cat "$T/err")" 'usage: deliver-remote host sender recipient' "and a usage line"
out=$(echo x | dr a.test a@quail.test joe@a.test)
like "$out" '^ZUnable to read the message: Illegal seek' "a pipe on fd 0: Z"
out=$(dr a.test "$(printf 'a\r\nRSET@x')" joe@a.test < "$T/msg")
like "$out" '^DThe sender address holds control characters' "CR LF in the sender: D, nothing sent"
chmod 000 "$C/me" 2>/dev/null; printf 'x' > "$C/timeoutremote"
out=$(dr a.test a@quail.test joe@a.test < "$T/msg")
like "$out" '^ZUnable to read control/timeoutremote' "a malformed control file: Z"
rm -f "$C/timeoutremote"
done_testing
