#!/bin/bash
# sendmail: the sendmail flags in front of inject's work: -f, -F, -t,
# -i and the lone dot, ignored and refused flags, -bp, -q, failures.
. "$(dirname "$0")/lib.sh"
inst_new mail.example.com
. "$(dirname "$0")/submit-lib.sh"
export USER=alice

# --- sendmail -f FROM TO into the real queue
clearq
out=$(printf 'Subject: hi\n\nbody\n' | sendmail -f sender@s.example.org rcpt@r.example.org 2>&1)
is "$?" 0 "sendmail -f FROM TO queues"
is "$out" "" "  silently"
id=$(msgs)
is "$(echo $id | wc -w)" 1 "  one message in queue/mess"
is "$(qenv $id)" "Fsender@s.example.org|Trcpt@r.example.org||" "  envelope as given"
h=$(sed -n '2,/^$/p' "$Q/mess/$id")
like "$h" '^From: sender@s\.example\.org$' "  a missing From shows the -f address (Postfix)"
like "$h" '^Date: [A-Z][a-z]{2}, ' "  Date added"
like "$h" '^Message-ID: <[0-9.]+@mail\.example\.com>$' "  Message-ID added"
is "$(tail -1 "$Q/mess/$id")" "body" "  body kept"

# sender forms
snd() { printf 'x\n' | cap sendmail "$@" to@x.org; capenv; }
is "$(snd -fjoined@x.org)" "Fjoined@x.org|Tto@x.org||" "-fSENDER joined"
is "$(snd -r r@x.org)" "Fr@x.org|Tto@x.org||" "-r SENDER"
is "$(snd -f '<>')" "F|Tto@x.org||" "-f '<>': the null sender"
is "$(snd -f '')" "F|Tto@x.org||" "-f '': the null sender"
is "$(snd -f '<a@x.org>')" "Fa@x.org|Tto@x.org||" "-f '<a@x.org>': brackets dropped"
is "$(snd -f joe)" "Fjoe@mail.example.com|Tto@x.org||" "-f joe: masqueraded"
is "$(snd)" "Falice@mail.example.com|Tto@x.org||" "no -f: the user"
printf 'x\n' | cap sendmail -f '<>' to@x.org
like "$(caphead)" '^From: alice@mail\.example\.com$' "-f '<>': From shows the user"
printf 'x\n' | cap sendmail -F 'Alice Q' -f a@x.org to@x.org
like "$(caphead)" '^From: "Alice Q" <a@x\.org>$' "-F NAME"
printf 'x\n' | NAME=Env cap sendmail -FArg to@x.org
like "$(caphead)" '^From: "Arg" <alice@mail\.example\.com>$' "-FNAME joined, over NAME"
printf 'From: own@x.org\n\nx\n' | cap sendmail -F Name -f a@x.org to@x.org
like "$(caphead)" '^From: own@x\.org$' "a present From is kept"

# --- -t
hdr='To: t1@x.org, Group: g1@x.org, g2@x.org;\nCc: "C, Person" <c1@x.org>\nBcc: b1@x.org\nSubject: s\n\nbody\n'
printf "$hdr" | cap sendmail -t
is "$(capenv)" "Falice@mail.example.com|Tt1@x.org|Tg1@x.org|Tg2@x.org|Tc1@x.org|Tb1@x.org||" \
  "-t: To (with a group), Cc, Bcc"
unlike "$(caphead)" '^Bcc:' "-t: Bcc removed"
like "$(caphead)" '^To: t1@x\.org, Group: g1@x\.org, g2@x\.org;$' "-t: To kept"
printf "$hdr" | cap sendmail -t a1@x.org t1@x.org
is "$(capenv)" "Falice@mail.example.com|Ta1@x.org|Tt1@x.org|Tg1@x.org|Tg2@x.org|Tc1@x.org|Tb1@x.org||" \
  "-t with arguments: both, a repeated one once (Postfix)"
printf "$hdr" | cap sendmail a1@x.org
is "$(capenv)" "Falice@mail.example.com|Ta1@x.org||" "no -t: the header's recipients are not used"
unlike "$(caphead)" '^Bcc:' "no -t: Bcc removed all the same"
printf 'To: a@x.org,\n b@x.org,\n\tc@x.org\nSubject: s\n\n' | cap sendmail -t
is "$(capenv)" "Falice@mail.example.com|Ta@x.org|Tb@x.org|Tc@x.org||" "-t: a folded To"
printf 'To: a@x.org\r\nCc: b@x.org\r\n\r\nline\r\n' | cap sendmail -t
is "$(capenv)" "Falice@mail.example.com|Ta@x.org|Tb@x.org||" "-t: CRLF input"
is "$(grep -c $'\r' "$CAP/msg")" 0 "  no CR kept"
# a bare CR or a NUL refuses the message (the rule of every way in)
printf 'To: a@x.org\n\nhello\r.\r\nMAIL FROM:<x@example.org>\n' | cap sendmail -t 2>"$T/err"
is "$?" 100 "bare CR: refused, exit 100"
ok "  the queue program got no envelope" test ! -s "$CAP/env"
like "$(cat "$T/err")" '^sendmail: fatal: message refused: a bare CR' "  said so"
printf 'To: a@x.org\n\nhello\n\0.\nx\n' | cap sendmail -t 2>/dev/null
is "$?" 100 "NUL: refused, exit 100"
printf 'To: h@x.org\nResent-To: r@x.org\n\n' | cap sendmail -t
is "$(capenv)" "Falice@mail.example.com|Tr@x.org||" "-t: a resent message goes to Resent-To"
out=$(printf 'Subject: none\n\n' | cap sendmail -t 2>&1)
is "$?" 100 "-t and no recipients: 100"
like "$out" '^sendmail: fatal: no recipients$' "  says so"
ok "  the queue program never ran" test ! -e "$CAP/msg"
out=$(sendmail </dev/null 2>&1)
is "$?" 100 "no recipients and no -t: 100"
like "$out" 'no recipients: name them as arguments, or use -t' "  says how"

# --- the lone dot
body='Subject: d\n\nbefore\n..\n.x\n.\nafter\n'
printf "$body" | cap sendmail a@x.org
is "$(capbody | tr '\n' '~')" "before~..~.x~" "a lone dot ends the input"
for f in -i -oi "-o i" -ti; do
  printf "$body" | cap sendmail $f a@x.org
  is "$(capbody | tr '\n' '~')" "before~..~.x~.~after~" "$f: a lone dot is a line"
done
printf 'Subject: d\r\n\r\nbefore\r\n.\r\nafter\r\n' | cap sendmail a@x.org
is "$(capbody | tr '\n' '~')" "before~" "a lone dot with CRLF ends the input"
printf 'To: a@x.org\n.\nSubject: lost\n' | cap sendmail -t
is "$(capenv)" "Falice@mail.example.com|Ta@x.org||" "a lone dot in the header ends the input"
unlike "$(cat "$CAP/msg")" 'lost' "  nothing after it"

# --- flags accepted and ignored, flags refused
printf 'x\n' | cap sendmail -oem -oep -odi -odb -om -oQ/tmp -v -B8BITMIME -B 7BIT -N never -Nsuccess -U -G -m \
  -R hdrs -V envid -X /dev/null -L label -h 10 -p smtp -C /etc/mail -Am -x -n a@x.org
is "$?" 0 "ignored flags: -o* -v -B -N -U -G -m -R -V -X -L -h -p -C -A -x -n"
is "$(capenv)" "Falice@mail.example.com|Ta@x.org||" "  the recipient after them"
printf 'x\n' | cap sendmail -bm -vif s@x.org a@x.org
is "$(capenv)" "Fs@x.org|Ta@x.org||" "-bm, and clustered flags ending in -f"
for f in -bs -bi -I -bd -bv; do
  out=$(sendmail $f </dev/null 2>&1)
  is "$?" 100 "$f: exit 100"
  like "$out" 'is not supported' "$f: says not supported"
done
out=$(cd "$T" && ln -sf "$BIN/sendmail" newaliases && ./newaliases 2>&1)
is "$?" 100 "called as newaliases: 100, not supported"
for f in -Z -bX -k; do
  out=$(sendmail $f a@x.org </dev/null 2>&1)
  is "$?" 100 "unknown flag $f: exit 100"
  like "$out" '^sendmail: fatal: usage: sendmail ' "unknown flag $f: usage"
done
out=$(sendmail -f 2>&1 </dev/null)
is "$?" 100 "-f without a value: usage, 100"

# --- -bp and mailq run HOME/bin/queue-reader; -q wakes queue-manager
F=$T/fake
mkdir -p "$F/bin" "$F/queue/lock"
printf '#!/bin/sh\necho "queue-reader args:$#:$*"\nexit 7\n' > "$F/bin/queue-reader"
chmod 755 "$F/bin/queue-reader"
out=$(QUAIL_HOME=$F sendmail -bp 2>&1)
is "$?" 7 "-bp: queue-reader's exit code"
is "$out" "queue-reader args:0:" "-bp: runs HOME/bin/queue-reader without arguments"
out=$(cd "$T" && ln -sf "$BIN/sendmail" mailq && QUAIL_HOME=$F ./mailq -x 'a b' 2>&1)
is "$out" "queue-reader args:2:-x a b" "called as mailq: queue-reader with the arguments"
out=$(QUAIL_HOME=$T/nowhere sendmail -bp 2>&1)
is "$?" 111 "-bp without queue-reader: 111"
like "$out" "unable to run $T/nowhere/bin/queue-reader: No such file" "  names it"

exec 7<>"$Q/lock/trigger"
sendmail -q </dev/null
is "$?" 0 "-q exits 0"
read -t 2 -r line <&7
is "$line" "flush" "-q writes flush to queue/lock/trigger"
sendmail -qR example.org </dev/null >/dev/null 2>&1; read -t 2 -r line <&7
is "$line" "flush" "-qRsite flushes too"
exec 7<&-
sendmail -q </dev/null
is "$?" 0 "-q with no queue-manager listening: 0"
out=$(QUAIL_HOME=$F sendmail -q 2>&1)
is "$?" 111 "-q without the trigger FIFO: 111"
like "$out" "unable to write to $F/queue/lock/trigger" "  names it"

# --- failures of the queue program
out=$(printf 'x\n' | QMAILQUEUE=$T/q53 sendmail a@x.org 2>&1)
is "$?" 111 "queue program exits 53: 111"
like "$out" '^sendmail: fatal: unable to queue the message: .*disk full.* \(#53\)$' "  with qq_text's reason"
out=$(printf 'x\n' | QMAILQUEUE=$T/q31 sendmail a@x.org 2>&1)
is "$?" 100 "queue program exits 31: 100"
like "$out" 'permanently refuses the message \(#31\)$' "  with qq_text's reason"
clearq
out=$(printf 'x\n' | QUAIL_HOME=$T/nowhere sendmail a@x.org 2>&1)
is "$?" 111 "no queue-writer at HOME/bin: 111"

# --- sizes: a 2 MB header line, a 20 MB body in bounded memory
clearq
out=$( { printf 'To: a@x.org\nX-Big: '; head -c 2000000 /dev/zero | tr '\0' x; printf '\n\nbody\n'; } | sendmail -t 2>&1)
is "$?" 100 "a 2 MB header line: 100"
like "$out" '^sendmail: fatal: message header larger than 1048576 bytes$' "  a clear message"
is "$(msgs)" "" "  nothing queued"
{ printf 'Subject: big\n\n'; head -c 20000000 /dev/zero | tr '\0' b | fold -w 900; echo; } > "$T/big"
/usr/bin/time -o "$T/time" -f '%M' sendmail -f s@x.org test@localhost < "$T/big"
is "$?" 0 "a 20 MB message queued"
id=$(msgs)
body_bytes=$(sed '1,/^$/d' "$Q/mess/$id" | wc -c)
is "$body_bytes" "$(sed '1,/^$/d' "$T/big" | wc -c)" "  its body whole"
rss=$(tail -1 "$T/time")
ok "  in bounded memory (max RSS ${rss} KB < 20 MB)" test "$rss" -lt 20480

# --- addresses are data, never shell
cd "$T" || exit 1
printf 'To: "$(touch pwned3)"@x.org, "`touch pwned4`"@x.org\n\n' | cap sendmail -t -f "\$(touch $T/pwned0)@x.org" \
  "\$(touch $T/pwned1)@x.org" "\`touch pwned2\`;x@x.org" '|cat@x.org'
is "$(capenv)" "F\$(touch $T/pwned0)@x.org|T\$(touch $T/pwned1)@x.org|T\`touch pwned2\`;x@x.org|T|cat@x.org|T\$(touch pwned3)@x.org|T\`touch pwned4\`@x.org||" \
  "shell metacharacters reach the envelope as they are"
is "$(ls "$T" | grep -c pwned)" 0 "and nothing ran"
done_testing
