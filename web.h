/* web.h: what each URL does: routes, pages and their templates. */
#ifndef WEB_H
#define WEB_H

#include "buf.h"
#include "http.h"
#include "session.h"

#define WEB_VALUE_MAX		(HTTP_HEAD_MAX + 1)	/* any decoded value fits */
#define WEB_NAMES_REFRESH_S	10	/* names frame refresh, seconds */
#define WEB_LITE_REFRESH_S	10	/* /lite page refresh, seconds */
#define WEB_WHISPER_OPTIONS_MAX	100	/* whisper targets listed */
#define WEB_INT_BYTES		16	/* an int in decimal, sign and NUL */
#define WEB_CORS_METHODS	"GET, HEAD, POST, OPTIONS"	/* -O preflight */
#define WEB_CORS_HEADERS	"Authorization, Content-Type, Last-Event-ID"
#define WEB_CORS_MAX_AGE	"600"	/* seconds a browser may keep a preflight */
#define WEB_CORS_LINES_MAX	(HTTP_ORIGIN_MAX + 64)	/* CORS header lines */

struct session;

struct web_request {
	const struct http_request *http;
	const char	*ip;
	struct conn_handle conn;	/* becomes the chat stream for /chat */
	long long	 now;
	unsigned long	 gen;		/* tells this request from later ones on conn */
	void		*later;		/* NULL, or the token of a request that waited */
};

struct web_response {
	int		 status;
	struct buf	 out;		/* the whole response, unless a stream */
	struct session	*stream;	/* set when conn became this session's chat frame */
	int		 pending;	/* no answer yet: it comes through web_io */
	int		 watching;	/* conn became a watcher's stream (-W) */
};

/*
 * How a request that waits (a password being checked or an account being
 * saved, off the loop) is answered.  resume(conn, gen, token) runs the
 * request again through web_handle() with the token as req->later, if
 * conn still holds request gen: 0; else -1, and the token is dropped.
 */
struct web_io {
	int	(*resume)(int conn, unsigned long gen, void *token);
	/*
	 * conn becomes a WebSocket: the 101 head (len bytes) is queued on it
	 * and its frame parser made ready.  0, or -1 if out of memory.
	 */
	int	(*websocket)(struct conn_handle conn, const char *head,
		    size_t len);
};

void	web_init(const struct web_io *);

/* Turns a request's connection into a WebSocket (web_io.websocket). */
int	web_upgrade(struct conn_handle, const char *head, size_t len);

/*
 * Answers one request.  The caller owns resp->out (buf_init'ed) and frees
 * it.  With resp->pending set there is no answer yet: the connection
 * waits, watching nothing, for web_io.resume().
 */
void	web_handle(const struct web_request *, struct web_response *);

/*
 * Puts header lines (each ending in CRLF) into the complete response in
 * out, before the blank line that ends its head.
 */
void	web_head_lines(struct buf *out, const char *lines);

/*
 * A parameter of req from a POST body, else from the query string, decoded
 * into out.  Returns its length, -1 if absent, -2 if malformed or too long
 * (out is then ""); a NUL byte is allowed only with raw.
 */
int	web_param(const struct web_request *req, const char *key, char *out,
	    size_t size, int raw);

/* A complete error response with a readable page, for the connection layer. */
void	web_error(struct buf *, int status, const char *message);

/*
 * -W: conn becomes a read-only stream of the room in format f (type is
 * its Content-Type, for HEAD) without a session, replaying after since
 * (NULL: the last -H); with poll_ms > 0, a long poll that long.  403
 * without -W, 404 for a room that does not exist (JSON under /api/,
 * plain text elsewhere).  Returns the status.
 */
struct fmt;
int	web_watch(const struct web_request *, struct web_response *,
	    const struct fmt *f, const char *type, const char *room,
	    const char *since, long long poll_ms);
/*
 * The request's conn becomes session s's stream in format f, replacing
 * any other, and the room replays after since (NULL: the last -H).
 * Returns 200.
 */
int	web_stream(const struct web_request *, struct web_response *,
	    struct session *s, const struct fmt *f, const char *since);
/*
 * The same for a request to path (still encoded; "" if unknown): JSON
 * under /api/, a page elsewhere; the head alone when head_only.
 */
void	web_error_for(struct buf *, const char *path, int head_only,
	    int status, const char *message);

/*
 * Origins besides chatd's own address whose pages may post to it and use
 * /api/ (-O), n of them; none until this is called.  The strings must
 * outlive the server.
 */
void	web_set_origins(const char *const *origins, int n);

#endif
