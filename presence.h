/* presence.h: who is where across chatd instances (-R): leases, name claims, people lists. */
#ifndef PRESENCE_H
#define PRESENCE_H

#include "text.h"

#define PRESENCE_LEASE_MIN_MS	3000	/* the shortest instance lease */
#define PRESENCE_ROUND_MS	500	/* other instances' people and leases are read this often */
#define PRESENCE_SYNC_MS	250	/* this instance's people are written this often */
#define PRESENCE_QUIET_MS	3000	/* a dead instance's people nobody here saw go quietly */
#define PRESENCE_STOP_MS	200	/* the longest wait at shutdown for the lease to go */
#define PRESENCE_BATCH		100	/* name claims refreshed by one script call */
#define PRESENCE_BUCKETS	4096	/* hash buckets of names held and seen */
#define PRESENCE_AWAY_BYTES	201	/* SESSION_AWAY_MAX + 1 (presence.c checks) */
#define PRESENCE_VALUE_BYTES	(3 + TEXT_COLOR_BYTES + TEXT_NAME_BYTES + 1 + \
	PRESENCE_AWAY_BYTES)		/* "II colour name -" or "... +reason" */

#define PRESENCE_LOCAL		1	/* presence_claim(): the link is down, local rules */
#define PRESENCE_WAIT		0	/* presence_claim(): the answer comes later */

struct session;

/* Someone in a room of another instance, as its people list says. */
struct presence_person {
	char	 name[TEXT_NAME_BYTES];
	char	 key[TEXT_NAME_BYTES];
	char	 color[TEXT_COLOR_BYTES];
	char	 room[TEXT_ROOM_BYTES];
	int	 away;			/* 1 if away, with the reason (maybe "") */
	char	 reason[PRESENCE_AWAY_BYTES];
	int	 instance;
};

/*
 * The answer to a claim: 1 if this instance holds the name now, 0 if
 * another instance does, -1 if the link went down before the answer
 * (local rules then apply).
 */
typedef void presence_claim_fn(void *arg, int held);

/* A session that lost its name to another instance; the callee ends it. */
typedef void presence_lost_fn(struct session *);

/*
 * The people list value of a person: "II colour name -" or "II colour
 * name +reason".  Pure functions, for the tests too.  decode returns 0,
 * or -1 if the value is not one.
 */
int	presence_encode(char *out, size_t size, int instance, const char *color,
	    const char *name, const char *away);
int	presence_decode(const char *value, size_t len, struct presence_person *);

#ifdef CHATD_REDIS
/* With -R: listens to the link (before the loop runs); lost ends sessions. */
void	presence_start(presence_lost_fn *lost);
/* Leases, claims and people lists: every loop pass. */
void	presence_tick(long long now_ms);
/* SIGTERM: the lease goes, so the others see this instance leave at once. */
void	presence_stop(void);

/*
 * Claims a name (a login or /nick) for this instance: PRESENCE_LOCAL when
 * the link is down (fn is not called), PRESENCE_WAIT if fn(arg, held)
 * follows, -1 if out of memory.
 */
int	presence_claim(const char *name, presence_claim_fn *fn, void *arg);

/* The session is about to end (it has left its room): its name is free. */
void	presence_gone(const struct session *);

/*
 * The people of other instances in a room, sorted by key: *n of them
 * (NULL and 0 if none).  Valid until the next loop pass.
 */
const struct presence_person *presence_room(const char *room, int *n);
/*
 * Rooms of other instances' people in name order: the first after
 * `after` (NULL: the first of all) with *n people in it, or NULL.  For
 * lists of rooms that include those with nobody here.
 */
const char *presence_next_room(const char *after, int *n);
/* Someone of another instance by name (any case), or NULL. */
const struct presence_person *presence_find(const char *name);
#else
static inline void presence_start(presence_lost_fn *lost) { (void)lost; }
static inline void presence_tick(long long now_ms) { (void)now_ms; }
static inline void presence_stop(void) { }
static inline int presence_claim(const char *name, presence_claim_fn *fn,
    void *arg) { (void)name; (void)fn; (void)arg; return PRESENCE_LOCAL; }
static inline void presence_gone(const struct session *s) { (void)s; }
static inline const struct presence_person *presence_room(const char *room,
    int *n) { (void)room; *n = 0; return NULL; }
static inline const struct presence_person *presence_find(const char *name)
    { (void)name; return NULL; }
static inline const char *presence_next_room(const char *after, int *n)
    { (void)after; *n = 0; return NULL; }
#endif

#endif
