#!/usr/bin/env bats
# myriad.conf(5): every malformed config in tests/conf/ is rejected with
# FILE:LINE: MESSAGE (its first line says which) and exit 100, before
# anything is bound or started; the accepted syntax is what the page says.

load helpers
load daemon_helpers

@test "each malformed config is rejected with its FILE:LINE: message and exit 100" {
	local f want out rc bad=0 n=0
	cd "$ROOT"
	for f in tests/conf/*.conf; do
		n=$((n + 1))
		want="$f:$(sed -n '1s/^# expect: //p' "$f")"
		rc=0
		out=$(timeout 10 "$B/myriadd" -f "$f" 2>&1) || rc=$?
		if [ "$rc" -ne 100 ] || [ "$out" != "$want" ]; then
			echo "$f: exit $rc" >&2
			echo "  got:  $out" >&2
			echo "  want: $want" >&2
			bad=$((bad + 1))
		fi
	done
	[ "$n" -ge 30 ]
	[ "$bad" -eq 0 ]
}

@test "a rejected config binds nothing and starts nothing" {
	local port
	port=$(free_port)
	write_conf <<EOF
[good]
listen = 127.0.0.1:$port
mode = pool
workers = 5
exec = $W/echo
[bad]
listen = 127.0.0.1:$((port + 1))
exec = $W/echo
workers = none
EOF
	run timeout 10 "$B/myriadd" -f "$BATS_TEST_TMPDIR/myriad.conf"
	assert_failure 100
	assert_output "$BATS_TEST_TMPDIR/myriad.conf:9: service 'bad': workers 'none': not a number"
	refute listening "$port"
}

@test "-n with a malformed config: the same message, exit 100" {
	run "$B/myriadd" -n -f "$ROOT/tests/conf/unknown-key.conf"
	assert_failure 100
	assert_output "$ROOT/tests/conf/unknown-key.conf:5: service 'echo': unknown key 'wokers'"
}

@test "a missing config file: exit 100" {
	run "$B/myriadd" -f "$BATS_TEST_TMPDIR/nowhere.conf"
	assert_failure 100
	assert_output "$BATS_TEST_TMPDIR/nowhere.conf: No such file or directory"
}

@test "a bad option or argument: usage, exit 100" {
	run "$B/myriadd" -x
	assert_failure 100
	assert_line "usage: myriadd [-dn] [-f file] [-r fd]"
	run "$B/myriadd" extra
	assert_failure 100
}

@test "accepted syntax: comments, indentation, CRLF, names, control, defaults" {
	local port sock=$BATS_TEST_TMPDIR/ctl.sock
	port=$(free_port)
	cp "$W/echo" "$BATS_TEST_TMPDIR/echo"
	printf '%s\r\n' \
	    "# a comment" \
	    "; another" \
	    "control = $sock   # not used yet" \
	    "grace = 2.5" \
	    "" \
	    "  [my-echo_1.0]   # trailing comment" \
	    "	listen = localhost:$port ; inline" \
	    "	exec   = echo" \
	    "	env    = A=x#y   # a '#' after a blank starts a comment" \
	    >"$BATS_TEST_TMPDIR/myriad.conf"
	run "$B/myriadd" -n -f "$BATS_TEST_TMPDIR/myriad.conf"
	assert_success
	DAEMON_CONF=$BATS_TEST_TMPDIR/myriad.conf start_daemon_bg
	wait_for 10 daemon_said "myriadd: ready: my-echo_1.0 localhost:$port spawn 40"
	run socat -t 5 - "TCP:127.0.0.1:$port" <<<"relative exec"
	assert_output "relative exec"
}
