/* itest_pages.c: the pages of issue 13: login's 303 to /room, the viewport, sids in links, /lite. */
#include <poll.h>
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

/* How many times text occurs in s. */
static int
count(const char *s, const char *text)
{
	int n = 0;

	while ((s = strstr(s, text)) != NULL) {
		n++;
		s += strlen(text);
	}
	return n;
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
		"/room", "/talk", "/names", "/lite", "/dotalk?message=hi",
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

START_TEST(lite_shows_and_posts)
{
	struct server s;
	struct reply r;
	char want[160];
	const char *sa, *sb;
	const char *p, *q;

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(sa = cl_login(s.port, "name=ann&room=den", NULL));
	ck_assert_ptr_nonnull(sb = cl_login(s.port, "name=bob&room=den", NULL));
	ck_assert_int_eq(cl_say(s.port, sa, "/topic%20tea%20time"), 200);
	ck_assert_int_eq(cl_say(s.port, sb, "/away%20lunch"), 200);
	ck_assert_int_eq(cl_say(s.port, sb, "first%20%3Cline%3E"), 200);
	ck_assert_int_eq(cl_say(s.port, sb, "second%20line"), 200);
	get_sid(s.port, "/lite", sa, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Cache-Control: no-store"));
	/* The last lines, newest at the bottom, escaped. */
	ck_assert_ptr_nonnull(p = strstr(r.body, "first &lt;line&gt;"));
	ck_assert_ptr_nonnull(q = strstr(r.body, "second line"));
	ck_assert(p < q);
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>tea time</bdi>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>ann</bdi>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<span class=\"awaymark\">away: "
	    "<bdi>lunch</bdi>"));
	snprintf(want, sizeof want, "<meta http-equiv=\"refresh\" content="
	    "\"10; url=/lite?sid=%s\">", sa);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	snprintf(want, sizeof want, "<form method=\"post\" action=\"/lite?"
	    "sid=%s\"", sa);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	snprintf(want, sizeof want, "<a href=\"/lite?sid=%s\">Refresh</a>", sa);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	ck_assert_ptr_nonnull(strstr(r.body, "name=\"message\""));
	reply_free(&r);
	/* A post answers 303 to the page, which shows the line. */
	snprintf(want, sizeof want, "/lite?sid=%s", sa);
	cl_post(s.port, want, "message=hello%20from%20lite", &r);
	ck_assert_int_eq(r.status, 303);
	snprintf(want, sizeof want, "\r\nLocation: /lite?sid=%s\r\n", sa);
	ck_assert_ptr_nonnull(strstr(r.head, want));
	reply_free(&r);
	get_sid(s.port, "/lite", sa, &r);
	ck_assert_ptr_nonnull(p = strstr(r.body, "hello from lite"));
	ck_assert(p > strstr(r.body, "second line"));
	reply_free(&r);
	/* A command's answer shows at the top of the next page, once. */
	snprintf(want, sizeof want, "/lite?sid=%s", sa);
	cl_post(s.port, want, "message=%2Fwho", &r);
	ck_assert_int_eq(r.status, 303);
	reply_free(&r);
	get_sid(s.port, "/lite", sa, &r);
	ck_assert_ptr_nonnull(p = strstr(r.body, "class=\"ev notice"));
	ck_assert(p < strstr(r.body, "<div class=\"lines\""));
	ck_assert_int_eq(count(r.body, "In den: "), 1);
	reply_free(&r);
	get_sid(s.port, "/lite", sa, &r);
	ck_assert_int_eq(count(r.body, "In den: "), 0);
	reply_free(&r);
	/* A refusal is shown too: an empty line. */
	snprintf(want, sizeof want, "/lite?sid=%s", sa);
	cl_post(s.port, want, "message=", &r);
	ck_assert_int_eq(r.status, 303);
	reply_free(&r);
	get_sid(s.port, "/lite", sa, &r);
	ck_assert_ptr_nonnull(p = strstr(r.body, "class=\"ev notice"));
	ck_assert(p < strstr(r.body, "<div class=\"lines\""));
	reply_free(&r);
	/* Unknown sid: 403. */
	cl_get(s.port, "/lite?sid=00000000000000000000000000000000", &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/* With -g 1, a session held by /lite requests outlives the grace. */
START_TEST(lite_holds_the_session)
{
	struct server s;
	struct reply r;
	struct stream st;
	const char *sa;
	long long until;

	srv_start(&s, "-g", "1", NULL);
	ck_assert_ptr_nonnull(sa = cl_login(s.port, "name=ann", NULL));
	ck_assert_int_eq(stream_open(&st, s.port, sa, NULL), 200);
	ck_assert(stream_wait(&st, "joined", 2000));
	stream_close(&st);
	until = itest_now() + 3000;
	while (itest_now() < until) {
		get_sid(s.port, "/lite", sa, &r);
		ck_assert_int_eq(r.status, 200);
		reply_free(&r);
		poll(NULL, 0, 300);
	}
	srv_stop_clean(&s);
}
END_TEST

/* Runs a text browser on url into out; 0 if it is not installed. */
static int
text_browser(const char *cmd, const char *url, char *out, size_t size)
{
	char line[512];
	FILE *f;
	size_t n;
	long long t0;

	snprintf(line, sizeof line, "command -v %s >/dev/null 2>&1", cmd);
	if (system(line) != 0) {
		fprintf(stderr, "itest_pages: %s is not installed: not run\n",
		    cmd);
		return 0;
	}
	snprintf(line, sizeof line, "timeout 10 %s -dump '%s' 2>&1", cmd, url);
	t0 = itest_now();
	ck_assert_ptr_nonnull(f = popen(line, "r"));
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	/* The page ends: the browser returns at once. */
	ck_assert_msg(itest_now() - t0 < 5000, "%s took %lld ms", cmd,
	    itest_now() - t0);
	return 1;
}

START_TEST(lite_in_text_browsers)
{
	static const char *const browsers[] = { "w3m", "lynx" };
	struct server s;
	char url[128], out[16384];
	const char *sa, *sb;
	size_t i;

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(sa = cl_login(s.port, "name=ann", NULL));
	ck_assert_ptr_nonnull(sb = cl_login(s.port, "name=bob", NULL));
	ck_assert_int_eq(cl_say(s.port, sb, "hello%20terminal%20people"), 200);
	ck_assert_int_eq(cl_say(s.port, sb, "the%20newest%20line"), 200);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/lite?sid=%s", s.port,
	    sa);
	for (i = 0; i < sizeof browsers / sizeof browsers[0]; i++) {
		if (!text_browser(browsers[i], url, out, sizeof out))
			continue;
		ck_assert_msg(strstr(out, "hello terminal people") != NULL &&
		    strstr(out, "the newest line") != NULL, "%s: %s",
		    browsers[i], out);
		ck_assert_msg(strstr(out, "hello terminal people") <
		    strstr(out, "the newest line"), "%s", browsers[i]);
		ck_assert_msg(strstr(out, "bob") != NULL, "%s", browsers[i]);
		ck_assert_msg(strstr(out, "Refresh") != NULL, "%s", browsers[i]);
	}
	/* The frameset's noframes part leads there. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/room?sid=%s", s.port,
	    sa);
	if (text_browser("w3m", url, out, sizeof out))
		ck_assert_msg(strstr(out, "chat on one page") != NULL, "%s",
		    out);
	srv_stop_clean(&s);
}
END_TEST

/* Room random: the queue, anonymity, no way in from outside, the talk frame. */
START_TEST(random_rules)
{
	struct server s;
	struct stream a, b, c, o;
	struct reply r;
	const char *sa, *sb, *sc, *so;
	char target[160];

	srv_start(&s, NULL);
	/* ann waits, then closes her frame: she is out of the queue. */
	ck_assert_ptr_nonnull(sa = cl_login(s.port, "name=ann&room=random",
	    NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	ck_assert(stream_wait(&a, "joined random", 2000));
	get_sid(s.port, "/talk", sa, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "class=\"state waiting\""));
	reply_free(&r);
	stream_close(&a);
	poll(NULL, 0, 200);
	ck_assert_ptr_nonnull(sb = cl_login(s.port, "name=bob&room=random",
	    NULL));
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	ck_assert(stream_wait(&b, "joined random</div>", 2000));
	get_sid(s.port, "/talk", sb, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "class=\"state waiting\""));
	reply_free(&r);
	/* cal comes: bob and cal are a pair of strangers. */
	ck_assert_ptr_nonnull(sc = cl_login(s.port, "name=cal&room=random",
	    NULL));
	ck_assert_int_eq(stream_open(&c, s.port, sc, NULL), 200);
	ck_assert(stream_wait(&b, "A stranger is here", 2000));
	ck_assert_int_eq(cl_say(s.port, sc, "hi%20there"), 200);
	ck_assert(stream_wait(&b, "<bdi>stranger</bdi></span><span class=\"sep"
	    "\">:</span> <bdi class=\"tx\">hi there", 2000));
	ck_assert_int_eq(stream_count(&b, ">cal<"), 0);
	ck_assert_int_eq(stream_count(&b, "<span class=\"nick\"><bdi>stranger"
	    "</bdi></span><span class=\"sep\">"), 1);
	/* A new name or colour shows nothing either. */
	ck_assert_int_eq(cl_say(s.port, sc, "%2Fnick%20calvin"), 200);
	ck_assert_int_eq(cl_say(s.port, sc, "%2Fcolor%20red"), 200);
	ck_assert_int_eq(cl_say(s.port, sc, "after"), 200);
	ck_assert(stream_wait(&b, "<bdi class=\"tx\">after", 2000));
	ck_assert_int_eq(stream_count(&b, "calvin"), 0);
	ck_assert_int_eq(stream_count(&b, "class=\"ev nick"), 0);
	ck_assert_int_eq(stream_count(&b, "class=\"ev color"), 0);
	ck_assert_int_eq(cl_say(s.port, sb, "%2Fwho"), 200);
	ck_assert(stream_wait(&b, "stranger", 2000));
	ck_assert(stream_wait(&b, "bob stranger</bdi>", 2000) ||
	    stream_count(&b, "stranger bob</bdi>") == 1);
	ck_assert_int_eq(stream_count(&b, ">cal<"), 0);
	get_sid(s.port, "/talk", sb, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "class=\"state paired\""));
	ck_assert_ptr_nonnull(strstr(r.body, "Next stranger</button>"));
	ck_assert_ptr_null(strstr(r.body, ">cal<"));
	reply_free(&r);
	get_sid(s.port, "/lite", sb, &r);
	ck_assert_ptr_null(strstr(r.body, ">cal<"));
	reply_free(&r);
	/* From outside, the pair's names do not exist. */
	ck_assert_ptr_nonnull(so = cl_login(s.port, "name=out", NULL));
	ck_assert_int_eq(stream_open(&o, s.port, so, NULL), 200);
	ck_assert_int_eq(cl_say(s.port, so, "%2Fmsg%20calvin%20psst"), 200);
	ck_assert(stream_wait(&o, "Nobody called calvin is here.", 2000));
	ck_assert_int_eq(cl_say(s.port, so, "%2Fwhois%20bob"), 200);
	ck_assert(stream_wait(&o, "Nobody called bob is here.", 2000));
	ck_assert_int_eq(stream_count(&c, "psst"), 0);
	/* cal leaves: bob is told, and offered the next stranger. */
	snprintf(target, sizeof target, "/leave?sid=%s", sc);
	cl_get(s.port, target, &r);
	reply_free(&r);
	ck_assert(stream_wait(&b, "The stranger left.", 2000));
	get_sid(s.port, "/talk", sb, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "class=\"state ended\""));
	ck_assert_ptr_nonnull(strstr(r.body, "value=\"/join random\""));
	reply_free(&r);
	stream_close(&b);
	stream_close(&c);
	stream_close(&o);
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
	tcase_add_test(tc, lite_shows_and_posts);
	tcase_add_test(tc, lite_holds_the_session);
	tcase_add_test(tc, lite_in_text_browsers);
	tcase_add_test(tc, random_rules);
	suite_add_tcase(s, tc);
	return s;
}
