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

@test "1,000 held spawn-mode connections, <= 52,000 B each; SIGTERM: exit 0, nothing left" {
	local cg port base used per
	cgroup_make memory
	cg=$CGROUP
	in_cgroups "$cg"
	port=$(free_port)
	start_daemon <<EOF
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
workers = 2000
EOF
	base=$(cat "$cg/memory.usage_in_bytes")
	hold_connections 1000 "$port"
	wait_for 60 has_workers "$DAEMON_PID" 1000
	used=$(cat "$cg/memory.usage_in_bytes")
	per=$(((used - base) / 1000))
	# a worker, and the connection's socket the daemon accepted
	echo "# machine memory per held connection (memory cgroup of daemon and workers): $per B" >&3
	[ "$per" -le 52000 ]
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
	shipped_conf
	DAEMON_CONF=$SHIPPED_CONF READY_TIMEOUT=60 restart_daemon
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

# reaped_at_least N: the daemon's stats count N reaped workers or more.
reaped_at_least() {
	[ "$(daemon_stats 5 | sed -n 's/.* reaped \([0-9]*\).*/\1/p')" -ge "$1" ]
}

@test "10,000 pool workers killed at once: all reaped within 2 s, the control socket answers meanwhile" {
	local port t0 t1 ms peer
	port=$(free_port)
	CTL=$BATS_TEST_TMPDIR/control.sock
	READY_TIMEOUT=120 start_daemon <<EOF
control = $CTL
[hello]
listen = 127.0.0.1:$port
mode = pool
workers = 10000
exec = $W/hello
EOF
	wait_for 60 has_workers "$DAEMON_PID" 10000
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/victims"
	# A query sent 50 ms into the kills, needing no sweep: the loop's own
	# latency. The client is connected already and runs at nice -10, so
	# that 10,000 dying processes do not delay it, only the daemon.
	nice -n -10 "$T/ctlpeer" -q nosuch -d 50 "$CTL" >"$BATS_TEST_TMPDIR/query" &
	peer=$!
	wait_for 5 grep -q connected "$BATS_TEST_TMPDIR/query"
	t0=$(date +%s%N)
	xargs -n 2500 kill -KILL <"$BATS_TEST_TMPDIR/victims"
	wait "$peer"
	run cat "$BATS_TEST_TMPDIR/query"
	assert_line $'answer error\tunknown command \'nosuch\''
	ms=$(sed -n 's/^answered after \([0-9]*\) ms$/\1/p' "$BATS_TEST_TMPDIR/query")
	wait_for 10 reaped_at_least 10000
	t1=$(date +%s%N)
	echo "# 10,000 killed: all reaped in $(((t1 - t0) / 1000000)) ms; control answered in $ms ms" >&3
	[ $(((t1 - t0) / 1000000)) -le 2000 ]
	[ "$ms" -lt 100 ]
	wait_for 30 has_workers "$DAEMON_PID" 10000
	[ "$(zombie_count "$DAEMON_PID")" -eq 0 ]
	run curl -sS --max-time 5 "http://127.0.0.1:$port/"
	assert_output "hello, world"
}

@test "an idle one-page pool worker costs at most 50,500 bytes of machine memory" {
	local cg base used per
	cgroup_make memory
	cg=$CGROUP
	in_cgroups "$cg"
	start_daemon <<EOF
[seed]
listen = 127.0.0.1:$(free_port)
mode = pool
workers = 1
exec = $W/hello
EOF
	wait_for 10 has_workers "$DAEMON_PID" 1
	base=$(cat "$cg/memory.usage_in_bytes")
	cat >>"$DAEMON_CONF" <<EOF
[hello]
listen = 127.0.0.1:$(free_port)
mode = pool
workers = 10000
exec = $W/hello
EOF
	kill -HUP "$DAEMON_PID"
	wait_for 60 daemon_said 'myriadd: reloaded: '
	wait_for 60 has_workers "$DAEMON_PID" 10001
	used=$(cat "$cg/memory.usage_in_bytes")
	per=$(((used - base) / 10000))
	# the research floor, a bare exec'd one-page process, is 49,953 B
	echo "# machine memory per idle pool worker (memory cgroup of daemon and workers): $per B" >&3
	[ "$per" -le 50500 ]
}
