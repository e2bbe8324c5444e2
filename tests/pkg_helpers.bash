# pkg_helpers.bash - for the tests of what myriad installs (load after
# helpers and daemon_helpers): configs moved onto free ports, installed
# daemons started and waited for.

# free_ports N: N distinct free ports on 127.0.0.1, one a line.
free_ports() {
	local want=$1 got=() port
	while [ ${#got[@]} -lt "$want" ]; do
		port=$(free_port) || return 1
		case " ${got[*]} " in *" $port "*) continue ;; esac
		got+=("$port")
	done
	printf '%s\n' "${got[@]}"
}

# remap_config IN OUT: IN with each 127.0.0.1:PORT listen moved to a free
# port and the control socket in the test's directory, so that it runs
# beside any other myriadd on this machine. PORTS_MAP: "old new" lines.
remap_config() {
	local in=$1 out=$2 old
	PORTS_MAP=$BATS_TEST_TMPDIR/ports.map
	: >"$PORTS_MAP"
	paste -d ' ' <(sed -n 's/^listen *= *127\.0\.0\.1:\([0-9]*\).*/\1/p' "$in") \
	    <(free_ports "$(grep -c '^listen *= *127\.0\.0\.1:' "$in")") >"$PORTS_MAP"
	cp "$in" "$out"
	while read -r old new; do
		sed -i "s/^\(listen *= *127\.0\.0\.1:\)$old\b/\1$new/" "$out"
	done <"$PORTS_MAP"
	sed -i "s|^control *=.*|control = $BATS_TEST_TMPDIR/control.sock|" "$out"
}

# mapped_port OLD: the port remap_config gave OLD.
mapped_port() { awk -v p="$1" '$1 == p { print $2 }' "$PORTS_MAP"; }

# start_installed MYRIADD CONF: run that myriadd in the foreground, in its
# own process group, and wait for its ready line. Sets DAEMON_PID and
# DAEMON_LOG as start_daemon does.
start_installed() {
	DAEMON_LOG=$BATS_TEST_TMPDIR/myriadd.log
	: >"$DAEMON_LOG"
	env -i PATH=/usr/bin:/bin setsid "$1" -f "$2" >>"$DAEMON_LOG" 2>&1 3>&- &
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	OWNED_PGIDS="$OWNED_PGIDS $DAEMON_PID"
	wait_for 60 daemon_said 'myriadd: ready: ' || {
		cat "$DAEMON_LOG" >&2
		return 1
	}
}

# echo_through PORT: a line sent to PORT comes back.
echo_through() {
	run socat -T 5 - "TCP:127.0.0.1:$1" <<<"ping $1"
	assert_success
	assert_output "ping $1"
}
