#!/bin/bash
# covers cmd/mailsubj.sh
# mailsubj: the body from stdin reaches every recipient with the subject;
# addresses are never read by a shell; usage and newline injection refused.
. "$(dirname "$0")/lib.sh"
inst_new
qm_start
maildirmake "$INST/mail/test/other"
printf './other/\n' > "$INST/mail/test/.qmail-other"

mailsubj "weekly report" test@localhost test-other@localhost <<'B'
line one
line two
B
is "$?" 0 "mailsubj exits 0"
ok "delivered to test" wait_for 10 md_has "$MD" 1
ok "delivered to test-other" wait_for 10 md_has "$INST/mail/test/other" 1
m=$(md_cat "$MD")
like "$m" $'\nSubject: weekly report\n' "Subject field"
like "$m" $'\nTo: test@localhost, test-other@localhost\n' "To field lists the recipients"
like "$m" $'\n\nline one\nline two\n' "body from stdin"
like "$m" $'\nDate: ' "inject completed the header (Date)"
like "$m" $'\nMessage-ID: <' "and Message-ID"

# a recipient that a shell would expand is only an address
rm -f "$T/pwned"
mailsubj 'x' 'test+$(touch${IFS}'"$T"'/pwned)@localhost' </dev/null >/dev/null 2>&1
nok "no shell reads the address" test -e "$T/pwned"

ok "the odd address was queued and handled" wait_for 10 queue_empty
n=$(grep -c "new msg" "$INST/qm.log")
mailsubj "two" </dev/null 2>"$T/err"
is "$?" 100 "no recipient: usage, 100"
like "$(cat "$T/err")" "usage: mailsubj SUBJECT RECIPIENT" "usage text"
mailsubj </dev/null 2>/dev/null
is "$?" 100 "no argument: 100"
mailsubj $'hi\nBcc: victim@example.org' test@localhost </dev/null 2>"$T/err"
is "$?" 100 "newline in the subject: 100"
like "$(cat "$T/err")" "newline in the subject" "and says so"
mailsubj hi $'test@localhost\nBcc: x@example.org' </dev/null 2>/dev/null
is "$?" 100 "newline in a recipient: 100"
mailsubj hi -f test@localhost </dev/null 2>/dev/null
is "$?" 100 "a recipient looking like an option: 100"
is "$(ls "$INST/queue/mess" | wc -l)" 0 "nothing queued for the refused ones"
is "$(grep -c "new msg" "$INST/qm.log")" "$n" "queue-manager saw no new message"
done_testing
