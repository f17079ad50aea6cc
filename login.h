/* login.h: the login rules, shared by the HTML and the JSON login. */
#ifndef LOGIN_H
#define LOGIN_H

#include "accounts.h"

#define LOGIN_SHORT_RESERVE_DIV	8	/* 1/8 of -c kept for short requests */
#define LOGIN_PENDING		(-1)	/* login_run(): the password is being checked */

struct later;
struct session;
struct web_request;

/*
 * One login attempt.  A registered name's password is checked off the
 * loop, so an attempt runs twice for it: first to start the check
 * (login_run() returns LOGIN_PENDING, and the request conn, gen resumes
 * through later.h), then again with `waited` holding the verdict.
 */
struct login {
	/* in */
	const char	*name, *passwd, *room, *color;	/* room: "" for the default */
	const char	*ip;
	long long	 now;
	int		 conn;		/* the request, to resume it (later.h) */
	unsigned long	 gen;
	const struct later *waited;	/* the second run: the check's result */
	/* out, when refused: the field at fault ("name", "passwd", "color", "room") or NULL, and why */
	const char	*field;
	const char	*why;
	/* out, when done */
	struct session	*session;
};

/*
 * Fills l's inputs for the attempt req makes with these form fields (the
 * HTML and the JSON route read them alike); the outputs are cleared.
 */
void	login_init(struct login *, const struct web_request *req,
	    const char *name, const char *passwd, const char *room,
	    const char *color);

/*
 * Runs the rules of a login: the per-address limits (only on the first
 * run), name, room, password, reserved names, -G, bans, colour, a name in
 * use, then the session (a registered name's older session is taken over).
 * Returns 0 with l->session in its room, LOGIN_PENDING, or the HTTP status
 * of the refusal (400, 403, 409, 429, 503) with l->field and l->why set.
 */
int	login_run(struct login *);

/*
 * Section 10's per-address limits for a login or a registration: 0, or
 * 429/503 with *why set.  Counts the request against the address's bucket.
 */
int	login_fair(const char *ip, const char *name, long long now,
	    int is_register, const char **why);

/* 1 if a name listed in -a has no account yet: kept for its owner. */
int	login_reserved(const char *name);

#endif
