/* cluster.c: rooms shared across chatd instances (-R) through Redis Streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "config.h"

/* Kinds an entry may carry: the numbered room events. */
static const enum event_kind shared_kinds[] = {
	EVENT_MSG, EVENT_ACTION, EVENT_WHISPER, EVENT_JOIN, EVENT_LEAVE,
	EVENT_KICK, EVENT_TOPIC, EVENT_NICK, EVENT_COLOR, EVENT_NOTICE
};

static int
shared_kind(enum event_kind k)
{
	size_t i;

	for (i = 0; i < sizeof shared_kinds / sizeof shared_kinds[0]; i++)
		if (shared_kinds[i] == k)
			return 1;
	return 0;
}

static void
field(struct cluster_fields *f, const char *name, const char *value)
{
	f->argv[f->argc] = name;
	f->lens[f->argc++] = strlen(name);
	f->argv[f->argc] = value;
	f->lens[f->argc++] = strlen(value);
}

int
cluster_encode(const struct event *ev, int origin,
    const struct cluster_ban *ban, struct cluster_fields *f)
{
	size_t len = 0;
	int i;

	if (!shared_kind(ev->kind) || origin < 0 || origin > 255 ||
	    strlen(ev->text) > CLUSTER_TEXT_MAX)
		return -1;
	memset(f, 0, sizeof *f);
	snprintf(f->origin, sizeof f->origin, "%02x", origin);
	snprintf(f->time, sizeof f->time, "%lld", (long long)ev->time);
	for (i = 0; i < ev->nmentions; i++)
		len += (size_t)snprintf(f->mentions + len,
		    sizeof f->mentions - len, "%s%s", i ? " " : "",
		    ev->mentions[i]);
	field(f, "o", f->origin);
	field(f, "k", event_kind_name(ev->kind));
	field(f, "f", ev->from.name);
	field(f, "c", ev->from.color);
	field(f, "b", ev->from.backend ? "1" : "0");
	field(f, "t", ev->to.name);
	field(f, "x", ev->text);
	field(f, "s", f->time);
	field(f, "m", f->mentions);
	if (ban != NULL && ban->minutes > 0) {
		snprintf(f->minutes, sizeof f->minutes, "%ld", ban->minutes);
		field(f, "n", f->minutes);
		field(f, "i", ban->ip);
	}
	return 0;
}

/* Copies a value that must fit and hold no NUL; -1 if it does not. */
static int
copy(char *out, size_t size, const char *s, size_t len)
{
	if (len >= size || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* A decimal number of at most `digits` digits; -1 if it is none. */
static int
number(const char *s, size_t len, size_t digits, unsigned long long *n)
{
	size_t i;

	if (len == 0 || len > digits)
		return -1;
	for (*n = 0, i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*n = *n * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The values of an entry's fields, by name; NULL where missing. */
struct values {
	const char	*v[CLUSTER_FIELDS_MAX];
	size_t		 len[CLUSTER_FIELDS_MAX];
};

static const char field_names[] = "okfcbtxsmni";

static int
gather(int n, const char *const *s, const size_t *lens, struct values *out)
{
	const char *p;
	int i, j;

	memset(out, 0, sizeof *out);
	if (n % 2 != 0)
		return -1;
	for (i = 0; i < n; i += 2) {
		if (lens[i] != 1 || s[i][0] == '\0' ||
		    (p = strchr(field_names, s[i][0])) == NULL)
			continue;	/* a field a later chatd may add */
		j = (int)(p - field_names);
		if (out->v[j] != NULL)
			return -1;
		out->v[j] = s[i + 1];
		out->len[j] = lens[i + 1];
	}
	return 0;
}

#define V(c)	(strchr(field_names, (c)) - field_names)

/* Parses a name value into a source (name, key); "" is allowed if empty_ok. */
static int
source(const struct values *v, int c, int empty_ok, struct event_source *src)
{
	int i = (int)V(c);

	if (v->v[i] == NULL || v->len[i] == 0)
		return empty_ok ? 0 : -1;
	if (copy(src->name, sizeof src->name, v->v[i], v->len[i]) == -1 ||
	    text_fold_name(src->name, src->key) == -1)
		return -1;
	return 0;
}

static int
mentions(struct event *ev, const char *s, size_t len)
{
	char key[TEXT_NAME_BYTES];
	size_t i = 0, j;

	while (i < len) {
		for (j = i; j < len && s[j] != ' '; j++)
			;
		if (j > i) {
			if (copy(key, sizeof key, s + i, j - i) == -1 ||
			    !text_valid_name(key) || ev->nmentions >= EVENT_MENTIONS_MAX ||
			    event_add_mention(ev, key) == -1)
				return -1;
		}
		i = j + 1;
	}
	return 0;
}

struct event *
cluster_decode(const char *room, int n, const char *const *s,
    const size_t *lens, int *origin, struct cluster_ban *ban)
{
	struct event_source from, to;
	struct values v;
	struct event *ev;
	enum event_kind kind;
	unsigned long long t, minutes = 0;
	char word[16], color[TEXT_COLOR_BYTES];
	size_t k;
	int hi, lo, i;

	if (gather(n, s, lens, &v) == -1)
		return NULL;
	for (i = 0; i < (int)sizeof "okfxs" - 1; i++)
		if (v.v[V("okfxs"[i])] == NULL)
			return NULL;
	i = (int)V('o');
	if (v.len[i] != 2 || (hi = hex_digit(v.v[i][0])) < 0 ||
	    (lo = hex_digit(v.v[i][1])) < 0)
		return NULL;
	*origin = hi * 16 + lo;
	i = (int)V('k');
	if (copy(word, sizeof word, v.v[i], v.len[i]) == -1)
		return NULL;
	for (k = 0; k < sizeof shared_kinds / sizeof shared_kinds[0]; k++)
		if (strcmp(word, event_kind_name(shared_kinds[k])) == 0)
			break;
	if (k == sizeof shared_kinds / sizeof shared_kinds[0])
		return NULL;
	kind = shared_kinds[k];
	memset(&from, 0, sizeof from);
	memset(&to, 0, sizeof to);
	if (source(&v, 'f', 0, &from) == -1 || source(&v, 't', 1, &to) == -1)
		return NULL;
	if ((kind == EVENT_WHISPER || kind == EVENT_KICK) && *to.key == '\0')
		return NULL;
	i = (int)V('c');
	if (v.v[i] != NULL && v.len[i] > 0) {
		if (copy(word, sizeof word, v.v[i], v.len[i]) == -1 ||
		    text_color(word, color) == -1)
			return NULL;
		memcpy(from.color, color, sizeof from.color);
	}
	i = (int)V('b');
	if (v.v[i] != NULL && (v.len[i] != 1 || (v.v[i][0] != '0' &&
	    v.v[i][0] != '1')))
		return NULL;
	from.backend = v.v[i] != NULL && v.v[i][0] == '1';
	i = (int)V('s');
	if (number(v.v[i], v.len[i], 18, &t) == -1)
		return NULL;
	i = (int)V('x');
	if (v.len[i] > CLUSTER_TEXT_MAX || memchr(v.v[i], '\0', v.len[i]))
		return NULL;
	if (ban != NULL)
		memset(ban, 0, sizeof *ban);
	i = (int)V('n');
	if (v.v[i] != NULL) {
		if (kind != EVENT_KICK || number(v.v[i], v.len[i], 9,
		    &minutes) == -1 || v.v[V('i')] == NULL)
			return NULL;
		if (ban != NULL) {
			ban->minutes = (long)minutes;
			if (copy(ban->ip, sizeof ban->ip, v.v[V('i')],
			    v.len[V('i')]) == -1)
				return NULL;
		}
	}
	if ((ev = calloc(1, sizeof *ev)) == NULL)
		return NULL;
	if ((ev->text = malloc(v.len[V('x')] + 1)) == NULL) {
		free(ev);
		return NULL;
	}
	memcpy(ev->text, v.v[V('x')], v.len[V('x')]);
	ev->text[v.len[V('x')]] = '\0';
	ev->refs = 1;
	ev->kind = kind;
	ev->time = (time_t)t;
	snprintf(ev->room, sizeof ev->room, "%s", room);
	ev->from = from;
	ev->to = to;
	i = (int)V('m');
	if (v.v[i] != NULL && mentions(ev, v.v[i], v.len[i]) == -1) {
		event_unref(ev);
		return NULL;
	}
	return ev;
}

int
cluster_id_fold(const char *id, size_t len, unsigned long long *n)
{
	unsigned long long ms, seq;
	const char *dash;

	if ((dash = memchr(id, '-', len)) == NULL ||
	    number(id, (size_t)(dash - id), 19, &ms) == -1 ||
	    number(dash + 1, len - (size_t)(dash + 1 - id), 19, &seq) == -1 ||
	    seq >= CLUSTER_SEQ_LIMIT ||
	    ms >= (EVENT_ID_LIMIT - seq) / CLUSTER_SEQ_LIMIT)
		return -1;
	*n = ms * CLUSTER_SEQ_LIMIT + seq;
	return 0;
}

int
cluster_id_unfold(unsigned long long n, char *out, size_t size)
{
	int len;

	len = snprintf(out, size, "%llu-%llu", n / CLUSTER_SEQ_LIMIT,
	    n % CLUSTER_SEQ_LIMIT);
	return len < 0 || (size_t)len >= size ? -1 : 0;
}

#ifdef CHATD_REDIS
#include <hiredis/hiredis.h>

#include "cmd.h"
#include "log.h"
#include "loop.h"
#include "redis.h"
#include "room.h"
#include "stats.h"

/* Lua: the first to claim a room that Redis has never seen is its op. */
#define CLUSTER_CLAIM_LUA \
	"if redis.call('EXISTS', KEYS[1]) == 0 and " \
	"redis.call('EXISTS', KEYS[2]) == 0 then " \
	"redis.call('SADD', KEYS[2], ARGV[1]) return 1 end return 0"
#define CLUSTER_RETRY_MS	1000	/* after a read Redis refused */

enum follow_state {
	FOLLOW_NEW,		/* its history is to be loaded */
	FOLLOW_LOADING,		/* XREVRANGE sent */
	FOLLOW_ON		/* followed from `last` */
};

/* A stream this instance reads: a room it has, or its inbox. */
struct follow {
	char		 room[TEXT_ROOM_BYTES];	/* "" for the inbox */
	char		 key[CLUSTER_KEY_BYTES];
	char		 last[CLUSTER_ID_BYTES];	/* last entry seen */
	enum follow_state state;
	int		 mark;
};

/* What a command's answer needs to find its way back. */
struct ask {
	unsigned long	 epoch;		/* the link's life it was sent in */
	char		 room[TEXT_ROOM_BYTES];
	char		 key[TEXT_NAME_BYTES];
	struct event	*ev;		/* XADD: delivered here if it fails */
	int		 inbox;		/* XADD to an inbox: a whisper */
	room_posted_fn	*done;
	void		*arg;
};

static struct follow	*follows;	/* [0] is the inbox */
static int		 nfollows;
static unsigned long	 seen_generation = (unsigned long)-1;
static unsigned long	 epoch;		/* +1 at each down */
static int		 reading;	/* an XREAD is out */
static int		 unblocking;	/* CLIENT UNBLOCK is out */
static int		 changed;	/* the set of streams changed */
static long long	 read_client = -1;	/* the read link's CLIENT ID */
static long long	 retry_at;
static int		 stopped;
static int		 loads;		/* some stream's history is to load */
static int		 nloading;	/* XREVRANGEs out */

static void	pump(void);

static struct ask *
ask_new(const char *room)
{
	struct ask *a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	a->epoch = epoch;
	snprintf(a->room, sizeof a->room, "%s", room);
	return a;
}

/*
 * Where a room is, or would go, among the rooms followed ([1, nfollows),
 * kept in order of name, so that a thousand rooms are found quickly).
 */
static int
follow_slot(const char *room, size_t len, int *found)
{
	int lo = 1, hi = nfollows, mid, c;

	*found = 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strncmp(follows[mid].room, room, len)) == 0 &&
		    follows[mid].room[len] != '\0')
			c = 1;
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct follow *
follow_room(const char *room)
{
	int i, found;

	i = follow_slot(room, strlen(room), &found);
	return found ? &follows[i] : NULL;
}

/* The stream of a key XREAD names. */
static struct follow *
follow_find(const char *key, size_t len)
{
	static const char prefix[] = "chatd:room:";
	int i, found;

	if (len == strlen(follows[0].key) && memcmp(key, follows[0].key,
	    len) == 0)
		return &follows[0];
	if (len <= sizeof prefix - 1 || len >= sizeof prefix + TEXT_ROOM_MAX ||
	    memcmp(key, prefix, sizeof prefix - 1) != 0)
		return NULL;
	i = follow_slot(key + sizeof prefix - 1, len - (sizeof prefix - 1),
	    &found);
	return found ? &follows[i] : NULL;
}

/* A room's events are shared unless strangers pair up or wait there. */
static int
shared(const struct room *r)
{
	return !r->private && strcmp(r->name, ROOM_RANDOM) != 0;
}

/*
 * Follows every room this instance has, and forgets the rooms it no
 * longer has; a change re-issues the blocking read.
 */
static void
sync_rooms(void)
{
	struct follow *f;
	struct room *r;
	int i, j, found;

	if (room_generation() == seen_generation)
		return;
	seen_generation = room_generation();
	for (i = 1; i < nfollows; i++)
		follows[i].mark = 0;
	for (r = room_first(); r != NULL; r = r->next) {
		if (!shared(r))
			continue;
		i = follow_slot(r->name, strlen(r->name), &found);
		if (found) {
			follows[i].mark = 1;
			continue;
		}
		if (nfollows == CLUSTER_ROOMS_MAX)
			break;
		memmove(&follows[i + 1], &follows[i], (size_t)(nfollows - i) *
		    sizeof *follows);
		nfollows++;
		f = &follows[i];
		memset(f, 0, sizeof *f);
		snprintf(f->room, sizeof f->room, "%s", r->name);
		snprintf(f->key, sizeof f->key, "chatd:room:%s", r->name);
		f->state = FOLLOW_NEW;
		f->mark = 1;
		changed = loads = 1;
	}
	for (i = j = 1; i < nfollows; i++) {
		if (follows[i].mark)
			follows[j++] = follows[i];
		else
			changed = 1;
	}
	nfollows = j;
}

/*
 * An entry's ID, and its fields (NULL if they are not all strings); -1
 * if it is not shaped as an entry at all.
 */
static int
entry_parts(const redisReply *e, const redisReply **id,
    const redisReply **fields)
{
	size_t i;

	if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return -1;
	*id = e->element[0];
	*fields = e->element[1];
	if ((*fields)->type != REDIS_REPLY_ARRAY ||
	    (*fields)->elements > 2 * CLUSTER_FIELDS_MAX + 16)
		*fields = NULL;
	for (i = 0; *fields != NULL && i < (*fields)->elements; i++)
		if ((*fields)->element[i]->type != REDIS_REPLY_STRING)
			*fields = NULL;
	return 0;
}

/*
 * A ban a kick carries holds here too, for what is left of it (a kick
 * from history may be old).
 */
static void
apply_ban(struct room *r, const struct event *ev,
    const struct cluster_ban *ban)
{
	long long left;

	left = (long long)ban->minutes * 60 - ((long long)time(NULL) -
	    (long long)ev->time);
	if (ban->minutes > 0 && left > 0)
		room_ban(r, ev->to.key, ban->ip, loop_now_ms() + left * 1000);
}

/* The holder of the kicked user ends their session, with the kick line. */
static void
apply_kick(struct room *r, const struct event *ev)
{
	char who[TEXT_LOG_BYTES], op[TEXT_LOG_BYTES];
	struct session *s;

	if ((s = session_by_name(ev->to.name)) != NULL && s->room == r) {
		log_info("%s was kicked from %s by %s", text_log_safe(s->name,
		    who, sizeof who), r->name, text_log_safe(ev->from.name, op,
		    sizeof op));
		cmd_end(s, SESSION_KICKED, NULL);
	}
}

/* A whisper from another instance to a user of this one. */
static void
inbox_entry(struct event *ev)
{
	struct session *s;

	ev->id = 0;		/* whispers across rooms are not numbered */
	if (ev->kind == EVENT_WHISPER &&
	    (s = session_by_name(ev->to.name)) != NULL &&
	    !session_ignores(s, ev->from.key))
		session_deliver(s, ev, 0);
}

/*
 * One entry of stream f: decoded, numbered by its ID and delivered;
 * quiet for history loaded rather than followed.
 */
static void
entry(struct follow *f, const redisReply *e, int quiet)
{
	const char *s[2 * CLUSTER_FIELDS_MAX + 16];
	size_t lens[2 * CLUSTER_FIELDS_MAX + 16];
	const redisReply *id, *fields;
	struct cluster_ban ban;
	unsigned long long n;
	struct event *ev;
	struct room *r;
	size_t i;
	int origin;

	/* Read past, even if refused: a bad entry is not read again. */
	if (entry_parts(e, &id, &fields) == -1 ||
	    copy(f->last, sizeof f->last, id->str, id->len) == -1)
		return;
	if (fields == NULL) {
		log_warnx("cluster: %s: entry %s: no fields", f->key, f->last);
		return;
	}
	if (cluster_id_fold(id->str, id->len, &n) == -1) {
		log_warnx("cluster: %s: entry %s: no ID chatd can number",
		    f->key, f->last);
		return;
	}
	for (i = 0; i < fields->elements; i++) {
		s[i] = fields->element[i]->str;
		lens[i] = fields->element[i]->len;
	}
	if ((ev = cluster_decode(f->room, (int)fields->elements, s, lens,
	    &origin, &ban)) == NULL) {
		log_warnx("cluster: %s: entry %s refused", f->key, f->last);
		return;
	}
	ev->id = n;
	if (*f->room == '\0')
		inbox_entry(ev);
	else if ((r = room_find(f->room)) != NULL &&
	    room_deliver(r, ev, quiet) == 0 && ev->kind == EVENT_KICK) {
		apply_ban(r, ev, &ban);
		if (!quiet)
			apply_kick(r, ev);
	}
	event_unref(ev);
}

/* Ops of a room loaded from Redis. */
static void
on_ops(void *arg, redisReply *reply)
{
	struct ask *a = arg;
	struct room *r;
	size_t i;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    (r = room_find(a->room)) != NULL)
		for (i = 0; i < reply->elements; i++)
			if (reply->element[i]->type == REDIS_REPLY_STRING &&
			    reply->element[i]->len < TEXT_NAME_BYTES)
				room_add_op(r, reply->element[i]->str);
	free(a);
}

/* A room's history, newest first: the newest -H go out to its streams. */
static void
on_history(void *arg, redisReply *reply)
{
	const redisReply *id, *fields;
	struct ask *a = arg;
	struct follow *f;
	size_t i, loud;

	if (a->epoch == epoch && nloading > 0)
		nloading--;
	f = *a->room ? follow_room(a->room) : &follows[0];
	if (reply == NULL || a->epoch != epoch || f == NULL ||
	    f->state != FOLLOW_LOADING) {
		free(a);
		return;
	}
	free(a);
	if (reply->type != REDIS_REPLY_ARRAY) {
		log_warnx("cluster: %s: %s", f->key,
		    redis_why(reply, "not a stream"));
		f->state = FOLLOW_NEW;
		loads = 1;
		retry_at = loop_now_ms() + CLUSTER_RETRY_MS;
		return;
	}
	snprintf(f->last, sizeof f->last, "0-0");
	/* The inbox: only what comes from now on. */
	if (*f->room == '\0' && reply->elements > 0 &&
	    entry_parts(reply->element[0], &id, &fields) == 0)
		copy(f->last, sizeof f->last, id->str, id->len);
	loud = (size_t)config.history;
	for (i = reply->elements; i > 0 && *f->room != '\0'; i--)
		entry(f, reply->element[i - 1], i - 1 >= loud);
	f->state = FOLLOW_ON;
	changed = 1;
	pump();
}

/* The entries XREAD brought, stream by stream. */
static void
on_read(void *arg, redisReply *reply)
{
	struct ask *a = arg;
	const redisReply *s;
	struct follow *f;
	size_t i, j;

	if (reply == NULL || a->epoch != epoch) {
		free(a);
		return;
	}
	free(a);
	reading = unblocking = 0;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("cluster: reading the rooms: %s", reply->str);
		retry_at = loop_now_ms() + CLUSTER_RETRY_MS;
		return;
	}
	if (reply->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < reply->elements; i++) {
			s = reply->element[i];
			if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
			    s->element[0]->type != REDIS_REPLY_STRING ||
			    s->element[1]->type != REDIS_REPLY_ARRAY ||
			    (f = follow_find(s->element[0]->str,
			    s->element[0]->len)) == NULL ||
			    f->state != FOLLOW_ON)
				continue;
			for (j = 0; j < s->element[1]->elements; j++)
				entry(f, s->element[1]->element[j], 0);
		}
	pump();
}

static void
on_client_id(void *arg, redisReply *reply)
{
	struct ask *a = arg;

	if (reply != NULL && a->epoch == epoch &&
	    reply->type == REDIS_REPLY_INTEGER)
		read_client = reply->integer;
	free(a);
}

/* Events a room keeps: so many stay in its stream too. */
static unsigned
keep(void)
{
	return config.history > ROOM_KEEP_MIN ? (unsigned)config.history :
	    ROOM_KEEP_MIN;
}

/*
 * Moves things on: loads the history of rooms new here, then reads
 * every followed stream at once, blocking; a read that follows an old
 * set of streams is cut short.
 */
static void
pump(void)
{
	static const char *argv[6 + 2 * CLUSTER_ROOMS_MAX];
	char count[16], block[16];
	struct follow *f;
	struct ask *a;
	int i, n, again = 0;

	if (stopped || !redis_up() || loop_now_ms() < retry_at)
		return;
	sync_rooms();
	for (i = 0; loads && i < nfollows; i++) {
		f = &follows[i];
		if (f->state != FOLLOW_NEW)
			continue;
		if ((a = ask_new(f->room)) == NULL) {
			again = 1;
			continue;
		}
		if (redis_command(REDIS_CMD, on_history, a,
		    "XREVRANGE %s + - COUNT %u", f->key,
		    *f->room ? keep() : 1) == -1) {
			free(a);
			return;
		}
		f->state = FOLLOW_LOADING;
		nloading++;
		if (*f->room && (a = ask_new(f->room)) != NULL &&
		    redis_command(REDIS_CMD, on_ops, a,
		    "SMEMBERS chatd:ops:%s", f->room) == -1)
			free(a);
	}
	loads = again;
	if (reading) {
		if (changed && !unblocking && read_client >= 0 &&
		    redis_command(REDIS_CMD, NULL, NULL, "CLIENT UNBLOCK %lld",
		    read_client) == 0)
			unblocking = 1;
		return;
	}
	if (nloading > 0 || (a = ask_new("")) == NULL)
		return;
	snprintf(count, sizeof count, "%d", CLUSTER_READ_COUNT);
	snprintf(block, sizeof block, "%d", REDIS_BLOCK_MS);
	argv[0] = "XREAD";
	argv[1] = "BLOCK";
	argv[2] = block;
	argv[3] = "COUNT";
	argv[4] = count;
	argv[5] = "STREAMS";
	for (i = 0, n = 6; i < nfollows; i++)
		argv[n++] = follows[i].key;
	for (i = 0; i < nfollows; i++)
		argv[n++] = follows[i].last;
	if (redis_commandv(REDIS_READ, on_read, a, n, argv, NULL) == -1) {
		free(a);
		return;
	}
	reading = 1;
	changed = 0;
}

/* The ban in force on the kicked user, so that every instance keeps it. */
static void
ban_of(const struct room *r, const struct event *ev, struct cluster_ban *out)
{
	long long now = loop_now_ms();
	const struct ban *b;

	memset(out, 0, sizeof *out);
	if (ev->kind != EVENT_KICK)
		return;
	for (b = r->bans; b != NULL; b = b->next)
		if (strcmp(b->key, ev->to.key) == 0 && b->until > now) {
			out->minutes = (long)((b->until - now + 59999) / 60000);
			snprintf(out->ip, sizeof out->ip, "%s", b->ip);
		}
}

/* XADD answered: the number is known (the event comes back by XREAD). */
static void
on_added(void *arg, redisReply *reply)
{
	struct ask *a = arg;
	unsigned long long n = 0;
	struct room *r;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
	    cluster_id_fold(reply->str, reply->len, &n) == 0) {
		if (a->done != NULL)
			a->done(a->arg, n);
		event_unref(a->ev);
		free(a);
		return;
	}
	if (reply != NULL)
		log_warnx("cluster: posting to %s: %s", a->room,
		    redis_why(reply, "no entry ID"));
	/* Not shared: delivered here, as without -R (a whisper is lost). */
	n = 0;
	if (!stopped && !a->inbox && (r = room_find(a->room)) != NULL) {
		a->ev->id = event_next_id();
		if (room_deliver(r, a->ev, 0) == 0) {
			n = a->ev->id;
			if (a->ev->kind == EVENT_KICK)
				apply_kick(r, a->ev);
		}
	}
	if (a->done != NULL)
		a->done(a->arg, n);
	event_unref(a->ev);
	free(a);
}

/* room.c's outbox: the event goes to the room's stream. */
static int
outbox(struct room *r, struct event *ev, int inbox, room_posted_fn *done,
    void *arg)
{
	const char *argv[6 + 2 * CLUSTER_FIELDS_MAX];
	size_t lens[6 + 2 * CLUSTER_FIELDS_MAX];
	char key[CLUSTER_KEY_BYTES], maxlen[16];
	struct cluster_fields f;
	struct cluster_ban ban;
	struct ask *a;
	int i;

	if (stopped || !redis_up())
		return -1;
	ban_of(r, ev, &ban);
	if (cluster_encode(ev, config.instance, &ban, &f) == -1 ||
	    (a = ask_new(r->name)) == NULL)
		return -1;
	if (inbox >= 0) {
		snprintf(key, sizeof key, "chatd:inbox:%02x", inbox);
		snprintf(maxlen, sizeof maxlen, "%d", CLUSTER_INBOX_KEEP);
	} else {
		snprintf(key, sizeof key, "chatd:room:%s", r->name);
		snprintf(maxlen, sizeof maxlen, "%u", keep());
	}
	argv[0] = "XADD";
	argv[1] = key;
	argv[2] = "MAXLEN";
	argv[3] = "~";
	argv[4] = maxlen;
	argv[5] = "*";
	for (i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	for (i = 0; i < f.argc; i++) {
		argv[6 + i] = f.argv[i];
		lens[6 + i] = f.lens[i];
	}
	a->ev = event_ref(ev);
	a->inbox = inbox >= 0;
	a->done = done;
	a->arg = arg;
	if (redis_commandv(REDIS_CMD, on_added, a, 6 + f.argc, argv,
	    lens) == -1) {
		event_unref(a->ev);
		free(a);
		return -1;
	}
	return 0;
}

/* room.c's operators changed: the set in Redis follows, for rooms loaded later. */
static void
ops_told(struct room *r, const char *key, int add)
{
	if (!stopped && redis_up() && shared(r))
		redis_command(REDIS_CMD, NULL, NULL, "%s chatd:ops:%s %s",
		    add ? "SADD" : "SREM", r->name, key);
}

static void
on_claim(void *arg, redisReply *reply)
{
	struct ask *a = arg;
	struct room *r;

	/* Lost with the link: the room is local for now, as without -R. */
	if ((reply == NULL || (reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 1)) && !stopped &&
	    (r = room_find(a->room)) != NULL)
		room_add_op(r, a->key);
	free(a);
}

/* room.c's claim: is the room new to Redis?  Then its creator is op. */
static int
claim(struct room *r, const char *key)
{
	struct ask *a;

	if (stopped || !redis_up() || (a = ask_new(r->name)) == NULL)
		return -1;
	snprintf(a->key, sizeof a->key, "%s", key);
	if (redis_command(REDIS_CMD, on_claim, a, "EVAL %s 2 chatd:room:%s "
	    "chatd:ops:%s %s", CLUSTER_CLAIM_LUA, r->name, r->name,
	    key) == -1) {
		free(a);
		return -1;
	}
	return 0;
}

static void
on_up(void)
{
	struct ask *a;

	stats_redis(redis_address(), 1, redis_outages());
	if ((a = ask_new("")) != NULL && redis_command(REDIS_READ,
	    on_client_id, a, "CLIENT ID") == -1)
		free(a);
	retry_at = 0;
	pump();
}

/*
 * Chat goes on here alone: what is followed is kept, to read on from
 * where it stopped once the link is back.
 */
static void
on_down(void)
{
	int i;

	stats_redis(redis_address(), 0, redis_outages());
	epoch++;
	loads = 1;
	nloading = 0;
	reading = unblocking = 0;
	read_client = -1;
	for (i = 0; i < nfollows; i++)
		if (follows[i].state == FOLLOW_LOADING)
			follows[i].state = FOLLOW_NEW;
}

void
cluster_start(void)
{
	if ((follows = calloc(CLUSTER_ROOMS_MAX, sizeof *follows)) == NULL)
		fatalx("out of memory");
	snprintf(follows[0].key, sizeof follows[0].key, "chatd:inbox:%02x",
	    config.instance);
	follows[0].state = FOLLOW_NEW;
	nfollows = 1;
	room_set_outbox(outbox, claim);
	room_set_ops(ops_told);
	redis_listen(on_up, on_down);
	stats_redis(redis_address(), 0, 0);
}

void
cluster_tick(long long now)
{
	(void)now;
	if (follows != NULL)
		pump();
}

void
cluster_stop(void)
{
	stopped = 1;
	room_set_outbox(NULL, NULL);
	room_set_ops(NULL);
}
#endif
