/* room.c: rooms: membership, history, event numbers, operators, bans and fan-out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "room.h"
#include "session.h"
#include "stats.h"
#include "stream.h"
#include "transcript.h"

/* A stream of a room without a session (-W). */
struct watcher {
	struct stream	 stream;
	struct room	*room;
	long long	 deadline;	/* a long poll's end, ms; 0: a stream */
	struct conn_handle conn;	/* kept: the stream lets go of its own */
	struct watcher	*prev, *next;
};

static struct room	*rooms;
static int		 nrooms;
static struct watcher	**watch_fd;	/* by descriptor, for a lost connection */
static int		 nwatch_fd;
static int		 nwatchers_total;
static long long	 next_watch_sweep;
static unsigned		 pair_counter;	/* names the rooms `random` makes */
static long long	 now_ms;	/* the loop's clock as last seen */
static unsigned long	 generation;	/* rooms made and gone */
static room_outbox_fn	*outbox;	/* cluster.c, with -R */
static room_claim_fn	*claim;
static room_ops_fn	*ops_told;

/*
 * Gives a room without history (a new one, or one kept for its bans) an
 * empty ring; it missed nothing before now.  0, or -1 if out of memory.
 */
static int
start_history(struct room *r)
{
	if (r->history != NULL)
		return 0;
	if ((r->history = calloc(r->keep, sizeof *r->history)) == NULL)
		return -1;
	r->floor = event_last_id();
	return 0;
}

static struct room *
room_create(const char *name)
{
	struct room *r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	text_fold_room(name, r->name);
	r->keep = config.history > ROOM_KEEP_MIN ? (unsigned)config.history :
	    ROOM_KEEP_MIN;
	if ((r->topic = strdup("")) == NULL || start_history(r) == -1) {
		free(r->topic);
		free(r);
		return NULL;
	}
	r->next = rooms;
	rooms = r;
	nrooms++;
	generation++;
	return r;
}

/* The i-th oldest event the room keeps. */
static struct event *
history_at(const struct room *r, unsigned i)
{
	return r->history[(r->first + i) % r->keep];
}

static void
drop_history(struct room *r)
{
	unsigned i;

	for (i = 0; i < r->count; i++)
		event_unref(history_at(r, i));
	free(r->history);
	r->history = NULL;
	r->first = r->count = 0;
}

/* Ends a watcher's stream (with a line saying why, or none) and frees it. */
static void
unwatch(struct watcher *w, const char *why)
{
	struct room *r = w->room;
	int fd = w->conn.fd;

	if (fd >= 0 && fd < nwatch_fd && watch_fd[fd] == w)
		watch_fd[fd] = NULL;
	stream_set_closing(&w->stream, 1);
	if (why != NULL)
		stream_end_with(&w->stream, why);
	else
		stream_end(&w->stream, NULL);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		r->watchers = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	r->nwatchers--;
	nwatchers_total--;
	stats_watcher(-1);
	free(w);
}

static void
room_destroy(struct room *r)
{
	struct room **pp = &rooms;
	struct ban *b;

	while (*pp != r)
		pp = &(*pp)->next;
	*pp = r->next;
	while (r->watchers != NULL)
		unwatch(r->watchers, "The server is shutting down.");
	drop_history(r);
	while ((b = r->bans) != NULL) {
		r->bans = b->next;
		free(b);
	}
	free(r->ops);
	free(r->topic);
	free(r);
	nrooms--;
	generation++;
}

/*
 * A room nobody is in goes, unless bans keep it; then it keeps only
 * them (and its topic and operators), not the talk of people who left.
 */
static void
room_idle(struct room *r)
{
	if (r->nmembers > 0 || r->published || r->nwatchers > 0 ||
	    strcmp(r->name, ROOM_DEFAULT) == 0)
		return;
	if (r->bans == NULL)
		room_destroy(r);
	else
		drop_history(r);
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

int
room_count(void)
{
	return nrooms;
}

/*
 * Finds the users a line names by looking each word up by name, so the
 * cost grows with the line, not with the room.
 */
static void
find_mentions(struct event *ev)
{
	const char *p = ev->text, *end = ev->text + strlen(ev->text);
	char word[TEXT_NAME_BYTES];
	struct session *s;

	while (ev->nmentions < EVENT_MENTIONS_MAX &&
	    text_next_name(&p, end, word)) {
		if ((s = session_by_name(word)) == NULL ||
		    strcmp(s->key, ev->from.key) == 0)
			continue;
		if (event_add_mention(ev, s->key) == -1)
			return;
	}
}

/* Whether a member's stream shows the event: whispers and ignores filter. */
static int
visible(const struct event *ev, const struct session *m)
{
	if (ev->kind == EVENT_WHISPER)
		return strcmp(m->key, ev->from.key) == 0 ||
		    strcmp(m->key, ev->to.key) == 0;
	if (ev->kind == EVENT_MSG || ev->kind == EVENT_ACTION)
		return !session_ignores(m, ev->from.key);
	return 1;
}

static int
marked_for(const struct event *ev, const struct session *m)
{
	return ev->nmentions > 0 && event_mentions(ev, m->key);
}

static void
fan_out(struct room *r, struct event *ev)
{
	struct session *m;
	struct watcher *w, *next;

	for (m = r->members; m != NULL; m = m->room_next)
		if (session_streaming(m) && visible(ev, m))
			session_deliver(m, ev, marked_for(ev, m));
	if (ev->kind == EVENT_WHISPER)
		return;
	/* A long poll's answer ends with its event: the watcher goes. */
	for (w = r->watchers; w != NULL; w = next) {
		next = w->next;
		if (stream_event(&w->stream, ev, 0, now_ms) != STREAM_SENT &&
		    w->deadline != 0)
			unwatch(w, NULL);
	}
}

/* Keeps an event in the room's ring, dropping the oldest when full. */
static void
remember(struct room *r, struct event *ev)
{
	if (r->count == r->keep) {
		r->floor = r->history[r->first]->id;
		event_unref(r->history[r->first]);
		r->first = (r->first + 1) % r->keep;
		r->count--;
	}
	r->history[(r->first + r->count) % r->keep] = ev;
	r->count++;
}

/* The transcript's nick and text fields for an event. */
static int
record(const struct room *r, const struct event *ev)
{
	struct buf b;
	int rc;

	if (r->private)
		return 0;	/* two strangers' talk is theirs */
	switch (ev->kind) {
	case EVENT_WHISPER:
	case EVENT_COLOR:
		return 0;	/* private, or not an event people read back */
	case EVENT_KICK:
		buf_init(&b);
		buf_printf(&b, "%s%s%s", ev->to.name, *ev->text ? ": " : "",
		    ev->text);
		rc = b.failed ? -1 : transcript_write(ev->time, r->name,
		    ev->from.name, "kick", b.data);
		buf_free(&b);
		return rc;
	case EVENT_NICK:	/* the nick field is the old name */
		return transcript_write(ev->time, r->name, ev->text, "nick",
		    ev->from.name);
	default:
		if (ev->from.backend) {
			/* Marked as in the text format: never a user's line. */
			buf_init(&b);
			buf_printf(&b, "%s [backend]", ev->from.name);
			rc = b.failed ? -1 : transcript_write(ev->time, r->name,
			    b.data, event_kind_name(ev->kind), ev->text);
			buf_free(&b);
			return rc;
		}
		return transcript_write(ev->time, r->name, ev->from.name,
		    event_kind_name(ev->kind), ev->text);
	}
}

/* A whisper to someone in another room: shown to both, kept nowhere. */
static void
whisper_across(struct event *ev, const struct session *to)
{
	struct session *from = session_by_name(ev->from.name);

	if (from != NULL)
		session_deliver(from, ev, 0);
	if (to != from)
		session_deliver((struct session *)to, ev, 0);
}

/* Numbers an event made here, keeps it and sends it to the room's streams. */
static void
take(struct room *r, struct event *ev)
{
	ev->id = event_next_id();
	r->seq = ev->id;
	stats_event();
	remember(r, ev);
	fan_out(r, ev);
}

static int
post(struct room *r, const struct event_source *from, enum event_kind kind,
    const char *text, const struct session *to, room_posted_fn *done,
    void *arg)
{
	struct event_source anon;
	struct event *ev;

	/* In a pair of strangers nobody has a name or a colour. */
	if (r->private && (kind == EVENT_NICK || kind == EVENT_COLOR))
		return 0;
	if (r->private && from != NULL && !from->backend) {
		memset(&anon, 0, sizeof anon);
		snprintf(anon.name, sizeof anon.name, "%s", ROOM_STRANGER);
		snprintf(anon.key, sizeof anon.key, "%s", ROOM_STRANGER);
		from = &anon;
	}
	if ((ev = event_new(kind, from, text)) == NULL)
		return -1;
	snprintf(ev->room, sizeof ev->room, "%s", r->name);
	if (to != NULL)
		session_source(to, &ev->to);
	if (kind == EVENT_WHISPER && to->room != r) {
		whisper_across(ev, to);
		event_unref(ev);
		return 0;
	}
	/*
	 * What users say is refused when it cannot be recorded; presence
	 * changes go out anyway (the transcript logged its failure).
	 */
	if (record(r, ev) == -1 && (kind == EVENT_MSG ||
	    kind == EVENT_ACTION || kind == EVENT_TOPIC || kind == EVENT_KICK)) {
		event_unref(ev);
		return -1;
	}
	if (kind == EVENT_MSG || kind == EVENT_ACTION)
		find_mentions(ev);
	/* Strangers pair up here: their rooms stay on this instance. */
	if (outbox != NULL && !r->private &&
	    strcmp(r->name, ROOM_RANDOM) != 0 &&
	    outbox(r, ev, -1, done, arg) == 0) {
		event_unref(ev);
		return ROOM_SHARED;
	}
	take(r, ev);
	return 0;
}

int
room_post(struct room *r, const struct event_source *from,
    enum event_kind kind, const char *text, const struct session *to)
{
	return post(r, from, kind, text, to, NULL, NULL);
}

int
room_post_away(struct room *r, const struct event_source *from,
    enum event_kind kind, const char *text, const struct event_source *to,
    int instance)
{
	struct session *s;
	struct event *ev;
	int rc = -1;

	if (outbox == NULL || r->private ||
	    (ev = event_new(kind, from, text)) == NULL)
		return -1;
	snprintf(ev->room, sizeof ev->room, "%s", r->name);
	ev->to = *to;
	if (kind == EVENT_KICK && record(r, ev) == -1)
		goto out;
	if (outbox(r, ev, kind == EVENT_WHISPER ? instance : -1, NULL,
	    NULL) == -1)
		goto out;
	if (kind == EVENT_WHISPER && (s = session_by_name(from->name)) != NULL)
		session_deliver(s, ev, 0);
	rc = ROOM_SHARED;
out:
	event_unref(ev);
	return rc;
}

void
room_set_outbox(room_outbox_fn *fn, room_claim_fn *claim_fn)
{
	outbox = fn;
	claim = claim_fn;
}

void
room_set_ops(room_ops_fn *fn)
{
	ops_told = fn;
}

unsigned long
room_generation(void)
{
	return generation;
}

int
room_deliver(struct room *r, struct event *ev, int quiet)
{
	char *topic;

	if (ev->id <= r->seq)
		return -1;
	if (start_history(r) == -1)
		return -1;
	/* The first event here: what came before it is all that is missed. */
	if (r->count == 0 && r->floor >= ev->id)
		r->floor = ev->id - 1;
	if (ev->kind == EVENT_TOPIC && (topic = strdup(ev->text)) != NULL) {
		free(r->topic);
		r->topic = topic;
	}
	event_raise_id(ev->id);
	r->seq = ev->id;
	stats_event();
	remember(r, event_ref(ev));
	if (!quiet)
		fan_out(r, ev);
	return 0;
}

int
room_publish(const char *name, const struct event_source *from,
    enum event_kind kind, const char *text, unsigned long long *id,
    room_posted_fn *done, void *arg)
{
	struct room *r = room_find(name);
	int rc;

	if (r == NULL) {
		if (nrooms >= ROOM_MAX)
			return ROOM_FULL;
		if ((r = room_create(name)) == NULL)
			return -1;
	}
	if (start_history(r) == -1)
		return -1;
	r->published = 1;
	if ((rc = post(r, from, kind, text, NULL, done, arg)) != 0)
		return rc;
	*id = r->seq;
	return 0;
}

/* Posts an event a member caused. */
static int
post_as(struct room *r, const struct session *s, enum event_kind kind,
    const char *text)
{
	struct event_source src;

	session_source(s, &src);
	return room_post(r, &src, kind, text, NULL);
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
 * The first history index to replay after event `after` (-1: the last -H
 * events); *missed says whether the room no longer keeps some after it.
 */
static unsigned
replay_start(const struct room *r, long long after, int *missed)
{
	unsigned start;

	*missed = 0;
	if (after < 0)
		return r->count > (unsigned)config.history ?
		    r->count - (unsigned)config.history : 0;
	/* Numbers skip (they are server-wide): look for the first after. */
	*missed = (unsigned long long)after < r->floor;
	for (start = r->count; start > 0 &&
	    history_at(r, start - 1)->id > (unsigned long long)after; start--)
		;
	return start;
}

/*
 * The first history index to replay from `start` that fits in half the
 * output queue, so a new stream is never cut off by its own history.
 */
static unsigned
fit_replay(const struct room *r, struct session *s, unsigned start)
{
	size_t budget = config.queue_max / 2, used = 0, n;
	struct event *ev;
	unsigned i;

	for (i = r->count; i > start; i--) {
		ev = history_at(r, i - 1);
		if (!visible(ev, s))
			continue;
		n = session_event_size(s, ev, marked_for(ev, s));
		if (used + n > budget)
			break;
		used += n;
	}
	return i;
}

unsigned long long
room_replay_each(struct session *s, const char *since, room_each_fn *fn,
    void *arg)
{
	struct room *r = s->room;
	unsigned i, start, fit;
	struct event *ev;
	int missed;

	start = replay_start(r, parse_since(r, since), &missed);
	if ((fit = fit_replay(r, s, start)) > start) {
		missed = 1;
		start = fit;
	}
	if (missed && (ev = event_new(EVENT_MISSED, NULL,
	    "Earlier events were missed.")) != NULL) {
		fn(arg, ev, 0);
		event_unref(ev);
	}
	for (i = start; i < r->count; i++) {
		ev = history_at(r, i);
		if (visible(ev, s))
			fn(arg, ev, marked_for(ev, s));
	}
	return r->seq;
}

static void
deliver(void *arg, struct event *ev, int marked)
{
	session_deliver(arg, ev, marked);
}

void
room_replay(struct session *s, const char *since)
{
	if (!session_streaming(s))
		return;
	session_set_cursor(s, room_replay_each(s, since, deliver, s));
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
	struct session *other;
	struct room *pair;

	/*
	 * One whose stream closed has left the queue (they wait on in the
	 * room while the grace runs, should the frame come back); one whose
	 * stream has not opened yet (a login on its way) is waiting.
	 */
	for (other = waiting->members; other != NULL; other = other->room_next)
		if (other != s && (session_streaming(other) ||
		    other->stream.fmt == NULL))
			break;
	if (other == NULL)
		return waiting;
	if (nrooms >= ROOM_MAX || (pair = room_create(ROOM_RANDOM)) == NULL)
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
	post_as(pair, other, EVENT_JOIN, NULL);
	session_notice(other, "A stranger is here. Say hello!");
	return pair;
}

int
room_enter(struct session *s, const char *name, long long now)
{
	char who[TEXT_LOG_BYTES];
	struct room *r = room_find(name);
	int created = 0;

	(void)now;
	if (r == NULL) {
		if (nrooms >= ROOM_MAX) {
			stats_refused(STATS_REFUSED_ROOM_CAP);
			return ROOM_FULL;
		}
		if ((r = room_create(name)) == NULL)
			return -1;
		created = strcmp(r->name, ROOM_RANDOM) != 0;
	}
	/* A room kept for its bans alone starts its history again. */
	if (start_history(r) == -1)
		return -1;
	if (strcmp(r->name, ROOM_RANDOM) == 0)
		r = pair_up(s, r);
	/* With -R the room may be older elsewhere: Redis says whose it is. */
	if (created && (claim == NULL || r->private || claim(r, s->key) == -1))
		room_add_op(r, s->key);
	/* Post the join before adding: the newcomer gets it in the replay. */
	log_info("%s joined %s", text_log_safe(s->name, who, sizeof who),
	    r->name);
	s->room = r;
	post_as(r, s, EVENT_JOIN, NULL);
	add_member(r, s);
	return 0;
}

/* Tells the one left in a stranger pair, with a link to find another. */
static void
partner_left(struct room *r)
{
	struct session *m = r->members;

	if (m != NULL)
		session_tell(m, EVENT_NOTICE, "/join " ROOM_RANDOM,
		    "The stranger left.");
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
		if (ev->kind == EVENT_WHISPER)
			event_rekey(ev, key, "", 0);
	}
}

void
room_exit(struct session *s, const char *reason, int quiet)
{
	char who[TEXT_LOG_BYTES], why[TEXT_LOG_BYTES];
	struct room *r = s->room;

	log_info("%s left %s (%s)", text_log_safe(s->name, who, sizeof who),
	    r->name, text_log_safe(reason, why, sizeof why));
	if (!quiet)
		post_as(r, s, EVENT_LEAVE, reason);
	remove_member(r, s);
	if (!s->registered)
		forget(r, s->key);
	if (r->private)
		partner_left(r);
	room_idle(r);
}

void
room_rekey(struct session *s, const char *old)
{
	struct room *r = s->room;
	unsigned i;
	int j, was_op = 0;

	for (j = 0; j < r->nops; j++)
		was_op |= strcmp(r->ops[j], old) == 0;
	if (was_op) {
		room_remove_op(r, old);
		room_add_op(r, s->key);
	}
	for (i = 0; i < r->count; i++)
		event_rekey(history_at(r, i), old, s->key, 1);
}

/* Room events a watcher may see after `after` (-1: the last -H), fitted to half its queue. */
static unsigned
watch_start(const struct room *r, struct watcher *w, long long after,
    int *missed)
{
	size_t budget = config.queue_max / 2, used = 0, n;
	unsigned start, i;
	struct event *ev;

	start = replay_start(r, after, missed);
	for (i = r->count; i > start; i--) {
		ev = history_at(r, i - 1);
		if (ev->kind == EVENT_WHISPER)
			continue;
		n = stream_event_size(&w->stream, ev, 0);
		if (used + n > budget)
			break;
		used += n;
	}
	if (i > start)
		*missed = 1;
	return i;
}

/* Makes room in the table by descriptor; -1 if out of memory. */
static int
watch_fd_fit(int fd)
{
	struct watcher **v;
	int n;

	if (fd < nwatch_fd)
		return 0;
	n = fd + 1 > 2 * nwatch_fd ? fd + 1 : 2 * nwatch_fd;
	if ((v = realloc(watch_fd, (size_t)n * sizeof *v)) == NULL)
		return -1;
	memset(v + nwatch_fd, 0, (size_t)(n - nwatch_fd) * sizeof *v);
	watch_fd = v;
	nwatch_fd = n;
	return 0;
}

int
room_watch(struct room *r, struct conn_handle conn, const struct fmt *f,
    const char *since, long long now, long long poll_deadline)
{
	/* stream_begin() copies a whole sid's bytes: no session, all NUL. */
	static const char nosid[STREAM_SID_BYTES];
	struct watcher *w;
	struct event *ev;
	unsigned i, start;
	int missed;

	if (conn.fd < 0 || watch_fd_fit(conn.fd) == -1 ||
	    (w = calloc(1, sizeof *w)) == NULL)
		return -1;
	now_ms = now;
	if (start_history(r) == -1) {
		free(w);
		return -1;
	}
	stream_reset(&w->stream);
	w->room = r;
	w->conn = conn;
	w->deadline = poll_deadline;
	w->next = r->watchers;
	if (r->watchers != NULL)
		r->watchers->prev = w;
	r->watchers = w;
	r->nwatchers++;
	nwatchers_total++;
	stats_watcher(1);
	watch_fd[conn.fd] = w;
	/*
	 * No line budget for a stream: a watcher has no page that grows.  A
	 * poll answers one event (its answer ends with it, next = its
	 * number), or none at the deadline (next = the room's last).
	 */
	stream_begin(&w->stream, conn, f, 0, nosid, poll_deadline != 0, now);
	stream_set_cursor(&w->stream, r->seq);
	start = watch_start(r, w, parse_since(r, since), &missed);
	if (missed && poll_deadline == 0 && (ev = event_new(EVENT_MISSED,
	    NULL, "Earlier events were missed.")) != NULL) {
		stream_event(&w->stream, ev, 0, now);
		event_unref(ev);
	}
	for (i = start; i < r->count && stream_is_open(&w->stream); i++)
		if (history_at(r, i)->kind != EVENT_WHISPER)
			stream_event(&w->stream, history_at(r, i), 0, now);
	if (!stream_is_open(&w->stream))
		unwatch(w, NULL);	/* a poll answered, or cut off */
	else
		stream_set_cursor(&w->stream, r->seq);
	return 0;
}

int
room_watch_lost(struct conn_handle conn)
{
	struct watcher *w;

	if (conn.fd < 0 || conn.fd >= nwatch_fd ||
	    (w = watch_fd[conn.fd]) == NULL || w->conn.gen != conn.gen)
		return 0;
	stream_lost(&w->stream, conn);
	unwatch(w, NULL);
	return 1;
}

int
room_watchers(const struct room *r)
{
	return r->nwatchers;
}

int
room_watchers_total(void)
{
	return nwatchers_total;
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
	if (ops_told != NULL && !r->private)
		ops_told(r, key, 1);
	return 0;
}

void
room_remove_op(struct room *r, const char *key)
{
	int i;

	for (i = 0; i < r->nops; i++)
		if (strcmp(r->ops[i], key) == 0) {
			if (ops_told != NULL && !r->private)
				ops_told(r, key, 0);
			memmove(r->ops[i], r->ops[--r->nops], TEXT_NAME_BYTES);
			return;
		}
}

int
room_ban(struct room *r, const char *key, const char *ip, long long until)
{
	struct ban *b;

	for (b = r->bans; b != NULL; b = b->next)
		if (strcmp(b->key, key) == 0)
			break;
	if (b == NULL) {
		if (r->nbans >= ROOM_BANS_MAX)
			return ROOM_FULL;
		if ((b = calloc(1, sizeof *b)) == NULL)
			return -1;
		snprintf(b->key, sizeof b->key, "%s", key);
		b->next = r->bans;
		r->bans = b;
		r->nbans++;
	}
	snprintf(b->ip, sizeof b->ip, "%s", ip);
	b->until = until;
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
	if (post_as(s->room, s, EVENT_TOPIC, topic) == -1) {
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
			r->nbans--;
		} else
			pp = &b->next;
	}
}

/* Keepalives for watching streams; a watching poll's time ends. */
static void
sweep_watchers(struct room *r, long long now)
{
	struct watcher *w, *next;

	for (w = r->watchers; w != NULL; w = next) {
		next = w->next;
		if (w->deadline != 0 && now >= w->deadline) {
			stream_reload(&w->stream);
			unwatch(w, NULL);
		} else if (w->deadline == 0)
			stream_idle(&w->stream, now,
			    (long long)config.keepalive * 1000);
	}
}

void
room_sweep(long long now)
{
	static long long next_sweep;
	struct room *r, *next;
	int watch = 0;

	now_ms = now;
	/* Called every loop pass: the rooms are walked a few times a second. */
	if (now < next_sweep && now >= next_sweep - ROOM_SWEEP_MS)
		return;
	next_sweep = now + ROOM_SWEEP_MS;
	if (nwatchers_total > 0 && now >= next_watch_sweep) {
		next_watch_sweep = now + ROOM_WATCH_SWEEP_MS;
		watch = 1;
	}
	for (r = rooms; r != NULL; r = next) {
		if (watch)
			sweep_watchers(r, now);
		next = r->next;
		drop_expired_bans(r, now);
		room_idle(r);
	}
}
