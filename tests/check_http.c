/* check_http.c: tests of the parser, forms, escaping and response heads. */
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "suites.h"

#define LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Requests are large (three head-sized arrays); the fixture allocates two. */
static struct http_request *whole, *piece;

static void
setup(void)
{
	whole = malloc(sizeof *whole);
	piece = malloc(sizeof *piece);
	ck_assert_ptr_nonnull(whole);
	ck_assert_ptr_nonnull(piece);
}

static void
teardown(void)
{
	free(whole);
	free(piece);
}

/*
 * Feeds in[0..len) to a fresh parser: `first` bytes, then `step` bytes at a
 * time, until it answers or the input runs out.  While the parser wants
 * more it must take every byte it was given.  Sets *used to the total taken.
 */
static enum http_status
feed(struct http_request *r, const char *in, size_t len, size_t first,
    size_t step, size_t *used)
{
	enum http_status st;
	size_t off, n, u;

	http_request_init(r);
	*used = 0;
	for (off = 0, n = first;; off += n, n = step) {
		if (n > len - off)
			n = len - off;
		st = http_parse(r, in + off, n, &u);
		*used += u;
		if (st == HTTP_INCOMPLETE)
			ck_assert_uint_eq(u, n);
		if (st != HTTP_INCOMPLETE || off + n == len)
			return st;
	}
}

static void
assert_same_request(const struct http_request *a, const struct http_request *b)
{
	ck_assert_int_eq(a->method, b->method);
	ck_assert_int_eq(a->minor, b->minor);
	ck_assert_str_eq(a->path, b->path);
	ck_assert_str_eq(a->query, b->query);
	ck_assert_int_eq(a->content_length, b->content_length);
	ck_assert_int_eq(a->form, b->form);
	ck_assert_uint_eq(a->body_len, b->body_len);
	ck_assert_mem_eq(a->body, b->body, a->body_len + 1);
	ck_assert_int_eq(a->head_only, b->head_only);
	ck_assert_int_eq(a->has_host, b->has_host);
	ck_assert_int_eq(a->has_origin, b->has_origin);
	ck_assert_str_eq(a->host, b->host);
	ck_assert_str_eq(a->origin, b->origin);
	ck_assert_str_eq(a->upgrade, b->upgrade);
	ck_assert_str_eq(a->connection, b->connection);
	ck_assert_str_eq(a->ws_key, b->ws_key);
	ck_assert_str_eq(a->ws_version, b->ws_version);
	ck_assert_int_eq(a->has_ws_key, b->has_ws_key);
	ck_assert_int_eq(a->has_ws_version, b->has_ws_version);
}

/* Feeds `in` to `piece` as feed() does and compares it with `whole`. */
static void
assert_same_parse(const char *in, size_t len, size_t first, size_t step,
    enum http_status st, size_t used)
{
	enum http_status st2;
	size_t used2;

	st2 = feed(piece, in, len, first, step, &used2);
	ck_assert_msg(st2 == st, "pieces %zu+%zu: %d, whole: %d", first, step,
	    (int)st2, (int)st);
	ck_assert_msg(used2 == used, "pieces %zu+%zu: used %zu, not %zu",
	    first, step, used2, used);
	if (st == HTTP_OK)
		assert_same_request(whole, piece);
}

/*
 * Parses in[0..len) whole, then split in two at every `stride`-th boundary
 * and at the last few, then byte by byte, and checks that all agree with
 * the whole parse: same status, same bytes consumed, same request.  Leaves
 * the whole parse in `whole` and returns its status.
 */
static enum http_status
parse_every_way(const char *in, size_t len, size_t stride, size_t *used)
{
	enum http_status st;
	size_t k;

	st = feed(whole, in, len, len, len, used);
	for (k = 0; k <= len; k++)
		if (k % stride == 0 || len - k < 4)
			assert_same_parse(in, len, k, len, st, *used);
	assert_same_parse(in, len, 1, 1, st, *used);
	return st;
}

/* An answered parser keeps its answer and takes no more bytes. */
static void
assert_sticky(struct http_request *r, enum http_status st)
{
	size_t used = 99;

	ck_assert_int_eq(http_parse(r, "GET / HTTP/1.0\r\n\r\n", 18, &used),
	    st);
	ck_assert_uint_eq(used, 0);
}

struct parse_case {
	const char		*in;
	enum http_status	 want;
	size_t			 used;	/* 0: all of in */
	enum http_method	 method;
	int			 minor;
	const char		*path;
	const char		*query;
	long			 clen;
	int			 form;
	const char		*body;
	size_t			 inlen;	/* 0: strlen(in) */
};

#define FORM_CT	"Content-Type: application/x-www-form-urlencoded\r\n"
#define OK(in, used, m, minor, path, query, clen, form, body) \
	{ in, HTTP_OK, used, m, minor, path, query, clen, form, body, 0 }
#define ANSWER(in, st)	{ in, st, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

static const struct parse_case good[] = {
	OK("GET / HTTP/1.0\r\n\r\n", 0, HTTP_GET, 0,
	    "/", "", -1, 0, ""),
	OK("GET /chat?sid=ab&since=3 HTTP/1.1\r\nHost: x\r\n\r\n", 0,
	    HTTP_GET, 1, "/chat", "sid=ab&since=3", -1, 0, ""),
	OK("HEAD /names?sid=1 HTTP/1.0\r\n\r\n", 0, HTTP_HEAD, 0,
	    "/names", "sid=1", -1, 0, ""),
	OK("POST /login HTTP/1.0\r\n" FORM_CT "Content-Length: 11\r\n\r\n"
	    "name=bob&x=", 0, HTTP_POST, 0,
	    "/login", "", 11, 1, "name=bob&x="),
	OK("POST /dotalk HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 0,
	    HTTP_POST, 1, "/dotalk", "", 0, 0, ""),
	/* bare LF, as typed into telnet, and a mix of both */
	OK("GET /talk?sid=1 HTTP/1.0\n\n", 0, HTTP_GET, 0,
	    "/talk", "sid=1", -1, 0, ""),
	OK("POST /a HTTP/1.0\nContent-Length: 3\r\n\nabc", 0,
	    HTTP_POST, 0, "/a", "", 3, 0, "abc"),
	/* blank lines before the request line are skipped */
	OK("\r\n\n\r\nGET /x HTTP/1.0\r\n\r\n", 0, HTTP_GET, 0,
	    "/x", "", -1, 0, ""),
	/* bytes after the request are not consumed */
	OK("GET / HTTP/1.0\r\n\r\nEXTRA", 18, HTTP_GET, 0,
	    "/", "", -1, 0, ""),
	OK("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nabcd", 40,
	    HTTP_POST, 0, "/", "", 2, 0, "ab"),
	/* a body is read for any method that announces one */
	OK("GET / HTTP/1.0\r\nContent-Length: 4\r\n\r\nwxyz", 0,
	    HTTP_GET, 0, "/", "", 4, 0, "wxyz"),
	/* the body is bytes, NULs and line ends included */
	{ "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\na\0\r\nb", HTTP_OK, 0,
	    HTTP_POST, 0, "/", "", 5, 0, "a\0\r\nb", 43 },
	/* query split at the first '?'; escapes kept encoded */
	OK("GET /a%2Fb?x=?&y=%41 HTTP/1.0\r\n\r\n", 0, HTTP_GET, 0,
	    "/a%2Fb", "x=?&y=%41", -1, 0, ""),
	OK("GET /? HTTP/1.0\r\n\r\n", 0, HTTP_GET, 0,
	    "/", "", -1, 0, ""),
	/* header names in any case, values trimmed, parameters allowed */
	OK("POST / HTTP/1.0\r\ncontent-TYPE:APPLICATION/X-WWW-FORM-URLENCODED"
	    "\r\ncontent-length:\t1 \r\n\r\nz", 0, HTTP_POST, 0,
	    "/", "", 1, 1, "z"),
	OK("GET / HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded "
	    "; charset=UTF-8\r\n\r\n", 0, HTTP_GET, 0,
	    "/", "", -1, 1, ""),
	OK("GET / HTTP/1.0\r\nContent-Type: text/plain\r\n\r\n", 0,
	    HTTP_GET, 0, "/", "", -1, 0, ""),
	OK("GET / HTTP/1.0\r\nContent-Type: application/x-www-form-urlencodedx"
	    "\r\n\r\n", 0, HTTP_GET, 0, "/", "", -1, 0, ""),
	/* an identical duplicate Content-Length is harmless */
	OK("POST / HTTP/1.0\r\nContent-Length: 2\r\nContent-Length: 002\r\n\r\n"
	    "ok", 0, HTTP_POST, 0, "/", "", 2, 0, "ok"),
	/* other headers are skipped, whatever their value */
	OK("GET / HTTP/1.1\r\nUser-Agent: x \xc3\xa9 y\r\nX-Empty:\r\n\r\n",
	    0, HTTP_GET, 1, "/", "", -1, 0, ""),
	/* incomplete: no blank line yet, or the body is short */
	ANSWER("GET / HTTP/1.0\r\n", HTTP_INCOMPLETE),
	ANSWER("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nab",
	    HTTP_INCOMPLETE),
	ANSWER("\r\n\r\n", HTTP_INCOMPLETE),
	ANSWER("", HTTP_INCOMPLETE),
};

#define BAD(in, st)	ANSWER(in, st)
#define BADN(in, n, st)	{ in, st, 0, 0, 0, 0, 0, 0, 0, 0, n }

static const struct parse_case bad[] = {
	/* malformed request lines */
	BAD("GET /\r\n", HTTP_BAD_REQUEST),
	BAD("GET\r\n", HTTP_BAD_REQUEST),
	BAD("GET  / HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET /  HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD(" GET / HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD(" / HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BADN("G\0T / HTTP/1.0\r\n", 16, HTTP_BAD_REQUEST),
	BAD("GET\t/ HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0 \r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0 x\r\n", HTTP_BAD_REQUEST),
	BAD("GET x HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET * HTTP/1.1\r\n", HTTP_BAD_REQUEST),
	BAD("GET http://h/ HTTP/1.1\r\n", HTTP_BAD_REQUEST),
	BAD("GET /a\x01 HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET /\xc3\xa9 HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("G(T / HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET / http/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/.1\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\rX\r\n", HTTP_BAD_REQUEST),
	/* a TLS client hello, sent to the wrong port */
	BADN("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", 12,
	    HTTP_BAD_REQUEST),
	/* syntax is judged before version and method */
	BAD("FOO /%zz HTTP/2.0\r\n", HTTP_BAD_REQUEST),
	/* malformed %-escapes in the path or the query */
	BAD("GET /a%zz HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET /a%2 HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET /a% HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET /?q=%g0 HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET /?q=%%41 HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	BAD("GET /?q=%4 HTTP/1.0\r\n", HTTP_BAD_REQUEST),
	/* versions */
	BAD("GET / HTTP/2.0\r\n", HTTP_VERSION_NOT_SUPPORTED),
	BAD("GET / HTTP/1.2\r\n", HTTP_VERSION_NOT_SUPPORTED),
	BAD("GET / HTTP/0.9\r\n", HTTP_VERSION_NOT_SUPPORTED),
	BAD("GET / HTTP/11.0\n", HTTP_VERSION_NOT_SUPPORTED),
	BAD("FOO / HTTP/3.0\r\n", HTTP_VERSION_NOT_SUPPORTED),
	/* methods: answered as soon as the request line is in */
	BAD("PUT / HTTP/1.0\r\n", HTTP_NOT_IMPLEMENTED),
	BAD("DELETE /x HTTP/1.1\r\n", HTTP_NOT_IMPLEMENTED),
	BAD("PATCH / HTTP/1.1\n", HTTP_NOT_IMPLEMENTED),
	BAD("get / HTTP/1.0\r\n", HTTP_NOT_IMPLEMENTED),
	BAD("GETS / HTTP/1.0\r\n", HTTP_NOT_IMPLEMENTED),
	BAD("BREW /pot HTTP/1.0\r\n", HTTP_NOT_IMPLEMENTED),
	/* headers */
	BAD("GET / HTTP/1.0\r\nHost x\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\nHost: x\r\n continued\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\nHost: x\r\n\tcontinued\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\nHost : x\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\n: x\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\nHo(st: x\r\n", HTTP_BAD_REQUEST),
	BADN("GET / HTTP/1.0\r\nHo\0st: x\r\n", 26, HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\nHost: a\x7f\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\nHost: a\rb\r\n", HTTP_BAD_REQUEST),
	BADN("GET / HTTP/1.0\r\nHost: a\0b\r\n", 27, HTTP_BAD_REQUEST),
	BADN("GET /\0 HTTP/1.0\r\n", 17, HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n",
	    HTTP_NOT_IMPLEMENTED),
	BAD("POST / HTTP/1.1\r\ntransfer-encoding: identity\n",
	    HTTP_NOT_IMPLEMENTED),
	BAD("POST / HTTP/1.0\r\nContent-Length: 3\r\nTransfer-Encoding: x\r\n",
	    HTTP_NOT_IMPLEMENTED),
	/* Content-Length */
	BAD("POST / HTTP/1.0\r\nContent-Length: abc\r\n", HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.0\r\nContent-Length: -1\r\n", HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.0\r\nContent-Length: +1\r\n", HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.0\r\nContent-Length: 0x10\r\n", HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.0\r\nContent-Length: 1 2\r\n", HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.0\r\nContent-Length: 1,1\r\n", HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.0\r\nContent-Length:\r\n", HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.0\r\nContent-Length: 2\r\nContent-Length: 3\r\n",
	    HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.0\r\nContent-Length: 0\ncontent-length: 1\n",
	    HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.0\r\nContent-Length: 99999999999999999999999\r\n",
	    HTTP_PAYLOAD_TOO_LARGE),
	/* Host and Origin: one of each, and no spaces in a host */
	BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nhost:\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.1\r\nHost: a b\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.1\r\nHost: a\tb\r\n", HTTP_BAD_REQUEST),
	BAD("GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n", HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.1\r\nOrigin: http://a\r\nOrigin: http://a\r\n",
	    HTTP_BAD_REQUEST),
	BAD("POST / HTTP/1.1\r\nOrigin: null\r\nORIGIN: http://b\r\n",
	    HTTP_BAD_REQUEST),
	/* POST needs a length; GET and HEAD do not */
	BAD("POST / HTTP/1.0\r\n\r\n", HTTP_LENGTH_REQUIRED),
	BAD("POST /login HTTP/1.1\n" FORM_CT "\n", HTTP_LENGTH_REQUIRED),
};

static void
check_case(const struct parse_case *c)
{
	enum http_status st;
	size_t len, used;

	len = c->inlen ? c->inlen : strlen(c->in);
	st = parse_every_way(c->in, len, 1, &used);
	ck_assert_msg(st == c->want, "\"%s\": got %d, want %d", c->in,
	    (int)st, (int)c->want);
	ck_assert_uint_eq(used, c->used ? c->used : len);
	if (st != HTTP_INCOMPLETE)
		assert_sticky(whole, st);
	if (st != HTTP_OK)
		return;
	ck_assert_int_eq(whole->method, c->method);
	ck_assert_int_eq(whole->minor, c->minor);
	ck_assert_str_eq(whole->path, c->path);
	ck_assert_str_eq(whole->query, c->query);
	ck_assert_int_eq(whole->content_length, c->clen);
	ck_assert_int_eq(whole->form, c->form);
	ck_assert_uint_eq(whole->body_len, c->clen > 0 ? (size_t)c->clen : 0);
	ck_assert_mem_eq(whole->body, c->body, whole->body_len + 1);
}

START_TEST(test_parse_good)
{
	check_case(&good[_i]);
}
END_TEST

START_TEST(test_parse_bad)
{
	check_case(&bad[_i]);
}
END_TEST

/* An error is answered when its line ends, before the rest arrives. */
START_TEST(test_parse_answers_early)
{
	const char *in = "PUT / HTTP/1.0\r\nHost: x\r\n\r\n";
	size_t used;

	http_request_init(whole);
	ck_assert_int_eq(http_parse(whole, in, strlen(in), &used),
	    HTTP_NOT_IMPLEMENTED);
	ck_assert_uint_eq(used, 16);
}
END_TEST

/*
 * A request refused on its request line still has its path, so that a
 * refusal under /api/ can be answered in JSON.
 */
START_TEST(test_parse_refused_keeps_path)
{
	static const struct {
		const char		*in;
		enum http_status	 want;
	} cases[] = {
		{ "PUT /api/rooms?x=1 HTTP/1.0\r\n", HTTP_NOT_IMPLEMENTED },
		{ "GET /api/rooms?x=%4 HTTP/1.0\r\n", HTTP_BAD_REQUEST },
		{ "GET /api/rooms HTTP/2.0\r\n", HTTP_VERSION_NOT_SUPPORTED },
	};
	size_t i, used;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		http_request_init(whole);
		ck_assert_int_eq(http_parse(whole, cases[i].in,
		    strlen(cases[i].in), &used), cases[i].want);
		ck_assert_str_eq(whole->path, "/api/rooms");
	}
}
END_TEST

/* Last-Event-ID is kept, trimmed; the first one, and only if it may be a number. */
START_TEST(test_parse_last_event_id)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "GET /api/events HTTP/1.1\r\nLast-Event-ID:  42 \r\n\r\n",
		    "42" },
		{ "GET / HTTP/1.1\r\nlast-event-id: 7\r\nLast-Event-ID: 8\r\n"
		    "\r\n", "7" },
		{ "GET / HTTP/1.1\r\nLast-Event-ID: 123456789012345678901\r\n"
		    "\r\n", "" },
		{ "GET / HTTP/1.1\r\n\r\n", "" },
	};
	size_t i, used;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(parse_every_way(cases[i].in,
		    strlen(cases[i].in), 1, &used), HTTP_OK);
		ck_assert_str_eq(whole->last_event_id, cases[i].want);
	}
}
END_TEST

/* Host and Origin are kept, trimmed; other headers are not. */
START_TEST(test_parse_host_origin)
{
	const char *in = "POST /login HTTP/1.1\r\nHost:  Chat.Example:9148 \r\n"
	    "Origin:\thttp://chat.example:9148\r\nReferer: x\r\n"
	    "Content-Length: 0\r\n\r\n";
	size_t used;

	ck_assert_int_eq(parse_every_way(in, strlen(in), 1, &used), HTTP_OK);
	ck_assert_int_eq(whole->has_host, 1);
	ck_assert_str_eq(whole->host, "Chat.Example:9148");
	ck_assert_int_eq(whole->has_origin, 1);
	ck_assert_str_eq(whole->origin, "http://chat.example:9148");
	ck_assert_int_eq(whole->head_only, 0);

	in = "GET / HTTP/1.0\r\nHost:\r\n\r\n";
	ck_assert_int_eq(parse_every_way(in, strlen(in), 1, &used), HTTP_OK);
	ck_assert_int_eq(whole->has_host, 1);
	ck_assert_str_eq(whole->host, "");
	ck_assert_int_eq(whole->has_origin, 0);
	ck_assert_str_eq(whole->origin, "");
}
END_TEST

/* A Host or Origin may fill its field, and not one byte more. */
START_TEST(test_host_origin_limits)
{
	static char in[HTTP_HEAD_MAX];
	static const struct {
		const char	*name;
		size_t		 max;
	} f[] = {
		{ "Host", HTTP_HOST_MAX }, { "Origin", HTTP_ORIGIN_MAX }
	};
	size_t i, extra, n, used;

	for (i = 0; i < LEN(f); i++)
		for (extra = 0; extra <= 1; extra++) {
			n = (size_t)sprintf(in, "GET / HTTP/1.1\r\n%s: ",
			    f[i].name);
			memset(in + n, 'h', f[i].max + extra);
			n += f[i].max + extra;
			n += (size_t)sprintf(in + n, "\r\n\r\n");
			ck_assert_int_eq(parse_every_way(in, n, 37, &used),
			    extra ? HTTP_BAD_REQUEST : HTTP_OK);
			if (!extra)
				ck_assert_uint_eq(strlen(i == 0 ? whole->host :
				    whole->origin), f[i].max);
		}
}
END_TEST

/* The upgrade headers: lists joined, the key and version kept once. */
START_TEST(test_parse_upgrade)
{
	const char *in = "GET /api/ws HTTP/1.1\r\nUpgrade: websocket\r\n"
	    "Connection: keep-alive\r\nconnection:  Upgrade \r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	size_t used;

	ck_assert_int_eq(parse_every_way(in, strlen(in), 1, &used), HTTP_OK);
	ck_assert_str_eq(whole->upgrade, "websocket");
	ck_assert_str_eq(whole->connection, "keep-alive, Upgrade");
	ck_assert_str_eq(whole->ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
	ck_assert_int_eq(whole->has_ws_key, 1);
	ck_assert_str_eq(whole->ws_version, "13");
	ck_assert_int_eq(whole->has_ws_version, 1);

	/* Absent: "" and unseen. */
	in = "GET / HTTP/1.1\r\n\r\n";
	ck_assert_int_eq(parse_every_way(in, strlen(in), 1, &used), HTTP_OK);
	ck_assert_str_eq(whole->upgrade, "");
	ck_assert_str_eq(whole->connection, "");
	ck_assert_int_eq(whole->has_ws_key, 0);
	ck_assert_int_eq(whole->has_ws_version, 0);

	/* A second key or version spoils both copies, not the request. */
	in = "GET / HTTP/1.1\r\nSec-WebSocket-Key: a\r\n"
	    "Sec-WebSocket-Key: a\r\nSec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	ck_assert_int_eq(parse_every_way(in, strlen(in), 1, &used), HTTP_OK);
	ck_assert_str_eq(whole->ws_key, "");
	ck_assert_int_eq(whole->has_ws_key, 1);
	ck_assert_str_eq(whole->ws_version, "");
	ck_assert_int_eq(whole->has_ws_version, 1);
}
END_TEST

/*
 * Each upgrade header may fill its field and not one byte more; a longer
 * one reads as "" (the handshake fails), and the request still parses.
 */
START_TEST(test_upgrade_limits)
{
	static char in[HTTP_HEAD_MAX];
	static const struct {
		const char	*name;
		size_t		 max;
		size_t		 off;
	} f[] = {
		{ "Upgrade", HTTP_UPGRADE_MAX,
		    offsetof(struct http_request, upgrade) },
		{ "Connection", HTTP_CONNECTION_MAX,
		    offsetof(struct http_request, connection) },
		{ "Sec-WebSocket-Key", HTTP_WS_KEY_MAX,
		    offsetof(struct http_request, ws_key) },
		{ "Sec-WebSocket-Version", HTTP_WS_VERSION_MAX,
		    offsetof(struct http_request, ws_version) }
	};
	size_t i, extra, n, used;
	const char *got;

	for (i = 0; i < LEN(f); i++)
		for (extra = 0; extra <= 1; extra++) {
			n = (size_t)sprintf(in, "GET / HTTP/1.1\r\n%s: ",
			    f[i].name);
			memset(in + n, 'u', f[i].max + extra);
			n += f[i].max + extra;
			n += (size_t)sprintf(in + n, "\r\n\r\n");
			ck_assert_int_eq(parse_every_way(in, n, 37, &used),
			    HTTP_OK);
			got = (const char *)whole + f[i].off;
			ck_assert_uint_eq(strlen(got), extra ? 0 : f[i].max);
		}

	/* Joined lists count their separators, and stay empty once over. */
	n = (size_t)sprintf(in, "GET / HTTP/1.1\r\nConnection: ");
	memset(in + n, 'c', HTTP_CONNECTION_MAX - 3);
	n += HTTP_CONNECTION_MAX - 3;
	n += (size_t)sprintf(in + n, "\r\nConnection: u\r\n\r\n");
	ck_assert_int_eq(parse_every_way(in, n, 37, &used), HTTP_OK);
	ck_assert_uint_eq(strlen(whole->connection), HTTP_CONNECTION_MAX);
	n -= 2;
	n += (size_t)sprintf(in + n, "Connection: Upgrade\r\n\r\n");
	ck_assert_int_eq(parse_every_way(in, n, 37, &used), HTTP_OK);
	ck_assert_str_eq(whole->connection, "");
}
END_TEST

struct head_only_case {
	const char		*in;
	enum http_status	 want;
	int			 head_only;
};

/* A refused HEAD is still known to be one, so its answer has no body. */
static const struct head_only_case head_onlys[] = {
	{ "HEAD / HTTP/1.0\r\n\r\n", HTTP_OK, 1 },
	{ "\r\n\nHEAD /x HTTP/1.1\n\n", HTTP_OK, 1 },
	{ "GET / HTTP/1.0\r\n\r\n", HTTP_OK, 0 },
	{ "HEAD /%zz HTTP/1.0\r\n", HTTP_BAD_REQUEST, 1 },
	{ "HEAD / HTTP/2.0\r\n", HTTP_VERSION_NOT_SUPPORTED, 1 },
	{ "HEAD / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n",
	    HTTP_NOT_IMPLEMENTED, 1 },
	{ "HEAD / HTTP/1.0\r\nContent-Length: 9999999\r\n",
	    HTTP_PAYLOAD_TOO_LARGE, 1 },
	{ "HEAD / HTTP/1.0\r\nHost: a b\r\n", HTTP_BAD_REQUEST, 1 },
	{ "HEADS / HTTP/1.0\r\n", HTTP_NOT_IMPLEMENTED, 0 },
	{ "HEAD\r\n", HTTP_BAD_REQUEST, 0 },
	{ "head / HTTP/1.0\r\n", HTTP_NOT_IMPLEMENTED, 0 },
	{ "POST / HTTP/1.0\r\n\r\n", HTTP_LENGTH_REQUIRED, 0 },
};

START_TEST(test_head_only)
{
	const struct head_only_case *c = &head_onlys[_i];
	size_t used;

	ck_assert_int_eq(parse_every_way(c->in, strlen(c->in), 1, &used),
	    c->want);
	ck_assert_int_eq(whole->head_only, c->head_only);
}
END_TEST

/* A HEAD whose request line is too long for the head is known too. */
START_TEST(test_head_only_too_large)
{
	static char in[HTTP_HEAD_MAX + 32];
	size_t used;

	memcpy(in, "HEAD /", 6);
	memset(in + 6, 'a', sizeof in - 6);
	ck_assert_int_eq(parse_every_way(in, sizeof in, 509, &used),
	    HTTP_HEADERS_TOO_LARGE);
	ck_assert_int_eq(whole->head_only, 1);
}
END_TEST

struct origin_case {
	const char	*origin;	/* NULL: no Origin header */
	const char	*host;		/* NULL: no Host header */
	int		 allowed;	/* pass the -O list below */
	int		 want;
};

static const char *const allowed_origins[] = {
	"https://chat.example.org", "http://proxy:8080"
};

static const struct origin_case origins[] = {
	/* no Origin: curl, telnet and older browsers */
	{ NULL, NULL, 0, 1 },
	{ NULL, "a:1", 0, 1 },
	/* our own address, as the browser reached it */
	{ "http://127.0.0.1:9148", "127.0.0.1:9148", 0, 1 },
	{ "http://Chat.Example", "chat.example", 0, 1 },
	{ "HTTP://chat.example:9148", "CHAT.example:9148", 0, 1 },
	{ "http://[::1]:9148", "[::1]:9148", 0, 1 },
	/* the default port, named or not */
	{ "http://chat.example", "chat.example:80", 0, 1 },
	{ "http://chat.example:80", "chat.example", 0, 1 },
	/* another site: host, port or scheme differ */
	{ "http://evil.example", "chat.example", 0, 0 },
	{ "http://chat.example:9149", "chat.example:9148", 0, 0 },
	{ "http://chat.example", "chat.example:9148", 0, 0 },
	{ "http://chat.example:9148", "chat.example", 0, 0 },
	{ "https://chat.example", "chat.example", 0, 0 },
	{ "http://chat.example.evil", "chat.example", 0, 0 },
	{ "http://chat.exampl", "chat.example", 0, 0 },
	{ "http://evil/chat.example", "chat.example", 0, 0 },
	{ "chat.example", "chat.example", 0, 0 },
	{ "http://", "", 0, 0 },
	/* an opaque origin, an empty one, or no Host to compare with */
	{ "null", "chat.example", 0, 0 },
	{ "", "chat.example", 0, 0 },
	{ "http://chat.example", NULL, 0, 0 },
	/* the -O list */
	{ "https://chat.example.org", "chat.example.org", 1, 1 },
	{ "https://CHAT.example.org", "internal:9148", 1, 1 },
	{ "http://proxy:8080", NULL, 1, 1 },
	{ "https://chat.example.org", "chat.example.org", 0, 0 },
	{ "https://chat.example.or", "x", 1, 0 },
	{ "null", "x", 1, 0 },
};

START_TEST(test_origin_ok)
{
	const struct origin_case *c = &origins[_i];
	char in[512];
	size_t used;
	int n;

	n = snprintf(in, sizeof in, "POST / HTTP/1.1\r\n%s%s%s%s%s%s"
	    "Content-Length: 0\r\n\r\n", c->origin ? "Origin: " : "",
	    c->origin ? c->origin : "", c->origin ? "\r\n" : "",
	    c->host ? "Host: " : "", c->host ? c->host : "",
	    c->host ? "\r\n" : "");
	ck_assert_int_lt(n, sizeof in);
	ck_assert_int_eq(feed(whole, in, (size_t)n, (size_t)n, 1, &used),
	    HTTP_OK);
	ck_assert_msg(http_origin_ok(whole, allowed_origins,
	    c->allowed ? (int)LEN(allowed_origins) : 0) == c->want,
	    "Origin %s, Host %s: want %d", c->origin ? c->origin : "none",
	    c->host ? c->host : "none", c->want);
}
END_TEST

/*
 * Builds a request whose head is exactly `size` bytes: a request line, a
 * padding header and a blank line, with CRLF or bare LF line ends.  With
 * `blank` > 0 the head starts with that many empty lines.
 */
static char *
make_head(size_t size, int crlf, size_t blank, const char *tail)
{
	const char *eol = crlf ? "\r\n" : "\n";
	char *s;
	size_t fixed, pad, i, n;

	fixed = blank * strlen(eol) + strlen("GET / HTTP/1.0") +
	    strlen("X-Pad: ") + 3 * strlen(eol);
	ck_assert_uint_ge(size, fixed);
	pad = size - fixed;
	s = malloc(size + strlen(tail) + 1);
	ck_assert_ptr_nonnull(s);
	for (n = 0, i = 0; i < blank; i++)
		n += (size_t)sprintf(s + n, "%s", eol);
	n += (size_t)sprintf(s + n, "GET / HTTP/1.0%sX-Pad: ", eol);
	memset(s + n, 'p', pad);
	n += pad;
	n += (size_t)sprintf(s + n, "%s%s%s", eol, eol, tail);
	ck_assert_uint_eq(n, size + strlen(tail));
	return s;
}

struct head_case {
	size_t	size;
	int	crlf;
	size_t	blank;
	enum http_status want;
};

static const struct head_case heads[] = {
	{ HTTP_HEAD_MAX, 1, 0, HTTP_OK },
	{ HTTP_HEAD_MAX + 1, 1, 0, HTTP_HEADERS_TOO_LARGE },
	{ HTTP_HEAD_MAX, 0, 0, HTTP_OK },
	{ HTTP_HEAD_MAX + 1, 0, 0, HTTP_HEADERS_TOO_LARGE },
	/* blank lines before the request count against the limit */
	{ HTTP_HEAD_MAX, 1, 100, HTTP_OK },
	{ HTTP_HEAD_MAX + 1, 1, 100, HTTP_HEADERS_TOO_LARGE },
	{ HTTP_HEAD_MAX - 1, 0, 7, HTTP_OK },
	{ 64, 1, 0, HTTP_OK },
};

START_TEST(test_head_limit)
{
	const struct head_case *c = &heads[_i];
	char *in;
	size_t used;

	in = make_head(c->size, c->crlf, c->blank, "");
	ck_assert_int_eq(parse_every_way(in, c->size, 61, &used), c->want);
	/* 431 comes with the first byte past the limit */
	ck_assert_uint_eq(used, c->want == HTTP_OK ? c->size :
	    HTTP_HEAD_MAX + 1);
	if (c->want == HTTP_OK)
		ck_assert_uint_eq(strlen(whole->path), 1);
	free(in);
}
END_TEST

/* The request line alone may fill the head, and not one byte more. */
START_TEST(test_request_line_limit)
{
	static char in[HTTP_HEAD_MAX + 2];
	size_t size, plen, used;
	int extra;

	for (extra = 0; extra <= 1; extra++) {
		size = HTTP_HEAD_MAX + (size_t)extra;
		plen = size - strlen("GET  HTTP/1.0\n\n");
		in[0] = '\0';
		strcat(in, "GET /");
		memset(in + 5, 'a', plen - 1);
		strcpy(in + 4 + plen, " HTTP/1.0\n\n");
		ck_assert_uint_eq(strlen(in), size);
		ck_assert_int_eq(parse_every_way(in, size, 127, &used),
		    extra ? HTTP_HEADERS_TOO_LARGE : HTTP_OK);
		if (!extra)
			ck_assert_uint_eq(strlen(whole->path), plen);
	}
}
END_TEST

/* A line that never ends is cut off at the limit, not buffered for ever. */
START_TEST(test_endless_line)
{
	static char in[HTTP_HEAD_MAX + 1];
	size_t used;

	memset(in, 'A', sizeof in);
	ck_assert_int_eq(parse_every_way(in, HTTP_HEAD_MAX, 257, &used),
	    HTTP_INCOMPLETE);
	ck_assert_int_eq(parse_every_way(in, HTTP_HEAD_MAX + 1, 257, &used),
	    HTTP_HEADERS_TOO_LARGE);
	memset(in, '\n', sizeof in);
	ck_assert_int_eq(parse_every_way(in, HTTP_HEAD_MAX, 257, &used),
	    HTTP_INCOMPLETE);
	ck_assert_int_eq(parse_every_way(in, HTTP_HEAD_MAX + 1, 257, &used),
	    HTTP_HEADERS_TOO_LARGE);
}
END_TEST

struct body_case {
	long	clen;		/* announced */
	size_t	sent;		/* body bytes sent */
	enum http_status want;
};

static const struct body_case bodies[] = {
	{ HTTP_BODY_MAX, HTTP_BODY_MAX, HTTP_OK },
	{ HTTP_BODY_MAX, HTTP_BODY_MAX + 100, HTTP_OK },
	{ HTTP_BODY_MAX, HTTP_BODY_MAX - 1, HTTP_INCOMPLETE },
	{ HTTP_BODY_MAX + 1, HTTP_BODY_MAX + 1, HTTP_PAYLOAD_TOO_LARGE },
	{ 100000, 0, HTTP_PAYLOAD_TOO_LARGE },
	{ 1, 1, HTTP_OK },
};

START_TEST(test_body_limit)
{
	const struct body_case *c = &bodies[_i];
	char *in;
	size_t head, len, used, i;

	in = malloc(64 + c->sent);
	ck_assert_ptr_nonnull(in);
	head = (size_t)sprintf(in, "POST /dotalk HTTP/1.0\r\n"
	    "Content-Length: %ld\r\n\r\n", c->clen);
	for (i = 0; i < c->sent; i++)
		in[head + i] = (char)('a' + i % 26);
	len = head + c->sent;
	ck_assert_int_eq(parse_every_way(in, len, 67, &used), c->want);
	if (c->want == HTTP_OK) {
		ck_assert_uint_eq(used, head + (size_t)c->clen);
		ck_assert_uint_eq(whole->body_len, (size_t)c->clen);
		ck_assert_mem_eq(whole->body, in + head, whole->body_len);
		ck_assert_int_eq(whole->body[whole->body_len], '\0');
	} else if (c->want == HTTP_PAYLOAD_TOO_LARGE)
		ck_assert_uint_eq(used, head - 2);
	free(in);
}
END_TEST

struct form_case {
	const char	*form;
	const char	*key;
	size_t		 outsize;
	int		 want;
	const char	*out;		/* `want` bytes when want >= 0 */
};

static const struct form_case forms[] = {
	{ "a=1&b=2", "a", 64, 1, "1" },
	{ "a=1&b=2", "b", 64, 1, "2" },
	{ "a=1&b=2", "c", 64, -1, "" },
	{ "", "a", 64, -1, "" },
	{ "a=&b=2", "a", 64, 0, "" },
	{ "a&b=2", "a", 64, 0, "" },
	{ "a=1&a=2", "a", 64, 1, "1" },
	/* a key is not a prefix or a suffix of another */
	{ "ab=1&a=2", "a", 64, 1, "2" },
	{ "a=1&ab=2", "ab", 64, 1, "2" },
	{ "xa=1", "a", 64, -1, "" },
	{ "a=1", "ab", 64, -1, "" },
	{ "=1", "a", 64, -1, "" },
	/* an empty pair has no key, not an empty one */
	{ "&=x", "", 64, 1, "x" },
	{ "&&a=1&", "a", 64, 1, "1" },
	{ "a=1=2", "a", 64, 3, "1=2" },
	/* decoding */
	{ "name=x+y++z", "name", 64, 6, "x y  z" },
	{ "m=%41%62%2b%2B%25", "m", 64, 5, "Ab++%" },
	{ "m=a%00b", "m", 64, 3, "a\0b" },
	{ "m=%c3%A9", "m", 64, 2, "\xc3\xa9" },
	{ "%61=1", "a", 64, 1, "1" },
	{ "s+d=1", "s d", 64, 1, "1" },
	/* malformed */
	{ "m=%4", "m", 64, -2, "" },
	{ "m=%zz", "m", 64, -2, "" },
	{ "m=%", "m", 64, -2, "" },
	{ "m=%%41", "m", 64, -2, "" },
	{ "a=%z&a=1", "a", 64, -2, "" },
	{ "a=1&b=%z", "a", 64, 1, "1" },
	{ "a%zz=1&a=2", "a", 64, 1, "2" },
	/* the value must fit in outsize - 1 bytes */
	{ "m=abc", "m", 4, 3, "abc" },
	{ "m=abc", "m", 3, -2, "" },
	{ "m=%41%42%43", "m", 4, 3, "ABC" },
	{ "m=%41%42%43", "m", 3, -2, "" },
	{ "m=", "m", 1, 0, "" },
	{ "m=a", "m", 1, -2, "" },
	{ "m=", "m", 0, -2, "" },
	{ "m=a", "x", 0, -1, "" },
};

START_TEST(test_form_value)
{
	const struct form_case *c = &forms[_i];
	char out[72];
	int n;

	memset(out, 'X', sizeof out);
	n = http_form_value(c->form, c->key, out, c->outsize);
	ck_assert_msg(n == c->want, "%s [%s]: got %d, want %d", c->form,
	    c->key, n, c->want);
	if (n >= 0) {
		ck_assert_mem_eq(out, c->out, (size_t)n);
		ck_assert_int_eq(out[n], '\0');
	} else if (c->outsize > 0)
		ck_assert_int_eq(out[0], '\0');
	/* nothing written past outsize */
	ck_assert_int_eq(out[c->outsize], 'X');
}
END_TEST

/* A value as long as the largest body decodes in full. */
START_TEST(test_form_value_long)
{
	static char form[HTTP_BODY_MAX + 1], out[HTTP_BODY_MAX];
	size_t vlen;

	vlen = HTTP_BODY_MAX - 2;
	memcpy(form, "m=", 2);
	memset(form + 2, '+', vlen);
	form[HTTP_BODY_MAX] = '\0';
	ck_assert_int_eq(http_form_value(form, "m", out, vlen + 1),
	    (int)vlen);
	ck_assert_int_eq(out[0], ' ');
	ck_assert_int_eq(out[vlen - 1], ' ');
	ck_assert_int_eq(http_form_value(form, "m", out, vlen), -2);
}
END_TEST

struct check_case {
	const char	*form;
	int		 want;
};

static const struct check_case checks[] = {
	{ "", 0 }, { "a=1&b=x+y", 0 }, { "a=%41%2f%2F", 0 }, { "%00", 0 },
	{ "%", -1 }, { "a=%4", -1 }, { "a=%G1", -1 }, { "%%41", -1 },
	{ "a=1&b=%zz&c", -1 }, { "a=%4 ", -1 },
};

START_TEST(test_form_check)
{
	ck_assert_int_eq(http_form_check(checks[_i].form), checks[_i].want);
}
END_TEST

struct pair {
	const char	*in;
	size_t		 inlen;
	const char	*out;
	size_t		 outlen;
};

static const struct pair escapes[] = {
	{ "", 0, "", 0 },
	{ "plain text", 10, "plain text", 10 },
	{ "<script>", 8, "&lt;script&gt;", 14 },
	{ "a&b", 3, "a&amp;b", 7 },
	{ "\"'", 2, "&quot;&#39;", 11 },
	{ "&amp;", 5, "&amp;amp;", 9 },
	{ "<a href=\"x\" onclick='y'>", 24,
	    "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;", 48 },
	{ "a\0<", 3, "a\0&lt;", 6 },
	{ "\xc3\xa9<", 3, "\xc3\xa9&lt;", 6 },
};

START_TEST(test_html_escape)
{
	const struct pair *c = &escapes[_i];
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "[");
	ck_assert_int_eq(http_html_escape(&b, c->in, c->inlen), 0);
	ck_assert_uint_eq(b.len, c->outlen + 1);
	ck_assert_mem_eq(b.data + 1, c->out, c->outlen);
	buf_free(&b);
}
END_TEST

struct reason_case {
	int		 status;
	const char	*reason;
};

static const struct reason_case reasons[] = {
	{ 200, "OK" }, { 303, "See Other" }, { 400, "Bad Request" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 409, "Conflict" },
	{ 411, "Length Required" }, { 413, "Payload Too Large" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 503, "Service Unavailable" }, { 505, "HTTP Version Not Supported" },
	{ 0, "Unknown" }, { 201, "Unknown" }, { -1, "Unknown" },
};

START_TEST(test_reason)
{
	ck_assert_str_eq(http_reason(reasons[_i].status), reasons[_i].reason);
}
END_TEST

#define SECURITY \
	"X-Content-Type-Options: nosniff\r\n" \
	"Referrer-Policy: same-origin\r\n" \
	"X-Frame-Options: SAMEORIGIN\r\n" \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; " \
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; " \
	"form-action 'self'; frame-src 'self'; frame-ancestors 'self'; " \
	"base-uri 'none'; connect-src 'self'\r\n" \
	"Connection: close\r\n\r\n"

struct head_want {
	int		 status;
	const char	*type;
	long		 clen;
	int		 flags;
	const char	*head;
};

static const struct head_want rheads[] = {
	{ 200, "text/html; charset=utf-8", 5, HTTP_NO_STORE,
	    "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: 5\r\nCache-Control: no-store\r\n" SECURITY },
	{ 404, "text/plain; charset=utf-8", 0, 0,
	    "HTTP/1.0 404 Not Found\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 0\r\n" SECURITY },
	/* a stream has no length */
	{ 200, "text/html; charset=utf-8", -1, HTTP_NO_STORE,
	    "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n" SECURITY },
	/* static files are cached for HTTP_CACHE_MAX_AGE seconds */
	{ 200, "text/css", 2, HTTP_CACHE,
	    "HTTP/1.0 200 OK\r\nContent-Type: text/css\r\n"
	    "Content-Length: 2\r\nCache-Control: max-age=3600\r\n" SECURITY },
	{ 431, "text/css", 123456, 0,
	    "HTTP/1.0 431 Request Header Fields Too Large\r\n"
	    "Content-Type: text/css\r\nContent-Length: 123456\r\n" SECURITY },
};

START_TEST(test_response_head)
{
	const struct head_want *c = &rheads[_i];
	struct buf b;

	buf_init(&b);
	ck_assert_int_eq(http_response_head(&b, c->status, c->type, c->clen,
	    c->flags), 0);
	ck_assert_str_eq(b.data, c->head);
	ck_assert_int_eq(strstr(b.data, "Content-Length") != NULL,
	    c->clen >= 0);
	buf_free(&b);
}
END_TEST

/* Every required header, each on its own line, and one blank line. */
START_TEST(test_response_head_headers)
{
	static const char *const need[] = {
		"\r\nX-Content-Type-Options: nosniff\r\n",
		"\r\nReferrer-Policy: same-origin\r\n",
		"\r\nX-Frame-Options: SAMEORIGIN\r\n",
		"\r\nConnection: close\r\n",
		"\r\nCache-Control: no-store\r\n",
		"frame-ancestors 'self'",
		"script-src 'self';",
	};
	struct buf b;
	size_t i;

	buf_init(&b);
	ck_assert_int_eq(http_response_head(&b, 303, "text/html", 0,
	    HTTP_NO_STORE), 0);
	for (i = 0; i < LEN(need); i++)
		ck_assert_msg(strstr(b.data, need[i]) != NULL, "no %s",
		    need[i]);
	ck_assert_ptr_null(strstr(b.data, "unsafe-eval"));
	ck_assert_ptr_null(strstr(b.data, "script-src 'self' 'unsafe"));
	ck_assert_ptr_eq(strstr(b.data, "\r\n\r\n"), b.data + b.len - 4);
	buf_free(&b);
}
END_TEST

/* A content type that would end the line early is refused, not sent. */
START_TEST(test_response_head_refuses)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "x");
	ck_assert_int_eq(http_response_head(&b, 200, "text/html\r\nX: y", 1,
	    0), -1);
	ck_assert_int_eq(http_response_head(&b, 200, "text/html\n", 1, 0),
	    -1);
	ck_assert_int_eq(http_response_head(&b, 0, "text/html", 1, 0), -1);
	ck_assert_int_eq(http_response_head(&b, 1000, "text/html", 1, 0), -1);
	ck_assert_str_eq(b.data, "x");
	buf_free(&b);
}
END_TEST

/* For HEAD: the head stays, Content-Length included; the body goes. */
START_TEST(test_strip_body)
{
	struct buf b;
	size_t head;

	buf_init(&b);
	http_strip_body(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(http_response_head(&b, 404, "text/html", 9, 0), 0);
	head = b.len;
	buf_adds(&b, "<p>\r\n\r\n</p>");
	http_strip_body(&b);
	ck_assert_uint_eq(b.len, head);
	ck_assert_str_eq(b.data + head - 4, "\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(b.data, "\r\nContent-Length: 9\r\n"));
	http_strip_body(&b);
	ck_assert_uint_eq(b.len, head);
	buf_free(&b);
}
END_TEST

static const struct pair redactions[] = {
	{ "", 0, "", 0 },
	{ "sid=0123456789abcdef&since=4", 0, "sid=-&since=4", 0 },
	{ "name=bob&passwd=hunter2&color=red", 0,
	    "name=bob&passwd=-&color=red", 0 },
	{ "sid=1&old=a&new=b", 0, "sid=-&old=-&new=-", 0 },
	{ "sid=1&message=hi+%3Cthere%3E&to=ann", 0,
	    "sid=-&message=-&to=ann", 0 },
	/* every occurrence, also when the key is encoded */
	{ "sid=1&sid=2&s%69d=3", 0, "sid=-&sid=-&s%69d=-", 0 },
	/* keys that merely look like secret ones */
	{ "sidx=1&xsid=2&sid", 0, "sidx=1&xsid=2&sid", 0 },
	{ "passwd=&a=1&&", 0, "passwd=-&a=1&&", 0 },
	{ "message=a=b", 0, "message=-", 0 },
	/* the log line stays one line */
	{ "to=a\r\nb&x=\xff", 0, "to=a%0D%0Ab&x=%FF", 0 },
	{ "to=a b\t", 0, "to=a%20b%09", 0 },
};

START_TEST(test_redact)
{
	const struct pair *c = &redactions[_i];
	struct buf b;

	buf_init(&b);
	ck_assert_int_eq(http_redact(&b, c->in), 0);
	ck_assert_str_eq(b.len > 0 ? b.data : "", c->out);
	buf_free(&b);
}
END_TEST

/* What the server reads as a secret never shows in the redacted copy. */
START_TEST(test_redact_hides_values)
{
	static const char *const keys[] = {
		"sid", "passwd", "old", "new", "message"
	};
	const char *form = "x=1&%73id=S1&passwd=P%32&old=O3&new=N4+&"
	    "message=M5&sid=S6";
	char out[32];
	struct buf b;
	size_t i;

	buf_init(&b);
	ck_assert_int_eq(http_redact(&b, form), 0);
	for (i = 0; i < LEN(keys); i++) {
		ck_assert_int_gt(http_form_value(form, keys[i], out,
		    sizeof out), 0);
		ck_assert_ptr_null(strstr(b.data, out));
		ck_assert_int_eq(http_form_value(b.data, keys[i], out,
		    sizeof out), 1);
		ck_assert_str_eq(out, "-");
	}
	ck_assert_int_eq(http_form_value(b.data, "x", out, sizeof out), 1);
	ck_assert_str_eq(out, "1");
	buf_free(&b);
}
END_TEST

Suite *
http_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("http");

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_parse_good, 0, LEN(good));
	tcase_add_loop_test(tc, test_parse_bad, 0, LEN(bad));
	tcase_add_test(tc, test_parse_answers_early);
	tcase_add_test(tc, test_parse_refused_keeps_path);
	tcase_add_test(tc, test_parse_last_event_id);
	tcase_add_test(tc, test_parse_host_origin);
	tcase_add_test(tc, test_host_origin_limits);
	tcase_add_test(tc, test_parse_upgrade);
	tcase_add_test(tc, test_upgrade_limits);
	tcase_add_loop_test(tc, test_head_only, 0, LEN(head_onlys));
	tcase_add_test(tc, test_head_only_too_large);
	tcase_add_loop_test(tc, test_origin_ok, 0, LEN(origins));
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_head_limit, 0, LEN(heads));
	tcase_add_test(tc, test_request_line_limit);
	tcase_add_test(tc, test_endless_line);
	tcase_add_loop_test(tc, test_body_limit, 0, LEN(bodies));
	suite_add_tcase(s, tc);

	tc = tcase_create("form");
	tcase_add_loop_test(tc, test_form_value, 0, LEN(forms));
	tcase_add_test(tc, test_form_value_long);
	tcase_add_loop_test(tc, test_form_check, 0, LEN(checks));
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_loop_test(tc, test_html_escape, 0, LEN(escapes));
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_loop_test(tc, test_reason, 0, LEN(reasons));
	tcase_add_loop_test(tc, test_response_head, 0, LEN(rheads));
	tcase_add_test(tc, test_response_head_headers);
	tcase_add_test(tc, test_response_head_refuses);
	tcase_add_test(tc, test_strip_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("redact");
	tcase_add_loop_test(tc, test_redact, 0, LEN(redactions));
	tcase_add_test(tc, test_redact_hides_values);
	suite_add_tcase(s, tc);

	return s;
}
