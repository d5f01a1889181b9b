#!/bin/bash
# UUCP delivery through a .qmail program line, as man/quail-uucp.7 sets
# it up: the virtual domain uucp.test goes to the user uucp, whose
# .qmail-default pipes each message, with its From_, Return-Path and
# Delivered-To lines, into Taylor uux for the system "remote". uux runs
# with a private configuration (-I) whose spool is under $T, so nothing
# is ever sent and /etc/uucp is untouched; we check the job it queued.
# A system uux does not know fails with exit 69: a temporary failure
# that keeps the message queued. An address uux could misread bounces.
. "$(dirname "$0")/lib.sh"
UUX=$(command -v uux) || skip_all "uux is not installed (package uucp)"
[ -u "$UUX" ] || [ "$(id -u)" = 0 ] || skip_all "uux is not setuid and we are not root"

# a private Taylor UUCP configuration; uux runs setuid uucp, so the
# uucp user must reach $T and write the spool
chmod 711 "$T"
U=$T/uucp
mkdir -p "$U/spool" "$U/log" && chmod 755 "$U"
chown uucp "$U/spool" "$U/log" 2>/dev/null || chmod 777 "$U/spool" "$U/log"
cat > "$U/config" <<EOC
nodename quailtest
spool $U/spool
pubdir $U/spool
logfile $U/log/Log
statfile $U/log/Stats
debugfile $U/log/Debug
sysfile $U/sys
portfile $U/port
dialfile $U/dial
EOC
printf 'system remote\ntime any\nport TCP\naddress 127.0.0.1\nprotocol t\n' > "$U/sys"
: > "$U/port"; : > "$U/dial"
chmod 644 "$U"/config "$U"/sys "$U"/port "$U"/dial

# the instance: uucp.test is virtual, its mail goes to the user uucp
inst_new
H=$INST/uucphome
mkdir -m 755 "$H"
printf 'uucp.test:uucp\n' > "$INST/control/virtualdomains"
sed -i "/^\.\$/i +uucp-:$(id -un):$(id -u):$(id -g):$H:-::" "$INST/users/assign"
newu || { echo "Bail out! newu failed"; exit 1; }
# the line of man/quail-uucp.7, with -I for the private configuration
line=$(grep '^|case' "$SRC/man/quail-uucp.7")
[ -n "$line" ] || { echo "Bail out! no program line in man/quail-uucp.7"; exit 1; }
printf '%s\n' "${line/\/usr\/bin\/uux /$UUX -I $U/config }" > "$H/.qmail-default"
chmod 644 "$H/.qmail-default"
qm_start
LOG=$INST/qm.log

# --- a message for bob@uucp.test becomes a uux job for remote!rmail
cjobs() { find "$U/spool/remote" -path '*/C./*' -type f 2>/dev/null; }
has_jobs() { [ "$(cjobs | wc -l)" -ge "$1" ]; }
printf 'Subject: over uucp\n\nhello bob\n' | sendmail -f ann@example.org bob@uucp.test
is "$?" 0 "sendmail queues for bob@uucp.test"
ok "uux queued a job" wait_for 10 has_jobs 1
ok "delivery logged as success" wait_for 10 grep -q 'success' "$LOG"
ok "the queue is empty" wait_for 10 queue_empty
c=$(cat $(cjobs) 2>/dev/null)
is "$(cjobs | wc -l | tr -d ' ')" 1 "one command file"
like "$c" '^E D\.[0-9A-Za-z]+ .* rmail bob@uucp\.test$' "the command file runs rmail bob@uucp.test"
like "$c" ' ann@example\.org ' "the requestor is the envelope sender"
d=$(find "$U/spool/remote" -path '*/D./*' -type f 2>/dev/null)
is "$(printf '%s\n' "$d" | grep -c .)" 1 "one data file"
m=$(cat $d 2>/dev/null)
like "$(printf '%s\n' "$m" | sed -n 1p)" '^From ann@example\.org ' "the data starts with the From_ line"
like "$(printf '%s\n' "$m" | sed -n 2p)" '^Return-Path: <ann@example\.org>$' "then the Return-Path line"
like "$(printf '%s\n' "$m" | sed -n 3p)" '^Delivered-To: uucp-bob@uucp\.test$' "then the Delivered-To line"
like "$m" 'Subject: over uucp' "the header follows"
like "$m" 'hello bob' "and the body"
like "$(cat "$U/log/Log" 2>/dev/null)" 'Queuing rmail bob@uucp\.test' "uux logged the job in the private log"
is "$(md_count "$MD")" 0 "nothing landed in the test Maildir"

# --- a bounce (empty sender): the requestor is MAILER-DAEMON
printf 'Subject: a bounce\n\nx\n' | sendmail -f '' carol@uucp.test
ok "second job queued" wait_for 10 has_jobs 2
like "$(grep -h 'rmail carol@' $(cjobs) 2>/dev/null)" ' MAILER-DAEMON .*rmail carol@uucp\.test$' "the empty sender becomes MAILER-DAEMON"

# --- a system uux does not know: exit 69, a deferral with uux's reason
sed -i 's/remote!rmail/nosuch!rmail/' "$H/.qmail-default"
printf 'Subject: nowhere\n\nx\n' | sendmail -f test@localhost dave@uucp.test
ok "the failure is logged as a deferral" wait_for 10 grep -q 'deferral: .*nosuch: System not found' "$LOG"
nok "the message stays queued" queue_empty
is "$(cjobs | wc -l | tr -d ' ')" 2 "no job queued for it"
is "$(md_count "$MD")" 0 "no bounce to the sender"

# --- an address uux could misread bounces before uux runs
sed -i 's/nosuch!rmail/remote!rmail/' "$H/.qmail-default"
printf 'Subject: odd\n\nx\n' | sendmail -f test@localhost 'a(b@uucp.test'
bounced() { md_grep "$MD" "not an address I can pass to UUCP" >/dev/null; }
ok "bounced to the sender" wait_for 10 bounced
b=$(md_cat "$MD")
like "$b" 'a\(b@uucp\.test' "the bounce names the address"
is "$(cjobs | wc -l | tr -d ' ')" 2 "no job queued for it"
done_testing
