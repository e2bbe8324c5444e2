#!/usr/bin/env bats
# myriadd serves every shipped worker in spawn and in pool mode to real
# clients, says when it is ready, and starts workers the way myriadd(8)
# says: small fd table, own process group, no new privileges, dropped
# credentials, spawn failures reported with their reason.

load helpers
load daemon_helpers

WORKERS="echo discard chargen daytime time qotd hello"

# services MODE: one service per shipped worker in MODE, on free ports;
# PORT_<worker> holds each port.
services() {
	local mode=$1 w port used=" "
	for w in $WORKERS; do
		port=$(free_port)
		while [[ $used == *" $port "* ]]; do port=$(free_port); done
		used="$used$port "
		eval "PORT_$w=$port"
		cat <<EOF
[$w-$mode]
listen = 127.0.0.1:$port
mode = $mode
exec = $W/$w
workers = 4

EOF
	done
}

check_all() {
	run socat -t 5 - "TCP:127.0.0.1:$PORT_echo" <<<"hello, myriad"
	assert_success
	assert_output "hello, myriad"

	run socat -t 5 - "TCP:127.0.0.1:$PORT_discard" < <(head -c 50000 /dev/zero)
	assert_success
	assert_output ""

	run bash -c "nc -N 127.0.0.1 $PORT_chargen </dev/null | head -c 148"
	assert_success
	assert_line --index 0 ' !"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefg'$'\r'

	run socat -t 5 - "TCP:127.0.0.1:$PORT_daytime" </dev/null
	assert_success
	assert_output --regexp '^[A-Z][a-z]+day, [A-Z][a-z]+ [0-9]{1,2}, [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}-UTC'

	run rdate -p -o "$PORT_time" 127.0.0.1
	assert_success
	assert_output --partial "$(date -u +%Y)"

	run socat -t 5 - "TCP:127.0.0.1:$PORT_qotd" </dev/null
	assert_success
	assert_output --partial "Hamming"

	run curl -sS --max-time 5 "http://127.0.0.1:$PORT_hello/"
	assert_success
	assert_output "hello, world"
}

@test "every shipped worker is served in spawn mode" {
	services spawn >"$BATS_TEST_TMPDIR/services"
	start_daemon <"$BATS_TEST_TMPDIR/services"
	check_all
}

@test "every shipped worker is served in pool mode" {
	services pool >"$BATS_TEST_TMPDIR/services"
	start_daemon <"$BATS_TEST_TMPDIR/services"
	check_all
	# exactly `workers` copies of each, waiting
	wait_for 10 has_workers "$DAEMON_PID" 28
}

@test "the ready line names every service, its address, mode and workers" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
[h]
listen = $BATS_TEST_TMPDIR/h.sock
mode = pool
workers = 3
exec = $W/hello
EOF
	run grep 'ready' "$DAEMON_LOG"
	assert_output --partial "myriadd: ready: e 127.0.0.1:$port spawn 40, h $BATS_TEST_TMPDIR/h.sock pool 3; budget: 43 workers (e 40 x 4096 B user"
}

@test "READY=1 goes to NOTIFY_SOCKET" {
	local port sock=$BATS_TEST_TMPDIR/notify.sock
	port=$(free_port)
	setsid socat -u "UNIX-RECV:$sock" "OPEN:$BATS_TEST_TMPDIR/notified,creat" 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 5 test -S "$sock"
	DAEMON_ENV="NOTIFY_SOCKET=$sock" start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	wait_for 5 grep -q 'READY=1' "$BATS_TEST_TMPDIR/notified"
}

@test "-n checks the configuration and exits" {
	local port
	port=$(free_port)
	write_conf <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	run "$B/myriadd" -n -f "$BATS_TEST_TMPDIR/myriad.conf"
	assert_success
	assert_output "$BATS_TEST_TMPDIR/myriad.conf: configuration OK"
	refute listening "$port"
}

@test "a worker gets fds 0-2 only, a small fd table, its own group, no new privileges" {
	local port pid
	port=$(free_port)
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	hold_connections 1 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 1
	pid=$(workers_of "$DAEMON_PID")
	run ls "/proc/$pid/fd"
	assert_output $'0\n1\n2'
	run grep -E '^(FDSize|NoNewPrivs|SigBlk|SigIgn):' "/proc/$pid/status"
	assert_line $'FDSize:\t64'
	assert_line $'NoNewPrivs:\t1'
	assert_line $'SigBlk:\t0000000000000000'
	# SIGPIPE only, which the worker runtime ignores itself
	assert_line $'SigIgn:\t0000000000001000'
	[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]
	# not a session leader: setpgid, not setsid
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$pid" ]
	run grep -E '^Max core file size' "/proc/$pid/limits"
	assert_output --regexp ' 0 +0 '
}

@test "a daemon started with a 16,384-slot fd table still gives each worker a 64-slot one" {
	local port pid
	port=$(free_port)
	# fd 9999 open at exec: myriadd closes it, but an fd table never
	# shrinks, and a plain fork would copy all of it into every worker
	printf '#!/bin/bash\nexec 9999</dev/null\nexec "$@"\n' >"$BATS_TEST_TMPDIR/highfd"
	chmod +x "$BATS_TEST_TMPDIR/highfd"
	DAEMON_WRAP=$BATS_TEST_TMPDIR/highfd start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	run grep '^FDSize:' "/proc/$DAEMON_PID/status"
	assert_output $'FDSize:\t16384'
	hold_connections 1 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 1
	pid=$(workers_of "$DAEMON_PID")
	run grep '^FDSize:' "/proc/$pid/status"
	assert_output $'FDSize:\t64'
	run ls "/proc/$pid/fd"
	assert_output $'0\n1\n2'
}

@test "user and group: the worker runs with the service's credentials" {
	local port pid
	port=$(free_port)
	open_copy "$W/echo"
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $OPEN_COPY
user = nobody
group = nogroup
EOF
	hold_connections 1 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 1
	pid=$(workers_of "$DAEMON_PID")
	run grep -E '^(Uid|Gid|Groups):' "/proc/$pid/status"
	assert_line --regexp "^Uid:\s+$(id -u nobody)\s+$(id -u nobody)\s+$(id -u nobody)\s+$(id -u nobody)$"
	assert_line --regexp "^Gid:\s+$(getent group nogroup | cut -d: -f3)\s"
	# nobody's groups, its primary group replaced by nogroup, as the
	# kernel lists them: sorted, each followed by a blank
	assert_line $'Groups:\t'"$(groups_replaced nobody nogroup)"
}

# groups_replaced USER GROUP: USER's groups with its primary group replaced
# by GROUP, sorted, each followed by a blank (/proc/PID/status Groups:).
groups_replaced() {
	local g primary key
	primary=$(id -g "$1")
	key=$(getent group "$2" | cut -d: -f3)
	for g in $(id -G "$1"); do
		[ "$g" = "$primary" ] && echo "$key" || echo "$g"
	done | sort -nu | tr '\n' ' '
}

@test "an exec failure is reported as a spawn failure of its service, with the reason" {
	local port
	port=$(free_port)
	cp "$W/echo" "$BATS_TEST_TMPDIR/doomed"
	start_daemon <<EOF
[doomed]
listen = 127.0.0.1:$port
exec = doomed
EOF
	rm "$BATS_TEST_TMPDIR/doomed"
	run socat -t 2 - "TCP:127.0.0.1:$port" <<<"anyone?"
	assert_output ""
	wait_for 5 daemon_said "myriadd: warning: service 'doomed': unable to spawn $BATS_TEST_TMPDIR/doomed: exec: No such file or directory"
	# the daemon goes on, and serves again once the program is back
	cp "$W/echo" "$BATS_TEST_TMPDIR/doomed"
	run socat -t 5 - "TCP:127.0.0.1:$port" <<<"back"
	assert_output "back"
}

@test "a spawn-mode service at its workers holds new clients in the backlog" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
workers = 2
EOF
	hold_connections 2 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 2
	socat -t 30 - "TCP:127.0.0.1:$port" <<<"waited" >"$BATS_TEST_TMPDIR/third" 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	# accepted by the kernel, not by myriadd: still 2 workers
	sleep 0.5
	[ "$(live_count "$DAEMON_PID")" -eq 2 ]
	[ ! -s "$BATS_TEST_TMPDIR/third" ]
	kill_group "$HOLD_PGID"
	wait_for 5 grep -q waited "$BATS_TEST_TMPDIR/third"
}

@test "timeout: a spawn-mode worker is killed after that many seconds" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[e]
listen = 127.0.0.1:$port
exec = $W/echo
timeout = 1
EOF
	hold_connections 1 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 1
	wait_for 5 has_workers "$DAEMON_PID" 0
}
