/* loop.c: the event loop on select(): watch descriptors, wait with a timeout. */
#include <sys/select.h>
#include <sys/time.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "loop.h"

static fd_set	watch_read, watch_write;
static int	watch_max = -1;		/* highest watched fd, or -1 */

void
loop_init(void)
{
	FD_ZERO(&watch_read);
	FD_ZERO(&watch_write);
	watch_max = -1;
}

int
loop_capacity(void)
{
	return FD_SETSIZE;
}

int
loop_watch(int fd, int events)
{
	if (fd < 0 || fd >= FD_SETSIZE)
		return -1;
	if (events & LOOP_READ)
		FD_SET(fd, &watch_read);
	else
		FD_CLR(fd, &watch_read);
	if (events & LOOP_WRITE)
		FD_SET(fd, &watch_write);
	else
		FD_CLR(fd, &watch_write);
	if (events && fd > watch_max)
		watch_max = fd;
	while (watch_max >= 0 && !FD_ISSET(watch_max, &watch_read) &&
	    !FD_ISSET(watch_max, &watch_write))
		watch_max--;
	return 0;
}

int
loop_wait(long timeout_ms, loop_handler *handler, void *arg)
{
	fd_set rd = watch_read, wr = watch_write;
	struct timeval tv, *tvp = NULL;
	int n, fd, ready, top = watch_max, left;

	if (timeout_ms >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		tvp = &tv;
	}
	n = select(top + 1, &rd, &wr, NULL, tvp);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (fd = 0, left = n; fd <= top && left > 0; fd++) {
		ready = (FD_ISSET(fd, &rd) ? LOOP_READ : 0) |
		    (FD_ISSET(fd, &wr) ? LOOP_WRITE : 0);
		if (ready) {
			left--;
			handler(fd, ready, arg);
		}
	}
	return n;
}

long long
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
