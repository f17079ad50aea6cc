/* cmd.h: what a line typed in the talk frame does: messages, whispers and commands. */
#ifndef CMD_H
#define CMD_H

#include <stddef.h>

#include "buf.h"
#include "session.h"

#define CMD_BAN_MAX_MIN	(60 * 24 * 365)	/* longest /ban, minutes */
#define CMD_STAMP_BYTES	sizeof "2026-11-21 22:24 UTC"	/* /whois login time */

#define CMD_PENDING	0	/* cmd_talk(): the answer comes through done() */

/* The answer to a line that waited: the talk frame's status and its line. */
typedef void cmd_done(void *arg, int status, const char *reply);

/*
 * Handles one /dotalk: counts it against the rate limit, cleans and checks
 * the text, then says it, whispers it to `to` (a name; NULL or "" for the
 * room) or runs the command it starts with.  Returns the HTTP status for
 * the talk frame (200, 400 or 429) and leaves a line for the user in
 * `reply` ("" if nothing to say).  The message may be modified.
 *
 * /passwd checks and hashes passwords off the loop, and with -R /nick
 * waits for its name's claim across instances: cmd_talk() then
 * returns CMD_PENDING and done(arg, status, reply) is called once, later,
 * from accounts_collect(); otherwise done is never called.
 */
int	cmd_talk(struct session *, char *message, size_t len, const char *to,
	    long long now, struct buf *reply, cmd_done *done, void *arg);

/*
 * Ends a session: it leaves its room first (the room sees the leave with
 * reason, or nothing after a kick or a takeover), then its stream gets
 * its closing line and the session goes.
 */
void	cmd_end(struct session *, enum session_end, const char *reason);

/* The session sweep's hand-off: a session whose time ran out. */
void	cmd_expired(struct session *);

/*
 * SIGTERM: every stream gets its shutdown line and nothing else (no
 * leave is sent to anyone), then the rooms are dropped.
 */
void	cmd_shutdown(void);

#endif
