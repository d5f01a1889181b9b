#!/bin/bash
# SRS: deliver-local gives forwards of foreign mail an SRS0 sender at
# control/srsdomain; srs, run from alias/.qmail-srs0-default, takes mail
# for such an address back to the original sender; bad hashes, old
# stamps, and malformed addresses bounce; local senders keep theirs.
. "$(dirname "$0")/lib.sh"
inst_new
C=$INST/control
echo localhost > "$C/srsdomain"
echo 'a secret of ours' > "$C/srssecret"
printf '&someone@remote.test\n' > "$INST/alias/.qmail-fwd"
printf '|%s/srs\n' "$BIN" > "$INST/alias/.qmail-srs0-default"
# the envelope of every queued message to a remote.test or foreign.test
# recipient, NULs as '|'
remote_envs() { local i; for i in $(q_ids "$INST/queue"); do q_env "$INST/queue" "$i" | tr '\0' '|'; echo; done 2>/dev/null | grep -E 'T[^|]*@(remote|foreign)\.test'; }
remote_has() { remote_envs | grep -q -- "$1"; }
qm_start

printf 'From: alice@foreign.test\nSubject: forward me\n\nhi\n' | qw alice@foreign.test fwd@localhost
ok "the forward is queued" wait_for 10 remote_has someone@remote.test
envs=$(remote_envs | grep someone@remote.test)
like "$envs" '^FSRS0-[a-z2-7]{6}=[a-z2-7]{2}=foreign\.test=alice@localhost\|' "its sender is SRS0 at srsdomain"
srs=$(printf '%s' "$envs" | sed 's/^F\([^|]*\)|.*/\1/')

printf 'From: bob@localhost\nSubject: local\n\nhi\n' | qw test@localhost fwd@localhost
ok "a local sender's forward is queued" wait_for 10 remote_has '^Ftest@localhost|'

# a bounce to the SRS address goes back to alice
printf 'From: MAILER-DAEMON@remote.test\nSubject: bounce\n\nno\n' | qw '' "$srs"
ok "a bounce to the SRS0 address reaches the original sender" \
  wait_for 10 remote_has '^F|Talice@foreign.test|'

# srs by hand: what deliver-local gives a .qmail program
srs_run() { { printf 'Subject: x\n\nx\n' | env LOCAL="$1" SENDER= "$BIN/srs" 2>&1; echo "rc=$?"; } | tr '\n' ' '; }
local=${srs%@localhost}
tampered=$(printf '%s' "$local" | sed 's/=alice$/=mallory/')
like "$(srs_run "$tampered")" 'bad hash.*rc=100' "a changed address bounces (bad hash)"
upper=$(printf '%s' "$local" | tr a-z A-Z)
like "$(srs_run "$upper")" 'rc=0' "case does not matter"
old=$(printf '%s' "$local" | sed 's/^\(SRS0-[a-z2-7]*=\)[a-z2-7][a-z2-7]=/\1aa=/')
like "$(srs_run "$old")" 'rc=100' "an old stamp bounces"
like "$(srs_run SRS0-nonsense)" 'not an SRS0 address.*rc=100' "a malformed address bounces"
like "$(srs_run "srs0-abcdef=aa=x")" 'rc=100' "a truncated address bounces"
mv "$C/srssecret" "$C/srssecret.off"
like "$(srs_run "$local")" 'srssecret.*rc=111' "no secret: temporary failure"
mv "$C/srssecret.off" "$C/srssecret"
like "$(env -u LOCAL "$BIN/srs" </dev/null 2>&1; echo "rc=$?")" 'rc=100' "without LOCAL: usage failure"
done_testing
