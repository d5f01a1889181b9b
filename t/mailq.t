#!/bin/bash
# covers cmd/mailq.sh
# mailq: runs queue-reader with its arguments, found through QUAIL_HOME or
# beside the script.
. "$(dirname "$0")/lib.sh"

# a stand-in queue-reader that shows what it got
F=$T/fake
mkdir -p "$F/bin"
cat > "$F/bin/queue-reader" <<'EOQ'
#!/bin/sh
printf 'args:%s\n' "$#"
for a in "$@"; do printf '[%s]\n' "$a"; done
exit 5
EOQ
chmod 755 "$F/bin/queue-reader"

out=$(QUAIL_HOME=$F mailq 2>&1)
is "$?" 5 "queue-reader's exit code passes through"
is "$out" "args:0" "no arguments: none passed"
out=$(QUAIL_HOME=$F mailq -v 'two words' '$(touch '"$T"'/pwned)' '*' 2>&1)
is "$out" "$(printf 'args:4\n[-v]\n[two words]\n[$(touch %s/pwned)]\n[*]' "$T")" "arguments passed exactly"
ok "  and not interpreted" test ! -e "$T/pwned"

# without QUAIL_HOME: the queue-reader beside the script, through a link
cp "$BIN/mailq" "$F/bin/mailq"
mkdir -p "$T/elsewhere"
ln -s "$F/bin/mailq" "$T/elsewhere/mailq"
out=$(env -u QUAIL_HOME "$T/elsewhere/mailq" x 2>&1)
is "$out" "$(printf 'args:1\n[x]')" "no QUAIL_HOME: queue-reader beside the script, links followed"

out=$(QUAIL_HOME=$T/nowhere mailq 2>&1)
is "$?" 111 "no queue-reader: 111"
is "$out" "mailq: fatal: unable to run $T/nowhere/bin/queue-reader: not an executable file" "  names it"

# with the real queue-reader, when it is built: a queued message shows
if [ -x "$BIN/queue-reader" ]; then
  inst_new
  printf 'Subject: q\n\nx\n' | sendmail -f s@example.org someone@example.org
  out=$(mailq 2>&1)
  is "$?" 0 "real queue-reader: exit 0"
  like "$out" 'someone@example\.org' "real queue-reader: the queued recipient listed"
else
  skip "queue-reader is not built"; skip "queue-reader is not built"
fi
done_testing
