#!/bin/bash
# Mailing lists end to end: list-make, subscription round trips by mail,
# posts with VERP, moderation, bounces into removal, archive, digest.
. "$(dirname "$0")/lib.sh"
inst_new
qm_start
H=$INST/mail/test
L=$H/ml
for b in m1 m2 m3 mod out dg; do
  maildirmake "$H/$b"; printf './%s/\n' "$b" > "$H/.qmail-$b"; chmod 644 "$H/.qmail-$b"
done
ok "list-make" list-make -b "$BIN" "$L" "$H/.qmail-ml" test-ml localhost 'prefix=[ml]' digestcount=2 bouncewait=0
printf -- '-- \nthe ml trailer\n' > "$L/text/trailer"
ok ".qmail files" test -s "$H/.qmail-ml-default" -a -s "$H/.qmail-ml-return-default"
nok "unknown option refused" list-make -b "$BIN" "$L" "$H/.qmail-ml" test-ml localhost colour=red 2>/dev/null
md_find() { [ -n "$(md_grep "$@")" ]; }
replyto() { sed -n 's/^Reply-To: //p' "$1" | head -1; }

# subscribe three members by mail with the confirmation round trip
for m in m1 m2 m3; do
  printf 'Subject: sub\n\n' | sendmail -f "test-$m@localhost" test-ml-subscribe@localhost
  wait_for 10 md_find "$H/$m" "confirm subscribe" || true
  c=$(md_grep "$H/$m" "confirm subscribe")
  rt=$(replyto "$c")
  like "$rt" "^test-ml-sc\.[0-9]+\.[0-9a-f]{24}-test-$m=localhost@localhost$" "$m: confirmation address"
  printf 'Subject: yes\n\n' | sendmail -f "test-$m@localhost" "$rt"
  ok "$m: welcome" wait_for 10 md_find "$H/$m" "Subject: welcome"
done
is "$(list-sub "$L" count)" 3 "three members"
ok "m2 is a member" list-sub "$L" has test-M2@localhost

# forged and expired cookies, third parties
printf 'Subject: forged\n\n' | sendmail -f test-out@localhost "test-ml-sc.$(date +%s).000000000000000000000000-test-out=localhost@localhost"
ok "forged cookie bounced" wait_for 10 md_find "$H/out" "not valid"
nok "forger not subscribed" list-sub "$L" has test-out@localhost
printf 'Subject: 3rd\n\n' | sendmail -f test-out@localhost test-ml-subscribe-test-dg=localhost@localhost
ok "third-party request confirms with the target" wait_for 10 md_find "$H/dg" "confirm subscribe"
nok "third party not subscribed yet" list-sub "$L" has test-dg@localhost
rt=$(replyto "$(md_grep "$H/dg" "confirm subscribe")")
d=${rt#test-ml-}; d=${d%@localhost}; t=$(echo "$d" | cut -d. -f2)
DEFAULT=$d SENDER=test-dg@localhost LIST_NOW=$((t + 11 * 86400)) list-manage "$L" 2>"$T/err"
is "$?" 100 "expired cookie refused"
like "$(cat "$T/err")" "expired" "expired says so"

# posting
printf 'From: test-m1@localhost\nSubject: hello\n\nfirst post\n' | sendmail -f test-m1@localhost test-ml@localhost
for m in m1 m2 m3; do ok "$m got the post" wait_for 10 md_find "$H/$m" "Subject: \[ml\] hello"; done
p=$(cat "$(md_grep "$H/m2" 'Subject: \[ml\] hello')")
like "$p" "List-Id: <test-ml.localhost>" "List-Id"
like "$p" "List-Unsubscribe: <mailto:test-ml-unsubscribe@localhost>" "List-Unsubscribe"
like "$p" "List-Unsubscribe-Post: List-Unsubscribe=One-Click" "List-Unsubscribe-Post"
like "$p" "the ml trailer" "trailer"
like "$p" "Return-Path: <(test-ml-return-1-test-m2=localhost@localhost|\"?test-ml-return-1-@localhost-\"?@\[\])>" "VERP return path"
printf 'Subject: intruder\n\nspam\n' | sendmail -f test-out@localhost test-ml@localhost
ok "non-member bounced" wait_for 10 md_find "$H/out" "only members"
printf 'Mailing-List: other\nSubject: loopy\n\nx\n' | sendmail -f test-m1@localhost test-ml@localhost
ok "loop bounced" wait_for 10 md_find "$H/m1" "looping"
unlike "$(md_cat "$H/m2")" "loopy" "loop not distributed"

# moderation
list-make -b "$BIN" "$L" "$H/.qmail-ml" test-ml localhost moderated=yes
list-sub -s mod "$L" add test-mod@localhost
printf 'Subject: held one\n\nmoderate me\n' | sendmail -f test-m2@localhost test-ml@localhost
ok "moderator asked" wait_for 10 md_find "$H/mod" "MODERATE for"
unlike "$(md_cat "$H/m3")" "held one" "held post not sent yet"
rt=$(replyto "$(md_grep "$H/mod" "MODERATE for")")
like "$rt" "^test-ml-accept-" "accept address"
printf 'Subject: ok\n\n' | sendmail -f test-mod@localhost "$rt"
ok "accepted post reaches m3" wait_for 10 md_find "$H/m3" "Subject: \[ml\] held one"
printf 'Subject: ok\n\n' | sendmail -f test-mod@localhost "$rt"
ok "second accept refused" wait_for 10 md_find "$H/mod" "already accepted"
list-make -b "$BIN" "$L" "$H/.qmail-ml" test-ml localhost moderated=no

# archive: by mail and from the command line
printf 'Subject: get\n\n' | sendmail -f test-m1@localhost test-ml-get.1@localhost
ok "get.1 by mail" wait_for 10 md_find "$H/m1" "first post"
like "$(list-get "$L" 1)" "first post" "list-get 1"
like "$(list-get "$L" index)" "hello" "index"
nok "list-get of a missing number" list-get "$L" 99 2>/dev/null

# digest
list-sub -s digest "$L" add test-dg@localhost
printf 'From: test-m3@localhost\nSubject: third\n\nthird post\n' | sendmail -f test-m3@localhost test-ml@localhost
ok "digest delivered" wait_for 10 md_find "$H/dg" "multipart/digest"
dg=$(cat "$(md_grep "$H/dg" "multipart/digest")")
like "$dg" "first post" "digest holds post 1"
like "$dg" "third post" "digest holds post 3"

# bounces: two VERP bounces, a probe, the probe bounces, removal
for i in 1 2; do printf 'Subject: failure notice\n\nbounced\n' | qw "" test-ml-return-1-test-m3=localhost@localhost; done
ok "probe sent" wait_for 10 md_find "$H/m3" "have been bouncing"
pr=$(sed -n 's/^Return-Path: <\(.*\)>$/\1/p' "$(md_grep "$H/m3" "have been bouncing")")
like "$pr" "^test-ml-return-probe\." "probe return address"
printf 'Subject: failure notice\n\nbounced\n' | qw "" "$pr"
ok "m3 removed" wait_for 10 eval '! list-sub "$L" has test-m3@localhost'
like "$(cat "$L/log")" "removed test-m3@localhost" "removal logged"
is "$(list-sub "$L" count)" 2 "two members left"

# a members file that cannot be written: temporary failure, then done
mkdir "$L/members.cdb.tmp"
printf 'Subject: unsub\n\n' | sendmail -f test-m2@localhost test-ml-unsubscribe@localhost
ok "unsubscribe confirmation" wait_for 10 md_find "$H/m2" "confirm unsubscribe"
rt=$(replyto "$(md_grep "$H/m2" "confirm unsubscribe")")
printf 'Subject: yes\n\n' | sendmail -f test-m2@localhost "$rt"
ok "deferred in the queue" wait_for 10 grep -q 'members' "$INST/qm.log"
ok "still a member" list-sub "$L" has test-m2@localhost
rmdir "$L/members.cdb.tmp"
echo flush > "$INST/queue/lock/trigger"
ok "unsubscribed after the retry" wait_for 15 eval '! list-sub "$L" has test-m2@localhost'
# scripted management: many addresses on stdin, one a line
seq 1 50 | sed 's/.*/bulk&@example.org/' | list-sub "$L" add
is "$?" 0 "list-sub add reads addresses from stdin"
ok "the first of them is a member" list-sub "$L" has bulk1@example.org
ok "the last of them is a member" list-sub "$L" has bulk50@example.org
seq 1 50 | sed 's/.*/bulk&@example.org/' | list-sub "$L" remove
nok "removed again from stdin" list-sub "$L" has bulk25@example.org
# the list programs run directly, as their .qmail lines run them
for p in list-post list-bounce list-moderate list-digest list-manage; do
  "$BIN/$p" >/dev/null 2>"$T/usage"; st=$?
  is "$st" 100 "$p without arguments: usage, exit 100"
done
like "$(cat "$T/usage")" "usage: list-manage" "usage names the program"
printf 'Subject: direct\n\nnot a member\n' | SENDER=stranger@example.org "$BIN/list-post" "$L" >/dev/null 2>&1
is "$?" 100 "list-post refuses a non-member's post (100: deliver-local bounces it)"
printf 'Subject: loop\nMailing-List: contact x@y\n\nloop\n' | SENDER=test-m1@localhost "$BIN/list-post" "$L" >/dev/null 2>&1
is "$?" 100 "list-post refuses a looping post"
SENDER='' LOCAL=test-ml-return-1-nobody=example.org "$BIN/list-bounce" "$L" </dev/null >/dev/null 2>&1
ok "list-bounce takes a bounce for a non-member without failing" test "$?" -ne 111
DEFAULT=dx-nobody "$BIN/list-bounce" "$L" </dev/null >/dev/null 2>&1
is "$?" 0 "list-bounce ignores a return address it cannot read"
like "$(tail -1 "$L/log")" " bounce-unknown dx-nobody\$" "and logs its DEFAULT whole"
wait_for 10 queue_empty; digests=$(md_count "$H/dg")
printf 'Subject: for the digest\n\ndirect digest\n' | SENDER=test-m1@localhost "$BIN/list-post" "$L" >/dev/null 2>&1
is "$?" 0 "list-post run directly sends a member's post"
"$BIN/list-digest" -f "$L"
is "$?" 0 "list-digest -f sends the waiting post now"
ok "the digest arrives" wait_for 15 eval '[ "$(md_count "$H/dg")" -gt "$digests" ]'
like "$(md_cat "$H/dg")" "direct digest" "holding the direct post"
done_testing
