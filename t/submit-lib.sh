# t/submit-lib.sh: what the inject and sendmail tests share (bash): a
# clean submission environment, the queue, and a queue program that
# captures what it is given.
#
#   . "$(dirname "$0")/lib.sh"; inst_new HOST
#   . "$(dirname "$0")/submit-lib.sh"
#   msgs, clearq, qenv ID         # queue/mess: the ids, emptied, an envelope with '|' for NUL
#   cap CMD...                    # CMD with QMAILQUEUE=$T/qcap: message in $CAP/msg, envelope in $CAP/env
#   capenv, caphead, capbody      # the captured envelope ('|' for NUL), header, body
#   $T/q53, $T/q31                # queue programs that exit 53 and 31
Q=$INST/queue
unset QMAILHOST MAILHOST QMAILUSER MAILUSER QMAILNAME MAILNAME NAME QMAILSUSER QMAILSHOST \
  QMAILINJECT QMAILQUEUE QMAILDEFAULTDOMAIN QMAILDEFAULTHOST QMAILPLUSDOMAIN QMAILIDHOST

msgs() { ls "$Q/mess" | grep -v '\.env$'; }
clearq() { rm -f "$Q"/mess/*; }
qenv() { q_env "$Q" "$1" | tr '\0' '|'; }

CAP=$T/cap
mkdir -p "$CAP"
export CAP
cat > "$T/qcap" <<'EOF_SH'
#!/bin/sh
cat > "$CAP/msg" || exit 54
cat <&1 > "$CAP/env" || exit 54
exit 0
EOF_SH
printf '#!/bin/sh\nexit 53\n' > "$T/q53"
printf '#!/bin/sh\nexit 31\n' > "$T/q31"
chmod 755 "$T/qcap" "$T/q53" "$T/q31"
cap() { rm -f "$CAP/msg" "$CAP/env"; QMAILQUEUE=$T/qcap "$@"; }
capenv() { tr '\0' '|' < "$CAP/env"; }
caphead() { sed -n '1,/^$/p' "$CAP/msg"; }
capbody() { sed '1,/^$/d' "$CAP/msg"; }
