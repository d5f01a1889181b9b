#!/bin/bash
# inject: header completion, masquerading, address lists, recipients,
# the envelope, and every way it refuses.
. "$(dirname "$0")/lib.sh"
inst_new mail.example.com
. "$(dirname "$0")/submit-lib.sh"
C=$INST/control
printf 'plus.example.org\n' > "$C/plusdomain"
printf 'id.example.net\n' > "$C/idhost"
export USER=alice LOGNAME=alice-login
qhead() { sed -n '2,/^$/p' "$Q/mess/$1" | sed '$d'; }   # without Received and the blank line

# --- a plain message through the real queue-writer
clearq
out=$(printf 'To: bob\nSubject: hello\n\nbody line\n' | inject 2>&1)
is "$?" 0 "a message is queued"
is "$out" "" "nothing printed"
id=$(msgs)
is "$(echo $id | wc -w)" 1 "one message in queue/mess"
is "$(qenv $id)" "Falice@mail.example.com|Tbob@mail.example.com||" \
  "envelope: the user as sender, the header's recipient masqueraded"
h=$(qhead $id)
like "$h" '^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0000$' \
  "Date added, RFC 5322"
like "$h" '^Message-ID: <[0-9]+\.[0-9]+\.[0-9]+@id\.example\.net>$' "Message-ID added with control/idhost"
like "$h" '^From: alice@mail\.example\.com$' "From added from USER and defaulthost"
like "$h" '^To: bob@mail\.example\.com$' "To masqueraded in the header"
unlike "$h" '^Cc:' "no Cc added when To is there"
is "$(echo "$h" | sed -n '1s/:.*//p;2s/:.*//p;3s/:.*//p' | tr '\n' ' ')" "Date Message-ID From " \
  "added fields come first"
is "$(tail -1 "$Q/mess/$id")" "body line" "body kept"

# -n prints and queues nothing
clearq
out=$(printf 'To: bob@x.org\n\nhi\n' | inject -n)
is "$?" 0 "-n exits 0"
is "$(echo "$out" | head -1)" "Return-Path: <alice@mail.example.com>" "-n: Return-Path first"
like "$out" '^To: bob@x\.org$' "-n: the header"
is "$(msgs)" "" "-n: nothing queued"
rm -f "$C/idhost"
like "$(inject -n x@y.org </dev/null)" '^Message-ID: <[0-9.]+@mail\.example\.com>$' "Message-ID host falls back to control/me"
like "$(QMAILIDHOST=env.example inject -n x@y.org </dev/null)" '@env\.example>$' "QMAILIDHOST overrides"

# --- From when missing: who and how
from() { env "$@" inject -n x@y.org </dev/null | grep '^From:'; }
is "$(from QMAILUSER=q MAILUSER=m)" "From: q@mail.example.com" "QMAILUSER first"
is "$(from MAILUSER=m)" "From: m@mail.example.com" "MAILUSER before USER"
is "$(from -u USER)" "From: alice-login@mail.example.com" "LOGNAME without USER"
is "$(from -u USER -u LOGNAME)" "From: anonymous@mail.example.com" "anonymous without any"
is "$(from QMAILHOST=h.example.org MAILHOST=m.example.org)" "From: alice@h.example.org" "QMAILHOST"
is "$(from MAILHOST=m)" "From: alice@m.example.com" "MAILHOST, masqueraded"
is "$(from NAME='Alice Smith')" 'From: "Alice Smith" <alice@mail.example.com>' "NAME, name-address style"
is "$(from QMAILNAME=Q MAILNAME=M NAME=N)" 'From: "Q" <alice@mail.example.com>' "QMAILNAME first"
is "$(from MAILNAME='A "B" \C')" 'From: "A \"B\" \\C" <alice@mail.example.com>' "quotes in the name escaped"
is "$(from QMAILINJECT=c NAME='Alice (A)')" 'From: alice@mail.example.com (Alice \(A\))' "QMAILINJECT=c: comment style"
out=$(env NAME=$'Eve\nBcc: evil@x.org' USER=$'eve\nX-Injected: 1' inject -n -f s@x.org x@y.org </dev/null)
like "$out" '^From: "Eve Bcc: evil@x.org" <"eve\?X-Injected: 1"@mail\.example\.com>$' "a newline in NAME or USER made harmless"
unlike "$out" '^(Bcc|X-Injected):' "a newline in NAME or USER cannot add a header line"

# --- the envelope sender
sender() { inject -n "$@" x@y.org </dev/null | head -1; }
is "$(sender -f joe@s.org)" "Return-Path: <joe@s.org>" "-f sender"
is "$(sender -fjoe)" "Return-Path: <joe@mail.example.com>" "-fsender joined, masqueraded"
is "$(sender -f '')" "Return-Path: <>" "-f '' is the null sender"
is "$(sender -f '<>')" "Return-Path: <>" "-f '<>' is the null sender"
is "$(QMAILSUSER=bounce QMAILSHOST=b.example.org sender)" "Return-Path: <bounce@b.example.org>" "QMAILSUSER and QMAILSHOST"
like "$(QMAILINJECT=m sender)" '^Return-Path: <alice-[0-9]+\.[0-9]+@mail\.example\.com>$' "QMAILINJECT=m: per-message VERP"
rp() { printf 'Return-Path: <rp@r.example.org>\nTo: x@y.org\n\n' | env "$@" | head -1; }
is "$(rp inject -n)" "Return-Path: <rp@r.example.org>" "Return-Path in the header sets the sender"
is "$(rp inject -n -f f@f.org)" "Return-Path: <f@f.org>" "-f overrides Return-Path"
is "$(rp QMAILINJECT=s inject -n)" "Return-Path: <alice@mail.example.com>" "QMAILINJECT=s ignores Return-Path"
clearq
printf 'To: x@y.org\n\n' | inject -f '' 2>/dev/null
is "$(qenv $(msgs))" "F|Tx@y.org||" "-f '': the null sender in queue/mess/ID.env"

# --- masquerading of recipient arguments
rcpt() { printf '' | cap env "${@:2}" inject "$1"; capenv; }
is "$(rcpt joe)" "Falice@mail.example.com|Tjoe@mail.example.com||" "no host: defaulthost"
is "$(rcpt joe@box)" "Falice@mail.example.com|Tjoe@box.example.com||" "host without a dot: defaultdomain"
is "$(rcpt joe@box+)" "Falice@mail.example.com|Tjoe@box.plus.example.org||" "host ending in +: plusdomain"
is "$(rcpt joe@a.b+)" "Falice@mail.example.com|Tjoe@a.b.plus.example.org||" "dotted host ending in +: plusdomain"
is "$(rcpt 'joe@[10.0.0.1]')" "Falice@mail.example.com|Tjoe@[10.0.0.1]||" "address literal untouched"
is "$(rcpt joe@host.org)" "Falice@mail.example.com|Tjoe@host.org||" "full address untouched"
is "$(rcpt joe QMAILDEFAULTHOST=dh)" "Falice@dh.example.com|Tjoe@dh.example.com||" "QMAILDEFAULTHOST, then defaultdomain"
is "$(rcpt joe@box QMAILDEFAULTDOMAIN=dd.net)" "Falice@mail.example.com|Tjoe@box.dd.net||" "QMAILDEFAULTDOMAIN"
is "$(rcpt joe@box+ QMAILPLUSDOMAIN=pp.net)" "Falice@mail.example.com|Tjoe@box.pp.net||" "QMAILPLUSDOMAIN"

# --- address lists in the header (table): To value # envelope recipients # To written
while IFS='#' read -r to want written; do
  printf 'To: %b\n\n' "$to" | cap inject -h
  is "$(capenv)" "Falice@mail.example.com|$want||" "address list: $to"
  is "$(caphead | awk '/^To:/ { p = 1; print; next } p && /^[ \t]/ { print; next } { p = 0 }' | tr '\n' '~')" \
    "$(printf '%b' "$written")" "  written: $to"
done <<'EOF'
a@x.org, b@y.org#Ta@x.org|Tb@y.org#To: a@x.org, b@y.org~
"Fred Q. Smith" <fred@x.org>#Tfred@x.org#To: "Fred Q. Smith" <fred@x.org>~
Fred <fred>#Tfred@mail.example.com#To: Fred <fred@mail.example.com>~
friends: a@x.org, b@y.org;, c@z.org#Ta@x.org|Tb@y.org|Tc@z.org#To: friends: a@x.org, b@y.org;, c@z.org~
a@x.org (Comment, with a comma), b@y.org#Ta@x.org|Tb@y.org#To: a@x.org (Comment, with a comma), b@y.org~
"odd, local"@x.org#Todd, local@x.org#To: "odd, local"@x.org~
<@relay.org,@r2.org:u@x.org>#Tu@x.org#To: <u@x.org>~
djb fred#Tdjb@mail.example.com|Tfred@mail.example.com#To: djb@mail.example.com, fred@mail.example.com~
a@x.org (nested (comment) here)#Ta@x.org#To: a@x.org (nested (comment) here)~
a@x.org,\n\tb@y.org#Ta@x.org|Tb@y.org#To: a@x.org,~\tb@y.org~
EOF

# --- recipients: arguments, header, both
rc() { printf 'To: h@x.org\nCc: c@x.org\nBcc: b@x.org\nApparently-To: ap@x.org\n\n' | cap inject "$@"; capenv; }
is "$(rc a@x.org)" "Falice@mail.example.com|Ta@x.org||" "arguments given: only they"
is "$(rc)" "Falice@mail.example.com|Th@x.org|Tc@x.org|Tb@x.org|Tap@x.org||" "no arguments: To, Cc, Bcc, Apparently-To"
is "$(rc -h a@x.org)" "Falice@mail.example.com|Th@x.org|Tc@x.org|Tb@x.org|Tap@x.org||" "-h: the header only"
is "$(rc -H a@x.org)" "Falice@mail.example.com|Ta@x.org|Th@x.org|Tc@x.org|Tb@x.org|Tap@x.org||" "-H: both"
is "$(rc -H h@x.org)" "Falice@mail.example.com|Th@x.org|Tc@x.org|Tb@x.org|Tap@x.org||" "-H: a repeated recipient once"
out=$(printf 'To: h@x.org\n\n' | cap inject -a 2>&1)
is "$?" 100 "-a without arguments: exit 100"
like "$out" 'fatal: no recipients' "-a without arguments: says no recipients"
ok "-a without arguments: the queue program never ran" test ! -e "$CAP/msg"

# resent messages
printf 'To: h@x.org\nFrom: orig@x.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nResent-To: r@x.org\nResent-Bcc: rb@x.org\n\nbody\n' | cap inject
is "$(capenv)" "Falice@mail.example.com|Tr@x.org|Trb@x.org||" "resent: recipients from Resent-To and Resent-Bcc only"
h=$(caphead)
like "$h" '^Resent-From: alice@mail\.example\.com$' "resent: Resent-From added"
like "$h" '^Resent-Date: ' "resent: Resent-Date added"
like "$h" '^Resent-Message-ID: <' "resent: Resent-Message-ID added"
is "$(echo "$h" | grep -c '^Date:')" 1 "resent: Date not added again"
unlike "$h" '^Resent-Bcc:' "resent: Resent-Bcc removed"
printf 'Resent-From: r@x.org\nResent-Bcc: rb@x.org\nTo: h@x.org\n\n' | cap inject -h
like "$(caphead)" '^Resent-Cc: recipient list not shown: ;$' "resent without Resent-To/Cc: Resent-Cc added"

# --- fields removed, fields kept
printf 'To: t@x.org\nbCC: hidden@x.org\nReturn-Path: <r@x.org>\nContent-Length: 12\nX-Thing:   two  spaces\t tab\nX-Long: a\n\tb\n c\nSubject: s\n\nbody\n' | cap inject -h
h=$(caphead)
unlike "$h" '^(bCC|Bcc|Return-Path|Content-Length):' "Bcc (any case), Return-Path, Content-Length removed"
is "$(capenv)" "Fr@x.org|Tt@x.org|Thidden@x.org||" "Bcc still a recipient; Return-Path the sender"
is "$(echo "$h" | grep -A2 '^X-')" "$(printf 'X-Thing:   two  spaces\t tab\nX-Long: a\n\tb\n c')" "unknown fields kept byte for byte, folded too"
printf 'Subject: s\n\n' | cap inject a@x.org
like "$(caphead)" '^Cc: recipient list not shown: ;$' "no To or Cc: Cc: recipient list not shown"
printf 'From: me@x.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <m@x>\nTo: a@x.org\n\n' | cap inject
h=$(caphead)
is "$(echo "$h" | grep -c -E '^(From|Date|Message-ID):')" 3 "present From, Date, Message-ID kept, not added"
printf 'From: me@x.org\nMessage-ID: <m@x>\nTo: a@x.org\n\n' | QMAILINJECT=fi cap inject
h=$(caphead)
is "$(echo "$h" | grep -c -E '^From: alice@mail\.example\.com$')" 1 "QMAILINJECT=f: From replaced"
unlike "$h" '<m@x>' "QMAILINJECT=i: Message-ID replaced"
printf 'From: me\nReply-To: r@r+\n\n' | cap inject a@x.org
like "$(caphead)" '^From: me@mail\.example\.com$' "sender fields masqueraded (From)"
like "$(caphead)" '^Reply-To: r@r\.plus\.example\.org$' "sender fields masqueraded (Reply-To)"

# --- input forms
printf 'To: a@x.org\r\nSubject: crlf\r\n\r\nline 1\r\nline 2\r\n' | cap inject
is "$(capenv)" "Falice@mail.example.com|Ta@x.org||" "CRLF input: header parsed"
is "$(grep -c $'\r' "$CAP/msg")" 0 "CRLF input: no CR left"
is "$(tail -2 "$CAP/msg" | tr '\n' '~')" "line 1~line 2~" "CRLF input: body lines"
{ printf 'To: a@x.org\n\n'; head -c 65535 /dev/zero | tr '\0' a; printf '\r\nlast\r\n'; } | cap inject
is "$(grep -c $'\r$' "$CAP/msg")" 0 "CRLF split across 64 KB pieces: no CR before LF left"
# a bare CR (a receiver may end a line there: "\r.\r\n" would end DATA)
# or a NUL (a receiver may drop it: "\n\0.\n") refuses the message, as
# smtpd, qmtpd and qmqpd do; smtpnormalize makes the CR a line end
for m in 'hello\r.\r\nMAIL FROM:<x@example.org>\n' 'hello\r.\rMAIL' 'a\n\0.\nb\n' 'a\n.\0\n'; do
  printf "To: a@x.org\n\n$m" | cap inject 2>"$T/err"
  is "$?" 100 "body $m: refused, exit 100"
  ok "body $m: the queue program got no envelope" test ! -s "$CAP/env"
done
like "$(cat "$T/err")" '^inject: fatal: message refused: it holds a NUL byte' "NUL: said so"
printf 'To: a@x.org\nSubject: x\ry\n\nb\n' | cap inject 2>"$T/err"
is "$?" 100 "a bare CR in the header: refused"
like "$(cat "$T/err")" 'message refused: a bare CR in it' "bare CR: said so"
echo 1 >"$INST/control/smtpnormalize"
{ printf 'To: a@x.org\n\n'; head -c 65535 /dev/zero | tr '\0' a; printf '\rlone\rcr\r\n'; } | cap inject
is "$?" 0 "smtpnormalize: bare CRs accepted (one across 64 KB pieces)"
is "$(tail -3 "$CAP/msg" | cut -c1-4 | tr '\n' '~')" "aaaa~lone~cr~" "smtpnormalize: each bare CR stored as a line end"
printf 'To: a@x.org\n\na\0b\n' | cap inject 2>/dev/null
is "$?" 100 "smtpnormalize: a NUL is still refused"
rm -f "$INST/control/smtpnormalize"
printf 'From alice Mon Jan  1 00:00:00 2024\nTo: a@x.org\n\nb\n' | cap inject
like "$(caphead)" '^MBOX-Line: From alice Mon Jan  1' "an mbox From line kept as MBOX-Line"
printf 'To: a@x.org\nthis is no header field\nmore\n' | cap inject
is "$(sed -n '/^To:/,$p' "$CAP/msg" | tr '\n' '~')" "To: a@x.org~~this is no header field~more~" \
  "a line that is no field ends the header; a blank line inserted"
printf 'To: a@x.org\n\nbefore\n.\nafter\n' | cap inject
is "$(tail -3 "$CAP/msg" | tr '\n' '~')" "before~.~after~" "a lone dot is just a line for inject"
printf 'To: a@x.org\n\nno newline at the end' | cap inject
is "$(tail -c 8 "$CAP/msg" | od -An -c | tr -d ' ')" 'theend\n' "a last line without a newline gets one"

# --- refusals
clearq
out=$(printf 'To: "unterminated\n\n' | inject 2>&1)
is "$?" 100 "malformed To needed for recipients: exit 100"
like "$out" '^inject: fatal: unable to parse the address list in the To field$' "  names the field"
is "$(msgs)" "" "  nothing queued"
printf 'To: "unterminated\n\n' | cap inject a@x.org
is "$?" 0 "malformed To not needed: queued"
like "$(caphead)" '^To: "unterminated$' "  and kept as it came"
out=$(printf 'To: <a@x.org> <b@x.org>\n\n' | inject 2>&1)
is "$?" 100 "two angle addresses without a comma: exit 100"
out=$(printf 'Subject: none\n\n' | inject 2>&1)
is "$?" 100 "no recipients anywhere: exit 100"
like "$out" 'fatal: no recipients$' "  says so"
out=$(printf 'To: undisclosed-recipients:;\n\n' | inject 2>&1)
is "$?" 100 "an empty group gives no recipients: exit 100"

rm -f "$CAP/msg"
out=$( { printf 'To: a@x.org\nX-Big: '; head -c 2000000 /dev/zero | tr '\0' x; printf '\n\nbody\n'; } | cap inject 2>&1)
is "$?" 100 "a 2 MB header line: exit 100"
like "$out" '^inject: fatal: message header larger than 1048576 bytes$' "  a clear message"
ok "  the queue program never ran" test ! -e "$CAP/msg"
out=$( { printf 'To: a@x.org\nX-Folded: x\n'; for i in $(seq 20000); do printf '\t%060d\n' $i; done; printf '\nbody\n'; } | inject 2>&1)
is "$?" 100 "a folded field past 1 MB: exit 100"
is "$(msgs)" "" "  nothing queued"

out=$(printf 'x\n' | inject $'bad\naddr@x.org' 2>&1)
is "$?" 100 "a newline in an address: exit 100"
like "$out" 'fatal: invalid address: bad\?addr@x\.org$' "  named, the newline shown as ?"
out=$(printf 'x\n' | inject '' 2>&1)
is "$?" 100 "an empty address argument: exit 100"
out=$(printf 'x\n' | inject "$(head -c 1200 /dev/zero | tr '\0' a)@x.org" 2>&1)
is "$?" 100 "a 1200-byte address: exit 100"
like "$out" 'invalid address: a+\.\.\.$' "  shown cut short"

out=$(printf 'To: a@x.org\n\n' | QMAILQUEUE=$T/q53 inject 2>&1)
is "$?" 111 "queue program exits 53: temporary, 111"
like "$out" '^inject: fatal: unable to queue the message: .*disk full.* \(#53\)$' "  its reason in the message"
out=$( { printf 'To: a@x.org\n\n'; head -c 3000000 /dev/zero | tr '\0' a; } | QMAILQUEUE=$T/q31 inject 2>&1)
is "$?" 100 "queue program exits 31 unread: permanent, 100"
like "$out" 'permanently refuses the message \(#31\)$' "  its reason in the message"
out=$(printf 'To: a@x.org\n\n' | QMAILQUEUE=$T/nonexistent inject 2>&1)
is "$?" 111 "queue program missing: 111"
like "$out" "unable to run $T/nonexistent: No such file" "  names it"

mv "$C/defaulthost" "$C/defaulthost.off"
is "$(sender)" "Return-Path: <alice@mail.example.com>" "control/defaulthost missing: control/me"
mv "$C/me" "$C/me.off"
is "$(sender)" "Return-Path: <alice@defaulthost.example.com>" "control/me missing too: the literal name, as qmail-inject"
mv "$C/me.off" "$C/me"; mv "$C/defaulthost.off" "$C/defaulthost"
mv "$C/defaultdomain" "$C/defaultdomain.off"; mkdir "$C/defaultdomain"
out=$(printf 'x\n' | inject a@x.org 2>&1)
is "$?" 111 "unreadable control/defaultdomain: 111"
like "$out" "unable to read $C/defaultdomain: " "  names the file"
rmdir "$C/defaultdomain"; mv "$C/defaultdomain.off" "$C/defaultdomain"

out=$(inject -x a@x.org </dev/null 2>&1)
is "$?" 100 "unknown option: exit 100"
like "$out" '^inject: fatal: usage: inject ' "  usage"
out=$(inject -f </dev/null 2>&1)
is "$?" 100 "-f without a value: usage, 100"
out=$(printf 'To: a@x.org\n\n' | cap inject -- -dash@x.org; capenv)
is "$out" "Falice@mail.example.com|T-dash@x.org||" "-- ends the options"

# --- nothing is interpreted by a shell
cd "$T" || exit 1
printf 'To: a@x.org\n\n' | cap inject "\$(touch $T/pwned1)@x.org" "\`touch $T/pwned2\`@x.org" 'a;touch${IFS}pwned3@x.org' '|touch pwned4@x.org'
is "$(capenv)" "Falice@mail.example.com|T\$(touch $T/pwned1)@x.org|T\`touch $T/pwned2\`@x.org|Ta;touch\${IFS}pwned3@x.org|T|touch pwned4@x.org||" \
  "shell metacharacters stay in the envelope as they are"
is "$(ls "$T" | grep -c pwned)" 0 "and nothing ran"
done_testing
