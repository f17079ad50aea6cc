/* fmt_json.h: the event object of the JSON transports, over Server-Sent Events and long polling. */
#ifndef FMT_JSON_H
#define FMT_JSON_H

#include "buf.h"
#include "fmt.h"

#define FMT_JSON_TYPE	"application/json; charset=utf-8"
#define FMT_SSE_TYPE	"text/event-stream; charset=utf-8"

struct event;

/*
 * The event object of PROTOCOL section 8: {"id":N, "type":T, "time":...,
 * "room", "from", "color", "to", "text", "mention"}, only the members
 * that apply; notices, room, missed and end have no id.
 */
void	fmt_json_object(struct buf *, const struct event *, int marked);

/*
 * /api/events: "id: N" (numbered events), "event: T", "data: <object>"
 * and a blank line; a comment line as keepalive; no line budget.
 */
extern const struct fmt fmt_json_sse;

/*
 * A waiting /api/poll: the head and {"events":[ first, then one event
 * object, then the reload bytes ],"next":N} end the answer (the stream's
 * budget is one event).  An end line closes it as
 * {"events":[<end object>]}.
 */
extern const struct fmt fmt_json_poll;

#endif
