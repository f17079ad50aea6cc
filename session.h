/* session.h: sessions by sid: users, their chat streams, presence and timers. */
#ifndef SESSION_H
#define SESSION_H

#include <time.h>

#include "event.h"
#include "queue.h"
#include "stream.h"
#include "text.h"

#define SESSION_SID_LEN		32	/* lowercase hex digits */
#define SESSION_OPEN_TIMEOUT_MS	60000	/* a chat frame must open by then */
#define SESSION_BUCKETS		4096	/* hash buckets, by sid and by name */
#define SESSION_IGNORE_MAX	64	/* names one session can ignore */
#define SESSION_AWAY_MAX	200	/* bytes of an away reason */
#define SESSION_IP_BYTES	46	/* INET6_ADDRSTRLEN */
#define SESSION_BURST		5	/* rate limit: bucket size */
#define SESSION_REFILL_MS	1000	/* rate limit: one token per second */
#define SESSION_SWEEP_MS	250	/* how often timers are checked */
#define SESSION_HOLD_MS		60000	/* past -g, for sessions held by /lite */

struct room;

struct session {
	char		 sid[SESSION_SID_LEN + 1];
	char		 name[TEXT_NAME_BYTES];
	char		 key[TEXT_NAME_BYTES];	/* text_fold_name(name) */
	char		 color[TEXT_COLOR_BYTES];
	char		 ip[SESSION_IP_BYTES];
	int		 registered;
	int		 admin;
	char		*away;		/* reason ("" for none) while away, else NULL */
	struct room	*room;

	struct stream	 stream;	/* its one stream, open or not */
	long long	 deadline;	/* ms; grace or first-open limit, or 0 */
	long long	 last_active;	/* ms; for /whois idle time */
	time_t		 login_time;	/* wall clock of the last login, for /whois */
	long long	 login_ms;	/* the same on the loop's clock */

	int		 tokens;	/* rate limit */
	long long	 token_ms;

	int		 nignores;
	char		(*ignores)[TEXT_NAME_BYTES];	/* keys */

	struct session	*sid_next, *key_next;	/* hash chains */
	struct session	*prev, *next;		/* all sessions */
	struct session	*room_prev, *room_next;	/* members of room */
};

/* Why a session ends; each shows its own line. */
enum session_end {
	SESSION_LEAVE,		/* /leave or /quit */
	SESSION_TIMEOUT,	/* grace or first-open limit ran out */
	SESSION_KICKED,		/* by an operator; the room saw the kick */
	SESSION_TAKEN_OVER,	/* its owner logged in again */
	SESSION_NAME_CLAIMED,	/* a guest's name was logged in by its owner */
	SESSION_SHUTDOWN	/* the server is stopping */
};

void	session_init(const struct stream_io *);

/*
 * A new session with a fresh sid from /dev/urandom, not yet in any room.
 * The name must be valid and free.  NULL if out of memory or no random
 * bytes could be read.
 */
struct session *session_new(const char *name, const char *color,
	    const char *ip, long long now);

struct session *session_find(const char *sid);	/* NULL if unknown */
struct session *session_by_name(const char *name);	/* any case; NULL if none */
struct session *session_first(void);	/* all sessions: first, then ->next */
int	session_count(void);

/*
 * Ends a session: writes the closing line to its stream, closes it and
 * frees the session.  The session must have left its room first
 * (room_exit()): the layer above does both.
 */
void	session_end(struct session *, enum session_end);

/*
 * Gives a session a fresh sid for its owner's new login: the old sid
 * stops working and the old stream is closed with a line saying why.
 * The login time is the new login's.
 */
int	session_renew(struct session *);

/* Renames a session (the caller checked the name) and rehashes it. */
void	session_rename(struct session *, const char *name);

/* The session as the source of the events it causes. */
void	session_source(const struct session *, struct event_source *);

/*
 * Makes conn the session's stream, in format f: an open stream is
 * replaced (it gets a line saying so and is closed); the head and the
 * notices kept meanwhile are queued.  The caller then replays the room.
 */
void	session_attach(struct session *, struct conn_handle conn,
	    const struct fmt *f, int framing, long long now);

/* 1 if the session has an open stream. */
int	session_streaming(const struct session *);

/*
 * Called by the connection layer when conn is gone; nothing happens unless
 * it is still the session's stream.  Returns 1 if the session must end
 * now (-g 0): the caller ends it.
 */
/*
 * A long poll was answered: an open stream ends with its format's reload
 * bytes, and the session waits for the next poll for the grace period
 * (a minute with -g 0), as after a lost stream.
 */
void	session_poll_done(struct session *, long long now);

int	session_stream_lost(struct session *, struct conn_handle conn,
	    long long now);

/*
 * Sends an event to the session's stream (marked: the mention variant);
 * a closed stream keeps unnumbered notices and whispers for the next one.
 */
void	session_deliver(struct session *, struct event *, int marked);

/* The size of an event on the session's stream; 0 if none. */
size_t	session_event_size(struct session *, struct event *, int marked);

/* The last numbered event the stream has: the room's after a replay. */
void	session_set_cursor(struct session *, unsigned long long);

/* Sends an unnumbered line of a kind (notice, divider, missed) with an optional hint command. */
void	session_tell(struct session *, enum event_kind, const char *hint,
	    const char *text);

/* Sends a notice only this session sees. */
void	session_notice(struct session *, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	    __attribute__((format(printf, 2, 3)))
#endif
	    ;

/* Takes one rate-limit token; 1 if the message may go, 0 if over the limit. */
int	session_take_token(struct session *, long long now);

int	session_ignores(const struct session *, const char *key);
int	session_ignore(struct session *, const char *key);	/* -1 if full */
void	session_unignore(struct session *, const char *key);
int	session_set_away(struct session *, const char *reason);	/* NULL: back */
void	session_set_color(struct session *, const char *color);	/* valid */
void	session_set_account(struct session *, int registered, int admin);
void	session_touch(struct session *, long long now);	/* for /whois idle */

/*
 * A page request (/lite) holds a session that has no stream: it lives
 * while they come at least every -g + SESSION_HOLD_MS.
 */
void	session_hold(struct session *, long long now);

/*
 * Runs the timers: keepalives, and grace and first-open limits: a session
 * whose time ran out is handed to expired(), which must end it.  Returns
 * the ms until the next sweep.
 */
long	session_sweep(long long now, void (*expired)(struct session *));

/*
 * Marks a session as about to end (1) or not after all (0): the lines
 * it is sent meanwhile (the kick that ends it) never make its stream
 * reload, so they arrive before it closes.
 */
void	session_set_ending(struct session *, int);

/*
 * Ends every session with a shutdown line on its stream (SIGTERM), and
 * nothing else: no leaves are sent, so it costs one line per stream.
 * Rooms still list the freed sessions: the caller drops the rooms next.
 */
void	session_shutdown(void);

#endif
