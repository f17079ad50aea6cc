/* event.c: an event as data (kind, time, room, who, text, number) with its bytes cached per format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"

static unsigned long long last_id;

static const char *const kind_names[] = {
	"msg", "action", "whisper", "join", "leave", "kick", "topic", "nick",
	"color", "notice", "room", "missed", "end"
};

void
event_ids_start(unsigned long long wall_ms)
{
	unsigned long long start = wall_ms * 1000;

	/* Never backwards within a run, even if the clock is. */
	if (start > last_id && start < EVENT_ID_LIMIT / 2)
		last_id = start;
}

unsigned long long
event_next_id(void)
{
	return ++last_id;
}

unsigned long long
event_last_id(void)
{
	return last_id;
}

void
event_raise_id(unsigned long long id)
{
	if (id > last_id && id < EVENT_ID_LIMIT)
		last_id = id;
}

struct event *
event_new(enum event_kind kind, const struct event_source *from,
    const char *text)
{
	struct event *ev;

	if ((ev = calloc(1, sizeof *ev)) == NULL)
		return NULL;
	if ((ev->text = strdup(text ? text : "")) == NULL) {
		free(ev);
		return NULL;
	}
	ev->refs = 1;
	ev->kind = kind;
	ev->time = time(NULL);
	if (from != NULL)
		ev->from = *from;
	return ev;
}

struct event *
event_ref(struct event *ev)
{
	ev->refs++;
	return ev;
}

void
event_unref(struct event *ev)
{
	int i;

	if (ev == NULL || --ev->refs > 0)
		return;
	for (i = 0; i < EVENT_SLOTS; i++) {
		chunk_unref(ev->cache[i][0]);
		chunk_unref(ev->cache[i][1]);
	}
	free(ev->mentions);
	free(ev->text);
	free(ev);
}

const char *
event_kind_name(enum event_kind kind)
{
	return kind_names[kind];
}

int
event_mentions(const struct event *ev, const char *key)
{
	int i;

	for (i = 0; i < ev->nmentions; i++)
		if (strcmp(ev->mentions[i], key) == 0)
			return 1;
	return 0;
}

int
event_add_mention(struct event *ev, const char *key)
{
	if (ev->nmentions >= EVENT_MENTIONS_MAX)
		return -1;
	if (event_mentions(ev, key))
		return 0;
	/* Most lines name nobody: the table comes with the first name. */
	if (ev->mentions == NULL && (ev->mentions =
	    malloc(EVENT_MENTIONS_MAX * sizeof *ev->mentions)) == NULL)
		return -1;
	snprintf(ev->mentions[ev->nmentions++], TEXT_NAME_BYTES, "%s", key);
	return 0;
}

static void
rekey(char *key, const char *old, const char *new)
{
	if (strcmp(key, old) == 0)
		snprintf(key, TEXT_NAME_BYTES, "%s", new);
}

void
event_rekey(struct event *ev, const char *old, const char *new, int mentions)
{
	int i;

	rekey(ev->from.key, old, new);
	rekey(ev->to.key, old, new);
	if (mentions)
		for (i = 0; i < ev->nmentions; i++)
			rekey(ev->mentions[i], old, new);
}

struct chunk *
event_bytes(struct event *ev, const struct fmt *f, int framing, int marked,
    const char *sid)
{
	struct chunk **slot;
	unsigned i = f->slot + (unsigned)framing;

	marked = marked != 0;
	if (ev->hint != NULL || i >= EVENT_SLOTS)
		return f->event(ev, marked, framing, sid);
	slot = &ev->cache[i][marked];
	if (*slot == NULL)
		*slot = f->event(ev, marked, framing, sid);
	return *slot ? chunk_ref(*slot) : NULL;
}
