#!/usr/bin/env bats
# Every shipped worker speaks its protocol to real clients, in spawn mode
# (socat hands it a connected socket on fd 0 and 1, as tcpserver does) and
# in pool mode (fd 0 is a listening socket shared by a few copies).

load helpers

# serve MODE WORKER [N]: start WORKER in MODE (spawn|pool, N copies, 4 by
# default) on a free port; sets ADDR (127.0.0.1:PORT) and PORT.
# $WORKER_ENV adds environment variables.
serve() {
	local mode=$1 worker=$2 n=${3:-4}
	PORT=$(free_port)
	ADDR=127.0.0.1:$PORT
	if [ "$mode" = pool ]; then
		POOL_ENV=${WORKER_ENV:-} pool_start "$n" "$ADDR" "$W/$worker"
		return
	fi
	# shellcheck disable=SC2086
	setsid env -i ${WORKER_ENV:-} socat \
	    "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" \
	    "EXEC:$W/$worker,nofork" 2>"$BATS_TEST_TMPDIR/socat.err" 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 10 listening "$PORT"
}
listening() { ss -Htln "sport = :$1" | grep -q .; }

check_echo() {
	run socat -t 5 - "TCP:$ADDR" <<<"hello, myriad"
	assert_success
	assert_output "hello, myriad"
	# larger than one read chunk, binary-safe
	head -c 100000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	socat -t 5 - "TCP:$ADDR" <"$BATS_TEST_TMPDIR/blob" >"$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/blob" "$BATS_TEST_TMPDIR/back"
}

check_discard() {
	run socat -t 5 - "TCP:$ADDR" < <(head -c 50000 /dev/zero)
	assert_success
	assert_output ""
}

check_chargen() {
	local first second
	first=$(printf ' !"#$%%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg')
	run bash -c "nc -N 127.0.0.1 $PORT </dev/null | head -c 1480"
	assert_success
	# 20 lines of 72 characters + CRLF (73 once the LF is split off), each
	# starting one character further along
	[ "${#lines[@]}" -eq 20 ]
	assert_line --index 0 "$first"$'\r'
	second=${first:1}h
	assert_line --index 1 "$second"$'\r'
	[ "$(printf '%s\n' "$output" | awk '{ print length($0) }' | sort -u)" = 73 ]
}

check_daytime() {
	local now shown
	run socat -t 5 - "TCP:$ADDR"
	assert_success
	assert_output --regexp '^(Sun|Mon|Tues|Wednes|Thurs|Fri|Satur)day, [A-Z][a-z]+ [0-9]{1,2}, [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}-UTC'$'\r''$'
	now=$(date -u +%s)
	shown=$(date -u -d "$(echo "${output%-UTC*}" | cut -d, -f2-)" +%s)
	[ $((now - shown)) -le 2 ]
	[ $((shown - now)) -le 2 ]
}

check_time() {
	local shown now
	run rdate -p -o "$PORT" 127.0.0.1
	assert_success
	shown=$(TZ=UTC date -d "$output" +%s)
	now=$(date +%s)
	[ $((now - shown)) -le 2 ]
	[ $((shown - now)) -le 2 ]
	# exactly 4 bytes, big-endian seconds since 1900
	run bash -c "socat -t 5 -u TCP:$ADDR - | od -An -tu1"
	read -r b0 b1 b2 b3 <<<"$output"
	shown=$(((b0 << 24 | b1 << 16 | b2 << 8 | b3) - 2208988800))
	[ $((now - shown)) -le 2 ]
	[ $((shown - now)) -le 2 ]
}

check_qotd() {
	run socat -t 5 -u "TCP:$ADDR" -
	assert_success
	assert_output --partial "The purpose of computing is insight"
	[ "${#output}" -lt 512 ]
}

check_hello() {
	run curl -s -i "http://$ADDR/any/path?x=1"
	assert_success
	assert_line --index 0 $'HTTP/1.0 200 OK\r'
	assert_line $'Content-Length: 13\r'
	assert_line --index 6 "hello, world"
	run curl -s -I "http://$ADDR/"
	assert_success
	assert_line --index 0 $'HTTP/1.0 200 OK\r'
	refute_output --partial "hello, world"
	run curl -s -o /dev/null -w '%{http_code}' -X POST -d x "http://$ADDR/"
	assert_output 501
	run bash -c "printf 'GARBAGE\r\n\r\n' | nc -N 127.0.0.1 $PORT"
	assert_line --index 0 $'HTTP/1.0 400 Bad Request\r'
	run bash -c "{ printf 'GET /'; head -c 2000 /dev/zero | tr '\\\\0' a; printf ' HTTP/1.0\r\n\r\n'; } | nc -N 127.0.0.1 $PORT"
	assert_line --index 0 $'HTTP/1.0 400 Bad Request\r'
}

@test "echo, spawn mode: RFC 862 with socat" { serve spawn echo; check_echo; }
@test "echo, pool mode: RFC 862 with socat" { serve pool echo; check_echo; }
@test "discard, spawn mode: RFC 863" { serve spawn discard; check_discard; }
@test "discard, pool mode: RFC 863" { serve pool discard; check_discard; }
@test "chargen, spawn mode: RFC 864 lines with nc" { serve spawn chargen; check_chargen; }
@test "chargen, pool mode: RFC 864 lines with nc" { serve pool chargen; check_chargen; }
@test "daytime, spawn mode: RFC 867 matches the clock" { serve spawn daytime; check_daytime; }
@test "daytime, pool mode: RFC 867 matches the clock" { serve pool daytime; check_daytime; }
@test "time, spawn mode: RFC 868 decoded by rdate" { serve spawn time; check_time; }
@test "time, pool mode: RFC 868 decoded by rdate" { serve pool time; check_time; }
@test "qotd, spawn mode: RFC 865 under 512 bytes" { serve spawn qotd; check_qotd; }
@test "qotd, pool mode: RFC 865 under 512 bytes" { serve pool qotd; check_qotd; }
@test "hello, spawn mode: HTTP/1.0 with curl, 400 and 501" { serve spawn hello; check_hello; }
@test "hello, pool mode: HTTP/1.0 with curl, 400 and 501" { serve pool hello; check_hello; }

@test "hello, pool mode: ab gets 2000 responses without a failure" {
	serve pool hello
	run ab -q -n 2000 -c 16 "http://$ADDR/"
	assert_success
	assert_line --regexp '^Complete requests: +2000$'
	assert_line --regexp '^Failed requests: +0$'
}

@test "a pool worker on a UNIX socket serves socat" {
	pool_start 2 "$BATS_TEST_TMPDIR/echo.sock" "$W/echo"
	run socat -t 5 - "UNIX-CONNECT:$BATS_TEST_TMPDIR/echo.sock" <<<"over unix"
	assert_success
	assert_output "over unix"
}

@test "a pool worker on IPv6 ::1 serves curl" {
	PORT=$(free_port)
	pool_start 2 "[::1]:$PORT" "$W/hello"
	run curl -s "http://[::1]:$PORT/"
	assert_success
	assert_output "hello, world"
}

@test "hello closes a silent client after the idle timeout, exit 111" {
	local start elapsed
	PORT=$(free_port)
	WORKER_ENV=RT_IDLE_TIMEOUT=1 serve spawn hello
	start=$(date +%s%N)
	run "$T/connect" -n 1 -k -e 0 "$ADDR"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_output "ok 1 failed 0 bytes 0"
	# closed by the worker at 1 s, well before the client's own 5 s
	[ "$elapsed" -ge 900 ]
	[ "$elapsed" -lt 2500 ]
	# the same worker run by hand on a silent pipe says why it exits
	run bash -c "sleep 3 | env -i RT_IDLE_TIMEOUT=1 $W/hello"
	[ "$status" -eq 111 ]
}

@test "echo in pool mode keeps serving after a client vanishes mid-stream" {
	serve pool echo
	# a client that sends a lot and closes without reading
	head -c 2000000 /dev/zero | timeout 2 nc -N 127.0.0.1 "$PORT" >/dev/null || true
	run "$T/connect" -n 200 -s ping -e 4 "$ADDR"
	assert_success
	assert_output "ok 200 failed 0 bytes 800"
	[ "$(wc -l <"$POOL_PIDS")" -eq 4 ]
	while read -r pid; do kill -0 "$pid"; done <"$POOL_PIDS"
}

@test "chargen gives up on a client that stops reading, after the idle timeout" {
	WORKER_ENV=RT_IDLE_TIMEOUT=1 serve pool chargen 1
	# the only worker serves a client that stalls for 8 s without reading
	"$T/connect" -n 1 -k -w 8 -e 0 "$ADDR" >/dev/null 3>&- &
	wait_for 5 bash -c "ss -Htn state established 'dport = :$PORT' | grep -q ."
	# the next client waits in the backlog until the worker gives up (1 s),
	# well within connect's own 5 s read timeout
	run "$T/connect" -n 1 -r 100 -e 100 "$ADDR"
	assert_success
}

# trickle N: N bytes "x" on stdout, one every 0.3 s (a slow client's pace,
# not a wait for anything).
trickle() {
	local i
	for i in $(seq "$1"); do printf x; sleep 0.3; done
}
established() { ss -Htn state established "dport = :$1" | grep -q .; }

# check_trickler_cut: a client trickling 30 bytes (9 s) to $ADDR is closed
# by the worker at RT_DEADLINE (2 s), each byte well within the idle
# timeout; what it sent until then came back.
check_trickler_cut() {
	local out=$BATS_TEST_TMPDIR/trickled
	export -f trickle
	setsid bash -c "trickle 30 | socat -t 9 - TCP:$ADDR" >"$out" 2>&1 3>&- &
	OWNED_PGIDS="$OWNED_PGIDS $!"
	wait_for 5 established "$PORT"
	# the bound: half-way through the trickle, twice the deadline
	wait_for 5 eval "! established $PORT"
	# bytes at 0.3 s apart for about 2 s: more than a few, fewer than 30
	run cat "$out"
	assert_output --regexp '^x{4,12}$'
}

@test "echo, spawn mode: RT_DEADLINE=2 cuts off a client trickling a byte every 0.3 s" {
	WORKER_ENV=RT_DEADLINE=2 serve spawn echo
	check_trickler_cut
}

@test "echo, pool mode: RT_DEADLINE=2 cuts off a trickling client, then serves the next" {
	WORKER_ENV=RT_DEADLINE=2 serve pool echo 1
	check_trickler_cut
	run "$T/connect" -n 3 -s ping -e 4 "$ADDR"
	assert_success
	assert_output "ok 3 failed 0 bytes 12"
}

@test "echo run by hand under RT_DEADLINE=1 exits 111 on a trickling pipe" {
	export -f trickle
	run bash -c "trickle 30 | env -i RT_DEADLINE=1 $W/echo"
	[ "$status" -eq 111 ]
	assert_output --regexp '^x{2,6}$'
}

@test "echo without RT_DEADLINE serves a trickling client to its end: the idle timeout restarts at each byte" {
	WORKER_ENV=RT_IDLE_TIMEOUT=1 serve pool echo 1
	export -f trickle
	# 10 bytes over 3 s: longer than the idle timeout in all, never idle
	# for as long
	run bash -c "trickle 10 | socat -t 5 - TCP:$ADDR"
	assert_success
	assert_output xxxxxxxxxx
}

@test "chargen, pool mode: RT_DEADLINE=1 ends a stream its client reads as fast as it can" {
	WORKER_ENV=RT_DEADLINE=1 serve pool chargen 1
	# chargen never ends a stream itself; timeout's 10 s is only the bound
	run timeout 10 socat -u "TCP:$ADDR" /dev/null
	assert_success
}
