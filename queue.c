/* queue.c: shared reference-counted chunks and bounded per-connection output queues. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "queue.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0	/* where it is missing, SIGPIPE is ignored anyway */
#endif

static size_t memory;	/* outq_memory() */

/*
 * send() and sendmsg() where writev() would do: a socket's write through
 * the file layer costs about 8% more per call (measured on Linux
 * loopback), and a broadcast is one such call per stream.  Anything but
 * a socket gets writev().
 */
static ssize_t
send_iov(int fd, struct iovec *iov, unsigned n)
{
	struct msghdr m;
	ssize_t w;

	if (n == 1)
		w = send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
	else {
		memset(&m, 0, sizeof m);
		m.msg_iov = iov;
		m.msg_iovlen = n;
		w = sendmsg(fd, &m, MSG_NOSIGNAL);
	}
	if (w == -1 && errno == ENOTSOCK)
		w = writev(fd, iov, (int)n);
	return w;
}

struct chunk *
chunk_new(const void *data, size_t len)
{
	struct chunk *c;

	if ((c = malloc(sizeof *c + len)) == NULL)
		return NULL;
	c->refs = 1;
	c->queued = 0;
	c->len = len;
	memcpy(c->data, data, len);
	return c;
}

struct chunk *
chunk_from_buf(struct buf *b)
{
	struct chunk *c = NULL;

	if (!b->failed)
		c = chunk_new(b->data, b->len);
	buf_free(b);
	return c;
}

struct chunk *
chunk_ref(struct chunk *c)
{
	c->refs++;
	return c;
}

void
chunk_unref(struct chunk *c)
{
	if (c != NULL && --c->refs == 0)
		free(c);
}

void
outq_init(struct outq *q)
{
	memset(q, 0, sizeof *q);
}

/* Doubles the ring, keeping the queued entries in order. */
static int
outq_grow(struct outq *q)
{
	unsigned cap = q->cap ? q->cap * 2 : OUTQ_RING_MIN, i;
	struct chunk **ring;

	if ((ring = malloc(cap * sizeof *ring)) == NULL)
		return -1;
	for (i = 0; i < q->count; i++)
		ring[i] = q->ring[(q->head + i) & (q->cap - 1)];
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int
outq_push(struct outq *q, struct chunk *c, size_t limit)
{
	/* One chunk always fits an empty queue: a long line must not cut everyone. */
	if (q->count > 0 && (c->len > limit || q->bytes > limit - c->len))
		return -1;
	if (q->count == q->cap && outq_grow(q) == -1)
		return -1;
	q->ring[(q->head + q->count) & (q->cap - 1)] = chunk_ref(c);
	if (c->queued++ == 0)
		memory += c->len;
	memory += sizeof c;
	q->count++;
	q->bytes += c->len;
	return 0;
}

/* A queue lets go of a chunk. */
static void
drop(struct chunk *c)
{
	memory -= sizeof c;
	if (--c->queued == 0)
		memory -= c->len;
	chunk_unref(c);
}

/* Drops n written bytes from the front of the queue. */
static void
outq_consume(struct outq *q, size_t n)
{
	struct chunk *c;

	q->bytes -= n;
	while (n > 0) {
		c = q->ring[q->head];
		if (n < c->len - q->off) {
			q->off += n;
			return;
		}
		n -= c->len - q->off;
		q->off = 0;
		drop(c);
		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
	}
	/*
	 * A stream's ring grows to hold its replayed history and then sits
	 * idle for hours: once empty, give back a ring larger than the least.
	 */
	if (q->count == 0 && q->cap > OUTQ_RING_MIN) {
		free(q->ring);
		q->ring = NULL;
		q->cap = q->head = 0;
		q->off = 0;
	}
}

ssize_t
outq_write(struct outq *q, int fd, size_t max)
{
	struct iovec iov[OUTQ_IOV_MAX];
	size_t total = 0, off = q->off, len;
	unsigned i, n = 0;
	struct chunk *c;
	ssize_t w;

	for (i = 0; i < q->count && n < OUTQ_IOV_MAX && total < max; i++) {
		c = q->ring[(q->head + i) & (q->cap - 1)];
		len = c->len - off;
		if (len > max - total)
			len = max - total;
		iov[n].iov_base = c->data + off;
		iov[n].iov_len = len;
		total += len;
		n++;
		off = 0;
	}
	if (n == 0)
		return 0;
	do
		w = send_iov(fd, iov, n);
	while (w == -1 && errno == EINTR);
	if (w == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	outq_consume(q, (size_t)w);
	return w;
}

void
outq_clear(struct outq *q)
{
	while (q->count > 0) {
		drop(q->ring[q->head]);
		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
	}
	free(q->ring);
	outq_init(q);
}

size_t
outq_memory(void)
{
	return memory;
}
