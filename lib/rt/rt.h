/*
 * rt.h - the myriad worker runtime: what makes a static musl program cost
 * one page of private memory.
 *
 * WHY
 *
 * A process that runs ten thousand times over must not pay for anything it
 * does not use. A plain static musl program costs about 10 KiB private
 * memory and 24 KiB of page tables: its data straddles pages, its stack is a
 * separate 128 KiB mapping far from the text (a second page-table chain),
 * and the vDSO adds three more mappings. A worker linked and started by this
 * runtime has exactly two mappings, both inside one 2 MiB region:
 *
 *	text  (R+X, shared page cache: costs no private memory)
 *	page  (RW, private: libc data, worker statics, arena, stack)
 *
 * so it costs one private page (4096 bytes) and one page-table chain
 * (PGD+PUD+PMD+PTE, 16 KiB, shown as VmPTE 12 KiB).
 *
 * THE PAGE
 *
 * The linker script (worker.ld) puts every writable section into one
 * page-aligned RW segment and pads it to exactly RT_PAGE_BYTES (default
 * 4096). Inside it:
 *
 *	__rt_page ->  +------------------------------+
 *	              | .tdata .tbss .init_array     |  musl's own data
 *	              | .got .data .bss              |  (~600 bytes) and the
 *	              |                              |  worker's statics
 *	_end ------>  +------------------------------+
 *	              | arena: rt_alloc() grows up   |  argv and environ are
 *	              |   (argv/env copies first)    |  copied here at start
 *	              |     canary: its last word    |  checked after each
 *	arena end ->  +------------------------------+  connection and exit
 *	              | stack: grows down            |  RT_STACK_SIZE bytes
 *	              |                    (no guard)|  (default 1536)
 *	page end -->  +------------------------------+  <- %rsp at rt_main()
 *
 * The link fails with a message naming the budget if the statics leave no
 * room for the stack; myriad-cc then also fails if gcc's call graph of the
 * program and the runtime has a cycle (recursion, which no fixed stack can
 * bound), and if the sum of every stack frame of the program (then an upper
 * bound of any call chain) plus RT_LIBC_STACK does not fit in RT_STACK_SIZE.
 * What the graph cannot see (recursion through a function pointer) the
 * canary catches after the fact: a word below the stack, checked after
 * each connection and when rt_main returns; changed, it is exit 111.
 *
 * START (rt_start.c)
 *
 * musl's crt calls main(), which the runtime owns. Still on the kernel-made
 * stack it: turns AT_SYSINFO_EHDR into AT_IGNORE and unmaps the vDSO and
 * vvar (time functions then make real system calls); copies argv, environ
 * and the few auxv entries libc reads into the page; repoints musl's
 * libc.auxv (a musl-internal, checked at build time by rt_selftest and at
 * start, exit 111 on mismatch); switches %rsp to the page's stack top
 * (x86_64/rt_switch.s); unmaps the kernel-made stack; and calls rt_main().
 * ASLR stays on: nothing depends on fixed addresses.
 *
 * CONTRACTS
 *
 * - Never brk, mmap, malloc or stdio: memory is fixed when the worker is
 *   linked, which is what makes it guaranteed. rt_alloc() carves the arena
 *   and exits 111 with a message when it is exhausted.
 * - Install no signal handlers: a signal frame carries the xsave area
 *   (more than 3 KiB on AVX-512), which the in-page stack cannot hold.
 *   Default actions and SIG_IGN need no frame. SIGPIPE is ignored.
 * - No recursion (myriad-cc refuses a cycle in the call graph), no VLAs
 *   or alloca (myriad-cc rejects "dynamic" frames).
 * - Exit codes follow UCSPI servers: 0 done, 100 bad input from the
 *   client, 111 temporary failure (I/O error, timeout, resources).
 *
 * SERVING
 *
 * rt_serve(handler) runs the same handler in both modes of a superserver:
 * fd 0 a connected socket, pipe or file (spawn mode, inetd nowait,
 * tcpserver): handler(0, 1) once, its result is the exit code; fd 0 a
 * listening socket (pool mode): accept, handler(fd, fd), close, forever.
 * Between connections a pool worker waits in accept, unless RT_WAIT_FD is
 * an epoll instance (myriadd passes one watching fd 0, whose socket it
 * makes non-blocking): then it waits there. accept allocates the new
 * socket's inode and file before it sleeps, about 1.2 KiB of kernel memory
 * per idle worker; epoll_wait allocates nothing, and epoll wakes one
 * waiter per connection.
 * Every read waits at most the idle timeout (RT_IDLE_TIMEOUT seconds from
 * the environment, default 30) and every socket write likewise, so a
 * silent client never holds a worker forever. The idle timeout restarts at
 * each byte; RT_DEADLINE (seconds, default 0: none) bounds the whole
 * connection, so that a client trickling a byte at a time does not hold
 * one either: from the connection's start (the process's, in spawn mode;
 * each accept, in pool mode), a read or write past it fails with
 * ETIMEDOUT, and a wait never outlasts it. It is an absolute time compared
 * by a clock_gettime system call at each read and write while set; no
 * timer or signal (rt_io.c says why).
 *
 * BUILD
 *
 *	build/bin/myriad-cc -o NAME NAME.c
 *
 * compiles with musl-gcc, links the runtime and worker.ld, and checks the
 * page and the stack; myriad-worker(7) gives the full line it runs.
 */
#ifndef RT_H
#define RT_H

#include <stddef.h>
#include <sys/types.h>

#define RT_EXIT_OK	0
#define RT_EXIT_BADINPUT 100
#define RT_EXIT_TEMP	111

#define RT_WAIT_FD	3	/* pool mode: myriadd's epoll instance, if any */

/* A connection handler: read from in, write to out, return an exit code. */
typedef int rt_handler(int in, int out);

/* Provided by the worker; called on the in-page stack. */
int	rt_main(int argc, char **argv);

/* Serve fd 0 as described above; returns only in spawn mode. */
int	rt_serve(rt_handler *handler);

/* Arena: aligned to 16 bytes; exits 111 with a message when exhausted. */
void	*rt_alloc(size_t size);
size_t	rt_arena_left(void);

/* I/O with EINTR handled, the idle timeout and the deadline applied. */
ssize_t	rt_read(int fd, void *buf, size_t len);	/* 0 at EOF, -1 on error or timeout */
ssize_t	rt_read_by(int fd, void *buf, size_t len, long deadline_ms);
long	rt_now_ms(void);	/* CLOCK_MONOTONIC, for deadlines */
int	rt_write_all(int fd, const void *buf, size_t len);	/* 0 or -1 */
int	rt_puts(int fd, const char *s);			/* rt_write_all of a string */

/* "NAME: fatal: MSG[: ERRNO TEXT]" on fd 2, then _exit(code). */
void	rt_die(int code, const char *msg, int err) __attribute__((noreturn));
void	rt_warn(const char *msg, int err);

/* Formatting without stdio: each writes into buf and returns the length. */
size_t	rt_utoa(char *buf, unsigned long v);	/* decimal, no NUL */
size_t	rt_fmt(char *buf, const char *s);	/* s without its NUL */

/* The idle timeout in milliseconds, as read from the environment; -1: none. */
int	rt_timeout_ms(void);

#endif
