/* itest_sessions.c: every way a session ends, at every line count around the -l budget. */
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
		/* An ending stream closes; it is not sent off to reload. */
		if (open)
			ck_assert_msg(stream_count(&a, "http-equiv") == 0,
			    "%s at %d lines: told to reload", way_names[way],
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

/* Percent-encodes all but ASCII letters and digits (rotating buffers). */
static const char *
enc(const char *text)
{
	static char bufs[4][4096];
	static int next;
	char *out = bufs[next++ % 4], *p = out;
	unsigned char c;

	for (; *text != '\0' && p < out + sizeof bufs[0] - 4; text++) {
		c = (unsigned char)*text;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return out;
}

/* chatd's stderr so far (static storage). */
static const char *
stderr_of(const struct server *s)
{
	static char data[1 << 20];
	size_t n = 0;
	FILE *f;

	data[0] = '\0';
	if ((f = fopen(s->errpath, "r")) != NULL) {
		n = fread(data, 1, sizeof data - 1, f);
		fclose(f);
	}
	data[n] = '\0';
	return data;
}

/* The fragment of the stream that starts with `start`, up to its </div>. */
static char *
fragment(const struct stream *st, const char *start)
{
	const char *p = strstr(st->data, start), *end;
	char *out;

	if (p == NULL || (end = strstr(p, "</div>")) == NULL)
		return NULL;
	out = strndup(p, (size_t)(end - p));
	ck_assert_ptr_nonnull(out);
	return out;
}

/*
 * A newline in a /quit reason forges nothing: the log line stays one
 * line with the newline escaped, and the leave event is one line with
 * the reason inside <bdi>.
 */
START_TEST(quit_reason_forges_no_log_line)
{
	struct server s;
	struct stream b;
	char sa[SID_BYTES], sb[SID_BYTES], msg[256];
	char *frag;

	srv_start(&s, NULL);
	login(s.port, "name=alice", sa);
	login(s.port, "name=bob", sb);
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	snprintf(msg, sizeof msg, "%s", enc("/quit bye\n127.0.0.1 - - "
	    "[01/Jan/2026:00:00:00 +0000] \"GET /FORGED HTTP/1.0\" 200 1\n"
	    "chatd: FORGED \xe2\x80\xae" "evil"));
	say(s.port, sa, msg);
	ck_assert(stream_wait(&b, "left lobby", WAIT_MS));
	ck_assert(srv_logged(&s, "alice left lobby (bye\\n127.0.0.1 - - [01/Jan"
	    "/2026:00:00:00 +0000] \"GET /FORGED HTTP/1.0\" 200 1\\nchatd: "
	    "FORGED \\u202eevil)", WAIT_MS));
	ck_assert_ptr_null(strstr(stderr_of(&s), "\n127.0.0.1 - - [01/Jan"));
	ck_assert_ptr_null(strstr(stderr_of(&s), "\nchatd: FORGED"));
	ck_assert_ptr_null(strstr(stderr_of(&s), "\xe2\x80\xae"));
	frag = fragment(&b, "<div class=\"ev leave\"");
	ck_assert_ptr_nonnull(frag);
	ck_assert_msg(strchr(frag, '\n') == NULL, "leave spans lines: %s", frag);
	ck_assert_ptr_nonnull(strstr(frag, "left lobby (<bdi class=\"tx\">bye"
	    "<br>127.0.0.1"));
	ck_assert_ptr_nonnull(strstr(frag, "evil</bdi>)"));
	free(frag);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

/* Whisper targets that are not names come back nowhere, raw or otherwise. */
static const char *const bad_targets[] = {
	"bo\xff\xfe",		/* not UTF-8 */
	"bo\rb",		/* CR */
	"\x1b[2Jbob",		/* ESC: clears a terminal */
	"bo\xc2\x9b\x33\x31mb",	/* C1: CSI, then "31mb" */
	"b\xc2\x85ob",		/* C1: NEL */
	"bob\xe2\x80\xae",	/* a bidi override */
	"bob\ntext",
};

START_TEST(whisper_target_is_never_echoed_raw)
{
	const char *to = bad_targets[_i], *page;
	struct server s;
	struct stream a;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], body[512];

	srv_start(&s, NULL);
	login(s.port, "name=alice", sa);
	login(s.port, "name=bob", sb);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	snprintf(body, sizeof body, "sid=%s&message=hi&to=%s", sa, enc(to));
	cl_post(s.port, "/dotalk", body, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Nobody by that name is here."));
	ck_assert_ptr_null(strstr(r.body, to));
	ck_assert_ptr_null(strstr(r.body, "\x1b"));
	ck_assert_ptr_null(strstr(r.body, "\xc2\x9b"));
	ck_assert_ptr_null(strstr(r.body, "\xff"));
	reply_free(&r);
	/* The same through /msg, whose text is checked first. */
	snprintf(body, sizeof body, "/msg %s hi", to);
	cl_say(s.port, sa, enc(body));
	ck_assert(stream_wait(&a, "Nobody by that name is here.", WAIT_MS));
	ck_assert_ptr_nonnull(page = strstr(a.data, "\r\n\r\n"));
	page += 4;
	ck_assert_ptr_null(strstr(page, to));
	ck_assert_ptr_null(strstr(page, "\x1b"));
	ck_assert_ptr_null(strstr(page, "\r"));
	ck_assert_ptr_null(strstr(page, "\xff"));
	ck_assert_ptr_null(strstr(page, "\xc2\x9b"));
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/* Logging in again to the same room in other letters moves nobody. */
START_TEST(takeover_in_other_case_is_invisible)
{
	struct server s;
	struct stream b, a;
	char sa[SID_BYTES], sb[SID_BYTES];

	srv_start(&s, NULL);
	ck_assert_int_eq(post_status(s.port, "/register",
	    "name=alice&passwd=pw"), 200);
	login(s.port, "name=bob&room=den", sb);
	login(s.port, "name=alice&passwd=pw&room=den", sa);
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	login(s.port, "name=alice&passwd=pw&room=DEN", sa);
	ck_assert(stream_wait(&a, "logged in elsewhere", WAIT_MS));
	say(s.port, sb, "sync");
	ck_assert(stream_wait(&b, ">sync<", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "left den"), 0);
	ck_assert_int_eq(stream_count(&b, "alice</bdi></span> joined"), 1);
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

/* /whois tells when the user logged in, and how long ago. */
START_TEST(whois_shows_login_time)
{
	struct server s;
	struct stream a;
	char sa[SID_BYTES], sb[SID_BYTES], when[2][64], line[128];
	time_t t = time(NULL);
	int i;

	for (i = 0; i < 2; i++, t += 60)
		strftime(when[i], sizeof when[i], "%Y-%m-%d %H:%M UTC",
		    gmtime(&t));
	srv_start(&s, NULL);
	login(s.port, "name=alice", sa);
	login(s.port, "name=bob", sb);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	poll(NULL, 0, 1100);
	say(s.port, sa, "%2Fwhois+bob");
	ck_assert(stream_wait(&a, "bob: guest in lobby, idle 0m01s, logged in ",
	    WAIT_MS));
	snprintf(line, sizeof line, "logged in %s (0m01s ago)", when[0]);
	if (!stream_wait(&a, line, 100))
		snprintf(line, sizeof line, "logged in %s (0m01s ago)", when[1]);
	ck_assert_msg(stream_wait(&a, line, 100), "no \"%s\"", line);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/* A year of minutes is a ban that holds; more is refused, however long. */
START_TEST(long_bans_hold)
{
	struct server s;
	struct stream a;
	char sa[SID_BYTES], sb[SID_BYTES];
	int status;

	srv_start(&s, NULL);
	login(s.port, "name=alice&room=den", sa);
	login(s.port, "name=bob&room=den", sb);
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	say(s.port, sa, enc("/ban bob 525601"));
	ck_assert(stream_wait(&a, "1 to 525600 minutes", WAIT_MS));
	say(s.port, sa, enc("/ban bob 99999999999999999999999"));
	ck_assert(stream_wait(&a, "bob is banned", 300) == 0);
	say(s.port, sa, enc("/ban bob 525600"));
	ck_assert(stream_wait(&a, "bob is banned from den for 525600 minutes",
	    WAIT_MS));
	cl_login(s.port, "name=bob&room=den", &status);
	ck_assert_int_eq(status, 403);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Rooms stop at 1000 (the lobby counts): one more is refused clearly, at
 * login and at /join, and existing rooms stay open.
 */
/* Makes a room that stays while empty: one a backend published into. */
static void
publish_room(int port, int i)
{
	char req[256], body[64];
	struct reply r;

	snprintf(body, sizeof body, "room=r%d&text=hi", i);
	snprintf(req, sizeof req, "POST /api/publish HTTP/1.0\r\n"
	    "Authorization: Bearer captoken\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n"
	    "%s", strlen(body), body);
	cl_raw(port, req, strlen(req), &r);
	ck_assert_msg(r.status == 200, "publish to r%d: %d", i, r.status);
	reply_free(&r);
}

/*
 * 1000 rooms: the lobby, 998 a backend made, and one a user made.  Rooms
 * from publishes keep the session count low enough for any loop backend
 * (select()'s session cap is under 1000).
 */
START_TEST(room_cap)
{
	struct server s;
	struct stream a;
	struct reply r;
	char dir[] = "/tmp/chatd-cap.XXXXXX", tokens[64], first[SID_BYTES];
	int i, fd, status;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(tokens, sizeof tokens, "%s/tokens", dir);
	ck_assert((fd = open(tokens, O_WRONLY | O_CREAT, 0600)) >= 0);
	ck_assert(write(fd, "captoken\n", 9) == 9);
	close(fd);
	srv_start(&s, "-T", tokens, NULL);
	for (i = 1; i < 999; i++)
		publish_room(s.port, i);
	login(s.port, "name=first&room=r999", first);
	cl_post(s.port, "/login", "name=late&room=one-more", &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_nonnull(strstr(r.body, "no more rooms"));
	reply_free(&r);
	cl_login(s.port, "name=late&room=r7", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(stream_open(&a, s.port, first, NULL), 200);
	say(s.port, first, enc("/join one-more"));
	ck_assert(stream_wait(&a, "There are 1000 rooms already", WAIT_MS));
	say(s.port, first, enc("/join r2"));
	ck_assert(stream_wait(&a, "Now in r2.", WAIT_MS));
	/* r999 emptied and went: there is room for one more. */
	say(s.port, first, enc("/join one-more"));
	ck_assert(stream_wait(&a, "Now in one-more.", WAIT_MS));
	stream_close(&a);
	srv_stop_clean(&s);
	unlink(tokens);
	rmdir(dir);
}
END_TEST

Suite *
itest_sessions_suite(void)
{
	Suite *s = suite_create("itest_sessions");
	TCase *ends = tcase_create("ends");
	TCase *text = tcase_create("text");
	TCase *caps = tcase_create("caps");

	tcase_set_timeout(ends, 30);
	tcase_add_loop_test(ends, end_at_every_line_count, 0,
	    WAY_COUNT * (BUDGET + 1));
	suite_add_tcase(s, ends);

	tcase_set_timeout(text, 30);
	tcase_add_test(text, quit_reason_forges_no_log_line);
	tcase_add_loop_test(text, whisper_target_is_never_echoed_raw, 0,
	    sizeof bad_targets / sizeof bad_targets[0]);
	tcase_add_test(text, takeover_in_other_case_is_invisible);
	tcase_add_test(text, whois_shows_login_time);
	suite_add_tcase(s, text);

	tcase_set_timeout(caps, 60);
	tcase_add_test(caps, long_bans_hold);
	tcase_add_test(caps, room_cap);
	suite_add_tcase(s, caps);
	return s;
}
