# helpers.bash - the bats harness shared by every test file: build paths,
# free ports, polling waits, pools of workers, /proc measurements, cgroups.
# Every process a test starts is in a process group the test owns and is
# killed in teardown; every cgroup it makes is removed.

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
B=$ROOT/build
W=$B/worker
T=$B/tests
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}

# Process groups, cgroups and directories to clean up, one per line.
OWNED_PGIDS=
OWNED_CGROUPS=
OWNED_DIRS=

# open_copy FILE: copy FILE into a directory every user can search, as a
# worker run as another user needs (the checkout, and bats' own temporary
# directory, may lie under one only root enters). Sets OPEN_COPY.
open_copy() {
	open_dir
	cp "$1" "$OPEN_DIR/"
	OPEN_COPY=$OPEN_DIR/$(basename "$1")
}

# open_dir: a new directory every user can search, removed in teardown;
# sets OPEN_DIR.
open_dir() {
	OPEN_DIR=$(mktemp -d /tmp/myriad-open.XXXXXX)
	OWNED_DIRS="$OWNED_DIRS $OPEN_DIR"
	chmod 755 "$OPEN_DIR"
}

# wait_for SECONDS COMMAND...: poll COMMAND every 20 ms until it succeeds;
# give up at once if it returns 99 (a predicate's "never").
wait_for() {
	local deadline=$((SECONDS + $1)) rc
	shift
	while :; do
		"$@" && return 0
		rc=$?
		[ $rc -ne 99 ] || return 1
		[ $SECONDS -lt $deadline ] || { echo "timed out: $*" >&2; return 1; }
		sleep 0.02
	done
}

# free_port: a TCP port on 127.0.0.1 nothing uses, below the ephemeral
# range (a client socket in TIME_WAIT there would make bind fail).
free_port() {
	local port
	for _ in $(seq 50); do
		port=$((10000 + RANDOM % 20000))
		ss -Htan "sport = :$port" | grep -q . || { echo "$port"; return; }
	done
	return 1
}

# pool_start N WHERE WORKER [ARGS...]: N copies of WORKER accepting on WHERE
# (HOST:PORT or a UNIX path), clean environment plus $POOL_ENV; returns once
# all wait in accept. Sets POOL_PGID and POOL_PIDS (a file, one pid a line).
# POOL_CGROUPS: cgroup directories pool joins before spawning; with a
# memory cgroup, pool.out gets "baseline BYTES" (its usage before spawning).
pool_start() {
	local n=$1 where=$2 cg args=()
	shift 2
	POOL_PIDS=$BATS_TEST_TMPDIR/pool.pids
	for cg in ${POOL_CGROUPS:-}; do
		args+=(-c "$cg/cgroup.procs")
		[ -f "$cg/memory.usage_in_bytes" ] &&
		    args+=(-m "$cg/memory.usage_in_bytes")
	done
	# shellcheck disable=SC2086
	env -i ${POOL_ENV:-} "$T/pool" -n "$n" -l "$where" -p "$POOL_PIDS" \
	    "${args[@]}" -- "$@" >"$BATS_TEST_TMPDIR/pool.out" \
	    2>"$BATS_TEST_TMPDIR/pool.err" 3>&- &
	POOL_PGID=$!
	OWNED_PGIDS="$OWNED_PGIDS $POOL_PGID"
	wait_for 120 pool_ready "$POOL_PGID" || {
		cat "$BATS_TEST_TMPDIR/pool.err" >&2
		return 1
	}
}

pool_ready() {
	kill -0 "$1" 2>/dev/null || { echo "pool exited" >&2; return 99; }
	grep -q '^ready' "$BATS_TEST_TMPDIR/pool.out"
}

# kill_group PGID: TERM then KILL a process group, wait until it is gone.
kill_group() {
	kill -TERM -- "-$1" 2>/dev/null || return 0
	wait_for 10 group_gone "$1" || kill -KILL -- "-$1" 2>/dev/null
	wait_for 10 group_gone "$1"
}
group_gone() { ! kill -0 -- "-$1" 2>/dev/null; }

# cgroup_make CONTROLLER: a fresh child cgroup in $CGROUP, removed in
# teardown. Not in $(...): the record of it must reach teardown.
cgroup_make() {
	CGROUP=/sys/fs/cgroup/$1/myriad-test-$$-$BATS_TEST_NUMBER-$RANDOM
	mkdir "$CGROUP" || return 1
	OWNED_CGROUPS="$OWNED_CGROUPS $CGROUP"
}

# in_cgroups DIR...: DAEMON_WRAP that starts myriadd inside those cgroups.
in_cgroups() {
	local w=$BATS_TEST_TMPDIR/incg
	{
		echo '#!/bin/sh'
		for cg in "$@"; do echo "echo \$\$ >$cg/cgroup.procs"; done
		echo 'exec "$@"'
	} >"$w"
	chmod +x "$w"
	DAEMON_WRAP=$w
}

# cgroup_remove DIR: kill what is left in it, wait, rmdir.
cgroup_remove() {
	local dir=$1 pid
	[ -d "$dir" ] || return 0
	for pid in $(cat "$dir/cgroup.procs"); do kill -KILL "$pid" 2>/dev/null; done
	wait_for 10 cgroup_empty "$dir"
	rmdir "$dir"
}
cgroup_empty() { [ -z "$(cat "$1/cgroup.procs")" ]; }

# Per-process figures from /proc, for a file of pids: one line per pid,
# "pid private_bytes vmpte_bytes vmas".
proc_footprints() {
	local pid
	while read -r pid; do
		awk -v pid="$pid" '
			FILENAME ~ /smaps_rollup/ && /^Private_(Clean|Dirty):/ { priv += $2 }
			FILENAME ~ /status/ && /^VmPTE:/ { pte = $2 }
			FILENAME ~ /maps$/ && !/\[vsyscall\]/ { vmas++ }
			END { print pid, priv * 1024, pte * 1024, vmas }' \
		    "/proc/$pid/smaps_rollup" "/proc/$pid/status" "/proc/$pid/maps"
	done <"$1"
}

# stack_high_water PID PAGE_ADDR STACK_SIZE: bytes of the in-page stack a
# one-page worker has ever touched (the stack starts zeroed, as bss).
stack_high_water() {
	local pid=$1 page=$2 size=$3
	dd if="/proc/$pid/mem" bs=4096 skip=$((page / 4096)) count=1 \
	    status=none | tail -c "$size" | od -An -v -tx1 | tr -s ' \n' '\n\n' |
	    awk 'NF { n++; if ($1 != "00" && !first) first = n } END {
		print first ? n - first + 1 : 0 }'
}

# scale_lock: hold /tmp/myriad-scale.lock for the rest of the test file
# (call from setup_file), unless an ancestor holds it already, as in
# `flock /tmp/myriad-scale.lock bats FILE`. Tests that start 1,000+
# processes or change sysctls and cgroups never overlap this way.
scale_lock() {
	lock_held_above && return 0
	exec {SCALE_LOCK}>>/tmp/myriad-scale.lock
	flock -w 1800 "$SCALE_LOCK"
}
lock_held_above() {
	local pid=$PPID fd
	while [ "${pid:-1}" -gt 1 ]; do
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = /tmp/myriad-scale.lock ] &&
			    return 0
		done
		pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	done
	return 1
}

# shipped_conf: conf/myriad.conf with its workers copied where nobody
# (its user) can reach them, as make run does from a closed checkout;
# sets SHIPPED_CONF.
shipped_conf() {
	local w
	open_dir
	for w in echo discard chargen daytime time qotd hello; do
		cp "$W/$w" "$OPEN_DIR/"
	done
	SHIPPED_CONF=$BATS_TEST_TMPDIR/shipped.conf
	sed "s#\.\./build/worker/#$OPEN_DIR/#" "$ROOT/conf/myriad.conf" \
	    >"$SHIPPED_CONF"
}

teardown_common() {
	local pg cg dir
	for pg in $OWNED_PGIDS; do kill_group "$pg"; done
	for cg in $OWNED_CGROUPS; do cgroup_remove "$cg"; done
	for dir in $OWNED_DIRS; do rm -rf -- "$dir"; done
}

teardown() { teardown_common; }
