/* login.c: the login rules, shared by the HTML and the JSON login. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "addr.h"
#include "cmd.h"
#include "config.h"
#include "http.h"
#include "later.h"
#include "log.h"
#include "login.h"
#include "presence.h"
#include "room.h"
#include "session.h"
#include "stats.h"
#include "status.h"
#include "text.h"
#include "web.h"

#define PALETTE_SIZE	(sizeof palette / sizeof palette[0])

/* Guests without a colour get one of these, by name. */
static const char *const palette[] = {
	"#b22222", "#1e6fb0", "#2e8b57", "#8b4513", "#6a3d9a", "#d2691e",
	"#008080", "#c71585", "#556b2f", "#4b0082"
};

int
login_reserved(const char *name)
{
	return config_admin_name(name) && accounts_find(name) == NULL;
}

/*
 * Logins and registrations from one address share a token bucket (429
 * past it), but for the loopback address (status_local()): it is the
 * operator's, or a reverse proxy's on the same host, behind which every
 * client would share one bucket.  A login that would make a session (no
 * session holds its name yet) is refused past -i sessions from its
 * address (429: that address's doing) and past the session cap (503: the
 * server is full), which keeps connections back so that a full server
 * still answers talk requests.
 */
int
login_fair(const char *ip, const char *name, long long now, int is_register,
    const char **why)
{
	int reserve = config.max_conns / LOGIN_SHORT_RESERVE_DIV;

	if (!status_local(ip) && !addr_take_login(ip, now)) {
		log_info("%s: %s refused: too many from this address", ip,
		    is_register ? "registration" : "login");
		stats_refused(STATS_REFUSED_LOGIN_RATE);
		*why = is_register ? "Too many registrations from your "
		    "address; try again in a few seconds." : "Too many logins "
		    "from your address; try again in a few seconds.";
		return HTTP_TOO_MANY_REQUESTS;
	}
	if (is_register || session_by_name(name) != NULL)
		return 0;
	if (addr_sessions(ip) >= config.per_ip) {
		log_info("%s: login refused: %d sessions from this address", ip,
		    config.per_ip);
		stats_refused(STATS_REFUSED_PER_ADDRESS);
		*why = "Too many people are logged in from your address. "
		    "Someone must log out first.";
		return HTTP_TOO_MANY_REQUESTS;
	}
	if (session_count() >= config.max_conns - (reserve > 0 ? reserve : 1)) {
		stats_refused(STATS_REFUSED_SESSION_CAP);
		*why = "The server is full. Please try again later.";
		return HTTP_UNAVAILABLE;
	}
	return 0;
}

/* A refusal: the status, with the field at fault and why. */
static int
refuse(struct login *l, int status, const char *field, const char *why)
{
	l->field = field;
	l->why = why;
	return status;
}

/* Whether an account name is a server administrator. */
static int
is_admin(const struct account *a)
{
	return a->admin || config_admin_name(a->name);
}

/*
 * The owner of a registered name logs in while an old session of theirs
 * lives: the old session gives up its sid and stream, the room sees
 * nothing, and the new login carries on in its place.
 */
static struct session *
take_over(struct session *old, const char *room, long long now)
{
	session_renew(old);
	if (room_find(room) != old->room) {	/* any case: names fold */
		room_exit(old, "moved", 0);
		if (room_enter(old, room, now) != 0 &&
		    room_enter(old, ROOM_DEFAULT, now) != 0)
			return NULL;
	}
	return old;
}

/*
 * The password of a registered name: 0 if right, LOGIN_PENDING while it
 * is checked off the loop, else 403 (503 without memory for the wait).
 */
static int
password(struct login *l)
{
	enum accounts_result r;
	struct later *token;

	if (l->waited != NULL)
		r = l->waited->result;
	else {
		if ((token = later_new(l->conn, l->gen)) == NULL)
			return refuse(l, HTTP_UNAVAILABLE, NULL, "The server "
			    "is busy. Please try again.");
		r = accounts_verify_start(l->name, l->passwd, later_accounts,
		    token);
		if (r == ACCOUNTS_PENDING)
			return LOGIN_PENDING;
		free(token);
	}
	if (r == ACCOUNTS_DONE)
		return 0;
	return refuse(l, HTTP_FORBIDDEN, "passwd", "This name is registered: "
	    "the password is wrong or missing.");
}

/*
 * With -R a name no local session holds is claimed across instances
 * first: the login waits for the answer (LOGIN_PENDING) and runs again
 * with it.  0 when this instance may use the name, else 409: the claim's
 * holder keeps it, a registered owner's session there included.  With
 * the link down, local rules alone.
 */
static int
claim(struct login *l, const struct account *acct)
{
	struct later *token;
	int r;

	if (l->waited != NULL && l->waited->claimed) {
		if (l->waited->held != 0)	/* -1: the link went down */
			return 0;
		return refuse(l, HTTP_CONFLICT, "name", acct != NULL ?
		    "This name is logged in on another server of this chat: "
		    "log out there first, or wait for that session to end." :
		    "This name is in use.");
	}
	if ((token = later_new(l->conn, l->gen)) == NULL)
		return refuse(l, HTTP_UNAVAILABLE, NULL, "The server is busy. "
		    "Please try again.");
	/* A password's verdict rides along to the run that resumes. */
	token->result = l->waited != NULL ? l->waited->result :
	    ACCOUNTS_BAD_PASSWORD;
	if ((r = presence_claim(l->name, later_claim, token)) == PRESENCE_WAIT)
		return LOGIN_PENDING;
	free(token);
	if (r == -1)
		return refuse(l, HTTP_UNAVAILABLE, NULL, "The server is busy. "
		    "Please try again.");
	return 0;
}

/* The checks before a session is made: 0, LOGIN_PENDING or a refusal. */
static int
check(struct login *l, const char *room, const struct account **acct)
{
	char key[TEXT_NAME_BYTES];
	struct room *r;
	int status;

	*acct = NULL;
	if (!text_valid_name(l->name))
		return refuse(l, HTTP_BAD_REQUEST, "name", TEXT_NAME_RULE);
	if (!text_valid_room(room))
		return refuse(l, HTTP_BAD_REQUEST, "room", TEXT_ROOM_RULE);
	if (accounts_find(l->name) != NULL && (status = password(l)) != 0)
		return status;
	/* Found again: the table may have been reread while the check ran. */
	*acct = accounts_find(l->name);
	if (*acct == NULL && login_reserved(l->name))
		return refuse(l, HTTP_FORBIDDEN, "name", "This name is "
		    "reserved for a server administrator.");
	if (*acct == NULL && config.no_guests)
		return refuse(l, HTTP_FORBIDDEN, "name", "Only registered "
		    "names may log in here. Register first.");
	text_fold_name(l->name, key);
	if ((r = room_find(room)) != NULL &&
	    room_banned(r, key, l->ip, l->now))
		return refuse(l, HTTP_FORBIDDEN, "room", "You are banned from "
		    "this room for now.");
	return 0;
}

void
login_init(struct login *l, const struct web_request *req, const char *name,
    const char *passwd, const char *room, const char *color)
{
	memset(l, 0, sizeof *l);
	l->name = name;
	l->passwd = passwd;
	l->room = room;
	l->color = color;
	l->ip = req->ip;
	l->now = req->now;
	l->conn = req->conn.fd;
	l->gen = req->gen;
	l->waited = req->later;
}

int
login_run(struct login *l)
{
	char canon[TEXT_COLOR_BYTES], key[TEXT_NAME_BYTES];
	const char *room = *l->room ? l->room : ROOM_DEFAULT;
	const struct account *acct;
	struct session *s;
	int status;

	l->field = l->why = NULL;
	l->session = NULL;
	/* Rate limits count a request once: not again when it resumes. */
	if (l->waited == NULL &&
	    (status = login_fair(l->ip, l->name, l->now, 0, &l->why)) != 0)
		return status;
	if ((status = check(l, room, &acct)) != 0)
		return status;
	text_fold_name(l->name, key);
	if (*l->color && text_color(l->color, canon) == -1)
		return refuse(l, HTTP_BAD_REQUEST, "color", TEXT_COLOR_RULE);
	if (!*l->color)
		snprintf(canon, sizeof canon, "%s", acct && *acct->color ?
		    acct->color : palette[(unsigned char)key[0] % PALETTE_SIZE]);
	if ((s = session_by_name(l->name)) != NULL && acct == NULL)
		return refuse(l, HTTP_CONFLICT, "name", "This name is in use.");
	/* A guest holding a name its owner registered since gives it up. */
	if (s != NULL && !s->registered) {
		cmd_end(s, SESSION_NAME_CLAIMED, "name claimed by its owner");
		s = NULL;
	}
	if (s != NULL) {
		if ((l->session = take_over(s, room, l->now)) == NULL)
			return refuse(l, HTTP_UNAVAILABLE, NULL, "The server is "
			    "busy. Please try again.");
		return 0;
	}
	if ((status = claim(l, acct)) != 0)
		return status;
	if ((s = session_new(acct ? acct->name : l->name, canon, l->ip,
	    l->now)) == NULL)
		return refuse(l, HTTP_UNAVAILABLE, NULL, "The server is busy. "
		    "Please try again later.");
	session_set_account(s, acct != NULL, acct != NULL && is_admin(acct));
	if ((status = room_enter(s, room, l->now)) != 0) {
		session_end(s, SESSION_TIMEOUT);
		if (status == ROOM_FULL)
			return refuse(l, HTTP_UNAVAILABLE, "room", "This server "
			    "keeps no more rooms: choose one that exists.");
		return refuse(l, HTTP_UNAVAILABLE, NULL, "The server is busy.");
	}
	l->session = s;
	return 0;
}
