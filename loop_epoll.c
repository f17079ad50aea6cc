/* loop_epoll.c: the loop backend on Linux epoll: cost by ready descriptors, not watched ones. */
#include "loop_sys.h"

#ifdef LOOP_USE_EPOLL
#include <sys/epoll.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "loop.h"

static int			epfd = -1;
static struct epoll_event	events[LOOP_EVENTS_MAX];

const char *
loop_backend(void)
{
	return "epoll";
}

int
loop_sys_ceiling(void)
{
	return INT_MAX;
}

int
loop_sys_init(int size)
{
	int fd;

	(void)size;
	if ((fd = epoll_create(LOOP_EVENTS_MAX)) == -1)
		return -1;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (epfd != -1)
		close(epfd);
	epfd = fd;
	return 0;
}

int
loop_sys_set(int fd, int old, int want)
{
	struct epoll_event ev;
	int op;

	ev.events = ((want & LOOP_READ) ? EPOLLIN : 0) |
	    ((want & LOOP_WRITE) ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (old == 0)
		op = EPOLL_CTL_ADD;
	else if (want == 0)
		op = EPOLL_CTL_DEL;
	else
		op = EPOLL_CTL_MOD;
	return epoll_ctl(epfd, op, fd, &ev);
}

int
loop_sys_wait(long timeout_ms)
{
	int n, i, ready;
	unsigned re;

	if (timeout_ms > INT_MAX)
		timeout_ms = INT_MAX;
	if ((n = epoll_wait(epfd, events, LOOP_EVENTS_MAX, timeout_ms < 0 ?
	    -1 : (int)timeout_ms)) == -1)
		return errno == EINTR ? 0 : -1;
	/* Level-triggered: what is not handled now is reported again. */
	for (i = 0; i < n; i++) {
		re = events[i].events;
		ready = ((re & EPOLLIN) ? LOOP_READ : 0) |
		    ((re & EPOLLOUT) ? LOOP_WRITE : 0);
		if (re & (EPOLLERR | EPOLLHUP))
			ready = LOOP_READ | LOOP_WRITE;
		loop_dispatch(events[i].data.fd, ready);
	}
	return n;
}
#else
typedef int loop_epoll_unused;	/* ISO C wants something in a file */
#endif
