/* loop.c: the event loop's watch table: each descriptor's events and handler. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "loop.h"
#include "loop_sys.h"

struct watch {
	int		 events;	/* LOOP_READ, LOOP_WRITE; 0: unwatched */
	loop_handler	*handler;
	void		*arg;
	unsigned long long pass;	/* the pass in which it was last (re)installed */
};

static struct watch	*watches;	/* indexed by descriptor */
static int		 size;		/* entries of watches */
static unsigned long long pass;		/* counts loop_wait() calls */

int
loop_init(int max_fds)
{
	struct watch *w;
	int n = loop_sys_ceiling();

	if (max_fds < n)
		n = max_fds;
	if (n < 1) {
		errno = EINVAL;
		return -1;
	}
	if ((w = calloc((size_t)n, sizeof *w)) == NULL)
		return -1;
	if (loop_sys_init(n) == -1) {
		free(w);
		return -1;
	}
	free(watches);
	watches = w;
	size = n;
	return 0;
}

int
loop_capacity(void)
{
	return watches != NULL ? size : loop_sys_ceiling();
}

int
loop_watch(int fd, int events, loop_handler *h, void *arg)
{
	struct watch *w;

	if (fd < 0 || fd >= size) {
		errno = EBADF;
		return -1;
	}
	w = &watches[fd];
	events &= LOOP_READ | LOOP_WRITE;
	if (events == 0 || h == NULL) {
		events = 0;
		h = NULL;
		arg = NULL;
	}
	if (events != w->events && loop_sys_set(fd, w->events, events) == -1)
		return -1;
	/*
	 * A descriptor watched anew while the loop dispatches may be a new
	 * file on an old number: what the kernel said about the old one
	 * must not reach it.
	 */
	if (events && (w->events == 0 || w->handler != h || w->arg != arg))
		w->pass = pass;
	w->events = events;
	w->handler = h;
	w->arg = arg;
	return 0;
}

void
loop_dispatch(int fd, int ready)
{
	struct watch *w;

	if (fd < 0 || fd >= size)
		return;
	w = &watches[fd];
	if (w->pass == pass || (ready &= w->events) == 0)
		return;
	w->handler(fd, ready, w->arg);
}

int
loop_wait(long timeout_ms)
{
	pass++;
	return loop_sys_wait(timeout_ms);
}

long long
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
