/* session.h: sessions by sid: users, their chat streams, presence and timers. */
#ifndef SESSION_H
#define SESSION_H

#include <time.h>

#include "queue.h"
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
#define SESSION_PAD_LINES	24	/* 49-byte lines: a stream opens with 1 KiB */

struct room;

/*
 * A session's reference to the connection of its chat frame: the
 * descriptor and the generation of its slot, which the connection layer
 * bumps whenever the slot is freed, so a handle that outlived its
 * connection matches nothing.  fd -1: no stream.
 */
struct conn_handle {
	int		 fd;
	unsigned	 gen;
};

/* How sessions reach the connection layer; they never write() themselves. */
struct session_io {
	/* Queues a chunk on a stream; -1 if the stream is gone, stale or cut off. */
	int	(*send)(struct conn_handle, struct chunk *);
	/* Closes a stream once its queued bytes are written; stale: nothing. */
	void	(*end)(struct conn_handle);
};

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

	struct conn_handle stream;	/* the chat frame; fd -1 if none */
	int		 ending;	/* session_end() runs: the stream never reloads */
	int		 lines;		/* fragments sent on this stream */
	unsigned long long last_seq;	/* last room event the stream got */
	long long	 last_send;	/* ms; for keepalives */
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

void	session_init(const struct session_io *);

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
 * Ends a session: leaves its room (which sees the leave, unless it was a
 * kick or a takeover), writes the closing line to its stream and closes
 * it, and frees it.  `reason` is shown with leaves and quits; may be NULL.
 */
void	session_end(struct session *, enum session_end, const char *reason);

/*
 * Gives a session a fresh sid for its owner's new login: the old sid
 * stops working and the old stream is closed with a line saying why.
 * The login time is the new login's.
 */
int	session_renew(struct session *);

/* Renames a session (the caller checked the name) and rehashes it. */
void	session_rename(struct session *, const char *name);

/*
 * Makes conn the session's chat stream: an open stream is replaced (it gets
 * a line saying so and is closed), the head and history from `since`
 * (a string; NULL or invalid for the last -H) are queued.
 */
void	session_attach(struct session *, struct conn_handle conn,
	    const char *since, long long now);

/* 1 if the session has an open chat stream. */
int	session_streaming(const struct session *);

/*
 * Called by the connection layer when conn is gone; nothing happens unless
 * it is still the session's stream.  May end the session (-g 0).
 */
void	session_stream_lost(struct session *, struct conn_handle conn,
	    long long now);

/*
 * Queues a fragment on the session's stream, if it has one; counts it
 * against the line budget.  seq is the room event it carries, or 0.
 */
void	session_send(struct session *, struct chunk *, unsigned long long seq);

/* Sends a notice only this session sees (plain text; escaped here). */
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

/* Runs the timers: grace and first-open limits, keepalives.  Returns the ms until the next sweep. */
long	session_sweep(long long now);

/*
 * Marks a session as about to end (1) or not after all (0): the lines
 * it is sent meanwhile (the kick that ends it) never make its stream
 * reload, so they arrive before it closes.
 */
void	session_set_ending(struct session *, int);

/* Ends every session with a shutdown line (SIGTERM). */
void	session_shutdown(void);

#endif
