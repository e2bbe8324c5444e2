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
