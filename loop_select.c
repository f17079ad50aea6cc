/* loop_select.c: the loop backend on select(): portable, at most FD_SETSIZE descriptors. */
#include "loop_sys.h"

#ifdef LOOP_USE_SELECT
#include <sys/select.h>
#include <sys/time.h>

#include <errno.h>
#include <stddef.h>

#include "loop.h"

static fd_set	watch_read, watch_write;
static int	watch_max = -1;		/* highest watched fd, or -1 */

const char *
loop_backend(void)
{
	return "select";
}

int
loop_sys_ceiling(void)
{
	return FD_SETSIZE;
}

int
loop_sys_init(int size)
{
	(void)size;
	FD_ZERO(&watch_read);
	FD_ZERO(&watch_write);
	watch_max = -1;
	return 0;
}

int
loop_sys_set(int fd, int old, int events)
{
	(void)old;
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
loop_sys_wait(long timeout_ms)
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
	/* The sets are copies: handlers changing watches do not disturb this. */
	for (fd = 0, left = n; fd <= top && left > 0; fd++) {
		ready = (FD_ISSET(fd, &rd) ? LOOP_READ : 0) |
		    (FD_ISSET(fd, &wr) ? LOOP_WRITE : 0);
		if (ready) {
			left--;
			loop_dispatch(fd, ready);
		}
	}
	return n;
}
#else
typedef int loop_select_unused;	/* ISO C wants something in a file */
#endif
