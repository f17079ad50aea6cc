/* http.h: the HTTP/1.0 request parser, form decoding, HTML escaping, response heads. */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "buf.h"

#define HTTP_HEAD_MAX		8192	/* request line + headers, bytes */
#define HTTP_BODY_MAX		8192	/* POST body, bytes */
#define HTTP_HEAD_TIMEOUT_MS	10000	/* a head must be complete by then */
#define HTTP_HOST_MAX		255	/* Host value, bytes: a DNS name and a port */
#define HTTP_ORIGIN_MAX		(HTTP_HOST_MAX + 16)	/* Origin: scheme://host:port */
#define HTTP_AUTH_MAX		300	/* Authorization kept: "Bearer " and a token */
#define HTTP_EVENT_ID_MAX	20	/* Last-Event-ID kept: a number below 2^64 */
#define HTTP_CACHE_MAX_AGE	3600	/* seconds a static file may be cached */
#define HTTP_UPGRADE_MAX	64	/* Upgrade, repeats joined, bytes */
#define HTTP_CONNECTION_MAX	128	/* Connection, repeats joined, bytes */
#define HTTP_WS_KEY_MAX		32	/* Sec-WebSocket-Key kept: 24 is right */
#define HTTP_WS_VERSION_MAX	8	/* Sec-WebSocket-Version kept */
#define HTTP_STATUS_MIN		100	/* a status code has three digits */
#define HTTP_STATUS_MAX		999

/* Status codes; the values are the HTTP codes. */
enum http_status {
	HTTP_INCOMPLETE = 0,		/* parser: feed more bytes */
	HTTP_OK = 200,
	HTTP_NO_CONTENT = 204,
	HTTP_SEE_OTHER = 303,
	HTTP_BAD_REQUEST = 400,
	HTTP_UNAUTHORIZED = 401,
	HTTP_FORBIDDEN = 403,
	HTTP_NOT_FOUND = 404,
	HTTP_METHOD_NOT_ALLOWED = 405,
	HTTP_CONFLICT = 409,
	HTTP_LENGTH_REQUIRED = 411,
	HTTP_PAYLOAD_TOO_LARGE = 413,
	HTTP_TOO_MANY_REQUESTS = 429,
	HTTP_HEADERS_TOO_LARGE = 431,
	HTTP_INTERNAL_ERROR = 500,
	HTTP_NOT_IMPLEMENTED = 501,
	HTTP_UNAVAILABLE = 503,
	HTTP_VERSION_NOT_SUPPORTED = 505
};

enum http_method {
	HTTP_METHOD_NONE = 0,
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_OPTIONS		/* CORS preflight; web.c answers it */
};

/* The head's current line, then the body, share one buffer of this size. */
#define HTTP_SHARED_BYTES \
	((HTTP_HEAD_MAX > HTTP_BODY_MAX ? HTTP_HEAD_MAX : HTTP_BODY_MAX) + 1)

/*
 * One request, filled in by http_parse() as bytes arrive.  The caller owns
 * it and readies it with http_request_init() before the first byte; it
 * points into itself, so it is never copied.  The fields are valid once
 * http_parse() has returned HTTP_OK.
 */
struct http_request {
	/* parser state; private */
	int	 state;
	size_t	 head_len;		/* head bytes seen so far */
	size_t	 line_len;
	char	*line;			/* the line being read, in shared */

	/* results */
	enum http_method method;
	int	 minor;			/* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	const char *path;		/* target up to '?', still encoded */
	const char *query;		/* after '?', still encoded; "" if none */
	long	 content_length;	/* -1 when absent */
	int	 form;			/* Content-Type is x-www-form-urlencoded */
	/* set as soon as seen, so that a refused HEAD gets no body either */
	int	 head_only;		/* the request line starts "HEAD " */
	int	 has_host;		/* a Host header came */
	int	 has_origin;		/* an Origin header came */
	char	 origin[HTTP_ORIGIN_MAX + 1];	/* its value; "" if none */
	char	 host[HTTP_HOST_MAX + 1];	/* the Host value; "" if none */
	/* Authorization; "" if none or longer than HTTP_AUTH_MAX (never logged) */
	char	 authorization[HTTP_AUTH_MAX + 1];
	/* Last-Event-ID (SSE); "" if none, or longer than any event number */
	char	 last_event_id[HTTP_EVENT_ID_MAX + 1];
	size_t	 body_len;
	char	*body;			/* NUL-terminated, in shared */
	/*
	 * The headers of a WebSocket upgrade, "" when absent.  Upgrade and
	 * Connection are lists: repeats are joined with ", ".  A value over
	 * its field, or a second key or version, is kept as "" with its
	 * has_ flag set: the handshake is refused (400), nothing else is.
	 */
	int	 has_ws_key, has_ws_version;
	int	 upgrade_over, connection_over;	/* private */
	char	 upgrade[HTTP_UPGRADE_MAX + 1];
	char	 connection[HTTP_CONNECTION_MAX + 1];
	char	 ws_key[HTTP_WS_KEY_MAX + 1];
	char	 ws_version[HTTP_WS_VERSION_MAX + 1];

	char	 target[HTTP_HEAD_MAX + 2];	/* path NUL query NUL */
	char	 shared[HTTP_SHARED_BYTES];	/* line, then body */
};

void	http_request_init(struct http_request *);

/*
 * Feeds `len` bytes to the parser, which resumes where the previous call
 * stopped: a request split anywhere parses the same.  Lines end in CRLF or
 * bare LF.  Sets *used to the bytes consumed (the rest belongs to no
 * request: one request per connection).  Returns HTTP_INCOMPLETE for more,
 * HTTP_OK when the head and any POST body (Content-Length bytes) are in, or
 * the error status to answer with: 400 malformed request line, header,
 * Content-Length or %-escape in the target, a Host that is no host name
 * (spaces, or longer than HTTP_HOST_MAX), an Origin longer than
 * HTTP_ORIGIN_MAX, a second Host or Origin, 411 a POST without
 * Content-Length, 431 head over HTTP_HEAD_MAX, 413 body over HTTP_BODY_MAX,
 * 501 a method other than GET/HEAD/POST/OPTIONS or a Transfer-Encoding, 505 a
 * version other than HTTP/1.0 or HTTP/1.1.
 */
enum http_status http_parse(struct http_request *, const char *, size_t,
	    size_t *used);

/*
 * Whether a request may act for a user, judged by its Origin header
 * (RFC 6454): 1 when there is none (curl, telnet, older browsers), or when
 * it names this server as the request reached it ("http://" and the Host
 * header; ":80" or not alike) or one of the n `allowed` origins; 0 when it
 * names another site, "null" (an opaque origin) included.  Compared
 * without regard to ASCII case, as scheme and host are.
 */
int	http_origin_ok(const struct http_request *, const char *const *allowed,
	    int n);

/*
 * Cuts a complete response in b down to its head (through the blank line),
 * for HEAD: the head keeps the Content-Length the body had.
 */
void	http_strip_body(struct buf *);

/*
 * Looks up `key` in an urlencoded form ("a=1&b=x%20y") and decodes its
 * first value into `out` ('+' is a space), NUL-terminated.  Returns the
 * decoded length (which may contain NUL bytes from %00), -1 if the key is
 * absent, -2 if the value is malformed (bad %-escape) or does not fit in
 * outsize - 1 bytes.
 */
int	http_form_value(const char *form, const char *key, char *out,
	    size_t outsize);

/* Returns 0 if every %-escape in an urlencoded string is well formed, else -1. */
int	http_form_check(const char *form);

/* Appends `s` (n bytes) with & < > " ' escaped as HTML entities. */
int	http_html_escape(struct buf *, const char *s, size_t n);

/* The reason phrase of a status ("Not Found"); "Unknown" for others. */
const char *http_reason(int status);

/*
 * Lets pages from these origins frame chatd's pages: every head after
 * this says frame-ancestors 'self' and them, and no X-Frame-Options.
 * n 0: the default (same origin only).  -1 if out of memory.
 */
int	http_set_frame_ancestors(const char *const *origins, int n);

#define HTTP_NO_STORE	0x1	/* Cache-Control: no-store */
#define HTTP_CACHE	0x2	/* Cache-Control: max-age (static files) */

/*
 * Appends a complete response head: status line (HTTP/1.0), Content-Type,
 * Content-Length unless content_length < 0 (a stream), Cache-Control when
 * flags has HTTP_NO_STORE (or HTTP_CACHE_MAX_AGE with HTTP_CACHE), the
 * security headers (nosniff, a same-origin referrer policy, CSP
 * allowing only chatd's own scripts, same-origin framing), Connection:
 * close, and the blank line.
 */
int	http_response_head(struct buf *, int status, const char *content_type,
	    long content_length, int flags);

/*
 * Appends a copy of an urlencoded string with the values of secret keys
 * (sid, passwd, old, new, message) replaced by "-", for the access log.
 */
int	http_redact(struct buf *, const char *form);

#endif
