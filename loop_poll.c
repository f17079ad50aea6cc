/* loop_poll.c: the loop backend on poll(): portable, no limit on descriptor numbers. */
#include "loop_sys.h"

#ifdef LOOP_USE_POLL
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>

#include "loop.h"

struct hit {
	int	fd, ready;
};

static struct pollfd	*pfds;		/* the watched descriptors, packed */
static int		 npfds;
static int		*slot;		/* by descriptor: its index in pfds, or -1 */
static struct hit	*hits;		/* one wait's ready descriptors */
static int		 size;

const char *
loop_backend(void)
{
	return "poll";
}

int
loop_sys_ceiling(void)
{
	return INT_MAX;
}

int
loop_sys_init(int n)
{
	struct pollfd *p;
	struct hit *h;
	int *s, i;

	p = calloc((size_t)n, sizeof *p);
	h = calloc((size_t)n, sizeof *h);
	s = calloc((size_t)n, sizeof *s);
	if (p == NULL || h == NULL || s == NULL) {
		free(p);
		free(h);
		free(s);
		return -1;
	}
	for (i = 0; i < n; i++)
		s[i] = -1;
	free(pfds);
	free(hits);
	free(slot);
	pfds = p;
	hits = h;
	slot = s;
	size = n;
	npfds = 0;
	return 0;
}

static short
poll_events(int events)
{
	return (short)(((events & LOOP_READ) ? POLLIN : 0) |
	    ((events & LOOP_WRITE) ? POLLOUT : 0));
}

int
loop_sys_set(int fd, int old, int events)
{
	int i;

	(void)old;
	if ((i = slot[fd]) == -1) {
		i = slot[fd] = npfds++;
		pfds[i].fd = fd;
	}
	if (events) {
		pfds[i].events = poll_events(events);
		return 0;
	}
	/* The last entry fills the hole. */
	pfds[i] = pfds[--npfds];
	slot[pfds[i].fd] = i;
	slot[fd] = -1;
	return 0;
}

int
loop_sys_wait(long timeout_ms)
{
	int n, i, k, ready;
	short re;

	if (timeout_ms > INT_MAX)
		timeout_ms = INT_MAX;
	if ((n = poll(pfds, (nfds_t)npfds, timeout_ms < 0 ? -1 :
	    (int)timeout_ms)) == -1)
		return errno == EINTR ? 0 : -1;
	/*
	 * Handlers reorder pfds as they change watches: take the answers
	 * out first.  An error or hangup wakes whatever is watched, so the
	 * handler's read or write meets it.
	 */
	for (i = k = 0; i < npfds && k < n; i++) {
		if ((re = pfds[i].revents) == 0)
			continue;
		ready = ((re & POLLIN) ? LOOP_READ : 0) |
		    ((re & POLLOUT) ? LOOP_WRITE : 0);
		if (re & (POLLERR | POLLHUP | POLLNVAL))
			ready = LOOP_READ | LOOP_WRITE;
		hits[k].fd = pfds[i].fd;
		hits[k++].ready = ready;
	}
	for (i = 0; i < k; i++)
		loop_dispatch(hits[i].fd, hits[i].ready);
	return n;
}
#else
typedef int loop_poll_unused;	/* ISO C wants something in a file */
#endif
