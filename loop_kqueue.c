/* loop_kqueue.c: the loop backend on kqueue (the BSDs, macOS). */

/* kqueue is outside POSIX: ask for the system's full interface. */
#undef _XOPEN_SOURCE
#define _DEFAULT_SOURCE 1

#include "loop_sys.h"

#ifdef LOOP_USE_KQUEUE
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

static int		 kq = -1;
static struct kevent	 events[LOOP_EVENTS_MAX];
static unsigned char	*pending;	/* by descriptor: events gathered this wait */
static int		*order;		/* descriptors in pending, first seen first */

const char *
loop_backend(void)
{
	return "kqueue";
}

int
loop_sys_ceiling(void)
{
	return INT_MAX;
}

int
loop_sys_init(int size)
{
	unsigned char *p;
	int *o, fd;

	p = calloc((size_t)size, sizeof *p);
	o = calloc(LOOP_EVENTS_MAX, sizeof *o);
	if (p == NULL || o == NULL || (fd = kqueue()) == -1) {
		free(p);
		free(o);
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (kq != -1)
		close(kq);
	free(pending);
	free(order);
	kq = fd;
	pending = p;
	order = o;
	return 0;
}

/* Reading and writing are two filters: only those that change are sent. */
int
loop_sys_set(int fd, int old, int want)
{
	struct kevent ch[2];
	int n = 0;

	if ((old ^ want) & LOOP_READ) {
		EV_SET(&ch[n], fd, EVFILT_READ,
		    (want & LOOP_READ) ? EV_ADD : EV_DELETE, 0, 0, 0);
		n++;
	}
	if ((old ^ want) & LOOP_WRITE) {
		EV_SET(&ch[n], fd, EVFILT_WRITE,
		    (want & LOOP_WRITE) ? EV_ADD : EV_DELETE, 0, 0, 0);
		n++;
	}
	return kevent(kq, ch, n, NULL, 0, NULL) == -1 ? -1 : 0;
}

int
loop_sys_wait(long timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	int n, i, k, fd;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (timeout_ms % 1000) * 1000000;
		tsp = &ts;
	}
	if ((n = kevent(kq, NULL, 0, events, LOOP_EVENTS_MAX, tsp)) == -1)
		return errno == EINTR ? 0 : -1;
	/* A descriptor ready both ways comes twice: one call for both. */
	for (i = k = 0; i < n; i++) {
		if (events[i].flags & EV_ERROR)
			continue;
		fd = (int)events[i].ident;
		if (pending[fd] == 0)
			order[k++] = fd;
		pending[fd] |= events[i].filter == EVFILT_READ ? LOOP_READ :
		    LOOP_WRITE;
	}
	for (i = 0; i < k; i++) {
		fd = order[i];
		n = pending[fd];
		pending[fd] = 0;
		loop_dispatch(fd, n);
	}
	return k;
}
#else
typedef int loop_kqueue_unused;	/* ISO C wants something in a file */
#endif
