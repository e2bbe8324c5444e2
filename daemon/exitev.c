/*
 * exitev.c - the kernel's process events connector, filtered to exits: a
 * message for every process that exits on the machine, so the reaper
 * (reap.c) reaps exactly the workers that exited without a file
 * descriptor per worker. It needs CAP_NET_ADMIN and the initial user and
 * pid namespaces (pids are the initial namespace's). exitev_open checks
 * that the kernel took the subscription by its acknowledgement, which
 * comes only to a listener of every event: the filter to exits (Linux
 * 6.6; older kernels ignore it and send all) is set afterwards.
 */
#include <sys/socket.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "reap.h"

#define EXITEV_RCVBUF	(8 << 20)	/* a burst of ~10,000 exits */
#define EXITEV_ACK_MS	200		/* for the subscription's answer */
#define EXITEV_BATCH	64		/* messages per recvmmsg */
#define EXITEV_MSG	256		/* room for one message */

/* Linux 6.6's struct proc_input (newer than Debian 12's headers). */
struct exitev_input {
	__u32		mcast_op;	/* PROC_CN_MCAST_LISTEN */
	__u32		event_type;	/* PROC_EVENT_EXIT only */
};

struct exitev_request {
	struct nlmsghdr	nl;
	struct cn_msg	cn;
	struct exitev_input in;	/* all of it, or only its mcast_op */
} __attribute__((packed));

static const struct proc_event *
event_of(const char *buf, size_t len)
{
	const struct nlmsghdr *nl = (const struct nlmsghdr *)(const void *)buf;
	const struct cn_msg *cn;

	if (len < NLMSG_LENGTH(sizeof(*cn) + sizeof(struct proc_event)) ||
	    !NLMSG_OK(nl, len) || nl->nlmsg_type != NLMSG_DONE)
		return NULL;
	cn = NLMSG_DATA(nl);
	if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
	    cn->len < sizeof(struct proc_event))
		return NULL;
	return (const struct proc_event *)(const void *)cn->data;
}

/* The answer to the request whose ack field was cookie: 0, or -1. */
static int
wait_ack(int fd, __u32 cookie)
{
	const struct proc_event *ev;
	struct pollfd pfd = { fd, POLLIN, 0 };
	char buf[EXITEV_MSG];
	const struct cn_msg *cn;
	ssize_t n;

	while (poll(&pfd, 1, EXITEV_ACK_MS) == 1) {
		if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) <= 0)
			continue;
		if ((ev = event_of(buf, (size_t)n)) == NULL ||
		    ev->what != PROC_EVENT_NONE)
			continue;
		cn = NLMSG_DATA((const struct nlmsghdr *)(const void *)buf);
		if (cn->ack != cookie + 1)
			continue;
		if (ev->event_data.ack.err == 0)
			return 0;
		errno = (int)ev->event_data.ack.err;
		return -1;
	}
	errno = ETIMEDOUT;
	return -1;
}

/* PROC_CN_MCAST_LISTEN: for every event (the old form), or for exits. */
static int
subscribe(int fd, int exits_only, __u32 cookie)
{
	struct exitev_request req;
	size_t len = exits_only ? sizeof(req.in) : sizeof(req.in.mcast_op);

	memset(&req, 0, sizeof(req));
	req.nl.nlmsg_len = (__u32)(sizeof(req) - sizeof(req.in) + len);
	req.nl.nlmsg_type = NLMSG_DONE;
	req.nl.nlmsg_pid = (__u32)getpid();
	req.cn.id.idx = CN_IDX_PROC;
	req.cn.id.val = CN_VAL_PROC;
	req.cn.ack = cookie;
	req.cn.len = (__u16)len;
	req.in.mcast_op = PROC_CN_MCAST_LISTEN;
	req.in.event_type = PROC_EVENT_EXIT;
	return send(fd, &req, req.nl.nlmsg_len, 0) == -1 ? -1 : 0;
}

/* A socket of exit events, or -1 with errno. */
int
exitev_open(void)
{
	struct sockaddr_nl sa;
	__u32 cookie = (__u32)getpid();
	int fd, size = EXITEV_RCVBUF, err;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_CONNECTOR)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = CN_IDX_PROC;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size))
	    == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	if (subscribe(fd, 0, cookie) == -1 || wait_ack(fd, cookie) == -1 ||
	    subscribe(fd, 1, cookie) == -1)
		goto fail;
	return fd;
fail:
	err = errno;
	(void)close(fd);
	errno = err;
	return -1;
}

/*
 * Call fn for each process of parent's that exited, up to EXITEV_BATCH
 * a call. Returns the messages read, 0 when there are none, or -1 with
 * errno: ENOBUFS means events were lost.
 */
int
exitev_read(int fd, pid_t parent, void (*fn)(void *, pid_t), void *arg)
{
	char buf[EXITEV_BATCH][EXITEV_MSG];
	struct mmsghdr msg[EXITEV_BATCH];
	struct iovec iov[EXITEV_BATCH];
	const struct proc_event *ev;
	int i, n;

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < EXITEV_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	if ((n = recvmmsg(fd, msg, EXITEV_BATCH, MSG_DONTWAIT, NULL)) == -1)
		return errno == EAGAIN ? 0 : -1;
	for (i = 0; i < n; i++) {
		ev = event_of(buf[i], msg[i].msg_len);
		/* A thread's exit too: the process is reapable at its last. */
		if (ev != NULL && ev->what == PROC_EVENT_EXIT &&
		    ev->event_data.exit.parent_tgid == parent)
			fn(arg, ev->event_data.exit.process_tgid);
	}
	return n;
}
