#!/usr/bin/env bats
# Out of file descriptors (RELIABILITY.md F6): with RLIMIT_NOFILE at what
# the daemon holds and clients hammering, the listener pauses instead of
# spinning (< 5 % CPU, at most a warning a second), is never closed, and
# the daemon serves again as soon as fds free up.

load helpers
load daemon_helpers

# hammer PORT SECONDS: connect and close in a loop, in the background.
hammer() {
	setsid bash -c '
		end=$((SECONDS + '"$2"'))
		while [ $SECONDS -lt $end ]; do
			exec {fd}<>/dev/tcp/127.0.0.1/'"$1"' && exec {fd}>&-
		done' >/dev/null 2>&1 3>&- &
	HAMMER_PGID=$!
	OWNED_PGIDS="$OWNED_PGIDS $HAMMER_PGID"
}

@test "EMFILE: the listener pauses (< 5 % CPU, <= 1 warning/s) and recovers when fds free up" {
	local port t0 c0 c1 warnings fds
	port=$(free_port)
	start_daemon <<EOF
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
workers = 1000
EOF
	# A worker holds no fd of the daemon's, and a connection is the
	# daemon's only until the child has it: 8 fds to spare serve 60 held
	# connections (RELIABILITY.md F6's "in use + 8")...
	fds=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
	prlimit --pid "$DAEMON_PID" --nofile=$((fds + 8)):$((fds + 8))
	hold_connections 60 "$port"
	wait_for 10 has_workers "$DAEMON_PID" 60
	refute daemon_said "unable to accept"
	# ...and with none to spare accept fails: the listener pauses
	prlimit --pid "$DAEMON_PID" --nofile="$fds:$((fds + 8))"
	hammer "$port" 5
	wait_for 10 daemon_said "unable to accept on 127.0.0.1:$port: Too many open files"
	t0=$SECONDS
	c0=$(cpu_ticks "$DAEMON_PID")
	wait_for 10 eval '[ $((SECONDS - t0)) -ge 5 ]'
	c1=$(cpu_ticks "$DAEMON_PID")
	echo "daemon CPU: $((c1 - c0)) ticks in 5 s" >&2
	# 5 % of 5 s at 100 ticks/s
	[ $((c1 - c0)) -le 25 ]
	warnings=$(daemon_count "unable to accept")
	echo "warnings: $warnings" >&2
	[ "$warnings" -le 8 ]
	listening "$port"
	kill_group "$HAMMER_PGID"
	# fds free up: what queued is served, then new clients at once
	prlimit --pid "$DAEMON_PID" --nofile=$((fds + 8)):$((fds + 8))
	run timeout 3 socat -t 2 - "TCP:127.0.0.1:$port" <<<"recovered"
	assert_output "recovered"
	[ "$(daemon_count 'spawn failures')" -eq 0 ]
	refute daemon_said "unable to spawn"
}
