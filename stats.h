/* stats.h: running totals for /status and /metrics, kept where things happen. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define STATS_TRANSPORTS_MAX	8	/* stream formats counted by name */
#define STATS_REDIS_BYTES	272	/* -R's "host:port" */

/* Connection states as conn.c counts them (its enum uses these values). */
enum stats_conn {
	STATS_CONN_FREE = 0,
	STATS_CONN_READING,
	STATS_CONN_RESPONDING,
	STATS_CONN_LINGERING,
	STATS_CONN_STREAMING,
	STATS_CONN_CLOSING,
	STATS_CONN_WAITING,
	STATS_CONN_COUNT
};

/* Why a request or a connection was turned away. */
enum stats_refusal {
	STATS_REFUSED_FULL,		/* 503: the connection table is full */
	STATS_REFUSED_PER_ADDRESS,	/* 429: -i connections or sessions */
	STATS_REFUSED_LOGIN_RATE,	/* 429: logins from one address */
	STATS_REFUSED_QUEUE,		/* a stream over -q, cut off */
	STATS_REFUSED_TOTAL_QUEUE,	/* a stream cut for -Q */
	STATS_REFUSED_ROOM_CAP,		/* ROOM_MAX rooms exist */
	STATS_REFUSED_SESSION_CAP,	/* 503: the session cap */
	STATS_REFUSED_COUNT
};

struct stats {
	time_t		 started;	/* wall clock */
	long		 conns[STATS_CONN_COUNT];	/* by state */
	const char	*transport[STATS_TRANSPORTS_MAX];	/* names */
	long		 streams[STATS_TRANSPORTS_MAX];	/* open, by transport */
	int		 ntransports;
	long		 watchers;
	unsigned long long events;	/* numbered events posted */
	unsigned long long deliveries;	/* events queued on a stream */
	unsigned long long refused[STATS_REFUSED_COUNT];
	char		 redis[STATS_REDIS_BYTES];	/* -R; "" without */
	int		 redis_up;
	time_t		 redis_since;	/* wall clock of the last change */
	unsigned long	 redis_outages;
};

/* The totals, read only: the status routes read them. */
extern const struct stats *const stats;

/* Starts the clock of uptime and forgets every total. */
void	stats_init(time_t now);

/* A connection left state from for state to (STATS_CONN_FREE: none). */
void	stats_conn_state(int from, int to);

/* A stream of a transport (its format's name, a static string) opened (+1) or closed (-1). */
void	stats_stream(const char *transport, int delta);

/* A watcher (-W) came (+1) or went (-1): the watchers' code calls this. */
void	stats_watcher(int delta);

void	stats_event(void);		/* a numbered event was posted */
void	stats_delivery(void);		/* an event was queued on a stream */
void	stats_refused(enum stats_refusal);
/* The Redis link (-R) at an address came up or went down. */
void	stats_redis(const char *address, int up, unsigned long outages);

/* The label of a refusal cause ("full", "per_address", ...). */
const char *stats_refusal_name(enum stats_refusal);
/* The label of a connection state ("reading", ...). */
const char *stats_conn_name(enum stats_conn);

/*
 * Appends s as a Prometheus label value: backslash, double quote and
 * newline escaped as \\, \" and \n; all else as it is.
 */
void	stats_label(struct buf *, const char *s);

#endif
