/* room.h: rooms: membership, history, event numbers, operators, bans and fan-out. */
#ifndef ROOM_H
#define ROOM_H

#include "event.h"
#include "queue.h"
#include "session.h"
#include "text.h"

#define ROOM_DEFAULT		"lobby"
#define ROOM_RANDOM		"random"	/* pairs strangers two by two */
#define ROOM_STRANGER		"stranger"	/* everyone's name in a pair */
#define ROOM_KEEP_MIN		200	/* events kept for since= even with small -H */
#define ROOM_TOPIC_MAX		200	/* code points */
#define ROOM_BAN_DEFAULT_MIN	60	/* /ban without minutes */
#define ROOM_MAX		1000	/* rooms, the lobby and pairs included */
#define ROOM_BANS_MAX		1000	/* bans in force in one room */
#define ROOM_FULL		(-2)	/* room_enter(), room_ban(): at a cap */
#define ROOM_SHARED		1	/* room_post(): sent out, delivered later */
#define ROOM_SINCE_DIGITS	19	/* longest since=N: below 2^64 */
#define ROOM_WATCH_SWEEP_MS	1000	/* how often watchers' keepalives are looked at */

struct watcher;
#define ROOM_SWEEP_MS		250	/* how often bans and idle rooms are checked */

struct session;

struct ban {
	char		 key[TEXT_NAME_BYTES];
	char		 ip[SESSION_IP_BYTES];
	long long	 until;		/* ms, monotonic */
	struct ban	*next;
};

struct room {
	char		 name[TEXT_ROOM_BYTES];	/* lower case */
	char		*topic;			/* "" if none */
	unsigned long long seq;			/* last event number */
	unsigned long long floor;		/* events up to it are gone */
	struct event	**history;		/* ring of `keep`; NULL while empty */
	unsigned	 keep, first, count;
	struct session	*members;
	int		 nmembers;
	int		 private;		/* a pair made by `random` */
	int		 published;		/* a backend posted here: kept empty */
	struct watcher	*watchers;		/* -W: streams without a session */
	int		 nwatchers;
	char		 (*ops)[TEXT_NAME_BYTES];	/* operator keys */
	int		 nops;
	struct ban	*bans;
	int		 nbans;
	struct room	*next;
};

/* Creates the lobby (again, after freeing every room). */
int	room_init(void);

struct room *room_find(const char *name);	/* any case; NULL if none */
struct room *room_first(void);
int	room_count(void);

/*
 * Puts a session into a room (creating it; its creator becomes operator)
 * and shows the join.  Returns 0, ROOM_FULL if the room would be one more
 * than ROOM_MAX, -1 if out of memory.
 */
int	room_enter(struct session *, const char *name, long long now);

/*
 * Takes a session out of its room; the room sees a leave with `reason`
 * unless quiet.  A guest's operator status and side of whispers there
 * are dropped, since the name is free for others.  An empty room other
 * than the lobby vanishes.
 */
void	room_exit(struct session *, const char *reason, int quiet);

/*
 * Posts a numbered event made by `from` (a user or a backend) to a room:
 * written to the transcript first (when public), kept in history, sent
 * to every member's stream that should see it.  `to` is the whisper
 * target or kicked user, else NULL; a whisper to someone in another room
 * goes to both, unnumbered, kept nowhere.  Returns 0, or -1 (nothing was
 * sent) when out of memory or when a message, action, topic or kick
 * could not be written to the transcript.
 */
int	room_post(struct room *, const struct event_source *from,
	    enum event_kind, const char *text, const struct session *to);

/*
 * A shared event's fate: its number, or 0 if it could not be posted.
 */
typedef void room_posted_fn(void *arg, unsigned long long id);

/*
 * Posts a backend's event (from.backend set) to the room of that name,
 * making it if missing; a room a backend posted to stays while empty, as
 * the lobby does.  Sets *id to the event's number.  Returns 0, ROOM_FULL
 * if the room would be one more than ROOM_MAX, or -1 (out of memory, or
 * the transcript refused it); or ROOM_SHARED when the event went to the
 * outbox: done(arg, id) follows (done may be NULL).
 */
int	room_publish(const char *name, const struct event_source *from,
	    enum event_kind, const char *text, unsigned long long *id,
	    room_posted_fn *done, void *arg);

/*
 * Rooms shared across instances (cluster.c, with -R and the link up).
 * The outbox takes a numbered room event, already in the transcript but
 * not numbered, kept or delivered, instead of room_post(): 0 if it took
 * it (it holds its own reference; done(arg, id) follows when done is not
 * NULL), -1 to have it delivered here at once.  room_post() then returns
 * ROOM_SHARED.  With inbox >= 0 the event is an unnumbered whisper for
 * that instance's user instead.  The claim hook is asked, instead of
 * making the creator of a room new here its operator, whether the room
 * is new everywhere.
 */
typedef int room_outbox_fn(struct room *, struct event *, int inbox,
	    room_posted_fn *done, void *arg);
typedef int room_claim_fn(struct room *, const char *key);
void	room_set_outbox(room_outbox_fn *, room_claim_fn *);
/* Told when a room gains (add 1) or loses an operator, to share it. */
typedef void room_ops_fn(struct room *, const char *key, int add);
void	room_set_ops(room_ops_fn *);

/*
 * Delivers an event numbered elsewhere (ev->id) to a room: kept in
 * history and, unless quiet, fanned out as room_post() does; a topic
 * becomes the room's.  The server-wide counter is raised past the
 * number.  0, or -1 when the number is not above the room's last (it was
 * delivered already: a reload overlaps what was followed).
 */
int	room_deliver(struct room *, struct event *, int quiet);

/*
 * Posts an event for a user of another instance (-R), `to` as presence
 * knows them: a kick goes to the room's stream (the instance that holds
 * them ends their session), a whisper to that instance, shown here to
 * its sender.  ROOM_SHARED, or -1 when the link is down or memory short.
 */
int	room_post_away(struct room *, const struct event_source *from,
	    enum event_kind, const char *text, const struct event_source *to,
	    int instance);

/* Changes whenever a room is made or goes, so a follower can tell. */
unsigned long room_generation(void);

/*
 * After a rename: what the room keeps under the old key (operator status,
 * whom its events are from, to and mention) follows the session's new key.
 */
void	room_rekey(struct session *, const char *old_key);

/*
 * Sends to s's open stream, in its format, the room's events after
 * `since` (or the last -H if since is NULL or not a number in the room's
 * range), after a missed line if some are gone.
 */
void	room_replay(struct session *, const char *since);

/*
 * The same events handed to fn(arg, event, marked) one by one, whether or
 * not s has a stream (a long poll collects them); returns the room's last
 * event number.
 */
typedef void room_each_fn(void *arg, struct event *, int marked);
unsigned long long room_replay_each(struct session *, const char *since,
	    room_each_fn *, void *arg);

/*
 * Watchers (-W): read-only streams of a room without a session, in the
 * room's list.  They get the room's numbered events but whispers (no
 * notices: those go to sessions), are in no names list, and keep the
 * room while they watch.  room_watch() opens one on conn in format f,
 * replaying after since as room_replay() does.  With poll_deadline
 * (ms, 0: a stream) it answers as a long poll: what is waiting at once,
 * else the first event or nothing at the deadline.  0, or -1 if out of
 * memory.
 */
int	room_watch(struct room *, struct conn_handle, const struct fmt *,
	    const char *since, long long now, long long poll_deadline);
/* The connection is gone: its watcher goes too.  1 if it was one. */
int	room_watch_lost(struct conn_handle);
int	room_watchers(const struct room *);	/* watchers of one room */
int	room_watchers_total(void);		/* of every room */

int	room_is_op(const struct room *, const struct session *);
int	room_add_op(struct room *, const char *key);	/* -1 if out of memory */
void	room_remove_op(struct room *, const char *key);
/*
 * Bans a name and an address until a time (ms); banning a name again
 * moves its ban.  0, ROOM_FULL at ROOM_BANS_MAX, or -1.
 */
int	room_ban(struct room *, const char *key, const char *ip, long long until);
/* 1 if this name or address is banned from the room now. */
int	room_banned(struct room *, const char *key, const char *ip, long long now);
int	room_set_topic(struct session *, const char *topic);

/* Drops expired bans and rooms that only they kept. */
void	room_sweep(long long now);

#endif
