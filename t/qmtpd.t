#!/bin/bash
# qmtpd: QMTP packages in (over tcpserver and on stdin), K/Z/D responses
# out, and what lands in the queue; relay control, limits, bad input.
. "$(dirname "$0")/lib.sh"
inst_new
. "$(dirname "$0")/qmtp-lib.sh"
QM=qmtpd
serve "$T/qmtpd.log"

# ---- one message, LF encoding ----
printf 'Subject: one\n\nbody line\n' >"$T/msg"
r=$(qmtp pkg a@example.org test@localhost <"$T/msg" | qmtp send "$PORT")
like "$r" '^Kok [0-9]+ qp [0-9]+' "a good package is accepted (K)"
is "$(nmsg)" 1 "one message in queue/mess"
id=$(ids)
like "$(sed -n 2,3p "$Q/mess/$id" | tr '\n\t' '  ')" '^Received: from unknown \(\[127\.0\.0\.1\]\)  by localhost \(quail qmtpd\) with QMTP; ' "Received line names the client and QMTP"
is "$(tail -n +4 "$Q/mess/$id")" "$(cat "$T/msg")" "message stored unchanged below the Received lines"
is "$(envof "$id")" 'Fa@example.org\0Ttest@localhost\0\0' "envelope stored as sent"
like "$(cat "$T/qmtpd.log")" "qmtpd: pid [0-9]+ from 127\.0\.0\.1: accepted from=<a@example\.org> to=<test@localhost> size=$(wc -c <"$T/msg" | tr -d ' ') qp=[0-9]+" "log line in smtpd's format"

# ---- CRLF encoding: CR LF becomes LF; a bare CR or a NUL refuses the
# message in either encoding (smtpd's rule), the session goes on ----
clearq
r=$(printf 'Subject: two\n\na\nb\n' | qmtp pkg --crlf a@example.org test@localhost | qmtp send "$PORT")
like "$r" '^Kok ' "CRLF-encoded package accepted"
id=$(ids)
is "$(tail -n +4 "$Q/mess/$id" | od -An -c | tr -d ' \n')" 'Subject:two\n\na\nb\n' "CRLF stored as LF"
clearq
r=$(printf 'Subject: lf\r\n\r\na\r\n' | qmtp pkg a@example.org test@localhost | qmtp send "$PORT")
is "$(tail -n +4 "$Q/mess/$(ids)" | od -An -c | tr -d ' \n')" 'Subject:lf\n\na\n' "LF encoding: CR LF stored as LF too (nothing stored holds a CR)"
clearq
{ printf 'Subject: smuggle\n\nhello\r.\r\nMAIL FROM:<x@example.org>\n' | qmtp pkg a@example.org test@localhost
  printf 'Subject: smuggle\n\nhello\r.\rMAIL FROM:<x@example.org>\n' | qmtp pkg --crlf a@example.org test@localhost
  printf 'Subject: nul\n\nhello\n\0.\nx\n' | qmtp pkg a@example.org test@localhost
  printf 'Subject: nul\n\nhello\n.\0\nx\n' | qmtp pkg --crlf a@example.org test@localhost
  printf 'Subject: fine\n\nx\n' | qmtp pkg a@example.org test@localhost; } >"$T/in"
direct
like "$(responses)" '^Dsorry, a bare CR[^|]*\|Dsorry, a bare CR[^|]*\|Dsorry, the message holds a NUL byte \(#5\.6\.0\)\|Dsorry, the message holds a NUL byte \(#5\.6\.0\)\|Kok ' \
  "bare CR (LF and CRLF encodings) and NUL: D 5.6.0 each; the next package accepted"
is "$(nmsg)" 1 "bare CR and NUL: only the good message queued"
like "$(cat "$T/err")" 'rejected from=<a@example\.org> size=[0-9]+ reason=sorry, the message holds a NUL byte' "NUL refusal logged"
clearq
echo 1 >"$INST/control/smtpnormalize"
printf 'Subject: smuggle\n\nhello\r.\r\nMAIL FROM:<x@example.org>\n' | qmtp pkg a@example.org test@localhost >"$T/in"
direct
like "$(responses)" '^Kok ' "smtpnormalize: a bare CR is accepted"
is "$(tail -n +4 "$Q/mess/$(ids)" | od -An -c | tr -d ' \n')" 'Subject:smuggle\n\nhello\n.\nMAILFROM:<x@example.org>\n' "smtpnormalize: the bare CR stored as LF"
printf 'x\0y\n' | qmtp pkg a@example.org test@localhost >"$T/in"
direct
like "$(responses)" '^Dsorry, the message holds a NUL byte' "smtpnormalize: a NUL is still refused"
rm -f "$INST/control/smtpnormalize"

# ---- two packages on one connection; responses per recipient, in order ----
clearq
r=$( { printf 'Subject: 3\n\nx\n' | qmtp pkg s@example.org test@localhost x@evil.example Postmaster
       printf 'Subject: 4\n\ny\n' | qmtp pkg s@example.org test@LOCALHOST; } | qmtp send "$PORT")
like "$(echo "$r" | cut -c1 | tr -d '\n')" '^KDKKC$' "one response per recipient, in order, both packages"
like "$(echo "$r" | sed -n 2p)" "domain isn't in my list of allowed rcpthosts \(#5\.7\.1\)" "relay attempt refused with 5.7.1"
is "$(nmsg)" 2 "two messages queued on one connection"
is "$(envof "$(grep -l 'Subject: 3' "$Q"/mess/* | xargs -n1 basename)")" 'Fs@example.org\0Ttest@localhost\0TPostmaster@localhost\0\0' \
  "refused recipient left out; bare postmaster qualified"
like "$(cat "$T/qmtpd.log")" 'refused rcpt=<x@evil\.example> reason=sorry, that domain' "refused recipient logged"

# ---- every recipient foreign: nothing queued ----
clearq
r=$(printf 'x\n' | qmtp pkg s@example.org a@evil.example | qmtp send "$PORT")
like "$r" '^Dsorry, that domain' "relay-only package: D"
ok "relay-only package: nothing queued, nothing left in tmp/" queue_clean

# ---- morercpthosts.cdb: the domain and its ".parent" entries ----
clearq
printf 'more.example x\n.wild.example x\n' | cdb -c -m "$INST/control/morercpthosts.cdb"
r=$(printf 'x\n' | qmtp pkg s@example.org a@more.example b@x.wild.example c@wild.example d@MORE.Example | qmtp send "$PORT")
is "$(echo "$r" | cut -c1 | tr -d '\n')" 'KKDKC' "morercpthosts.cdb: domain, subdomain of a .entry, not the bare parent, any case"
is "$(envof "$(ids)")" 'Fs@example.org\0Ta@more.example\0Tb@x.wild.example\0Td@MORE.Example\0\0' "morercpthosts.cdb: accepted recipients queued"
rm -f "$INST/control/morercpthosts.cdb"

# ---- RELAYCLIENT from tcprules ----
clearq
printf '127.0.0.1:allow,RELAYCLIENT=""\n' | tcprules "$T/relay.cdb" "$T/relay.tmp"
serve "$T/relay.log" -x "$T/relay.cdb"
r=$(printf 'x\n' | qmtp pkg s@example.org x@evil.example | qmtp send "$PORT")
like "$r" '^Kok ' "RELAYCLIENT set by tcprules: relaying allowed"
is "$(envof "$(ids)")" 'Fs@example.org\0Tx@evil.example\0\0' "relayed recipient queued"

# ---- databytes: judged on the message's netstring length before any of
# it is read into the queue (no queue program starts for it); the rest of
# the package is read and dropped, every recipient gets D, the session
# goes on. $T/qqcount is a queue program that records the bytes it got.
printf '#!/bin/sh\nwc -c >>"%s/qqbytes"; exit 71\n' "$T" >"$T/qqcount"; chmod +x "$T/qqcount"
clearq
echo 100 >"$INST/control/databytes"
{ head -c 300 /dev/zero | tr '\0' a | qmtp pkg s@example.org test@localhost
  printf 'small\n' | qmtp pkg s@example.org test@localhost; } >"$T/in"
direct
like "$(responses)" '^Dsorry, that message size exceeds my databytes limit \(#5\.3\.4\)\|Kok ' "databytes: big refused (5.3.4), the next one accepted"
is "$(nmsg)" 1 "databytes: only the small message queued"
rm -f "$T/qqbytes"
direct_env QMAILQUEUE="$T/qqcount"
like "$(responses)" '^Dsorry, that message size exceeds my databytes limit \(#5\.3\.4\)\|Z' "databytes: judged before the queue program"
is "$(wc -l <"$T/qqbytes" | tr -d ' ')" 1 "databytes: a queue program ran for the small message only"
rm -f "$INST/control/databytes"
# no control/databytes: smtpd's default (50 MiB). 60 MiB to a foreign
# recipient from a client that may not relay, and to a local one: D for
# each, and the queue program never sees a byte of them
clearq
rm -f "$T/qqbytes"
$PY -c 'import sys
def ns(b): return str(len(b)).encode() + b":" + b + b","
m = b"\n" + b"Subject: big\n\n" + (b"x" * 1023 + b"\n") * (60 * 1024)
sys.stdout.buffer.write(ns(m) + ns(b"s@example.org") + ns(ns(b"x@evil.example") + ns(b"test@localhost")))
sys.stdout.buffer.write(ns(b"\nsmall\n") + ns(b"s@example.org") + ns(ns(b"test@localhost")))' >"$T/in"
direct_env QMAILQUEUE="$T/qqcount"
like "$(responses)" '^Dsorry, that domain isn.t in my list of allowed rcpthosts \(#5\.7\.1\)\|Dsorry, that message size exceeds my databytes limit \(#5\.3\.4\)\|Z' \
  "60 MiB, no control/databytes: D for each recipient (5.7.1, then 5.3.4: the 50 MiB default); the next package read"
is "$(wc -l <"$T/qqbytes" | tr -d ' ')" 1 "60 MiB: one queue program ran, for the small package only"
ok "60 MiB: the queue program got a few hundred bytes, none of the 60 MiB" test "$(head -n 1 "$T/qqbytes")" -lt 4096
ok "60 MiB: nothing queued, nothing left in tmp/" queue_clean
clearq
printf 'xxxx\n' | qmtp pkg s@example.org test@localhost >"$T/in"
direct_env DATABYTES=3
like "$(responses)" '^Dsorry, that message size' "DATABYTES overrides control/databytes"
ok "DATABYTES: nothing queued" queue_clean

# ---- rcpthosts missing or unreadable ----
clearq
printf 'x\n' | qmtp pkg s@example.org test@localhost >"$T/in"
mv "$INST/control/rcpthosts" "$T/rcpthosts"
direct
like "$(responses)" '^Ztemporary configuration problem: control/rcpthosts is missing' "missing rcpthosts: temporary refusal (Z)"
mkdir "$INST/control/rcpthosts"
direct
is "$RC:$(cat "$T/out")" "111:" "unreadable rcpthosts: exit 111, no response"
like "$(cat "$T/err")" 'unable to read control/rcpthosts' "unreadable rcpthosts: named in the log"
rmdir "$INST/control/rcpthosts"; mv "$T/rcpthosts" "$INST/control/rcpthosts"

# ---- the queue program's verdict ----
direct_env QMAILQUEUE="$T/qq71"
like "$(responses)" '^Zmail server temporarily refuses the message \(#4\.3\.0\)\|$' "queue program exit 71: Z"
direct_env QMAILQUEUE="$T/qq31"
like "$(responses)" '^Dmail server permanently refuses the message \(#5\.3\.0\)\|$' "queue program exit 31: D"
direct_env QMAILQUEUE="$T/no-such-program"
like "$(responses)" '^Z' "queue program missing: Z"
ok "refused by the queue program: nothing queued" queue_clean
like "$(cat "$T/err")" 'rejected from=<s@example\.org> to=<test@localhost> size=2 reason=' "queue refusal logged"

# ---- malformed input: hang up, answer nothing, queue nothing ----
bad "no colon" '12x\nabc'
bad "leading zero" '05:\nabc,1:a,4:0:,,' 'malformed netstring'
bad "length of 23 digits" '99999999999999999999999:\nabc' 'netstring too long'
bad "no comma after the message" '4:\nabc;3:a@b,20:16:test@localhost,,'
bad "empty message netstring" '0:,3:a@b,20:16:test@localhost,,'
bad "recipient longer than the list" '4:\nabc,3:a@b,5:9:abcdefghi,,'
bad "no comma after the recipients" '4:\nabc,3:a@b,20:16:test@localhost,;'
bad "closed inside the message" '100:\nSubject: x\n' 'closed the connection inside a package'
bad "closed inside the recipients" '4:\nabc,3:a@b,20:16:test@loc'
# a 4 GB length allocates nothing: under a 64 MB address-space limit qmtpd
# reads until the client leaves, as it would for a real message
clearq
printf '4294967296:\nSubject: big\n' >"$T/in"
RC=$(cd "$T" && limit_vm 65536 && TCPREMOTEIP=127.0.0.1 "$BIN/qmtpd" <"$T/in" 2>"$T/err" >"$T/out"; echo $?)
is "$RC" 100 "4 GB length under a 64 MB limit: exit 100 when the client leaves (nothing allocated)"
like "$(cat "$T/err")" 'closed the connection inside a package' "4 GB length: streamed, not allocated"
ok "4 GB length: nothing queued" queue_clean

# ---- bad content in a well-formed package: answered, session goes on ----
clearq
{ printf 'x\n' | qmtp pkg --enc X s@example.org test@localhost
  printf 'x\n' | qmtp pkg 'a\x00b@example.org' test@localhost
  printf 'x\n' | qmtp pkg "$(head -c 2000 /dev/zero | tr '\0' s)@example.org" test@localhost
  printf 'x\n' | qmtp pkg s@example.org "$(head -c 1200 /dev/zero | tr '\0' r)@localhost" joe test@localhost
} >"$T/in"
direct
is "$RC" 0 "bad content: session ends normally (exit 0)"
r=$(responses)
like "$r" '^Dsorry, the message encoding must be LF or CRLF \(#5\.6\.0\)\|' "unknown encoding byte: D 5.6.0"
like "$r" '^[^|]*\|Dunacceptable sender \(#5\.1\.7\)\|Dunacceptable sender \(#5\.1\.7\)\|' "NUL in sender, 2000-byte sender: D 5.1.7"
like "$r" "\|Dsorry, I can't handle that recipient \(#5\.1\.3\)\|Dsorry, the recipient address needs a domain \(#5\.1\.3\)\|Kok [^|]*\|$" "1200-byte recipient and bare name refused, the good one accepted"
is "$(envof "$(ids)")" 'Fs@example.org\0Ttest@localhost\0\0' "only the good recipient queued"

# ---- no recipients: no response, nothing queued ----
clearq
printf '2:\nx,3:a@b,0:,' >"$T/in"
direct
is "$RC:$(cat "$T/out")" "0:" "package without recipients: no response"
ok "package without recipients: nothing queued" queue_clean

# ---- a connection that sends nothing ----
: >"$T/in"
direct
is "$RC:$(cat "$T/out")" "0:" "empty connection: exit 0, nothing said"

# ---- big message, one huge line, through tcpserver ----
clearq
head -c 5000000 /dev/urandom | base64 -w 0 >"$T/big"
r=$(qmtp pkg s@example.org test@localhost <"$T/big" | qmtp send "$PORT")
like "$r" '^Kok ' "6.7 MB message on one line accepted"
cmp -s <(tail -n +4 "$Q/mess/$(ids)") "$T/big"
is "$?" 0 "6.7 MB line stored byte for byte"

# ---- a client that stalls: control/timeoutsmtpd ----
stalled '50:\nSubject: slow' "$T/relay.log"

# ---- the service's run script, as mkinstance fills it in ----
service_start QMTP_PORT
r=$(printf 'x\n' | qmtp pkg s@example.org test@localhost x@evil.example | qmtp send "$SP")
is "$(echo "$r" | cut -c1 | tr -d '\n')" "KKC" "run script: qmtpd on QMTP_PORT; 127. may relay by default"
ok "run script: control/tcp.qmtp made and compiled" test -s "$T/svc/control/tcp.qmtp.cdb"
is "$(ls "$T/svc/queue/mess" | grep -vc env)" 1 "run script: the message is in that instance's queue"

# ---- usage ----
"$BIN/qmtpd" extra </dev/null >/dev/null 2>"$T/err"
is "$?" 100 "an argument: usage, exit 100"
done_testing
