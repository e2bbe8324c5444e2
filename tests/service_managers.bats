#!/usr/bin/env bats
# service_managers.bats - the shipped service files under the real
# supervisors: runit's runsv and sv, s6's s6-supervise, s6-svc and
# s6-svwait, and systemd's sandbox as far as it can be had without systemd
# as PID 1 (the capability bounding set, no_new_privs). Each test runs its
# own copy of contrib/ in $BATS_TEST_TMPDIR, on free ports, and kills the
# supervisors it started by pid.

bats_require_minimum_version 1.5.0

load helpers
load daemon_helpers

SUPERVISOR_PGIDS=

# service_copy KIND: contrib/KIND/myriad in the test's directory, its
# scripts pointed at build/myriadd, the test's config and log directory.
# Sets SVC.
service_copy() {
	SVC=$BATS_TEST_TMPDIR/$1/myriad
	mkdir -p "$(dirname "$SVC")"
	cp -R "$ROOT/contrib/$1/myriad" "$SVC"
	sed -i -e "s|/usr/sbin/myriadd|$B/myriadd|" \
	    -e "s|/etc/myriad/myriad.conf|$BATS_TEST_TMPDIR/myriad.conf|" "$SVC/run"
	sed -i "s|/var/log/myriad|$BATS_TEST_TMPDIR/log|g" "$SVC/log/run"
	DAEMON_LOG=$BATS_TEST_TMPDIR/log/current
}

# Two services: echo in spawn mode, discard as a pool of 3.
two_services() {
	ECHO_PORT=$(free_port)
	POOL_PORT=$(free_port)
	while [ "$POOL_PORT" = "$ECHO_PORT" ]; do POOL_PORT=$(free_port); done
	write_conf <<EOF
grace = 2
[echo]
listen = 127.0.0.1:$ECHO_PORT
exec = $W/echo
workers = 10
[discard]
listen = 127.0.0.1:$POOL_PORT
mode = pool
exec = $W/discard
workers = 3
EOF
}

# supervised_pid: the pid the supervisor runs (runit and s6 both keep it
# in supervise/); runsv writes nothing there while the service is down.
supervised_pid() {
	local pid
	if [ -f "$SVC/supervise/pid" ]; then
		pid=$(cat "$SVC/supervise/pid")
	else
		pid=$(s6-svstat -p "$SVC" 2>/dev/null)
	fi
	[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != -1 ] || return 1
	echo "$pid"
}

# serves PORT: a line sent to the echo service comes back.
serves() {
	run socat -T 5 - "TCP:127.0.0.1:$1" <<<"line $1"
	assert_success
	assert_output "line $1"
}

# start_supervisor COMMAND...: in a clean environment and a process group
# of its own, fd 3 closed; SUPERVISOR_PID is its pid.
start_supervisor() {
	env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin setsid "$@" \
	    </dev/null >>"$BATS_TEST_TMPDIR/supervisor.out" 2>&1 3>&- &
	SUPERVISOR_PID=$!
	SUPERVISOR_PGIDS="$SUPERVISOR_PGIDS $SUPERVISOR_PID"
}

# myriadd_accepts_r: the daemon has the s6 readiness option (the lead's).
myriadd_accepts_r() {
	"$B/myriadd" -h 2>&1 | grep -qE -- '-r |\[-[a-z]*r[a-z]*\]'
}

teardown() {
	local pg pid
	if [ -n "${SVC:-}" ] && [ -d "$SVC/supervise" ]; then
		# Whatever runs now is killed by pid if it outlives its supervisor.
		pid=$(supervised_pid) && DAEMON_PIDS="$DAEMON_PIDS $pid"
		if command -v s6-svc >/dev/null && [ -p "$SVC/supervise/control" ] &&
		    [ ! -f "$SVC/supervise/ok" ]; then
			s6-svc -dx "$SVC" 2>/dev/null
			s6-svc -dx "$SVC/log" 2>/dev/null
		else
			sv -w 15 force-stop "$SVC" >/dev/null 2>&1
		fi
	fi
	for pg in $SUPERVISOR_PGIDS; do kill_group "$pg"; done
	daemon_teardown
	teardown_common
}

# --- runit -----------------------------------------------------------------

start_runsv() {
	service_copy runit
	# runsv runs ./finish with ./run's exit code and wait status.
	printf '#!/bin/sh\necho "$1 $2" >>%s/exits\n' "$BATS_TEST_TMPDIR" >"$SVC/finish"
	chmod 755 "$SVC/finish"
	start_supervisor runsv "$SVC"
	wait_for 30 daemon_said 'myriadd: ready: ' || {
		cat "$BATS_TEST_TMPDIR/supervisor.out" "$DAEMON_LOG" >&2
		return 1
	}
	DAEMON_PID=$(supervised_pid)
}

@test "runit: runsv runs myriadd from the shipped run script, logged by svlogd" {
	two_services
	start_runsv
	serves "$ECHO_PORT"
	run sv status "$SVC"
	assert_success
	assert_output --regexp "^run: $SVC: \\(pid $DAEMON_PID\\) [0-9]+s; run: log: \\(pid [0-9]+\\)"
	# svlogd -tt: each line stamped.
	run grep -F 'myriadd: ready: ' "$DAEMON_LOG"
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:.]+ myriadd: ready: echo 127.0.0.1:'
}

@test "runit: sv reload is SIGHUP: the new config is read, the daemon stays" {
	two_services
	start_runsv
	local port
	port=$(free_port)
	cat >>"$BATS_TEST_TMPDIR/myriad.conf" <<EOF
[echo2]
listen = 127.0.0.1:$port
exec = $W/echo
EOF
	run sv reload "$SVC"
	assert_success
	wait_for 15 daemon_said 'myriadd: reloaded: '
	run grep -F 'myriadd: reloaded: ' "$DAEMON_LOG"
	assert_output --partial "echo2 127.0.0.1:$port spawn"
	[ "$(supervised_pid)" = "$DAEMON_PID" ]
	serves "$port"
	serves "$ECHO_PORT"
}

@test "runit: sv stop is SIGTERM: myriadd exits 0 and no worker is left" {
	two_services
	start_runsv
	wait_for 15 has_workers "$DAEMON_PID" 3
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	run sv -w 30 stop "$SVC"
	assert_success
	assert_output --regexp "^ok: down: $SVC: "
	wait_for 10 test -s "$BATS_TEST_TMPDIR/exits"
	run cat "$BATS_TEST_TMPDIR/exits"
	assert_output '0 0'
	all_gone "$BATS_TEST_TMPDIR/workers"
	run ! alive "$DAEMON_PID"
	run ! listening "$ECHO_PORT"
}

# --- s6 --------------------------------------------------------------------

# start_s6: s6-supervise on the service and on its log, piped together as
# s6-svscan would. Without -r in myriadd yet, the run script is run
# without it (and no notification-fd), so the rest can be checked now.
start_s6() {
	service_copy s6
	if ! myriadd_accepts_r; then
		sed -i 's/ -r 3 / /' "$SVC/run"
		rm -f "$SVC/notification-fd"
	fi
	start_supervisor sh -c 's6-supervise "$1" | s6-supervise "$1/log"' sh "$SVC"
}

@test "s6: s6-supervise runs myriadd from the shipped run script, logged by s6-log" {
	two_services
	start_s6
	wait_for 30 daemon_said 'myriadd: ready: ' || {
		cat "$BATS_TEST_TMPDIR/supervisor.out" >&2
		return 1
	}
	serves "$ECHO_PORT"
	run s6-svstat -o up "$SVC"
	assert_output true
	# s6-log t: a TAI64N stamp on each line.
	run grep -F 'myriadd: ready: ' "$DAEMON_LOG"
	assert_output --regexp '^@4[0-9a-f]{23} myriadd: ready: echo 127.0.0.1:'
}

@test "s6: s6-svc -h reloads, s6-svc -d stops: exit 0, no worker left" {
	two_services
	start_s6
	wait_for 30 daemon_said 'myriadd: ready: '
	DAEMON_PID=$(supervised_pid)
	s6-svc -h "$SVC"
	wait_for 15 daemon_said 'myriadd: reloaded: '
	[ "$(supervised_pid)" = "$DAEMON_PID" ]
	wait_for 15 has_workers "$DAEMON_PID" 3
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	run s6-svc -wD -T 30000 -d "$SVC"
	assert_success
	run s6-svstat -o up,exitcode "$SVC"
	assert_output 'false 0'
	all_gone "$BATS_TEST_TMPDIR/workers"
	run ! alive "$DAEMON_PID"
	run ! listening "$ECHO_PORT"
}

@test "s6: s6-svwait -U returns once myriadd is ready (-r 3), not when it is only up" {
	myriadd_accepts_r || skip "needs myriadd -r (lead)"
	two_services
	# The first runs cannot be ready: the program is not there yet, each
	# run exits 100 and s6-supervise starts it again a second later.
	sed -i "s|^exec = $W/echo\$|exec = $BATS_TEST_TMPDIR/later/echo|" \
	    "$BATS_TEST_TMPDIR/myriad.conf"
	start_s6
	wait_for 15 test -p "$SVC/supervise/control"
	s6-svwait -U -t 60000 "$SVC" >"$BATS_TEST_TMPDIR/svwait.out" 2>&1 3>&- &
	local svwait=$!
	wait_for 15 daemon_said 'later/echo'
	run s6-svwait -U -t 2000 "$SVC"
	assert_failure
	kill -0 "$svwait"
	mkdir "$BATS_TEST_TMPDIR/later"
	cp "$W/echo" "$BATS_TEST_TMPDIR/later/echo"
	wait "$svwait"
	# Ready means bound and serving, at once.
	run s6-svstat -o ready "$SVC"
	assert_output true
	serves "$ECHO_PORT"
	serves "$ECHO_PORT"
}

# --- systemd's sandbox ----------------------------------------------------

# unit_caps: the unit's CapabilityBoundingSet as setpriv wants it.
unit_caps() {
	sed -n 's/^CapabilityBoundingSet=//p' "$ROOT/contrib/systemd/myriad.service" |
	    tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_/+/p' | paste -sd, | sed 's/^/-all,/'
}

@test "systemd: myriadd does its job with only the unit's capabilities and no_new_privs" {
	local caps port
	caps=$(unit_caps)
	[ -n "$caps" ]
	ECHO_PORT=$(free_port)
	port=$(free_port)
	# Workers as another user: uid/gid changes, signals, /proc footprints.
	open_copy "$W/discard"
	local discard=$OPEN_COPY
	open_copy "$W/echo"
	write_conf <<EOF
grace = 2
control = $BATS_TEST_TMPDIR/control.sock
[echo]
listen = 127.0.0.1:$ECHO_PORT
exec = $OPEN_COPY
user = nobody
[discard]
listen = 127.0.0.1:$port
mode = pool
exec = $discard
workers = 3
user = nobody
EOF
	DAEMON_WRAP="setpriv --bounding-set $caps --inh-caps -all --no-new-privs"
	restart_daemon
	serves "$ECHO_PORT"
	wait_for 15 has_workers "$DAEMON_PID" 3
	run awk '/^NoNewPrivs:/ { print $2 }' "/proc/$DAEMON_PID/status"
	assert_output 1
	# The process events connector (CAP_NET_ADMIN) is in use.
	run ! daemon_said 'reaping by scanning'
	# Footprints of workers of another uid (CAP_SYS_PTRACE).
	run "$B/myriadctl" -s "$BATS_TEST_TMPDIR/control.sock" workers discard --json
	assert_success
	jq -e '.workers | length == 3 and all(.private_bytes > 0 and .pagetable_bytes > 0)' <<<"$output"
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	all_gone "$BATS_TEST_TMPDIR/workers"
}
