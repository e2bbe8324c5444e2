#!/usr/bin/env bats
# Total pages: 1,000 live copies of each shipped worker, idle in accept in
# pool mode, cost exactly one private page each, one page-table chain and
# at most 3 mappings, before and after serving 1,000 connections; machine
# memory per worker from a memory cgroup holding only the workers.

load helpers

N=1000
PAGE=4096

setup_file() { scale_lock; }

# start_measured WORKER_PATH: N copies in a fresh memory cgroup (if the
# memory controller is there); sets PORT, ADDR, MEMCG.
start_measured() {
	PORT=$(free_port)
	ADDR=127.0.0.1:$PORT
	MEMCG=
	if [ -d /sys/fs/cgroup/memory ]; then
		cgroup_make memory
		MEMCG=$CGROUP
	fi
	POOL_CGROUPS=$MEMCG pool_start "$N" "$ADDR" "$1"
}

# memcg_per_worker: bytes of machine memory per worker (what the cgroup
# gained since pool's baseline, over N), or "n/a".
memcg_per_worker() {
	local baseline
	[ -n "$MEMCG" ] || { echo n/a; return; }
	baseline=$(awk '$1 == "baseline" { print $2 }' "$BATS_TEST_TMPDIR/pool.out")
	echo $((($(cat "$MEMCG/memory.usage_in_bytes") - baseline) / N))
}

# check_one_page FILE: every worker 4096 private bytes, VmPTE <= 12 KiB,
# at most 3 VMAs; prints the offenders otherwise.
check_one_page() {
	awk -v page=$PAGE '
		$2 != page || $3 > 12288 || $4 > 3 { bad++; if (bad < 5) print "worker", $1, "private", $2, "pte", $3, "vmas", $4 }
		END { exit bad > 0 }' "$1"
}

sum_private() { awk '{ s += $2 } END { print s }' "$1"; }

# switches: each pool worker's voluntary context switches (it sleeps in
# accept4 once per connection it serves), in pid order.
switches() {
	sed 's|.*|/proc/&/status|' "$POOL_PIDS" | xargs awk \
	    '/^voluntary_ctxt_switches/ { print $2 }'
}

# served_count BEFORE AFTER: how many workers slept again since BEFORE,
# i.e. served at least one connection.
served_count() {
	paste "$1" "$2" | awk '$2 > $1 { n++ } END { print n + 0 }'
}

# measure WORKER CLIENT-ARGS...: the whole check for one worker.
measure() {
	local worker=$1 before after per_worker served page hw max_hw=0 pid
	shift
	start_measured "$W/$worker"
	proc_footprints "$POOL_PIDS" >"$BATS_TEST_TMPDIR/before"
	check_one_page "$BATS_TEST_TMPDIR/before"
	before=$(sum_private "$BATS_TEST_TMPDIR/before")
	[ "$before" -eq $((N * PAGE)) ]
	per_worker=$(memcg_per_worker)
	switches >"$BATS_TEST_TMPDIR/switches.before"

	run "$T/connect" -n "$N" "$@" "$ADDR"
	assert_success
	switches >"$BATS_TEST_TMPDIR/switches.after"

	proc_footprints "$POOL_PIDS" >"$BATS_TEST_TMPDIR/after"
	check_one_page "$BATS_TEST_TMPDIR/after"
	after=$(sum_private "$BATS_TEST_TMPDIR/after")
	[ "$after" -eq "$before" ]
	served=$(served_count "$BATS_TEST_TMPDIR/switches.before" \
	    "$BATS_TEST_TMPDIR/switches.after")
	# the kernel wakes one accept4 waiter per connection: the connections
	# reach many workers, not one
	echo "# $served workers served" >&3
	[ "$served" -ge $((N / 10)) ]

	# the deepest the in-page stack went, over 50 workers that served
	for pid in $(head -n 50 "$POOL_PIDS"); do
		page=$(awk '$2 == "rw-p" { split($1, r, "-"); print r[1]; exit }' "/proc/$pid/maps")
		hw=$(stack_high_water "$pid" $((16#$page)) 1536)
		[ "$hw" -gt "$max_hw" ] && max_hw=$hw
	done
	[ "$max_hw" -gt 0 ]
	[ "$max_hw" -le 1536 ]

	printf '# %-8s %d workers: private %d B each (total %d B = %d pages), VmPTE <= 12 KiB, <= 3 VMAs; memcg %s B/worker; %d served; stack high water %d of 1536 B\n' \
	    "$worker" "$N" $PAGE "$after" $((after / PAGE)) "$per_worker" \
	    "$served" "$max_hw" >&3
	if [ "$per_worker" != n/a ]; then
		# ~50 KB here: 16 KiB kernel stack, 16 KiB page tables, task
		# objects, and the one page
		[ "$per_worker" -le 56000 ]
	fi
}

@test "1,000 echo workers: one private page each, before and after serving" {
	measure echo -s ping -e 4
}
@test "1,000 discard workers: one private page each, before and after serving" {
	measure discard -s data -e 0
}
@test "1,000 chargen workers: one private page each, before and after serving" {
	measure chargen -r 740 -e 740
}
@test "1,000 daytime workers: one private page each, before and after serving" {
	measure daytime -e 30
}
@test "1,000 time workers: one private page each, before and after serving" {
	measure time -e 4
}
@test "1,000 qotd workers: one private page each, before and after serving" {
	measure qotd -e 30
}
@test "1,000 hello workers: one private page each, before and after serving" {
	measure hello -s $'GET / HTTP/1.0\r\n\r\n' -e 100
}

@test "the same workers built plain (musl-gcc -static) cost more: recorded" {
	local worker per_worker priv pte vmas
	for worker in echo hello time; do
		start_measured "$W/plain/$worker"
		proc_footprints "$POOL_PIDS" >"$BATS_TEST_TMPDIR/plain"
		per_worker=$(memcg_per_worker)
		read -r priv pte vmas < <(awk '{ p += $2; t += $3; v += $4 }
		    END { printf "%d %d %d\n", p / NR, t / NR, v / NR }' \
		    "$BATS_TEST_TMPDIR/plain")
		printf '# plain %-8s %d workers: private %d B, VmPTE %d B, %d VMAs, memcg %s B/worker\n' \
		    "$worker" "$N" "$priv" "$pte" "$vmas" "$per_worker" >&3
		[ "$priv" -gt $PAGE ]
		[ "$pte" -gt 12288 ]
		[ "$vmas" -gt 3 ]
		teardown_common
		OWNED_PGIDS= OWNED_CGROUPS=
	done
}
