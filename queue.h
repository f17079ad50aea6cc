/* queue.h: shared reference-counted chunks and bounded per-connection output queues. */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Bytes rendered once and queued to many connections: a broadcast makes one
 * chunk and every listener's queue holds a reference to it.
 */
struct chunk {
	unsigned	refs;
	unsigned	queued;		/* of those refs, the queues' */
	size_t		len;
	char		data[];
};

/* A new chunk holding a copy of the bytes, with one reference; NULL if out of memory. */
struct chunk	*chunk_new(const void *, size_t);
struct buf;
/* A chunk of what the buffer holds, then frees it; NULL if it failed. */
struct chunk	*chunk_from_buf(struct buf *);
struct chunk	*chunk_ref(struct chunk *);
void		 chunk_unref(struct chunk *);	/* frees at zero; NULL is fine */

/* A FIFO of chunk references; `off` bytes of the first one are already sent. */
struct outq {
	struct chunk	**ring;
	unsigned	  cap;		/* a power of two, or 0 */
	unsigned	  head;
	unsigned	  count;
	size_t		  off;
	size_t		  bytes;	/* unsent bytes in the queue */
};

#define OUTQ_IOV_MAX	64	/* chunks handed to one writev() */
#define OUTQ_RING_MIN	8	/* entries of a new ring; larger ones are freed when empty */

void	outq_init(struct outq *);

/*
 * Queues a new reference to the chunk unless that would make the unsent
 * bytes of a non-empty queue exceed limit (an empty queue takes any one
 * chunk).  Returns 0, or -1 (nothing queued) when over the limit or out of
 * memory.
 */
int	outq_push(struct outq *, struct chunk *, size_t limit);

/*
 * Writes queued bytes to a non-blocking fd with writev(), at most max bytes.
 * Returns the bytes written (0 when the socket is full), or -1 with errno
 * set on a write error.
 */
ssize_t	outq_write(struct outq *, int fd, size_t max);

/* Drops every queued reference and frees the ring. */
void	outq_clear(struct outq *);

/*
 * The memory that all queues hold: each chunk once however many queues
 * hold it (a broadcast is one chunk), and a ring entry per reference.
 */
size_t	outq_memory(void);

#endif
