/* itest_web.c: HTTP hardening end to end: the Origin rule, HEAD on every answer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"
#include "suites.h"

#define REQ_MAX	16384

/* Sends a request made from a format ("%d" for the port, say). */
static void
raw(int port, struct reply *r, const char *fmt, ...)
{
	char req[REQ_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(req, sizeof req, fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && n < (int)sizeof req);
	cl_raw(port, req, (size_t)n, r);
}

/* A form POST with extra header lines (each ending in CRLF). */
static int
post_with(int port, const char *path, const char *headers, const char *body,
    struct reply *r)
{
	raw(port, r, "POST %s HTTP/1.1\r\n%sContent-Type: application/"
	    "x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s", path,
	    headers, strlen(body), body);
	return r->status;
}

/* The Content-Length of a reply's head, or -1. */
static long
content_length(const struct reply *r)
{
	const char *p = strstr(r->head, "\r\nContent-Length: ");

	return p == NULL ? -1 : atol(p + 18);
}

START_TEST(foreign_origin_cannot_log_in_or_register)
{
	static const char *const foreign[] = {
		"http://evil.example", "null", "https://127.0.0.1",
		"http://localhost", "",
	};
	struct server s;
	struct reply r;
	char hdr[256];
	size_t i;

	srv_start(&s, NULL);
	for (i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		snprintf(hdr, sizeof hdr, "Host: 127.0.0.1:%d\r\nOrigin: %s\r\n",
		    s.port, foreign[i]);
		ck_assert_msg(post_with(s.port, "/login", hdr, "name=mallory",
		    &r) == 403, "login from Origin %s: %d", foreign[i],
		    r.status);
		ck_assert_ptr_nonnull(strstr(r.body, "another site"));
		ck_assert_ptr_nonnull(strstr(r.body, "href=\"/\""));
		ck_assert_ptr_nonnull(strstr(r.head, "charset=utf-8"));
		reply_free(&r);
		ck_assert_int_eq(post_with(s.port, "/register", hdr,
		    "name=mallory&passwd=x", &r), 403);
		reply_free(&r);
	}
	/* Nothing was made: the name is free to log in and to register. */
	ck_assert_int_eq(post_with(s.port, "/register", "",
	    "name=mallory&passwd=x", &r), 200);
	reply_free(&r);
	ck_assert_ptr_nonnull(cl_login(s.port, "name=mallory&passwd=x", NULL));
	srv_stop_clean(&s);
}
END_TEST

START_TEST(own_origin_and_none_may_post)
{
	struct server s;
	struct reply r;
	char hdr[256];

	srv_start(&s, NULL);
	/* The browser on chatd's own page: Origin names the Host it used. */
	snprintf(hdr, sizeof hdr, "Host: 127.0.0.1:%d\r\n"
	    "Origin: http://127.0.0.1:%d\r\n", s.port, s.port);
	ck_assert_int_eq(post_with(s.port, "/login", hdr, "name=ann", &r), 303);
	ck_assert_ptr_nonnull(strstr(r.body, "sid="));
	reply_free(&r);
	snprintf(hdr, sizeof hdr, "Host: LOCALHOST:%d\r\n"
	    "Origin: http://localhost:%d\r\n", s.port, s.port);
	ck_assert_int_eq(post_with(s.port, "/login", hdr, "name=ben", &r), 303);
	reply_free(&r);
	/* curl, telnet and old browsers send no Origin. */
	ck_assert_int_eq(post_with(s.port, "/login", "", "name=cat", &r), 303);
	reply_free(&r);
	/* An Origin with no Host to compare it with is not ours. */
	snprintf(hdr, sizeof hdr, "Origin: http://127.0.0.1:%d\r\n", s.port);
	ck_assert_int_eq(post_with(s.port, "/login", hdr, "name=dan", &r), 403);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(foreign_origin_cannot_talk)
{
	struct server s;
	struct stream a;
	struct reply r;
	const char *sid;
	char hdr[256], body[128];

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=eve", NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sid, NULL), 200);
	snprintf(body, sizeof body, "sid=%s&message=forged", sid);
	snprintf(hdr, sizeof hdr, "Host: 127.0.0.1:%d\r\n"
	    "Origin: http://attacker.example\r\n", s.port);
	ck_assert_int_eq(post_with(s.port, "/dotalk", hdr, body, &r), 403);
	reply_free(&r);
	snprintf(body, sizeof body, "sid=%s", sid);
	ck_assert_int_eq(post_with(s.port, "/leave", hdr, body, &r), 403);
	reply_free(&r);
	/* A GET is a link any site may show: it is answered. */
	raw(s.port, &r, "GET /talk?sid=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "Origin: http://attacker.example\r\n\r\n", sid, s.port);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	snprintf(body, sizeof body, "sid=%s&message=genuine", sid);
	snprintf(hdr, sizeof hdr, "Host: 127.0.0.1:%d\r\n"
	    "Origin: http://127.0.0.1:%d\r\n", s.port, s.port);
	ck_assert_int_eq(post_with(s.port, "/dotalk", hdr, body, &r), 200);
	reply_free(&r);
	ck_assert(stream_wait(&a, "genuine", 2000));
	ck_assert_int_eq(stream_count(&a, "forged"), 0);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/* /api/ answers scripts: every request there is judged by its Origin. */
START_TEST(foreign_origin_cannot_use_api)
{
	struct server s;
	struct reply r;

	srv_start(&s, NULL);
	raw(s.port, &r, "GET /api/anything HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "Origin: http://evil.example\r\n\r\n", s.port);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	raw(s.port, &r, "GET /api HTTP/1.1\r\nOrigin: null\r\n\r\n");
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	raw(s.port, &r, "GET /api/anything HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "Origin: http://127.0.0.1:%d\r\n\r\n", s.port, s.port);
	ck_assert_int_eq(r.status, 404);
	reply_free(&r);
	/* Other GETs are not judged by their Origin. */
	raw(s.port, &r, "GET /apix HTTP/1.1\r\nOrigin: null\r\n\r\n");
	ck_assert_int_eq(r.status, 404);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Requests sent as HEAD and as GET; each must get the same status and
 * Content-Length, the HEAD no body.  "%d" is the port.
 */
static const struct {
	const char	*rest;		/* after "HEAD " or "GET " */
	int		 status;
} head_cases[] = {
	{ "/ HTTP/1.0\r\n\r\n", 200 },
	{ "/login HTTP/1.0\r\n\r\n", 200 },
	{ "/register HTTP/1.0\r\n\r\n", 200 },
	{ "/style.css HTTP/1.0\r\n\r\n", 200 },
	{ "/chat.js HTTP/1.0\r\n\r\n", 200 },
	{ "/talk.js HTTP/1.0\r\n\r\n", 200 },
	{ "/nowhere HTTP/1.0\r\n\r\n", 404 },
	{ "/talk HTTP/1.0\r\n\r\n", 403 },
	{ "/names?sid=0123456789abcdef0123456789abcdef HTTP/1.0\r\n\r\n", 403 },
	{ "/api/x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://evil\r\n"
	    "\r\n", 403 },
	{ "/talk?sid=%%zz HTTP/1.0\r\n\r\n", 400 },
	{ "/ HTTP/1.0\r\nNo colon here\r\n\r\n", 400 },
	{ "/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "/ HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
	{ "/ HTTP/2.0\r\n\r\n", 505 },
	{ "/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
	{ "/ HTTP/1.0\r\nContent-Length: 100000\r\n\r\n", 413 },
};

static void
head_and_get(int port, const char *rest, int status)
{
	struct reply h, g;
	char fmt[REQ_MAX];

	snprintf(fmt, sizeof fmt, "HEAD %s", rest);
	raw(port, &h, fmt, port);
	snprintf(fmt, sizeof fmt, "GET %s", rest);
	raw(port, &g, fmt, port);
	ck_assert_msg(h.status == status && g.status == status,
	    "%s: HEAD %d, GET %d, want %d", rest, h.status, g.status, status);
	ck_assert_msg(h.body_len == 0, "HEAD %s: %zu bytes of body", rest,
	    h.body_len);
	ck_assert_int_gt(content_length(&g), 0);
	ck_assert_int_eq(content_length(&g), (long)g.body_len);
	ck_assert_msg(content_length(&h) == content_length(&g),
	    "%s: HEAD says %ld bytes, GET %ld", rest, content_length(&h),
	    content_length(&g));
	ck_assert_ptr_nonnull(strstr(h.head, "Connection: close"));
	reply_free(&h);
	reply_free(&g);
}

START_TEST(head_answers_headers_only)
{
	struct server s;

	srv_start(&s, NULL);
	head_and_get(s.port, head_cases[_i].rest, head_cases[_i].status);
	srv_stop_clean(&s);
}
END_TEST

/* 431 whether the head is too large in a header or in the request line. */
START_TEST(head_431_has_no_body)
{
	static char rest[9100];
	struct server s;

	srv_start(&s, NULL);
	memset(rest, 'a', sizeof rest - 1);
	memcpy(rest, "/ HTTP/1.0\r\nX-Big: ", 19);
	head_and_get(s.port, rest, 431);
	memset(rest, 'a', sizeof rest - 1);
	rest[0] = '/';
	head_and_get(s.port, rest, 431);
	srv_stop_clean(&s);
}
END_TEST

/* The pages of a session, HEAD first: it changes nothing. */
START_TEST(head_on_session_pages)
{
	static const char *const pages[] = {
		"/talk", "/names", "/dotalk?message=hi&x=", "/leave", "/register",
	};
	struct server s;
	char rest[256];
	const char *sid;
	size_t i;

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=hal", NULL));
	for (i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		snprintf(rest, sizeof rest, "%s%csid=%s HTTP/1.0\r\n\r\n",
		    pages[i], strchr(pages[i], '?') ? '&' : '?', sid);
		head_and_get(s.port, rest, 200);
	}
	/* The GET /leave ended it; HEAD now gets the 403 without a body. */
	snprintf(rest, sizeof rest, "/talk?sid=%s HTTP/1.0\r\n\r\n", sid);
	head_and_get(s.port, rest, 403);
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_web_suite(void)
{
	Suite *s = suite_create("itest_web");
	TCase *tc = tcase_create("web");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, foreign_origin_cannot_log_in_or_register);
	tcase_add_test(tc, own_origin_and_none_may_post);
	tcase_add_test(tc, foreign_origin_cannot_talk);
	tcase_add_test(tc, foreign_origin_cannot_use_api);
	tcase_add_loop_test(tc, head_answers_headers_only, 0,
	    sizeof head_cases / sizeof head_cases[0]);
	tcase_add_test(tc, head_431_has_no_body);
	tcase_add_test(tc, head_on_session_pages);
	suite_add_tcase(s, tc);
	return s;
}
