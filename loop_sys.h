/* loop_sys.h: what each loop backend (loop_select.c, loop_poll.c, ...) gives loop.c. */
#ifndef LOOP_SYS_H
#define LOOP_SYS_H

/*
 * The backend: `make LOOP=name` defines LOOP_BACKEND_name; without it, the
 * best the system has.  Every backend file is compiled, and all but the
 * chosen one compile to nothing.
 */
#if defined(LOOP_BACKEND_select)
#define LOOP_USE_SELECT
#elif defined(LOOP_BACKEND_poll)
#define LOOP_USE_POLL
#elif defined(LOOP_BACKEND_epoll)
#define LOOP_USE_EPOLL
#elif defined(LOOP_BACKEND_kqueue)
#define LOOP_USE_KQUEUE
#elif defined(__linux__)
#define LOOP_USE_EPOLL
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#define LOOP_USE_KQUEUE
#else
#define LOOP_USE_POLL
#endif

/* One more than the highest descriptor the backend can ever watch. */
int	loop_sys_ceiling(void);

/* Starts over with nothing watched, for descriptors below size.  0 or -1. */
int	loop_sys_init(int size);

/* Changes what the kernel watches on fd from old to events (they differ). */
int	loop_sys_set(int fd, int old, int events);

/*
 * Waits, then calls loop_dispatch() for each ready descriptor.  Returns
 * how many were ready, 0 on a timeout or EINTR, -1 on errors.
 */
int	loop_sys_wait(long timeout_ms);

/* From the backend: calls fd's current handler, unless it changed this pass. */
void	loop_dispatch(int fd, int ready);

#endif
