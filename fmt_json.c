/* fmt_json.c: the event object (PROTOCOL 8), the same in every JSON transport. */
#include <string.h>

#include "buf.h"
#include "event.h"
#include "fmt.h"
#include "json.h"

/* The kinds whose text is said by someone, and may mention the reader. */
static int
is_said(enum event_kind kind)
{
	return kind == EVENT_MSG || kind == EVENT_ACTION ||
	    kind == EVENT_WHISPER;
}

/*
 * {"id":N,"type":T,"time":...,"room":...,"from":...,"color":...,"to":...,
 * "text":...,"mention":bool} with only the fields that apply: no id on
 * unnumbered lines, no from on notices, a colour only with a sender, text
 * only when there is some (a nick change's is the old name), mention only
 * on what someone said.
 */
int
fmt_json_event(struct buf *b, const struct event *ev, int marked)
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
	}
	if (*ev->to.name)
		json_kv_str(b, "to", ev->to.name);
	if (*ev->text || is_said(ev->kind))
		json_kv_str(b, "text", ev->text);
	if (is_said(ev->kind))
		json_kv_bool(b, "mention", marked);
	return json_obj_end(b);
}
