#!/bin/bash
# deliver-local: .qmail semantics (qmail-local's), Maildir and mbox
# delivery, programs, forwards, loops and refusals, driving the program
# directly with a home directory in $T and a stand-in for queue-writer.
. "$(dirname "$0")/lib.sh"
DL=$BIN/deliver-local
export QUAIL_HOME=$T/quail
mkdir -p "$QUAIL_HOME/control"
H=$T/home
QQ=$T/qq
MSG=$T/msg
SENDER=a@b.example
printf 'From: a@b.example\nSubject: test\n\nFrom the start\n>From quoted\nbody\n' > "$MSG"

# the queue stand-in keeps the message and the envelope of every run
cat > "$T/fakeqq" <<EOF
#!/bin/sh
echo run >> "$QQ/runs"
cat > "$QQ/msg" || exit 54
cat <&1 > "$QQ/env" || exit 54
exit \${QQEXIT:-0}
EOF
chmod 755 "$T/fakeqq"
export QMAILQUEUE=$T/fakeqq

# fresh: an empty home directory with a Maildir
fresh() {
  rm -rf "$H" "$QQ" "$T"/pwned*
  mkdir -p "$H/Maildir/tmp" "$H/Maildir/new" "$H/Maildir/cur" "$QQ"
  chmod 755 "$H"
}
# dl LOCAL DASH EXT [MESSAGE]: deliver to LOCAL@example.org; sets $out and $rc
dl() {
  out=$("$DL" test "$H" "$1" "$2" "$3" example.org "$SENDER" "${DD:-./Maildir/}" < "${4:-$MSG}" 2>&1)
  rc=$?
}
qmail() { printf "$2" > "$H/$1"; chmod 644 "$H/$1"; }   # qmail FILE CONTENT
envelope_of() { tr '\0' '|' < "$QQ/env"; }
tmp_empty() { [ -z "$(ls -A "$H/Maildir/tmp")" ]; }

# ---- usage ----
fresh
out=$("$DL" 2>&1); rc=$?
is "$rc" 100 "no arguments: usage, exit 100"
like "$out" 'usage: deliver-local' "usage text"
out=$("$DL" test relative/home test '' '' example.org a@b ./Maildir/ < "$MSG" 2>&1); rc=$?
is "$rc" 100 "a relative home directory is a usage error"

# ---- the default delivery into a Maildir ----
fresh
dl test '' ''
is "$rc" 0 "no .qmail: delivered by defaultdelivery"
is "$out" "did 1+0+0" "report: one file delivery"
is "$(md_count "$H/Maildir")" 1 "one message in new/"
f=$(ls "$H/Maildir/new")
like "$f" '^[0-9]+\.M[0-9]+P[0-9]+_[0-9]+\.[^/]+$' "unique name time.MusecPpid_count.host"
is "$(sed -n 1p "$H/Maildir/new/$f")" "Return-Path: <a@b.example>" "Return-Path line first"
is "$(sed -n 2p "$H/Maildir/new/$f")" "Delivered-To: test@example.org" "Delivered-To line second"
ok "the message follows unchanged" cmp -s <(tail -n +3 "$H/Maildir/new/$f") "$MSG"
ok "nothing left in tmp/" tmp_empty
is "$(stat -c %a "$H/Maildir/new/$f")" 600 "message file mode 600"
dl test '' ''
is "$(md_count "$H/Maildir")" 2 "a second delivery gets a second name"

out=$(cat "$MSG" | "$DL" test "$H" test '' '' example.org a@b ./Maildir/ 2>&1); rc=$?
is "$rc" 111 "message on a pipe (not seekable): temporary failure"
like "$out" 'rewind.*\(#4\.3\.0\)' "says it cannot rewind the message"

fresh
rm -rf "$H/Maildir"
dl test '' ''
is "$rc" 111 "missing Maildir: temporary failure"
like "$out" 'Maildir \./Maildir/: No such file or directory\. \(#4\.[0-9]\.[0-9]\)$' "names the Maildir and the reason"

fresh
qmail .qmail ''
dl test '' ''
is "$rc.$(md_count "$H/Maildir")" "0.1" "empty .qmail: defaultdelivery"
qmail .qmail '# just a comment\n./Maildir/\n'
dl test '' ''
is "$rc.$(md_count "$H/Maildir")" "0.2" "comment lines are ignored"
qmail .qmail '\n./Maildir/\n'
dl test '' ''
is "$rc" 111 "first line blank: temporary failure"
like "$out" 'first line of \.qmail file is blank' "says so"

# ---- mbox ----
fresh
qmail .qmail './mbox\n'
printf 'From: x\n\nFrom here\n>From there\n>>From far\nFrom\nFromage\nlast line without newline' > "$T/m2"
dl test '' '' "$T/m2"
is "$rc" 0 "mbox delivery"
is "$out" "did 1+0+0" "mbox report"
like "$(head -1 "$H/mbox")" '^From a@b\.example (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}$' "From line with sender and date"
cat > "$T/want" <<'EOF'
Return-Path: <a@b.example>
Delivered-To: test@example.org
From: x

>From here
>>From there
>>>From far
From
Fromage
last line without newline

EOF
ok "From quoting, a newline added, a blank line at the end" cmp -s <(tail -n +2 "$H/mbox") "$T/want"
is "$(stat -c %a "$H/mbox")" 600 "a new mbox has mode 600"
size=$(stat -c %s "$H/mbox")
SENDER= dl test '' ''
is "$rc" 0 "a second message is appended"
ok "the first message is untouched" cmp -s <(head -c "$size" "$H/mbox") <(cat <(head -1 "$H/mbox") "$T/want")
is "$(tail -c +$((size + 1)) "$H/mbox" | head -1 | cut -d' ' -f1-2)" "From MAILER-DAEMON" "null sender: From MAILER-DAEMON"
like "$(tail -c +$((size + 1)) "$H/mbox" | sed -n 2p)" '^Return-Path: <>$' "null sender: Return-Path: <>"

# locking: a holder of the lock writes after we start; our message comes after it
for how in flock fcntl; do
  fresh
  qmail .qmail './mbox\n'
  printf 'old\n' > "$H/mbox"
  if [ $how = flock ]; then
    flock "$H/mbox" sh -c "touch '$T/locked'; sleep 1; echo HOLDER >> '$H/mbox'" &
  else
    $PY -c "
import fcntl, time, sys
f = open('$H/mbox', 'a')
fcntl.lockf(f, fcntl.LOCK_EX)
open('$T/locked', 'w').close()
time.sleep(1)
f.write('HOLDER\n'); f.flush()
" &
  fi
  holder=$!
  wait_for 5 test -e "$T/locked"
  dl test '' ''
  wait $holder
  rm -f "$T/locked"
  is "$rc" 0 "$how lock: delivered once the lock is free"
  is "$(sed -n 2p "$H/mbox")" HOLDER "$how lock: waited for the holder to finish"
done

fresh
qmail .qmail './no/such/dir/mbox\n'
dl test '' ''
is "$rc" 111 "mbox in a missing directory: temporary failure"
like "$out" 'Unable to open \./no/such/dir/mbox: No such file or directory\. \(#4\.2\.1\)' "names the file"

# ---- extensions and -default ----
fresh
mkdir -p "$H/one" "$H/two" "$H/three" "$H/four"
for d in one two three four; do mkdir -p "$H/$d/tmp" "$H/$d/new" "$H/$d/cur"; done
qmail .qmail-foo './one/\n'
qmail .qmail-foo-default './two/\n'
qmail .qmail-default './three/\n'
qmail .qmail-a:b './four/\n'
dl test-foo - foo
is "$rc.$(md_count "$H/one")" "0.1" ".qmail-foo for ext foo"
dl test-FOO - FOO
is "$rc.$(md_count "$H/one")" "0.2" "ext lower-cased for the file name"
dl test-foo-bar - foo-bar
is "$rc.$(md_count "$H/two")" "0.1" ".qmail-foo-default for ext foo-bar"
dl test-zip-zap - zip-zap
is "$rc.$(md_count "$H/three")" "0.1" ".qmail-default for ext zip-zap"
dl test-a.b - a.b
is "$rc.$(md_count "$H/four")" "0.1" "dots in ext become colons (.qmail-a:b)"
is "$(md_count "$H/Maildir")" 0 "defaultdelivery not used for extensions"
rm "$H/.qmail-default"
dl test-nothere - nothere
is "$rc" 100 "no .qmail for the extension: permanent failure"
is "$out" "Sorry, no mailbox here by that name. (#5.1.1)" "qmail's bounce text"
is "$(md_count "$H/Maildir")$(md_count "$H/three")" "01" "nothing delivered"

# unsafe extensions: refused before any file is looked at
mkdir -p "$H/.qmail-x"
printf '|touch %s/pwned-slash\n' "$T" > "$H/.qmail-x/y"
dl test-x/y - x/y
is "$rc" 100 "an extension with a slash is refused"
like "$out" '\(#5\.1\.1\)$' "permanent, 5.1.1"
ok "the file behind the slash was not used" test ! -e "$T/pwned-slash"
printf '|touch %s/pwned-dot\n' "$T" > "$H/.qmail-:hidden"
chmod 644 "$H/.qmail-:hidden"
dl test-.hidden - .hidden
is "$rc" 100 "an extension starting with a dot is refused"
ok "no instruction ran" test ! -e "$T/pwned-dot"

# ---- programs: environment, input, exit codes ----
fresh
cat > "$T/showenv" <<'EOF'
#!/bin/sh
for v in USER HOME LOCAL HOST HOST2 HOST3 HOST4 SENDER RECIPIENT EXT EXT2 EXT3 EXT4 DTLINE RPLINE NEWSENDER DEFAULT; do
  eval "printf '%s=[%s]\n' $v \"\${$v-(unset)}\""
done > envout
printf '%s' "$UFLINE" > ufline.out
cat > stdin.out
pwd > cwd.out
EOF
chmod 755 "$T/showenv"
qmail .qmail-foo-default "|$T/showenv\n"
out=$("$DL" joe "$H" joe-foo-bar-baz - foo-bar-baz mail.example.org "$SENDER" ./Maildir/ < "$MSG" 2>&1); rc=$?
is "$rc" 0 "program delivery"
is "$out" "did 0+0+1" "program report"
cat > "$T/want" <<EOF
USER=[joe]
HOME=[$H]
LOCAL=[joe-foo-bar-baz]
HOST=[mail.example.org]
HOST2=[mail.example]
HOST3=[mail]
HOST4=[mail]
SENDER=[a@b.example]
RECIPIENT=[joe-foo-bar-baz@mail.example.org]
EXT=[foo-bar-baz]
EXT2=[bar-baz]
EXT3=[baz]
EXT4=[]
DTLINE=[Delivered-To: joe-foo-bar-baz@mail.example.org
]
RPLINE=[Return-Path: <a@b.example>
]
NEWSENDER=[a@b.example]
DEFAULT=[bar-baz]
EOF
ok "qmail-command environment" cmp -s "$H/envout" "$T/want" || diag "$(diff "$H/envout" "$T/want")"
like "$(cat "$H/ufline.out")" '^From a@b\.example [A-Z][a-z]{2} .* [0-9]{4}$' "UFLINE is the mbox From line"
ok "program reads the message without the added lines" cmp -s "$H/stdin.out" "$MSG"
is "$(cat "$H/cwd.out")" "$H" "program runs in the home directory"

prog() { # CODE: a .qmail whose program exits CODE, then a Maildir line
  qmail .qmail "|exit $1\n./Maildir/\n"
  dl test '' ''
}
fresh
prog 0
is "$rc.$(md_count "$H/Maildir")" "0.1" "exit 0: go on with the next line"
is "$out" "did 1+0+1" "exit 0: both counted"
fresh
prog 99
is "$rc.$(md_count "$H/Maildir")" "0.0" "exit 99: success, the rest ignored"
for c in 100 64 65 70 76 77 78 112; do
  fresh
  prog $c
  is "$rc.$(md_count "$H/Maildir")" "100.0" "exit $c: permanent failure, nothing more done"
done
like "$out" 'Program failed with exit code 112\. \(#5\.3\.0\)$' "a silent failing program: its exit code is the reason"
for c in 111 1 2 75; do
  fresh
  prog $c
  is "$rc.$(md_count "$H/Maildir")" "111.0" "exit $c: temporary failure"
done
fresh
qmail .qmail '|echo "Sorry, I do not want this. (#5.7.1)"; exit 100\n'
dl test '' ''
is "$rc" 100 "program with a reason: permanent"
is "$out" "Sorry, I do not want this. (#5.7.1)" "its output is the report"
fresh
qmail .qmail '|kill -SEGV $$\n'
dl test '' ''
is "$rc" 111 "a crashed program: temporary failure"
like "$out" 'Aack, child crashed\. \(#4\.3\.0\)' "says it crashed"
fresh
qmail .qmail './Maildir/\n|exit 100\n'
dl test '' ''
is "$rc.$(md_count "$H/Maildir")" "100.1" "as qmail-local: an earlier delivery stays, the failure still bounces"

# the time-out kills the whole process group
fresh
echo 1 > "$QUAIL_HOME/control/timeoutlocal"
qmail .qmail '|sleep 30 & echo $! > bg.pid; sleep 30\n'
dl test '' ''
is "$rc" 111 "program past timeoutlocal: temporary failure"
like "$out" 'Timeout on program delivery\. \(#4\.3\.0\)' "says it timed out"
gone() { ! kill -0 "$1" 2>/dev/null || grep -q ') Z' "/proc/$1/stat" 2>/dev/null; }
bg=$(cat "$H/bg.pid" 2>/dev/null)
ok "its background child was killed too" wait_for 5 gone "${bg:-1}"
echo garbage > "$QUAIL_HOME/control/timeoutlocal"
dl test '' ''
is "$rc" 111 "a malformed timeoutlocal: temporary failure"
like "$out" 'control/timeoutlocal' "names the control file"
rm -f "$QUAIL_HOME/control/timeoutlocal"
mkdir "$QUAIL_HOME/control/timeoutlocal"
dl test '' ''
is "$rc" 111 "an unreadable timeoutlocal: temporary failure"
rmdir "$QUAIL_HOME/control/timeoutlocal"

# ---- forwards ----
fresh
qmail .qmail '&fwd1@example.net\nfwd2@example.net   \n./Maildir/\n'
dl test '' ''
is "$rc" 0 "forward and Maildir"
like "$out" '^did 1\+2\+0
qp [0-9]+$' "report counts the forwards and names the queue process"
is "$(wc -l < "$QQ/runs")" 1 "one queue run for all forwards"
is "$(envelope_of)" "Fa@b.example|Tfwd1@example.net|Tfwd2@example.net||" "envelope: sender kept, both recipients"
ok "forwarded message: Delivered-To, then the message" cmp -s "$QQ/msg" <(printf 'Delivered-To: test@example.org\n'; cat "$MSG")
is "$(md_count "$H/Maildir")" 1 "the Maildir line was followed too"

fresh
qmail .qmail '&fwd@example.net\n|exit 111\n'
dl test '' ''
is "$rc" 111 "a failing program before the end: temporary failure"
ok "and no forward was queued" test ! -e "$QQ/runs"
fresh
qmail .qmail '&fwd@example.net\n'
QQEXIT=71 dl test '' ''
is "$rc" 111 "queue refuses temporarily (71): temporary failure"
like "$out" 'Unable to forward message: .*\(#4\.3\.0\)$' "says the forward failed"
QQEXIT=31 dl test '' ''
is "$rc" 100 "queue refuses permanently (31): permanent failure"
like "$out" '\(#5\.3\.0\)$' "permanent status code"
QMAILQUEUE=$T/no-such-queue dl test '' ''
is "$rc" 111 "queue program missing: temporary failure"

# NEWSENDER: the -owner files of dot-qmail(5)
fresh
qmail .qmail-list '&m1@example.net\n'
qmail .qmail-list-owner './Maildir/\n'
dl test-list - list
is "$(envelope_of)" "Ftest-list-owner@example.org|Tm1@example.net||" ".qmail-EXT-owner: forwards go out from local-owner@domain"
qmail .qmail-list-owner-default './Maildir/\n'
dl test-list - list
is "$(envelope_of)" "Ftest-list-owner-@example.org-@[]|Tm1@example.net||" "with -owner-default too: a VERP sender"
SENDER= dl test-list - list
is "$(envelope_of)" "F|Tm1@example.net||" "a bounce keeps its null sender"

# ---- loops ----
fresh
printf 'Received: x\nDelivered-To: test@example.org\nSubject: loop\n\nbody\n' > "$T/loop"
dl test '' '' "$T/loop"
is "$rc" 100 "our Delivered-To line in the header: permanent failure"
is "$out" "This message is looping: it already has my Delivered-To line. (#5.4.6)" "qmail's loop text"
is "$(md_count "$H/Maildir")" 0 "looping message not delivered"
printf 'DELIVERED-TO: Test@Example.ORG\r\n\nbody\n' > "$T/loop"
dl test '' '' "$T/loop"
is "$rc" 100 "the comparison ignores case (and a CR)"
{ printf 'X-Long: '; head -c 300000 /dev/zero | tr '\0' a; printf '\nDelivered-To: test@example.org\n\nbody\n'; } > "$T/loop"
dl test '' '' "$T/loop"
is "$rc" 100 "found after a 300 kB header line"
printf 'Delivered-To: other@example.org\n\nDelivered-To: test@example.org\n' > "$T/loop"
dl test '' '' "$T/loop"
is "$rc.$(md_count "$H/Maildir")" "0.1" "the line in the body or another recipient's line is no loop"

# ---- permissions ----
fresh
qmail .qmail './Maildir/\n'
# qmail's conf-patrn 002: a group-writable .qmail (umask 002, ezmlm-make's)
# is read; a world-writable one is refused
chmod 664 "$H/.qmail"
dl test '' ''
is "$rc.$(md_count "$H/Maildir")" "0.1" "group-writable .qmail: read and followed, as qmail-local does"
chmod 775 "$H"
dl test '' ''
is "$rc.$(md_count "$H/Maildir")" "0.2" "group-writable home: delivered too"
chmod 755 "$H"
chmod 646 "$H/.qmail"
dl test '' ''
is "$rc" 111 "world-writable .qmail: temporary failure"
like "$out" 'Uh-oh: \.qmail file is writable\. \(#4\.7\.0\)' "qmail's Uh-oh"
fresh
qmail .qmail './Maildir/\n'
chmod 757 "$H"
dl test '' ''
is "$rc" 111 "world-writable home: temporary failure"
like "$out" 'home directory is writable' "says so"
chmod 1755 "$H"
dl test '' ''
is "$rc" 111 "sticky home: temporary failure"
like "$out" 'sticky' "says the home is sticky"
out=$("$DL" -n test "$H" test '' '' example.org a@b ./Maildir/ 2>&1 </dev/null); rc=$?
is "$rc" 0 "sticky home with -n: only a warning"
is "$(md_count "$H/Maildir")" 0 "nothing delivered while sticky"
chmod 755 "$H"
chmod 744 "$H/.qmail"
dl test '' ''
is "$rc" 111 "x bit set and a file line: temporary failure"
like "$out" 'x bit set' "says why"
qmail .qmail '&fwd@example.net\n'
chmod 744 "$H/.qmail"
dl test '' ''
is "$rc" 0 "x bit set with forwards only: fine"
qmail .qmail '+list\n|true\n'
dl test '' ''
is "$rc" 111 "+list then a program line: temporary failure"

# ---- -n ----
fresh
qmail .qmail '# c\n./Maildir/\n./mbox\n|echo hi\n&x@example.net\nz@example.net\n'
out=$("$DL" -n test "$H" test '' '' example.org a@b ./Maildir/ 2>&1 </dev/null); rc=$?
is "$rc" 0 "-n: exit 0"
is "$out" "maildir ./Maildir/
mbox ./mbox
program echo hi
forward x@example.net
forward z@example.net
did 2+2+1" "-n prints the instructions"
ok "-n delivers nothing" test "$(md_count "$H/Maildir")" = 0 -a ! -e "$H/mbox" -a ! -e "$QQ/runs"

# ---- hostile addresses reach programs only through the environment ----
fresh
evil='x$(touch '$T'/pwned1)`touch '$T'/pwned2`;touch '$T'/pwned3|"y'"'"'@b.example'
evil_local='test-a;touch pwned4'
qmail .qmail-default '|printf "%%s\\n" "$SENDER" "$LOCAL" > meta.out\n./Maildir/\n&fwd@example.net\n'
out=$("$DL" test "$H" "$evil_local" - "a;touch pwned4" example.org "$evil" ./Maildir/ < "$MSG" 2>&1); rc=$?
is "$rc" 0 "shell metacharacters in sender and local: delivered"
is "$(cat "$H/meta.out")" "$evil
$evil_local" "the program sees them verbatim in SENDER and LOCAL"
ok "no command in them ran" test -z "$(ls "$T" "$H" | grep pwned)"
is "$(envelope_of)" "F$evil|Tfwd@example.net||" "the forward keeps the hostile sender as data"

# ---- a full disk (root: a small tmpfs) ----
if [ "$(id -u)" = 0 ] && mkdir -p "$T/full" && mount -t tmpfs -o size=256k,mode=755 tmpfs "$T/full" 2>/dev/null; then
  H=$T/full/home
  mkdir -p "$H/Maildir/tmp" "$H/Maildir/new" "$H/Maildir/cur"
  chmod 755 "$H"
  { printf 'Subject: big\n\n'; head -c 2000000 /dev/zero | tr '\0' x | fold -w 70; } > "$T/big"
  dl test '' '' "$T/big"
  is "$rc" 111 "disk full, Maildir: temporary failure"
  like "$out" 'No space left on device\. \(#4\.2\.2\)$' "disk full: says so, mailbox-full status"
  is "$(ls -A "$H/Maildir/tmp" "$H/Maildir/new" | grep -v : | tr -d '\n')" "" "disk full: nothing left in tmp/ or new/"
  printf 'From old\nkept\n\n' > "$H/mbox"
  qmail .qmail './mbox\n'
  dl test '' '' "$T/big"
  is "$rc" 111 "disk full, mbox: temporary failure"
  is "$(cat "$H/mbox")" "$(printf 'From old\nkept\n')" "disk full: mbox truncated back to its old size"
  H=$T/home
  umount "$T/full"
else
  for i in 1 2 3 4 5; do skip "full disk tests need root and tmpfs"; done
fi

done_testing
