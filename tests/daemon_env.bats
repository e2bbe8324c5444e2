#!/usr/bin/env bats
# A spawn-mode worker sees exactly the UCSPI variables tcpserver would set,
# with the right values, plus the service's env lines: nothing else.

load helpers
load daemon_helpers

# printenv_via CLIENT-ADDRESS: the environment the worker printed, sorted.
printenv_via() {
	socat -t 5 - "$1" </dev/null | sort
}

@test "IPv4: PROTO, TCPLOCALIP/PORT, TCPREMOTEIP/PORT, TCPCONNNUM and env lines, nothing else" {
	local port client
	port=$(free_port)
	client=$(free_port)
	start_daemon <<EOF
[env4]
listen = 127.0.0.1:$port
exec = $T/printenv
env = GREETING=hello world
env = EMPTY=
EOF
	run printenv_via "TCP:127.0.0.1:$port,bind=127.0.0.1:$client"
	assert_success
	assert_output "EMPTY=
GREETING=hello world
PROTO=TCP
TCPCONNNUM=1
TCPLOCALIP=127.0.0.1
TCPLOCALPORT=$port
TCPREMOTEIP=127.0.0.1
TCPREMOTEPORT=$client"
}

@test "IPv6: addresses as text without brackets, PROTO=TCP" {
	local port client
	port=$(free_port)
	client=$(free_port)
	start_daemon <<EOF
[env6]
listen = [::1]:$port
exec = $T/printenv
EOF
	run printenv_via "TCP6:[::1]:$port,bind=[::1]:$client"
	assert_success
	assert_output "PROTO=TCP
TCPCONNNUM=1
TCPLOCALIP=::1
TCPLOCALPORT=$port
TCPREMOTEIP=::1
TCPREMOTEPORT=$client"
}

@test "*:PORT takes IPv4 and IPv6; IPv4 clients show as plain IPv4" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[any]
listen = *:$port
exec = $T/printenv
EOF
	run printenv_via "TCP4:127.0.0.1:$port"
	assert_line "TCPREMOTEIP=127.0.0.1"
	assert_line "TCPLOCALIP=127.0.0.1"
	run printenv_via "TCP6:[::1]:$port"
	assert_line "TCPREMOTEIP=::1"
}

@test "UNIX: PROTO=UNIX and the peer's uid, gid and pid" {
	local sock=$BATS_TEST_TMPDIR/env.sock
	start_daemon <<EOF
[envu]
listen = $sock
exec = $T/printenv
EOF
	socat -t 5 - "UNIX-CONNECT:$sock" </dev/null >"$BATS_TEST_TMPDIR/out" &
	local client=$!
	wait "$client"
	run sort "$BATS_TEST_TMPDIR/out"
	assert_output "PROTO=UNIX
UNIXREMOTEGID=$(id -g)
UNIXREMOTEPID=$client
UNIXREMOTEUID=$(id -u)"
}

@test "17.12 TCPCONNNUM counts its source's connections, this one included, as s6-tcpserver does" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[env]
listen = 127.0.0.1:$port
exec = $T/printenv
EOF
	hold_connections 2 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 2
	run printenv_via "TCP:127.0.0.1:$port"
	assert_line "TCPCONNNUM=3"
	# another source has its own count
	run printenv_via "TCP:127.0.0.1:$port,bind=127.0.0.2"
	assert_line "TCPREMOTEIP=127.0.0.2"
	assert_line "TCPCONNNUM=1"
	kill_group "$HOLD_PGID"
	wait_for 5 has_workers "$DAEMON_PID" 0
	run printenv_via "TCP:127.0.0.1:$port"
	assert_line "TCPCONNNUM=1"
}

@test "a UNIX socket path is removed when the daemon stops, a stale one replaced" {
	local sock=$BATS_TEST_TMPDIR/stale.sock stale
	# a socket file nobody listens on any more
	socat "UNIX-LISTEN:$sock,unlink-close=0" /dev/null 3>&- &
	stale=$!
	wait_for 5 test -S "$sock"
	kill "$stale"
	wait "$stale" || true
	[ -S "$sock" ]
	start_daemon <<EOF
[u]
listen = $sock
exec = $W/qotd
EOF
	run socat -t 5 - "UNIX-CONNECT:$sock" </dev/null
	assert_output --partial Hamming
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	[ ! -e "$sock" ]
}

@test "a UNIX socket someone serves is not taken over" {
	local sock=$BATS_TEST_TMPDIR/busy.sock
	setsid socat "UNIX-LISTEN:$sock,fork" /dev/null 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 5 test -S "$sock"
	write_conf <<EOF
[u]
listen = $sock
exec = $W/qotd
EOF
	run "$B/myriadd" -f "$BATS_TEST_TMPDIR/myriad.conf"
	assert_failure 111
	assert_output --partial "myriadd: warning: service 'u': unable to listen on $sock: Address already in use"
}
