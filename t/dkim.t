#!/bin/bash
# covers cmd/dkim-keygen.sh
# DKIM: dkim-keygen makes keys and records; dkim-sign signs in front of
# queue-writer (rsa-sha256 and ed25519-sha256); Debian's python3-dkim
# verifies the signatures against dnsmasq; auth-check verifies them too;
# missing, unusable keys are temporary failures with nothing queued.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
. "$(dirname "$0")/dkim-lib.sh"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
$PY -c 'import dkim' 2>/dev/null || skip_all "python3-dkim is not installed"
inst_new
C=$INST/control
rsa=$(keyrec quail.test sel1) && ed=$(keyrec quail.test ed1 ed25519)
ok "dkim-keygen writes the keys" test -s "$C/dkim/quail.test/sel1.key" -a -s "$C/dkim/quail.test/ed1.key"
like "$rsa" 'v=DKIM1; k=rsa; p=MII' "the rsa record"
like "$ed" 'v=DKIM1; k=ed25519; p=' "the ed25519 record"
"$BIN/dkim-keygen" quail.test sel1 >/dev/null 2>&1; is "$?" 100 "an existing key is not replaced"
"$BIN/dkim-keygen" 'bad/domain' s >/dev/null 2>&1; is "$?" 100 "a bad domain is a usage error"
net_pick
dns_start "$rsa" "$ed"

printf 'From: Alice <alice@quail.test>\nTo: bob@example.org\nSubject: signed\n\nHello,\nthis is signed.\n' > "$T/m1"
is "$(sign alice@quail.test bob@example.org < "$T/m1")" 0 "dkim-sign queues the message"
queued > "$T/q1"
is "$(grep -c '^DKIM-Signature:' "$T/q1")" 2 "two signatures: rsa and ed25519"
like "$(tr -d '\n\t' < "$T/q1")" 'a=ed25519-sha256; c=relaxed/relaxed; d=quail.test;s=ed1' "the ed25519 signature"
is "$($PY "$SRC/t/dkim-verify.py" "$T/q1")" "pass 2" "python3-dkim verifies both signatures"
# only trusted mail is signed: from the network it needs RELAYCLIENT or AUTH
is "$(TCPREMOTEIP=192.0.2.7 sign alice@quail.test bob@example.org < "$T/m1")" 0 "a stranger's message passes on"
is "$(queued | grep -c '^DKIM-Signature:')" 0 "  unsigned: a forged From: gets no signature of ours"
is "$(TCPREMOTEIP=192.0.2.7 QUAIL_AUTH=alice sign alice@quail.test bob@example.org < "$T/m1")" 0 "an authenticated client's message"
is "$(queued | grep -c '^DKIM-Signature:')" 2 "  is signed"
is "$(TCPREMOTEIP=127.0.0.1 RELAYCLIENT= sign alice@quail.test bob@example.org < "$T/m1")" 0 "a relay client's message"
is "$(queued | grep -c '^DKIM-Signature:')" 2 "  is signed"
sed 's/this is signed/this is changed/' "$T/q1" > "$T/q1bad"
is "$($PY "$SRC/t/dkim-verify.py" "$T/q1bad")" "fail" "  and fails a changed body"
AUTHQUEUE=$BIN/queue-writer "$BIN/auth-check" < "$T/q1" 1< <(envelope alice@quail.test test@localhost)
queued > "$T/q2"
like "$(cat "$T/q2")" 'dkim=pass header\.d=quail\.test header\.s=sel1' "auth-check: rsa signature passes"
like "$(cat "$T/q2")" 'dkim=pass header\.d=quail\.test header\.s=ed1' "auth-check: ed25519 signature passes"
AUTHQUEUE=$BIN/queue-writer "$BIN/auth-check" < "$T/q1bad" 1< <(envelope alice@quail.test test@localhost)
like "$(queued)" 'dkim=fail header\.d=quail\.test' "auth-check: a changed body fails"

printf 'From: someone@other.test\nSubject: x\n\nbody\n' > "$T/m2"
n=$(ls "$INST/queue/mess" | wc -l)
is "$(sign someone@other.test bob@example.org < "$T/m2")" 0 "a domain without keys passes"
unlike "$(queued)" 'DKIM-Signature' "  unsigned"
mkdir -p "$C/dkim/nokey.test"
printf 'From: a@nokey.test\nSubject: x\n\nbody\n' > "$T/m3"
n=$(ls "$INST/queue/mess" | wc -l)
is "$(sign a@nokey.test bob@example.org < "$T/m3" 2>"$T/err")" 55 "a domain whose key is missing: temporary failure"
like "$(cat "$T/err")" 'no usable key in control/dkim/nokey.test' "  named in the message"
is "$(ls "$INST/queue/mess" | wc -l)" "$n" "  and nothing is queued unsigned"
mkdir "$C/dkim/nokey.test/s.key"
is "$(sign a@nokey.test bob@example.org < "$T/m3" 2>"$T/err")" 55 "an unreadable key: temporary failure"
like "$(cat "$T/err")" 'unable to read key control/dkim/nokey.test/s.key' "  named in the message"
rmdir "$C/dkim/nokey.test/s.key"; echo garbage > "$C/dkim/nokey.test/s.key"
is "$(sign a@nokey.test bob@example.org < "$T/m3" 2>/dev/null)" 55 "a key that is no key: temporary failure"
is "$(ls "$INST/queue/mess" | wc -l)" "$n" "  nothing queued"
done_testing
