/* itest_core.c: the forever frame end to end: login, stream, history, keepalive, leave, limits. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "suites.h"

/*
 * The number of the event whose fragment holds text, read from the
 * stream (numbers are server-wide and start from the clock); 0 if none.
 */
static unsigned long long
event_id(const struct stream *st, const char *text)
{
	const char *hit, *p;

	if (st->data == NULL || (hit = strstr(st->data, text)) == NULL)
		return 0;
	for (p = hit; p > st->data; p--)
		if (strncmp(p, " id=\"e", 6) == 0)
			return strtoull(p + 6, NULL, 10);
	return 0;
}

START_TEST(two_users_talk)
{
	struct server s;
	struct stream a, b;
	const char *sa, *sb;

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(sa = cl_login(s.port, "name=alice", NULL));
	ck_assert_ptr_nonnull(sb = cl_login(s.port, "name=bob", NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	ck_assert(stream_wait(&b, "bob</bdi></span> joined lobby", 2000));
	ck_assert_int_eq(cl_say(s.port, sa, "hello+%3Cb%3Ethere%3C%2Fb%3E"), 200);
	/* Escaped, inside <bdi>, in both streams: the sender's own too. */
	ck_assert(stream_wait(&b, "<bdi class=\"tx\">hello &lt;b&gt;there"
	    "&lt;/b&gt;</bdi>", 2000));
	ck_assert(stream_wait(&a, "hello &lt;b&gt;there", 2000));
	ck_assert_int_eq(stream_count(&b, "<b>there"), 0);
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(stream_starts_with_a_kilobyte)
{
	struct server s;
	struct stream a;
	const char *sid, *body, *first;

	srv_start(&s, NULL);
	sid = cl_login(s.port, "name=carol", NULL);
	ck_assert_int_eq(stream_open(&a, s.port, sid, NULL), 200);
	ck_assert(stream_wait(&a, " id=\"e", 2000));
	body = strstr(a.data, "\r\n\r\n") + 4;
	first = strstr(a.data, "<div class=\"ev");
	ck_assert_int_ge(first - body, 1024);
	ck_assert_ptr_null(strstr(a.data, "Content-Length"));
	ck_assert_ptr_nonnull(strstr(a.data, "Cache-Control: no-store"));
	ck_assert_ptr_nonnull(strstr(a.data, "Connection: close"));
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(history_replay_honours_H)
{
	struct server s;
	struct stream b;
	const char *sa, *sb;

	srv_start(&s, "-H", "2", NULL);
	sa = cl_login(s.port, "name=dora", NULL);
	ck_assert_int_eq(cl_say(s.port, sa, "one"), 200);
	ck_assert_int_eq(cl_say(s.port, sa, "two"), 200);
	ck_assert_int_eq(cl_say(s.port, sa, "three"), 200);
	sb = cl_login(s.port, "name=eve", NULL);
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	/* The last two events are "three" and eve's join. */
	ck_assert(stream_wait(&b, "eve</bdi></span> joined", 2000));
	ck_assert(stream_wait(&b, ">three<", 100));
	ck_assert_int_eq(stream_count(&b, ">two<"), 0);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(since_resumes_without_loss_or_repeat)
{
	struct server s;
	struct stream a, b;
	struct stream first;
	const char *sa;
	char since[32], id[32];
	unsigned long long join, m2, m3;

	srv_start(&s, NULL);
	sa = cl_login(s.port, "name=fred", NULL);
	ck_assert_int_eq(cl_say(s.port, sa, "m2"), 200);
	ck_assert_int_eq(cl_say(s.port, sa, "m3"), 200);
	ck_assert_int_eq(stream_open(&first, s.port, sa, NULL), 200);
	ck_assert(stream_wait(&first, ">m3<", 2000));
	join = event_id(&first, "fred</bdi></span> joined");
	m2 = event_id(&first, ">m2<");
	m3 = event_id(&first, ">m3<");
	ck_assert(join > 0 && join < m2 && m2 < m3);
	snprintf(since, sizeof since, "%llu", m2);
	ck_assert_int_eq(stream_open(&a, s.port, sa, since), 200);
	snprintf(id, sizeof id, " id=\"e%llu\"", m3);
	ck_assert(stream_wait(&a, id, 2000));
	snprintf(id, sizeof id, " id=\"e%llu\"", m2);
	ck_assert_int_eq(stream_count(&a, id), 0);
	snprintf(id, sizeof id, " id=\"e%llu\"", join);
	ck_assert_int_eq(stream_count(&a, id), 0);
	stream_close(&a);
	stream_close(&first);
	/* A since ahead of the room, or not a number, is ignored. */
	ck_assert_int_eq(stream_open(&b, s.port, sa, "9007199254740991"), 200);
	ck_assert(stream_wait(&b, id, 2000));
	ck_assert(stream_wait(&b, ">m3<", 2000));
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Numbers never repeat across a restart, stay below 2^53 (exact in
 * JavaScript), and a since= from before the restart skips nothing.
 */
START_TEST(numbers_survive_a_restart)
{
	struct server s;
	struct stream a, b;
	const char *sa;
	char since[32];
	unsigned long long before, after;

	srv_start(&s, NULL);
	sa = cl_login(s.port, "name=olga", NULL);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	ck_assert(stream_wait(&a, "olga</bdi></span> joined", 2000));
	before = event_id(&a, "olga</bdi></span> joined");
	ck_assert(before > 1000000000000000ULL);	/* from the clock */
	ck_assert(before < (1ULL << 53));
	stream_close(&a);
	srv_stop_clean(&s);

	srv_start(&s, NULL);
	sa = cl_login(s.port, "name=olga", NULL);
	snprintf(since, sizeof since, "%llu", before);
	ck_assert_int_eq(stream_open(&b, s.port, sa, since), 200);
	ck_assert(stream_wait(&b, "olga</bdi></span> joined", 2000));
	after = event_id(&b, "olga</bdi></span> joined");
	ck_assert(after > before);
	ck_assert(stream_wait(&b, "Earlier events were missed", 100));
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(since_older_than_history_says_so)
{
	struct server s;
	struct stream a;
	const char *sa;
	char msg[32];
	int i;

	/* The room keeps at least 200 events; post past that. */
	srv_start(&s, "-H", "5", NULL);
	for (i = 0; i < 41; i++) {
		snprintf(msg, sizeof msg, "name=u%02d", i);
		sa = cl_login(s.port, msg, NULL);
		ck_assert_ptr_nonnull(sa);
		ck_assert_int_eq(cl_say(s.port, sa, "a"), 200);
		ck_assert_int_eq(cl_say(s.port, sa, "b"), 200);
		ck_assert_int_eq(cl_say(s.port, sa, "c"), 200);
		ck_assert_int_eq(cl_say(s.port, sa, "d"), 200);
	}
	ck_assert_int_eq(stream_open(&a, s.port, sa, "1"), 200);
	ck_assert(stream_wait(&a, "Earlier events were missed", 2000));
	/* 205 events, 200 kept: u00's join and first lines are gone. */
	ck_assert(stream_wait(&a, "u40</bdi></span> joined", 2000));
	ck_assert_int_eq(stream_count(&a, "u00</bdi></span> joined"), 0);
	ck_assert_int_eq(stream_count(&a, "u01</bdi></span> joined"), 1);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(keepalive_on_idle_stream)
{
	struct server s;
	struct stream a;
	const char *sid;

	srv_start(&s, "-k", "1", NULL);
	sid = cl_login(s.port, "name=gina", NULL);
	ck_assert_int_eq(stream_open(&a, s.port, sid, NULL), 200);
	ck_assert(stream_wait(&a, "<!-- keepalive -->", 2500));
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(leave_ends_session)
{
	struct server s;
	struct stream a, b;
	struct reply r;
	const char *sa, *sb;
	char target[128];

	srv_start(&s, NULL);
	sa = cl_login(s.port, "name=hank", NULL);
	sb = cl_login(s.port, "name=iris", NULL);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	snprintf(target, sizeof target, "/leave?sid=%s", sa);
	cl_get(s.port, target, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "target=\"_top\""));
	reply_free(&r);
	ck_assert(stream_wait(&a, "Goodbye", 2000));
	ck_assert(stream_wait_eof(&a, 2000));
	ck_assert(stream_wait(&b, "hank</bdi></span> left lobby", 2000));
	snprintf(target, sizeof target, "/talk?sid=%s", sa);
	cl_get(s.port, target, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "href=\"/\" target=\"_top\""));
	reply_free(&r);
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(second_stream_replaces_first)
{
	struct server s;
	struct stream a1, a2;
	const char *sa;

	srv_start(&s, NULL);
	sa = cl_login(s.port, "name=jack", NULL);
	ck_assert_int_eq(stream_open(&a1, s.port, sa, NULL), 200);
	ck_assert(stream_wait(&a1, " id=\"e", 2000));
	ck_assert_int_eq(stream_open(&a2, s.port, sa, NULL), 200);
	ck_assert(stream_wait(&a1, "replaced", 2000));
	ck_assert(stream_wait_eof(&a1, 2000));
	ck_assert_int_eq(cl_say(s.port, sa, "still+here"), 200);
	ck_assert(stream_wait(&a2, "still here", 2000));
	stream_close(&a1);
	stream_close(&a2);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(disconnect_then_grace_then_leave)
{
	struct server s;
	struct stream a, b;
	struct reply r;
	const char *sa, *sb;
	char target[128];
	long long t0;

	srv_start(&s, "-g", "1", NULL);
	sa = cl_login(s.port, "name=kate", NULL);
	sb = cl_login(s.port, "name=liam", NULL);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	ck_assert(stream_wait(&a, "liam</bdi></span> joined", 2000));
	t0 = itest_now();
	stream_close(&a);
	ck_assert(stream_wait(&b, "kate</bdi></span> left lobby", 3000));
	ck_assert_int_ge(itest_now() - t0, 900);
	snprintf(target, sizeof target, "/names?sid=%s", sa);
	cl_get(s.port, target, &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(reload_within_grace_keeps_session)
{
	struct server s;
	struct stream a, b;
	const char *sa, *sb;

	srv_start(&s, "-g", "2", NULL);
	sa = cl_login(s.port, "name=mia", NULL);
	sb = cl_login(s.port, "name=noah", NULL);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	stream_close(&a);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	ck_assert(!stream_wait(&b, "mia</bdi></span> left", 3000));
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(slow_reader_is_cut_off)
{
	struct server s;
	struct stream slow, fast;
	const char *sid, *talker;
	char name[32];
	int i, sent = 0;

	srv_start(&s, "-q", "16", NULL);
	sid = cl_login(s.port, "name=slow", NULL);
	ck_assert_int_eq(stream_open(&fast, s.port,
	    cl_login(s.port, "name=fast", NULL), NULL), 200);
	ck_assert_int_eq(stream_open_fd(&slow, cl_connect_small(s.port, 2048),
	    sid, NULL), 200);
	/* 300 '<' become 1200 bytes each: flood until chatd gives up on slow. */
	for (i = 0; i < 150 && !srv_logged(&s, "cut off", 1); i++) {
		snprintf(name, sizeof name, "name=t%03d", i);
		talker = cl_login(s.port, name, NULL);
		while (cl_say(s.port, talker, cl_angles(300)) == 200)
			sent++;
	}
	ck_assert_msg(srv_logged(&s, "cut off", 2000), "slow reader kept");
	/* The fast reader still gets everything, to the last line. */
	ck_assert_int_eq(cl_say(s.port, cl_login(s.port, "name=last", NULL),
	    "the+end"), 200);
	ck_assert(stream_wait(&fast, "the end", 3000));
	ck_assert_int_ge(stream_count(&fast, "&lt;&lt;&lt;&lt;"), sent / 2);
	ck_assert(stream_wait_eof(&slow, 5000) || slow.len > 0);
	stream_close(&slow);
	stream_close(&fast);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(history_larger_than_queue_is_trimmed)
{
	struct server s;
	struct stream a;
	const char *talker;
	char name[32];
	int i, j;

	srv_start(&s, "-q", "16", NULL);
	/* 20 lines of 1.2 KiB: more history than a 16 KiB queue holds. */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "name=h%d", i);
		talker = cl_login(s.port, name, NULL);
		for (j = 0; j < 5; j++)
			ck_assert_int_eq(cl_say(s.port, talker, cl_angles(300)),
			    200);
	}
	ck_assert_int_eq(cl_say(s.port, talker, "newest"), 429);
	ck_assert_int_eq(stream_open(&a, s.port, cl_login(s.port, "name=late",
	    NULL), NULL), 200);
	ck_assert(stream_wait(&a, "Earlier events were missed", 2000));
	ck_assert(stream_wait(&a, "late</bdi></span> joined", 2000));
	ck_assert(!stream_wait_eof(&a, 300));
	ck_assert(!srv_logged(&s, "cut off", 1));
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/* Which input each login error must follow, before the next input. */
static const struct {
	const char	*form;
	int		 status;
	const char	*field;
	const char	*next;
} login_errors[] = {
	{ "name=x", 400, "id=\"name\"", "id=\"passwd\"" },
	{ "name=ok1&color=nope", 400, "id=\"color\"", "id=\"room\"" },
	{ "name=ok2&room=a+b", 400, "id=\"room\"", "</form>" },
};

START_TEST(login_errors_sit_by_their_field)
{
	struct server s;
	struct reply r;
	const char *field, *error, *next;
	size_t i;

	srv_start(&s, NULL);
	for (i = 0; i < sizeof login_errors / sizeof login_errors[0]; i++) {
		cl_post(s.port, "/login", login_errors[i].form, &r);
		ck_assert_int_eq(r.status, login_errors[i].status);
		field = strstr(r.body, login_errors[i].field);
		ck_assert_ptr_nonnull(field);
		error = strstr(field, "class=\"error\"");
		next = strstr(field, login_errors[i].next);
		ck_assert_msg(error != NULL && next != NULL && error < next,
		    "%s: error not by its field", login_errors[i].form);
		reply_free(&r);
	}
	srv_stop_clean(&s);
}
END_TEST

START_TEST(head_chat_opens_no_stream)
{
	struct server s;
	struct reply r;
	char req[256];
	const char *sid;

	srv_start(&s, NULL);
	sid = cl_login(s.port, "name=olga", NULL);
	snprintf(req, sizeof req, "HEAD /chat?sid=%s HTTP/1.0\r\n\r\n", sid);
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, 0);
	reply_free(&r);
	snprintf(req, sizeof req, "HEAD /dotalk?sid=%s&message=x HTTP/1.0\r\n"
	    "\r\n", sid);
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Length: "));
	ck_assert_uint_eq(r.body_len, 0);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/* One table of bad requests and the status each must get. */
static const struct {
	const char	*request;
	int		 status;
} bad_requests[] = {
	{ "GET /nowhere HTTP/1.0\r\n\r\n", 404 },
	{ "DELETE / HTTP/1.0\r\n\r\n", 501 },
	{ "GET / HTTP/2.0\r\n\r\n", 505 },
	{ "GET /talk?sid=%zz HTTP/1.0\r\n\r\n", 400 },
	{ "garbage\r\n\r\n", 400 },
	{ "GET /talk?sid=0123456789abcdef0123456789abcdef HTTP/1.0\r\n\r\n", 403 },
	{ "GET /talk HTTP/1.0\r\n\r\n", 403 },
	{ "POST /dotalk HTTP/1.0\r\n\r\n", 411 },
	{ "POST /dotalk HTTP/1.0\r\nContent-Length: 9000\r\n\r\n", 413 },
	{ "GET / HTTP/1.0\nHost: bare-lf\n\n", 200 },
};

START_TEST(bad_requests_get_clear_errors)
{
	struct server s;
	struct reply r;
	size_t i;

	srv_start(&s, NULL);
	for (i = 0; i < sizeof bad_requests / sizeof bad_requests[0]; i++) {
		cl_raw(s.port, bad_requests[i].request,
		    strlen(bad_requests[i].request), &r);
		ck_assert_msg(r.status == bad_requests[i].status,
		    "%s: got %d", bad_requests[i].request, r.status);
		ck_assert_ptr_nonnull(strstr(r.head, "charset=utf-8"));
		ck_assert_ptr_nonnull(strstr(r.body, "<html"));
		reply_free(&r);
	}
	srv_stop_clean(&s);
}
END_TEST

START_TEST(huge_head_gets_431)
{
	struct server s;
	struct reply r;
	char *req = malloc(10000);

	srv_start(&s, NULL);
	memset(req, 'a', 9999);
	memcpy(req, "GET / HTTP/1.0\r\nX-Big: ", 23);
	req[9999] = '\0';
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 431);
	reply_free(&r);
	free(req);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(security_headers_everywhere)
{
	static const char *const headers[] = {
		"X-Content-Type-Options: nosniff", "Referrer-Policy: same-origin",
		"X-Frame-Options: SAMEORIGIN", "frame-ancestors 'self'",
		"script-src 'self'", "Connection: close",
	};
	struct server s;
	struct reply r;
	size_t i;

	srv_start(&s, NULL);
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	for (i = 0; i < sizeof headers / sizeof headers[0]; i++)
		ck_assert_msg(strstr(r.head, headers[i]) != NULL, "%s", headers[i]);
	ck_assert_ptr_null(strstr(r.head, "unsafe-eval"));
	ck_assert_ptr_null(strstr(r.head, "Set-Cookie"));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(slow_head_is_closed)
{
	struct server s;
	struct stream idle;
	struct reply r;
	long long t0;

	srv_start(&s, NULL);
	memset(&idle, 0, sizeof idle);
	idle.fd = cl_connect(s.port);
	ck_assert(write(idle.fd, "GET / HTTP/1.0\r\n", 16) == 16);
	t0 = itest_now();
	/* Others are served meanwhile. */
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert(stream_wait_eof(&idle, 12000));
	ck_assert_int_ge(itest_now() - t0, 9000);
	stream_close(&idle);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(full_server_answers_503)
{
	struct server s;
	struct reply r;
	int held[3], i;

	srv_start(&s, "-c", "3", NULL);
	/* Answered and lingering: nobody is reading a request to drop. */
	for (i = 0; i < 3; i++) {
		held[i] = cl_connect(s.port);
		ck_assert(write(held[i], "GET / HTTP/1.0\r\n\r\n", 18) == 18);
	}
	poll(NULL, 0, 100);
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 503);
	reply_free(&r);
	for (i = 0; i < 3; i++)
		close(held[i]);
	poll(NULL, 0, 100);
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(shutdown_tells_every_stream)
{
	struct server s;
	struct stream a;
	const char *sa;
	int status;

	srv_start(&s, NULL);
	sa = cl_login(s.port, "name=pete", NULL);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	status = srv_stop(&s);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(stream_wait(&a, "shutting down", 2000));
	ck_assert(stream_wait_eof(&a, 2000));
	stream_close(&a);
}
END_TEST

Suite *
itest_core_suite(void)
{
	Suite *s = suite_create("itest_core");
	TCase *tc = tcase_create("stream");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, two_users_talk);
	tcase_add_test(tc, stream_starts_with_a_kilobyte);
	tcase_add_test(tc, history_replay_honours_H);
	tcase_add_test(tc, since_resumes_without_loss_or_repeat);
	tcase_add_test(tc, since_older_than_history_says_so);
	tcase_add_test(tc, numbers_survive_a_restart);
	tcase_add_test(tc, keepalive_on_idle_stream);
	tcase_add_test(tc, leave_ends_session);
	tcase_add_test(tc, second_stream_replaces_first);
	tcase_add_test(tc, disconnect_then_grace_then_leave);
	tcase_add_test(tc, reload_within_grace_keeps_session);
	tcase_add_test(tc, slow_reader_is_cut_off);
	tcase_add_test(tc, history_larger_than_queue_is_trimmed);
	tcase_add_test(tc, login_errors_sit_by_their_field);
	tcase_add_test(tc, head_chat_opens_no_stream);
	tcase_add_test(tc, bad_requests_get_clear_errors);
	tcase_add_test(tc, huge_head_gets_431);
	tcase_add_test(tc, security_headers_everywhere);
	tcase_add_test(tc, slow_head_is_closed);
	tcase_add_test(tc, full_server_answers_503);
	tcase_add_test(tc, shutdown_tells_every_stream);
	suite_add_tcase(s, tc);
	return s;
}
