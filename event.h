/* event.h: an event as data (kind, time, room, who, text, number) with its bytes cached per format. */
#ifndef EVENT_H
#define EVENT_H

#include <time.h>

#include "fmt.h"
#include "queue.h"
#include "text.h"

#define EVENT_ID_LIMIT		(1ULL << 53)	/* JavaScript numbers stay exact below */
#define EVENT_MENTIONS_MAX	8	/* names one line can highlight */
#define EVENT_SLOT_HTML		0	/* cache slots of the formats */
#define EVENT_SLOT_TEXT		1
#define EVENT_SLOT_JSON		2	/* and 3: two framings (SSE, poll) */
#define EVENT_SLOT_WS		4	/* a text frame of the JSON object */
#define EVENT_SLOTS		5

enum event_kind {
	EVENT_MSG,
	EVENT_ACTION,
	EVENT_WHISPER,
	EVENT_JOIN,
	EVENT_LEAVE,
	EVENT_KICK,
	EVENT_TOPIC,
	EVENT_NICK,
	EVENT_COLOR,
	/* Unnumbered lines for one stream. */
	EVENT_NOTICE,
	EVENT_ROOM,		/* the stream moved to another room: a divider */
	EVENT_MISSED,		/* earlier events were missed */
	EVENT_END		/* the stream ends; text says why */
};

/* Who an event is from or to: a user's session, or (later) a backend. */
struct event_source {
	char		 name[TEXT_NAME_BYTES];	/* display name; "" for none */
	char		 key[TEXT_NAME_BYTES];	/* text_fold_name(name) */
	char		 color[TEXT_COLOR_BYTES];
	int		 backend;	/* 1: posted by a backend, not a user */
};

/*
 * An event is data; each format renders it at most once per framing and
 * mark, and every stream shares those bytes.  History keeps events.
 */
struct event {
	unsigned	 refs;
	unsigned long long id;		/* server-wide number; 0: unnumbered */
	enum event_kind	 kind;
	time_t		 time;		/* wall clock, UTC */
	char		 room[TEXT_ROOM_BYTES];
	struct event_source from;	/* who caused it; name "" for notices */
	struct event_source to;		/* whisper target, kicked user; else "" */
	char		*text;		/* never NULL; for a nick change: the old name */
	const char	*hint;		/* a command the reader may want, or NULL */
	int		 nmentions;
	char		(*mentions)[TEXT_NAME_BYTES];	/* keys; NULL until one */
	struct chunk	*cache[EVENT_SLOTS][2];	/* [slot][marked] */
};

/*
 * Starts the server-wide counter from the wall clock (ms since the epoch
 * x 1000), so numbers never repeat across a restart.
 */
void	event_ids_start(unsigned long long wall_ms);
unsigned long long event_next_id(void);
unsigned long long event_last_id(void);	/* the last number handed out */
/* Raises the counter to id if below: numbers from elsewhere are never reused. */
void	event_raise_id(unsigned long long id);

/* A new event (one reference) stamped now, text copied ("" for NULL); NULL if out of memory. */
struct event *event_new(enum event_kind, const struct event_source *from,
	    const char *text);
struct event *event_ref(struct event *);
void	event_unref(struct event *);	/* frees at zero; NULL is fine */

const char *event_kind_name(enum event_kind);	/* "msg", "notice"... */

int	event_mentions(const struct event *, const char *key);
int	event_add_mention(struct event *, const char *key);	/* -1: full or no memory */
/* Rewrites from, to and mention keys equal to old (to "" for nobody). */
void	event_rekey(struct event *, const char *old, const char *new, int mentions);

/*
 * The event's bytes in a format: rendered on first use and cached, except
 * for an event with a hint, whose bytes depend on the reader's sid.
 * Returns a new reference, or NULL if out of memory.
 */
struct chunk *event_bytes(struct event *, const struct fmt *, int framing,
	    int marked, const char *sid);

#endif
