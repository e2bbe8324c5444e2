#!/usr/bin/env bats
# Workers' stderr (issue 17, item 4): their service's socket, logged by
# the daemon with the service and the writer's pid, never the daemon's own
# fd 2; the daemon's own log never waits for its reader.

load helpers
load daemon_helpers

# chatty: a program that writes to stderr, then echoes.
chatty() {
	cat >"$BATS_TEST_TMPDIR/chatty" <<'SH'
#!/bin/sh
echo "from the worker $$" >&2
echo "myriadd: fatal: not the daemon" >&2
exec cat
SH
	chmod 755 "$BATS_TEST_TMPDIR/chatty"
}

@test "17.4 a worker's stderr is logged with its service and pid, on a fd of its own" {
	local port pid
	port=$(free_port)
	chatty
	start_daemon <<EOF
[c]
listen = 127.0.0.1:$port
exec = $BATS_TEST_TMPDIR/chatty
EOF
	hold_connections 1 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 1
	pid=$(workers_of "$DAEMON_PID")
	wait_for 5 daemon_said "myriadd: service 'c' worker $pid: from the worker $pid"
	daemon_said "myriadd: service 'c' worker $pid: myriadd: fatal: not the daemon"
	refute grep -q '^myriadd: fatal: not the daemon' "$DAEMON_LOG"
	[ "$(readlink "/proc/$pid/fd/2")" != "$(readlink "/proc/$DAEMON_PID/fd/2")" ]
}

@test "17.4 stderr = null: a worker's fd 2 is /dev/null" {
	local port pid
	port=$(free_port)
	chatty
	start_daemon <<EOF
[c]
listen = 127.0.0.1:$port
exec = $BATS_TEST_TMPDIR/chatty
stderr = null
EOF
	hold_connections 1 "$port"
	wait_for 5 has_workers "$DAEMON_PID" 1
	pid=$(workers_of "$DAEMON_PID")
	[ "$(readlink "/proc/$pid/fd/2")" = /dev/null ]
	refute daemon_said "from the worker"
}

@test "17.4 a log reader that never reads does not stop the daemon serving" {
	local port fifo=$BATS_TEST_TMPDIR/log.fifo
	port=$(free_port)
	write_conf <<EOF
[hello]
listen = 127.0.0.1:$port
workers = 16
exec = $W/hello
EOF
	mkfifo "$fifo"
	# a reader that holds the pipe open and never reads it
	setsid sleep 1000 <"$fifo" 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	# -d logs every spawn and exit: far more than the pipe holds
	setsid "$B/myriadd" -d -f "$BATS_TEST_TMPDIR/myriad.conf" \
	    >"$fifo" 2>&1 3>&- &
	DAEMON_PID=$!
	OWNED_PGIDS="$OWNED_PGIDS $DAEMON_PID"
	wait_for 10 eval "ss -Htln 'sport = :$port' | grep -q ."
	run "$B/bench/loadgen" -k -R -c 8 -n 3000 -t 30 \
	    -s 'GET / HTTP/1.0\r\n\r\n' -e 50 "127.0.0.1:$port"
	echo "# $output" >&3
	assert_success
	assert_output --partial "ok=3000 failed=0"
}
