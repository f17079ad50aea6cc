/* cluster.h: rooms shared across chatd instances (-R) through Redis Streams. */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <stddef.h>

#include "event.h"
#include "session.h"
#include "text.h"

#define CLUSTER_FIELDS_MAX	11	/* o k f c b t x s m, and a ban's n i */
#define CLUSTER_SEQ_LIMIT	1000	/* entries of one millisecond that fold */
#define CLUSTER_ID_BYTES	48	/* "MS-SEQ", both below 2^64 */
#define CLUSTER_TEXT_MAX	65536	/* longest text an entry may carry */
#define CLUSTER_KEY_BYTES	(sizeof "chatd:inbox:" + TEXT_ROOM_BYTES)
#define CLUSTER_READ_COUNT	100	/* entries per stream and XREAD */
#define CLUSTER_ROOMS_MAX	1024	/* streams one XREAD follows, the inbox too */
#define CLUSTER_INBOX_KEEP	1000	/* an inbox's length, trimmed (~) */

/*
 * A stream entry's field list, names and values in turn, as XADD takes
 * them; values point into the struct or into the event it was made from.
 */
struct cluster_fields {
	int		 argc;
	const char	*argv[2 * CLUSTER_FIELDS_MAX];
	size_t		 lens[2 * CLUSTER_FIELDS_MAX];
	char		 origin[3];
	char		 time[24];
	char		 minutes[24];
	char		 mentions[EVENT_MENTIONS_MAX * TEXT_NAME_BYTES];
};

/* The ban a kick carries (minutes 0: none), so every instance keeps it. */
struct cluster_ban {
	long		 minutes;
	char		 ip[SESSION_IP_BYTES];
};

/*
 * Fills f with the entry of an event that came from instance `origin`
 * (0-255); ban may be NULL.  f points into ev: keep ev while f is used.
 * 0, or -1 if the event cannot be shared (a kind that is no room event).
 */
int	cluster_encode(const struct event *, int origin,
	    const struct cluster_ban *, struct cluster_fields *);

/*
 * The event of an entry of a room's stream (or an inbox: room ""), from
 * n strings (names and values in turn, with their lengths), unnumbered;
 * *origin and *ban (may be NULL) are filled.  NULL if the entry is bad
 * (a field missing, twice or out of shape, an unknown kind) or memory is
 * short.
 */
struct event *cluster_decode(const char *room, int n,
	    const char *const *strings, const size_t *lens, int *origin,
	    struct cluster_ban *);

/*
 * An entry ID "MS-SEQ" folded into the event number MS*1000+SEQ: 0, or
 * -1 if it is no ID, SEQ is not below CLUSTER_SEQ_LIMIT or the number
 * would reach EVENT_ID_LIMIT.  cluster_id_unfold() is the way back.
 */
int	cluster_id_fold(const char *id, size_t len, unsigned long long *);
int	cluster_id_unfold(unsigned long long, char *out, size_t size);

#ifdef CHATD_REDIS
/* With -R: takes room.c's outbox and follows the rooms (before the loop). */
void	cluster_start(void);
/* Notices new and gone rooms; called every loop pass. */
void	cluster_tick(long long now_ms);
/* At shutdown, before the rooms go: nothing more is shared. */
void	cluster_stop(void);
#else
static inline void cluster_start(void) { }
static inline void cluster_tick(long long now_ms) { (void)now_ms; }
static inline void cluster_stop(void) { }
#endif

#endif
