/* loop.h: the event loop: watch descriptors for reading and writing, wait with a timeout. */
#ifndef LOOP_H
#define LOOP_H

#define LOOP_READ	0x1
#define LOOP_WRITE	0x2

/*
 * Called for each ready descriptor with the events it is ready for.  The
 * handler may change any watch, including its own, while the loop runs.
 */
typedef void loop_handler(int fd, int ready, void *arg);

/* Prepares an empty watch set. */
void	loop_init(void);

/* One more than the highest descriptor this backend can watch. */
int	loop_capacity(void);

/* Sets the events watched on fd (0 stops watching).  -1 if fd is out of range. */
int	loop_watch(int fd, int events);

/*
 * Waits at most timeout_ms (-1: no limit) for watched descriptors, then
 * calls handler for each ready one.  Returns how many were ready, 0 on a
 * timeout or a signal, -1 on other errors (errno set).
 */
int	loop_wait(long timeout_ms, loop_handler *handler, void *arg);

/* Milliseconds on a monotonic clock. */
long long loop_now_ms(void);

#endif
