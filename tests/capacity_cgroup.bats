#!/usr/bin/env bats
# Issue 17 item 10: the memory and pids cgroup limits are found on cgroup
# v1, v2 and hybrid machines, and the ready line says which hierarchy held
# them. machine_test reads fixture trees made here (a /proc and the cgroup
# mounts under one root); the last tests read this machine. Those make
# cgroups, so the file takes the scale lock.

load helpers
load daemon_helpers

setup_file() { scale_lock; }

teardown() {
	daemon_teardown
	teardown_common
}

# fixture: a root in $R with the /proc files machine.c must have, and no
# cgroup: /proc/self/cgroup and the mounts are added by each test.
fixture() {
	R=$BATS_TEST_TMPDIR/root
	mkdir -p "$R/proc/self" "$R/proc/sys/kernel" "$R/proc/sys/vm"
	printf '%s\n' 'MemTotal:        2000000 kB' \
	    'MemAvailable:    1000000 kB' 'CommitLimit:     1500000 kB' \
	    'Committed_AS:     500000 kB' >"$R/proc/meminfo"
	echo 32768 >"$R/proc/sys/kernel/pid_max"
	echo 60000 >"$R/proc/sys/kernel/threads-max"
	echo 0 >"$R/proc/sys/vm/overcommit_memory"
	echo 65530 >"$R/proc/sys/vm/max_map_count"
	echo '0.00 0.01 0.05 1/123 4567' >"$R/proc/loadavg"
	: >"$R/proc/self/mountinfo"
}

# put FILE LINE...: a file of the fixture (a path on the machine it fakes).
put() {
	mkdir -p "$R$(dirname "$1")"
	local f=$1
	shift
	printf '%s\n' "$@" >"$R$f"
}

# mounts LINE...: the fixture's /proc/self/mountinfo, after its root fs.
mounts() {
	put /proc/self/mountinfo \
	    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw' "$@"
}

# reads: machine_test on the fixture prints exactly stdin's cgroup fields.
reads() {
	run "$T/machine_test" "$R"
	assert_success
	output=$(printf '%s\n' "$output" | sed -n '1,10p')
	assert_output "$(cat)"
}

V2_MOUNT='30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot'

@test "item 10: cgroup v2, the tightest limit is an ancestor's: it and its usage are read" {
	local s=/sys/fs/cgroup/system.slice
	fixture
	mounts "$V2_MOUNT"
	put /proc/self/cgroup '0::/system.slice/myriad.service'
	put /sys/fs/cgroup/cgroup.controllers 'cpuset cpu io memory hugetlb pids rdma misc'
	# the service's own 128 MiB has more room left than the slice's 64
	put $s/memory.max 67108864
	put $s/memory.current 41943040
	put $s/myriad.service/memory.max 134217728
	put $s/myriad.service/memory.current 1048576
	# and for pids the service's own 500 is the tighter one
	put $s/pids.max max
	put $s/pids.current 200
	put $s/myriad.service/pids.max 500
	put $s/myriad.service/pids.current 12
	reads <<EOF
read ok
hierarchy cgroup v2
memcg_version 2
memcg_limit 67108864
memcg_usage 41943040
memcg $s
pids_version 2
pids_max 500
pids_current 12
pids_cgroup $s/myriad.service
EOF
}

@test "item 10: cgroup v2 with \"max\" everywhere: no limit, the daemon's own usage" {
	local d=/sys/fs/cgroup/system.slice/myriad.service
	fixture
	mounts "$V2_MOUNT"
	put /proc/self/cgroup '0::/system.slice/myriad.service'
	put /sys/fs/cgroup/cgroup.controllers 'cpu io memory pids'
	put /sys/fs/cgroup/system.slice/memory.max max
	put /sys/fs/cgroup/system.slice/memory.current 41943040
	put /sys/fs/cgroup/system.slice/pids.max max
	put /sys/fs/cgroup/system.slice/pids.current 200
	put $d/memory.max max
	put $d/memory.current 1048576
	put $d/pids.max max
	put $d/pids.current 3
	reads <<EOF
read ok
hierarchy cgroup v2
memcg_version 2
memcg_limit -1
memcg_usage 1048576
memcg $d
pids_version 2
pids_max -1
pids_current 3
pids_cgroup $d
EOF
}

@test "item 10: hybrid: memory bound to v1 is read there, pids from the v2 hierarchy" {
	fixture
	mounts '31 22 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755' \
	    '32 31 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate' \
	    '33 31 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd' \
	    '34 31 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory'
	put /proc/self/cgroup '4:memory:/myriad' '1:name=systemd:/myriad' \
	    '0::/myriad'
	put /sys/fs/cgroup/unified/cgroup.controllers 'cpu io pids'
	put /sys/fs/cgroup/memory/memory.limit_in_bytes 9223372036854771712
	put /sys/fs/cgroup/memory/myriad/memory.limit_in_bytes 67108864
	put /sys/fs/cgroup/memory/myriad/memory.usage_in_bytes 1048576
	# never read: memory is bound to v1, so v2's files are not its
	put /sys/fs/cgroup/unified/myriad/memory.max 4096
	put /sys/fs/cgroup/unified/myriad/memory.current 0
	put /sys/fs/cgroup/unified/myriad/pids.max 300
	put /sys/fs/cgroup/unified/myriad/pids.current 7
	reads <<EOF
read ok
hierarchy hybrid
memcg_version 1
memcg_limit 67108864
memcg_usage 1048576
memcg /sys/fs/cgroup/memory/myriad
pids_version 2
pids_max 300
pids_current 7
pids_cgroup /sys/fs/cgroup/unified/myriad
EOF
}

# The v1 mounts of this machine: each controller on its own but cpu and
# cpuacct, an empty cgroup2 beside them (systemd's hybrid, with no v2
# controller but hugetlb).
V1_MOUNTS=(
'31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755'
'32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct'
'35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory'
'39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids'
'41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw'
)

@test "item 10: cgroup v1 only, as on this machine: the pids walk keeps the ancestor with least room" {
	local m=/sys/fs/cgroup/memory p=/sys/fs/cgroup/pids
	fixture
	mounts "${V1_MOUNTS[@]}"
	put /proc/self/cgroup '9:name=systemd:/' '8:pids:/a/b' \
	    '4:memory:/a/b' '2:cpu,cpuacct:/' '0::/'
	put /sys/fs/cgroup/unified/cgroup.controllers hugetlb
	put $m/memory.limit_in_bytes 9223372036854771712
	put $m/memory.usage_in_bytes 5000000000
	put $m/a/memory.limit_in_bytes 9223372036854771712
	put $m/a/memory.usage_in_bytes 3000000
	put $m/a/b/memory.limit_in_bytes 67108864
	put $m/a/b/memory.usage_in_bytes 2097152
	put $p/a/pids.max 100
	put $p/a/pids.current 95
	put $p/a/b/pids.max 1000
	put $p/a/b/pids.current 10
	reads <<EOF
read ok
hierarchy cgroup v1
memcg_version 1
memcg_limit 67108864
memcg_usage 2097152
memcg $m/a/b
pids_version 1
pids_max 100
pids_current 95
pids_cgroup $p/a
EOF
}

@test "item 10: the mounts come from mountinfo: any mount point, escaped names, a container's subtree" {
	local m='/cg/mem ory'
	fixture
	# memory mounted elsewhere, under a name with a space; pids as a
	# container sees it without a cgroup namespace: /docker/c1 mounted
	# at the usual place, with the container's limit on the mount point
	mounts '40 22 0:32 / /cg/mem\040ory rw - cgroup cgroup rw,memory' \
	    '41 22 0:36 /docker/c1 /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids'
	put /proc/self/cgroup '8:pids:/docker/c1/job' '4:memory:/x'
	put "$m/x/memory.limit_in_bytes" 33554432
	put "$m/x/memory.usage_in_bytes" 1048576
	put /sys/fs/cgroup/pids/pids.max 64
	put /sys/fs/cgroup/pids/pids.current 20
	put /sys/fs/cgroup/pids/job/pids.max max
	put /sys/fs/cgroup/pids/job/pids.current 2
	reads <<EOF
read ok
hierarchy cgroup v1
memcg_version 1
memcg_limit 33554432
memcg_usage 1048576
memcg $m/x
pids_version 1
pids_max 64
pids_current 20
pids_cgroup /sys/fs/cgroup/pids
EOF
}

NONE='hierarchy none
memcg_version 0
memcg_limit -1
memcg_usage -1
memcg 
pids_version 0
pids_max -1
pids_current -1
pids_cgroup '

@test "item 10: no cgroup at all: no limit known, the machine's figures still read" {
	fixture
	reads <<<"read ok
$NONE"
	run "$T/machine_test" "$R"
	assert_line 'mem_available 1024000000'
	assert_line 'pid_max 32768'
	assert_line 'tasks 123'
	# a v2 line in /proc/self/cgroup but no cgroup2 mounted
	put /proc/self/cgroup '0::/'
	mounts
	reads <<<"read ok
$NONE"
}

@test "item 10: what cannot be parsed is no limit, never a crash" {
	local long
	long=$(printf '%05000d' 0)
	fixture
	# an overlong line is skipped, not cut into a mount that is not there
	mounts "50 22 0:40 / /bogus rw,$long - cgroup2 cgroup2 rw" \
	    "$V2_MOUNT"
	put /proc/self/cgroup '0::/a'
	put /sys/fs/cgroup/cgroup.controllers memory
	put /sys/fs/cgroup/a/memory.max lots
	put /sys/fs/cgroup/a/memory.current 12abc
	put /sys/fs/cgroup/a/pids.max 10
	put /sys/fs/cgroup/a/pids.current 1
	reads <<EOF
read ok
hierarchy cgroup v2
memcg_version 2
memcg_limit -1
memcg_usage -1
memcg /sys/fs/cgroup/a
pids_version 0
pids_max -1
pids_current -1
pids_cgroup 
EOF
	# a cgroup above the namespace's root is not followed out of it
	put /proc/self/cgroup '0::/../../escape'
	put /sys/fs/cgroup/cgroup.controllers 'memory pids'
	reads <<<"read ok
$NONE"
	# no /proc/meminfo: machine_read fails, and says so
	rm "$R/proc/meminfo"
	run "$T/machine_test" "$R"
	assert_success
	assert_line 'read failed'
}

# v1_mounted CONTROLLER: this machine has CONTROLLER on v1, at the usual place.
v1_mounted() {
	awk -v c="$1" '$5 == "/sys/fs/cgroup/" c && / - cgroup / { f = 1 }
	    END { exit !f }' /proc/self/mountinfo
}

@test "item 10: this machine reads as the kernel states it" {
	v1_mounted memory || skip "no cgroup v1 memory controller here"
	local cg
	cg=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
	run "$T/machine_test" /
	assert_success
	assert_line 'read ok'
	assert_line 'memcg_version 1'
	assert_line "memcg /sys/fs/cgroup/memory${cg%/}"
	if v1_mounted pids; then assert_line 'hierarchy cgroup v1'; fi
}

@test "item 10: the ready line says the hierarchy and the cgroup holding the limit (v1)" {
	v1_mounted memory || skip "no cgroup v1 memory controller here"
	local cg
	cgroup_make memory
	cg=$CGROUP
	echo $((64 * 1024 * 1024)) >"$cg/memory.limit_in_bytes"
	in_cgroups "$cg"
	PORT=$(free_port)
	start_daemon <<EOF
[hello]
listen = 127.0.0.1:$PORT
mode = pool
workers = 2
exec = $W/hello
EOF
	run grep 'myriadd: ready: ' "$DAEMON_LOG"
	assert_output --regexp "MB available, cgroup v1: memory $cg limit 67 MB, pids (no limit|/[^ ]* max [0-9]+)\$"
}

# v2_with CONTROLLER: the mount point of a cgroup2 hierarchy whose root
# hands CONTROLLER down, and holds this process (mounted from its root).
v2_with() {
	local mnt
	for mnt in $(awk '/ - cgroup2 / && $4 == "/" { print $5 }' \
	    /proc/self/mountinfo); do
		grep -qw "$1" "$mnt/cgroup.subtree_control" 2>/dev/null &&
		    { echo "$mnt"; return 0; }
	done
	return 1
}

@test "item 10: a real cgroup v2 pids limit is in the ready line and refuses a config it cannot hold" {
	local mnt cg
	# here pids is bound to v1: a v2 hierarchy can never have it
	mnt=$(v2_with pids) ||
	    skip "no cgroup v2 hierarchy with the pids controller here"
	cg=$mnt/myriad-test-$$-$BATS_TEST_NUMBER-$RANDOM
	mkdir "$cg"
	OWNED_CGROUPS="$OWNED_CGROUPS $cg"
	echo 80 >"$cg/pids.max"
	in_cgroups "$cg"
	PORT=$(free_port)
	start_daemon <<EOF
[hello]
listen = 127.0.0.1:$PORT
mode = pool
workers = 2
exec = $W/hello
EOF
	run grep 'myriadd: ready: ' "$DAEMON_LOG"
	assert_output --regexp "MB available, (cgroup v2|hybrid): memory[^,]*, pids( v2)? $cg max 80\$"
	stop_daemon
	write_conf <<EOF
[hello]
listen = 127.0.0.1:$PORT
mode = pool
workers = 100
exec = $W/hello
EOF
	start_daemon_bg
	wait_for 10 eval "! kill -0 $DAEMON_PID 2>/dev/null"
	run wait "$DAEMON_PID"
	[ "$status" -eq 111 ]
	assert_file_contains "$DAEMON_LOG" "refusing the configuration: pids: the workers need 100, $cg can give [0-9]*"
}
