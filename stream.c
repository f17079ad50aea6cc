/* stream.c: one open stream of a session: its connection handle, format, cursor, budget and kept notices. */
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "stream.h"

static const struct stream_io *io;
static const struct conn_handle closed = { -1, 0 };

void
stream_init(const struct stream_io *ops)
{
	io = ops;
}

void
stream_reset(struct stream *st)
{
	memset(st, 0, sizeof *st);
	st->conn = closed;
}

static struct event *
pop_pending(struct stream *st)
{
	struct event *ev;

	if (st->npending == 0)
		return NULL;
	ev = st->pending[st->pfirst];
	st->pfirst = (st->pfirst + 1) % STREAM_PENDING_MAX;
	st->npending--;
	return ev;
}

void
stream_clear(struct stream *st)
{
	struct event *ev;

	while ((ev = pop_pending(st)) != NULL)
		event_unref(ev);
}

int
stream_is_open(const struct stream *st)
{
	return st->conn.fd >= 0;
}

/* Queues one chunk; 0, or -1 if the connection is gone or cut off. */
static int
send_chunk(struct stream *st, struct chunk *c, long long now)
{
	int rc;

	if (c == NULL)
		return -1;
	rc = io->send(st->conn, c);
	chunk_unref(c);
	if (rc == 0)
		st->last_send = now;
	return rc;
}

/* Header lines for the heads of streams begun until it is reset. */
static const char *head_extra;

void
stream_head_extra(const char *lines)
{
	head_extra = lines != NULL && *lines ? lines : NULL;
}

/*
 * The format's shared head with head_extra before its blank line: a
 * copy for this stream alone.  Without extra lines, the shared head.
 */
static struct chunk *
head_with_extra(struct chunk *c)
{
	struct chunk *n;
	size_t i, at, el;
	char *tmp;

	if (c == NULL || head_extra == NULL)
		return c;
	for (i = 0, at = 0; i + 4 <= c->len; i++)
		if (memcmp(c->data + i, "\r\n\r\n", 4) == 0) {
			at = i + 2;
			break;
		}
	if (at == 0)
		return c;
	el = strlen(head_extra);
	if ((tmp = malloc(c->len + el)) == NULL) {
		chunk_unref(c);
		return NULL;
	}
	memcpy(tmp, c->data, at);
	memcpy(tmp + at, head_extra, el);
	memcpy(tmp + at + el, c->data + at, c->len - at);
	n = chunk_new(tmp, c->len + el);
	free(tmp);
	chunk_unref(c);
	return n;
}

int
stream_begin(struct stream *st, struct conn_handle conn, const struct fmt *f,
    int framing, const char *sid, int budget, long long now)
{
	struct event *ev;
	int rc = 0;

	st->conn = conn;
	st->fmt = f;
	st->framing = framing;
	memcpy(st->sid, sid, sizeof st->sid - 1);
	st->sid[sizeof st->sid - 1] = '\0';
	st->cursor = 0;
	st->lines = 0;
	st->budget = f->reload != NULL ? budget : 0;
	st->closing = 0;
	st->last_send = now;
	stats_stream(f->name, 1);
	if (f->head != NULL && send_chunk(st, head_with_extra(f->head(framing)),
	    now) == -1)
		rc = -1;
	/* Kept notices go first, and do not count against the budget. */
	while ((ev = pop_pending(st)) != NULL) {
		if (rc == 0 && send_chunk(st, event_bytes(ev, f, framing, 0,
		    st->sid), now) == -1)
			rc = -1;
		event_unref(ev);
	}
	return rc;
}

static void
keep(struct stream *st, struct event *ev)
{
	if (st->npending == STREAM_PENDING_MAX)
		event_unref(pop_pending(st));
	st->pending[(st->pfirst + st->npending) % STREAM_PENDING_MAX] =
	    event_ref(ev);
	st->npending++;
}

/* Ends an open stream, its last bytes (NULL: none) queued first. */
static void
finish(struct stream *st, struct chunk *last)
{
	struct conn_handle h = st->conn;

	st->conn = closed;
	stats_stream(st->fmt->name, -1);
	if (last != NULL) {
		io->send(h, last);
		chunk_unref(last);
	}
	io->end(h);
}

/* Ends the stream with the format's reload line (the budget ran out). */
static void
end_reload(struct stream *st)
{
	finish(st, st->fmt->reload(st->sid, st->cursor));
}

void
stream_reload(struct stream *st)
{
	if (stream_is_open(st) && st->fmt->reload != NULL)
		end_reload(st);
}

struct event *
stream_take_kept(struct stream *st)
{
	return stream_is_open(st) ? NULL : pop_pending(st);
}

void
stream_set_budget(struct stream *st, int budget)
{
	st->budget = st->fmt != NULL && st->fmt->reload != NULL ? budget : 0;
	st->lines = 0;
}

int
stream_event(struct stream *st, struct event *ev, int marked, long long now)
{
	struct chunk *c;

	if (!stream_is_open(st)) {
		if (ev->id == 0 && (ev->kind == EVENT_NOTICE ||
		    ev->kind == EVENT_WHISPER))
			keep(st, ev);
		return STREAM_DROPPED;
	}
	c = event_bytes(ev, st->fmt, st->framing, marked, st->sid);
	if (send_chunk(st, c, now) == -1)
		return STREAM_DROPPED;
	stats_delivery();
	if (ev->id != 0)
		st->cursor = ev->id;
	if (st->budget > 0 && ++st->lines >= st->budget && !st->closing) {
		end_reload(st);
		return STREAM_RELOADED;
	}
	return STREAM_SENT;
}

size_t
stream_event_size(struct stream *st, struct event *ev, int marked)
{
	struct chunk *c;
	size_t n;

	if ((c = event_bytes(ev, st->fmt, st->framing, marked, st->sid)) == NULL)
		return 0;
	n = c->len;
	chunk_unref(c);
	return n;
}

void
stream_set_cursor(struct stream *st, unsigned long long cursor)
{
	st->cursor = cursor;
}

void
stream_set_closing(struct stream *st, int closing)
{
	st->closing = closing;
}

void
stream_idle(struct stream *st, long long now, long long interval)
{
	struct chunk *c;

	if (!stream_is_open(st) || now - st->last_send < interval)
		return;
	if ((c = st->fmt->keepalive(st->framing)) != NULL) {
		io->send(st->conn, c);
		chunk_unref(c);
	}
	st->last_send = now;
}

void
stream_end(struct stream *st, struct event *last)
{
	if (!stream_is_open(st))
		return;
	finish(st, last != NULL ? event_bytes(last, st->fmt, st->framing, 0,
	    st->sid) : NULL);
}

void
stream_end_with(struct stream *st, const char *why)
{
	struct event *ev = NULL;

	if (!stream_is_open(st))
		return;
	if (why != NULL)
		ev = event_new(EVENT_END, NULL, why);
	stream_end(st, ev);
	event_unref(ev);
}

int
stream_lost(struct stream *st, struct conn_handle conn)
{
	if (st->conn.fd < 0 || st->conn.fd != conn.fd ||
	    st->conn.gen != conn.gen)
		return 0;
	st->conn = closed;	/* the connection layer ignores the stale handle */
	stats_stream(st->fmt->name, -1);
	return 1;
}
