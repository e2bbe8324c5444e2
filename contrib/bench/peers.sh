# peers.sh - start myriad and each peer superserver in the foreground on
# 127.0.0.1:PORT, with a config written to $TMP (never the system's /etc),
# serving PROGRAM one process per connection. Sourced by contrib/bench/run.
#
# start_server NAME PORT PROGRAM [CGROUP]: sets SERVER_PID (the process
# group to kill); with CGROUP the server starts inside that cgroup.
# Each peer's settings are the ones printed in docs/BENCHMARKS.md.

PEER_XINETD=$B/peers/usr/sbin/xinetd

peer_available() {
	case $1 in
	myriad-spawn|myriad-pool) [ -x "$B/myriadd" ] ;;
	tcpserver) command -v tcpserver >/dev/null ;;
	tcpsvd) command -v tcpsvd >/dev/null ;;
	xinetd) [ -x "$PEER_XINETD" ] ;;
	inetd) [ -x /usr/sbin/inetd ] ;;
	*) return 1 ;;
	esac
}

peer_settings() {
	case $1 in
	myriad-spawn) echo "mode = spawn, workers = 12000, memory = 1M (the plain and glibc builds' budget)" ;;
	myriad-pool) echo "mode = pool, workers = ${POOL_SIZE:-64}" ;;
	tcpserver) echo "tcpserver -HRl0 -c 20000 -b 1024 (ucspi-tcp $(dpkg-query -W -f='${Version}' ucspi-tcp))" ;;
	tcpsvd) echo "tcpsvd -c 20000 -C 20000 -b 1024 (ipsvd $(dpkg-query -W -f='${Version}' ipsvd))" ;;
	xinetd) echo "instances/per_source UNLIMITED, cps 1000000 (xinetd $(dpkg-deb -f "$B"/peers/xinetd.deb Version 2>/dev/null))" ;;
	inetd) echo "inetd -i -R 1000000 -q 1024 (openbsd-inetd $(dpkg-query -W -f='${Version}' openbsd-inetd))" ;;
	esac
}

# write_peer_config NAME PORT PROGRAM: the config file, if the peer has one.
write_peer_config() {
	local name=$1 port=$2 program=$3
	case $name in
	myriad-spawn|myriad-pool)
		cat >"$TMP/$name.conf" <<EOF
[bench]
listen = 127.0.0.1:$port
mode = ${name#myriad-}
workers = $([ "$name" = myriad-pool ] && echo "${POOL_SIZE:-64}" || echo 12000)
exec = $program
env = RT_IDLE_TIMEOUT=120
memory = 1M
EOF
		;;
	xinetd)
		cat >"$TMP/xinetd.conf" <<EOF
defaults
{
	instances = UNLIMITED
	per_source = UNLIMITED
	cps = 1000000 1
}
service bench
{
	type = UNLISTED
	port = $port
	bind = 127.0.0.1
	socket_type = stream
	protocol = tcp
	wait = no
	user = root
	server = $program
	env = RT_IDLE_TIMEOUT=120
	log_type = FILE $TMP/xinetd.log
}
EOF
		;;
	inetd)
		echo "127.0.0.1:$port stream tcp nowait root $program $(basename "$program")" \
		    >"$TMP/inetd.conf"
		;;
	esac
}

start_server() {
	local name=$1 port=$2 program=$3 cgroup=${4:-} cmd
	write_peer_config "$name" "$port" "$program"
	case $name in
	myriad-*) cmd=("$B/myriadd" -f "$TMP/$name.conf") ;;
	tcpserver) cmd=(tcpserver -HRl0 -c 20000 -b 1024 127.0.0.1 "$port" "$program") ;;
	tcpsvd) cmd=(tcpsvd -c 20000 -C 20000 -b 1024 127.0.0.1 "$port" "$program") ;;
	xinetd) cmd=("$PEER_XINETD" -dontfork -f "$TMP/xinetd.conf" -pidfile "$TMP/xinetd.pid") ;;
	inetd) cmd=(/usr/sbin/inetd -i -R 1000000 -q 1024 "$TMP/inetd.conf") ;;
	esac
	# a clean environment for every server, so workers get the same one
	setsid bash -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs"; shift; exec "$@"' \
	    _ "$cgroup" env -i RT_IDLE_TIMEOUT=120 "${cmd[@]}" \
	    >"$TMP/$name.out" 2>&1 </dev/null 3>&- &
	SERVER_PID=$!
	wait_listening "$port" || { cat "$TMP/$name.out" >&2; return 1; }
}

# stop_server [PGID]: TERM the process group (SERVER_PID's by default),
# KILL it after 5 s.
stop_server() {
	local pg=${1:-$SERVER_PID}
	kill -TERM -- "-$pg" 2>/dev/null || return 0
	for _ in $(seq 250); do
		kill -0 -- "-$pg" 2>/dev/null || return 0
		sleep 0.02
	done
	kill -KILL -- "-$pg" 2>/dev/null || true
	wait "$pg" 2>/dev/null || true
}

wait_listening() {
	for _ in $(seq 500); do
		ss -Htln "sport = :$1" | grep -q . && return 0
		sleep 0.02
	done
	return 1
}
