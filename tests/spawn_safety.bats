#!/usr/bin/env bats
# Spawning that cannot hang the daemon or escape its price (issue 17):
# a child that never gets to its exec, an exec that fails after the point
# of no return, the workers' fd limit, a one-page worker's memory.

load helpers
load daemon_helpers

# stall_next [-x]: hold the daemon's next child before its exec (the
# stall tool); STALL is its report file.
stall_next() {
	STALL=$BATS_TEST_TMPDIR/stall
	setsid "$T/stall" "$@" -p "$DAEMON_PID" -o "$STALL" \
	    >/dev/null 2>"$BATS_TEST_TMPDIR/stall.err" 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 5 grep -q '^attached' "$STALL"
}

# stalled_client PORT: a client whose worker is held before its exec;
# sets STALLED to that worker's pid.
stalled_client() {
	setsid socat -t 30 - "TCP:127.0.0.1:$1" </dev/null >/dev/null 2>&1 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 5 grep -q '^stalled' "$STALL"
	STALLED=$(awk '/^stalled/ { print $2 }' "$STALL")
}

# a_stalled_child_cannot_hang [-x]: the body of the first 17.1 tests.
a_stalled_child_cannot_hang() {
	local port ctl
	port=$(free_port)
	ctl=$BATS_TEST_TMPDIR/control.sock
	start_daemon <<EOF
control = $ctl
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	stall_next "$@"
	stalled_client "$port"
	alive "$STALLED"
	# a reload, the control socket and other clients do not wait for it
	kill -HUP "$DAEMON_PID"
	wait_for 5 daemon_said 'myriadd: reloaded: echo '
	run timeout 5 "$B/myriadctl" -s "$ctl" status
	assert_success
	run socat -t 5 - "TCP:127.0.0.1:$port" <<<"not held up"
	assert_output "not held up"
	# killed at the deadline, and counted as a spawn failure with its reason
	wait_for 10 daemon_said "myriadd: warning: service 'echo': unable to spawn $W/echo: exec deadline: Connection timed out"
	wait_for 5 grep -q '^gone 9$' "$STALL"
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	daemon_said 'myriadd: exiting: spawned 1, reaped 1, spawn failures 1'
	! alive "$STALLED"
}

@test "17.1 a child stopped before its exec: the daemon still reloads, answers and stops" {
	a_stalled_child_cannot_hang -x
}

@test "17.1 a child stopped right after its clone holds neither the loop nor the client" {
	a_stalled_child_cannot_hang
}

@test "17.1 SIGTERM while a child is stopped before its exec: exit 0, nothing left" {
	local port t0
	port=$(free_port)
	start_daemon <<EOF
grace = 30
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	stall_next -x
	stalled_client "$port"
	t0=$SECONDS
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	# by the spawn deadline, not the 30 s grace period
	[ $((SECONDS - t0)) -le 8 ]
	! alive "$STALLED"
	[ -z "$(ps --ppid "$DAEMON_PID" -o pid=)" ]
}

@test "17.2 an exec that fails after the point of no return is a spawn failure, with its signal" {
	local port
	port=$(free_port)
	# 16 MiB of bss in a 64 KiB budget: the kernel kills it in its exec
	start_daemon <<EOF
[big]
listen = 127.0.0.1:$port
exec = $T/bigbss
memory = 64K
EOF
	run socat -t 5 - "TCP:127.0.0.1:$port" </dev/null
	assert_output ""
	wait_for 5 daemon_said "myriadd: warning: service 'big': unable to spawn $T/bigbss: worker "
	run grep -E "unable to spawn $T/bigbss: worker [0-9]+ killed by SIGSEGV [0-9.]+ ms after its start\$" "$DAEMON_LOG"
	assert_success
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	daemon_said 'myriadd: exiting: spawned 0, reaped 0, spawn failures 1'
}

# limits_of PID: its "Max open files" soft and hard limits.
nofile_of() { awk '/^Max open files/ { print $4, $5 }' "/proc/$1/limits"; }

@test "17.8 a worker's fd limit is 1024, or its service's rlimit_nofile" {
	local p1 p2 pid
	p1=$(free_port)
	p2=$(free_port)
	start_daemon <<EOF
[small]
listen = 127.0.0.1:$p1
mode = pool
workers = 1
exec = $W/echo
[raised]
listen = 127.0.0.1:$p2
mode = pool
workers = 1
exec = $W/discard
rlimit_nofile = 2048
EOF
	# the daemon itself runs at its raised limit
	[ "$(nofile_of "$DAEMON_PID" | cut -d' ' -f1)" -gt 2048 ]
	for pid in $(workers_of "$DAEMON_PID"); do
		case $(readlink "/proc/$pid/exe") in
		*/echo) [ "$(nofile_of "$pid")" = "1024 1024" ] ;;
		*/discard) [ "$(nofile_of "$pid")" = "2048 2048" ] ;;
		*) false ;;
		esac
	done
}

@test "17.8 a bad rlimit_nofile is FILE:LINE: and nothing starts" {
	local conf=$BATS_TEST_TMPDIR/bad.conf v
	for v in lots 0 1.5 2000000; do
		printf '[x]\nlisten = 127.0.0.1:1\nexec = %s\nrlimit_nofile = %s\n' \
		    "$W/echo" "$v" >"$conf"
		run "$B/myriadd" -n -f "$conf"
		[ "$status" -eq 100 ]
		assert_output --regexp "^$conf:4: service 'x': rlimit_nofile '$v': (not a number|out of range|not a whole number)\$"
	done
}

@test "17.9 a one-page worker cannot map memory beyond its price" {
	local port
	port=$(free_port)
	start_daemon <<EOF
[mapper]
listen = 127.0.0.1:$port
exec = $T/mapper
EOF
	run socat -t 5 - "TCP:127.0.0.1:$port" </dev/null
	assert_output "private ENOMEM shared ENOMEM"
}

@test "17.9 a one-page program replaced on disk is checked against its price again" {
	local port prog=$BATS_TEST_TMPDIR/prog
	port=$(free_port)
	cp "$W/echo" "$prog"
	start_daemon <<EOF
[replaced]
listen = 127.0.0.1:$port
exec = $prog
EOF
	run socat -t 5 - "TCP:127.0.0.1:$port" <<<"priced"
	assert_output "priced"
	# a program with no one-page price is not run at that price: the
	# file is looked at again within 0.1 s (its limits hold it meanwhile)
	cp /bin/cat "$prog.new"
	mv "$prog.new" "$prog"
	wait_for 5 eval '[ -z "$(socat -t 5 - "TCP:127.0.0.1:$port" <<<refused)" ] &&
	    daemon_said "myriadd: warning: service '"'replaced'"': unable to spawn $prog: changed since it was priced, and outgrew it: reload to price it again"'
	# ...until a reload prices it again
	kill -HUP "$DAEMON_PID"
	wait_for 5 daemon_said 'myriadd: reloaded: replaced '
	wait_for 5 eval 'socat -t 5 - "TCP:127.0.0.1:$port" <<<"repriced" | grep -qx repriced'
}
