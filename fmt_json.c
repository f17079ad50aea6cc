/* fmt_json.c: the event object of the JSON transports, over Server-Sent Events and long polling. */
#include <string.h>

#include "buf.h"
#include "event.h"
#include "fmt.h"
#include "fmt_json.h"
#include "http.h"
#include "json.h"

/* A response head and prologue, made once: a new reference, or NULL. */
static struct chunk *
head_once(struct chunk **keep, const char *type, const char *prologue)
{
	struct buf b;

	if (*keep == NULL) {
		buf_init(&b);
		http_response_head(&b, HTTP_OK, type, -1, HTTP_NO_STORE);
		buf_adds(&b, prologue);
		*keep = chunk_from_buf(&b);
	}
	return *keep ? chunk_ref(*keep) : NULL;
}

/* Kinds whose text is the user's, shown even when empty (a cleared topic). */
static int
has_text(enum event_kind k)
{
	return k == EVENT_MSG || k == EVENT_ACTION || k == EVENT_WHISPER ||
	    k == EVENT_TOPIC;
}

void
fmt_json_object(struct buf *b, const struct event *ev, int marked)
{
	json_obj_begin(b);
	if (ev->id != 0)
		json_kv_ull(b, "id", ev->id);
	json_kv_str(b, "type", event_kind_name(ev->kind));
	json_kv_time(b, "time", ev->time);
	if (*ev->room)
		json_kv_str(b, "room", ev->room);
	if (*ev->from.name) {
		json_kv_str(b, "from", ev->from.name);
		if (*ev->from.color)
			json_kv_str(b, "color", ev->from.color);
		if (ev->from.backend)
			json_kv_bool(b, "backend", 1);
	}
	if (*ev->to.name)
		json_kv_str(b, "to", ev->to.name);
	if (*ev->text || has_text(ev->kind))
		json_kv_str(b, "text", ev->text);
	if (ev->kind == EVENT_MSG || ev->kind == EVENT_ACTION ||
	    ev->kind == EVENT_WHISPER)
		json_kv_bool(b, "mention", marked);
	json_obj_end(b);
}

static struct chunk *
sse_head(int framing)
{
	static struct chunk *head;

	(void)framing;
	/* A comment at once, so a client sees the stream open. */
	return head_once(&head, FMT_SSE_TYPE, ":\n\n");
}

/* One SSE event; JSON holds no raw newline, so data is one line. */
static struct chunk *
sse_event(const struct event *ev, int marked, int framing, const char *sid)
{
	struct buf b;

	(void)framing;
	(void)sid;
	buf_init(&b);
	if (ev->id != 0)
		buf_printf(&b, "id: %llu\n", ev->id);
	buf_printf(&b, "event: %s\ndata: ", event_kind_name(ev->kind));
	fmt_json_object(&b, ev, marked);
	buf_adds(&b, "\n\n");
	return chunk_from_buf(&b);
}

static struct chunk *
sse_keepalive(int framing)
{
	(void)framing;
	return chunk_new(":\n\n", 3);
}

static struct chunk *
poll_head(int framing)
{
	static struct chunk *head;

	(void)framing;
	return head_once(&head, FMT_JSON_TYPE, "{\"events\":[");
}

/* The event object; an end line also closes the answer, with no next. */
static struct chunk *
poll_event(const struct event *ev, int marked, int framing, const char *sid)
{
	struct buf b;

	(void)framing;
	(void)sid;
	buf_init(&b);
	fmt_json_object(&b, ev, marked);
	if (ev->kind == EVENT_END)
		buf_adds(&b, "]}");
	return chunk_from_buf(&b);
}

/* Nothing: JSON has no comment, and a poll is answered within a minute. */
static struct chunk *
poll_keepalive(int framing)
{
	(void)framing;
	return NULL;
}

/* The answer's end: where the next poll starts. */
static struct chunk *
poll_reload(const char *sid, unsigned long long cursor)
{
	struct buf b;

	(void)sid;
	buf_init(&b);
	buf_addc(&b, ']');
	json_kv_ull(&b, "next", cursor);	/* its comma: after ']' */
	buf_adds(&b, "}");
	return chunk_from_buf(&b);
}

const struct fmt fmt_json_sse = {
	"sse", EVENT_SLOT_JSON, 1,
	sse_head, sse_event, sse_keepalive, NULL
};

const struct fmt fmt_json_poll = {
	"poll", EVENT_SLOT_JSON + 1, 1,
	poll_head, poll_event, poll_keepalive, poll_reload
};
