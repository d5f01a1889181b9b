#!/bin/bash
# make run's driver (mk/run.sh): an instance made on first use, its services
# under runsvdir, mail accepted by sendmail and SMTP, and Ctrl-C stops all.
. "$(dirname "$0")/lib.sh"
command -v runsvdir >/dev/null || skip_all "runit is not installed"
smtp=$(free_port) pop3=$(free_port)
export RUN_DIR=$T/var QMTP_PORT=$(free_port) QMQP_PORT=$(free_port)
export SUBMISSION_PORT=$(free_port) SMTPS_PORT=$(free_port) POP3S_PORT=$(free_port)
# start_run OUT: mk/run.sh as from a terminal (SIGINT at its default, in a
# process group of its own, written to OUT.pgid), its output in OUT
start_run() {
  $PY - "$SRC" "$smtp" "$pop3" "$1" <<'PY' &
import signal, subprocess, sys
src, smtp, pop3, out = sys.argv[1:]
p = subprocess.Popen(["sh", "mk/run.sh", src, smtp, pop3], cwd=src, stdout=open(out, "w"),
                     stderr=subprocess.STDOUT, start_new_session=True,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
open(out + ".pgid", "w").write(str(p.pid))
p.wait()
PY
  kill_on_exit $!
}
start_run "$T/out"
ok "instance made and services started" wait_for 20 grep -q "quail is running" "$T/out"
like "$(cat "$T/out")" "bin/sendmail test@localhost" "prints how to send"
like "$(cat "$T/out")" "swaks --server 127.0.0.1:$smtp" "prints how to send over SMTP"
export QUAIL_HOME=$RUN_DIR
MD=$RUN_DIR/mail/test/Maildir
up() { $PY -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1"; }
ok "smtpd listens on the chosen port as soon as it says it runs" up "$smtp"
ok "and pop3d" up "$pop3"
printf 'Subject: by sendmail\n\nx\n' | "$BIN/sendmail" test@localhost
is "$?" 0 "sendmail accepts"
swaks --server "127.0.0.1:$smtp" --to test@localhost --from a@example.org --h-Subject 'by smtp' >/dev/null 2>&1
is "$?" 0 "swaks delivers over SMTP"
swaks --server "127.0.0.1:$smtp" --to test@localhost --from a@example.org --h-Subject 'by smtp over tls' -tls >/dev/null 2>&1
is "$?" 0 "swaks delivers over STARTTLS: the instance has a certificate"
like "$(openssl s_client -starttls pop3 -connect "127.0.0.1:$pop3" </dev/null 2>/dev/null | grep '^subject=')" 'CN ?= ?localhost' \
  "pop3d offers STLS with it"
ok "the three messages in the Maildir" wait_for 10 md_has "$MD" 3
like "$(md_cat "$MD")" "Subject: by sendmail" "the sendmail message"
like "$(md_cat "$MD")" "Subject: by smtp" "the SMTP message"
ok "queue-manager logs through svlogd" wait_for 5 grep -q "end msg" "$RUN_DIR/log/queue-manager/current"
mine() { ps -eo args | grep -F "$RUN_DIR" | grep -v grep; }
kill -INT -- "-$(cat "$T/out.pgid")"
ok "Ctrl-C stops every service" wait_for 15 eval '! mine'
like "$(cat "$T/out")" "stopping quail" "says it stops"
# started again on the same instance: its old logs say the listeners are
# up, but the banner still waits for the new ones
wait
start_run "$T/out2"
ok "started again" wait_for 20 grep -q "quail is running" "$T/out2"
ok "smtpd listens again as soon as it says it runs" up "$smtp"
kill -INT -- "-$(cat "$T/out2.pgid")"
ok "and stops again" wait_for 15 eval '! mine'
done_testing
