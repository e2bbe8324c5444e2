#!/usr/bin/env bats
# Footprints (DESIGN.md 7, RELIABILITY.md F20): what myriadctl reports for
# each worker against what /proc says, a foreign executable's real size,
# and a pool of 10,000 whose total is 10,000 pages. The last test starts
# 10,000 processes, so the file holds /tmp/myriad-scale.lock (flock).

load helpers
load daemon_helpers

setup_file() { scale_lock; }

ctl() { "$B/myriadctl" -s "$CTL" "$@"; }

# ms_of COMMAND...: run it, output to $BATS_TEST_TMPDIR/out; print the ms.
ms_of() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$BATS_TEST_TMPDIR/out" || return 1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# proc_sum FIELD_REGEXP: the sum over the daemon's children of those
# smaps_rollup fields, in bytes.
proc_sum() {
	workers_of "$DAEMON_PID" | sed 's|.*|/proc/&/smaps_rollup|' |
	    xargs awk -v re="^($1):" '$0 ~ re { s += $2 } END { print s }' |
	    awk '{ s += $1 } END { printf "%d\n", s * 1024 }'
}

# curl_loop PORT: curl the port until $BATS_TEST_TMPDIR/stop exists (made
# by the test or its teardown); counts in curl.ok and curl.failed.
curl_loop() {
	local ok=0 failed=0
	while [ ! -e "$BATS_TEST_TMPDIR/stop" ] && kill -0 "$DAEMON_PID"; do
		if curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$1/"; then
			ok=$((ok + 1))
		else
			failed=$((failed + 1))
		fi
	done
	echo "$ok" >"$BATS_TEST_TMPDIR/curl.ok"
	echo "$failed" >"$BATS_TEST_TMPDIR/curl.failed"
}

teardown() {
	touch "$BATS_TEST_TMPDIR/stop"
	[ -z "${LOOP_PID:-}" ] || wait_for 10 eval "! kill -0 $LOOP_PID 2>/dev/null"
	daemon_teardown
	teardown_common
}

@test "each worker's figures are those of its smaps_rollup, status and maps" {
	CTL=$BATS_TEST_TMPDIR/control.sock
	start_daemon <<EOF
control = $CTL
[hello]
listen = 127.0.0.1:$(free_port)
mode = pool
workers = 20
exec = $W/hello
[glibc]
listen = 127.0.0.1:$(free_port)
mode = pool
workers = 2
exec = $W/glibc/echo
EOF
	wait_for 10 has_workers "$DAEMON_PID" 22
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/pids"
	# a glibc worker is still in ld.so when the daemon says ready: its
	# figures settle within a sweep or two (a second apart once asked)
	wait_for 5 same_as_proc
	cat "$BATS_TEST_TMPDIR/ctl"
	# PSS moves as sharers come and go (here, as the pool came up): the
	# next sweeps, a second apart, bring it within 5 % of now
	wait_for 5 pss_within_5_percent
}

same_as_proc() {
	proc_footprints "$BATS_TEST_TMPDIR/pids" | sort >"$BATS_TEST_TMPDIR/proc"
	ctl workers --json | jq -r '.workers[] |
	    "\(.pid) \(.private_bytes) \(.pagetable_bytes) \(.vmas)"' |
	    sort >"$BATS_TEST_TMPDIR/ctl"
	diff "$BATS_TEST_TMPDIR/proc" "$BATS_TEST_TMPDIR/ctl" >/dev/null
}

# all_foreign_sized: every glibc worker shows more than a one-page worker.
all_foreign_sized() {
	ctl workers glibc --json >"$BATS_TEST_TMPDIR/glibc.json"
	[ "$(jq '[.workers[] | select(.private_bytes > 4096 and
	    .pagetable_bytes > 12288 and .vmas > 2)] | length' \
	    "$BATS_TEST_TMPDIR/glibc.json")" -eq 3 ]
}

pss_within_5_percent() {
	local pid ctl_pss pss
	ctl workers --json >"$BATS_TEST_TMPDIR/workers.json"
	for pid in $(cat "$BATS_TEST_TMPDIR/pids"); do
		ctl_pss=$(jq ".workers[] | select(.pid == $pid) | .pss_bytes" "$BATS_TEST_TMPDIR/workers.json")
		pss=$(awk '/^Pss:/ { print $2 * 1024 }' "/proc/$pid/smaps_rollup")
		[ $((ctl_pss * 100)) -ge $((pss * 95)) ] &&
		    [ $((ctl_pss * 100)) -le $((pss * 105)) ] || return 1
	done
}

@test "a glibc-dynamic worker shows its real, larger footprint" {
	CTL=$BATS_TEST_TMPDIR/control.sock
	start_daemon <<EOF
control = $CTL
[glibc]
listen = 127.0.0.1:$(free_port)
mode = pool
workers = 3
exec = $W/glibc/echo
EOF
	wait_for 10 has_workers "$DAEMON_PID" 3
	run ctl workers glibc --json
	assert_success
	[ "$(jq '.workers | length' <<<"$output")" -eq 3 ]
	wait_for 5 all_foreign_sized
	output=$(cat "$BATS_TEST_TMPDIR/glibc.json")
	echo "# glibc echo: $(jq -r '.workers[0] | "private \(.private_bytes) B, page tables \(.pagetable_bytes) B, \(.vmas) VMAs"' <<<"$output")" >&3
	run ctl status --json
	[ "$(jq '.total.private_bytes > 3 * 4096' <<<"$output")" = true ]
}

@test "10,000 hello: total private bytes is 10,000 pages, replies < 1 s while serving" {
	local cg port t ms measured budget predicted
	cgroup_make memory
	cg=$CGROUP
	in_cgroups "$cg"
	CTL=$BATS_TEST_TMPDIR/control.sock
	port=$(free_port)
	start_daemon <<EOF
control = $CTL
[echo]
listen = 127.0.0.1:$(free_port)
exec = $W/echo
EOF
	ctl status >/dev/null
	base=$(cat "$cg/memory.usage_in_bytes")
	cat >>"$DAEMON_CONF" <<EOF
[hello]
listen = 127.0.0.1:$port
mode = pool
workers = 10000
exec = $W/hello
EOF
	run ctl reload
	assert_success
	wait_for 120 has_workers "$DAEMON_PID" 10000
	wait_for 30 daemon_said 'myriadd: reloaded: '
	# the loop's longest turn is counted from here: the reload's own
	# turns (10,000 slots made and touched) are not the footprints'
	kill -USR1 "$DAEMON_PID"
	wait_for 10 daemon_said 'stats: footprints:'
	curl_loop "$port" 3>&- &
	LOOP_PID=$!
	# the first answer after the pool came up waits for a full sweep
	for t in 1 2 3; do
		ms=$(ms_of ctl status --json)
		echo "# status --json: $ms ms" >&3
		[ "$ms" -lt 1000 ]
	done
	[ "$(jq '.total.workers' "$BATS_TEST_TMPDIR/out")" -eq 10000 ]
	priv=$(jq '.total.private_bytes' "$BATS_TEST_TMPDIR/out")
	pss=$(jq '.total.pss_bytes' "$BATS_TEST_TMPDIR/out")
	[ "$priv" -ge $((10000 * 4096 * 99 / 100)) ]
	[ "$priv" -le $((10000 * 4096 * 101 / 100)) ]
	proc_priv=$(proc_sum 'Private_Clean|Private_Dirty')
	proc_pss=$(proc_sum Pss)
	echo "# private: myriadctl $priv, /proc $proc_priv; PSS: myriadctl $pss, /proc $proc_pss" >&3
	[ $((priv * 100)) -ge $((proc_priv * 99)) ]
	[ $((priv * 100)) -le $((proc_priv * 101)) ]
	[ $((pss * 100)) -ge $((proc_pss * 95)) ]
	[ $((pss * 100)) -le $((proc_pss * 105)) ]
	for t in 1 2; do
		ms=$(ms_of ctl workers --json)
		echo "# workers --json (10,000 rows): $ms ms" >&3
		[ "$ms" -lt 1000 ]
	done
	[ "$(jq '.workers | length' "$BATS_TEST_TMPDIR/out")" -eq 10000 ]
	ms=$(ms_of ctl workers hello)
	echo "# workers hello (table): $ms ms" >&3
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 10001 ]
	touch "$BATS_TEST_TMPDIR/stop"
	wait_for 10 test -s "$BATS_TEST_TMPDIR/curl.failed"
	echo "# curl meanwhile: $(cat "$BATS_TEST_TMPDIR/curl.ok") ok, $(cat "$BATS_TEST_TMPDIR/curl.failed") failed" >&3
	[ "$(cat "$BATS_TEST_TMPDIR/curl.failed")" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/curl.ok")" -gt 0 ]
	kill -USR1 "$DAEMON_PID"
	wait_for 10 eval '[ "$(daemon_count "stats: footprints:")" -eq 2 ]'
	line=$(grep 'stats: footprints:' "$DAEMON_LOG" | tail -1)
	echo "# ${line#myriadd: }" >&3
	turn=$(grep 'longest loop turn' "$DAEMON_LOG" | tail -1)
	echo "# ${turn#myriadd: }" >&3
	# 17.18: the whole loop turn, not only the sweep's callbacks
	stall=$(sed -n 's/.*longest loop turn \([0-9.]*\) ms.*/\1/p' <<<"$turn")
	sweep=$(sed -n 's/.*the last \([0-9.]*\) ms for.*/\1/p' <<<"$line")
	[ -n "$stall" ]
	[ "${stall%.*}" -lt 20 ]
	[ "${sweep%.*}" -lt 1000 ]
	used=$(cat "$cg/memory.usage_in_bytes")
	measured=$(((used - base) / 10000))
	budget=$(grep -o 'hello 10000 x [^,)]*' "$DAEMON_LOG" | tail -1)
	echo "# machine memory per worker (memory cgroup): $measured B" >&3
	echo "# the daemon's budget: $budget" >&3
	# "hello 10000 x 4096 B user + 47 KB kernel": they agree within 10 %
	predicted=$(awk '{ u = $4 * ($5 == "KB" ? 1000 : 1); k = $8 * ($9 == "KB" ? 1000 : 1); print u + k }' <<<"$budget")
	[ $((measured * 100)) -ge $((predicted * 90)) ] &&
	    [ $((measured * 100)) -le $((predicted * 110)) ]
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
}
