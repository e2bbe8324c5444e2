/*
 * rawsys.h - system calls without libc, for the cloned child (child.c):
 * it runs beside the daemon in the daemon's memory, so it must not write
 * errno or anything else of libc's. Each returns the result, or -errno.
 * Also the kernel's sigaction, which main.c uses to reset every signal.
 */
#ifndef RAWSYS_H
#define RAWSYS_H

#if !defined(__x86_64__)
#error "rawsys.h: only x86-64 is written"
#endif

static inline long
raw_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile ("syscall"
	    : "=a"(ret)
	    : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	    : "rcx", "r11", "memory");
	return ret;
}

#define raw_syscall0(n)			raw_syscall6(n, 0, 0, 0, 0, 0, 0)
#define raw_syscall1(n, a)		raw_syscall6(n, (long)(a), 0, 0, 0, \
					    0, 0)
#define raw_syscall2(n, a, b)		raw_syscall6(n, (long)(a), (long)(b), \
					    0, 0, 0, 0)
#define raw_syscall3(n, a, b, c)	raw_syscall6(n, (long)(a), (long)(b), \
					    (long)(c), 0, 0, 0)
#define raw_syscall4(n, a, b, c, d)	raw_syscall6(n, (long)(a), (long)(b), \
					    (long)(c), (long)(d), 0, 0)

/* The kernel's struct sigaction, for rt_sigaction: glibc's differs. */
struct kernel_sigaction {
	void		*handler;
	unsigned long	 flags;
	void		*restorer;
	unsigned long	 mask;		/* the kernel's sigset: 64 bits */
};

#endif
