#!/usr/bin/env bats
# hello's close: a request that carries bytes after its head (a body, a
# pipelined request) must still end in a FIN, not a reset (issue 17,
# item 14). Spawn mode runs under myriadd, whose worker holds the only
# copy of the connection (socat's EXEC keeps one in a process of its own,
# which would hide the reset); pool mode under tests/tools/pool.

load helpers
load daemon_helpers

# A request head and then a 512 KiB body, from a client whose send buffer
# is held at 16 KiB: more than that buffer and the worker's receive buffer
# (128 KiB) absorb, so the client is still writing when hello has answered.
# Closed with the body unread, the socket sends a reset: socat's write fails
# with "Connection reset by peer", often before it has read the response.
# hello drains (up to 1 MiB, 1 s) after a half-close, and closes with a FIN.
check_body_after_head() {
	{ printf 'GET / HTTP/1.0\r\n\r\n'; head -c 524288 /dev/zero; } \
	    >"$BATS_TEST_TMPDIR/request"
	run socat -t 5 - "TCP:127.0.0.1:$PORT,sndbuf=16384" \
	    <"$BATS_TEST_TMPDIR/request"
	assert_success
	refute_output --partial "reset"
	assert_line --index 0 $'HTTP/1.0 200 OK\r'
	assert_line --index 6 "hello, world"
	[ "${#lines[@]}" -eq 7 ]
}

@test "hello, spawn mode: bytes after the head do not turn the close into a reset" {
	PORT=$(free_port)
	start_daemon <<EOF
[hello]
listen = 127.0.0.1:$PORT
exec = $W/hello
mode = spawn
EOF
	check_body_after_head
}

@test "hello, pool mode: bytes after the head do not turn the close into a reset" {
	PORT=$(free_port)
	pool_start 2 "127.0.0.1:$PORT" "$W/hello"
	check_body_after_head
}

@test "hello, pool mode: a client that never closes is let go after the linger" {
	PORT=$(free_port)
	pool_start 1 "127.0.0.1:$PORT" "$W/hello"
	# the only worker answers a client that keeps its side open and reads
	# only after 8 s: hello shuts its side down and waits for the client's
	# at most LINGER_MS (1 s)
	setsid "$T/connect" -n 1 -k -w 8 -s $'GET / HTTP/1.0\r\n\r\n' -e 100 \
	    "127.0.0.1:$PORT" >/dev/null 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 5 bash -c "ss -Htn 'dport = :$PORT' | grep -q ."
	# so the next client, queued behind it, is served well within its own
	# 5 s read timeout
	run "$T/connect" -n 1 -s $'GET / HTTP/1.0\r\n\r\n' -e 100 "127.0.0.1:$PORT"
	assert_success
	assert_output "ok 1 failed 0 bytes 119"
}
