#!/usr/bin/env bats
# The preallocation layer: a configuration the machine cannot hold is
# refused (exit 111, naming each shortfall, nothing bound) or capped, and
# at the cap nothing is left for the OOM killer or a failed spawn to decide.
# Tests that change cgroups or sysctls take the scale lock (setup_file).

load helpers
load daemon_helpers

setup_file() { scale_lock; }

teardown() {
	restore_overcommit
	daemon_teardown
	teardown_common
}

# The sysctls are saved to a file, restored by teardown and, should a
# test die before it, by teardown_file (bats owns the EXIT trap).
save_overcommit() {
	echo "$(cat /proc/sys/vm/overcommit_memory) $(cat /proc/sys/vm/overcommit_kbytes) $(cat /proc/sys/vm/overcommit_ratio)" \
	    >"$BATS_FILE_TMPDIR/overcommit"
}
restore_overcommit() {
	local f=$BATS_FILE_TMPDIR/overcommit
	[ -s "$f" ] || return 0
	set -- $(cat "$f")
	echo "$1" >/proc/sys/vm/overcommit_memory
	if [ "$2" != 0 ]; then echo "$2" >/proc/sys/vm/overcommit_kbytes
	else echo "$3" >/proc/sys/vm/overcommit_ratio; fi
	rm -f "$f"
}
teardown_file() { restore_overcommit; }

# conf_asking N MODE WORKER [POLICY]: a config asking for N workers.
conf_asking() {
	PORT=$(free_port)
	write_conf <<EOF
policy = ${4:-refuse}
[big]
listen = 127.0.0.1:$PORT
mode = $2
workers = $1
exec = $W/$3
EOF
	DAEMON_CONF=$BATS_TEST_TMPDIR/myriad.conf
}

# refused_by TEXT: the daemon exits 111 naming TEXT, bound nothing,
# started no worker.
refused_by() {
	wait_for 10 eval "! kill -0 $DAEMON_PID 2>/dev/null"
	run wait "$DAEMON_PID"
	[ "$status" -eq 111 ]
	grep -q "refusing the configuration: $1" "$DAEMON_LOG" || {
		cat "$DAEMON_LOG" >&2
		return 1
	}
	refute daemon_said 'ready'
	refute listening "$PORT"
	[ "$(worker_count "$DAEMON_PID")" -eq 0 ]
}

capped_to() {
	sed -n 's/.*capped from [0-9]* to \([0-9]*\) workers.*/\1/p' "$DAEMON_LOG"
}

@test "the ready line carries the budget: workers, user and kernel bytes, reserved, available" {
	PORT=$(free_port)
	start_daemon <<EOF
[hello]
listen = 127.0.0.1:$PORT
mode = pool
workers = 20
exec = $W/hello
EOF
	run grep 'myriadd: ready: ' "$DAEMON_LOG"
	assert_output --regexp 'budget: 20 workers \(hello 20 x 4096 B user \+ [0-9]+ KB kernel\), [0-9]+ KB reserved of [0-9]+ MB available'
}

@test "a 64 MiB memory cgroup refuses 10,000 workers, naming memory and numbers" {
	local cg
	cgroup_make memory
	cg=$CGROUP
	echo $((64 * 1024 * 1024)) >"$cg/memory.limit_in_bytes"
	in_cgroups "$cg"
	conf_asking 10000 pool hello
	start_daemon_bg
	refused_by "memory: the workers need [0-9]* MB, $cg can give [0-9]* MB"
}

@test "with policy = cap, a 64 MiB cgroup caps the service and 30 s at the cap have 0 OOM kills, 0 spawn failures" {
	local cg cap
	cgroup_make memory
	cg=$CGROUP
	echo $((64 * 1024 * 1024)) >"$cg/memory.limit_in_bytes"
	in_cgroups "$cg"
	conf_asking 10000 spawn echo cap
	restart_daemon
	cap=$(capped_to)
	echo "# capped to $cap workers in 64 MiB" >&3
	[ "$cap" -gt 100 ]
	[ "$cap" -lt 10000 ]
	# fill the cap with held connections for 30 s; more clients queue
	"$B/bench/loadgen" -c 64 -n "$cap" -t 60 -s x -H 30 \
	    "127.0.0.1:$PORT" >"$BATS_TEST_TMPDIR/hold.out" 2>&1 3>&- &
	local hold=$!
	wait_for 30 grep -q '^mode=hold' "$BATS_TEST_TMPDIR/hold.out"
	wait_for 10 has_workers "$DAEMON_PID" "$cap"
	run "$B/bench/loadgen" -c 16 -n 200 -t 5 -s x "127.0.0.1:$PORT"
	[ "$(live_count "$DAEMON_PID")" -eq "$cap" ]
	wait "$hold"
	grep -q "^oom_kill 0$" "$cg/memory.oom_control"
	grep -q "^under_oom 0$" "$cg/memory.oom_control"
	refute daemon_said 'unable to spawn'
	kill -0 "$DAEMON_PID"
	echo "# $(cat "$BATS_TEST_TMPDIR/hold.out"), memcg max usage $(cat "$cg/memory.max_usage_in_bytes") B" >&3
}

@test "a pids cgroup too small for the config: refused, or capped with policy = cap" {
	local cg
	cgroup_make pids
	cg=$CGROUP
	echo 300 >"$cg/pids.max"
	in_cgroups "$cg"
	conf_asking 1000 pool hello
	start_daemon_bg
	refused_by "pids: the workers need 1000, $cg can give [0-9]*"
	conf_asking 1000 pool hello cap
	restart_daemon
	[ "$(capped_to)" -gt 0 ]
	[ "$(capped_to)" -le 300 ]
	wait_for 10 has_workers "$DAEMON_PID" "$(capped_to)"
	[ "$(cat "$cg/pids.current")" -le 300 ]
}

@test "strict overcommit: headroom for ~100 workers, 1000 asked: refused, then capped with no spawn failing" {
	[ -w /proc/sys/vm/overcommit_memory ] || skip "vm.overcommit_memory not writable"
	local committed spare cap
	save_overcommit
	committed=$(awk '/^Committed_AS/ { print $2 }' /proc/meminfo)
	# the daemon leaves 16 MiB of commit to the rest of the machine (10 %
	# of the limit if more, up to 32 MiB); ~100 one-page workers commit
	# 36 KiB each (their page and exec stack)
	spare=$((16 * 1024))
	echo $((committed + spare + 100 * 36)) >/proc/sys/vm/overcommit_kbytes
	echo 2 >/proc/sys/vm/overcommit_memory
	conf_asking 1000 spawn hello
	start_daemon_bg
	refused_by "commit (vm.overcommit_memory=2): the workers need [0-9]* [KM]B, CommitLimit - Committed_AS can give [0-9]* [KM]B"
	conf_asking 1000 spawn hello cap
	restart_daemon
	cap=$(capped_to)
	echo "# capped to $cap workers under strict overcommit" >&3
	[ "$cap" -gt 0 ]
	[ "$cap" -lt 1000 ]
	run "$B/bench/loadgen" -c 32 -n 3000 -t 30 -s 'GET / HTTP/1.0\r\n\r\n' \
	    -e 50 "127.0.0.1:$PORT"
	restore_overcommit
	assert_success
	refute daemon_said 'unable to spawn'
	daemon_said 'commit held'
}

@test "a foreign program is charged its memory budget and held to it with RLIMIT_DATA" {
	local pid
	PORT=$(free_port)
	start_daemon <<EOF
[glibc]
listen = 127.0.0.1:$PORT
mode = pool
workers = 3
memory = 3M
exec = $W/glibc/echo
[onepage]
listen = 127.0.0.1:$(free_port)
mode = pool
workers = 3
exec = $W/echo
EOF
	assert_file_contains "$DAEMON_LOG" 'glibc 3 x 3145 KB user'
	assert_file_contains "$DAEMON_LOG" 'onepage 3 x 4096 B user'
	wait_for 10 has_workers "$DAEMON_PID" 6
	for pid in $(workers_of "$DAEMON_PID"); do
		case $(readlink "/proc/$pid/exe") in
		*glibc/echo) grep -Eq '^Max data size +3145728 +3145728 +bytes' "/proc/$pid/limits" ;;
		*) grep -Eq '^Max stack size +32768 +32768 +bytes' "/proc/$pid/limits" ;;
		esac
	done
	run socat -t 5 - "TCP:127.0.0.1:$PORT" <<<"still works"
	assert_output "still works"
}

@test "a bad policy or memory value is a config error with its line" {
	PORT=$(free_port)
	write_conf <<EOF
policy = maybe
EOF
	run "$B/myriadd" -n -f "$BATS_TEST_TMPDIR/myriad.conf"
	[ "$status" -eq 100 ]
	assert_output --partial "myriad.conf:1: policy 'maybe': expected refuse or cap"
	write_conf <<EOF
[x]
listen = 127.0.0.1:$PORT
exec = $W/echo
memory = lots
EOF
	run "$B/myriadd" -n -f "$BATS_TEST_TMPDIR/myriad.conf"
	[ "$status" -eq 100 ]
	assert_output --partial "myriad.conf:4:"
	assert_output --partial "not a size"
}

@test "17.3 commit taken by another process while workers ran: the service admits them again once it is back" {
	[ -w /proc/sys/vm/overcommit_memory ] || skip "vm.overcommit_memory not writable"
	local committed
	save_overcommit
	PORT=$(free_port)
	write_conf <<EOF
[e]
listen = 127.0.0.1:$PORT
workers = 4
exec = $W/echo
EOF
	DAEMON_CONF=$BATS_TEST_TMPDIR/myriad.conf
	committed=$(awk '/^Committed_AS/ { print $2 }' /proc/meminfo)
	echo $((committed + 64 * 1024)) >/proc/sys/vm/overcommit_kbytes
	echo 2 >/proc/sys/vm/overcommit_memory
	restart_daemon
	# One process does it all, as nothing can fork while the commit is
	# taken: hold 4 workers, take every byte of commit left, end the
	# workers (the daemon cannot take their commit back), then give it
	# back.
	timeout 60 python3 -c '
import mmap, socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    for i in range(4)]
for s in held:
	s.sendall(b"x\n")
	s.recv(16)
maps = [None] * 100000
n = 0
size = 1 << 30
while size >= 4096 and n < len(maps):
	try:
		maps[n] = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE,
		    prot=mmap.PROT_READ | mmap.PROT_WRITE)
		n += 1
	except OSError:
		size //= 2
for s in held:
	s.close()
time.sleep(1.5)
maps = None
print("released")
' "$PORT" >"$BATS_TEST_TMPDIR/hog.out" 2>&1 3>&-
	restore_overcommit
	grep -q released "$BATS_TEST_TMPDIR/hog.out"
	daemon_said "service 'e': commit taken by another process"
	wait_for 10 daemon_said "service 'e': commit back for"
	run socat -t 5 - "TCP:127.0.0.1:$PORT" <<<"back"
	assert_output "back"
}
