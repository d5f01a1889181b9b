#!/bin/bash
# The interfaces ezmlm-idx and other qmail add-ons run on, each checked
# against what qmail's own documentation says (qmail-command(8),
# qmail-local(8), dot-qmail(5), qmail-inject(8), qmail-header(5),
# qmail-queue(8), qmail-send(8) and QSBMF), through quail's real
# programs: an instance, queue-manager, inject (qmail-inject),
# queue-writer (qmail-queue) and deliver-local (qmail-local) from the queue.
. "$(dirname "$0")/lib.sh"
inst_new
echo a.b.example.com >> "$INST/control/locals"
qm_start
H=$INST/mail/test
dot() { printf "$2" > "$H/.qmail-$1"; chmod 644 "$H/.qmail-$1"; }   # dot EXT CONTENT
send() { printf "$3" | inject -f "$1" "$2"; }                       # send FROM TO TEXT
has() { md_grep "$@" >/dev/null; }                                  # has MAILDIR REGEX
# a program line that writes the qmail-command(8) variables to FILE, one
# NAME='value' a line (Python's repr: a newline shows as \n; <unset> if unset)
cat > "$H/dump.py" <<'PY'
import os, sys
names = "SENDER NEWSENDER RECIPIENT USER HOME HOST HOST2 HOST3 HOST4 LOCAL EXT EXT2 EXT3 EXT4 DEFAULT DTLINE RPLINE UFLINE".split()
with open(sys.argv[1] + ".tmp", "w") as f:
    for n in names:
        v = os.environ.get(n)
        f.write("%s=%s\n" % (n, "<unset>" if v is None else repr(v)))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
PY
dump() { printf '|%s ./dump.py %s\n' "$PY" "$1"; }                    # dump OUTFILE: the line
var() { sed -n "s/^$1=//p" "$H/$2"; }                                 # var NAME OUTFILE
# the user the instance delivers as: users/assign's second field
ASSIGNED=$(sed -n 's/^=test:\([^:]*\):.*/\1/p' "$INST/users/assign")

# ---- qmail-command(8): the environment of a program, exactly ----
# mail for test-ext-more@a.b.example.com handled by .qmail-ext-default
dot ext-default "$(dump env1)\n"
send someone@example.org test-ext-more@a.b.example.com 'Subject: env\n\nx\n'
ok "a program in .qmail-ext-default ran for test-ext-more@a.b.example.com" wait_for 15 test -f "$H/env1"
is "$(var SENDER env1)" "'someone@example.org'" "SENDER is the envelope sender"
is "$(var NEWSENDER env1)" "'someone@example.org'" "NEWSENDER is the sender when there is no -owner file"
is "$(var RECIPIENT env1)" "'test-ext-more@a.b.example.com'" "RECIPIENT is local@domain"
is "$(var USER env1)" "'$ASSIGNED'" "USER is users/assign's user"
is "$(var HOME env1)" "'$H'" "HOME is the home directory"
is "$(var HOST env1)" "'a.b.example.com'" "HOST is the domain"
is "$(var HOST2 env1)" "'a.b.example'" "HOST2: HOST before its last dot"
is "$(var HOST3 env1)" "'a.b'" "HOST3: before its second-to-last dot"
is "$(var HOST4 env1)" "'a'" "HOST4: before its third-to-last dot"
is "$(var LOCAL env1)" "'test-ext-more'" "LOCAL is the local part"
is "$(var EXT env1)" "'ext-more'" "EXT is the extension"
is "$(var EXT2 env1)" "'more'" "EXT2: EXT after its first dash"
is "$(var EXT3 env1)" "''" "EXT3: empty when EXT has one dash"
is "$(var EXT4 env1)" "''" "EXT4: empty"
is "$(var DEFAULT env1)" "'more'" "DEFAULT: the part -default stood for"
is "$(var DTLINE env1)" "'Delivered-To: test-ext-more@a.b.example.com\\n'" "DTLINE with its newline"
is "$(var RPLINE env1)" "'Return-Path: <someone@example.org>\\n'" "RPLINE with its newline"
like "$(var UFLINE env1)" "^'From someone@example\\.org (Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}\\\\n'\$" \
  "UFLINE: From_, the sender, ctime's date, newline"

# case is kept as the envelope has it (qmail-send and qmail-lspawn look
# up users/assign and locals without regard to case, and pass the address on)
dot ext-default "$(dump env1c)\n"
send someone@example.org Test-Ext-More@A.B.Example.COM 'Subject: envcase\n\nx\n'
ok "a program ran for Test-Ext-More@A.B.Example.COM" wait_for 15 test -f "$H/env1c"
is "$(var LOCAL env1c)/$(var HOST env1c)/$(var RECIPIENT env1c)" "'Test-Ext-More'/'A.B.Example.COM'/'Test-Ext-More@A.B.Example.COM'" \
  "LOCAL, HOST and RECIPIENT keep the address's case"
is "$(var EXT env1c)/$(var DEFAULT env1c)/$(var HOST2 env1c)" "'Ext-More'/'More'/'A.B.Example'" "EXT, DEFAULT and HOST2 too"
is "$(var DTLINE env1c)" "'Delivered-To: Test-Ext-More@A.B.Example.COM\\n'" "DTLINE too"

# more dashes: EXT2..EXT4, and a host with fewer dots than HOST4 needs
dot x-default "$(dump env2)\n"
send '' test-x-a-b-c@localhost 'Subject: env2\n\nx\n'
ok "a program ran for test-x-a-b-c@localhost (null sender)" wait_for 15 test -f "$H/env2"
is "$(var EXT env2)/$(var EXT2 env2)/$(var EXT3 env2)/$(var EXT4 env2)" "'x-a-b-c'/'a-b-c'/'b-c'/'c'" "EXT, EXT2, EXT3, EXT4 after each dash"
is "$(var HOST2 env2)/$(var HOST3 env2)/$(var HOST4 env2)" "'localhost'/'localhost'/'localhost'" "HOST2..4 of a dotless host: the whole host"
is "$(var SENDER env2)" "''" "SENDER empty for the null sender"
is "$(var RPLINE env2)" "'Return-Path: <>\\n'" "RPLINE of the null sender: <>"
like "$(var UFLINE env2)" "^'From MAILER-DAEMON " "UFLINE of the null sender: From MAILER-DAEMON"
is "$(var DEFAULT env2)" "'a-b-c'" "DEFAULT of .qmail-x-default"

# ---- dot-qmail(5): which file, and DEFAULT ----
# case and dots: the file name is lower-cased with dots as colons; EXT and
# DEFAULT keep the address as it came
dot foo:bar-default "$(dump env3)\n"
send someone@example.org test-Foo.Bar-Baz.Q@localhost 'Subject: env3\n\nx\n'
ok ".qmail-foo:bar-default used for test-Foo.Bar-Baz.Q" wait_for 15 test -f "$H/env3"
is "$(var EXT env3)" "'Foo.Bar-Baz.Q'" "EXT as in the address"
is "$(var DEFAULT env3)" "'Baz.Q'" "DEFAULT as in the address"
# an exact file beats -default, and then DEFAULT is not set
dot ext-exact "$(dump env4)\n"
send someone@example.org test-ext-exact@localhost 'Subject: env4\n\nx\n'
ok ".qmail-ext-exact used rather than .qmail-ext-default" wait_for 15 test -f "$H/env4"
is "$(var DEFAULT env4)" "<unset>" "DEFAULT not set for a file not ending in default"
# the longest -default first: .qmail-ext-more-default over .qmail-ext-default
dot ext-more-default "$(dump env5)\n"
send someone@example.org test-ext-more-x@localhost 'Subject: env5\n\nx\n'
ok ".qmail-ext-more-default used for test-ext-more-x" wait_for 15 test -f "$H/env5"
is "$(var DEFAULT env5)" "'x'" "  DEFAULT is x"
# .qmail-default last of all
dot default "$(dump env6)\n"
send someone@example.org test-zzz-y@localhost 'Subject: env6\n\nx\n'
ok ".qmail-default used for test-zzz-y" wait_for 15 test -f "$H/env6"
is "$(var DEFAULT env6)" "'zzz-y'" "  DEFAULT is the whole extension"
rm "$H/.qmail-default"
# NEWSENDER: .qmail-EXT-owner makes it local-owner@domain, with
# .qmail-EXT-owner-default too local-owner-@domain-@[]
dot lst "$(dump env7)\n"
dot lst-owner './Maildir/\n'
send someone@example.org test-lst@localhost 'Subject: env7\n\nx\n'
ok "a program ran for test-lst" wait_for 15 test -f "$H/env7"
is "$(var NEWSENDER env7)" "'test-lst-owner@localhost'" "NEWSENDER with .qmail-lst-owner"
dot lst "$(dump env8)\n"
dot lst-owner-default './Maildir/\n'
send someone@example.org test-lst@localhost 'Subject: env8\n\nx\n'
ok "and again with .qmail-lst-owner-default" wait_for 15 test -f "$H/env8"
is "$(var NEWSENDER env8)" "'test-lst-owner-@localhost-@[]'" "NEWSENDER is a VERP with .qmail-lst-owner-default"
rm "$H/.qmail-lst-owner" "$H/.qmail-lst-owner-default"

# ---- qmail-command(8): exit codes ----
# 99: success, the following lines ignored; forwards before it still go
maildirmake "$H/fwdbox"; maildirmake "$H/after"; maildirmake "$H/fwd2box"
dot fwd './fwdbox/\n'
dot fwd2 './fwd2box/\n'
dot stop '&test-fwd@localhost\n|exit 99\n./after/\n&test-fwd2@localhost\n'
send test@localhost test-stop@localhost 'Subject: stop99\n\nx\n'
ok "exit 99: the forward before it delivered" wait_for 15 has "$H/fwdbox" 'Subject: stop99'
ok "queue drains" wait_for 15 queue_empty
is "$(md_count "$H/after")" 0 "exit 99: the Maildir line after it ignored"
is "$(md_count "$H/fwd2box")" 0 "exit 99: the forward after it ignored"
nok "exit 99 is no failure: no bounce" has "$MD" 'Subject: failure notice'
# 100 and qmail's other hard codes bounce; 111 and the rest are retried
for c in 100 64 65 70 76 77 78 112; do dot "hard$c" "|echo hard exit $c; exit $c\n"; done
for c in 100 64 65 70 76 77 78 112; do send test@localhost "test-hard$c@localhost" "Subject: hard$c\n\nx\n"; done
for c in 100 64 65 70 76 77 78 112; do
  ok "exit $c bounces" wait_for 15 has "$MD" "^hard exit $c\$"
done
dot soft1 '|exit 1\n'
dot soft111 '|echo try later; exit 111\n'
send test@localhost test-soft1@localhost 'Subject: soft1\n\nx\n'
send test@localhost test-soft111@localhost 'Subject: soft111\n\nx\n'
ok "exit 111 is a deferral" wait_for 15 grep -q 'deferral: try.later' "$INST/qm.log"
ok "exit 1 is a deferral" wait_for 15 grep -q 'deferral: Program.failed.with.exit.code.1' "$INST/qm.log"
nok "  and neither bounces" has "$MD" '<test-soft1*@localhost>:'
# a missing .qmail-EXT (and no -default) bounces with qmail-local's text
send test@localhost test-nobody@localhost 'Subject: nobody\n\nx\n'
ok "no .qmail file for the extension: a bounce" wait_for 15 has "$MD" 'Sorry, no mailbox here by that name. \(#5\.1\.1\)'

# ---- QSBMF (qmail-send's bounces, cr.yp.to/proto/qsbmf.txt) ----
# read a bounce as ezmlm-return does: the header paragraph, MIME boundary
# paragraphs skipped, an introduction beginning "Hi. This is the", one
# paragraph per recipient beginning <address>:, a break paragraph
# beginning with -, then the copy of the message
cat > "$T/qsbmf.py" <<'PY'
import sys
data = open(sys.argv[1]).read()
paras, cur = [], ""
for line in data.splitlines(True):
    cur += line
    if line == "\n":
        paras.append(cur); cur = ""
paras.append(cur)
header, rest = paras[0], paras[1:]
while rest and rest[0].startswith("--"):
    rest = rest[1:]
intro = rest.pop(0)
print("INTRO " + intro.rstrip("\n").replace("\n", "|"))
while rest:
    p = rest.pop(0)
    if p.startswith("-"):
        print("BREAK " + p.rstrip("\n"))
        while rest and (not rest[0].startswith("--") or "rfc822" not in rest[0]):   # the DSN part
            rest = rest[1:]
        rest = rest[1:]
        print("COPY " + (rest[0].split("\n")[0] if rest else ""))
        break
    if p.startswith("<"):
        addr, _, text = p.partition(">:\n")
        print("RCPT " + addr[1:] + " " + text.rstrip("\n").replace("\n", "|"))
for h in header.splitlines():
    if h.split(":")[0].lower() in ("from", "to", "subject"):
        print("HDR " + h)
PY
b=$(md_grep "$MD" '^hard exit 100$')
q=$($PY "$T/qsbmf.py" "$b")
like "$q" "^INTRO Hi\\. This is the [a-z-]+ program at localhost\\.\\|I'm afraid I wasn't able to deliver your message to the following addresses\\.\\|This is a permanent error; I've given up\\. Sorry it didn't work out\\." "QSBMF: qmail-send's introduction"
like "$q" "RCPT test-hard100@localhost hard exit 100" "QSBMF: <address>: and the program's report"
like "$q" "BREAK --- Below this line is a copy of the message\\." "QSBMF: the break paragraph"
like "$q" "COPY Return-Path: <test@localhost>" "the copy starts with the Return-Path line, as qmail-send's"
like "$q" "HDR From: MAILER-DAEMON@localhost" "From: bouncefrom@bouncehost (MAILER-DAEMON@me)"
like "$q" "HDR To: test@localhost" "To: the envelope sender"
like "$q" "HDR Subject: failure notice" "Subject: failure notice"
# a report of several lines keeps them, as qmail-send's paragraph does
dot multi '|echo first line; echo second line; exit 100\n'
send test@localhost test-multi@localhost 'Subject: multi\n\nx\n'
ok "a program that prints two lines and exits 100 bounces" wait_for 15 has "$MD" '<test-multi@localhost>:'
q=$($PY "$T/qsbmf.py" "$(md_grep "$MD" '<test-multi@localhost>:')")
like "$q" "RCPT test-multi@localhost first line\\|second line" "both lines of the report, one a line"
# a failed bounce (null sender) is a double bounce to doublebounceto
# (postmaster, alias/.qmail-postmaster: test) with sender #@[], in
# qmail-send's words for it
maildirmake "$H/pmbox"
printf '&test-pm@localhost\n' > "$INST/alias/.qmail-postmaster"
dot pm './pmbox/\n'
send '' test-hard100@localhost 'Subject: nullsender\n\nx\n'
ok "a bounce that fails: a double bounce to postmaster" wait_for 15 has "$H/pmbox" 'Subject: failure notice'
d=$(md_grep "$H/pmbox" 'Subject: failure notice')
like "$(cat "$d")" "Return-Path: <#@\\[\\]>" "  its envelope sender is #@[]"
q=$($PY "$T/qsbmf.py" "$d")
like "$q" "^INTRO Hi\\. This is the [a-z-]+ program at localhost\\.\\|I tried to deliver a bounce message to this address, but the bounce bounced!\$" "  qmail-send's introduction of a double bounce"
like "$q" "BREAK --- Below this line is the original bounce\\." "  and its break paragraph"
# a message from #@[] that fails is dropped (a triple bounce)
printf 'Subject: triple\n\nx\n' | inject -f '#@[]' test-hard100@localhost
ok "a triple bounce is discarded and logged" wait_for 15 grep -q 'triple bounce: discarding' "$INST/qm.log"
rm "$INST/alias/.qmail-postmaster"

# ---- qmail-queue(8): queue-writer's interface ----
envelope() { # envelope NAME ENVELOPE CODE: the exit code for ENVELOPE
  printf 'Subject: qq\n\nx\n' > "$T/qqmsg"
  printf "$2" > "$T/qqenv"
  queue-writer < "$T/qqmsg" 1< "$T/qqenv"
  is "$?" "$3" "qmail-queue: $1: exit $3"
}
qm_stop
n0=$(q_ids "$INST/queue" | wc -l)     # the two deferred above
envelope "a good envelope" 'Fa@example.org\0Ttest@localhost\0\0' 0
envelope "end of file before the last NUL (54: unable to read the envelope)" 'Fa@example.org\0Tb@example.org\0' 54
envelope "end of file in an address" 'Fa@example.org\0Tb@exa' 54
envelope "no envelope at all" '' 54
envelope "not F first (91: envelope format error)" 'Ta@example.org\0\0' 91
envelope "a recipient without T" 'Fa@example.org\0Xb@example.org\0\0' 91
long=$(printf 'x%.0s' $(seq 1100))
envelope "an address too long (11)" "Fa@example.org\\0T$long@example.org\\0\\0" 11
envelope "no recipients: accepted" 'Fa@example.org\0\0' 0
is "$(q_ids "$INST/queue" | wc -l)" "$((n0 + 1))" "only the good envelope's message is queued"
qm_start
ok "it is delivered" wait_for 15 has "$MD" '^Subject: qq$'
like "$(sed -n 3p "$(md_grep "$MD" '^Subject: qq$')")" "^Received: \\([a-z]+ [0-9]+ invoked by uid $(id -u)\\); " \
  "qmail-queue's Received line first: (NAME PID invoked by uid UID); DATE"

# the callers read qmail-queue's codes as qmail-queue(8) says: 11 to 40
# permanent, every other one temporary
for c in 11 31 40 51 54 71 81 91; do
  printf '#!/bin/sh\ncat > /dev/null; exit %s\n' "$c" > "$T/qq$c"; chmod 755 "$T/qq$c"
  printf 'To: x@example.org\n\nx\n' | QMAILQUEUE="$T/qq$c" inject 2>/dev/null
  st=$?
  if [ "$c" -le 40 ]; then is "$st" 100 "qmail-inject: the queue program's $c is permanent (100)"
  else is "$st" 111 "qmail-inject: the queue program's $c is temporary (111)"; fi
done

# ---- qmail-inject(8), qmail-header(5): envelope and header ----
# QMAILQUEUE names a program that stands for qmail-queue: it gets the
# message on 0 and the envelope on 1 and keeps both
cat > "$T/qqsave" <<EOF
#!/bin/sh
cat > "$T/qq.msg" && tr '\\0' '|' <&1 > "$T/qq.env"
EOF
chmod 755 "$T/qqsave"
inj() { rm -f "$T/qq.msg" "$T/qq.env"; env -u USER -u LOGNAME -u NAME -u MAILNAME -u MAILUSER -u MAILHOST QMAILQUEUE="$T/qqsave" "$@"; }
hdr() { sed -n "s/^$1: //p" "$T/qq.msg" | head -n 1; }
M='To: rcpt@example.net\nSubject: inj\n\nbody\n'
printf "$M" | inj inject -f env@example.org
is "$(cat "$T/qq.env")" "Fenv@example.org|Trcpt@example.net||" "QMAILQUEUE runs instead of qmail-queue; -f sets the envelope sender; recipients from To"
printf "Return-Path: <rp@example.org>\n$M" | inj inject
is "$(cut -d'|' -f1 "$T/qq.env")" "Frp@example.org" "without -f, Return-Path sets the envelope sender"
nok "  and is deleted" grep -qi '^Return-Path:' "$T/qq.msg"
printf "Return-Path: <rp@example.org>\n$M" | inj inject -f env@example.org
is "$(cut -d'|' -f1 "$T/qq.env")" "Fenv@example.org" "-f overrides Return-Path"
printf "Return-Path: <rp@example.org>\n$M" | inj env QMAILINJECT=s QMAILUSER=u QMAILHOST=h.example.com inject
is "$(cut -d'|' -f1 "$T/qq.env")" "Fu@h.example.com" "QMAILINJECT=s: Return-Path ignored"
nok "  and deleted all the same" grep -qi '^Return-Path:' "$T/qq.msg"
printf "$M" | inj env QMAILUSER=qu MAILUSER=mu USER=uu LOGNAME=lu QMAILHOST=qh.example.com MAILHOST=mh.example.com QMAILNAME='Q Name' MAILNAME=mn NAME=nn inject
is "$(hdr From)" '"Q Name" <qu@qh.example.com>' "From: QMAILNAME, QMAILUSER, QMAILHOST first"
is "$(cut -d'|' -f1 "$T/qq.env")" "Fqu@qh.example.com" "the envelope sender is the From address"
printf "$M" | inj env MAILUSER=mu USER=uu LOGNAME=lu MAILHOST=mh.example.com MAILNAME=mn NAME=nn inject
is "$(hdr From)" '"mn" <mu@mh.example.com>' "then MAILNAME, MAILUSER, MAILHOST"
printf "$M" | inj env USER=uu LOGNAME=lu NAME=nn inject
is "$(hdr From)" '"nn" <uu@localhost>' "then NAME, USER, and defaulthost (control/me)"
printf "$M" | inj env LOGNAME=lu inject
is "$(hdr From)" 'lu@localhost' "then LOGNAME; no name, no quotes"
printf "$M" | inj inject
is "$(hdr From)" 'anonymous@localhost' "and anonymous"
printf "$M" | inj env QMAILUSER=qu QMAILSUSER=su QMAILSHOST=sh.example.com inject
is "$(cut -d'|' -f1 "$T/qq.env")/$(hdr From)" "Fsu@sh.example.com/qu@localhost" "QMAILSUSER and QMAILSHOST: the envelope sender only"
printf "From: keep@example.org\nMessage-ID: <keep@example.org>\n$M" | inj env QMAILUSER=qu inject
is "$(hdr From)/$(hdr Message-ID)" "keep@example.org/<keep@example.org>" "a From and a Message-ID given are kept"
printf "From: keep@example.org\nMessage-ID: <keep@example.org>\n$M" | inj env QMAILUSER=qu QMAILINJECT=f inject
is "$(hdr From)" "qu@localhost" "QMAILINJECT=f: the From given is replaced"
printf "From: keep@example.org\nMessage-ID: <keep@example.org>\n$M" | inj env QMAILINJECT=i inject
unlike "$(hdr Message-ID)" "keep@example" "QMAILINJECT=i: the Message-ID given is replaced"
like "$(hdr Message-ID)" "^<.+@localhost>\$" "  by a new one at idhost"
printf "$M" | inj env QMAILUSER=qu QMAILINJECT=c QMAILNAME='Q Name' inject
is "$(hdr From)" "qu@localhost (Q Name)" "QMAILINJECT=c: address-comment style"
printf "$M" | inj env QMAILUSER=qu QMAILINJECT=m inject
like "$(cut -d'|' -f1 "$T/qq.env")" "^Fqu-[0-9]+\\.[0-9]+@localhost\$" "QMAILINJECT=m: the sender gets -TIME.PID (per-message VERP)"
printf "$M" | inj env QMAILUSER=qu QMAILINJECT=r inject
is "$(cat "$T/qq.env")" "Fqu-@localhost-@[]|Trcpt@example.net||" "QMAILINJECT=r: the sender is qu-@localhost-@[] (per-recipient VERP)"
printf "$M" | inj env QMAILUSER=qu QMAILINJECT=mr inject
like "$(cut -d'|' -f1 "$T/qq.env")" "^Fqu-[0-9]+\\.[0-9]+-@localhost-@\\[\\]\$" "QMAILINJECT=mr: -TIME.PID, then the per-recipient VERP"
printf "Return-Path: <rp@example.org>\n$M" | inj env QMAILINJECT=r inject
is "$(cut -d'|' -f1 "$T/qq.env")" "Frp@example.org-@[]" "QMAILINJECT=r on a Return-Path sender: -@[] appended"
printf "$M" | inj env QMAILINJECT=r inject -f env@example.org
is "$(cut -d'|' -f1 "$T/qq.env")" "Fenv@example.org" "QMAILINJECT=r leaves -f alone"
# QMAILMFTFILE: a Mail-Followup-To with all To and Cc addresses when one
# of them is a list the file names (case aside), unless there is one
printf '# my lists\nlist@example.net\n' > "$T/mft"
mftf() { sed -n '/^Mail-Followup-To:/,/^[^ ]/p' "$T/qq.msg" | grep -v '^[^ M]' | tr '\n' '|'; }
printf 'To: List@Example.NET\nCc: a@example.org, b@example.org\nSubject: mft\n\nx\n' | inj env QMAILMFTFILE="$T/mft" inject
is "$(mftf)" "Mail-Followup-To: List@Example.NET,|  a@example.org,|  b@example.org|" "QMAILMFTFILE: Mail-Followup-To with every To and Cc address"
printf 'To: other@example.net\nCc: a@example.org\nSubject: mft\n\nx\n' | inj env QMAILMFTFILE="$T/mft" inject
is "$(mftf)" "" "  none when no list is among them"
printf 'To: list@example.net\nMail-Followup-To: me@example.org\nSubject: mft\n\nx\n' | inj env QMAILMFTFILE="$T/mft" inject
is "$(grep -c '^Mail-Followup-To:' "$T/qq.msg")" 1 "  none added to a message that has one"
# the VERP expanded by the queue: each recipient sees its own sender
printf 'To: test-v1@localhost, test-v2@localhost\nSubject: verp\n\nx\n' | env QMAILUSER=list QMAILINJECT=r inject
maildirmake "$H/v1"; maildirmake "$H/v2"
dot v1 './v1/\n'; dot v2 './v2/\n'
printf 'To: test-v1@localhost, test-v2@localhost\nSubject: verp2\n\nx\n' | env QMAILUSER=list QMAILINJECT=r inject
ok "QMAILINJECT=r through the queue: delivered" wait_for 15 has "$H/v2" 'Subject: verp2'
like "$(cat "$(md_grep "$H/v1" 'Subject: verp2')")" "Return-Path: <list-test-v1=localhost@localhost>" "  test-v1 sees the sender list-test-v1=localhost@localhost"
like "$(cat "$(md_grep "$H/v2" 'Subject: verp2')")" "Return-Path: <list-test-v2=localhost@localhost>" "  test-v2 its own"
# host names: defaulthost for a lone box, plusdomain for a trailing +,
# defaultdomain for a host without a dot
printf 'To: box, a@host+, b@host, c@[10.0.0.1]\nSubject: names\n\nx\n' | inj env QMAILDEFAULTHOST=dh.example.com QMAILPLUSDOMAIN=pd.example.com QMAILDEFAULTDOMAIN=dd.example.com inject
is "$(cat "$T/qq.env")" "Fanonymous@dh.example.com|Tbox@dh.example.com|Ta@host.pd.example.com|Tb@host.dd.example.com|Tc@[10.0.0.1]||" \
  "QMAILDEFAULTHOST, QMAILPLUSDOMAIN, QMAILDEFAULTDOMAIN as qmail-header(5) says"
echo mx.example.com > "$INST/control/me"
rm -f "$INST/control/defaulthost" "$INST/control/plusdomain"
echo dd.example.com > "$INST/control/defaultdomain"
printf 'To: box, a@host+, b@host\nSubject: names\n\nx\n' | inj inject
is "$(cat "$T/qq.env")" "Fanonymous@mx.example.com|Tbox@mx.example.com|Ta@host.mx.example.com|Tb@host.dd.example.com||" \
  "defaulthost and plusdomain default to control/me; control/defaultdomain is appended to a dotless host"
like "$(hdr Message-ID)" "@mx\\.example\\.com>\$" "  and idhost defaults to control/me"
# quail's one difference (inject(8)): without control/defaultdomain a
# dotless host stays as it is, where qmail-inject would append me
rm "$INST/control/defaultdomain"
printf 'To: b@host, c@localhost\nSubject: names\n\nx\n' | inj inject
is "$(cat "$T/qq.env")" "Fanonymous@mx.example.com|Tb@host|Tc@localhost||" "without control/defaultdomain a dotless host stays (inject(8))"
echo localhost > "$INST/control/me"

done_testing
