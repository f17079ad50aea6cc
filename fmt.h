/* fmt.h: the table each stream format fills in: the bytes of its head, events, keepalive and reload. */
#ifndef FMT_H
#define FMT_H

#include "queue.h"

struct event;

/*
 * One stream format.  Every entry returns a new chunk reference (NULL if
 * out of memory) that the caller unrefs.  Notices, dividers, the missed
 * line and end lines are events of their own kinds (event.h), so one
 * `event` entry renders them all.  `framing` is a small per-transport
 * choice a stream holds (JSON over SSE or WebSocket, say): the same
 * format may frame its bytes differently, and each framing has its own
 * cache slot on the event.
 */
struct fmt {
	const char	*name;
	unsigned	 slot;		/* first event cache slot (event.h) */
	unsigned	 nframings;	/* slots used: slot .. slot + nframings - 1 */
	/* The response head and prologue; NULL entry: the transport wrote its own. */
	struct chunk	*(*head)(int framing);
	/*
	 * An event, with the mention mark or not.  sid is the reader's, for
	 * links an unnumbered event may carry (its hint); numbered events must
	 * not depend on it, since their bytes are shared by every reader.
	 */
	struct chunk	*(*event)(const struct event *, int marked, int framing,
			    const char *sid);
	struct chunk	*(*keepalive)(int framing);
	/*
	 * The last bytes of a stream whose line budget ran out, telling the
	 * client to come back from cursor; NULL entry: the format has no budget.
	 */
	struct chunk	*(*reload)(const char *sid, unsigned long long cursor);
};

extern const struct fmt fmt_html;	/* fmt_html.c: the chat frame */
extern const struct fmt fmt_text;	/* fmt_text.c: /chat.txt */
extern const struct fmt fmt_ws;		/* fmt_ws.c: /api/ws */

#endif
