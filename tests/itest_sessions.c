/* itest_sessions.c: every way a session ends, at every line count around the -l budget. */
#include <sys/wait.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"
#include "suites.h"

#define WAIT_MS		2000	/* ms for a line that must come */
#define SID_BYTES	33
#define BUDGET		10	/* -l: the smallest chatd takes */
#define BUDGET_ARG	"10"

/* The ways a session can end, each swept across the line budget. */
enum way {
	WAY_LEAVE,		/* GET /leave */
	WAY_QUIT,		/* /quit with a reason */
	WAY_SECOND_CHAT,	/* a second /chat replaces the stream */
	WAY_TAKEOVER,		/* the registered owner logs in again */
	WAY_KICK,		/* an operator kicks */
	WAY_NAME_CLAIMED,	/* a guest's name is registered and logged in */
	WAY_GRACE,		/* the chat frame closes, the grace runs out */
	WAY_SHUTDOWN,		/* SIGTERM */
	WAY_COUNT
};

static const char *const way_names[] = {
	"leave", "quit", "second chat", "takeover", "kick", "name claimed",
	"grace", "shutdown"
};

/* The line the ended stream shows last (NULL: the test closed it). */
static const char *const last_line[] = {
	"Goodbye", "Goodbye", "replaced by a newer one", "logged in elsewhere",
	"was kicked by", "registered owner of this name", NULL,
	"shutting down"
};

static void
login(int port, const char *form, char sid[SID_BYTES])
{
	const char *p;
	int status;

	p = cl_login(port, form, &status);
	ck_assert_msg(p != NULL && status == 200, "login %s: status %d", form,
	    status);
	memcpy(sid, p, SID_BYTES);
}

/* Says an (already urlencoded) line and wants 200; a 429 is waited out. */
static void
say(int port, const char *sid, const char *enc)
{
	long long until = itest_now() + 4000;
	int status;

	while ((status = cl_say(port, sid, enc)) == 429 && itest_now() < until)
		poll(NULL, 0, 200);
	ck_assert_msg(status == 200, "\"%s\": status %d", enc, status);
}

static int
post_status(int port, const char *path, const char *body)
{
	struct reply r;
	int status;

	cl_post(port, path, body, &r);
	status = r.status;
	reply_free(&r);
	return status;
}

static int
get_status(int port, const char *target)
{
	struct reply r;
	int status;

	cl_get(port, target, &r);
	status = r.status;
	reply_free(&r);
	return status;
}

/*
 * Bob makes room den, alice and carol join; 12 events in all.  Both
 * chat frames open with `lines` of them replayed (-H), so the way the
 * session ends falls on every count up to the budget and past it.
 */
START_TEST(end_at_every_line_count)
{
	enum way way = (enum way)(_i / (BUDGET + 1));
	int lines = _i % (BUDGET + 1), status, open = lines < BUDGET;
	struct server s;
	struct stream a, a2, b;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES], target[128];
	char hist[16];
	const char *pw = way == WAY_TAKEOVER ? "&passwd=pw" : "";

	snprintf(hist, sizeof hist, "%d", lines);
	srv_start(&s, "-l", BUDGET_ARG, "-H", hist, "-g", "1", NULL);
	if (way == WAY_TAKEOVER)
		ck_assert_int_eq(post_status(s.port, "/register",
		    "name=alice&passwd=pw"), 200);
	login(s.port, "name=bob&room=den", sb);
	snprintf(target, sizeof target, "name=alice&room=den%s", pw);
	login(s.port, target, sa);
	login(s.port, "name=carol&room=den", sc);
	say(s.port, sb, "b1");
	say(s.port, sb, "b2");
	say(s.port, sb, "b3");
	say(s.port, sb, "b4");
	say(s.port, sa, "a1");
	say(s.port, sa, "a2");
	say(s.port, sc, "c1");
	say(s.port, sc, "c2");
	say(s.port, sa, "a3");
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	if (lines > 0)
		ck_assert(stream_wait(&a, ">a3<", WAIT_MS));

	switch (way) {
	case WAY_LEAVE:
		snprintf(target, sizeof target, "/leave?sid=%s", sa);
		ck_assert_int_eq(get_status(s.port, target), 200);
		break;
	case WAY_QUIT:
		say(s.port, sa, "%2Fquit+see+you");
		break;
	case WAY_SECOND_CHAT:
		ck_assert_int_eq(stream_open(&a2, s.port, sa, NULL), 200);
		break;
	case WAY_TAKEOVER:
		login(s.port, "name=alice&passwd=pw&room=den", sa);
		break;
	case WAY_KICK:
		say(s.port, sb, "%2Fkick+alice+enough");
		break;
	case WAY_NAME_CLAIMED:
		ck_assert_int_eq(post_status(s.port, "/register",
		    "name=alice&passwd=pw"), 200);
		login(s.port, "name=alice&passwd=pw&room=den", sa);
		break;
	case WAY_GRACE:
		stream_close(&a);
		/* A stream reloaded at once waits for its reload, not -g. */
		if (open)
			ck_assert(srv_logged(&s, "alice left den (connection "
			    "lost)", 3000));
		break;
	case WAY_SHUTDOWN:
		status = srv_stop(&s);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "%s at %d lines: chatd did not exit 0 (status %d)",
		    way_names[way], lines, status);
		break;
	case WAY_COUNT:
		break;
	}

	/* The stream ended with its line, whatever the count. */
	if (way != WAY_GRACE) {
		if (open)
			ck_assert_msg(stream_wait(&a, last_line[way], WAIT_MS),
			    "%s at %d lines: no \"%s\"", way_names[way], lines,
			    last_line[way]);
		ck_assert_msg(stream_wait_eof(&a, WAIT_MS),
		    "%s at %d lines: the stream stays open", way_names[way],
		    lines);
		stream_close(&a);
	}
	if (way == WAY_SECOND_CHAT)
		stream_close(&a2);
	stream_close(&b);
	if (way == WAY_SHUTDOWN)
		return;
	/* chatd lives on and still answers. */
	ck_assert_msg(get_status(s.port, "/") == 200, "%s at %d lines: chatd "
	    "is gone", way_names[way], lines);
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_sessions_suite(void)
{
	Suite *s = suite_create("itest_sessions");
	TCase *ends = tcase_create("ends");

	tcase_set_timeout(ends, 30);
	tcase_add_loop_test(ends, end_at_every_line_count, 0,
	    WAY_COUNT * (BUDGET + 1));
	suite_add_tcase(s, ends);
	return s;
}
