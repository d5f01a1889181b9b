# t/dkim-lib.sh: DKIM keys and DNS records for t/dkim.t and t/dmarc.t (bash).
#   keyrec DOMAIN SELECTOR [TYPE]   # dkim-keygen; prints a dnsmasq --txt-record= option
#   sign SENDER RCPT < message      # dkim-sign in front of queue-writer; echoes its exit code
#   queued                          # the last message queue-writer wrote
keyrec() {
  local line val
  line=$("$BIN/dkim-keygen" -t "${3:-rsa}" "$1" "$2") || return 1
  val=$(printf '%s' "$line" | sed 's/^[^"]*"//; s/"$//')
  # TXT strings hold 255 bytes at most: split the value for dnsmasq
  # (which splits at commas and keeps quotes given on its command line)
  printf -- '--txt-record=%s._domainkey.%s' "$2" "$1"
  while [ -n "$val" ]; do printf ',%s' "${val:0:200}"; val=${val:200}; done
  echo
}
sign() { "$BIN/dkim-sign" 1< <(envelope "$@"); echo $?; }
# (the one message file that appeared since the last call; else that one again)
queued() {
  local f
  [ -f "$T/q.seen" ] || : > "$T/q.seen"
  ls "$INST/queue/mess" | grep -v '\.env$' | sort > "$T/q.now"
  f=$(comm -13 "$T/q.seen" "$T/q.now" | tail -1)
  mv "$T/q.now" "$T/q.seen"
  [ -n "$f" ] && echo "$f" > "$T/q.last"
  [ -s "$T/q.last" ] && cat "$INST/queue/mess/$(cat "$T/q.last")"
}
