#!/usr/bin/env bats
# SIGHUP, as inetd does it: a new config replaces the old one only when it
# is valid and its sockets open; unchanged listeners are kept, added ones
# opened, removed ones closed; pools are resized; in-flight spawn-mode
# workers are never killed; clients see no failure.

load helpers
load daemon_helpers

# reload: SIGHUP, wait for the Nth "reloaded" (or "reload failed") line.
reload() {
	local before
	before=$(( $(daemon_count 'myriadd: reloaded: ') + $(daemon_count 'reload failed') ))
	kill -HUP "$DAEMON_PID"
	wait_for 10 eval '[ $(( $(daemon_count "myriadd: reloaded: ") + $(daemon_count "reload failed") )) -gt '"$before"' ]'
}

# socket_inode PORT: the inode of the socket listening on PORT.
socket_inode() { ss -Htlne "sport = :$1" | sed -n 's/.* ino:\([0-9]*\).*/\1/p'; }

@test "SIGHUP adds, removes and resizes services under load: 0 failed connections" {
	local p1 p2 p3 p4
	p1=$(free_port); p2=$(free_port); p3=$(free_port); p4=$(free_port)
	start_daemon <<EOF
[hello]
listen = 127.0.0.1:$p1
mode = pool
workers = 20
exec = $W/hello
[gone]
listen = 127.0.0.1:$p2
exec = $W/echo
[grow]
listen = 127.0.0.1:$p3
mode = pool
workers = 5
exec = $W/hello
[spawned]
listen = 127.0.0.1:$p4
workers = 8
exec = $W/hello
EOF
	ab -r -q -t 4 -n 1000000 -c 4 "http://127.0.0.1:$p1/" >"$BATS_TEST_TMPDIR/ab1" 2>&1 3>&- &
	local ab1=$!
	ab -r -q -t 4 -n 1000000 -c 4 "http://127.0.0.1:$p3/" >"$BATS_TEST_TMPDIR/ab3" 2>&1 3>&- &
	local ab3=$!
	ab -r -q -t 4 -n 1000000 -c 4 "http://127.0.0.1:$p4/" >"$BATS_TEST_TMPDIR/ab4" 2>&1 3>&- &
	local ab4=$!
	wait_for 5 eval '[ "$(ss -Htn "dport = :$p1" | wc -l)" -gt 0 ]'
	# shrink hello, grow grow, remove gone, add added
	write_conf "$DAEMON_CONF" <<EOF
[hello]
listen = 127.0.0.1:$p1
mode = pool
workers = 7
exec = $W/hello
[grow]
listen = 127.0.0.1:$p3
mode = pool
workers = 40
exec = $W/hello
[added]
listen = 127.0.0.1:$p2
mode = pool
workers = 3
exec = $W/qotd
[spawned]
listen = 127.0.0.1:$p4
workers = 2
exec = $W/hello
EOF
	reload
	daemon_said "myriadd: reloaded: hello 127.0.0.1:$p1 pool 7, grow 127.0.0.1:$p3 pool 40, added 127.0.0.1:$p2 pool 3, spawned 127.0.0.1:$p4 spawn 2"
	run socat -t 5 - "TCP:127.0.0.1:$p2" </dev/null
	assert_output --partial Hamming
	# and back
	write_conf "$DAEMON_CONF" <<EOF
[hello]
listen = 127.0.0.1:$p1
mode = pool
workers = 30
exec = $W/hello
[grow]
listen = 127.0.0.1:$p3
mode = pool
workers = 2
exec = $W/hello
[spawned]
listen = 127.0.0.1:$p4
workers = 16
exec = $W/hello
EOF
	reload
	wait "$ab1"
	wait "$ab3"
	wait "$ab4"
	for f in ab1 ab3 ab4; do
		grep -E "^(Complete|Failed) requests|^   \\(" "$BATS_TEST_TMPDIR/$f" | sed "s/^/$f: /" >&2
		grep -qE '^Failed requests: +0$' "$BATS_TEST_TMPDIR/$f"
		refute grep -q 'Non-2xx' "$BATS_TEST_TMPDIR/$f"
		[ "$(sed -n 's/^Complete requests: *//p' "$BATS_TEST_TMPDIR/$f")" -gt 100 ]
	done
	wait_for 10 has_workers "$DAEMON_PID" 32
	refute listening "$p2"
}

@test "a broken config on SIGHUP is reported with FILE:LINE, the old one keeps serving" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	cat >"$DAEMON_CONF" <<EOF
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
workers = lots
EOF
	reload
	daemon_said "$DAEMON_CONF:4: service 'echo': workers 'lots': not a number"
	daemon_said "myriadd: warning: reload failed, keeping the previous configuration"
	run socat -t 5 - "TCP:127.0.0.1:$port" <<<"still here"
	assert_output "still here"
}

@test "a config whose socket cannot be opened on SIGHUP: the old one stays whole" {
	local port busy
	port=$(free_port)
	busy=$(free_port)
	setsid socat "TCP-LISTEN:$busy,bind=127.0.0.1,fork" /dev/null 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 5 listening "$busy"
	start_daemon <<EOF
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	cat >>"$DAEMON_CONF" <<EOF
[more]
listen = 127.0.0.1:$((port + 1))
exec = $W/echo
[taken]
listen = 127.0.0.1:$busy
exec = $W/echo
EOF
	reload
	daemon_said "myriadd: warning: service 'taken': unable to listen on 127.0.0.1:$busy: Address already in use"
	daemon_said "reload failed, keeping the previous configuration"
	refute listening "$((port + 1))"
	run socat -t 5 - "TCP:127.0.0.1:$port" <<<"still here"
	assert_output "still here"
}

@test "unchanged services keep their listening socket; changed addresses move" {
	local p1 p2 p3 ino1 ino2
	p1=$(free_port); p2=$(free_port); p3=$(free_port)
	start_daemon <<EOF
[a]
listen = 127.0.0.1:$p1
mode = pool
workers = 2
exec = $W/echo
[b]
listen = 127.0.0.1:$p2
exec = $W/echo
EOF
	ino1=$(socket_inode "$p1")
	ino2=$(socket_inode "$p2")
	# a gets another name, b another address and another worker
	cat >"$DAEMON_CONF" <<EOF
[renamed]
listen = 127.0.0.1:$p1
mode = pool
workers = 2
exec = $W/echo
[b]
listen = 127.0.0.1:$p3
exec = $W/qotd
EOF
	reload
	[ "$(socket_inode "$p1")" = "$ino1" ]
	refute listening "$p2"
	[ "$(socket_inode "$p3")" != "$ino2" ]
	run socat -t 5 - "TCP:127.0.0.1:$p3" </dev/null
	assert_output --partial Hamming
	run socat -t 5 - "TCP:127.0.0.1:$p1" <<<"same socket"
	assert_output "same socket"
}

@test "in-flight spawn-mode workers survive the removal of their service" {
	local p1 p2 pid
	p1=$(free_port); p2=$(free_port)
	start_daemon <<EOF
[held]
listen = 127.0.0.1:$p1
exec = $W/echo
[other]
listen = 127.0.0.1:$p2
exec = $W/echo
EOF
	hold_connections 3 "$p1"
	wait_for 5 has_workers "$DAEMON_PID" 3
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/held"
	cat >"$DAEMON_CONF" <<EOF
[other]
listen = 127.0.0.1:$p2
exec = $W/echo
EOF
	reload
	refute listening "$p1"
	for pid in $(cat "$BATS_TEST_TMPDIR/held"); do alive "$pid"; done
	kill_group "$HOLD_PGID"
	wait_for 5 all_gone "$BATS_TEST_TMPDIR/held"
	wait_for 5 has_workers "$DAEMON_PID" 0
	[ "$(zombie_count "$DAEMON_PID")" -eq 0 ]
}

@test "a pool whose program changes is replaced; spawn and pool swap on one address" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[svc]
listen = 127.0.0.1:$port
mode = pool
workers = 4
exec = $W/echo
EOF
	wait_for 5 has_workers "$DAEMON_PID" 4
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/old"
	sed -i "s|$W/echo|$W/qotd|" "$DAEMON_CONF"
	reload
	wait_for 5 all_gone "$BATS_TEST_TMPDIR/old"
	wait_for 5 has_workers "$DAEMON_PID" 4
	run socat -t 5 - "TCP:127.0.0.1:$port" </dev/null
	assert_output --partial Hamming
	sed -i "s|mode = pool|mode = spawn|" "$DAEMON_CONF"
	reload
	wait_for 5 has_workers "$DAEMON_PID" 0
	run socat -t 5 - "TCP:127.0.0.1:$port" </dev/null
	assert_output --partial Hamming
	sed -i "s|mode = spawn|mode = pool|" "$DAEMON_CONF"
	reload
	wait_for 5 has_workers "$DAEMON_PID" 4
	run socat -t 5 - "TCP:127.0.0.1:$port" </dev/null
	assert_output --partial Hamming
}

@test "a burst of SIGHUPs is coalesced; reloads leak no fd" {
	local port fds i
	port=$(free_port)
	start_daemon <<EOF
[pool]
listen = 127.0.0.1:$port
mode = pool
workers = 5
exec = $W/hello
[spawn]
listen = 127.0.0.1:$((port + 1))
exec = $W/hello
EOF
	wait_for 5 has_workers "$DAEMON_PID" 5
	fds=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
	for i in $(seq 200); do kill -HUP "$DAEMON_PID"; done
	reload
	kill -0 "$DAEMON_PID"
	[ "$(daemon_count 'myriadd: reloaded: ')" -lt 50 ]
	for i in $(seq 20); do reload; done
	run curl -sS --max-time 5 "http://127.0.0.1:$port/"
	assert_output "hello, world"
	run curl -sS --max-time 5 "http://127.0.0.1:$((port + 1))/"
	assert_output "hello, world"
	wait_for 5 has_workers "$DAEMON_PID" 5
	[ "$(ls "/proc/$DAEMON_PID/fd" | wc -l)" -eq "$fds" ]
}
