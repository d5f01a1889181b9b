#!/bin/sh
# run.sh SRC SMTP_PORT POP3_PORT: make var/ once, then run its services
# under runsvdir in the foreground until Ctrl-C. RUN_DIR names another
# instance directory than SRC/var (the tests use it, with QMTP_PORT and
# QMQP_PORT); SUBMISSION_PORT, SMTPS_PORT and POP3S_PORT (make's variables)
# place submission (587's service), smtps (465's) and pop3s (995's).
set -u
src=$1 smtp=$2 pop3=$3
cd "$src" || exit 111
home=${RUN_DIR:-$src/var}
if [ ! -d "$home" ]; then
  SMTP_PORT=$smtp POP3_PORT=$pop3 bin/mkinstance "$home" localhost || exit 111
fi
# log lines already there from an earlier run, per service
seen() { { wc -l < "$home/log/$1/current"; } 2>/dev/null || echo 0; }
smtpd0=$(seen smtpd) pop3d0=$(seen pop3d)
# A background job of a non-interactive shell ignores SIGINT, and -P puts
# each runsv in a group of its own: Ctrl-C reaches only us, and we stop
# everything cleanly through runsvdir.
runsvdir -P "$home/service" 'log: ...........................................................' &
pid=$!
stop() {
  echo "stopping quail..."
  kill -HUP $pid 2>/dev/null     # runsvdir: TERM every runsv, which stops its service
  wait $pid 2>/dev/null
  sleep 1
  exit 0
}
trap stop INT TERM
# the banner once the listeners are up (tcpserver logs "status: 0/" as
# it starts to listen), so that what it says to try works at once; 10 s
# at most
for svc in smtpd pop3d; do
  [ -d "$home/service/$svc" ] || continue
  eval skip=\$${svc}0
  n=0
  while [ $n -lt 100 ] &&
        ! tail -n +$((skip + 1)) "$home/log/$svc/current" 2>/dev/null | grep -q 'status: 0/'; do
    sleep 0.1; n=$((n + 1))
  done
done
services=$(ls "$home/service")
cat <<EOM

quail is running in $home (Ctrl-C stops it all).
  services: $(echo $services)
  logs:     $home/log/SERVICE/current

Send a message and read it back:
  export QUAIL_HOME=$home
  printf 'Subject: hello\n\nIt works.\n' | bin/sendmail test@localhost
  ls $home/mail/test/Maildir/new/ && cat $home/mail/test/Maildir/new/*
EOM
if [ -d "$home/service/smtpd" ]; then
  cat <<EOM
Over SMTP on 127.0.0.1:$smtp:
  swaks --server 127.0.0.1:$smtp --to test@localhost
EOM
fi
if [ -d "$home/service/pop3d" ]; then
  pass=$(cat "$home/mail/test/password" 2>/dev/null || echo "(see $home/mail/test/password)")
  cat <<EOM
Read it over POP3 on 127.0.0.1:$pop3:
  curl -s pop3://127.0.0.1:$pop3/1 -u test:$pass
EOM
fi
port() { sed -n 's/.* \([0-9][0-9]*\) \\$/\1/p' "$home/service/$1/run" 2>/dev/null; }
if [ -d "$home/service/submission" ]; then
  cat <<EOM
Submission with AUTH (the password of test, made with quail-passwd):
  bin/quail-passwd add test \$(id -u) \$(id -g) $home/mail/test   # then type a password
  swaks --server 127.0.0.1:$(port submission) --tls --auth-user test --to someone@example.org   # 587's service
  swaks --server 127.0.0.1:$(port smtps) --tlsc --auth-user test --to test@localhost           # 465's, TLS at once
  curl -sk pop3s://127.0.0.1:$(port pop3s)/1 -u test:$pass                                     # POP3 over TLS (995's)
EOM
fi
echo
wait $pid
