#!/usr/bin/env bats
# package.bats - CHANGES THE MACHINE: builds the Debian package, installs
# it with dpkg -i (a system user, /etc/myriad, /usr/sbin/myriadd ...),
# runs the installed daemon, and removes and purges it. Teardown purges
# the package and what it made even when a test fails. Every test is
# named "[machine]"; skipped when not root, or when myriad is already on
# the machine (a package, a user or /etc/myriad this test did not make).

bats_require_minimum_version 1.5.0

load helpers
load daemon_helpers
load pkg_helpers

DEFAULT_PORTS="7001 7002 7003 7004 7005 7006 7007 8080"

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: installs a package"
	if dpkg-query -W -f='${Status}' myriad 2>/dev/null | grep -qv '^unknown'; then
		skip "a myriad package is already installed"
	fi
	getent passwd myriad >/dev/null && skip "a user myriad already exists"
	getent group myriad >/dev/null && skip "a group myriad already exists"
	[ ! -e /etc/myriad ] || skip "/etc/myriad already exists"
	RUN_MYRIAD_EXISTED=$([ -e /run/myriad ] && echo yes || echo no)
	PACKAGE_TOUCHED=yes
}

teardown() {
	daemon_teardown
	teardown_common
	[ -n "${PACKAGE_TOUCHED:-}" ] || return 0
	dpkg -P myriad >/dev/null 2>&1 || true
	getent passwd myriad >/dev/null && deluser --system --quiet myriad
	getent group myriad >/dev/null && delgroup --system --quiet myriad
	rm -rf /etc/myriad
	[ "$RUN_MYRIAD_EXISTED" = yes ] || rm -rf /run/myriad
	return 0
}

# the_deb: make deb, and the path of what it built.
the_deb() {
	make -C "$ROOT" --no-print-directory deb >"$BATS_TEST_TMPDIR/deb.log" 2>&1 || {
		cat "$BATS_TEST_TMPDIR/deb.log" >&2
		return 1
	}
	DEB=$(ls "$B"/myriad_*_"$(dpkg --print-architecture)".deb)
}

# default_ports_free: nothing listens on the shipped config's ports, no
# daemon answers on its control socket: the installed config can run as is.
default_ports_free() {
	local p
	for p in $DEFAULT_PORTS; do ! listening "$p" || return 1; done
	[ ! -S /run/myriad/control.sock ] || ! socat -u OPEN:/dev/null \
	    UNIX-CONNECT:/run/myriad/control.sock 2>/dev/null
}

@test "[machine] make deb: a package lintian passes without errors" {
	the_deb
	run dpkg-deb -f "$DEB" Package Architecture Depends
	assert_success
	assert_line 'Package: myriad'
	assert_line --regexp '^Depends: .*libev4.*libinih1.*adduser'
	run lintian "$DEB"
	refute_line --regexp '^E: '
	run dpkg-deb -c "$DEB"
	assert_line --regexp ' \./usr/share/man/man8/myriadd\.8\.gz$'
	assert_line --regexp ' \./usr/share/man/man5/myriad\.conf\.5\.gz$'
	assert_line --regexp ' \./usr/share/man/man7/myriad-worker\.7\.gz$'
	assert_line --regexp ' \./usr/share/doc/myriad/copyright$'
	assert_line --regexp ' \./usr/share/doc/myriad/changelog\.gz$'
	assert_line --regexp ' \./lib/systemd/system/myriad\.service$'
	run dpkg-deb --info "$DEB" conffiles
	assert_output '/etc/myriad/myriad.conf'
}

@test "[machine] dpkg -i installs it; the installed myriadd checks and serves the installed config; dpkg -r and -P remove it" {
	local conf=/etc/myriad/myriad.conf run_conf uid p
	the_deb
	run dpkg -i "$DEB"
	assert_success

	# The system user for the workers, the service, the man pages.
	uid=$(getent passwd myriad | cut -d: -f3)
	[ "$uid" -lt 1000 ]
	getent group myriad
	run dpkg-query -W -f='${Status}' myriad
	assert_output 'install ok installed'
	run man -w myriadd
	assert_output /usr/share/man/man8/myriadd.8.gz
	run systemd-analyze verify /lib/systemd/system/myriad.service \
	    /lib/systemd/system/myriad.socket
	assert_success
	assert_output ''

	run /usr/sbin/myriadd -n -f "$conf"
	assert_success
	assert_output "$conf: configuration OK"

	# As shipped if its ports are free here, else moved onto free ports.
	if default_ports_free; then
		run_conf=$conf
		PORTS_MAP=$BATS_TEST_TMPDIR/ports.map
		for p in $DEFAULT_PORTS; do echo "$p $p"; done >"$PORTS_MAP"
	else
		run_conf=$BATS_TEST_TMPDIR/run.conf
		remap_config "$conf" "$run_conf"
	fi
	start_installed /usr/sbin/myriadd "$run_conf"
	echo_through "$(mapped_port 7001)"
	run curl -sS "http://127.0.0.1:$(mapped_port 8080)/"
	assert_success
	run socat -T 5 -u "TCP:127.0.0.1:$(mapped_port 7003)" -
	assert_success
	[ -n "$output" ]
	workers_of "$DAEMON_PID" >"$BATS_TEST_TMPDIR/workers"
	stop_daemon
	[ "$DAEMON_STATUS" -eq 0 ]
	all_gone "$BATS_TEST_TMPDIR/workers"

	# Remove: the programs go, the changed-or-not conffile and user stay.
	run dpkg -r myriad
	assert_success
	assert_file_not_exists /usr/sbin/myriadd
	assert_file_not_exists /lib/systemd/system/myriad.service
	assert_dir_not_exists /usr/libexec/myriad
	assert_dir_not_exists /usr/lib/myriad
	assert_file_exists "$conf"
	run dpkg-query -W -f='${Status}' myriad
	assert_output 'deinstall ok config-files'

	# Purge: nothing of it is left.
	run dpkg -P myriad
	assert_success
	assert_dir_not_exists /etc/myriad
	run getent passwd myriad
	assert_failure
	run getent group myriad
	assert_failure
	run dpkg-query -W -f='${Status}' myriad
	refute_output --regexp 'ok (installed|config-files)'
}
