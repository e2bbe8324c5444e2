#!/usr/bin/env bats
# The control socket's answers are bounded in time, and a reload request
# is answered by the reload it asked for (issue 17, item 13).

load helpers
load daemon_helpers

setup_file() { scale_lock; }

CTL=

ctl() { "$B/myriadctl" -s "$CTL" "$@"; }

# sockets_of PID: how many sockets the process holds.
sockets_of() {
	local n=0 fd
	for fd in /proc/"$1"/fd/*; do
		case $(readlink "$fd" 2>/dev/null) in socket:*) n=$((n + 1));; esac
	done
	echo "$n"
}

# queued_on PATH: a connection waits in the listening socket's backlog.
queued_on() { ss -xlH | awk -v p="$1" '$5 == p && $3 > 0 { f = 1 } END { exit !f }'; }

# holds_sockets PID N
holds_sockets() { [ "$(sockets_of "$1")" -eq "$2" ]; }

@test "17.13 a client draining a long answer a few bytes at a time is closed after 10 s, not held for ever" {
	local base start took
	CTL=$BATS_TEST_TMPDIR/control.sock
	start_daemon <<EOF
control = $CTL
[hello]
listen = 127.0.0.1:$(free_port)
mode = pool
workers = 5000
exec = $W/hello
EOF
	wait_for 120 has_workers "$DAEMON_PID" 5000
	ctl status >/dev/null
	base=$(sockets_of "$DAEMON_PID")
	# 5,000 rows are ~700 KB, more than the socket buffers hold; read at
	# 33 KB/s they take 20 s, and the daemon can send every few seconds,
	# so the idle timeout alone never ends it
	timeout 60 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"workers\n")
while s.recv(1024):
	time.sleep(0.03)
' "$CTL" 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 10 holds_sockets "$DAEMON_PID" $((base + 1))
	start=$SECONDS
	wait_for 40 holds_sockets "$DAEMON_PID" "$base"
	took=$((SECONDS - start))
	echo "# the slow reader was closed after ${took} s" >&3
	[ "$took" -ge 8 ]
	[ "$took" -le 15 ]
	# the socket goes on answering
	run ctl status
	assert_success
}

@test "17.13 a reload asked in the loop turn of a SIGHUP reload is answered by its own reload, ok" {
	local i port
	CTL=$BATS_TEST_TMPDIR/control.sock
	port=$(free_port)
	start_daemon <<EOF
control = $CTL
[echo]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	for i in 1 2 3 4 5; do
		# the HUP and the request wait while the daemon is stopped, and
		# reach it in the same turn when it is continued
		kill -STOP "$DAEMON_PID"
		kill -HUP "$DAEMON_PID"
		ctl reload >"$BATS_TEST_TMPDIR/reload.$i" 2>&1 3>&- &
		wait_for 5 queued_on "$CTL"
		kill -CONT "$DAEMON_PID"
		wait $! || { cat "$BATS_TEST_TMPDIR/reload.$i" >&2; return 1; }
	done
	refute daemon_said "reload failed"
}
