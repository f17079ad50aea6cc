/* itest_pages.c: the pages of issue 13: login's 303 to /room, the viewport, sids in links, /lite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"
#include "suites.h"

#define VIEWPORT "<meta name=\"viewport\" content=\"width=device-width, " \
	"initial-scale=1\">"

/* GET path?sid=sid (path may hold a query already). */
static void
get_sid(int port, const char *path, const char *sid, struct reply *r)
{
	char target[256];

	snprintf(target, sizeof target, "%s%csid=%s", path,
	    strchr(path, '?') ? '&' : '?', sid);
	cl_get(port, target, r);
}

START_TEST(login_redirects_to_room)
{
	struct server s;
	struct reply r;
	char want[128], sid[33];
	const char *p;

	srv_start(&s, NULL);
	cl_post(s.port, "/login", "name=alice&room=den", &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert_ptr_nonnull(p = strstr(r.head, "\r\nLocation: /room?sid="));
	memcpy(sid, p + strlen("\r\nLocation: /room?sid="), 32);
	sid[32] = '\0';
	ck_assert_int_eq((int)strspn(sid, "0123456789abcdef"), 32);
	ck_assert_ptr_null(strstr(r.body, "<frameset"));
	reply_free(&r);
	/* The frameset, as often as asked: a reload is no new login. */
	get_sid(s.port, "/room", sid, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Cache-Control: no-store"));
	snprintf(want, sizeof want, "src=\"/chat?sid=%s\"", sid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	snprintf(want, sizeof want, "<noframes><body><p>This browser shows no "
	    "frames: <a href=\"/lite?sid=%s\">", sid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	ck_assert_ptr_nonnull(strstr(r.body, "<title>den - chatd</title>"));
	reply_free(&r);
	get_sid(s.port, "/room", sid, &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	/* A GET login (a bookmark of the form's answer) redirects too. */
	cl_get(s.port, "/login?name=bob", &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nLocation: /room?sid="));
	reply_free(&r);
	/* An ended session's /room: 403 with a way to log in. */
	get_sid(s.port, "/leave", sid, &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	get_sid(s.port, "/room", sid, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "<a href=\"/\" target=\"_top\">"
	    "Log in again</a>"));
	reply_free(&r);
	cl_get(s.port, "/room", &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(every_page_has_the_viewport)
{
	static const char *const open_pages[] = {
		"/", "/login", "/register", "/nowhere", "/talk?sid=0",
	};
	static const char *const session_pages[] = {
		"/room", "/talk", "/names", "/dotalk?message=hi",
		"/leave",
	};
	struct server s;
	struct reply r;
	struct stream st;
	const char *sid;
	size_t i;

	srv_start(&s, NULL);
	for (i = 0; i < sizeof open_pages / sizeof open_pages[0]; i++) {
		cl_get(s.port, open_pages[i], &r);
		ck_assert_msg(strstr(r.body, VIEWPORT) != NULL, "%s",
		    open_pages[i]);
		reply_free(&r);
	}
	cl_post(s.port, "/register", "name=zed&passwd=pw", &r);
	ck_assert_msg(strstr(r.body, VIEWPORT) != NULL, "registered");
	reply_free(&r);
	cl_post(s.port, "/login", "name=ann", &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert_ptr_nonnull(strstr(r.body, VIEWPORT));
	reply_free(&r);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=amy", NULL));
	ck_assert_int_eq(stream_open(&st, s.port, sid, NULL), 200);
	ck_assert(stream_wait(&st, VIEWPORT, 2000));
	stream_close(&st);
	for (i = 0; i < sizeof session_pages / sizeof session_pages[0]; i++) {
		get_sid(s.port, session_pages[i], sid, &r);
		ck_assert_msg(r.status == 200 && strstr(r.body, VIEWPORT),
		    "%s: %d", session_pages[i], r.status);
		reply_free(&r);
	}
	srv_stop_clean(&s);
}
END_TEST

/* Every form and link of a session's pages carries the sid in its query. */
START_TEST(links_carry_the_sid)
{
	struct server s;
	struct reply r;
	char want[160];
	const char *sid;

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=ann", NULL));
	get_sid(s.port, "/talk", sid, &r);
	snprintf(want, sizeof want, "action=\"/dotalk?sid=%s\"", sid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	snprintf(want, sizeof want, "href=\"/leave?sid=%s\"", sid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	reply_free(&r);
	get_sid(s.port, "/dotalk?message=hello", sid, &r);
	snprintf(want, sizeof want, "action=\"/dotalk?sid=%s\"", sid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	reply_free(&r);
	get_sid(s.port, "/names", sid, &r);
	snprintf(want, sizeof want, "url=/names?sid=%s\"", sid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	reply_free(&r);
	get_sid(s.port, "/room", sid, &r);
	snprintf(want, sizeof want, "src=\"/talk?sid=%s\"", sid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	snprintf(want, sizeof want, "src=\"/names?sid=%s\"", sid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_pages_suite(void)
{
	Suite *s = suite_create("itest_pages");
	TCase *tc = tcase_create("pages");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, login_redirects_to_room);
	tcase_add_test(tc, every_page_has_the_viewport);
	tcase_add_test(tc, links_carry_the_sid);
	suite_add_tcase(s, tc);
	return s;
}
