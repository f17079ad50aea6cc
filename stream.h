/* stream.h: one open stream of a session: its connection handle, format, cursor, budget and kept notices. */
#ifndef STREAM_H
#define STREAM_H

#include "event.h"
#include "fmt.h"
#include "queue.h"

#define STREAM_PENDING_MAX	64	/* notices kept while no stream is open */
#define STREAM_SID_BYTES	33	/* a session id and NUL */

/*
 * A reference to the connection of a stream: the descriptor and the
 * generation of its slot, which the connection layer bumps whenever the
 * slot is freed, so a handle that outlived its connection matches
 * nothing.  fd -1: no stream.
 */
struct conn_handle {
	int		 fd;
	unsigned	 gen;
};

/* How streams reach the connection layer; they never write() themselves. */
struct stream_io {
	/* Queues a chunk on a connection; -1 if it is gone, stale or cut off. */
	int	(*send)(struct conn_handle, struct chunk *);
	/* Closes a connection once its queued bytes are written; stale: nothing. */
	void	(*end)(struct conn_handle);
};

/*
 * A session's stream slot: open (conn.fd >= 0) or not.  Unnumbered
 * notices and whispers that come while it is closed wait in `pending`
 * and go first on the next stream.
 */
struct stream {
	struct conn_handle conn;
	const struct fmt *fmt;
	int		 framing;	/* the format's per-transport choice */
	char		 sid[STREAM_SID_BYTES];	/* for reloads and links */
	unsigned long long cursor;	/* last numbered event delivered */
	int		 lines;		/* events sent on this stream */
	int		 budget;	/* lines before a reload; 0: none */
	int		 closing;	/* lines never reload: its end comes */
	long long	 last_send;	/* ms; for keepalives */
	struct event	*pending[STREAM_PENDING_MAX];	/* a ring */
	unsigned	 pfirst, npending;
};

void	stream_init(const struct stream_io *);

/*
 * Header lines (each ending in CRLF) that the heads of streams begun
 * from now on carry, such as CORS for a request from an -O origin;
 * NULL or "": none.  The caller keeps the string until it resets this.
 */
void	stream_head_extra(const char *lines);

/* A closed stream slot with nothing pending. */
void	stream_reset(struct stream *);

/* Drops the kept notices (the session goes). */
void	stream_clear(struct stream *);

int	stream_is_open(const struct stream *);

/*
 * Opens the slot on a connection: queues the format's head and the kept
 * notices.  The slot must be closed (stream_end() it first).  budget is
 * the line budget (0: none; also none when the format has no reload).
 * Returns 0, or -1 if the head could not be queued (the connection is
 * cut off; the stream stays open until the loss is reported).
 */
int	stream_begin(struct stream *, struct conn_handle, const struct fmt *,
	    int framing, const char *sid, int budget, long long now);

#define STREAM_SENT	0
#define STREAM_DROPPED	1	/* closed or cut off: nothing sent (maybe kept) */
#define STREAM_RELOADED	2	/* sent, and the line budget ended the stream */

/*
 * Sends an event in the stream's format (marked: the mention variant).
 * A closed stream keeps unnumbered notices and whispers (at most
 * STREAM_PENDING_MAX, the oldest dropped first).
 */
int	stream_event(struct stream *, struct event *, int marked, long long now);

/* The size of an event in the stream's format (rendering it); 0 if out of memory. */
size_t	stream_event_size(struct stream *, struct event *, int marked);

/*
 * Ends an open stream the way a spent line budget does, with its format's
 * reload bytes (a long poll's answer ends so); nothing for a format
 * without them.
 */
void	stream_reload(struct stream *);

/* The oldest notice kept while the stream is closed (the caller unrefs it), or NULL. */
struct event *stream_take_kept(struct stream *);

/* A new line budget, counted from now (0: none); only for a format that reloads. */
void	stream_set_budget(struct stream *, int);

void	stream_set_cursor(struct stream *, unsigned long long);
void	stream_set_closing(struct stream *, int);

/* Queues the keepalive if the stream was idle for interval ms. */
void	stream_idle(struct stream *, long long now, long long interval);

/*
 * The one way a stream ends, idempotent: the slot lets go of the handle
 * first, so nothing the last line sets off can end it twice.  last (a
 * kind EVENT_END or NULL) goes out whole, never counted against the budget.
 */
void	stream_end(struct stream *, struct event *last);

/* Like stream_end() with an EVENT_END line saying why (NULL: none). */
void	stream_end_with(struct stream *, const char *why);

/*
 * The connection of conn is gone: if it is this stream's, the slot closes
 * (writing nothing) and 1 is returned; a stale handle changes nothing (0).
 */
int	stream_lost(struct stream *, struct conn_handle);

#endif
