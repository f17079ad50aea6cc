/* api.h: the JSON API under /api/: login, say, names, rooms, leave, and the SSE and long-poll streams. */
#ifndef API_H
#define API_H

#include "buf.h"
#include "web.h"

#define API_PREFIX	"/api"		/* it and below: for scripts, not people */
#define API_TYPE	"application/json; charset=utf-8"
#define API_POLL_DEFAULT_S	25	/* a long poll's timeout, seconds */
#define API_POLL_MAX_S		60	/* the longest one may ask for */
#define API_PUBLISH_FROM	"server"	/* a published event's name without from= */

/* 1 if a request path (still encoded) is /api or below it. */
int	api_path(const char *path);

/*
 * Answers a request under /api/ (web.c's router passes them on after its
 * cross-site and %-escape checks), with the conventions of web_handle().
 */
void	api_handle(const struct web_request *, struct web_response *);

/* Answers the long polls whose timeout has come (an empty list). */
void	api_sweep(long long now);

/*
 * A complete JSON error response, {"error":"<reason>"}; the head alone
 * when head_only.
 */
void	api_error(struct buf *, int head_only, int status, const char *reason);

struct session;

/*
 * A text message from a session's WebSocket: one talk line, exactly as
 * /dotalk takes it (commands, rate limit; a /passwd answers later, as a
 * notice).  Returns 200, or 400 or 429 with the refusal in reply for the
 * caller to send as a notice.  The message may be modified.
 */
int	api_ws_line(struct session *, char *message, size_t len,
	    long long now, struct buf *reply);

#endif
