/* loop.h: the event loop: each descriptor its own handler, a wait with a timeout. */
#ifndef LOOP_H
#define LOOP_H

#define LOOP_READ	0x1
#define LOOP_WRITE	0x2

#define LOOP_EVENTS_MAX	1024	/* ready descriptors taken from the kernel per wait */

/*
 * Called for each ready descriptor with the events it is ready for (never
 * more than it watches).  A handler may change or drop any watch,
 * including others', while the loop dispatches: a descriptor unwatched, or
 * watched anew, earlier in the same pass is skipped.
 */
typedef void loop_handler(int fd, int ready, void *arg);

/*
 * Prepares an empty watch set for descriptors below max_fds (fewer if the
 * backend cannot watch that many: see loop_capacity()).  0, or -1 on
 * failure (errno set).
 */
int	loop_init(int max_fds);

/* The backend this build uses: "epoll", "kqueue", "poll" or "select". */
const char *loop_backend(void);

/*
 * One more than the highest descriptor loop_watch() accepts.  Before
 * loop_init(), the ceiling of the backend (FD_SETSIZE for select, INT_MAX
 * for the others); after it, the smaller of that and max_fds.
 */
int	loop_capacity(void);

/*
 * Watches fd for events (LOOP_READ, LOOP_WRITE) and calls h(fd, ready, arg)
 * when it is ready.  Events 0 stops watching and forgets the handler: do so
 * before closing fd.  Only a change costs a system call.  0, or -1 if fd is
 * out of range or the kernel refuses (errno set).
 */
int	loop_watch(int fd, int events, loop_handler *h, void *arg);

/*
 * Waits at most timeout_ms (-1: no limit) for watched descriptors, then
 * calls each ready one's handler.  Returns how many were ready, 0 on a
 * timeout or a signal, -1 on other errors (errno set).
 */
int	loop_wait(long timeout_ms);

/* Milliseconds on a monotonic clock. */
long long loop_now_ms(void);

#endif
