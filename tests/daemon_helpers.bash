# daemon_helpers.bash - start and stop a real myriadd in a test (load after
# helpers). The daemon runs in its own process group, which the test owns.
#
#   start_daemon [ARGS...] <<EOF      config on stdin; waits for "ready"
#   [echo]
#   listen = 127.0.0.1:$P
#   exec = $W/echo
#   EOF
#
# Sets DAEMON_PID, DAEMON_CONF and DAEMON_LOG.

DAEMON_PIDS=

# write_conf [FILE]: stdin to FILE (default the test's myriad.conf).
write_conf() {
	cat >"${1:-$BATS_TEST_TMPDIR/myriad.conf}"
}

# start_daemon_bg [ARGS...]: start myriadd on $DAEMON_CONF, do not wait.
# $DAEMON_ENV: variables for its environment; $DAEMON_WRAP: a command that
# runs it (prlimit ...).
start_daemon_bg() {
	DAEMON_CONF=${DAEMON_CONF:-$BATS_TEST_TMPDIR/myriad.conf}
	DAEMON_LOG=$BATS_TEST_TMPDIR/myriadd.log
	: >"$DAEMON_LOG"
	# shellcheck disable=SC2086
	env -i PATH=/usr/bin:/bin ${DAEMON_ENV:-} setsid ${DAEMON_WRAP:-} \
	    "$B/myriadd" -f "$DAEMON_CONF" "$@" >>"$DAEMON_LOG" 2>&1 3>&- &
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	OWNED_PGIDS="$OWNED_PGIDS $DAEMON_PID"
}

# start_daemon [ARGS...]: config from stdin, start, wait for the ready line.
start_daemon() {
	DAEMON_CONF=$BATS_TEST_TMPDIR/myriad.conf
	write_conf "$DAEMON_CONF"
	restart_daemon "$@"
}

# restart_daemon [ARGS...]: start on the same config, wait for ready.
restart_daemon() {
	start_daemon_bg "$@"
	wait_for "${READY_TIMEOUT:-30}" daemon_said 'myriadd: ready: ' || {
		cat "$DAEMON_LOG" >&2
		return 1
	}
}

# daemon_said TEXT: the log has a line containing TEXT (fixed string).
daemon_said() { grep -qF -- "$1" "$DAEMON_LOG"; }

# daemon_count TEXT: lines of the log containing TEXT.
daemon_count() { grep -cF -- "$1" "$DAEMON_LOG" || true; }

# stop_daemon: SIGTERM, wait; sets DAEMON_STATUS to its exit status.
stop_daemon() {
	kill -TERM "$DAEMON_PID"
	DAEMON_STATUS=0
	wait "$DAEMON_PID" || DAEMON_STATUS=$?
}

# workers_of PID: the daemon's children, one pid a line.
workers_of() { ps --ppid "$1" -o pid= | tr -d ' '; }

# worker_count PID: how many children the daemon has (zombies included).
worker_count() { ps --ppid "$1" -o pid= | wc -l; }

# live_count PID: children that are not zombies.
live_count() { ps --ppid "$1" -o stat= | grep -vc '^Z' || true; }

# zombie_count PID: children that are zombies.
zombie_count() { ps --ppid "$1" -o stat= | grep -c '^Z' || true; }

# has_workers PID N: the daemon has exactly N live children.
has_workers() { [ "$(live_count "$1")" -eq "$2" ]; }

# alive PID: the process exists and is not a zombie (a dead worker of a
# killed daemon waits for PID 1 to reap it).
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# all_gone FILE: none of the pids in FILE is alive (one ps for them all).
all_gone() {
	[ -s "$1" ] || return 0
	! ps -o stat= -p "$(paste -sd, "$1")" | grep -qv '^Z'
}

# listening PORT: something listens on 127.0.0.1:PORT (or any address).
listening() { ss -Htln "sport = :$1" | grep -q .; }

# hold_connections N PORT: open N TCP connections to 127.0.0.1:PORT from
# one bash process in its own process group, held until teardown.
# HOLD_PGID is that group.
hold_connections() {
	local n=$1 port=$2 ready=$BATS_TEST_TMPDIR/hold.$RANDOM
	setsid bash -c '
		for i in $(seq '"$n"'); do
			exec {fd}<>/dev/tcp/127.0.0.1/'"$port"' || exit 1
		done
		echo held >'"$ready"'
		exec sleep 100000' >/dev/null 2>&1 3>&- &
	HOLD_PGID=$!
	OWNED_PGIDS="$OWNED_PGIDS $HOLD_PGID"
	wait_for 120 test -s "$ready"
}

# daemon_stats [SECONDS]: SIGUSR1, then the totals line it logs (waiting
# at most SECONDS, 10 by default).
daemon_stats() {
	local before
	before=$(daemon_count 'myriadd: stats: live')
	kill -USR1 "$DAEMON_PID"
	wait_for "${1:-10}" eval '[ "$(daemon_count "myriadd: stats: live")" -gt '"$before"' ]'
	grep 'myriadd: stats: live' "$DAEMON_LOG" | tail -1
}

# short_connections N WORKERS: N connections from ab at concurrency 16 to
# a spawn-mode hello limited to WORKERS; all served, every worker reaped,
# no zombie, spawned == reaped (ab may open up to 99 beyond N at the end).
short_connections() {
	local n=$1 port
	port=$(free_port)
	start_daemon <<EOF
[hello]
listen = 127.0.0.1:$port
exec = $W/hello
workers = $2
EOF
	run ab -q -n "$n" -c 16 "http://127.0.0.1:$port/"
	assert_success
	assert_line --regexp "^Complete requests: +$n\$"
	assert_line --regexp '^Failed requests: +0$'
	wait_for 10 has_workers "$DAEMON_PID" 0
	[ "$(zombie_count "$DAEMON_PID")" -eq 0 ]
	daemon_stats | awk -v n="$n" '{
		for (i = 1; i < NF; i++) v[$i] = $(i + 1)
		exit !(v["live"] == 0 && v["spawned"] == v["reaped"] &&
		    v["spawned"] >= n && v["spawned"] < n + 100 && v["failed"] == 0) }'
}

# cpu_ticks PID: user + system clock ticks the process has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

daemon_teardown() {
	local pid
	for pid in $DAEMON_PIDS; do
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null
		wait_for 15 eval "! kill -0 $pid 2>/dev/null" ||
		    kill -KILL "$pid" 2>/dev/null
	done
	if [ -n "${BATS_TEST_COMPLETED:-}" ] || [ -z "${DAEMON_LOG:-}" ]; then
		return 0
	fi
	echo "--- myriadd log" >&2
	tail -n 40 "$DAEMON_LOG" >&2
}

teardown() {
	daemon_teardown
	teardown_common
}
