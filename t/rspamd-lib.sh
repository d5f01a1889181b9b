# t/rspamd-lib.sh: Debian's rspamd on loopback with a minimal config of
# its own (no redis, no DNS, no modules), for t/rspamd-filter.t and
# bench/rspamd.sh (bash; needs t/lib.sh: free_port, wait_for, and its
# _cleanup, which the EXIT trap runs after rspamd_stop).
#
#   rspamd_start DIR     # $RSPAMD_ADDR (127.0.0.1:PORT), the normal worker;
#                        # DIR/normal.sock, the same on a Unix socket;
#                        # $RSPAMD_CONTROLLER, the controller; $RSPAMD_PID
#   rspamd_stop          # SIGTERM to the main process, waited for
#
# Besides rspamd's own GTUBE, these rules of the test drive each action
# by a word of the Subject: quail-greylist (score 4.5), quail-tag (6.5,
# add header), quail-rewrite (9, rewrite subject), quail-soft (soft
# reject). QUAIL_ENVELOPE (score 0.01) fires when rspamd was told the
# envelope and the client of t/rspamd-filter.t's messages.
# As root rspamd runs as Debian's _rspamd, which must reach DIR.

rspamd_config() {
  cat > "$1/rspamd.conf" <<EOC
options {
  pidfile = "$1/rspamd.pid";
  dbdir = "$1";
  filters = "";
  dns { nameserver = ["127.0.0.1:9"]; timeout = 0.1s; retransmits = 0; }
}
logging { type = "file"; filename = "$1/rspamd.log"; level = "info"; }
lua = "$1/rules.lua";
actions { reject = 15; rewrite_subject = 8; add_header = 6; greylist = 4; }
worker "normal" { bind_socket = "$RSPAMD_ADDR"; bind_socket = "$1/normal.sock mode=0666"; count = 1; }
worker "controller" { bind_socket = "$RSPAMD_CONTROLLER"; count = 1; secure_ip = "127.0.0.1"; }
EOC
  cat > "$1/rules.lua" <<'EOL'
local function subj(task, word)
  local s = task:get_header('Subject')
  return s ~= nil and string.find(s, word, 1, true) ~= nil
end
local function rule(name, word, score)
  rspamd_config[name] = { callback = function(t) return subj(t, word) end, score = score }
end
rule('QUAIL_GREYLIST', 'quail-greylist', 4.5)
rule('QUAIL_TAG', 'quail-tag', 6.5)
rule('QUAIL_REWRITE', 'quail-rewrite', 9.0)
rspamd_config.QUAIL_SOFT = { score = 0, callback = function(t)
  if subj(t, 'quail-soft') then t:set_pre_result('soft reject', 'busy, try later') end
  return false
end }
rspamd_config.QUAIL_ENVELOPE = { score = 0.01, callback = function(t)
  local from, rcpts, ip = t:get_from('smtp'), t:get_recipients('smtp'), t:get_from_ip()
  return t:get_helo() == 'client.example' and from ~= nil and from[1].addr == 'sender@example.org'
    and rcpts ~= nil and #rcpts == 2 and rcpts[1].addr == 'test@localhost'
    and rcpts[2].addr == 'postmaster@localhost' and ip ~= nil and ip:to_string() == '127.0.0.1'
end }
EOL
}

rspamd_start() {
  local dir=$1 as=()
  mkdir -p "$dir"
  RSPAMD_ADDR=127.0.0.1:$(free_port) RSPAMD_CONTROLLER=127.0.0.1:$(free_port)
  rspamd_config "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown -R _rspamd "$dir" && as=(-u _rspamd -g _rspamd)
  fi
  rspamd -f "${as[@]}" -c "$dir/rspamd.conf" >"$dir/rspamd.out" 2>&1 &
  RSPAMD_PID=$!
  # stopped first at exit, and by SIGTERM alone: a main process killed
  # at once would leave its workers behind
  trap 'rspamd_stop; _cleanup' EXIT
  # a first start compiles and caches; a loaded machine is slow
  wait_for 180 curl -sf -o /dev/null "http://$RSPAMD_ADDR/ping" &&
    wait_for 30 curl -sf -o /dev/null "http://$RSPAMD_CONTROLLER/ping"
}

rspamd_stop() {
  [ -n "${RSPAMD_PID:-}" ] || return 0
  kill "$RSPAMD_PID" 2>/dev/null
  wait "$RSPAMD_PID" 2>/dev/null
  RSPAMD_PID=
  wait_for 30 sh -c "! curl -s http://$RSPAMD_ADDR/ping" || true
}
