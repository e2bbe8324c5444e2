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
run: deps
	@$(MAKE) --no-print-directory all
	@if [ -x $(B)/myriadd ]; then exec $(B)/myriadd -f conf/myriad.conf; \
	else echo "make run: myriadd is not built yet; workers are in $(B)/worker"; fi

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
