#!/bin/sh
# run.sh SRC SMTP_PORT POP3_PORT: make var/ once, then run its services
# under runsvdir in the foreground until Ctrl-C.
set -u
src=$1 smtp=$2 pop3=$3
cd "$src" || exit 111
if [ ! -d var ]; then
  SMTP_PORT=$smtp POP3_PORT=$pop3 bin/mkinstance var localhost || exit 111
fi
home=$src/var
services=$(ls var/service)
cat <<EOM

quail is running in $home (Ctrl-C stops it all).
  services: $(echo $services)
  logs:     var/log/SERVICE/current

Send a message and read it back:
  export QUAIL_HOME=$home
  printf 'Subject: hello\n\nIt works.\n' | bin/sendmail test@localhost
  ls var/mail/test/Maildir/new/ && cat var/mail/test/Maildir/new/*
EOM
if [ -d var/service/smtpd ]; then
  cat <<EOM
Over SMTP on 127.0.0.1:$smtp:
  swaks --server 127.0.0.1:$smtp --to test@localhost
EOM
fi
if [ -d var/service/pop3d ]; then
  pass=$(cat var/mail/test/password 2>/dev/null || echo '(see var/mail/test/password)')
  cat <<EOM
Read it over POP3 on 127.0.0.1:$pop3:
  curl -s pop3://127.0.0.1:$pop3/1 -u test:$pass
EOM
fi
echo
# runsvdir in its own session: Ctrl-C reaches only us, and we stop it cleanly
setsid runsvdir -P "$home/service" 'log: ...........................................................' &
pid=$!
stop() {
  echo "stopping quail..."
  kill -HUP $pid 2>/dev/null     # runsvdir: TERM every runsv, which stops its service
  wait $pid 2>/dev/null
  sleep 1
  exit 0
}
trap stop INT TERM
wait $pid
