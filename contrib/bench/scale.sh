# scale.sh - the 10,000-worker measurements of contrib/bench/run (sourced):
# a pool of HOLD one-page workers (time to ready, machine memory per
# worker, the daemon's RSS), the footprint sweep under load, and the
# spawn rate against the number of live workers.

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

# memcg_bytes CGROUP: its usage now.
memcg_bytes() { cat "$1/memory.usage_in_bytes"; }

# p99_of FILE: the p99_ms field of a loadgen line.
p99_of() { field p99_ms <"$1"; }

# load_with_request PORT OUT [CTL]: c=16 short connections to PORT into
# OUT; with CTL, `myriadctl workers --json` 0.2 s into it, its wall time
# in seconds into $TMP/request_s and its rows into $TMP/request_rows.
load_with_request() {
	local port=$1 out=$2 ctl=${3:-} lg t0
	"$BENCH/loadgen" $LOADGEN_OPTS -c 16 -n "$SHORT" -s "$REQUEST" -e 50 \
	    "127.0.0.1:$port" >"$out" &
	lg=$!
	if [ -n "$ctl" ]; then
		sleep 0.2
		t0=$(date +%s%N)
		"$B/myriadctl" -s "$ctl" workers --json >"$TMP/workers.json"
		echo "scale=3; ($(date +%s%N) - $t0) / 1000000000" | bc >"$TMP/request_s"
		grep -o '"pid"' "$TMP/workers.json" | wc -l >"$TMP/request_rows"
	fi
	wait "$lg" || true
}

# A pool of HOLD: time to ready, machine memory per worker before and
# after a footprint sweep, the daemon's RSS.
scale_pool() {
	local port cg one many swept rss
	port=$(free_port)
	# the daemon with one worker, then with HOLD: the difference per worker
	new_memcg
	cg=$MEMCG
	pool_conf 1 "$port"
	start_myriad "$TMP/scale.conf" "$cg"
	sleep 0.5
	one=$(memcg_bytes "$cg")
	stop_server
	new_memcg
	cg=$MEMCG
	pool_conf "$HOLD" "$port"
	start_myriad "$TMP/scale.conf" "$cg"
	echo "pool_ready_s $READY_S" >>"$RESULTS/scale"
	sleep 1
	many=$(memcg_bytes "$cg")
	echo "pool_bytes_per_worker $(((many - one) / (HOLD - 1)))" >>"$RESULTS/scale"
	if [ -x "$B/myriadctl" ]; then
		"$B/myriadctl" -s "$TMP/control.sock" workers --json >/dev/null
		swept=$(memcg_bytes "$cg")
		echo "pool_bytes_per_worker_swept $(((swept - one) / (HOLD - 1)))" >>"$RESULTS/scale"
		# the sweep's /proc inodes and dentries are reclaimable caches
		sync
		echo 2 >/proc/sys/vm/drop_caches
		swept=$(memcg_bytes "$cg")
		echo "pool_bytes_per_worker_swept_unreclaimable $(((swept - one) / (HOLD - 1)))" >>"$RESULTS/scale"
	fi
	rss=$(awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$SERVER_PID/status")
	echo "daemon_rss_bytes $rss" >>"$RESULTS/scale"
	echo "daemon_rss_anon_bytes $(awk '/^RssAnon/ { print $2 * 1024 }' "/proc/$SERVER_PID/status")" >>"$RESULTS/scale"
	stop_server
	SERVER_PID=
	say "$(cat "$RESULTS/scale")"
}

# The footprint sweep of HOLD workers under load, ROUNDS fresh pools: the
# data plane's p99 with no request, during the first `workers --json`
# (a full sweep reading each new worker's smaps and status), during one
# answered from that sweep, and during one 1.6 s later (a new sweep,
# smaps_rollup only), and, for reference, beside a busy loop at
# SCHED_IDLE (which takes only CPU time nobody else wants), SWEEP_ROUNDS
# times. Medians go to $RESULTS/sweep.
scale_sweep() {
	local port i
	[ -x "$B/myriadctl" ] || return 0
	: >"$TMP/sweep.rounds"
	for i in $(seq "$SWEEP_ROUNDS"); do
		port=$(free_port)
		pool_conf "$HOLD" "$port"
		start_myriad "$TMP/scale.conf"
		sleep 1
		load_with_request "$port" "$TMP/idle.out"
		load_with_request "$port" "$TMP/cold.out" "$TMP/control.sock"
		local cold_s
		cold_s=$(cat "$TMP/request_s")
		echo "sweep_rows $(cat "$TMP/request_rows")" >"$TMP/sweep.rows"
		load_with_request "$port" "$TMP/warm.out" "$TMP/control.sock"
		local warm_s
		warm_s=$(cat "$TMP/request_s")
		sleep 1.6
		load_with_request "$port" "$TMP/again.out" "$TMP/control.sock"
		local again_s burner
		again_s=$(cat "$TMP/request_s")
		chrt -i 0 bash -c 'while :; do :; done' &
		burner=$!
		load_with_request "$port" "$TMP/burner.out"
		kill "$burner"
		wait "$burner" 2>/dev/null || true
		echo "$(p99_of "$TMP/idle.out") $cold_s $(p99_of "$TMP/cold.out") $warm_s $(p99_of "$TMP/warm.out") $again_s $(p99_of "$TMP/again.out") $(p99_of "$TMP/burner.out")" |
		    tee -a "$TMP/sweep.rounds" >&2
		kill -USR1 "$SERVER_PID"
		sleep 0.2
		grep 'footprints:' "$TMP/myriadd.log" | tail -1 >&2
		stop_server
		SERVER_PID=
	done
	cat "$TMP/sweep.rows" >"$RESULTS/sweep"
	local k name
	k=1
	for name in p99_idle_ms cold_s p99_cold_ms warm_s p99_warm_ms again_s \
	    p99_again_ms p99_burner_ms; do
		echo "$name $(awk -v k=$k '{ print $k }' "$TMP/sweep.rounds" | median)" >>"$RESULTS/sweep"
		k=$((k + 1))
	done
	cp "$TMP/sweep.rounds" "$RESULTS/sweep.rounds"
}

# flat_start N: a daemon with a pool of N and a spawn-mode hello, no
# control socket, its own log; sets FLAT_PID and FLAT_PORT (spawn port).
flat_start() {
	local n=$1 conf=$TMP/flat.$1.conf log=$TMP/flat.$1.log
	pool_conf "$n" "$(free_port)" "$(free_port)"
	sed '/^control/d' "$TMP/scale.conf" >"$conf"
	FLAT_PORT=$(sed -n '/^\[spawn\]/,$ s/^listen = 127.0.0.1://p' "$conf")
	setsid env -i "$B/myriadd" -f "$conf" >"$log" 2>&1 </dev/null 3>&- &
	FLAT_PID=$!
	FLAT_PIDS+=("$FLAT_PID")
	for _ in $(seq 6000); do
		grep -q 'ready' "$log" && break
		sleep 0.01
	done
	"$BENCH/loadgen" $LOADGEN_OPTS -c 16 -n 1000 -s "$REQUEST" -e 50 \
	    "127.0.0.1:$FLAT_PORT" >/dev/null || true
}

flat_rate() {
	"$BENCH/loadgen" $LOADGEN_OPTS -c 16 -n "$SHORT" -s "$REQUEST" -e 50 \
	    "127.0.0.1:$1" | field rate
}

# The spawn-mode rate at c=16 of a daemon with N live pool workers
# against one with 10, both up at once and their rounds alternating, so
# that the machine and its drift are the same for both: only the
# daemon's own workers differ. "N rate_N rate_10" to $RESULTS/flat.
scale_flat() {
	local n i base_pid base_port pid port
	flat_start 10
	base_pid=$FLAT_PID
	base_port=$FLAT_PORT
	for n in 2500 5000 "$HOLD"; do
		flat_start "$n"
		pid=$FLAT_PID
		port=$FLAT_PORT
		: >"$TMP/flat.n" && : >"$TMP/flat.10"
		for i in $(seq "$ROUNDS"); do
			flat_rate "$port" >>"$TMP/flat.n"
			flat_rate "$base_port" >>"$TMP/flat.10"
		done
		stop_server "$pid"
		echo "$n $(median <"$TMP/flat.n") $(median <"$TMP/flat.10")" |
		    tee -a "$RESULTS/flat" >&2
	done
	stop_server "$base_pid"
}
