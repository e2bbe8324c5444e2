#!/usr/bin/env bats
# myriadd's lifecycle: SIGTERM and SIGINT stop every worker and exit 0
# with no descendant left; kill -9 of the daemon leaves no worker
# (PDEATHSIG); a pool refills what dies, slowing crash loops; every exit
# is reaped.

load helpers
load daemon_helpers

# stat_of NAME: the number after NAME in the last stats line.
stat_of() { daemon_stats 5 | sed -n "s/.* $1 \([0-9]*\).*/\1/p"; }

@test "SIGTERM: pool and held spawn-mode workers stopped, exit 0, nothing left" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[pool]
listen = 127.0.0.1:$port
mode = pool
workers = 20
exec = $W/hello
[held]
listen = 127.0.0.1:$((port + 1))
exec = $W/echo
EOF
	hold_connections 5 "$((port + 1))"
	wait_for 10 has_workers "$DAEMON_PID" 25
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	all_gone "$BATS_TEST_TMPDIR/workers"
	daemon_said "myriadd: stopping on signal 15: 25 workers"
	daemon_said "myriadd: exiting: spawned 25, reaped 25, spawn failures 0"
	refute listening "$port"
}

@test "SIGINT stops the daemon the same way" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[pool]
listen = 127.0.0.1:$port
mode = pool
workers = 3
exec = $W/echo
EOF
	wait_for 10 has_workers "$DAEMON_PID" 3
	kill -INT "$DAEMON_PID"
	DAEMON_STATUS=0
	wait "$DAEMON_PID" || DAEMON_STATUS=$?
	[ "$DAEMON_STATUS" -eq 0 ]
	daemon_said "myriadd: exiting: spawned 3, reaped 3"
}

@test "SIGTERM: workers that ignore TERM or are stopped are killed after the grace period" {
	local port start
	port=$(free_port)
	start_daemon <<EOF
grace = 1
[stubborn]
listen = 127.0.0.1:$port
exec = $T/stubborn
[echo]
listen = 127.0.0.1:$((port + 1))
exec = $W/echo
EOF
	hold_connections 2 "$port"
	hold_connections 1 "$((port + 1))"
	wait_for 10 has_workers "$DAEMON_PID" 3
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	kill -STOP "$(tail -1 "$BATS_TEST_TMPDIR/workers")"
	start=$SECONDS
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	[ $((SECONDS - start)) -le 3 ]
	all_gone "$BATS_TEST_TMPDIR/workers"
}

@test "kill -9 of the daemon: no worker survives it" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[pool]
listen = 127.0.0.1:$port
mode = pool
workers = 50
exec = $W/hello
[held]
listen = 127.0.0.1:$((port + 1))
exec = $W/echo
EOF
	hold_connections 10 "$((port + 1))"
	wait_for 10 has_workers "$DAEMON_PID" 60
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" || true
	wait_for 1 all_gone "$BATS_TEST_TMPDIR/workers"
	# a new daemon binds the same address and serves at once
	restart_daemon
	run curl -sS --max-time 5 "http://127.0.0.1:$port/"
	assert_output "hello, world"
}

@test "kill -9 of 100 pool workers: the pool is back to full size, nothing left unreaped" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[pool]
listen = 127.0.0.1:$port
mode = pool
workers = 200
exec = $W/hello
EOF
	wait_for 20 has_workers "$DAEMON_PID" 200
	workers_of "$DAEMON_PID" | shuf -n 100 >"$BATS_TEST_TMPDIR/victims"
	xargs kill -KILL <"$BATS_TEST_TMPDIR/victims"
	wait_for 5 all_gone "$BATS_TEST_TMPDIR/victims"
	wait_for 5 has_workers "$DAEMON_PID" 200
	[ "$(zombie_count "$DAEMON_PID")" -eq 0 ]
	[ "$(stat_of spawned)" -eq 300 ]
	[ "$(stat_of reaped)" -eq 100 ]
	run curl -sS --max-time 5 "http://127.0.0.1:$port/"
	assert_output "hello, world"
}

@test "a crash-looping pool is slowed to one spawn per slot per second, never disabled" {
	local port spawned
	port=$(free_port)
	start_daemon <<EOF
[crash]
listen = 127.0.0.1:$port
mode = pool
workers = 5
exec = /bin/false
EOF
	wait_for 10 eval '[ "$(stat_of spawned)" -ge 10 ]'
	local t0=$SECONDS s0
	s0=$(stat_of spawned)
	wait_for 10 eval '[ $((SECONDS - t0)) -ge 3 ]'
	spawned=$(( $(stat_of spawned) - s0 ))
	# 3 to 4 seconds at 5 slots, one spawn per slot per second
	[ "$spawned" -le $(( 5 * (SECONDS - t0 + 1) )) ]
	[ "$spawned" -ge 10 ]
	listening "$port"
}

@test "short spawn-mode connections: every worker reaped, no zombie" {
	short_connections 1000 64
	# each by its exit event: the children were never scanned for one
	refute daemon_said 'reaping by scanning'
	[ "$(stat_of exit-scans)" -eq 0 ]
}

@test "without exit events (a network namespace) the reaper scans on SIGCHLD and misses none" {
	local port
	port=$(free_port)
	printf '#!/bin/sh\nip link set lo up && exec "$@"\n' >"$BATS_TEST_TMPDIR/netns"
	chmod +x "$BATS_TEST_TMPDIR/netns"
	DAEMON_WRAP="unshare -n $BATS_TEST_TMPDIR/netns" start_daemon <<EOF
[hello]
listen = 127.0.0.1:$port
exec = $W/hello
workers = 64
EOF
	daemon_said 'myriadd: reaping by scanning the children on SIGCHLD: no exit events'
	run nsenter --net="/proc/$DAEMON_PID/ns/net" \
	    ab -q -n 1000 -c 16 "http://127.0.0.1:$port/"
	assert_line --regexp '^Complete requests: +1000$'
	assert_line --regexp '^Failed requests: +0$'
	wait_for 10 has_workers "$DAEMON_PID" 0
	[ "$(zombie_count "$DAEMON_PID")" -eq 0 ]
	[ "$(stat_of spawned)" -eq "$(stat_of reaped)" ]
	[ "$(stat_of spawned)" -ge 1000 ]
}
