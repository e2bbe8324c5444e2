#!/usr/bin/env bats
# The runtime's promises are checked when a worker is built: the page, the
# stack budget, the musl internals; and kept when it runs: the arena.

load helpers

# build NAME <<'EOF' ... : compile a worker from stdin with myriad-cc.
build() {
	cat >"$BATS_TEST_TMPDIR/$1.c"
	run "$B/bin/myriad-cc" -o "$BATS_TEST_TMPDIR/$1" "$BATS_TEST_TMPDIR/$1.c"
}

@test "a worker with a 5,000-byte static array fails to build, saying why" {
	build big <<'C'
#include "rt.h"
static char big[5000];
int rt_main(int argc, char **argv) { (void)argc; big[argc] = 1; return big[1] + (argv != 0); }
C
	assert_failure
	assert_output --partial "worker data + bss + RT_STACK_SIZE exceed its RW page budget RT_PAGE_BYTES"
	assert_file_not_exists "$BATS_TEST_TMPDIR/big"
}

@test "a worker whose frames exceed the stack budget fails to build" {
	build deep <<'C'
#include "rt.h"
#include <string.h>
int rt_main(int argc, char **argv) { volatile char buf[1200]; memset((char *)buf, argc, sizeof(buf)); return buf[argc] + (argv != 0); }
C
	assert_failure
	assert_output --regexp "stack budget exceeded: frames [0-9]+ \+ libc 512 > RT_STACK_SIZE 1536"
	assert_file_not_exists "$BATS_TEST_TMPDIR/deep"
}

@test "a worker with a variable-length array is refused" {
	build vla <<'C'
#include "rt.h"
int rt_main(int argc, char **argv) { volatile char buf[argc * 16]; buf[argc] = 1; return buf[1] + (argv != 0); }
C
	assert_failure
	assert_output --partial "rt_main has a dynamic"
}

@test "a recursive worker is refused at build time, naming the function" {
	build fact <<'C'
#include "rt.h"
int fact(int n);
int fact(int n) { volatile char b[16]; b[0] = (char)n; return n <= 1 ? 1 : n * fact(n - 1) + b[0]; }
int rt_main(int argc, char **argv) { (void)argv; return fact(argc) & 1; }
C
	assert_failure
	assert_output --regexp "^myriad-cc: [^ ]*/fact: recursive: fact \([^)]*fact\.c:3\); a worker's stack is a fixed RT_STACK_SIZE with no guard, so no function may call itself, directly or through others$"
	assert_file_not_exists "$BATS_TEST_TMPDIR/fact"
}

@test "recursion through two files is refused, naming both functions" {
	cat >"$BATS_TEST_TMPDIR/even.c" <<'C'
#include "rt.h"
int odd(int n);
int even(int n);
int even(int n) { volatile char b[16]; b[0] = (char)n; return n == 0 ? 1 : odd(n - 1) + b[0]; }
int rt_main(int argc, char **argv) { (void)argv; return even(argc) & 1; }
C
	cat >"$BATS_TEST_TMPDIR/odd.c" <<'C'
int even(int n);
int odd(int n);
int odd(int n) { volatile char b[16]; b[0] = (char)n; return n == 0 ? 0 : even(n - 1) + b[0]; }
C
	run "$B/bin/myriad-cc" -o "$BATS_TEST_TMPDIR/parity" \
	    "$BATS_TEST_TMPDIR/even.c" "$BATS_TEST_TMPDIR/odd.c"
	assert_failure
	assert_output --regexp ": recursive: even \([^)]*even\.c:4\), odd \([^)]*odd\.c:3\); "
	assert_file_not_exists "$BATS_TEST_TMPDIR/parity"
}

# build_deep: a worker whose handler recurses through a function pointer
# (not in gcc's call graph, so myriad-cc lets it through), 4 levels of an
# 80-byte frame per byte it reads: 8 bytes run 2,560 bytes deep, past the
# 1,536-byte stack into the arena; 1 byte stays well within.
build_deep() {
	build deep <<'C'
#include <string.h>
#include "rt.h"
static int (*volatile again)(int);
static int down(int n) { volatile char pad[64]; memset((char *)pad, n, sizeof(pad)); return n > 0 ? again(n - 1) + pad[0] : 0; }
static int serve(int in, int out) { char b[8]; ssize_t n = rt_read(in, b, sizeof(b)); down(n > 0 ? (int)n * 4 : 0); return rt_puts(out, "survived\n") == 0 ? 0 : 111; }
int rt_main(int argc, char **argv) { (void)argc; (void)argv; again = down; return rt_serve(serve); }
C
	assert_success
}

@test "a worker whose stack overflows exits 111 with a message when it ends (the canary)" {
	build_deep
	run bash -c "head -c 1 /dev/zero | env -i '$BATS_TEST_TMPDIR/deep'"
	assert_success
	assert_output survived
	run bash -c "head -c 8 /dev/zero | env -i '$BATS_TEST_TMPDIR/deep'"
	[ "$status" -eq 111 ]
	assert_output $'survived\ndeep: fatal: stack overflow: the in-page stack ran past RT_STACK_SIZE into the arena'
}

@test "a pool worker whose stack overflowed stops after that connection, exit 111 with a message" {
	local pid
	build_deep
	PORT=$(free_port)
	pool_start 1 "127.0.0.1:$PORT" "$BATS_TEST_TMPDIR/deep"
	pid=$(cat "$POOL_PIDS")
	run "$T/connect" -n 1 -s x -e 9 "127.0.0.1:$PORT"
	assert_success
	kill -0 "$pid"
	run "$T/connect" -n 1 -s xxxxxxxx -e 9 "127.0.0.1:$PORT"
	assert_success
	# pool reaps only when it stops: the worker is gone or a zombie
	wait_for 5 eval "! grep -qv '^[0-9]* ([^)]*) Z' /proc/$pid/stat 2>/dev/null"
	run cat "$BATS_TEST_TMPDIR/pool.err"
	assert_output "deep: fatal: stack overflow: the in-page stack ran past RT_STACK_SIZE into the arena"
}

@test "myriad-worker(7)'s example builds out of tree with myriad-cc and serves" {
	# the SYNOPSIS example, exactly as the man page prints it
	sed -n '/^\.Sh SYNOPSIS/,/^\.Ed/p' "$ROOT/lib/rt/myriad-worker.7" |
	    sed '1,2d;$d' | sed 's/\\e/\\/g' >"$BATS_TEST_TMPDIR/example.c"
	build mini <"$BATS_TEST_TMPDIR/example.c"
	assert_success
	# two PT_LOADs: text (R E) and exactly one page RW
	run bash -c "readelf -lW '$BATS_TEST_TMPDIR/mini' | awk '\$1 == \"LOAD\" { print \$7 == \"RW\" ? \"RW \" \$6 : \$7 \$8 }'"
	assert_output $'RE\nRW 0x001000'
	run env -i "$BATS_TEST_TMPDIR/mini" </dev/null
	assert_success
	assert_output $'hello\r'
}

@test "arena exhaustion exits 111 with a message, never a crash" {
	run env -i "$T/arena_hog" </dev/null
	[ "$status" -eq 111 ]
	assert_output --regexp '^arena_hog: fatal: arena exhausted: 64 bytes asked, [0-9]+ left$'
}

@test "the runtime self-test prints the same built one-page and plain" {
	run env -i RT_SELFTEST=yes "$B/rt/selftest" a b
	assert_success
	local one_page=$output
	run env -i RT_SELFTEST=yes "$B/rt/selftest-plain" a b
	assert_success
	assert_output "$one_page"
	assert_line "clock=ok"
	assert_line "pagesz=4096"
}

@test "an environment too big for the arena keeps the UCSPI variables, with a warning" {
	run env -i BIG="$(head -c 3000 /dev/zero | tr '\0' x)" \
	    TCPREMOTEIP=192.0.2.7 RT_SELFTEST=yes "$B/rt/selftest"
	assert_success
	assert_line "env=yes"
	assert_line "tcpremoteip=192.0.2.7"
	assert_line --partial "selftest: warning: environment variables dropped"
}

@test "a bad RT_IDLE_TIMEOUT is refused with exit 100" {
	run env -i RT_IDLE_TIMEOUT=soon "$W/echo" </dev/null
	[ "$status" -eq 100 ]
	assert_output "echo: fatal: RT_IDLE_TIMEOUT is not a number of seconds from 0 (none) to 86400"
}

@test "a bad RT_DEADLINE is refused with exit 100" {
	run env -i RT_DEADLINE=-1 "$W/echo" </dev/null
	[ "$status" -eq 100 ]
	assert_output "echo: fatal: RT_DEADLINE is not a number of seconds from 0 (none) to 86400"
}

@test "a one-page worker's mappings all lie in one 2 MiB region" {
	local pid
	sleep 10 | env -i "$W/discard" 3>&- &
	pid=$!
	wait_for 5 bash -c "[ \$(grep -vc vsyscall /proc/$pid/maps) -eq 2 ]"
	run bash -c "grep -v vsyscall /proc/$pid/maps | while read -r range _; do
		echo \$((16#\${range%-*} / 2097152)); done"
	kill "$pid"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "${lines[1]}" ]
}
