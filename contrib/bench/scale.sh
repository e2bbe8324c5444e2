# scale.sh - the 10,000-worker measurements of contrib/bench/run (sourced):
# a pool of HOLD one-page workers (time to ready, machine memory per
# worker, the daemon's RSS, the footprint sweep under load) and the spawn
# rate against the number of live workers.

# start_myriad CONF [CGROUP]: myriadd on CONF; waits for its ready line and
# sets READY_S (seconds from exec to ready).
start_myriad() {
	local conf=$1 cgroup=${2:-} t0
	t0=$(date +%s%N)
	setsid bash -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs"; shift; exec "$@"' \
	    _ "$cgroup" env -i "$B/myriadd" -f "$conf" >"$TMP/myriadd.log" 2>&1 \
	    </dev/null 3>&- &
	SERVER_PID=$!
	for _ in $(seq 6000); do
		grep -q 'ready' "$TMP/myriadd.log" && break
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/myriadd.log" >&2; return 1; }
		sleep 0.002
	done
	READY_S=$(echo "scale=3; ($(date +%s%N) - $t0) / 1000000000" | bc)
}

# pool_conf N PORT [SPAWN_PORT]: a pool of N hello, and a spawn-mode hello.
pool_conf() {
	cat >"$TMP/scale.conf" <<EOF
control = $TMP/control.sock
[pool]
listen = 127.0.0.1:$2
mode = pool
workers = $1
exec = $B/worker/hello
EOF
	[ -z "${3:-}" ] || cat >>"$TMP/scale.conf" <<EOF
[spawn]
listen = 127.0.0.1:$3
mode = spawn
workers = 1000
exec = $B/worker/hello
EOF
}

scale_pool() {
	local port cg one many rss p99_idle p99_sweep sweep_s
	port=$(free_port)
	# the daemon with one worker, then with HOLD: the difference per worker
	new_memcg
	cg=$MEMCG
	pool_conf 1 "$port"
	start_myriad "$TMP/scale.conf" "$cg"
	sleep 0.5
	one=$(cat "$cg/memory.usage_in_bytes")
	stop_server
	new_memcg
	cg=$MEMCG
	pool_conf "$HOLD" "$port"
	start_myriad "$TMP/scale.conf" "$cg"
	sleep 1
	many=$(cat "$cg/memory.usage_in_bytes")
	rss=$(awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$SERVER_PID/status")
	echo "pool_ready_s $READY_S" >>"$RESULTS/scale"
	echo "pool_bytes_per_worker $(((many - one) / (HOLD - 1)))" >>"$RESULTS/scale"
	# without the reclaimable caches (the /proc inodes and dentries the
	# footprint sampler's reads leave behind, charged to the daemon)
	sync
	echo 2 >/proc/sys/vm/drop_caches
	many=$(cat "$cg/memory.usage_in_bytes")
	echo "pool_bytes_per_worker_unreclaimable $(((many - one) / (HOLD - 1)))" >>"$RESULTS/scale"
	echo "daemon_rss_bytes $rss" >>"$RESULTS/scale"
	# the footprint sweep while the data plane is loaded
	p99_idle=$("$BENCH/loadgen" $LOADGEN_OPTS -c 16 -n "$SHORT" -s "$REQUEST" -e 50 \
	    "127.0.0.1:$port" | field p99_ms)
	if [ -x "$B/myriadctl" ]; then
		"$BENCH/loadgen" $LOADGEN_OPTS -c 16 -n "$SHORT" -s "$REQUEST" -e 50 \
		    "127.0.0.1:$port" >"$TMP/sweep.load" &
		local lg=$! t0
		sleep 0.2
		t0=$(date +%s%N)
		"$B/myriadctl" -s "$TMP/control.sock" workers --json >"$TMP/workers.json"
		sweep_s=$(echo "scale=3; ($(date +%s%N) - $t0) / 1000000000" | bc)
		wait "$lg" || true
		p99_sweep=$(field p99_ms <"$TMP/sweep.load")
		echo "sweep_s $sweep_s" >>"$RESULTS/scale"
		echo "sweep_rows $(grep -o '"pid"' "$TMP/workers.json" | wc -l)" >>"$RESULTS/scale"
		echo "p99_idle_ms $p99_idle" >>"$RESULTS/scale"
		echo "p99_sweep_ms $p99_sweep" >>"$RESULTS/scale"
	fi
	stop_server
	SERVER_PID=
	say "$(cat "$RESULTS/scale")"
}

# spawn-mode rate at concurrency 16 with N other live pool workers
scale_flat() {
	local n port spawn_port out rates i
	for n in 10 2500 5000 "$HOLD"; do
		port=$(free_port)
		spawn_port=$(free_port)
		pool_conf "$n" "$port" "$spawn_port"
		start_myriad "$TMP/scale.conf"
		"$BENCH/loadgen" $LOADGEN_OPTS -c 16 -n 1000 -s "$REQUEST" -e 50 \
		    "127.0.0.1:$spawn_port" >/dev/null || true
		rates=()
		for i in $(seq "$ROUNDS"); do
			out=$("$BENCH/loadgen" $LOADGEN_OPTS -c 16 -n "$SHORT" -s "$REQUEST" -e 50 \
			    "127.0.0.1:$spawn_port") || say "flat $n: $out"
			rates+=("$(field rate <<<"$out")")
		done
		stop_server
		SERVER_PID=
		echo "$n $(printf '%s\n' "${rates[@]}" | median)" | tee -a "$RESULTS/flat" >&2
	done
}
