/* http.c: request parser, form decoding, HTML escaping, response heads. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"

/*
 * Where the parser stands, kept in http_request.state.  A parse that has
 * failed keeps its status there negated, so that every later call gives
 * the same answer and consumes nothing.
 */
enum {
	PARSE_REQUEST = 0,	/* blank lines, then the request line */
	PARSE_HEADER,		/* header lines up to the blank one */
	PARSE_BODY,		/* the Content-Length bytes of the body */
	PARSE_DONE
};

#define FORM_TYPE	"application/x-www-form-urlencoded"
#define VERSION_NAME	"HTTP/"		/* then major.minor */
#define VERSION_1_X	"HTTP/1."	/* then the minor we know, 0 or 1 */
#define OWN_SCHEME	"http://"	/* chatd's own origin: this and Host */
#define DEFAULT_PORT	":80"		/* the same origin with or without */
#define LIT_LEN(s)	(sizeof(s) - 1)	/* the length of a string literal */

/*
 * Our pages load only our own scripts, styles and images (inline styles
 * carry the validated user colours), post forms only to us, may be
 * framed only by our own frameset, and may fetch (the JSON API, SSE,
 * WebSocket) only from us.
 */
#define CSP_HEAD "default-src 'none'; script-src 'self'; " \
		"style-src 'self' 'unsafe-inline'; img-src 'self' data:; " \
		"form-action 'self'; frame-src 'self'; "
#define CSP_TAIL "base-uri 'none'; connect-src 'self'"
#define CSP	CSP_HEAD "frame-ancestors 'self'; " CSP_TAIL

/* The security headers every head carries; -O origins may frame us. */
static char	*security = NULL;
#define SECURITY_DEFAULT "X-Content-Type-Options: nosniff\r\n" \
	"Referrer-Policy: same-origin\r\n" \
	"X-Frame-Options: SAMEORIGIN\r\n" \
	"Content-Security-Policy: " CSP "\r\n"

/* Form keys whose values never reach the access log. */
static const char *const secret_keys[] = {
	"sid", "passwd", "old", "new", "message", "text"
};

void
http_request_init(struct http_request *r)
{
	memset(r, 0, sizeof *r);
	r->line = r->body = r->shared;
	r->path = r->query = r->target;
	r->state = PARSE_REQUEST;
	r->method = HTTP_METHOD_NONE;
	r->content_length = -1;
}

/*
 * Character classes by hand rather than <ctype.h>: the server may run in a
 * UTF-8 locale, and the protocol's classes are ASCII whatever the locale.
 */
static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Token characters (RFC 9110 5.6.2): methods and header names. */
static int
is_tchar(int c)
{
	if (is_alpha(c) || is_digit(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Printable ASCII other than space: the bytes of a request target. */
static int
is_vchar(int c)
{
	return c > 0x20 && c < 0x7f;
}

static int
is_ows(int c)
{
	return c == ' ' || c == '\t';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Compares a[0..an) with b[0..bn), ignoring ASCII case. */
static int
same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Compares s[0..n) with the NUL-terminated `name`, ignoring ASCII case. */
static int
same_name(const char *s, size_t n, const char *name)
{
	return same_bytes(s, n, name, strlen(name));
}

/* Returns 1 if every '%' in s[0..n) starts a %XX escape. */
static int
escapes_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3 || hexval((unsigned char)s[i + 1]) < 0 ||
		    hexval((unsigned char)s[i + 2]) < 0)
			return 0;
		i += 2;
	}
	return 1;
}

static enum http_method
method_of(const char *s, size_t n)
{
	if (n == 3 && memcmp(s, "GET", 3) == 0)
		return HTTP_GET;
	if (n == 4 && memcmp(s, "HEAD", 4) == 0)
		return HTTP_HEAD;
	if (n == 4 && memcmp(s, "POST", 4) == 0)
		return HTTP_POST;
	if (n == 7 && memcmp(s, "OPTIONS", 7) == 0)
		return HTTP_OPTIONS;
	return HTTP_METHOD_NONE;
}

/*
 * Checks the version at the end of a request line: HTTP_OK for HTTP/1.0 or
 * HTTP/1.1 (setting *minor), 505 for another well-formed HTTP/x.y, 400 for
 * anything else.
 */
static enum http_status
parse_version(const char *s, size_t n, int *minor)
{
	size_t i, dot;

	if (n < LIT_LEN(VERSION_NAME) ||
	    memcmp(s, VERSION_NAME, LIT_LEN(VERSION_NAME)) != 0)
		return HTTP_BAD_REQUEST;
	dot = 0;
	for (i = LIT_LEN(VERSION_NAME); i < n; i++) {
		if (s[i] == '.' && dot == 0 && i > LIT_LEN(VERSION_NAME))
			dot = i;
		else if (!is_digit((unsigned char)s[i]))
			return HTTP_BAD_REQUEST;
	}
	if (dot == 0 || dot == n - 1)
		return HTTP_BAD_REQUEST;
	if (n == LIT_LEN(VERSION_1_X) + 1 &&
	    memcmp(s, VERSION_1_X, LIT_LEN(VERSION_1_X)) == 0 &&
	    (s[n - 1] == '0' || s[n - 1] == '1')) {
		*minor = s[n - 1] - '0';
		return HTTP_OK;
	}
	return HTTP_VERSION_NOT_SUPPORTED;
}

/* Copies a checked target into path and query, split at the first '?'. */
static void
set_target(struct http_request *r, const char *s, size_t n)
{
	const char *q;
	size_t plen;

	q = memchr(s, '?', n);
	plen = q != NULL ? (size_t)(q - s) : n;
	memcpy(r->target, s, plen);
	r->target[plen] = '\0';
	r->path = r->target;
	r->query = r->target + plen;	/* "" unless there is a '?' */
	if (q != NULL) {
		r->query = r->target + plen + 1;
		memcpy(r->target + plen + 1, q + 1, n - plen - 1);
		r->target[n] = '\0';
	}
}

/*
 * Parses "METHOD SP target SP HTTP/x.y".  Syntax errors come first (400),
 * then the version (505), then the method (501), so a request is refused
 * for the most basic thing wrong with it.
 */
static enum http_status
parse_request_line(struct http_request *r, const char *s, size_t n)
{
	enum http_status st;
	size_t m, t, e;

	for (m = 0; m < n && is_tchar((unsigned char)s[m]); m++)
		;
	if (m == 0 || m == n || s[m] != ' ')
		return HTTP_BAD_REQUEST;
	t = m + 1;
	for (e = t; e < n && s[e] != ' '; e++)
		if (!is_vchar((unsigned char)s[e]))
			return HTTP_BAD_REQUEST;
	if (e == t || e == n || s[t] != '/')
		return HTTP_BAD_REQUEST;
	/* Kept before any refusal: one under /api/ is answered in JSON. */
	set_target(r, s + t, e - t);
	if (!escapes_ok(s + t, e - t))
		return HTTP_BAD_REQUEST;
	if ((st = parse_version(s + e + 1, n - e - 1, &r->minor)) != HTTP_OK)
		return st;
	if ((r->method = method_of(s, m)) == HTTP_METHOD_NONE)
		return HTTP_NOT_IMPLEMENTED;
	r->state = PARSE_HEADER;
	return HTTP_INCOMPLETE;
}

/*
 * Digits only.  The value is clamped just past HTTP_BODY_MAX while it is
 * read, so no length of digits can overflow it.
 */
static enum http_status
set_content_length(struct http_request *r, const char *s, size_t n)
{
	long v;
	size_t i;

	if (n == 0)
		return HTTP_BAD_REQUEST;
	v = 0;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return HTTP_BAD_REQUEST;
		if (v <= HTTP_BODY_MAX)
			v = v * 10 + (s[i] - '0');
	}
	if (r->content_length >= 0 && r->content_length != v)
		return HTTP_BAD_REQUEST;
	if (v > HTTP_BODY_MAX)
		return HTTP_PAYLOAD_TOO_LARGE;
	r->content_length = v;
	return HTTP_INCOMPLETE;
}

/* Is the media type (parameters aside) that of an urlencoded form? */
static int
is_form_type(const char *s, size_t n)
{
	const char *semi;

	if ((semi = memchr(s, ';', n)) != NULL)
		n = (size_t)(semi - s);
	while (n > 0 && is_ows((unsigned char)s[n - 1]))
		n--;
	return same_name(s, n, FORM_TYPE);
}

/*
 * Keeps a header's value s[0..n) in a fixed field of `size` bytes.  A
 * second one is refused, as RFC 9112 asks for Host: two proxies could
 * each act on a different one.  So is one too long for the field.
 */
static enum http_status
set_field(char *field, size_t size, int *seen, const char *s, size_t n)
{
	if (*seen || n >= size)
		return HTTP_BAD_REQUEST;
	memcpy(field, s, n);
	field[n] = '\0';
	*seen = 1;
	return HTTP_INCOMPLETE;
}

/*
 * Adds a value to a list header's field, after ", " if it holds one
 * already.  A list that outgrows the field is emptied for good (*over):
 * only the upgrade handshake reads these, and it refuses an empty one.
 */
static void
join_field(char *field, size_t size, int *over, const char *s, size_t n)
{
	size_t len = strlen(field), sep = len > 0 ? 2 : 0;

	if (*over)
		return;
	if (len + sep + n >= size) {
		field[0] = '\0';
		*over = 1;
		return;
	}
	memcpy(field + len, ", ", sep);
	memcpy(field + len + sep, s, n);
	field[len + sep + n] = '\0';
}

/* A single header the handshake checks: a repeat or a long one reads as "". */
static void
once_field(char *field, size_t size, int *seen, const char *s, size_t n)
{
	if (*seen || n >= size)
		n = 0;
	else
		memcpy(field, s, n);
	field[n] = '\0';
	*seen = 1;
}

/* Host is uri-host [":" port]: printable ASCII without spaces. */
static enum http_status
set_host(struct http_request *r, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_vchar((unsigned char)s[i]))
			return HTTP_BAD_REQUEST;
	return set_field(r->host, sizeof r->host, &r->has_host, s, n);
}

/* Keeps a header's first value when it fits; a longer one counts as absent. */
static void
keep_first(char *dst, size_t size, const char *v, size_t n)
{
	if (!*dst && n < size) {
		memcpy(dst, v, n);
		dst[n] = '\0';
	}
}

/*
 * Parses "Name: value" and keeps the headers chatd uses.  A line starting
 * with white space (an obsolete folded continuation) has no name and is
 * refused with the other malformed lines, and so is a control character
 * in a value: a stray CR is a line end to some proxies and not to us.
 */
static enum http_status
parse_header(struct http_request *r, const char *s, size_t n)
{
	size_t k, v, end;

	for (k = 0; k < n && is_tchar((unsigned char)s[k]); k++)
		;
	if (k == 0 || k == n || s[k] != ':')
		return HTTP_BAD_REQUEST;
	for (v = k + 1; v < n; v++)
		if (((unsigned char)s[v] < 0x20 && s[v] != '\t') ||
		    s[v] == 0x7f)
			return HTTP_BAD_REQUEST;
	for (v = k + 1; v < n && is_ows((unsigned char)s[v]); v++)
		;
	for (end = n; end > v && is_ows((unsigned char)s[end - 1]); end--)
		;
	if (same_name(s, k, "Content-Length"))
		return set_content_length(r, s + v, end - v);
	if (same_name(s, k, "Host"))
		return set_host(r, s + v, end - v);
	if (same_name(s, k, "Origin"))
		return set_field(r->origin, sizeof r->origin, &r->has_origin,
		    s + v, end - v);
	if (same_name(s, k, "Authorization"))
		/* Too long for any token: as if absent, so it fails as one. */
		keep_first(r->authorization, sizeof r->authorization, s + v,
		    end - v);
	else if (same_name(s, k, "Last-Event-ID"))
		/* Only a resumption hint: one that cannot be a number is absent. */
		keep_first(r->last_event_id, sizeof r->last_event_id, s + v,
		    end - v);
	else if (same_name(s, k, "Upgrade"))
		join_field(r->upgrade, sizeof r->upgrade, &r->upgrade_over,
		    s + v, end - v);
	else if (same_name(s, k, "Connection"))
		join_field(r->connection, sizeof r->connection,
		    &r->connection_over, s + v, end - v);
	else if (same_name(s, k, "Sec-WebSocket-Key"))
		once_field(r->ws_key, sizeof r->ws_key, &r->has_ws_key, s + v,
		    end - v);
	else if (same_name(s, k, "Sec-WebSocket-Version"))
		once_field(r->ws_version, sizeof r->ws_version,
		    &r->has_ws_version, s + v, end - v);
	else if (same_name(s, k, "Content-Type"))
		r->form = is_form_type(s + v, end - v);
	else if (same_name(s, k, "Transfer-Encoding"))
		return HTTP_NOT_IMPLEMENTED;
	return HTTP_INCOMPLETE;
}

static enum http_status
end_of_head(struct http_request *r)
{
	r->body[0] = '\0';	/* the line is done with; the body takes its place */
	if (r->method == HTTP_POST && r->content_length < 0)
		return HTTP_LENGTH_REQUIRED;
	if (r->content_length > 0) {
		r->state = PARSE_BODY;
		return HTTP_INCOMPLETE;
	}
	r->state = PARSE_DONE;
	return HTTP_OK;
}

/*
 * Takes one byte of the head.  Every byte counts against HTTP_HEAD_MAX,
 * blank lines before the request line too, so that no stream of bytes can
 * keep the parser busy for ever.  A line ends at LF; one CR before it is
 * dropped, any other CR stays in the line and makes it malformed.
 */
static enum http_status
head_byte(struct http_request *r, char c)
{
	size_t n;

	if (++r->head_len > HTTP_HEAD_MAX)
		return HTTP_HEADERS_TOO_LARGE;
	if (c != '\n') {
		r->line[r->line_len++] = c;
		if (r->state == PARSE_REQUEST && r->line_len == 5)
			r->head_only = memcmp(r->line, "HEAD ", 5) == 0;
		return HTTP_INCOMPLETE;
	}
	n = r->line_len;
	if (n > 0 && r->line[n - 1] == '\r')
		n--;
	r->line[n] = '\0';
	r->line_len = 0;
	if (r->state == PARSE_REQUEST)
		return n == 0 ? HTTP_INCOMPLETE :
		    parse_request_line(r, r->line, n);
	return n == 0 ? end_of_head(r) : parse_header(r, r->line, n);
}

/* Takes what it can of the body; returns the bytes taken. */
static size_t
body_bytes(struct http_request *r, const char *p, size_t len)
{
	size_t want;

	want = (size_t)r->content_length - r->body_len;
	if (len > want)
		len = want;
	memcpy(r->body + r->body_len, p, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	if (r->body_len == (size_t)r->content_length)
		r->state = PARSE_DONE;
	return len;
}

enum http_status
http_parse(struct http_request *r, const char *p, size_t len, size_t *used)
{
	enum http_status st;
	size_t i;

	*used = 0;
	if (r->state < 0)
		return (enum http_status)-r->state;
	if (r->state == PARSE_DONE)
		return HTTP_OK;
	st = HTTP_INCOMPLETE;
	i = 0;
	while (i < len && st == HTTP_INCOMPLETE) {
		if (r->state == PARSE_BODY) {
			i += body_bytes(r, p + i, len - i);
			if (r->state == PARSE_DONE)
				st = HTTP_OK;
		} else
			st = head_byte(r, p[i++]);
	}
	if (st != HTTP_INCOMPLETE && st != HTTP_OK)
		r->state = -(int)st;
	*used = i;
	return st;
}

/* The length of host[0..n) without a ":80" at its end: the default port. */
static size_t
host_len(const char *host, size_t n)
{
	if (n >= LIT_LEN(DEFAULT_PORT) && memcmp(host + n -
	    LIT_LEN(DEFAULT_PORT), DEFAULT_PORT, LIT_LEN(DEFAULT_PORT)) == 0)
		return n - LIT_LEN(DEFAULT_PORT);
	return n;
}

int
http_origin_ok(const struct http_request *r, const char *const *allowed,
    int n)
{
	const char *o = r->origin;
	size_t olen = strlen(r->origin);
	int i;

	if (!r->has_origin)
		return 1;
	for (i = 0; i < n; i++)
		if (same_name(o, olen, allowed[i]))
			return 1;
	if (r->host[0] == '\0' || olen < LIT_LEN(OWN_SCHEME) ||
	    !same_name(o, LIT_LEN(OWN_SCHEME), OWN_SCHEME))
		return 0;
	o += LIT_LEN(OWN_SCHEME);
	olen -= LIT_LEN(OWN_SCHEME);
	return same_bytes(o, host_len(o, olen), r->host,
	    host_len(r->host, strlen(r->host)));
}

void
http_strip_body(struct buf *b)
{
	const char *end;

	if (b->len == 0 || b->failed ||
	    (end = strstr(b->data, "\r\n\r\n")) == NULL)
		return;
	b->len = (size_t)(end - b->data) + 4;
	b->data[b->len] = '\0';
}

/*
 * Decodes the urlencoded byte at s[*i] ('+' is a space, %XX a byte) and
 * moves *i past it.  Returns the byte, or -1 for a bad %-escape.
 */
static int
form_byte(const char *s, size_t n, size_t *i)
{
	int hi, lo;

	if (s[*i] == '+') {
		(*i)++;
		return ' ';
	}
	if (s[*i] != '%')
		return (unsigned char)s[(*i)++];
	if (n - *i < 3 || (hi = hexval((unsigned char)s[*i + 1])) < 0 ||
	    (lo = hexval((unsigned char)s[*i + 2])) < 0)
		return -1;
	*i += 3;
	return hi * 16 + lo;
}

/*
 * Does the encoded key k[0..n) decode to exactly `key`?  Keys are compared
 * decoded, as the browser meant them, so that http_redact() and
 * http_form_value() agree on what a key is; a bad escape matches nothing.
 */
static int
key_is(const char *k, size_t n, const char *key)
{
	size_t i, j;
	int c;

	for (i = j = 0; i < n; j++) {
		if ((c = form_byte(k, n, &i)) == -1 || key[j] == '\0' ||
		    (unsigned char)key[j] != c)
			return 0;
	}
	return key[j] == '\0';
}

static int
decode_value(const char *v, size_t n, char *out, size_t outsize)
{
	size_t i, o;
	int c;

	for (i = o = 0; i < n; o++) {
		if ((c = form_byte(v, n, &i)) == -1 || o + 1 >= outsize ||
		    o >= INT_MAX)
			goto bad;
		out[o] = (char)c;
	}
	if (outsize == 0)
		return -2;
	out[o] = '\0';
	return (int)o;
bad:
	if (outsize > 0)
		out[0] = '\0';
	return -2;
}

/*
 * Measures the pair at s, which ends at '&' or the string's end: returns
 * its length and sets *klen to the length of its key (up to any '=').
 */
static size_t
pair_len(const char *s, size_t *klen)
{
	const char *eq;
	size_t n;

	n = strcspn(s, "&");
	eq = memchr(s, '=', n);
	*klen = eq != NULL ? (size_t)(eq - s) : n;
	return n;
}

int
http_form_value(const char *form, const char *key, char *out, size_t outsize)
{
	const char *s;
	size_t n, klen, skip;

	if (outsize > 0)
		out[0] = '\0';
	for (s = form;; s += n + 1) {
		n = pair_len(s, &klen);
		if (n > 0 && key_is(s, klen, key)) {
			skip = klen < n ? klen + 1 : n;
			return decode_value(s + skip, n - skip, out, outsize);
		}
		if (s[n] == '\0')
			return -1;
	}
}

int
http_form_check(const char *form)
{
	return escapes_ok(form, strlen(form)) ? 0 : -1;
}

static const char *
entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

int
http_html_escape(struct buf *b, const char *s, size_t n)
{
	const char *ent;
	size_t i, run;

	if (n == 0)
		return b->failed ? -1 : 0;
	for (i = run = 0; i < n; i++) {
		if ((ent = entity(s[i])) == NULL)
			continue;
		buf_add(b, s + run, i - run);
		buf_adds(b, ent);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
	return b->failed ? -1 : 0;
}

const char *
http_reason(int status)
{
	switch (status) {
	case HTTP_OK:
		return "OK";
	case HTTP_BAD_REQUEST:
		return "Bad Request";
	case HTTP_SEE_OTHER:
		return "See Other";
	case HTTP_NO_CONTENT:
		return "No Content";
	case HTTP_UNAUTHORIZED:
		return "Unauthorized";
	case HTTP_FORBIDDEN:
		return "Forbidden";
	case HTTP_NOT_FOUND:
		return "Not Found";
	case HTTP_METHOD_NOT_ALLOWED:
		return "Method Not Allowed";
	case HTTP_CONFLICT:
		return "Conflict";
	case HTTP_LENGTH_REQUIRED:
		return "Length Required";
	case HTTP_PAYLOAD_TOO_LARGE:
		return "Payload Too Large";
	case HTTP_TOO_MANY_REQUESTS:
		return "Too Many Requests";
	case HTTP_HEADERS_TOO_LARGE:
		return "Request Header Fields Too Large";
	case HTTP_INTERNAL_ERROR:
		return "Internal Server Error";
	case HTTP_NOT_IMPLEMENTED:
		return "Not Implemented";
	case HTTP_UNAVAILABLE:
		return "Service Unavailable";
	case HTTP_VERSION_NOT_SUPPORTED:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

/* A header value must not end the header early: no control characters. */
static int
header_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
http_response_head(struct buf *b, int status, const char *content_type,
    long content_length, int flags)
{
	if (status < HTTP_STATUS_MIN || status > HTTP_STATUS_MAX ||
	    content_type == NULL ||
	    !header_value_ok(content_type))
		return -1;
	buf_printf(b, "HTTP/1.0 %d %s\r\n", status, http_reason(status));
	buf_printf(b, "Content-Type: %s\r\n", content_type);
	if (content_length >= 0)
		buf_printf(b, "Content-Length: %ld\r\n", content_length);
	if (flags & HTTP_NO_STORE)
		buf_adds(b, "Cache-Control: no-store\r\n");
	else if (flags & HTTP_CACHE)
		buf_printf(b, "Cache-Control: max-age=%d\r\n",
		    HTTP_CACHE_MAX_AGE);
	/*
	 * Not no-referrer: under it a browser sends "Origin: null" with our
	 * own forms' POSTs, and those must be told from other sites'.  A
	 * link out of chatd still carries no referrer, so no sid leaks.
	 */
	buf_adds(b, security != NULL ? security : SECURITY_DEFAULT);
	buf_adds(b, "Connection: close\r\n"
	    "\r\n");
	return b->failed ? -1 : 0;
}

int
http_set_frame_ancestors(const char *const *origins, int n)
{
	struct buf b;
	int i;

	free(security);
	security = NULL;
	if (n == 0)
		return 0;
	buf_init(&b);
	/* No X-Frame-Options: it cannot name other sites, and would win. */
	buf_adds(&b, "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: same-origin\r\n"
	    "Content-Security-Policy: " CSP_HEAD "frame-ancestors 'self'");
	for (i = 0; i < n; i++)
		if (header_value_ok(origins[i]) && strchr(origins[i], ';') ==
		    NULL)
			buf_printf(&b, " %s", origins[i]);
	buf_adds(&b, "; " CSP_TAIL "\r\n");
	if (b.failed) {
		buf_free(&b);
		return -1;
	}
	security = b.data;	/* kept for the life of the process */
	return 0;
}

static int
is_secret(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++)
		if (key_is(k, n, secret_keys[i]))
			return 1;
	return 0;
}

/*
 * Appends s[0..n) with every byte that is not printable ASCII written as
 * %XX: the same form once decoded, and a log line stays one line.
 */
static void
add_log_safe(struct buf *b, const char *s, size_t n)
{
	size_t i, run;

	for (i = run = 0; i < n; i++) {
		if (is_vchar((unsigned char)s[i]))
			continue;
		buf_add(b, s + run, i - run);
		buf_printf(b, "%%%02X", (unsigned char)s[i]);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
}

int
http_redact(struct buf *b, const char *form)
{
	const char *s;
	size_t n, klen;

	for (s = form;; s += n + 1) {
		n = pair_len(s, &klen);
		if (klen < n && is_secret(s, klen)) {
			add_log_safe(b, s, klen);
			buf_adds(b, "=-");
		} else
			add_log_safe(b, s, n);
		if (s[n] == '\0')
			break;
		buf_addc(b, '&');
	}
	return b->failed ? -1 : 0;
}
