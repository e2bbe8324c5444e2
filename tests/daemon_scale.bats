#!/usr/bin/env bats
# myriadd at scale: a pool of 10,000 workers, 1,000 held spawn-mode
# connections, 10,000 short ones; the shipped config. These start
# thousands of processes on a shared machine, so the whole file holds
# /tmp/myriad-scale.lock (flock) while it runs.

load helpers
load daemon_helpers

setup_file() { scale_lock; }

@test "a pool of 10,000 hello workers comes up, serves, and leaves nothing after SIGTERM" {
	local port t0 pid
	port=$(free_port)
	t0=$(date +%s.%N)
	READY_TIMEOUT=120 start_daemon <<EOF
[hello]
listen = 127.0.0.1:$port
mode = pool
workers = 10000
exec = $W/hello
[env]
listen = 127.0.0.1:$((port + 1))
exec = $T/printenv
EOF
	echo "ready after $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
	wait_for 60 has_workers "$DAEMON_PID" 10000
	run ab -q -n 5000 -c 16 "http://127.0.0.1:$port/"
	assert_line --regexp '^Failed requests: +0$'
	# its fds do not grow with its workers: no pidfd, no connection kept
	echo "daemon fds: $(ls "/proc/$DAEMON_PID/fd" | wc -l)" >&2
	[ "$(ls "/proc/$DAEMON_PID/fd" | wc -l)" -lt 64 ]
	hold_connections 1 "$((port + 1))"
	wait_for 10 has_workers "$DAEMON_PID" 10001
	pid=$(ps --ppid "$DAEMON_PID" -o pid=,cmd= | awk '/printenv/ { print $1 }')
	run grep '^FDSize:' "/proc/$pid/status"
	assert_output $'FDSize:\t64'
	run ls "/proc/$pid/fd"
	assert_output $'0\n1\n2'
	# a one-page pool worker: fd 3 is the waiter it blocks in, not accept
	pid=$(workers_of "$DAEMON_PID" | head -1)
	run grep '^FDSize:' "/proc/$pid/status"
	assert_output $'FDSize:\t64'
	run readlink "/proc/$pid/fd/3"
	assert_output 'anon_inode:[eventpoll]'
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	wait_for 10 all_gone "$BATS_TEST_TMPDIR/workers"
}

@test "1,000 held spawn-mode connections, then SIGTERM: exit 0, nothing left" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
workers = 2000
EOF
	hold_connections 1000 "$port"
	wait_for 60 has_workers "$DAEMON_PID" 1000
	run socat -t 5 - "TCP:127.0.0.1:$port" <<<"one more"
	assert_output "one more"
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/workers")" -eq 1000 ]
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	daemon_said "myriadd: exiting: spawned 1001, reaped 1001, spawn failures 0"
	wait_for 10 all_gone "$BATS_TEST_TMPDIR/workers"
}

@test "10,000 short spawn-mode connections: 0 zombies, spawned == reaped" {
	short_connections 10000 100
}

@test "the shipped conf/myriad.conf serves every worker (make run)" {
	local p
	for p in 7001 7002 7003 7004 7005 7006 7007 8080; do
		if listening "$p"; then skip "port $p is in use"; fi
	done
	DAEMON_CONF=$ROOT/conf/myriad.conf READY_TIMEOUT=60 restart_daemon
	run socat -t 5 - TCP:127.0.0.1:7001 <<<"shipped"
	assert_output "shipped"
	run socat -t 5 - TCP:127.0.0.1:7002 <<<"into the void"
	assert_output ""
	run socat -t 5 - TCP:127.0.0.1:7003 </dev/null
	assert_output --regexp 'UTC'
	run bash -c "nc -N 127.0.0.1 7004 </dev/null | head -c 74"
	assert_output --partial 'ABCDEFG'
	run rdate -p -o 7005 127.0.0.1
	assert_success
	run socat -t 5 - TCP:127.0.0.1:7006 </dev/null
	assert_output --partial Hamming
	run socat -t 5 - TCP:127.0.0.1:7007 <<<"pooled"
	assert_output "pooled"
	run curl -sS --max-time 5 http://127.0.0.1:8080/
	assert_output "hello, world"
	wait_for 30 has_workers "$DAEMON_PID" 1068
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
}
