#!/usr/bin/env bats
# The control socket (myriadctl(8)): status, workers, reload and stop through
# build/myriadctl against a real daemon; the socket's bounds (peer, line
# size, clients, idle time) with build/tests/ctlpeer (RELIABILITY.md F19).

load helpers
load daemon_helpers

CTL=

# start_ctl_daemon [EXTRA CONFIG LINES]: a pool of 3 hello and a spawn-mode
# echo, the control socket in the test's directory.
start_ctl_daemon() {
	PORT=$(free_port)
	EPORT=$(free_port)
	CTL=${CTL_DIR:-$BATS_TEST_TMPDIR}/control.sock
	start_daemon <<EOF
control = $CTL
[hello]
listen = 127.0.0.1:$PORT
mode = pool
workers = 3
exec = $W/hello
[echo]
listen = 127.0.0.1:$EPORT
exec = $W/echo
EOF
}

ctl() { "$B/myriadctl" -s "$CTL" "$@"; }

# rss_kb PID: VmRSS in kB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

@test "no control key: no control socket" {
	start_daemon <<EOF
[echo]
listen = 127.0.0.1:$(free_port)
exec = $W/echo
EOF
	run ls -A "$BATS_TEST_TMPDIR"
	refute_output --partial .sock
}

@test "the socket is made mode 0600 and removed on stop" {
	start_ctl_daemon
	run stat -c %a "$CTL"
	assert_output 600
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	assert_not_exist "$CTL"
}

@test "status: a record per service and a total, as tables and JSON" {
	start_ctl_daemon
	wait_for 10 has_workers "$DAEMON_PID" 3
	run ctl status
	assert_success
	assert_line --regexp '^name +mode +listen +workers +private_bytes +pss_bytes +rss_bytes +pagetable_bytes +kernel_bytes +spawned +failed$'
	assert_line --regexp "^hello +pool +127\.0\.0\.1:$PORT +3 +12288 "
	assert_line --regexp "^echo +spawn +127\.0\.0\.1:$EPORT +0 +0 "
	run ctl status --json
	assert_success
	[ "$(jq '.services | length' <<<"$output")" -eq 2 ]
	[ "$(jq -r '.services[0].name' <<<"$output")" = hello ]
	[ "$(jq '.total.workers' <<<"$output")" -eq 3 ]
	[ "$(jq '.total.private_bytes' <<<"$output")" -eq 12288 ]
	[ "$(jq '.total.pagetable_bytes' <<<"$output")" -eq $((3 * 12288)) ]
	[ "$(jq '.total.kernel_bytes' <<<"$output")" -eq $((3 * (16384 + 13800))) ]
	[ "$(jq '.total.daemon_rss_bytes > 0' <<<"$output")" = true ]
}

@test "workers and workers SERVICE: one row per live worker" {
	start_ctl_daemon
	wait_for 10 has_workers "$DAEMON_PID" 3
	hold_connections 2 "$EPORT"
	wait_for 10 has_workers "$DAEMON_PID" 5
	run ctl workers --json
	assert_success
	[ "$(jq '.workers | length' <<<"$output")" -eq 5 ]
	run ctl workers hello --json
	assert_success
	[ "$(jq '.workers | length' <<<"$output")" -eq 3 ]
	[ "$(jq -r '[.workers[].state] | unique | join(",")' <<<"$output")" = live ]
	[ "$(jq '[.workers[].private_bytes] | unique' -c <<<"$output")" = '[4096]' ]
	[ "$(jq '[.workers[].vmas] | unique' -c <<<"$output")" = '[2]' ]
	jq -r '.workers[].pid' <<<"$output" | sort >"$BATS_TEST_TMPDIR/listed"
	ps --ppid "$DAEMON_PID" -o pid=,cmd= | awk '/hello/ { print $1 }' |
	    sort >"$BATS_TEST_TMPDIR/real"
	diff "$BATS_TEST_TMPDIR/listed" "$BATS_TEST_TMPDIR/real"
	run ctl workers echo
	assert_success
	assert_line --index 0 --regexp '^pid +service +state +private_bytes +pss_bytes +rss_bytes +pagetable_bytes +vmas +age_s$'
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 1 --regexp '^[0-9]+ +echo +live +4096 '
}

@test "workers of an unknown service: an error naming it, exit 100" {
	start_ctl_daemon
	run ctl workers nosuch
	assert_failure 100
	assert_output "myriadctl: fatal: myriadd says: no service 'nosuch'"
}

@test "reload: the new config answered ok=1; a broken one is an error and the old stays" {
	start_ctl_daemon
	wait_for 10 has_workers "$DAEMON_PID" 3
	sed -i 's/^workers = 3$/workers = 5/' "$DAEMON_CONF"
	run ctl reload --json
	assert_success
	assert_output '{"result":{"ok":1}}'
	wait_for 10 has_workers "$DAEMON_PID" 5
	echo "wokers = 1" >>"$DAEMON_CONF"
	run ctl reload
	assert_failure 100
	assert_output --partial "myriadd says: reload failed, the previous configuration stays"
	daemon_said "unknown key 'wokers'"
	run curl -sS --max-time 5 "http://127.0.0.1:$PORT/"
	assert_output "hello, world"
}

@test "stop: answered, then as SIGTERM: exit 0, no workers left" {
	start_ctl_daemon
	wait_for 10 has_workers "$DAEMON_PID" 3
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	run ctl stop
	assert_success
	DAEMON_STATUS=0
	wait "$DAEMON_PID" || DAEMON_STATUS=$?
	[ "$DAEMON_STATUS" -eq 0 ]
	daemon_said "stopping on signal 15"
	wait_for 10 all_gone "$BATS_TEST_TMPDIR/workers"
}

@test "a peer neither root nor the daemon's user is refused by SO_PEERCRED" {
	CTL_DIR=$(mktemp -d /tmp/myriad-ctl.XXXXXX)
	chmod 755 "$CTL_DIR"
	start_ctl_daemon
	# the file mode alone would refuse nobody: open it, the daemon must
	chmod 666 "$CTL"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$B/myriadctl" -s "$CTL" status
	rm -rf "$CTL_DIR"
	assert_failure 100
	assert_output "myriadctl: fatal: myriadd says: permission denied"
	daemon_said "control: refused pid "
	daemon_said " uid 65534: neither root nor uid 0"
}

@test "a 1 MiB line: an error and a close within 100 ms, RSS unchanged" {
	start_ctl_daemon
	ctl status >/dev/null
	before=$(rss_kb "$DAEMON_PID")
	run "$T/ctlpeer" -b 1048576 "$CTL"
	assert_success
	assert_line $'answer error\tline too long'
	ms=$(sed -n 's/^closed after \([0-9]*\) ms$/\1/p' <<<"$output")
	echo "# closed after $ms ms, having taken $(sed -n 's/^sent //p' <<<"$output") bytes" >&3
	[ "$ms" -lt 100 ]
	# 256 bytes and one newline is the limit
	run "$T/ctlpeer" -b 255 "$CTL"
	assert_line $'answer error\tunknown command \'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\''
	run "$T/ctlpeer" -b 256 "$CTL"
	assert_line $'answer error\tline too long'
	after=$(rss_kb "$DAEMON_PID")
	echo "# daemon RSS $before kB before, $after kB after" >&3
	[ "$after" -le "$((before + 8))" ]
}

@test "garbage: an error echoing it with its unprintable bytes replaced" {
	start_ctl_daemon
	run bash -c "printf 'st\001at\tus\377\n' | socat -t 2 - 'UNIX-CONNECT:$CTL'"
	assert_output $'error\tunknown command \'st?at?us?\''
	run bash -c "printf 'status now\n' | socat -t 2 - 'UNIX-CONNECT:$CTL'"
	assert_output $'error\t\'status\' takes no argument'
	run bash -c "head -c 200 /dev/urandom | tr -d '\n' | socat -t 2 - 'UNIX-CONNECT:$CTL'"
	assert_output --regexp $'^error\t'
	run curl -sS --max-time 5 "http://127.0.0.1:$PORT/"
	assert_output "hello, world"
}

@test "1,000 idle clients: 64 held, the rest closed at once, all gone after 5 s, data plane served" {
	start_ctl_daemon
	"$T/ctlpeer" -n 1000 -t 8 "$CTL" >"$BATS_TEST_TMPDIR/peer.out" 3>&- &
	peer=$!
	wait_for 10 grep -q '^connected' "$BATS_TEST_TMPDIR/peer.out"
	ok=0
	for i in $(seq 50); do
		curl -sS --max-time 1 "http://127.0.0.1:$PORT/" >/dev/null &&
		    ok=$((ok + 1))
	done
	wait "$peer"
	cat "$BATS_TEST_TMPDIR/peer.out"
	[ "$ok" -eq 50 ]
	run cat "$BATS_TEST_TMPDIR/peer.out"
	assert_line "open after 1000 ms: 64"
	assert_line "open at end: 0"
	ms=$(sed -n 's/^last closed after \([0-9]*\) ms$/\1/p' "$BATS_TEST_TMPDIR/peer.out")
	echo "# the last idle client closed after $ms ms" >&3
	[ "$ms" -ge 4500 ]
	[ "$ms" -le 5500 ]
	[ "$(daemon_count 'control: 64 clients already')" -le 2 ]
	run ctl status
	assert_success
}
