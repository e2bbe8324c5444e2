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

@test "item 16: a chdir its user cannot enter is a spawn failure, step chdir" {
	local port
	port=$(free_port)
	prog_dir
	mkdir -m 0700 "$BATS_TEST_TMPDIR/private"
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $PROG_DIR/echo
user = nobody
chdir = $BATS_TEST_TMPDIR/private
EOF
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
		conf_refused 3 "service 'e': umask '$m': expected an octal mask, 0 to 0777"
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
	run "$B/myriadd" -n -f "$ROOT/conf/myriad.conf"
	assert_success
	assert_output "$ROOT/conf/myriad.conf: configuration OK"
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
	DAEMON_WRAP=$w DAEMON_CONF=$ROOT/conf/myriad.conf READY_TIMEOUT=60 \
	    restart_daemon
	run grep -F 'myriadd: ready: ' "$DAEMON_LOG"
	assert_output --regexp '^myriadd: ready: echo 127\.0\.0\.1:7001 spawn 100, discard 127\.0\.0\.1:7002 pool 10, daytime 127\.0\.0\.1:7003 spawn 100, chargen 127\.0\.0\.1:7004 spawn 20, time 127\.0\.0\.1:7005 pool 4, qotd 127\.0\.0\.1:7006 pool 4, echo-pool 127\.0\.0\.1:7007 pool 50, hello 127\.0\.0\.1:8080 pool 1000; '
	refute daemon_said 'warning'
	run nsenter -t "$DAEMON_PID" -n socat -t 5 - TCP:127.0.0.1:7001 <<<"shipped"
	assert_output "shipped"
	pid=$(workers_of "$DAEMON_PID" | head -1)
	[ "$(stat -c %U "/proc/$pid")" = nobody ]
}
