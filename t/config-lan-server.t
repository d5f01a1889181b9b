#!/bin/bash
# quail-setup lan-server: the mail server of an isolated LAN. The hub,
# a LAN client and an outsider are network namespaces; the LAN may relay
# and use QMQP and POP3, the outsider may only send to the local domain.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v swaks >/dev/null || skip_all "swaks is not installed"
dead_resolver
lan_hub
ns_host pc1; ns_plug lan pc1 10.202.0.11/24
ns_host out; ns_wire hub 10.203.0.1/24 out 10.203.0.2/24 wout
A=$HUB/mail/ann/Maildir B=$HUB/mail/bob/Maildir

is "$(cat "$HUB/control/listenip")" 0 "the hub listens on every address"
like "$(cat "$HUB/control/tcp.smtp")" '^10\.202\.0\.:allow,RELAYCLIENT=""' "the LAN may relay (tcp.smtp)"
is "$(ls "$HUB/service" | tr '\n' ' ')" "pop3d qmqpd queue-manager smtpd " "the hub runs smtpd, pop3d, qmqpd and queue-manager"
is "$(cat "$HUB/control/defaulthost")" corp.test "masquerading: defaulthost is the domain"

sw() { local h=$1; shift; ns "$h" swaks -4 --server "$@" --header 'Subject: lan' >"$T/sw.log" 2>&1; cat "$T/sw.log"; }
like "$(sw pc1 10.202.0.1 --from joe@corp.test --to ann@corp.test --body 'from the lan')" \
  '<-  250 2.0.0 ok' "a LAN client sends to ann"
ok "it lands in ann's Maildir on the hub" wait_for 10 md_has "$A" 1
like "$(md_cat "$A")" 'from the lan' "with its text"
like "$(sw pc1 10.202.0.1 --from joe@corp.test --to someone@far.test --quit-after RCPT | grep -A1 'RCPT TO')" \
  '<-  250' "a LAN client may relay"
like "$(sw out 10.203.0.1 --from x@far.test --to someone@else.test --quit-after RCPT)" \
  '<\*\* 5[0-9][0-9]' "an outsider may not relay"
like "$(sw out 10.203.0.1 --from x@far.test --to bob@corp.test --body 'from outside')" \
  '<-  250 2.0.0 ok' "an outsider may send to the local domain"
ok "it lands in bob's Maildir" wait_for 10 md_has "$B" 1
# qmqp_probe HOST ADDR: "closed" when tcprules turns the client away, else "open"
qmqp_probe() {
  ns "$1" "$PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 628), 2); s.settimeout(2)
try: print("closed" if s.recv(10) == b"" else "open")
except socket.timeout: print("open")' "$2" 2>&1
}
is "$(qmqp_probe pc1 10.202.0.1)" open "the LAN may use QMQP"
is "$(qmqp_probe out 10.203.0.1)" closed "an outsider may not"

# POP3 for the users from the LAN, with python3's poplib
pop() { # HOST USER: the bodies of the user's messages
  ns "$1" "$PY" -c '
import poplib, sys
p = poplib.POP3(sys.argv[1], 110, timeout=5)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
n, _ = p.stat()
for i in range(1, n + 1):
    print(b"\n".join(p.retr(i)[1]).decode())
p.quit()' 10.202.0.1 "$2" "$(cat "$HUB/mail/$2/password")" 2>&1
}
like "$(pop pc1 ann)" 'from the lan' "ann reads her mail over POP3 from the LAN"
like "$(pop pc1 bob)" 'from outside' "bob reads his"
unlike "$(pop out ann)" 'from the lan' "not from outside the LAN"
is "$(md_count "$A")/$(md_count "$B")" 1/1 "one message each, no duplicate"
done_testing
