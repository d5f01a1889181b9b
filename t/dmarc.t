#!/bin/bash
# DMARC in auth-check, and end to end through smtpd (SPF at MAIL FROM,
# auth-check as its QMAILQUEUE): policies served by dnsmasq; p=reject
# refused only with control/dmarcreject; aligned DKIM or SPF passes;
# a malformed record is permerror; a name server that never answers is
# temperror and never a refusal; the Authentication-Results field.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
. "$(dirname "$0")/dkim-lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
command -v swaks >/dev/null || skip_all "swaks is not installed"
inst_new
C=$INST/control
rsa=$(keyrec signed.test sel1)
net_pick
dns_start "$rsa" \
  --txt-record=_dmarc.rej.test,"v=DMARC1; p=reject" \
  --txt-record=rej.test,"v=spf1 ip4:198.51.100.1 -all" \
  --txt-record=_dmarc.signed.test,"v=DMARC1; p=reject; adkim=s" \
  --txt-record=_dmarc.quar.test,"v=DMARC1; p=quarantine" \
  --txt-record=_dmarc.none.test,"v=DMARC1; p=none" \
  --txt-record=_dmarc.org.test,"v=DMARC1; p=reject" \
  --txt-record=_dmarc.bad.test,"v=DMARC1; p=sometimes" \
  --txt-record=_dmarc.spf.test,"v=DMARC1; p=reject" \
  --txt-record=spf.test,"v=spf1 ip4:192.0.2.9 -all"
echo localhost > "$C/rcpthosts"

# ac FROM-DOMAIN SPF [SPF-DOMAIN] < message: auth-check to queue-writer; its exit code
ac() {
  env QUAIL_SPF="$2" QUAIL_SPF_DOMAIN="${3:-$1}" AUTHQUEUE="$BIN/queue-writer" \
    "$BIN/auth-check" 1< <(envelope "a@$1" test@localhost) 2>>"$T/ac.err"
  echo $?
}
msg() { printf 'From: <a@%s>\nTo: test@localhost\nSubject: %s\n\nbody\n' "$1" "${2:-x}"; }
count() { q_ids "$INST/queue" | grep -c .; }
ar() { queued | sed -n '/^Authentication-Results:/,/^[^\t]/p' | tr -d '\n\t'; }

is "$(msg rej.test | ac rej.test fail)" 0 "switch off: a p=reject failure is queued"
like "$(ar)" 'dmarc=fail \(p=reject\) header\.from=rej\.test' "  marked dmarc=fail (p=reject)"
like "$(ar)" 'spf=fail smtp\.mailfrom=rej\.test' "  with the SPF result"
echo 1 > "$C/dmarcreject"
n=$(count)
is "$(msg rej.test | ac rej.test fail)" 31 "switch on: refused (31)"
is "$(count)" "$n" "  nothing queued"
like "$(cat "$T/ac.err")" 'DMARC policy of rej.test is reject' "  the reason on stderr"
is "$(msg sub.org.test | ac sub.org.test none)" 31 "the organizational domain's policy applies to a subdomain"
is "$(msg quar.test | ac quar.test fail)" 0 "p=quarantine is not refused"
like "$(ar)" 'dmarc=fail \(p=quarantine\)' "  but marked"
is "$(msg spf.test | ac spf.test pass)" 0 "aligned SPF pass passes"
like "$(ar)" 'dmarc=pass' "  dmarc=pass"
is "$(msg spf.test | ac spf.test pass other.test)" 31 "SPF pass of an unaligned domain does not"
is "$(msg nothing.test | ac nothing.test fail)" 0 "no record: queued"
like "$(ar)" 'dmarc=none' "  dmarc=none"
is "$(msg bad.test | ac bad.test fail)" 0 "a malformed record never refuses"
like "$(ar)" 'dmarc=permerror' "  dmarc=permerror"
msg signed.test signed | "$BIN/dkim-sign" 1< <(envelope a@signed.test x@localhost)
queued > "$T/signed"
is "$(ac signed.test fail < "$T/signed")" 0 "aligned DKIM passes p=reject with SPF failing"
like "$(ar)" 'dkim=pass header\.d=signed\.test header\.s=sel1;dmarc=pass' "  dkim=pass, dmarc=pass"
sed 's/^body$/changed/' "$T/signed" > "$T/signed.bad"
is "$(ac signed.test fail < "$T/signed.bad")" 31 "a broken signature with SPF failing is refused"

# a name server that never answers: temperror, queued
$PY -c 'import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0))
print(s.getsockname()[1], flush=True)
while True: s.recvfrom(4096)' > "$T/sink.port" &
kill_on_exit $!
wait_for 5 test -s "$T/sink.port"
printf 'nameserver 127.0.0.1#%s\noptions timeout:1 attempts:1\n' "$(cat "$T/sink.port")" > "$T/resolv.sink"
is "$(msg rej.test | QUAIL_RESOLVCONF=$T/resolv.sink ac rej.test fail)" 0 "DNS time-out: never refused"
like "$(ar)" 'dmarc=temperror' "  dmarc=temperror"
is "$(QUAIL_RESOLVCONF=$T/resolv.sink ac signed.test pass < "$T/signed")" 0 "DNS time-out on a DKIM key: queued"
like "$(ar)" 'dkim=temperror' "  dkim=temperror"

# end to end: smtpd checks SPF, auth-check sits in front of queue-writer
echo reject > "$C/spf"
PORT=$(free_port)
SLOG=$INST/smtpd.log
tcpserver -v -R -H -l localhost 127.0.0.1 "$PORT" env TCPREMOTEIP=192.0.2.9 \
  QMAILQUEUE="$BIN/auth-check" "$BIN/smtpd" >>"$SLOG" 2>&1 &
kill_on_exit $!
wait_for 5 grep -q 'status: 0/' "$SLOG" || { echo "Bail out! tcpserver did not start"; exit 1; }
sw() { swaks --server 127.0.0.1 --port "$PORT" --from "$1" --to test@localhost --helo client.test \
         --header "From: <$2>" --timeout 20 2>&1; }
like "$(sw a@spf.test a@rej.test)" '<\*\* *554 ' "smtpd: SPF pass but a From: of a p=reject domain is refused at DATA"
n=$(count)
like "$(sw a@spf.test a@spf.test)" '<- *250 2\.0\.0 ok' "smtpd: an aligned SPF pass is accepted"
like "$(ar)" 'spf=pass smtp\.mailfrom=spf\.test;dkim=none;dmarc=pass' "  Authentication-Results names spf, dkim, dmarc"
like "$(queued)" 'Received-SPF: pass' "  and Received-SPF is there"
done_testing
