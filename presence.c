/* presence.c: who is where across chatd instances (-R): leases, name claims, people lists. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "presence.h"
#include "session.h"
#include "text.h"

/*
 * presence.h keeps its own copy of the size (including session.h there
 * clashes with the tests' struct stream); this fails the build if the
 * two part.
 */
typedef char presence_away_fits[PRESENCE_AWAY_BYTES == SESSION_AWAY_MAX + 1 ?
    1 : -1];

int
presence_encode(char *out, size_t size, int instance, const char *color,
    const char *name, const char *away)
{
	int n;

	n = snprintf(out, size, "%02x %s %s %c%s", instance & 0xff, color,
	    name, away != NULL ? '+' : '-', away != NULL ? away : "");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Copies the word at *p (up to a space) into out; -1 if too long or empty. */
static int
field(const char **p, const char *end, char *out, size_t size)
{
	const char *w = *p;

	while (*p < end && **p != ' ')
		(*p)++;
	if (*p == w || (size_t)(*p - w) >= size || *p == end)
		return -1;
	memcpy(out, w, (size_t)(*p - w));
	out[*p - w] = '\0';
	(*p)++;
	return 0;
}

int
presence_decode(const char *value, size_t len, struct presence_person *p)
{
	const char *v = value, *end = value + len;
	char hex[3], color[TEXT_COLOR_BYTES + 1], *x;
	size_t rest;

	if (field(&v, end, hex, sizeof hex) == -1 || strlen(hex) != 2 ||
	    field(&v, end, color, sizeof color) == -1 ||
	    field(&v, end, p->name, sizeof p->name) == -1 || v == end ||
	    (*v != '+' && *v != '-'))
		return -1;
	p->instance = (int)strtol(hex, &x, 16);
	if (*x != '\0' || text_color(color, p->color) == -1 ||
	    !text_valid_name(p->name) || text_fold_name(p->name, p->key) == -1)
		return -1;
	p->away = *v++ == '+';
	rest = (size_t)(end - v);
	if (!p->away)
		rest = 0;
	if (rest >= sizeof p->reason)
		rest = sizeof p->reason - 1;
	memcpy(p->reason, v, rest);
	p->reason[rest] = '\0';
	return 0;
}

#ifdef CHATD_REDIS
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "loop.h"
#include "redis.h"
#include "room.h"

#define KEY_BYTES	(sizeof "chatd:people:" + TEXT_NAME_BYTES + TEXT_ROOM_BYTES)
#define CLAIM_TAG	12	/* sid digits in a claim: which session holds it */

/*
 * The scripts keep each step atomic.  A claim is this instance's when its
 * value begins with "II ": CLAIM takes or refreshes names (1 each) unless
 * another instance holds them (0); RELEASE frees a name only its holder
 * may; LEAVE takes one person off a room's list if that instance's, and
 * its 1 is the one answer that announces a dead instance's person.
 */
static const char claim_lua[] =
    "local r = {} "
    "for i, k in ipairs(KEYS) do "
    "local v = redis.call('GET', k) "
    "if not v or string.sub(v, 1, 3) == ARGV[1] then "
    "redis.call('SET', k, ARGV[i + 2], 'PX', ARGV[2]) r[i] = 1 "
    "else r[i] = 0 end end "
    "return r";
static const char release_lua[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v and string.sub(v, 1, 3) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";
static const char leave_lua[] =
    "local v = redis.call('HGET', KEYS[1], ARGV[1]) "
    "if not v or string.sub(v, 1, 3) ~= ARGV[2] then return 0 end "
    "redis.call('HDEL', KEYS[1], ARGV[1]) "
    "if redis.call('HLEN', KEYS[1]) == 0 then "
    "redis.call('SREM', KEYS[2], ARGV[3]) end "
    "return 1";

/* A name this instance holds or is claiming, and its entry in a people list. */
struct held {
	char		 key[TEXT_NAME_BYTES];
	int		 claimed;	/* 1 once Redis said it is ours */
	char		 room[TEXT_ROOM_BYTES];	/* its people entry; "" none */
	char		 value[PRESENCE_VALUE_BYTES];	/* what the entry says */
	unsigned long	 seen;		/* the last pass that found its session */
	struct held	*next;
};

/* Names in one CLAIM script call, and who waits for the answer. */
struct claims {
	int		 n;
	char		 keys[PRESENCE_BATCH][TEXT_NAME_BYTES];
	char		 values[PRESENCE_BATCH][CLAIM_TAG + 4];
	presence_claim_fn *fn;		/* a login's or a /nick's, n == 1 */
	void		*arg;
};

static presence_lost_fn *lost_fn;
static struct held *held[PRESENCE_BUCKETS];
static unsigned long pass;
static char	 prefix[4];		/* "II " */
static char	 live_key[sizeof "chatd:live:00"];
static long	 lease_ms;
static long long next_lease, next_sync, next_round;
static int	 first_life = 1;	/* until a round ran: entries of a former run are ours to clear */

/* A round reads every room's people, then which instances live. */
static int	 round_busy;
static struct presence_person *gather;
static int	 ngather, cap_gather;
static long long dead_since[256];

/* What the last round found: sorted by room then key, and an index by key. */
static struct presence_person *mirror;
static const struct presence_person **by_key;
static int	 nmirror;

static unsigned
bucket(const char *s)
{
	return text_hash(s, 0) % PRESENCE_BUCKETS;
}

static struct held *
held_find(const char *key)
{
	struct held *h;

	for (h = held[bucket(key)]; h != NULL; h = h->next)
		if (strcmp(h->key, key) == 0)
			return h;
	return NULL;
}

static struct held *
held_add(const char *key, int claimed)
{
	struct held *h;
	unsigned b = bucket(key);

	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	snprintf(h->key, sizeof h->key, "%s", key);
	h->claimed = claimed;
	h->seen = pass;
	h->next = held[b];
	held[b] = h;
	return h;
}

static void
held_drop(struct held *h)
{
	struct held **pp = &held[bucket(h->key)];

	while (*pp != h)
		pp = &(*pp)->next;
	*pp = h->next;
	free(h);
}

static void
held_clear(void)
{
	int i;

	for (i = 0; i < PRESENCE_BUCKETS; i++)
		while (held[i] != NULL)
			held_drop(held[i]);
}

/* ---- Talking to Redis ---- */

static void
send_claims(struct claims *c, redis_reply_fn *fn)
{
	const char *argv[3 + 2 * PRESENCE_BATCH + 2];
	char nkeys[8], px[24], keys[PRESENCE_BATCH][KEY_BYTES];
	int i, argc = 0;

	snprintf(nkeys, sizeof nkeys, "%d", c->n);
	snprintf(px, sizeof px, "%ld", lease_ms);
	argv[argc++] = "EVAL";
	argv[argc++] = claim_lua;
	argv[argc++] = nkeys;
	for (i = 0; i < c->n; i++) {
		snprintf(keys[i], sizeof keys[i], "chatd:name:%s", c->keys[i]);
		argv[argc++] = keys[i];
	}
	argv[argc++] = prefix;
	argv[argc++] = px;
	for (i = 0; i < c->n; i++)
		argv[argc++] = c->values[i];
	if (redis_commandv(REDIS_CMD, fn, c, argc, argv, NULL) == -1) {
		if (c->fn != NULL)
			c->fn(c->arg, -1);
		free(c);
	}
}

/* Frees a name this instance (or a dead one, by its prefix) holds. */
static void
release(const char *pfx, const char *key)
{
	redis_command(REDIS_CMD, NULL, NULL, "EVAL %s 1 chatd:name:%s %s",
	    release_lua, key, pfx);
}

/* A dead instance's person taken off a list by this instance: announced here. */
struct gone {
	struct presence_person p;
};

static void
on_gone(void *arg, redisReply *reply)
{
	struct gone *g = arg;
	struct event_source src;
	struct room *r;

	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 1 && (r = room_find(g->p.room)) != NULL &&
	    !r->private) {
		memset(&src, 0, sizeof src);
		snprintf(src.name, sizeof src.name, "%s", g->p.name);
		snprintf(src.key, sizeof src.key, "%s", g->p.key);
		snprintf(src.color, sizeof src.color, "%s", g->p.color);
		log_info("%s left %s (instance %02x is gone)", g->p.key,
		    g->p.room, g->p.instance);
		room_post(r, &src, EVENT_LEAVE, "connection lost", NULL);
	}
	free(g);
}

/*
 * Takes a person off a room's list if pfx's instance wrote it; with
 * announce, the leave is posted here if this call was the one that did.
 */
static void
leave(const char *room, const char *key, const char *pfx,
    const struct presence_person *announce)
{
	struct gone *g = NULL;

	if (announce != NULL && (g = malloc(sizeof *g)) != NULL)
		g->p = *announce;
	if (redis_command(REDIS_CMD, g != NULL ? on_gone : NULL, g,
	    "EVAL %s 2 chatd:people:%s chatd:rooms %s %s %s", leave_lua, room,
	    key, pfx, room) == -1)
		free(g);
}

static void
put(const char *room, const char *key, const char *value)
{
	redis_command(REDIS_CMD, NULL, NULL, "HSET chatd:people:%s %s %s",
	    room, key, value);
	redis_command(REDIS_CMD, NULL, NULL, "SADD chatd:rooms %s", room);
}

/* ---- Claims ---- */

/* The answer to a CLAIM: names held, or lost to another instance. */
static void
on_claims(void *arg, redisReply *reply)
{
	struct claims *c = arg;
	struct session *s;
	struct held *h;
	int i, ok;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != (size_t)c->n) {
		if (reply != NULL)
			log_warnx("redis: a name claim failed: %s",
			    redis_why(reply, "unexpected answer"));
		if (c->fn != NULL)
			c->fn(c->arg, -1);
		free(c);
		return;
	}
	for (i = 0; i < c->n; i++) {
		ok = reply->element[i]->type == REDIS_REPLY_INTEGER &&
		    reply->element[i]->integer == 1;
		h = held_find(c->keys[i]);
		if (ok && h != NULL)
			h->claimed = 1;
		else if (ok && c->fn != NULL)
			held_add(c->keys[i], 1);	/* the caller makes the session */
		else if (ok && session_by_name(c->keys[i]) == NULL)
			release(prefix, c->keys[i]);	/* it ended meanwhile */
		else if (!ok && c->fn == NULL) {
			/* Another instance took the name while the link was down. */
			if (h != NULL)
				held_drop(h);
			if ((s = session_by_name(c->keys[i])) != NULL &&
			    lost_fn != NULL) {
				log_info("%s: the name is held by another "
				    "instance", c->keys[i]);
				lost_fn(s);
			}
		}
	}
	if (c->fn != NULL)
		c->fn(c->arg, reply->element[0]->type == REDIS_REPLY_INTEGER &&
		    reply->element[0]->integer == 1);
	free(c);
}

/* Which session holds a name: "II" and the first digits of its sid. */
static void
claim_value(char *out, size_t size, const struct session *s)
{
	snprintf(out, size, "%s%.*s", prefix, CLAIM_TAG, s != NULL ? s->sid :
	    "login");
}

int
presence_claim(const char *name, presence_claim_fn *fn, void *arg)
{
	struct claims *c;

	if (!redis_up())
		return PRESENCE_LOCAL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return -1;
	if (text_fold_name(name, c->keys[0]) == -1) {
		free(c);
		return PRESENCE_LOCAL;
	}
	c->n = 1;
	claim_value(c->values[0], sizeof c->values[0], NULL);
	c->fn = fn;
	c->arg = arg;
	send_claims(c, on_claims);
	return PRESENCE_WAIT;
}

/* Sends the batch when full (or at the end, flush); NULL afterwards. */
static struct claims *
batch_add(struct claims *c, const struct session *s, int flush)
{
	if (s != NULL) {
		if (c == NULL && (c = calloc(1, sizeof *c)) == NULL)
			return NULL;
		snprintf(c->keys[c->n], sizeof c->keys[c->n], "%s", s->key);
		claim_value(c->values[c->n], sizeof c->values[c->n], s);
		c->n++;
	}
	if (c != NULL && (c->n == PRESENCE_BATCH || (flush && c->n > 0))) {
		send_claims(c, on_claims);
		return NULL;
	}
	return c;
}

/* ---- This instance's people ---- */

/*
 * Brings Redis in line with the local sessions: a claim for every name
 * not yet held, the people entry of every session held where it is now,
 * and names whose sessions are gone freed.  A walk of the sessions: it
 * catches every way in and out of a room, with no hook in each.
 */
static void
reconcile(void)
{
	char value[PRESENCE_VALUE_BYTES];
	const char *room;
	struct claims *batch = NULL;
	struct session *s;
	struct held *h, *next;
	int i;

	pass++;
	for (s = session_first(); s != NULL; s = s->next) {
		if ((h = held_find(s->key)) == NULL) {
			if (held_add(s->key, 0) != NULL)
				batch = batch_add(batch, s, 0);
			continue;
		}
		h->seen = pass;
		if (!h->claimed)
			continue;
		room = s->room != NULL && !s->room->private ? s->room->name :
		    "";
		if (presence_encode(value, sizeof value, config.instance,
		    s->color, s->name, s->away) == -1)
			continue;
		if (strcmp(room, h->room) != 0) {
			if (*h->room)
				leave(h->room, h->key, prefix, NULL);
			if (*room)
				put(room, h->key, value);
		} else if (*room && strcmp(value, h->value) != 0)
			put(room, h->key, value);
		snprintf(h->room, sizeof h->room, "%s", room);
		snprintf(h->value, sizeof h->value, "%s", value);
	}
	batch_add(batch, NULL, 1);
	for (i = 0; i < PRESENCE_BUCKETS; i++)
		for (h = held[i]; h != NULL; h = next) {
			next = h->next;
			if (h->seen == pass)
				continue;
			if (*h->room)
				leave(h->room, h->key, prefix, NULL);
			if (h->claimed)
				release(prefix, h->key);
			held_drop(h);
		}
}

void
presence_gone(const struct session *s)
{
	struct held *h;

	if ((h = held_find(s->key)) == NULL)
		return;
	if (*h->room)
		leave(h->room, h->key, prefix, NULL);
	if (h->claimed)
		release(prefix, h->key);
	held_drop(h);
}

/* The instance's lease, and the names it holds refreshed with it. */
static void
lease(void)
{
	struct claims *batch = NULL;
	struct session *s;
	struct held *h;
	int i;

	redis_command(REDIS_CMD, NULL, NULL, "SET %s %d PX %ld", live_key,
	    (int)getpid(), lease_ms);
	for (i = 0; i < PRESENCE_BUCKETS; i++)
		for (h = held[i]; h != NULL; h = h->next)
			if (h->claimed && (s = session_by_name(h->key)) != NULL)
				batch = batch_add(batch, s, 0);
	batch_add(batch, NULL, 1);
}

/* ---- The others' people ---- */

static int
by_room_key(const void *x, const void *y)
{
	const struct presence_person *a = x, *b = y;
	int c;

	return (c = strcmp(a->room, b->room)) != 0 ? c :
	    strcmp(a->key, b->key);
}

static int
by_key_only(const void *x, const void *y)
{
	return strcmp((*(const struct presence_person *const *)x)->key,
	    (*(const struct presence_person *const *)y)->key);
}

static void
mirror_set(struct presence_person *v, int n)
{
	int i;

	free(mirror);
	free(by_key);
	mirror = v;
	nmirror = n;
	by_key = NULL;
	if (n == 0)
		return;
	qsort(mirror, (size_t)n, sizeof *mirror, by_room_key);
	if ((by_key = calloc((size_t)n, sizeof *by_key)) == NULL) {
		free(mirror);
		mirror = NULL;
		nmirror = 0;
		return;
	}
	for (i = 0; i < n; i++)
		by_key[i] = &mirror[i];
	qsort(by_key, (size_t)n, sizeof *by_key, by_key_only);
}

static void
gather_drop(void)
{
	free(gather);
	gather = NULL;
	ngather = cap_gather = 0;
}

/* One room's people as the round reads them. */
static void
on_people(void *arg, redisReply *reply)
{
	char *room = arg;
	struct presence_person p, *v;
	size_t i;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY)
		for (i = 0; i + 1 < reply->elements; i += 2) {
			if (reply->element[i + 1]->type != REDIS_REPLY_STRING ||
			    presence_decode(reply->element[i + 1]->str,
			    reply->element[i + 1]->len, &p) == -1)
				continue;
			snprintf(p.room, sizeof p.room, "%s", room);
			if (ngather == cap_gather) {
				int cap = cap_gather ? cap_gather * 2 : 64;

				if ((v = realloc(gather, (size_t)cap *
				    sizeof *v)) == NULL)
					break;
				gather = v;
				cap_gather = cap;
			}
			gather[ngather++] = p;
		}
	free(room);
}

/* A person of this instance on a list: is the session still there? */
static int
still_here(const struct presence_person *p)
{
	struct session *s = session_by_name(p->key);
	struct held *h;

	if (s != NULL && s->room != NULL && !s->room->private &&
	    strcmp(s->room->name, p->room) == 0)
		return 1;
	/* Written a moment ago, or a move on its way: reconcile sees to it. */
	return (h = held_find(p->key)) != NULL && strcmp(h->room, p->room) == 0;
}

/*
 * The round's end: which instances live.  The others' people make the
 * new mirror; a dead instance's people leave, announced by whichever
 * instance's LEAVE took them off (only one can), in rooms it has; where
 * no instance has the room they go quietly after PRESENCE_QUIET_MS.
 */
static void
on_live(void *arg, redisReply *reply)
{
	char pfx[4];
	int live[256], i, n = 0;
	long long now = loop_now_ms();
	struct presence_person *p;
	struct room *r;

	(void)arg;
	round_busy = 0;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 256) {
		gather_drop();
		return;
	}
	for (i = 0; i < 256; i++) {
		live[i] = reply->element[i]->type == REDIS_REPLY_STRING;
		if (live[i] && dead_since[i] != 0) {
			log_info("redis: instance %02x is back", i);
			dead_since[i] = 0;
		}
	}
	for (i = 0; i < ngather; i++) {
		p = &gather[i];
		snprintf(pfx, sizeof pfx, "%02x ", p->instance);
		if (p->instance == config.instance) {
			if (!still_here(p)) {
				leave(p->room, p->key, pfx, first_life ? p :
				    NULL);
				if (first_life && session_by_name(p->key) ==
				    NULL)
					release(pfx, p->key);
			}
			continue;
		}
		if (live[p->instance]) {
			gather[n++] = *p;
			continue;
		}
		if (dead_since[p->instance] == 0) {
			log_warnx("redis: instance %02x stopped renewing its "
			    "lease: its people leave", p->instance);
			dead_since[p->instance] = now;
		}
		if ((r = room_find(p->room)) != NULL && !r->private) {
			leave(p->room, p->key, pfx, p);
			release(pfx, p->key);
		} else if (now - dead_since[p->instance] >= PRESENCE_QUIET_MS) {
			leave(p->room, p->key, pfx, NULL);
			release(pfx, p->key);
		}
	}
	first_life = 0;
	mirror_set(gather, n);
	gather = NULL;
	ngather = cap_gather = 0;
}

/* The rooms with people anywhere: read each, then the leases. */
static void
on_rooms(void *arg, redisReply *reply)
{
	static const char *argv[257];
	static char keys[256][sizeof "chatd:live:00"];
	char *room;
	size_t i;

	(void)arg;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		round_busy = 0;
		return;
	}
	gather_drop();
	for (i = 0; i < reply->elements; i++) {
		if (reply->element[i]->type != REDIS_REPLY_STRING ||
		    !text_valid_room(reply->element[i]->str) ||
		    (room = strdup(reply->element[i]->str)) == NULL)
			continue;
		if (redis_command(REDIS_CMD, on_people, room,
		    "HGETALL chatd:people:%s", room) == -1)
			free(room);
	}
	if (argv[0] == NULL) {
		argv[0] = "MGET";
		for (i = 0; i < 256; i++) {
			snprintf(keys[i], sizeof keys[i], "chatd:live:%02x",
			    (unsigned)i);
			argv[i + 1] = keys[i];
		}
	}
	/* After the lists: an instance whose people were read had its lease first. */
	if (redis_commandv(REDIS_CMD, on_live, NULL, 257, argv, NULL) == -1)
		round_busy = 0;
}

static void
start_round(void)
{
	if (round_busy)
		return;
	if (redis_command(REDIS_CMD, on_rooms, NULL, "SMEMBERS chatd:rooms")
	    == 0)
		round_busy = 1;
}

/* ---- The link ---- */

/*
 * Up (at start or after an outage): lease, claims, people, all at once,
 * and from scratch: Redis may have lost them, and an outage it ended
 * itself may come with no word of the link going down.
 */
static void
on_up(void)
{
	held_clear();
	gather_drop();
	round_busy = 0;
	next_lease = next_sync = next_round = 0;
}

/* Down: local rules; everything is asserted again when it is back. */
static void
on_down(void)
{
	held_clear();
	mirror_set(NULL, 0);
	gather_drop();
	round_busy = 0;
	memset(dead_since, 0, sizeof dead_since);
}

void
presence_start(presence_lost_fn *lost)
{
	long grace_ms = (long)config.grace * 1000;

	lost_fn = lost;
	snprintf(prefix, sizeof prefix, "%02x ", config.instance & 0xff);
	snprintf(live_key, sizeof live_key, "chatd:live:%02x",
	    config.instance & 0xff);
	/* Expiry, plus a round to notice it, within twice the grace. */
	lease_ms = 2 * grace_ms - 2 * PRESENCE_ROUND_MS;
	if (lease_ms < PRESENCE_LEASE_MIN_MS)
		lease_ms = PRESENCE_LEASE_MIN_MS;
	redis_listen(on_up, on_down);
}

void
presence_tick(long long now)
{
	if (!redis_up())
		return;
	if (now >= next_lease) {
		lease();
		next_lease = now + lease_ms / 3;
	}
	if (now >= next_sync) {
		reconcile();
		next_sync = now + PRESENCE_SYNC_MS;
	}
	if (now >= next_round) {
		start_round();
		next_round = now + PRESENCE_ROUND_MS;
	}
}

static int stopped;

static void
on_stopped(void *arg, redisReply *reply)
{
	(void)arg;
	(void)reply;
	stopped = 1;
}

void
presence_stop(void)
{
	long long until = loop_now_ms() + PRESENCE_STOP_MS;

	/* Sent before the loop stops: the others need not wait for the lease. */
	if (redis_command(REDIS_CMD, on_stopped, NULL, "DEL %s", live_key) == 0)
		while (!stopped && loop_now_ms() < until)
			if (loop_wait(PRESENCE_STOP_MS / 10) == -1)
				break;
	held_clear();
	mirror_set(NULL, 0);
	gather_drop();
}

/* ---- Questions ---- */

const struct presence_person *
presence_room(const char *room, int *n)
{
	int lo = 0, hi = nmirror, mid, first;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(mirror[mid].room, room) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < nmirror && strcmp(mirror[lo].room, room) == 0)
		lo++;
	*n = lo - first;
	return *n > 0 ? &mirror[first] : NULL;
}

const char *
presence_next_room(const char *after, int *n)
{
	int lo = 0, hi = nmirror, mid;

	while (after != NULL && lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(mirror[mid].room, after) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= nmirror) {
		*n = 0;
		return NULL;
	}
	presence_room(mirror[lo].room, n);
	return mirror[lo].room;
}

const struct presence_person *
presence_find(const char *name)
{
	char key[TEXT_NAME_BYTES];
	int lo = 0, hi = nmirror, mid, c;

	if (text_fold_name(name, key) == -1)
		return NULL;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(by_key[mid]->key, key)) == 0)
			return by_key[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
#endif
