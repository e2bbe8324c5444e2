#!/usr/bin/env bats
# A program the service's user cannot run is refused when the config is
# loaded, as the worker would find it (issue 16): search on every
# directory of its path, execute on the file, asked with its credentials.

load helpers
load daemon_helpers

# closed_dir MODE: a new directory of that mode under /tmp, holding a copy
# of echo; sets DIR.
closed_dir() {
	DIR=$(mktemp -d /tmp/myriad-closed.XXXXXX)
	OWNED_DIRS="$OWNED_DIRS $DIR"
	cp "$W/echo" "$DIR/echo"
	chmod "$1" "$DIR"
}

@test "a program under a directory its user cannot search: file:line, the directory named, exit 100, nothing bound" {
	local port conf=$BATS_TEST_TMPDIR/myriad.conf
	port=$(free_port)
	closed_dir 700
	write_conf "$conf" <<EOF
[e]
listen = 127.0.0.1:$port
exec = $DIR/echo
user = nobody
EOF
	run "$B/myriadd" -n -f "$conf"
	assert_equal "$status" 100
	assert_output "$conf:3: 'nobody' cannot execute $DIR/echo: $DIR is not searchable"
	run timeout 10 "$B/myriadd" -f "$conf"
	assert_equal "$status" 100
	assert_output "$conf:3: 'nobody' cannot execute $DIR/echo: $DIR is not searchable"
	run ss -Htln "sport = :$port"
	assert_output ""
}

@test "a program its user may not execute: the reason, exit 100" {
	local conf=$BATS_TEST_TMPDIR/myriad.conf
	closed_dir 755
	chmod 744 "$DIR/echo"
	write_conf "$conf" <<EOF
[e]
listen = 127.0.0.1:$(free_port)
user = nobody
exec = $DIR/echo
EOF
	run "$B/myriadd" -n -f "$conf"
	assert_equal "$status" 100
	assert_output "$conf:4: 'nobody' cannot execute $DIR/echo: Permission denied"
	# the same program is fine for root, and for nobody once executable
	chmod 755 "$DIR/echo"
	run "$B/myriadd" -n -f "$conf"
	assert_success
}

@test "on reload such a program is refused and the old configuration keeps serving" {
	local port
	port=$(free_port)
	open_copy "$W/echo"
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $OPEN_COPY
user = nobody
EOF
	closed_dir 700
	write_conf <<EOF
[e]
listen = 127.0.0.1:$port
exec = $DIR/echo
user = nobody
EOF
	kill -HUP "$DAEMON_PID"
	wait_for 10 daemon_said "reload failed, keeping the previous configuration"
	daemon_said "$DAEMON_CONF:3: 'nobody' cannot execute $DIR/echo: $DIR is not searchable"
	run socat -t 5 - "TCP:127.0.0.1:$port" <<<"still here"
	assert_output "still here"
}
