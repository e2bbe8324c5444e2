#!/usr/bin/env bats
# myriad.conf(5) and myriadd(8) on paths and credentials: a symlinked
# config re-resolved on SIGHUP, group replacing the user's primary group,
# the control socket's directory, stale sockets, a UNIX listener's mode
# and owner, a worker's chdir and umask, root workers warned of.
# (issue 17, items 6, 7, 11, 16)

load helpers
load daemon_helpers

# Users and groups a test made, removed in teardown.
OWNED_USERS=
OWNED_GROUPS=

# prog_dir: a directory every user can search, with a copy of the echo
# worker in it, wherever the checkout lives (issue 16); sets PROG_DIR.
prog_dir() {
	PROG_DIR=$BATS_TEST_TMPDIR/progs
	mkdir -p "$PROG_DIR"
	cp "$W/echo" "$PROG_DIR/echo"
	chmod 0755 "$PROG_DIR" "$PROG_DIR/echo"
	local d=$BATS_TEST_TMPDIR
	while [ "$d" != / ]; do
		chmod o+x "$d" 2>/dev/null || true
		d=$(dirname "$d")
	done
}

# group_make NAME: a new group, removed in teardown.
group_make() {
	groupadd "$1" || return 1
	OWNED_GROUPS="$OWNED_GROUPS $1"
}

# user_make NAME PRIMARY [SUPPLEMENTARY]: a new user without a home.
user_make() {
	useradd -M -N -s /usr/sbin/nologin -g "$2" ${3:+-G "$3"} "$1" ||
	    return 1
	OWNED_USERS="$OWNED_USERS $1"
}

gid_of() { getent group "$1" | cut -d: -f3; }

teardown() {
	local u g
	daemon_teardown
	teardown_common
	for u in $OWNED_USERS; do userdel "$u"; done
	for g in $OWNED_GROUPS; do groupdel "$g"; done
}

# creds_check ORDER: a worker of a user whose primary group is not the
# group key runs with gid = the key, groups = the key and its other
# group, whichever of user and group comes first (ORDER: user or group).
creds_check() {
	local port pid tag=$$$RANDOM prim sup key keys
	prim=mp${tag}p sup=mp${tag}s key=mp${tag}k
	group_make "$prim" && group_make "$sup" && group_make "$key"
	user_make "mp${tag}u" "$prim" "$sup"
	prog_dir
	port=$(free_port)
	if [ "$1" = user ]; then
		keys="user = mp${tag}u"$'\n'"group = $key"
	else
		keys="group = $key"$'\n'"user = mp${tag}u"
	fi
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $PROG_DIR/echo
$keys
EOF
	hold_connections 1 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 1
	pid=$(workers_of "$DAEMON_PID")
	run grep -E '^(Uid|Gid|Groups):' "/proc/$pid/status"
	local uid
	uid=$(id -u "mp${tag}u")
	assert_line $'Uid:\t'"$uid"$'\t'"$uid"$'\t'"$uid"$'\t'"$uid"
	assert_line $'Gid:\t'"$(gid_of "$key")"$'\t'"$(gid_of "$key")"$'\t'"$(gid_of "$key")"$'\t'"$(gid_of "$key")"
	assert_line $'Groups:\t'"$(printf '%s\n' "$(gid_of "$key")" \
	    "$(gid_of "$sup")" | sort -n | tr '\n' ' ')"
}

@test "item 7: group replaces the user's primary group (user first)" {
	creds_check user
}

@test "item 7: group replaces the user's primary group (group first)" {
	creds_check group
}

@test "item 6: SIGHUP follows a flipped symlinked config; its relative exec resolves in the new directory" {
	local pa pb a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b pid
	pa=$(free_port)
	pb=$(free_port)
	while [ "$pb" = "$pa" ]; do pb=$(free_port); done
	mkdir "$a" "$b"
	cp "$W/echo" "$a/prog"
	cp "$W/echo" "$b/prog"
	write_conf "$a/myriad.conf" <<EOF
[in-a]
listen = 127.0.0.1:$pa
exec = prog
EOF
	write_conf "$b/myriad.conf" <<EOF
[in-b]
listen = 127.0.0.1:$pb
mode = pool
workers = 1
exec = prog
EOF
	ln -s "$a/myriad.conf" "$BATS_TEST_TMPDIR/current.conf"
	DAEMON_CONF=$BATS_TEST_TMPDIR/current.conf restart_daemon
	run socat -t 5 - "TCP:127.0.0.1:$pa" <<<"from a"
	assert_output "from a"
	# flip the link atomically, as a deployment does
	ln -s "$b/myriad.conf" "$BATS_TEST_TMPDIR/next.conf"
	mv -T "$BATS_TEST_TMPDIR/next.conf" "$BATS_TEST_TMPDIR/current.conf"
	kill -HUP "$DAEMON_PID"
	wait_for 10 daemon_said 'myriadd: reloaded: in-b'
	run socat -t 5 - "TCP:127.0.0.1:$pb" <<<"from b"
	assert_output "from b"
	refute listening "$pa"
	wait_for 5 has_workers "$DAEMON_PID" 1
	pid=$(workers_of "$DAEMON_PID")
	[ "$(readlink "/proc/$pid/exe")" = "$b/prog" ]
}

# worker_status KEY: the KEY: line of the daemon's one live worker.
worker_status() {
	local pid
	wait_for 5 has_workers "$DAEMON_PID" 1 || return 1
	pid=$(workers_of "$DAEMON_PID")
	grep "^$1:" "/proc/$pid/status"
}

# odd_start: DAEMON_WRAP that starts myriadd with umask 077 in the test's
# directory, so that a worker that inherited either would show it.
odd_start() {
	local w=$BATS_TEST_TMPDIR/odd
	printf '#!/bin/sh\numask 077\ncd "%s" || exit 1\nexec "$@"\n' \
	    "$BATS_TEST_TMPDIR" >"$w"
	chmod +x "$w"
	DAEMON_WRAP=$w
}

@test "item 16: a worker starts in / with umask 022 whatever the daemon's" {
	local port pid
	port=$(free_port)
	odd_start
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	[ "$(readlink "/proc/$DAEMON_PID/cwd")" = "$BATS_TEST_TMPDIR" ]
	run grep '^Umask:' "/proc/$DAEMON_PID/status"
	assert_output $'Umask:\t0077'
	hold_connections 1 "$port"
	run worker_status Umask
	assert_output $'Umask:\t0022'
	pid=$(workers_of "$DAEMON_PID")
	[ "$(readlink "/proc/$pid/cwd")" = / ]
}

@test "item 16: chdir (relative to the config) and umask, applied as the worker's user" {
	local port pid
	port=$(free_port)
	prog_dir
	mkdir -m 0755 "$BATS_TEST_TMPDIR/work"
	odd_start
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $PROG_DIR/echo
user = nobody
chdir = work
umask = 027
EOF
	hold_connections 1 "$port"
	run worker_status Umask
	assert_output $'Umask:\t0027'
	pid=$(workers_of "$DAEMON_PID")
	[ "$(readlink "/proc/$pid/cwd")" = "$BATS_TEST_TMPDIR/work" ]
	run worker_status Uid
	assert_output --regexp "^Uid:\s+$(id -u nobody)\s"
}

@test "item 16: a chdir its user cannot enter: refused at load; closed after, a spawn failure, step chdir" {
	local port
	port=$(free_port)
	prog_dir
	mkdir -m 0700 "$BATS_TEST_TMPDIR/private"
	write_conf <<EOF
[e]
listen = 127.0.0.1:$port
exec = $PROG_DIR/echo
user = nobody
chdir = $BATS_TEST_TMPDIR/private
EOF
	# issue 16: checked as the worker will run
	conf_refused 5 "'nobody' cannot enter $BATS_TEST_TMPDIR/private: Permission denied"
	chmod 0755 "$BATS_TEST_TMPDIR/private"
	restart_daemon
	chmod 0700 "$BATS_TEST_TMPDIR/private"
	run socat -t 2 - "TCP:127.0.0.1:$port" <<<"anyone?"
	assert_output ""
	wait_for 5 daemon_said "myriadd: warning: service 'e': unable to spawn $PROG_DIR/echo: chdir: Permission denied"
}

# conf_refused LINE MESSAGE: myriadd -n on the test's config exits 100
# with exactly FILE:LINE: MESSAGE.
conf_refused() {
	run "$B/myriadd" -n -f "$BATS_TEST_TMPDIR/myriad.conf"
	assert_failure 100
	assert_output "$BATS_TEST_TMPDIR/myriad.conf:$1: $2"
}

@test "item 16: a chdir that is missing or not a directory, a bad umask: file:line: errors" {
	local port
	port=$(free_port)
	write_conf <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
chdir = /nonexistent/dir
EOF
	conf_refused 4 "service 'e': chdir '/nonexistent/dir': No such file or directory"
	write_conf <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
chdir = $W/echo
EOF
	conf_refused 4 "service 'e': chdir '$W/echo': not a directory"
	for m in 0999 1000 u=rwx -022 07777; do
		write_conf <<EOF
[e]
listen = 127.0.0.1:$port
umask = $m
exec = $W/echo
EOF
		conf_refused 3 "service 'e': umask '$m': expected an octal mode, 0 to 0777"
	done
	refute listening "$port"
}

@test "item 16: a service whose workers run as root is warned of once at load" {
	local p1 p2
	p1=$(free_port)
	p2=$(free_port)
	while [ "$p2" = "$p1" ]; do p2=$(free_port); done
	prog_dir
	start_daemon <<EOF
[as-root]
listen = 127.0.0.1:$p1
exec = $W/echo

[as-nobody]
listen = 127.0.0.1:$p2
exec = $PROG_DIR/echo
user = nobody
EOF
	[ "$(daemon_count "myriadd: warning: service 'as-root': its workers run as root")" -eq 1 ]
	[ "$(daemon_count "run as root")" -eq 1 ]
}

@test "item 16: the shipped conf/myriad.conf passes -n and comes up as nobody" {
	local pid w=$BATS_TEST_TMPDIR/isolated
	shipped_conf
	run "$B/myriadd" -n -f "$SHIPPED_CONF"
	assert_success
	assert_output "$SHIPPED_CONF: configuration OK"
	# 1068 workers: not beside the scale tests; its fixed ports and
	# /run/myriad in a network and mount namespace of its own
	scale_lock
	cat >"$w" <<'EOF'
#!/bin/sh
exec unshare -n -m --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 tmpfs /run && ip link set lo up &&
    exec "$0" "$@"' "$@"
EOF
	chmod +x "$w"
	DAEMON_WRAP=$w DAEMON_CONF=$SHIPPED_CONF READY_TIMEOUT=60 \
	    restart_daemon
	run grep -F 'myriadd: ready: ' "$DAEMON_LOG"
	assert_output --regexp '^myriadd: ready: echo 127\.0\.0\.1:7001 spawn 100, discard 127\.0\.0\.1:7002 pool 10, daytime 127\.0\.0\.1:7003 spawn 100, chargen 127\.0\.0\.1:7004 spawn 20, time 127\.0\.0\.1:7005 pool 4, qotd 127\.0\.0\.1:7006 pool 4, echo-pool 127\.0\.0\.1:7007 pool 50, hello 127\.0\.0\.1:8080 pool 1000; '
	refute daemon_said 'warning'
	run nsenter -t "$DAEMON_PID" -n socat -t 5 - TCP:127.0.0.1:7001 <<<"shipped"
	assert_output "shipped"
	pid=$(workers_of "$DAEMON_PID" | head -1)
	[ "$(stat -c %U "/proc/$pid")" = nobody ]
}

# ctl_refused DIR MESSAGE: a daemon whose control socket is in DIR exits
# 100 with MESSAGE, having bound nothing.
ctl_refused() {
	local port
	port=$(free_port)
	write_conf <<EOF
control = $1/control.sock
[e]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	run timeout 10 "$B/myriadd" -f "$BATS_TEST_TMPDIR/myriad.conf"
	assert_failure 100
	assert_output "myriadd: fatal: control socket $1/control.sock: $2"
	refute listening "$port"
	[ ! -e "$1/control.sock" ]
}

@test "item 11: a control socket directory that is a symbolic link is refused" {
	mkdir -m 0700 "$BATS_TEST_TMPDIR/real"
	ln -s real "$BATS_TEST_TMPDIR/link"
	ctl_refused "$BATS_TEST_TMPDIR/link" "$BATS_TEST_TMPDIR/link is a symbolic link"
}

@test "item 11: a control socket directory owned by another user is refused" {
	mkdir -m 0700 "$BATS_TEST_TMPDIR/theirs"
	chown nobody "$BATS_TEST_TMPDIR/theirs"
	ctl_refused "$BATS_TEST_TMPDIR/theirs" "$BATS_TEST_TMPDIR/theirs is owned by uid $(id -u nobody), not root or uid 0"
}

@test "item 11: a control socket directory writable by group or others is refused" {
	mkdir "$BATS_TEST_TMPDIR/shared" "$BATS_TEST_TMPDIR/sticky"
	chmod 0770 "$BATS_TEST_TMPDIR/shared"
	chmod 1777 "$BATS_TEST_TMPDIR/sticky"
	ctl_refused "$BATS_TEST_TMPDIR/shared" "$BATS_TEST_TMPDIR/shared is writable by group or others (mode 0770)"
	ctl_refused "$BATS_TEST_TMPDIR/sticky" "$BATS_TEST_TMPDIR/sticky is writable by group or others (mode 1777)"
}

# stale_socket PATH: a socket file nobody listens on any more.
stale_socket() {
	python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"
}

@test "item 11: only a socket that refuses connections is cleared; a file or a live one stays" {
	local port sock=$BATS_TEST_TMPDIR/l.sock ctl=$BATS_TEST_TMPDIR/c/ctl.sock live
	port=$(free_port)
	mkdir -m 0700 "$BATS_TEST_TMPDIR/c"
	stale_socket "$sock"
	stale_socket "$ctl"
	start_daemon <<EOF
control = $ctl
[u]
listen = $sock
exec = $W/echo
EOF
	run socat -t 5 - "UNIX-CONNECT:$sock" <<<"cleared"
	assert_output "cleared"
	run "$B/myriadctl" -s "$ctl" status
	assert_success
	stop_daemon
	# a regular file is not a stale socket: it is left, and bind fails
	echo keep >"$sock"
	write_conf <<EOF
[u]
listen = $sock
exec = $W/echo
EOF
	run timeout 10 "$B/myriadd" -f "$BATS_TEST_TMPDIR/myriad.conf"
	assert_failure 111
	assert_line "myriadd: warning: service 'u': unable to listen on $sock: Address already in use"
	[ "$(cat "$sock")" = keep ]
	# a live control socket of someone else is not taken over
	rm "$sock"
	setsid socat "UNIX-LISTEN:$ctl,fork" /dev/null 3>&- &
	live=$!
	OWNED_PGIDS="$OWNED_PGIDS $live"
	wait_for 5 test -S "$ctl"
	write_conf <<EOF
control = $ctl
[u]
listen = $sock
exec = $W/echo
EOF
	run timeout 10 "$B/myriadd" -f "$BATS_TEST_TMPDIR/myriad.conf"
	assert_failure 111
	assert_output "myriadd: fatal: control socket $ctl: another daemon answers there"
	[ -S "$ctl" ]
	[ ! -e "$sock" ]
}

@test "item 11: socket_mode, socket_owner, socket_group set a UNIX listener's file; clients as the owner connect, others do not" {
	local sock=$BATS_TEST_TMPDIR/s/svc.sock
	prog_dir
	mkdir -m 0755 "$BATS_TEST_TMPDIR/s"
	start_daemon <<EOF
[u]
listen = $sock
socket_mode = 0660
socket_owner = nobody
socket_group = nogroup
exec = $W/echo
EOF
	run stat -c '%a %U %G' "$sock"
	assert_output "660 nobody nogroup"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    socat -t 5 - "UNIX-CONNECT:$sock" <<<"as nobody"
	assert_output "as nobody"
	run setpriv --reuid=54321 --regid=54321 --clear-groups \
	    socat -t 5 - "UNIX-CONNECT:$sock" </dev/null
	assert_failure
	assert_output --partial "Permission denied"
}

@test "item 11: a UNIX listener is 0600 by default, whatever the daemon's umask" {
	local sock=$BATS_TEST_TMPDIR/d.sock w=$BATS_TEST_TMPDIR/umask0
	printf '#!/bin/sh\numask 0\nexec "$@"\n' >"$w"
	chmod +x "$w"
	DAEMON_WRAP=$w start_daemon <<EOF
[u]
listen = $sock
exec = $W/echo
EOF
	run stat -c '%a %U %G' "$sock"
	assert_output "600 root root"
	run socat -t 5 - "UNIX-CONNECT:$sock" <<<"root"
	assert_output "root"
}

@test "item 11: socket_* keys on a TCP listener are refused at their line" {
	local port
	port=$(free_port)
	for k in "socket_mode = 0660" "socket_owner = nobody" "socket_group = nogroup"; do
		write_conf <<EOF
[e]
exec = $W/echo
${k}
listen = 127.0.0.1:$port
EOF
		conf_refused 3 "service 'e': '${k%% *}' applies to UNIX socket listeners only"
	done
	write_conf <<EOF
[e]
listen = /tmp/x.sock
socket_owner = no-such-user-here
exec = $W/echo
EOF
	conf_refused 3 "service 'e': socket_owner 'no-such-user-here': no such user"
	refute listening "$port"
}
