#!/usr/bin/env bats
# install.bats - make install and make uninstall: FHS paths under PREFIX
# and DESTDIR, an installed myriad-cc that builds workers out of tree, an
# installed myriadd that serves the installed config, nothing half-way
# without write access. Writes only under $BATS_TEST_TMPDIR.

load helpers
load daemon_helpers
load pkg_helpers

# inst [VAR=VALUE...] TARGET: make TARGET in the tree, quietly.
inst() { make -C "$ROOT" --no-print-directory "$@"; }

# The worker of myriad-worker(7)'s SYNOPSIS.
write_hello() {
	cat >"$1" <<'C'
#include "rt.h"

static int
serve(int in, int out)
{
	(void)in;
	return rt_puts(out, "hello\r\n") == 0 ? 0 : 111;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(serve);
}
C
}

@test "make install DESTDIR PREFIX=/usr: FHS paths, the config in /etc" {
	local d=$BATS_TEST_TMPDIR/root f w
	run inst install DESTDIR="$d" PREFIX=/usr
	assert_success
	for f in usr/sbin/myriadd usr/bin/myriadctl usr/bin/myriad-cc; do
		assert_file_executable "$d/$f"
	done
	for w in echo discard chargen daytime time qotd hello; do
		assert_file_executable "$d/usr/libexec/myriad/$w"
		cmp "$B/worker/$w" "$d/usr/libexec/myriad/$w"
	done
	for f in librt.a rt_start.o rt_switch.o rt_plain.o worker.ld rt.h rt.su; do
		assert_file_exists "$d/usr/lib/myriad/rt/$f"
	done
	for f in man8/myriadd.8 man8/myriadctl.8 man5/myriad.conf.5 man7/myriad-worker.7; do
		assert_file_exists "$d/usr/share/man/$f"
	done
	assert_file_exists "$d/lib/systemd/system/myriad.service"
	assert_file_exists "$d/lib/systemd/system/myriad.socket"
	assert_file_exists "$d/etc/myriad/myriad.conf"
	# Every program of the config is an installed worker.
	run grep '^exec' "$d/etc/myriad/myriad.conf"
	assert_success
	refute_line --partial 'build/'
	assert_line --regexp '^exec *= /usr/libexec/myriad/echo$'
	run grep '^ExecStart=' "$d/lib/systemd/system/myriad.service"
	assert_output 'ExecStart=/usr/sbin/myriadd -f /etc/myriad/myriad.conf'
}

@test "make install PREFIX=/usr/local puts the config in PREFIX/etc" {
	local d=$BATS_TEST_TMPDIR/root
	run inst install DESTDIR="$d"
	assert_success
	assert_file_exists "$d/usr/local/etc/myriad/myriad.conf"
	assert_file_exists "$d/usr/local/sbin/myriadd"
	assert_file_exists "$d/usr/local/lib/systemd/system/myriad.service"
	assert_file_not_exists "$d/etc/myriad/myriad.conf"
	run grep '^ExecStart=' "$d/usr/local/lib/systemd/system/myriad.service"
	assert_output 'ExecStart=/usr/local/sbin/myriadd -f /usr/local/etc/myriad/myriad.conf'
}

@test "an installed myriad-cc builds a worker out of tree; the installed myriadd serves it and the installed config" {
	local p=$BATS_TEST_TMPDIR/prefix src=$BATS_TEST_TMPDIR/src port
	run inst install PREFIX="$p"
	assert_success
	mkdir "$src"
	write_hello "$src/hello.c"
	# Only the installed tree: no build/ on the way, no RT_DIR.
	cd "$src"
	run env -i PATH="$p/bin:/usr/bin:/bin" myriad-cc -o hello hello.c
	assert_success
	run readelf -lW hello
	assert_line --regexp 'LOAD .* RW  0x1000$'
	# The package makes the user the shipped config's workers run as; a
	# source install does not, so here they run as nobody instead.
	if ! getent passwd myriad >/dev/null; then
		sed -i -e 's/^\(user *= *\)myriad$/\1nobody/' \
		    -e 's/^\(group *= *\)myriad$/\1nogroup/' "$p/etc/myriad/myriad.conf"
	fi
	run "$p/sbin/myriadd" -n -f "$p/etc/myriad/myriad.conf"
	assert_success
	assert_output "$p/etc/myriad/myriad.conf: configuration OK"
	remap_config "$p/etc/myriad/myriad.conf" "$BATS_TEST_TMPDIR/run.conf"
	port=$(free_port)
	cat >>"$BATS_TEST_TMPDIR/run.conf" <<EOF

[mine]
listen = 127.0.0.1:$port
exec = $src/hello
EOF
	start_installed "$p/sbin/myriadd" "$BATS_TEST_TMPDIR/run.conf"
	run socat -T 5 - "TCP:127.0.0.1:$port" </dev/null
	assert_success
	assert_output $'hello\r'
	echo_through "$(mapped_port 7001)"
	run curl -sS "http://127.0.0.1:$(mapped_port 8080)/"
	assert_success
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
}

@test "systemd-analyze verify accepts the installed units" {
	local p=$BATS_TEST_TMPDIR/prefix
	run inst install PREFIX="$p"
	assert_success
	# The units as installed: their ExecStart exists, man finds their pages.
	run env MANPATH="$p/share/man" systemd-analyze verify \
	    "$p/lib/systemd/system/myriad.service" "$p/lib/systemd/system/myriad.socket"
	assert_success
	assert_output ''
}

@test "make install keeps a config that is there; uninstall removes the rest and keeps a changed config" {
	local d=$BATS_TEST_TMPDIR/root conf
	conf=$d/usr/local/etc/myriad/myriad.conf
	mkdir -p "$(dirname "$conf")"
	echo '# mine' >"$conf"
	run inst install DESTDIR="$d"
	assert_success
	assert_line "install $conf: present, left as it is"
	run cat "$conf"
	assert_output '# mine'
	run inst uninstall DESTDIR="$d"
	assert_success
	assert_line "uninstall: $conf was changed, left in place"
	assert_file_exists "$conf"
	run find "$d" -type f
	assert_output "$conf"
	assert_dir_not_exists "$d/usr/local/libexec/myriad"
	assert_dir_not_exists "$d/usr/local/lib/myriad"
}

@test "make uninstall removes an unchanged config and the directories it made" {
	local d=$BATS_TEST_TMPDIR/root
	run inst install DESTDIR="$d"
	assert_success
	run inst uninstall DESTDIR="$d"
	assert_success
	run find "$d" -type f
	assert_output ''
	assert_dir_not_exists "$d/usr/local/etc/myriad"
}

@test "make install without write access says so and writes nothing" {
	local d=$BATS_TEST_TMPDIR/root dir before after
	# One directory the user may write, the rest not: still nothing.
	mkdir -p "$d/usr/local/bin"
	chown nobody "$d/usr/local/bin"
	# bats makes its directories 0700: let nobody reach $d.
	dir=$d
	while [ "$dir" != "$BATS_RUN_TMPDIR" ] && [ "$dir" != / ]; do
		chmod o+x "$dir"
		dir=$(dirname "$dir")
	done
	chmod o+x "$BATS_RUN_TMPDIR"
	# make must read the checkout as that user: a checkout under a
	# directory only root enters cannot be used for this
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    test -r "$ROOT/Makefile" ||
	    skip "nobody cannot read $ROOT/Makefile (a closed checkout)"
	before=$(find "$d" | sort)
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    make -C "$ROOT" --no-print-directory install DESTDIR="$d"
	assert_failure
	assert_output --partial "make install: no write access to $d/usr/local: nothing was changed"
	after=$(find "$d" | sort)
	[ "$before" = "$after" ]
}
