/* fmt_ws.c: the WebSocket stream: each event one text frame holding its event object. */
#include <string.h>

#include "buf.h"
#include "event.h"
#include "fmt.h"
#include "fmt_json.h"
#include "queue.h"
#include "ws.h"

/*
 * One text frame: the head, then the object.  Numbered events are
 * rendered once and every WebSocket reader shares the chunk.
 */
static struct chunk *
ws_event(const struct event *ev, int marked, int framing, const char *sid)
{
	char head[WS_SERVER_HEAD_MAX];
	struct chunk *c = NULL;
	struct buf obj, frame;
	size_t n;

	(void)framing;
	(void)sid;
	buf_init(&obj);
	buf_init(&frame);
	fmt_json_object(&obj, ev, marked);
	if (!obj.failed) {
		n = ws_text_head(head, obj.len);
		buf_add(&frame, head, n);
		buf_add(&frame, obj.data, obj.len);
		if (!frame.failed)
			c = chunk_new(frame.data, frame.len);
	}
	buf_free(&obj);
	buf_free(&frame);
	return c;
}

/* An empty ping: the client's pong shows it is still there. */
static struct chunk *
ws_keepalive(int framing)
{
	char frame[WS_CONTROL_FRAME_MAX];

	(void)framing;
	return chunk_new(frame, ws_ping_frame(frame, "", 0));
}

/*
 * No head (the route wrote the 101, which needs the client's key) and no
 * reload: a script's socket keeps no page that grows.
 */
const struct fmt fmt_ws = {
	"ws", EVENT_SLOT_WS, 1,
	NULL, ws_event, ws_keepalive, NULL
};
