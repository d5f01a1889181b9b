#!/bin/bash
# qmail's .qmail helpers through the real queue: forward, condredirect,
# bouncesaying, except, preline, qreceipt, predate and datemail, each used
# from a .qmail file in the test mailbox's home (sendmail -> queue-writer
# -> queue-manager -> deliver-local -> the helper).
. "$(dirname "$0")/lib.sh"
inst_new
# queue-manager without quail's bin in PATH, as on an installed system:
# deliver-local puts HOME/bin first, so the helpers run by name
PATH=/usr/local/bin:/usr/bin:/bin qm_start
H=$INST/mail/test
dot() { printf "$2" > "$H/.qmail-$1"; chmod 644 "$H/.qmail-$1"; }   # dot EXT CONTENT
send() { printf "$3" | sendmail -f "$1" "$2"; }                      # send FROM TO TEXT
mk() { maildirmake "$H/$1"; }
has() { md_grep "$@" >/dev/null; }                                  # has MAILDIR REGEX
dot got './Maildir/\n'

# ---- forward: NEWSENDER is the envelope sender, DTLINE in front ----
dot fwd '|forward test-got@localhost\n'
send a@example.org test-fwd@localhost 'Subject: fwd1\n\nx\n'
ok "forward: delivered at the new address" wait_for 10 has "$MD" 'Subject: fwd1'
m=$(cat "$(md_grep "$MD" 'Subject: fwd1')")
like "$m" "Delivered-To: test-got@localhost" "forward: the new address's Delivered-To"
like "$m" "Delivered-To: test-fwd@localhost" "forward: DTLINE of the forwarding address went along"
like "$m" "Return-Path: <a@example.org>" "forward: NEWSENDER (the original sender) kept"
dot fwd-owner './Maildir/\n'
send a@example.org test-fwd@localhost 'Subject: fwd2\n\nx\n'
ok "forward with a -owner file: delivered" wait_for 10 has "$MD" 'Subject: fwd2'
like "$(cat "$(md_grep "$MD" 'Subject: fwd2')")" "Return-Path: <test-fwd-owner@localhost>" \
  "forward: the envelope sender is NEWSENDER (test-fwd-owner@localhost)"
rm "$H/.qmail-fwd-owner"

# ---- bouncesaying: the bounce carries its text ----
dot gone "|bouncesaying 'This address no longer accepts mail.'\n./Maildir/\n"
send test@localhost test-gone@localhost 'Subject: to-gone\n\nx\n'
ok "bouncesaying: a bounce came back" wait_for 10 has "$MD" 'This address no longer accepts mail'
b=$(cat "$(md_grep "$MD" 'This address no longer accepts mail')")
like "$b" "<test-gone@localhost>:" "the bounce names the address"
like "$b" "Subject: to-gone" "and quotes the message"
is "$(grep -l 'Delivered-To: test-gone@' "$MD"/new/* 2>/dev/null | xargs -r grep -L 'failure notice' | wc -l)" 0 \
  "bouncesaying stopped the .qmail file: no copy in the Maildir"
dot spamfilter "|bouncesaying 'No spam here.' grep -q SPAMWORD\n./Maildir/\n"
send test@localhost test-spamfilter@localhost 'Subject: ham\n\nclean\n'
ok "bouncesaying with a program that exits 1: the rest of the file delivers" wait_for 10 has "$MD" 'Subject: ham'
send test@localhost test-spamfilter@localhost 'Subject: spam\n\nSPAMWORD\n'
ok "bouncesaying with a program that exits 0: bounced with the text" wait_for 10 has "$MD" 'No spam here'

# ---- condredirect: exit 0 redirects and stops the rest of the file ----
mk Maildir-cr
dot cr '|condredirect test-got@localhost grep -q REDIRECTME\n./Maildir-cr/\n'
send a@example.org test-cr@localhost 'Subject: cr-stay\n\nplain\n'
ok "condredirect, program exits 1: the rest of the file followed" wait_for 10 has "$H/Maildir-cr" 'Subject: cr-stay'
send a@example.org test-cr@localhost 'Subject: cr-go\n\nREDIRECTME\n'
ok "condredirect, program exits 0: redirected" wait_for 10 has "$MD" 'Subject: cr-go'
like "$(cat "$(md_grep "$MD" 'Subject: cr-go')")" "Delivered-To: test-cr@localhost" "the redirected copy carries DTLINE"
ok "queue drains" wait_for 10 queue_empty
is "$(md_count "$H/Maildir-cr")" 1 "condredirect exited 99: the Maildir line after it was not followed"

# ---- except: reverses a filter ----
mk Maildir-ex
dot ex "|bouncesaying 'Only WANTED mail here.' except grep -q WANTED\n./Maildir-ex/\n"
send test@localhost test-ex@localhost 'Subject: ex-yes\n\nWANTED\n'
ok "except: grep matched, except exited 100, bouncesaying let it through" wait_for 10 has "$H/Maildir-ex" 'ex-yes'
send test@localhost test-ex@localhost 'Subject: ex-no\n\nother\n'
ok "except: grep failed, except exited 0, bounced" wait_for 10 has "$MD" 'Only WANTED mail here'
except true; is "$?" 100 "except true: 100"
except false; is "$?" 0 "except false: 0"
except sh -c 'exit 111' 2>/dev/null; is "$?" 111 "except (exit 111): 111"

# ---- preline: the three lines in front, for procmail-like programs ----
cat > "$T/procmail" <<EOF
#!/bin/sh
# a stand-in for procmail: keeps what it is given, then exits as told
cat > "\$HOME/\$1.out"
exit \${2:-0}
EOF
chmod 755 "$T/procmail"
dot pl "|preline $T/procmail pl\n"
dot plq "|preline -dfr $T/procmail plq\n"
send a@example.org test-pl@localhost 'Subject: pl\n\nbody\n'
send a@example.org test-plq@localhost 'Subject: plq\n\nbody\n'
ok "preline: the program ran" wait_for 10 test -s "$H/pl.out"
ok "preline -dfr: the program ran" wait_for 10 test -s "$H/plq.out"
like "$(sed -n 1p "$H/pl.out")" '^From a@example.org [A-Z][a-z][a-z] [A-Z][a-z][a-z] ' "preline: the From_ line first"
is "$(sed -n 2p "$H/pl.out")" "Return-Path: <a@example.org>" "preline: then Return-Path"
is "$(sed -n 3p "$H/pl.out")" "Delivered-To: test-pl@localhost" "preline: then Delivered-To"
like "$(cat "$H/pl.out")" "Subject: pl" "preline: then the message"
unlike "$(head -1 "$H/plq.out")" "^(From |Return-Path|Delivered-To)" "preline -dfr: none of the three lines"
dot plbad "|preline $T/procmail plbad 100\n"
send test@localhost test-plbad@localhost 'Subject: plbad\n\nbody\n'
ok "preline passes the program's exit 100 on: a bounce" wait_for 10 has "$MD" '<test-plbad@localhost>:'

# ---- qreceipt: Notice-Requested-Upon-Delivery-To ----
mk Maildir-asker
dot asker './Maildir-asker/\n'
dot rc './Maildir/\n|qreceipt test-rc@localhost\n'
send test-asker@localhost test-rc@localhost 'Subject: rc-none\n\nno notice wanted\n'
send test-asker@localhost test-rc@localhost \
  'Notice-Requested-Upon-Delivery-To: Someone <test-rc@localhost>\nMessage-ID: <rc1@example>\nSubject: rc-ask\n\nx\n'
ok "qreceipt: a success notice came back to the sender" wait_for 10 has "$H/Maildir-asker" 'success notice'
n=$(cat "$(md_grep "$H/Maildir-asker" 'success notice')")
like "$n" "following address: test-rc@localhost" "the notice names the address"
like "$n" "Return-Path: <>" "from the null sender"
like "$n" "In-Reply-To: <rc1@example>" "refers to the message"
ok "queue drains" wait_for 10 queue_empty
is "$(md_count "$H/Maildir-asker")" 1 "only the message that asked got a notice"
send '' test-rc@localhost 'Notice-Requested-Upon-Delivery-To: test-rc@localhost\nSubject: rc-bounce\n\nx\n'
ok "a bounce asking for a notice is delivered" wait_for 10 has "$MD" 'Subject: rc-bounce'
ok "queue drains" wait_for 10 queue_empty
is "$(md_count "$H/Maildir-asker")" 1 "and gets none (no notice to the null sender)"

# ---- predate and datemail: a Date in the local time zone ----
like "$(echo x | TZ=QQQ-3 predate cat | head -1)" '^Date: [A-Z][a-z][a-z], [0-9]+ [A-Z][a-z][a-z] 20[0-9][0-9] [0-9:]{8} \+0300$' \
  "predate: a Date line first, in the local zone"
is "$(echo body | predate cat | sed -n 2p)" body "predate: then the input"
echo x | predate sh -c 'cat >/dev/null; exit 7'; is "$?" 7 "predate: the program's exit code"
printf 'Subject: datemail\n\nx\n' | TZ=QQQ-3 datemail -f a@example.org test@localhost
ok "datemail: delivered" wait_for 10 has "$MD" 'Subject: datemail'
d=$(cat "$(md_grep "$MD" 'Subject: datemail')")
like "$d" 'Date: .* \+0300' "datemail: the Date is in the local zone (sendmail's own would be +0000)"
is "$(printf '%s\n' "$d" | grep -c '^Date:')" 1 "one Date field"

# ---- forward directly: QMAILQUEUE, the envelope, the usage ----
printf '#!/bin/sh\ncat > "%s/qq.msg"; cat <&1 > "%s/qq.env"\n' "$T" "$T" > "$T/qqrec"
chmod 755 "$T/qqrec"
printf 'Subject: direct\n\nx\n' > "$T/m"
out=$(NEWSENDER=s@x.example DTLINE=$'Delivered-To: t@x.example\n' QMAILQUEUE=$T/qqrec forward a@b.example c@d.example < "$T/m")
is "$?" 0 "forward through QMAILQUEUE: exit 0"
like "$out" '^qp [0-9]+$' "says qp PID"
is "$(tr '\0' '|' < "$T/qq.env")" 'Fs@x.example|Ta@b.example|Tc@d.example||' "the envelope: NEWSENDER, every address"
is "$(head -1 "$T/qq.msg")" "Delivered-To: t@x.example" "DTLINE first"
env -u NEWSENDER DTLINE=x forward a@b < "$T/m" 2>/dev/null; is "$?" 100 "forward without NEWSENDER: 100"
forward 2>/dev/null </dev/null; is "$?" 100 "forward without an address: usage, 100"
printf '#!/bin/sh\ncat >/dev/null; exit 31\n' > "$T/qq31"; chmod 755 "$T/qq31"
NEWSENDER= DTLINE=x QMAILQUEUE=$T/qq31 forward a@b < "$T/m" 2>/dev/null; is "$?" 100 "a permanent refusal by the queue: 100"
printf '#!/bin/sh\ncat >/dev/null; exit 71\n' > "$T/qq71"; chmod 755 "$T/qq71"
NEWSENDER= DTLINE=x QMAILQUEUE=$T/qq71 forward a@b < "$T/m" 2>/dev/null; is "$?" 111 "a temporary refusal: 111"

# ---- SRS: forward and condredirect give a foreign sender an SRS0 address,
# as deliver-local does for an address line (control/srsdomain, srs(8)) ----
echo localhost > "$INST/control/srsdomain"; echo sekrit > "$INST/control/srssecret"
send a@example.org test-fwd@localhost 'Subject: fwd-srs\n\nx\n'
send a@example.org test-cr@localhost 'Subject: cr-srs\n\nREDIRECTME\n'
ok "forward with SRS: delivered" wait_for 10 has "$MD" 'Subject: fwd-srs'
like "$(cat "$(md_grep "$MD" 'Subject: fwd-srs')")" "Return-Path: <SRS0-[A-Za-z0-9]+=[A-Za-z0-9]+=example.org=a@localhost>" \
  "forward: the foreign sender became an SRS0 address at the srsdomain"
ok "condredirect with SRS: delivered" wait_for 10 has "$MD" 'Subject: cr-srs'
like "$(cat "$(md_grep "$MD" 'Subject: cr-srs')")" "Return-Path: <SRS0-[A-Za-z0-9]+=[A-Za-z0-9]+=example.org=a@localhost>" \
  "condredirect: the same"
send test@localhost test-fwd@localhost 'Subject: fwd-local\n\nx\n'
ok "forward of a local sender: delivered" wait_for 10 has "$MD" 'Subject: fwd-local'
like "$(cat "$(md_grep "$MD" 'Subject: fwd-local')")" "Return-Path: <test@localhost>" "a sender at the srsdomain is kept"
rm "$INST/control/srsdomain" "$INST/control/srssecret"

# ---- a group-writable .qmail file is read (qmail's conf-patrn 002) ----
dot gw './Maildir/\n'; chmod 664 "$H/.qmail-gw"
send a@example.org test-gw@localhost 'Subject: groupwritable\n\nx\n'
ok "group-writable .qmail-gw delivered through the queue" wait_for 10 has "$MD" 'Subject: groupwritable'
done_testing
