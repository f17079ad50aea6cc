/* room.c: rooms: membership, history, event numbers, operators, bans and fan-out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "room.h"
#include "session.h"
#include "transcript.h"

static struct room	*rooms;
static unsigned		 pair_counter;	/* names the rooms `random` makes */

static const char *const kind_names[] = {
	"msg", "action", "whisper", "join", "leave", "kick", "topic", "nick",
	"color"
};

static struct room *
room_create(const char *name)
{
	struct room *r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	text_fold_room(name, r->name);
	r->keep = config.history > ROOM_KEEP_MIN ? (unsigned)config.history :
	    ROOM_KEEP_MIN;
	if ((r->history = calloc(r->keep, sizeof *r->history)) == NULL ||
	    (r->topic = strdup("")) == NULL) {
		free(r->history);
		free(r);
		return NULL;
	}
	r->next = rooms;
	rooms = r;
	return r;
}

static void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	chunk_unref(ev->html);
	chunk_unref(ev->marked);
	free(ev->mentions);
	free(ev);
}

/* The i-th oldest event the room keeps. */
static struct event *
history_at(const struct room *r, unsigned i)
{
	return r->history[(r->first + i) % r->keep];
}

static void
room_destroy(struct room *r)
{
	struct room **pp = &rooms;
	struct ban *b;
	unsigned i;

	while (*pp != r)
		pp = &(*pp)->next;
	*pp = r->next;
	for (i = 0; i < r->count; i++)
		event_free(history_at(r, i));
	while ((b = r->bans) != NULL) {
		r->bans = b->next;
		free(b);
	}
	free(r->history);
	free(r->ops);
	free(r->topic);
	free(r);
}

int
room_init(void)
{
	while (rooms != NULL)
		room_destroy(rooms);
	return room_create(ROOM_DEFAULT) ? 0 : -1;
}

struct room *
room_find(const char *name)
{
	char key[TEXT_ROOM_BYTES];
	struct room *r;

	if (text_fold_room(name, key) == -1)
		return NULL;
	for (r = rooms; r != NULL; r = r->next)
		if (strcmp(r->name, key) == 0)
			return r;
	return NULL;
}

struct room *
room_first(void)
{
	return rooms;
}

/* Appends "<span class="nick" style="color:C"><bdi>NAME</bdi></span>". */
static void
render_nick(struct buf *b, const char *name, const char *color)
{
	buf_printf(b, "<span class=\"nick\"%s%s%s><bdi>", *color ?
	    " style=\"color:" : "", color, *color ? "\"" : "");
	http_html_escape(b, name, strlen(name));
	buf_adds(b, "</bdi></span>");
}

/* Appends user text, escaped, inside <bdi>; newlines become line breaks. */
static void
render_text(struct buf *b, const char *text)
{
	const char *nl;

	buf_adds(b, "<bdi class=\"tx\">");
	while ((nl = strchr(text, '\n')) != NULL) {
		http_html_escape(b, text, (size_t)(nl - text));
		buf_adds(b, "<br>");
		text = nl + 1;
	}
	http_html_escape(b, text, strlen(text));
	buf_adds(b, "</bdi>");
}

static void
render_open(struct buf *b, const char *cls, unsigned long long seq, int marked)
{
	char stamp[ROOM_STAMP_BYTES];
	time_t now = time(NULL);

	strftime(stamp, sizeof stamp, "%H:%M", localtime(&now));
	buf_printf(b, "<div class=\"ev %s%s\"", cls, marked ? " mention" : "");
	if (seq != 0)
		buf_printf(b, " id=\"e%llu\"", seq);
	buf_printf(b, "><span class=\"ts\">%s</span> ", stamp);
}

/* The body of an event's line, after the time stamp. */
static void
render_body(struct buf *b, enum event_kind kind, const struct session *from,
    const char *text, const struct session *to, const char *room)
{
	switch (kind) {
	case EVENT_MSG:
		render_nick(b, from->name, from->color);
		buf_adds(b, "<span class=\"sep\">:</span> ");
		render_text(b, text);
		break;
	case EVENT_ACTION:
		buf_adds(b, "* ");
		render_nick(b, from->name, from->color);
		buf_addc(b, ' ');
		render_text(b, text);
		break;
	case EVENT_WHISPER:
		render_nick(b, from->name, from->color);
		buf_adds(b, " &rarr; ");
		render_nick(b, to->name, to->color);
		buf_adds(b, " <span class=\"sep\">(whisper):</span> ");
		render_text(b, text);
		break;
	case EVENT_JOIN:
		buf_adds(b, "&rarr; ");
		render_nick(b, from->name, from->color);
		buf_printf(b, " joined %s", room);
		break;
	case EVENT_LEAVE:
		buf_adds(b, "&larr; ");
		render_nick(b, from->name, from->color);
		buf_printf(b, " left %s (", room);
		http_html_escape(b, text, strlen(text));
		buf_addc(b, ')');
		break;
	case EVENT_KICK:
		render_nick(b, to->name, to->color);
		buf_adds(b, " was kicked by ");
		render_nick(b, from->name, from->color);
		if (*text) {
			buf_adds(b, ": ");
			render_text(b, text);
		}
		break;
	case EVENT_TOPIC:
		render_nick(b, from->name, from->color);
		buf_adds(b, " set the topic: ");
		render_text(b, text);
		break;
	case EVENT_NICK:
		buf_adds(b, "<bdi>");
		http_html_escape(b, text, strlen(text));
		buf_adds(b, "</bdi> is now known as ");
		render_nick(b, from->name, from->color);
		break;
	case EVENT_COLOR:
		render_nick(b, from->name, from->color);
		buf_adds(b, " changed colour");
		break;
	}
	buf_adds(b, "</div>\n");
}

static struct chunk *
render_event(const struct event *ev, const struct session *from,
    const char *text, const struct session *to, const char *room, int marked)
{
	struct chunk *c = NULL;
	struct buf b;

	buf_init(&b);
	render_open(&b, kind_names[ev->kind], ev->seq, marked);
	render_body(&b, ev->kind, from, text, to, room);
	if (!b.failed)
		c = chunk_new(b.data, b.len);
	buf_free(&b);
	return c;
}

struct chunk *
room_render_notice(const char *cls, const char *text)
{
	struct chunk *c = NULL;
	struct buf b;

	buf_init(&b);
	render_open(&b, cls, 0, 0);
	render_text(&b, text);
	buf_adds(&b, "</div>\n");
	if (!b.failed)
		c = chunk_new(b.data, b.len);
	buf_free(&b);
	return c;
}

/* 1 if the event already highlights key. */
static int
mentioned(const struct event *ev, const char *key)
{
	int i;

	for (i = 0; i < ev->nmentions; i++)
		if (strcmp(ev->mentions[i], key) == 0)
			return 1;
	return 0;
}

/*
 * Finds the users a line names by looking each word up by name, so the
 * cost grows with the line, not with the room.
 */
static void
find_mentions(struct event *ev, const char *text)
{
	const char *p = text, *end = text + strlen(text), *start;
	char word[TEXT_NAME_BYTES];
	struct session *s;
	size_t len;
	uint32_t cp;
	int n = 1;

	while (p < end && ev->nmentions < ROOM_MENTIONS_MAX) {
		start = p;
		while ((n = text_utf8_decode(p, (size_t)(end - p), &cp)) > 0 &&
		    text_name_char(cp))
			p += n;
		len = (size_t)(p - start);
		if (len == 0) {
			p += n > 0 ? n : 1;
			continue;
		}
		if (len >= sizeof word)
			continue;
		memcpy(word, start, len);
		word[len] = '\0';
		if ((s = session_by_name(word)) == NULL ||
		    strcmp(s->key, ev->from) == 0 || mentioned(ev, s->key))
			continue;
		/* Most lines name nobody: the table comes with the first name. */
		if (ev->mentions == NULL && (ev->mentions =
		    malloc(ROOM_MENTIONS_MAX * sizeof *ev->mentions)) == NULL)
			return;
		snprintf(ev->mentions[ev->nmentions++], TEXT_NAME_BYTES, "%s",
		    s->key);
	}
}

/* Whether a member's stream shows the event: whispers and ignores filter. */
static int
visible(const struct event *ev, const struct session *m)
{
	if (ev->kind == EVENT_WHISPER)
		return strcmp(m->key, ev->from) == 0 || strcmp(m->key, ev->to) == 0;
	if (ev->kind == EVENT_MSG || ev->kind == EVENT_ACTION)
		return !session_ignores(m, ev->from);
	return 1;
}

static struct chunk *
chunk_for(const struct event *ev, const struct session *m)
{
	if (ev->marked != NULL && mentioned(ev, m->key))
		return ev->marked;
	return ev->html;
}

static void
fan_out(struct room *r, const struct event *ev)
{
	struct session *m;

	for (m = r->members; m != NULL; m = m->room_next)
		if (m->stream >= 0 && visible(ev, m))
			session_send(m, chunk_for(ev, m), ev->seq);
}

/* Keeps an event in the room's ring, dropping the oldest when full. */
static void
remember(struct room *r, struct event *ev)
{
	if (r->count == r->keep) {
		event_free(r->history[r->first]);
		r->first = (r->first + 1) % r->keep;
		r->count--;
	}
	r->history[(r->first + r->count) % r->keep] = ev;
	r->count++;
}

/* The transcript's nick and text fields for an event. */
static int
record(const struct room *r, enum event_kind kind, const struct session *from,
    const char *text, const struct session *to)
{
	struct buf b;
	int rc;

	if (r->private)
		return 0;	/* two strangers' talk is theirs */
	switch (kind) {
	case EVENT_WHISPER:
	case EVENT_COLOR:
		return 0;	/* private, or not an event people read back */
	case EVENT_KICK:
		buf_init(&b);
		buf_printf(&b, "%s%s%s", to->name, *text ? ": " : "", text);
		rc = b.failed ? -1 : transcript_write(time(NULL), r->name,
		    from->name, "kick", b.data);
		buf_free(&b);
		return rc;
	case EVENT_NICK:	/* the nick field is the old name */
		return transcript_write(time(NULL), r->name, text, "nick",
		    from->name);
	default:
		return transcript_write(time(NULL), r->name, from->name,
		    kind_names[kind], text ? text : "");
	}
}

/* A whisper to someone in another room: shown to both, kept nowhere. */
static int
whisper_across(struct session *from, const char *text, struct session *to)
{
	struct event ev;
	struct chunk *c;

	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_WHISPER;
	if ((c = render_event(&ev, from, text, to, "", 0)) == NULL)
		return -1;
	session_send(from, c, 0);
	session_send(to, c, 0);
	chunk_unref(c);
	return 0;
}

int
room_post(struct session *from, enum event_kind kind, const char *text,
    struct session *to)
{
	struct room *r = from->room;
	struct event *ev;

	if (kind == EVENT_WHISPER && to->room != r)
		return whisper_across(from, text, to);
	/*
	 * What users say is refused when it cannot be recorded; presence
	 * changes go out anyway (the transcript logged its failure).
	 */
	if (record(r, kind, from, text, to) == -1 && (kind == EVENT_MSG ||
	    kind == EVENT_ACTION || kind == EVENT_TOPIC || kind == EVENT_KICK))
		return -1;
	if ((ev = calloc(1, sizeof *ev)) == NULL)
		return -1;
	ev->seq = r->seq + 1;
	ev->kind = kind;
	snprintf(ev->from, sizeof ev->from, "%s", from->key);
	if (kind == EVENT_WHISPER)
		snprintf(ev->to, sizeof ev->to, "%s", to->key);
	if (kind == EVENT_MSG || kind == EVENT_ACTION)
		find_mentions(ev, text);
	ev->html = render_event(ev, from, text ? text : "", to, r->name, 0);
	if (ev->nmentions > 0)
		ev->marked = render_event(ev, from, text, to, r->name, 1);
	if (ev->html == NULL || (ev->nmentions > 0 && ev->marked == NULL)) {
		event_free(ev);
		return -1;
	}
	r->seq = ev->seq;
	remember(r, ev);
	fan_out(r, ev);
	return 0;
}

/* Parses since=N: a number no larger than the room's last event, or -1. */
static long long
parse_since(const struct room *r, const char *since)
{
	unsigned long long n = 0;
	const char *p;

	if (since == NULL || *since == '\0' || strlen(since) > ROOM_SINCE_DIGITS)
		return -1;
	for (p = since; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (unsigned)(*p - '0');
	}
	return n <= r->seq ? (long long)n : -1;
}

/*
 * The first history index to replay from `start` that fits in half the
 * output queue, so a new chat frame is never cut off by its own history.
 */
static unsigned
fit_replay(const struct room *r, const struct session *s, unsigned start)
{
	size_t budget = config.queue_max / 2, used = 0;
	const struct event *ev;
	unsigned i;

	for (i = r->count; i > start; i--) {
		ev = history_at(r, i - 1);
		if (!visible(ev, s))
			continue;
		if (used + chunk_for(ev, s)->len > budget)
			break;
		used += chunk_for(ev, s)->len;
	}
	return i;
}

void
room_replay(struct session *s, const char *since)
{
	struct room *r = s->room;
	unsigned long long oldest = r->seq - r->count + 1;
	long long after = parse_since(r, since);
	unsigned i, start, fit;
	int missed = 0;
	struct event *ev;

	if (after < 0)
		start = r->count > (unsigned)config.history ?
		    r->count - (unsigned)config.history : 0;
	else if ((unsigned long long)after + 1 < oldest) {
		missed = 1;
		start = 0;
	} else
		start = (unsigned)((unsigned long long)after + 1 - oldest);
	if ((fit = fit_replay(r, s, start)) > start) {
		missed = 1;
		start = fit;
	}
	if (missed)
		session_notice(s, "Earlier events were missed.");
	for (i = start; i < r->count; i++) {
		ev = history_at(r, i);
		if (visible(ev, s))
			session_send(s, chunk_for(ev, s), ev->seq);
	}
	s->last_seq = r->seq;
}

static void
add_member(struct room *r, struct session *s)
{
	s->room = r;
	s->room_prev = NULL;
	s->room_next = r->members;
	if (r->members)
		r->members->room_prev = s;
	r->members = s;
	r->nmembers++;
}

static void
remove_member(struct room *r, struct session *s)
{
	if (s->room_prev)
		s->room_prev->room_next = s->room_next;
	else
		r->members = s->room_next;
	if (s->room_next)
		s->room_next->room_prev = s->room_prev;
	r->nmembers--;
	s->room = NULL;
	s->room_prev = s->room_next = NULL;
}

/*
 * `random` pairs strangers: the first waits in it, the next one makes a
 * private room for the two of them.  Returns the room to enter.
 */
static struct room *
pair_up(struct session *s, struct room *waiting)
{
	struct session *other = waiting->members;
	struct room *pair;

	if (other == NULL || other == s)
		return waiting;
	if ((pair = room_create(ROOM_RANDOM)) == NULL)
		return waiting;
	/*
	 * A name no one can type (':' is not allowed in room names): the
	 * pair can be neither joined by name nor shadow a room people made.
	 */
	snprintf(pair->name, sizeof pair->name, "%s:%u", ROOM_RANDOM,
	    ++pair_counter);
	pair->private = 1;
	remove_member(waiting, other);
	add_member(pair, other);
	room_post(other, EVENT_JOIN, NULL, NULL);
	session_notice(other, "A stranger is here. Say hello!");
	return pair;
}

int
room_enter(struct session *s, const char *name, long long now)
{
	struct room *r = room_find(name);
	int created = 0;

	(void)now;
	if (r == NULL) {
		if ((r = room_create(name)) == NULL)
			return -1;
		created = strcmp(r->name, ROOM_RANDOM) != 0;
	}
	if (strcmp(r->name, ROOM_RANDOM) == 0)
		r = pair_up(s, r);
	if (created)
		room_add_op(r, s->key);
	/* Post the join before adding: the newcomer gets it in the replay. */
	log_info("%s joined %s", s->name, r->name);
	s->room = r;
	room_post(s, EVENT_JOIN, NULL, NULL);
	add_member(r, s);
	return 0;
}

/* Tells the one left in a stranger pair, with a link to find another. */
static void
partner_left(struct room *r)
{
	struct chunk *c;
	struct buf b;
	struct session *m = r->members;

	if (m == NULL || m->stream < 0)
		return;
	buf_init(&b);
	render_open(&b, "notice", 0, 0);
	buf_printf(&b, "The stranger left. <a href=\"/dotalk?sid=%s&amp;"
	    "message=%%2Fjoin+%s\" target=\"talk\">Find another stranger"
	    "</a></div>\n", m->sid, ROOM_RANDOM);
	if (!b.failed && (c = chunk_new(b.data, b.len)) != NULL) {
		session_send(m, c, 0);
		chunk_unref(c);
	}
	buf_free(&b);
}

/* Rewrites one key of an event if it is `old`: to `new`, or "" for nobody. */
static void
rekey(char *key, const char *old, const char *new)
{
	if (strcmp(key, old) == 0)
		snprintf(key, TEXT_NAME_BYTES, "%s", new);
}

/*
 * A guest's name is anyone's once they leave, so the room stops keeping
 * things under it: their operator status, and their side of whispers
 * (the other side still sees them).  Registered names stay their owners'.
 */
static void
forget(struct room *r, const char *key)
{
	struct event *ev;
	unsigned i;

	room_remove_op(r, key);
	for (i = 0; i < r->count; i++) {
		ev = history_at(r, i);
		if (ev->kind == EVENT_WHISPER) {
			rekey(ev->from, key, "");
			rekey(ev->to, key, "");
		}
	}
}

void
room_exit(struct session *s, const char *reason, int quiet)
{
	struct room *r = s->room;

	log_info("%s left %s (%s)", s->name, r->name, reason);
	if (!quiet)
		room_post(s, EVENT_LEAVE, reason, NULL);
	remove_member(r, s);
	if (!s->registered)
		forget(r, s->key);
	if (r->private)
		partner_left(r);
	if (r->nmembers == 0 && r->bans == NULL &&
	    strcmp(r->name, ROOM_DEFAULT) != 0)
		room_destroy(r);
}

void
room_rekey(struct session *s, const char *old)
{
	struct room *r = s->room;
	struct event *ev;
	unsigned i;
	int j, was_op = 0;

	for (j = 0; j < r->nops; j++)
		was_op |= strcmp(r->ops[j], old) == 0;
	if (was_op) {
		room_remove_op(r, old);
		room_add_op(r, s->key);
	}
	for (i = 0; i < r->count; i++) {
		ev = history_at(r, i);
		rekey(ev->from, old, s->key);
		rekey(ev->to, old, s->key);
		for (j = 0; j < ev->nmentions; j++)
			rekey(ev->mentions[j], old, s->key);
	}
}

int
room_is_op(const struct room *r, const struct session *s)
{
	int i;

	if (s->admin)
		return 1;
	for (i = 0; i < r->nops; i++)
		if (strcmp(r->ops[i], s->key) == 0)
			return 1;
	return 0;
}

int
room_add_op(struct room *r, const char *key)
{
	char (*p)[TEXT_NAME_BYTES];
	int i;

	for (i = 0; i < r->nops; i++)
		if (strcmp(r->ops[i], key) == 0)
			return 0;
	if ((p = realloc(r->ops, (r->nops + 1) * sizeof *p)) == NULL)
		return -1;
	r->ops = p;
	snprintf(r->ops[r->nops++], TEXT_NAME_BYTES, "%s", key);
	return 0;
}

void
room_remove_op(struct room *r, const char *key)
{
	int i;

	for (i = 0; i < r->nops; i++)
		if (strcmp(r->ops[i], key) == 0) {
			memmove(r->ops[i], r->ops[--r->nops], TEXT_NAME_BYTES);
			return;
		}
}

int
room_ban(struct room *r, const char *key, const char *ip, long long until)
{
	struct ban *b;

	if ((b = calloc(1, sizeof *b)) == NULL)
		return -1;
	snprintf(b->key, sizeof b->key, "%s", key);
	snprintf(b->ip, sizeof b->ip, "%s", ip);
	b->until = until;
	b->next = r->bans;
	r->bans = b;
	return 0;
}

int
room_banned(struct room *r, const char *key, const char *ip, long long now)
{
	struct ban *b;

	for (b = r->bans; b != NULL; b = b->next)
		if (now < b->until && (strcmp(b->key, key) == 0 ||
		    strcmp(b->ip, ip) == 0))
			return 1;
	return 0;
}

int
room_set_topic(struct session *s, const char *topic)
{
	char *copy;

	if ((copy = strdup(topic)) == NULL)
		return -1;
	if (room_post(s, EVENT_TOPIC, topic, NULL) == -1) {
		free(copy);
		return -1;
	}
	free(s->room->topic);
	s->room->topic = copy;
	return 0;
}

static void
drop_expired_bans(struct room *r, long long now)
{
	struct ban **pp = &r->bans, *b;

	while ((b = *pp) != NULL) {
		if (now >= b->until) {
			*pp = b->next;
			free(b);
		} else
			pp = &b->next;
	}
}

void
room_sweep(long long now)
{
	struct room *r, *next;

	for (r = rooms; r != NULL; r = next) {
		next = r->next;
		drop_expired_bans(r, now);
		if (r->nmembers == 0 && r->bans == NULL &&
		    strcmp(r->name, ROOM_DEFAULT) != 0)
			room_destroy(r);
	}
}
