#!/bin/sh
# quail-setup CONFIGURATION [options]: turn an instance (made by
# mkinstance or make install) into one of the standard configurations of
# quail-configurations(7).
#
# Writes HOME/control/ (locals, rcpthosts, masquerading, smtproutes,
# linksdown, qmqpservers, listenip, tcp.smtp, tcp.pop3, tcp.qmqp),
# users/assign and passwd.cdb for --user, and keeps in HOME/service/ only
# the services the configuration runs. internet and multidomain also write
# servercert.pem (a self-signed certificate when missing, by quail-cert),
# spf, rcptcheck, checkpassword, virtualdomains, dkim/DOMAIN/mail.key
# (by dkim-keygen; the TXT record to publish in dkim/DOMAIN/mail.txt),
# and domains/DOMAIN/.qmail-* for the users of the extra domains. The
# mailboxes belong to control/'s owner, or to quailv (made when missing)
# where that is root: no mail user is root. HOME is --home DIR, else
# QUAIL_HOME, else the directory above this script's when it holds
# control/, else /var/quail.
# Exit codes: 0 done, 100 usage or a bad option, 111 a file could not be
# written or a helper (newu, newrcpt, quail-passwd, quail-cert, dkim-keygen)
# failed.
set -u
prog=quail-setup
usage() {
  echo "$prog: usage: $prog isolated|dialup|dialup-multi|lan-client-qmqp|lan-client-smtp|lan-server|lan-server-dialup|internet|multidomain [--home DIR] [--domain D] [--listen IP] [--lan PREFIX] [--hub IP] [--provider RELAY[:PORT]] [--link NAME] [--user NAME]..." >&2
  exit 100
}
die() { echo "$prog: fatal: $*" >&2; exit 111; }
die_bad() { echo "$prog: fatal: $*" >&2; exit 100; }

# --- helpers ---------------------------------------------------------

# put FILE TEXT: TEXT and a newline into control/FILE, atomically
put() {
  tmp=$home/control/$1.tmp.$$
  printf '%s\n' "$2" > "$tmp" || { rm -f "$tmp"; die "unable to write $tmp"; }
  mv -f "$tmp" "$home/control/$1" || { rm -f "$tmp"; die "unable to replace control/$1"; }
}
# rules NAME TEXT: control/tcp.NAME, compiled at once to tcp.NAME.cdb
# (a running tcpserver reads the cdb at every connection)
rules() {
  put "tcp.$1" "$2"
  c=$home/control/tcp.$1
  tcprules "$c.cdb" "$c.tmp" < "$c" || die "tcprules $c.cdb failed"
}
drop() { rm -f "$home/control/$1" || die "unable to remove control/$1"; }

# services NAME...: keep exactly these service directories
services() {
  [ -d "$home/service" ] || return 0
  for s in "$home"/service/*/; do
    s=$(basename "$s")
    case " $* " in *" $s "*) ;; *) rm -rf "${home:?}/service/$s" || die "unable to remove service/$s" ;; esac
  done
}

check_name() { case $2 in ''|*[!A-Za-z0-9.-]*) die_bad "bad $1: $2" ;; esac; }
check_addr() { case $2 in ''|*[!0-9A-Fa-f.:]*) die_bad "bad $1: $2" ;; esac; }
need() { [ -n "$2" ] || die_bad "$cfg needs --$1"; }

# hosts: the domains delivered here (me, localhost, the domain)
local_domains() { put locals "$(printf '%s\n%s\n%s\n' "$me" localhost "$domain" | sort -u)"; }
accept_domains() { put rcpthosts "$(printf '%s\n%s\n%s\n' "$me" localhost "$domain" | sort -u)"; }

# masquerade: addresses without a host, or with a bare host name, are
# made in the domain (defaulthost, defaultdomain, plusdomain)
masquerade() {
  put defaulthost "$domain"
  put defaultdomain "$domain"
  put plusdomain "$domain"
}

# outward LINK: the provider as smarthost on LINK, which starts down
outward() {
  need provider "$provider"
  relay=${provider%%:*} port=25
  [ "$relay" = "$provider" ] || port=${provider#*:}
  case $port in ''|*[!0-9]*) die_bad "bad port in --provider: $provider" ;; esac
  put smtproutes "$(printf ':%s:%s:%s\n' "$relay" "$port" "$link")"
  put linksdown "$link"
}

# outward_multi: one default route per --provider RELAY[:PORT][@LINK], in
# order (deliver-remote takes the first whose link is up); every link
# starts down, and quail-link up LINK chooses the one that carries mail
outward_multi() {
  [ -n "$providers" ] || die_bad "dialup-multi needs --provider RELAY[:PORT][@LINK] for each provider"
  routes= links= n=0
  for p in $providers; do
    n=$((n + 1))
    l=${p#*@}; [ "$l" = "$p" ] && l=link$n
    p=${p%@*}
    relay=${p%%:*} port=25
    [ "$relay" = "$p" ] || port=${p#*:}
    case $port in ''|*[!0-9]*) die_bad "bad port in --provider: $p" ;; esac
    routes="$routes$(printf ':%s:%s:%s' "$relay" "$port" "$l")
"
    links="$links$l
"
  done
  [ $n -ge 2 ] || die_bad "dialup-multi needs at least two --provider options (dialup takes one)"
  put smtproutes "${routes%
}"
  put linksdown "${links%
}"
}

listen() { put listenip "$1"; }

# add_user NAME: a Maildir, an assign entry and a POP3 password (kept in
# mail/NAME/password, as mkinstance does for test)
add_user() {
  u=$1 dir=$home/mail/$1 assign=$home/users/assign
  check_name user "$u"
  mkdir -p "$dir/Maildir/tmp" "$dir/Maildir/new" "$dir/Maildir/cur" || die "unable to make $dir/Maildir"
  chmod -R go-rwx "$dir" && chown -R "$uid:$gid" "$dir" || die "unable to protect $dir"
  if ! grep -q "^=$u:" "$assign"; then
    { printf '=%s:%s:%s:%s:%s:-::\n+%s-:%s:%s:%s:%s:-::\n' "$u" "$owner" "$uid" "$gid" "$dir" "$u" "$owner" "$uid" "$gid" "$dir"
      cat "$assign"; } > "$assign.tmp" && mv -f "$assign.tmp" "$assign" || die "unable to write $assign"
  fi
  [ -f "$dir/password" ] && return 0
  pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n') || die "unable to read /dev/urandom"
  printf '%s\n' "$pass" | QUAIL_HOME=$home "$home/bin/quail-passwd" add "$u" "$uid" "$gid" "$dir" \
    || die "quail-passwd add $u failed"
  (umask 077 && printf '%s\n' "$pass" > "$dir/password") || die "unable to write $dir/password"
}

users() {
  [ -n "$users" ] || return 0
  for u in $users; do add_user "$u"; done
  QUAIL_HOME=$home "$home/bin/newu" || die "newu failed"
}

# null_bin: HOME/bin becomes a directory of links to the programs, with
# queue-writer (and qmail-queue) being qmqp-client, so every program that
# queues hands the message to the hub
null_bin() {
  src=$(readlink -f "$home/bin/qmqp-client") || die "unable to find qmqp-client"
  src=$(dirname "$src")
  if [ -L "$home/bin" ]; then rm -f "$home/bin" && mkdir "$home/bin" || die "unable to make $home/bin"; fi
  for p in "$src"/*; do ln -sf "$p" "$home/bin/$(basename "$p")" || die "unable to link bin/$(basename "$p")"; done
  ln -sf "$src/qmqp-client" "$home/bin/queue-writer" && ln -sf "$src/qmqp-client" "$home/bin/qmail-queue" \
    || die "unable to link bin/queue-writer to qmqp-client"
}

# tls_cert: control/servercert.pem, a self-signed certificate for me made
# by quail-cert (mode 600, owned by quaild on an installed system, where
# smtpd runs as quaild); an existing one is kept
tls_cert() {
  QUAIL_HOME=$home "$home/bin/quail-cert" selfsigned "$me" >/dev/null || die "quail-cert could not make a certificate"
}

# dkim_key DOMAIN: a DKIM key (selector mail) when the domain has none;
# the record to publish goes to control/dkim/DOMAIN/mail.txt
dkim_key() {
  d=$home/control/dkim/$1
  ls "$d"/*.key >/dev/null 2>&1 && return 0
  rec=$(QUAIL_HOME=$home "$home/bin/dkim-keygen" "$1" mail) || die "dkim-keygen $1 failed"
  printf '%s\n' "$rec" > "$d/mail.txt" || die "unable to write $d/mail.txt"
}

# vprefix DOMAIN: the local-part prefix of a virtual domain (dots as -)
vprefix() { printf 'vd-%s' "$1" | tr . -; }

# vdomain DOMAIN: DOMAIN's mailboxes are the .qmail files of
# HOME/domains/DOMAIN (virtualdomains DOMAIN:vd-DOMAIN, a prefix entry in
# users/assign), with a postmaster Maildir of its own
vdomain() {
  p=$(vprefix "$1") dir=$home/domains/$1 assign=$home/users/assign
  mkdir -p "$dir" || die "unable to make $dir"
  if ! grep -q "^+$p-:" "$assign"; then
    { printf '+%s-:%s:%s:%s:%s:-::\n' "$p" "$owner" "$uid" "$gid" "$dir"; cat "$assign"; } > "$assign.tmp" \
      && mv -f "$assign.tmp" "$assign" || die "unable to write $assign"
  fi
  vmailbox postmaster "$1"
}

# vmailbox NAME DOMAIN: mail/DOMAIN/NAME/Maildir and .qmail-NAME for it
vmailbox() {
  md=$home/mail/$2/$1/Maildir q=$home/domains/$2/.qmail-$(printf '%s' "$1" | tr 'A-Z.' 'a-z:')
  mkdir -p "$md/tmp" "$md/new" "$md/cur" || die "unable to make $md"
  chmod -R go-rwx "$home/mail/$2/$1" && chown -R "$uid:$gid" "$home/mail/$2/$1" \
    || die "unable to protect $home/mail/$2/$1"
  [ -f "$q" ] || printf '%s/\n' "$md" > "$q" || die "unable to write $q"
}

# add_vuser NAME DOMAIN: a mailbox in a virtual domain; its login for
# AUTH and POP3 is NAME@DOMAIN (password in mail/DOMAIN/NAME/password)
add_vuser() {
  check_name user "$1"
  vmailbox "$1" "$2"
  dir=$home/mail/$2/$1
  [ -f "$dir/password" ] && return 0
  pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n') || die "unable to read /dev/urandom"
  printf '%s\n' "$pass" | QUAIL_HOME=$home "$home/bin/quail-passwd" add "$1@$2" "$uid" "$gid" "$dir" \
    || die "quail-passwd add $1@$2 failed"
  (umask 077 && printf '%s\n' "$pass" > "$dir/password") || die "unable to write $dir/password"
}

# internet_server: listen everywhere, STARTTLS, AUTH with checkpassword,
# SPF marks, RCPT check, relay for 127. and authenticated clients only;
# other clients' mail goes through auth-check, everything through
# dkim-sign (which signs only the domains with a key)
internet_server() {
  listen "${listenip:-0}"; drop smtproutes; drop linksdown
  tls_cert
  put spf mark
  put rcptcheck 1
  put checkpassword "$home/bin/verifypw /bin/true"
  sign=$home/bin/dkim-sign check=$home/bin/auth-check
  rules smtp "$(printf '127.:allow,RELAYCLIENT="",QMAILQUEUE="%s"\n::1:allow,RELAYCLIENT="",QMAILQUEUE="%s"\n:allow,QMAILQUEUE="%s",AUTHQUEUE="%s"\n' "$sign" "$sign" "$check" "$sign")"
}

# rcpt_check: users/rcpt.cdb, so that unknown local users get 550 at RCPT
rcpt_check() { QUAIL_HOME=$home "$home/bin/newrcpt" || die "newrcpt failed"; }

# mail_user: no mail user is root (qmail-lspawn's rule). The users are
# control/'s owner, which on an installed system is root: there they are
# quailv (its own group, home HOME/mail), made when missing. An instance
# (HOME/bin a link) keeps the one user who made it.
mail_user() {
  [ "$uid" = 0 ] && [ ! -L "$home/bin" ] || return 0
  if ! id -u quailv >/dev/null 2>&1; then
    useradd --system -U -d "$home/mail" -M -s /usr/sbin/nologin quailv || die "useradd quailv failed"
    echo "$prog: created user quailv for the mailboxes"
  fi
  owner=quailv uid=$(id -u quailv) gid=$(id -g quailv) || die "unable to find user quailv"
  [ "$uid" != 0 ] || die "user quailv has uid 0"
}

# --- the configurations ----------------------------------------------

cfg_isolated() {
  local_domains; accept_domains; listen 127.0.0.1
  drop smtproutes; drop linksdown
  rules smtp "$(printf '127.:allow,RELAYCLIENT=""\n::1:allow,RELAYCLIENT=""\n:deny\n')"
  users; services smtpd queue-manager
}

cfg_dialup() {
  local_domains; accept_domains; listen 127.0.0.1; masquerade; outward
  rules smtp "$(printf '127.:allow,RELAYCLIENT=""\n::1:allow,RELAYCLIENT=""\n:deny\n')"
  users; services smtpd queue-manager
}

cfg_dialup_multi() {
  local_domains; accept_domains; listen 127.0.0.1; masquerade; outward_multi
  rules smtp "$(printf '127.:allow,RELAYCLIENT=""\n::1:allow,RELAYCLIENT=""\n:deny\n')"
  users; services smtpd queue-manager
}

cfg_lan_client_qmqp() {
  need hub "$hub"; need domain "$domain_opt"
  put qmqpservers "$hub"
  masquerade; null_bin; services
}

cfg_lan_client_smtp() {
  need hub "$hub"; need domain "$domain_opt"
  put locals "$(printf '%s\n%s\n' "$me" localhost | sort -u)"
  put rcpthosts "$(printf '%s\n%s\n' "$me" localhost | sort -u)"
  put smtproutes "$(printf ':%s\n' "$hub")"
  listen "${listenip:-0}"; masquerade
  rules smtp "$(printf '127.:allow,RELAYCLIENT=""\n::1:allow,RELAYCLIENT=""\n:allow\n')"
  users; services smtpd queue-manager
}

# the LAN hub: relay, QMQP and POP3 for the LAN
cfg_lan_server() {
  need lan "$lan"; need domain "$domain_opt"
  local_domains; accept_domains; masquerade; listen "${listenip:-0}"
  rules smtp "$(printf '127.:allow,RELAYCLIENT=""\n::1:allow,RELAYCLIENT=""\n%s:allow,RELAYCLIENT=""\n:allow\n' "$lan")"
  rules qmqp "$(printf '127.:allow,RELAYCLIENT=""\n::1:allow,RELAYCLIENT=""\n%s:allow,RELAYCLIENT=""\n:deny\n' "$lan")"
  rules pop3 "$(printf '127.:allow,AUTHPLAINTEXT=""\n%s:allow,AUTHPLAINTEXT=""\n:deny\n' "$lan")"
  users; services smtpd pop3d qmqpd queue-manager
}

cfg_lan_server_dialup() {
  cfg_lan_server; outward
}

cfg_internet() {
  need domain "$domain_opt"
  local_domains; accept_domains; internet_server
  dkim_key "$domain"
  users; rcpt_check; services smtpd queue-manager
}

# the first --domain is the main one; the others are virtual domains
cfg_multidomain() {
  set -- $domains
  [ $# -ge 2 ] || die_bad "multidomain needs at least two --domain options (internet takes one)"
  domain=$1; shift
  local_domains
  put rcpthosts "$(printf '%s\n' "$me" localhost "$domain" "$@" | sort -u)"
  vd=
  for d in "$@"; do vd="$vd$d:$(vprefix "$d")
"; done
  put virtualdomains "${vd%
}"
  internet_server
  for d in "$domain" "$@"; do dkim_key "$d"; done
  for d in "$@"; do vdomain "$d"; done
  mainusers=
  for u in $users; do
    case $u in
    *@"$domain") mainusers="$mainusers ${u%@*}" ;;
    *@*) case " $* " in *" ${u#*@} "*) add_vuser "${u%@*}" "${u#*@}" ;; *) die_bad "no --domain for user $u" ;; esac ;;
    *) mainusers="$mainusers $u" ;;
    esac
  done
  users=$mainusers
  [ -n "$users" ] || { QUAIL_HOME=$home "$home/bin/newu" || die "newu failed"; }
  users; rcpt_check; services smtpd queue-manager
}

# --- main ------------------------------------------------------------

[ $# -ge 1 ] || usage
cfg=$1; shift
home=${QUAIL_HOME:-} domain_opt= listenip= lan= hub= provider= providers= link=default users= domains=
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case $1 in
  --home) home=$2 ;;
  --domain) check_name domain "$2"; domain_opt=$2; domains="$domains $2" ;;
  --listen) check_addr "listen address" "$2"; listenip=$2 ;;
  --lan) check_addr "LAN prefix" "$2"; lan=$2 ;;
  --hub) check_addr "hub address" "$2"; hub=$2 ;;
  --provider) case $2 in ''|*[!A-Za-z0-9.:@_-]*) die_bad "bad provider: $2" ;; esac
              provider=${2%@*}; providers="$providers $2" ;;
  --link) case $2 in ''|*[!A-Za-z0-9._-]*) die_bad "bad link name: $2" ;; esac; link=$2 ;;
  --user) users="$users $2" ;;
  *) usage ;;
  esac
  shift 2
done
if [ -z "$home" ]; then
  home=$(dirname "$(dirname "$(readlink -f "$0")")")
  [ -d "$home/control" ] || home=/var/quail
fi
[ -d "$home/control" ] || die "unable to find $home/control"
me=$(head -n 1 "$home/control/me" 2>/dev/null) || die "unable to read $home/control/me"
[ -n "$me" ] || die "$home/control/me is empty"
domain=${domain_opt:-$me}
owner=$(stat -c %U "$home/control") uid=$(stat -c %u "$home/control") gid=$(stat -c %g "$home/control") \
  || die "unable to stat $home/control"
umask 022
case $cfg in
isolated|dialup|dialup-multi|lan-client-qmqp|lan-client-smtp|lan-server|lan-server-dialup|internet|multidomain)
  mail_user; "cfg_$(echo "$cfg" | tr - _)" ;;
*) usage ;;
esac
echo "$prog: $home is now configured as $cfg"
