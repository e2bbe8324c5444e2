# myriad - one non-recursive Makefile; everything builds into build/.
#   make        build the runtime, the workers, myriadd and myriadctl
#   make run    install what is missing, build, run myriadd on conf/
#   make test   install what is missing, build with -Werror, run the bats suite
#   make bench  the measurements behind README and docs/ (minutes)
#   make deps   install the Debian packages the project needs (as root)

B	:= build
MUSL	:= /usr/lib/x86_64-linux-musl
ARCH	:= x86_64
WARN	:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
WERROR	?=
CFLAGS	?= -O2 -g
DCFLAGS	:= -std=c99 -D_GNU_SOURCE $(WARN) $(WERROR) $(CFLAGS)
RTFLAGS	:= -std=c99 -Os -fpie -fno-stack-protector \
	   -fno-asynchronous-unwind-tables -fno-unwind-tables \
	   -ffunction-sections -fdata-sections -fstack-usage \
	   -fcallgraph-info=su -D_GNU_SOURCE \
	   $(WARN) $(WERROR)

DEB_PACKAGES := make gcc libc6-dev musl-tools libev-dev libinih-dev \
	bats bats-assert bats-support bats-file \
	curl socat netcat-openbsd rdate apache2-utils procps iproute2 util-linux \
	jq bc

# Peers for make bench; xinetd conflicts with openbsd-inetd as a package,
# so its Debian package is unpacked into build/peers instead of installed.
BENCH_PACKAGES := ucspi-tcp ipsvd openbsd-inetd gnuplot-nox

WORKERS	:= echo discard chargen daytime time qotd hello
RT_LIB	:= arena env io log serve
RT_OBJS	:= $(RT_LIB:%=$(B)/rt/rt_%.o)
RT_HDRS	:= lib/rt/rt.h lib/rt/rt_impl.h
MYRIAD_CC := $(B)/bin/myriad-cc
RT_FILES := $(B)/rt/librt.a $(B)/rt/rt_start.o $(B)/rt/rt_switch.o \
	$(B)/rt/rt_plain.o $(B)/rt/worker.ld $(B)/rt/rt.h $(B)/rt/rt.su \
	$(B)/rt/rt.ci
TEST_WORKERS := $(patsubst tests/workers/%.c,$(B)/tests/%,$(wildcard tests/workers/*.c))
TEST_TOOLS := $(patsubst tests/tools/%.c,$(B)/tests/%,$(wildcard tests/tools/*.c))
BENCH_TOOLS := $(patsubst contrib/bench/%.c,$(B)/bench/%,$(wildcard contrib/bench/*.c))

DAEMON_SRCS := $(wildcard daemon/*.c daemon/capacity/*.c daemon/control/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:daemon/%.c=$(B)/daemon/%.o)
CTL_SRCS := $(wildcard daemon/myriadctl/*.c)
CTL_OBJS := $(CTL_SRCS:daemon/%.c=$(B)/daemon/%.o)
PROGRAMS := $(if $(DAEMON_SRCS),$(B)/myriadd) $(if $(CTL_SRCS),$(B)/myriadctl)

.PHONY: all deps bench-deps run test bench clean rt-check
all: $(B)/.flags rt-check $(WORKERS:%=$(B)/worker/%) \
	$(WORKERS:%=$(B)/worker/plain/%) $(WORKERS:%=$(B)/worker/glibc/%) \
	$(TEST_WORKERS) $(TEST_TOOLS) \
	$(BENCH_TOOLS) $(PROGRAMS)

# Rebuild everything when the flags change (make test adds -Werror).
$(B)/.flags: FORCE
	@mkdir -p $(B)
	@echo '$(DCFLAGS) $(RTFLAGS)' | cmp -s - $@ || echo '$(DCFLAGS) $(RTFLAGS)' > $@
FORCE:

deps bench-deps: PACKAGES = $(DEB_PACKAGES) $(if $(filter bench-deps,$@),$(BENCH_PACKAGES))
deps bench-deps:
	@missing=$$(for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make deps: missing Debian packages:" $$missing; \
			echo "make deps: run as root, or: apt-get install" $$missing; \
			exit 1; fi; \
		echo "make deps: installing" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $$missing; fi
	@if [ $@ = bench-deps ] && [ ! -x $(B)/peers/usr/sbin/xinetd ]; then \
		mkdir -p $(B)/peers && cd $(B)/peers && \
		apt-get download -qq xinetd && mv xinetd_*.deb xinetd.deb && \
		dpkg-deb -x xinetd.deb .; fi

# --- the worker runtime ---------------------------------------------------
$(B)/rt/%.o: lib/rt/%.c $(RT_HDRS) $(B)/.flags
	@mkdir -p $(@D)
	musl-gcc $(RTFLAGS) -Ilib/rt -c -o $@ $<
$(B)/rt/rt_switch.o: lib/rt/$(ARCH)/rt_switch.s
	@mkdir -p $(@D)
	musl-gcc -c -o $@ $<
$(B)/rt/librt.a: $(RT_OBJS)
	rm -f $@ && ar rcs $@ $^
# Frames that can be on the worker's page stack: rt_start.c's and
# rt_env.c's run on the kernel-made stack, except the function that
# continues on the page.
$(B)/rt/rt.su: $(RT_OBJS) $(B)/rt/rt_start.o
	cat $(filter-out %/rt_env.su,$(RT_OBJS:.o=.su)) > $@
	grep on_page_stack $(B)/rt/rt_start.su >> $@
# The runtime's call graph, for myriad-cc's recursion check.
$(B)/rt/rt.ci: $(RT_OBJS) $(B)/rt/rt_start.o
	cat $(RT_OBJS:.o=.ci) $(B)/rt/rt_start.ci > $@
$(B)/rt/worker.ld: lib/rt/worker.ld ; @mkdir -p $(@D) && cp $< $@
$(B)/rt/rt.h: lib/rt/rt.h ; @mkdir -p $(@D) && cp $< $@
$(MYRIAD_CC): lib/rt/myriad-cc ; @mkdir -p $(@D) && cp $< $@

# The runtime leans on musl internals: prove they match before any worker
# is trusted (the self-test built both ways must print the same thing).
rt-check: $(B)/rt/selftest $(B)/rt/selftest-plain
	@musl_version=$$($(MUSL)/libc.so 2>&1 | sed -n 's/^Version //p'); \
	case $$musl_version in 1.2.*) ;; *) \
		echo "rt-check: musl $$musl_version found, the runtime is written for musl 1.2.x" >&2; exit 1;; esac
	@a=$$(env -i RT_SELFTEST=yes $(B)/rt/selftest one two 2>&1) || \
		{ echo "rt-check: the one-page self-test failed: $$a" >&2; exit 1; }; \
	b=$$(env -i RT_SELFTEST=yes $(B)/rt/selftest-plain one two 2>&1) || \
		{ echo "rt-check: the plain self-test failed: $$b" >&2; exit 1; }; \
	[ "$$a" = "$$b" ] || { echo "rt-check: one-page and plain self-tests differ:" >&2; \
		echo "one-page: $$a" >&2; echo "plain:    $$b" >&2; exit 1; }
$(B)/rt/selftest: lib/rt/rt_selftest.c $(RT_FILES) $(MYRIAD_CC)
	$(MYRIAD_CC) -o $@ $<
$(B)/rt/selftest-plain: lib/rt/rt_selftest.c $(RT_FILES) $(MYRIAD_CC)
	$(MYRIAD_CC) --plain -o $@ $<

# --- workers ---------------------------------------------------------------
$(B)/worker/%: worker/%.c $(RT_FILES) $(MYRIAD_CC) | rt-check
	@mkdir -p $(@D)
	RT_EXTRA_CFLAGS='$(WERROR)' $(MYRIAD_CC) -o $@ $<
$(B)/worker/glibc/%: worker/%.c lib/rt/rt_plain.c $(RT_LIB:%=lib/rt/rt_%.c) $(RT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DCFLAGS) -Ilib/rt -o $@ $< lib/rt/rt_plain.c $(RT_LIB:%=lib/rt/rt_%.c)
$(B)/worker/plain/%: worker/%.c $(RT_FILES) $(MYRIAD_CC)
	@mkdir -p $(@D)
	RT_EXTRA_CFLAGS='$(WERROR)' $(MYRIAD_CC) --plain -o $@ $<
$(B)/tests/%: tests/workers/%.c $(RT_FILES) $(MYRIAD_CC)
	@mkdir -p $(@D)
	RT_EXTRA_CFLAGS='$(WERROR)' $(MYRIAD_CC) -o $@ $<
$(B)/tests/%: tests/tools/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(DCFLAGS) -o $@ $<
# The unit test of machine.c is linked with it, to read fixture trees.
$(B)/tests/machine_test: tests/tools/machine_test.c \
	$(B)/daemon/capacity/machine.o
	@mkdir -p $(@D)
	$(CC) $(DCFLAGS) -Idaemon -o $@ $^

$(B)/bench/%: contrib/bench/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(DCFLAGS) -o $@ $<

# --- the daemon and its control client -----------------------------------
# Headers are included as "module.h" or "capacity/ledger.h" from daemon/;
# each object's header dependencies are generated as it is compiled.
$(B)/daemon/%.o: daemon/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(DCFLAGS) -Idaemon -MMD -MP -c -o $@ $<
$(B)/myriadd: $(DAEMON_OBJS)
	$(CC) $(DCFLAGS) -pthread -o $@ $^ -lev -linih
$(B)/myriadctl: $(CTL_OBJS)
	$(CC) $(DCFLAGS) -o $@ $^
-include $(DAEMON_OBJS:.o=.d) $(CTL_OBJS:.o=.d)

# --- the two commands ------------------------------------------------------
# The shipped config runs its workers as nobody. From a checkout nobody
# cannot reach (under /root, or a 0700 directory) myriadd refuses it at
# load, naming the directory; then the workers are copied to a directory
# every user can search, and run from there.
RUN_WORKERS := /var/tmp/myriad-workers
run: deps
	@$(MAKE) --no-print-directory all
	@if setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    test -x $(B)/worker/echo 2>/dev/null; then \
		exec $(B)/myriadd -f conf/myriad.conf; fi; \
	echo "make run: nobody cannot reach $(B)/worker: running copies in $(RUN_WORKERS)"; \
	rm -rf $(RUN_WORKERS) && mkdir -m 755 $(RUN_WORKERS) && \
	cp $(WORKERS:%=$(B)/worker/%) $(RUN_WORKERS)/ && \
	sed 's#\.\./build/worker/#$(RUN_WORKERS)/#' conf/myriad.conf >$(B)/run.conf && \
	exec $(B)/myriadd -f $(B)/run.conf

test: deps
	@$(MAKE) --no-print-directory WERROR=-Werror all
	@{ bats --timing tests/; echo $$? >$(B)/test.rc; } | tee $(B)/test.tap
	@awk '/^ok /{ p++ } /^not ok /{ f++ } END { printf "%d passed, %d failed\n", p, f }' \
	    $(B)/test.tap
	@exit $$(cat $(B)/test.rc)

bench: bench-deps
	@$(MAKE) --no-print-directory all
	contrib/bench/run

clean:
	rm -rf $(B)

# --- install, uninstall, deb -----------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: FHS paths under PREFIX. The
# configuration goes to /etc/myriad when PREFIX is /usr (FHS, as Debian
# does), else to PREFIX/etc/myriad (the GNU sysconfdir); it is never
# overwritten. Nothing is written unless every directory to be written is.
PREFIX	?= /usr/local
# What install, deb and their tests use; make deps installs these too. The
# systemd package gives systemd-analyze and does not take over PID 1 (that
# is systemd-sysv's); runit is not runit-init.
DEB_PACKAGES += dpkg-dev adduser binutils man-db lintian mandoc systemd runit s6
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR	?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
I_LIBEXEC := $(PREFIX)/libexec/myriad
I_RT	:= $(PREFIX)/lib/myriad/rt
I_MAN	:= $(PREFIX)/share/man
I_CONF	:= $(SYSCONFDIR)/myriad/myriad.conf
MAN_PAGES := daemon/myriadd.8 daemon/myriadctl/myriadctl.8 conf/myriad.conf.5 \
	lib/rt/myriad-worker.7
# DEST:MODE:SOURCE, one a file; @ is the recipe's directory of files made
# for this PREFIX (the config and the units, with the installed paths).
INSTALL_FILES := $(PREFIX)/sbin/myriadd:755:$(B)/myriadd \
	$(PREFIX)/bin/myriadctl:755:$(B)/myriadctl \
	$(PREFIX)/bin/myriad-cc:755:$(MYRIAD_CC) \
	$(foreach w,$(WORKERS),$(I_LIBEXEC)/$(w):755:$(B)/worker/$(w)) \
	$(foreach f,$(RT_FILES),$(I_RT)/$(notdir $(f)):644:$(f)) \
	$(foreach m,$(MAN_PAGES),$(I_MAN)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)):644:$(m)) \
	$(UNITDIR)/myriad.service:644:@/myriad.service \
	$(UNITDIR)/myriad.socket:644:@/myriad.socket
# The example config: the shipped one, its programs the installed workers.
INSTALL_GEN = sed -e '1i\# Installed by make install from conf/myriad.conf: the programs are the\n\# shipped workers in $(I_LIBEXEC).' \
	    -e '/^\# Programs are relative to this file.s directory/d' \
	    -e 's|\.\./build/worker/|$(I_LIBEXEC)/|g' conf/myriad.conf >"$$tmp/myriad.conf" && \
	for u in myriad.service myriad.socket; do \
		sed -e 's|/usr/sbin/myriadd|$(PREFIX)/sbin/myriadd|g' \
		    -e 's|/etc/myriad/|$(SYSCONFDIR)/myriad/|g' \
		    contrib/systemd/$$u >"$$tmp/$$u" || exit 1; done
# What it installs must be built (install does not build: make test's
# flags would be rebuilt away, and root would own build/). Every directory
# a file goes to, or the nearest one that exists above it, must be
# writable. Both checked before the first file is written.
INSTALL_CHECK = bad=; for e in $(INSTALL_FILES); do src=$${e\#\#*:}; \
		case $$src in @/*) ;; *) [ -e "$$src" ] || bad="$$bad $$src";; esac; done; \
	if [ -n "$$bad" ]; then \
		echo "make $@: not built:$$bad (run make first)" >&2; exit 1; fi; \
	for e in $(INSTALL_FILES) $(I_CONF)::; do \
		d=$$(dirname "$(DESTDIR)$${e%%:*}"); \
		while [ ! -d "$$d" ]; do d=$$(dirname "$$d"); done; \
		[ -w "$$d" ] || bad="$$bad $$d"; done; \
	if [ -n "$$bad" ]; then \
		echo "make $@: no write access to $$(printf '%s\n' $$bad | sort -u | paste -sd ' '): nothing was changed (run as root, or set PREFIX or DESTDIR)" >&2; \
		exit 1; fi

.PHONY: install uninstall deb
install:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(INSTALL_CHECK); $(INSTALL_GEN); \
	for e in $(INSTALL_FILES); do \
		dst=$${e%%:*}; r=$${e#*:}; mode=$${r%%:*}; src=$${r#*:}; \
		case $$src in @/*) src=$$tmp/$${src#@/};; esac; \
		install -D -m "$$mode" "$$src" "$(DESTDIR)$$dst"; \
		echo "install $(DESTDIR)$$dst"; done; \
	if [ -e "$(DESTDIR)$(I_CONF)" ]; then \
		echo "install $(DESTDIR)$(I_CONF): present, left as it is"; \
	else install -D -m 644 "$$tmp/myriad.conf" "$(DESTDIR)$(I_CONF)"; \
		echo "install $(DESTDIR)$(I_CONF)"; fi

# The config goes only if it is still the one install wrote.
uninstall:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(INSTALL_CHECK); $(INSTALL_GEN); \
	for e in $(INSTALL_FILES); do rm -f "$(DESTDIR)$${e%%:*}"; done; \
	if [ -e "$(DESTDIR)$(I_CONF)" ]; then \
		if cmp -s "$$tmp/myriad.conf" "$(DESTDIR)$(I_CONF)"; then \
			rm -f "$(DESTDIR)$(I_CONF)"; \
		else echo "uninstall: $(DESTDIR)$(I_CONF) was changed, left in place"; fi; fi; \
	for d in $(I_LIBEXEC) $(I_RT) $(dir $(I_RT)) $(dir $(I_CONF)); do \
		[ ! -d "$(DESTDIR)$$d" ] || rmdir --ignore-fail-on-non-empty "$(DESTDIR)$$d"; done; \
	echo "uninstall: done"

# make deb: build/myriad_VERSION_ARCH.deb with Debian's own tools, from a
# make install PREFIX=/usr staged in build/deb/debian/myriad (the layout
# dpkg-shlibdeps expects). The version is contrib/debian/changelog's.
DEB_VERSION = $(shell dpkg-parsechangelog -l contrib/debian/changelog -S Version 2>/dev/null)
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null)
DEB_ROOT := $(B)/deb/debian/myriad
DEB_DOC := $(DEB_ROOT)/usr/share/doc/myriad
deb:
	rm -rf $(B)/deb $(B)/myriad_*.deb
	@$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(abspath $(DEB_ROOT)) >/dev/null
	strip --remove-section=.comment --remove-section=.note \
	    $(DEB_ROOT)/usr/sbin/myriadd $(DEB_ROOT)/usr/bin/myriadctl
	gzip -9n $(DEB_ROOT)/usr/share/man/man*/*
	install -d $(DEB_ROOT)/usr/share/man/man1
	ln -s ../man7/myriad-worker.7.gz $(DEB_ROOT)/usr/share/man/man1/myriad-cc.1.gz
	objcopy -R .comment $(DEB_ROOT)/usr/lib/myriad/rt/librt.a
	install -D -m 644 contrib/debian/copyright $(DEB_DOC)/copyright
	gzip -9nc contrib/debian/changelog >$(DEB_DOC)/changelog.gz
	install -D -m 644 contrib/debian/lintian-overrides \
	    $(DEB_ROOT)/usr/share/lintian/overrides/myriad
	install -d $(DEB_ROOT)/DEBIAN
	install -m 755 contrib/debian/postinst contrib/debian/prerm \
	    contrib/debian/postrm $(DEB_ROOT)/DEBIAN
	cd $(DEB_ROOT) && find etc -type f -printf '/%p\n' >DEBIAN/conffiles
	printf 'Source: myriad\n\nPackage: myriad\nArchitecture: any\n' >$(B)/deb/debian/control
	@deps=$$(cd $(B)/deb && dpkg-shlibdeps -O debian/myriad/usr/sbin/myriadd \
	    debian/myriad/usr/bin/myriadctl | sed -n 's/^shlibs:Depends=//p') && \
	size=$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1) && \
	sed -e 's/@VERSION@/$(DEB_VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
	    -e "s/@DEPENDS@/$$deps/" -e "s/@SIZE@/$$size/" \
	    contrib/debian/control >$(DEB_ROOT)/DEBIAN/control
	cd $(DEB_ROOT) && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | \
	    sort -z | xargs -0 md5sum >DEBIAN/md5sums
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) \
	    $(B)/myriad_$(DEB_VERSION)_$(DEB_ARCH).deb
