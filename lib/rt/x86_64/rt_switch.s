/* rt_switch(sp, fn, arg): continue on the stack whose top is sp by calling
 * fn(arg); fn never returns. sp must be 16-byte aligned (the page end is). */
	.text
	.global	rt_switch
	.hidden	rt_switch
	.type	rt_switch,@function
rt_switch:
	mov	%rdi, %rsp
	mov	%rdx, %rdi
	call	*%rsi
	hlt
	.size	rt_switch, .-rt_switch
	.section .note.GNU-stack,"",@progbits
