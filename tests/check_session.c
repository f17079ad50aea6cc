/* check_session.c: unit tests for sessions, timers, rooms and fan-out, over a fake connection layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "room.h"
#include "session.h"
#include "suites.h"

#define FAKE_CONNS	8

/* What the fake connection layer was given, per connection. */
static struct fake {
	int		 ended;
	int		 nsent;
	struct chunk	*last;
	char		 text[65536];
} fake[FAKE_CONNS];

/* A handle to fake connection fd. */
static struct conn_handle
conn(int fd)
{
	struct conn_handle h;

	h.fd = fd;
	h.gen = 0;
	return h;
}

static int
fake_send(struct conn_handle h, struct chunk *c)
{
	struct fake *f;
	size_t n;

	ck_assert_msg(h.fd >= 0 && h.fd < FAKE_CONNS, "send to conn %d", h.fd);
	f = &fake[h.fd];
	n = strlen(f->text);
	if (f->ended)
		return -1;
	f->nsent++;
	f->last = c;
	if (n + c->len < sizeof f->text) {
		memcpy(f->text + n, c->data, c->len);
		f->text[n + c->len] = '\0';
	}
	return 0;
}

static void
fake_end(struct conn_handle h)
{
	ck_assert_msg(h.fd >= 0 && h.fd < FAKE_CONNS, "end of conn %d", h.fd);
	fake[h.fd].ended++;
}

static const struct stream_io fake_io = { fake_send, fake_end };

static void
setup(void)
{
	memset(fake, 0, sizeof fake);
	log_quiet();
	config_defaults();
	session_init(&fake_io);
	ck_assert_int_eq(room_init(), 0);
}

static void
teardown(void)
{
	session_shutdown();
	room_init();
}

/* Opens an HTML stream on conn and replays the room, as the route does. */
static void
attach(struct session *s, struct conn_handle h, const char *since,
    long long now)
{
	session_attach(s, h, &fmt_html, 0, now);
	if (s->room != NULL)
		room_replay(s, since);
}

/* The loop's timers: sessions first, then rooms. */
static void
sweep(long long now)
{
	session_sweep(now, cmd_expired);
	room_sweep(now);
}

/* Posts an event s causes in its room. */
static int
post(struct session *s, enum event_kind kind, const char *text,
    struct session *to)
{
	struct event_source src;

	session_source(s, &src);
	return room_post(s->room, &src, kind, text, to);
}

/* A session in the lobby with its chat frame on conn. */
static struct session *
user(const char *name, int fd, long long now)
{
	struct session *s = session_new(name, "navy", "127.0.0.1", now);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(room_enter(s, ROOM_DEFAULT, now), 0);
	if (fd >= 0)
		attach(s, conn(fd), NULL, now);
	return s;
}

START_TEST(sid_is_32_hex_and_found)
{
	struct session *s = user("alice", -1, 0);
	size_t i;

	ck_assert_uint_eq(strlen(s->sid), SESSION_SID_LEN);
	for (i = 0; i < SESSION_SID_LEN; i++)
		ck_assert(strchr("0123456789abcdef", s->sid[i]) != NULL);
	ck_assert_ptr_eq(session_find(s->sid), s);
	ck_assert_ptr_eq(session_by_name("ALICE"), s);
	ck_assert_ptr_null(session_find("0123456789abcdef0123456789abcdef"));
	ck_assert_ptr_null(session_find("short"));
	ck_assert_int_eq(session_count(), 1);
}
END_TEST

START_TEST(unopened_session_dropped_after_60s)
{
	struct session *s = user("bob", -1, 1000);
	char sid[SESSION_SID_LEN + 1];

	memcpy(sid, s->sid, sizeof sid);
	sweep(1000 + SESSION_OPEN_TIMEOUT_MS - 1);
	ck_assert_ptr_nonnull(session_find(sid));
	sweep(1000 + SESSION_OPEN_TIMEOUT_MS + SESSION_SWEEP_MS);
	ck_assert_ptr_null(session_find(sid));
}
END_TEST

START_TEST(grace_then_leave)
{
	struct session *a = user("carol", 1, 0), *b = user("dave", 2, 0);
	char sid[SESSION_SID_LEN + 1];

	config.grace = 2;
	memcpy(sid, a->sid, sizeof sid);
	session_stream_lost(a, conn(1), 10000);
	sweep(11999);
	ck_assert_ptr_nonnull(session_find(sid));
	sweep(12000 + SESSION_SWEEP_MS);
	ck_assert_ptr_null(session_find(sid));
	ck_assert_ptr_nonnull(strstr(fake[2].text, "carol</bdi></span> left"));
	(void)b;
}
END_TEST

START_TEST(rate_limit_is_a_token_bucket)
{
	struct session *s = user("erin", -1, 0);
	int i;

	for (i = 0; i < SESSION_BURST; i++)
		ck_assert_int_eq(session_take_token(s, 100), 1);
	ck_assert_int_eq(session_take_token(s, 100), 0);
	ck_assert_int_eq(session_take_token(s, 999), 0);
	ck_assert_int_eq(session_take_token(s, 1100), 1);
	ck_assert_int_eq(session_take_token(s, 1100), 0);
	/* A long pause refills to the burst, no more. */
	for (i = 0; i < SESSION_BURST; i++)
		ck_assert_int_eq(session_take_token(s, 100000), 1);
	ck_assert_int_eq(session_take_token(s, 100000), 0);
}
END_TEST

START_TEST(broadcast_renders_once)
{
	struct session *a = user("fay", 1, 0);

	user("gus", 2, 0);
	user("hal", 3, 0);
	ck_assert_int_eq(post(a, EVENT_MSG, "hi all", NULL), 0);
	ck_assert_ptr_nonnull(fake[1].last);
	ck_assert_ptr_eq(fake[1].last, fake[2].last);
	ck_assert_ptr_eq(fake[2].last, fake[3].last);
	ck_assert_ptr_nonnull(strstr(fake[3].last->data, ">hi all<"));
}
END_TEST

START_TEST(whisper_reaches_two_only)
{
	struct session *a = user("ida", 1, 0), *b = user("jon", 2, 0);

	user("kim", 3, 0);
	ck_assert_int_eq(post(a, EVENT_WHISPER, "secret", b), 0);
	ck_assert_ptr_nonnull(strstr(fake[1].text, "secret"));
	ck_assert_ptr_nonnull(strstr(fake[2].text, "secret"));
	ck_assert_ptr_null(strstr(fake[3].text, "secret"));
}
END_TEST

START_TEST(ignore_filters_and_mentions_mark)
{
	struct session *a = user("lee", 1, 0), *b = user("max", 2, 0);
	struct session *c = user("ned", 3, 0);

	ck_assert_int_eq(session_ignore(c, a->key), 0);
	ck_assert_int_eq(post(a, EVENT_MSG, "hey max", NULL), 0);
	ck_assert_ptr_null(strstr(fake[3].text, "hey max"));
	ck_assert_ptr_nonnull(strstr(fake[2].text, "ev msg mention"));
	ck_assert_ptr_null(strstr(fake[1].text, "mention"));
	session_unignore(c, a->key);
	ck_assert_int_eq(post(a, EVENT_MSG, "again", NULL), 0);
	ck_assert_ptr_nonnull(strstr(fake[3].text, "again"));
	(void)b;
}
END_TEST

START_TEST(second_stream_replaces_first)
{
	struct session *a = user("oda", 1, 0);

	attach(a, conn(2), NULL, 0);
	ck_assert_int_eq(fake[1].ended, 1);
	ck_assert_ptr_nonnull(strstr(fake[1].text, "replaced"));
	ck_assert_int_eq(a->stream.conn.fd, 2);
}
END_TEST

START_TEST(since_replays_after_n)
{
	struct session *a = user("pam", -1, 0);
	struct room *r = a->room;
	unsigned long long join, two, three;
	char since[32], id[3][32];

	post(a, EVENT_MSG, "two", NULL);
	post(a, EVENT_MSG, "three", NULL);
	/* Numbers are server-wide: read them from the room's history. */
	ck_assert_uint_eq(r->count, 3);
	join = r->history[r->first]->id;
	two = r->history[(r->first + 1) % r->keep]->id;
	three = r->history[(r->first + 2) % r->keep]->id;
	ck_assert(join < two && two < three && three == r->seq);
	snprintf(id[0], sizeof id[0], "id=\"e%llu\"", join);
	snprintf(id[1], sizeof id[1], "id=\"e%llu\"", two);
	snprintf(id[2], sizeof id[2], "id=\"e%llu\"", three);
	snprintf(since, sizeof since, "%llu", two);
	attach(a, conn(4), since, 0);
	ck_assert_ptr_nonnull(strstr(fake[4].text, id[2]));
	ck_assert_ptr_null(strstr(fake[4].text, id[1]));
	ck_assert_ptr_null(strstr(fake[4].text, id[0]));
	attach(a, conn(5), "x9", 0);	/* not a number: plain replay */
	ck_assert_ptr_nonnull(strstr(fake[5].text, id[0]));
	ck_assert_ptr_nonnull(strstr(fake[5].text, id[2]));
}
END_TEST

START_TEST(line_budget_reloads_from_last_event)
{
	struct session *a = user("quin", 1, 0);
	int i;

	config.lines = 10;
	attach(a, conn(2), NULL, 0);
	for (i = 0; i < 12 && !fake[2].ended; i++)
		post(a, EVENT_MSG, "line", NULL);
	ck_assert_int_eq(fake[2].ended, 1);
	ck_assert_ptr_nonnull(strstr(fake[2].text, "since="));
	ck_assert_int_eq(a->stream.conn.fd, -1);
	ck_assert_ptr_nonnull(session_find(a->sid));
}
END_TEST

/*
 * Each way a stream can end, at each line count around the budget: the
 * stream ends once, never through a handle it no longer has (the fake
 * fails on conn -1), and the closing line is never swallowed by a reload.
 */
START_TEST(closing_line_at_the_budget_ends_once)
{
	static const char *const last[] = {
		"Goodbye", "replaced", "logged in elsewhere", "shutting down"
	};
	int why = _i / 4, before = 5 + _i % 4, i;
	struct session *a, *b;

	config.lines = 10;
	a = user("wes", 1, 0);
	b = user("xia", 2, 0);
	/* Two joins, then 6 to 9 lines on wes's stream when it ends. */
	for (i = 1; i < before; i++)
		post(b, EVENT_MSG, "line", NULL);
	ck_assert_int_eq(fake[1].ended, 0);
	switch (why) {
	case 0:
		cmd_end(a, SESSION_LEAVE, "bye");
		break;
	case 1:
		attach(a, conn(3), NULL, 0);
		break;
	case 2:
		ck_assert_int_eq(session_renew(a), 0);
		break;
	default:
		session_shutdown();
	}
	ck_assert_int_eq(fake[1].ended, 1);
	ck_assert_ptr_nonnull(strstr(fake[1].text, last[why]));
	ck_assert_ptr_null(strstr(fake[1].text, "since="));
}
END_TEST

/* A lost connection that is no longer the session's stream changes nothing. */
START_TEST(stale_handle_is_ignored)
{
	struct session *a = user("yul", 1, 0);
	struct conn_handle old = conn(1);

	old.gen = 7;
	session_stream_lost(a, old, 0);
	ck_assert_int_eq(a->stream.conn.fd, 1);
	attach(a, conn(2), NULL, 0);
	session_stream_lost(a, conn(1), 0);
	ck_assert_int_eq(a->stream.conn.fd, 2);
	session_stream_lost(a, conn(2), 0);
	ck_assert(!session_streaming(a));
	ck_assert_int_eq(a->deadline, (long long)config.grace * 1000);
}
END_TEST

/*
 * Notices to a session with no open stream wait for the next one: the
 * newest 64, before the replay; numbered events do not wait (the replay
 * has them).
 */
START_TEST(notices_kept_for_the_next_stream)
{
	struct session *a = user("zoe", -1, 0);
	char want[32];
	int i;

	for (i = 1; i <= STREAM_PENDING_MAX + 6; i++)
		session_notice(a, "note %d.", i);
	attach(a, conn(3), NULL, 0);
	ck_assert_ptr_null(strstr(fake[3].text, "note 6."));
	for (i = 7; i <= STREAM_PENDING_MAX + 6; i++) {
		snprintf(want, sizeof want, "note %d.", i);
		ck_assert_ptr_nonnull(strstr(fake[3].text, want));
	}
	ck_assert(strstr(fake[3].text, "note 70.") <
	    strstr(fake[3].text, "joined lobby"));
	/* Delivered once: the next stream starts empty of them. */
	attach(a, conn(4), NULL, 0);
	ck_assert_ptr_null(strstr(fake[4].text, "note 70."));
}
END_TEST

START_TEST(ban_expires)
{
	struct session *a = user("rae", -1, 0);
	struct room *r = a->room;

	ck_assert_int_eq(room_ban(r, "sam", "10.0.0.9", 60000), 0);
	ck_assert_int_eq(room_banned(r, "sam", "127.0.0.1", 59999), 1);
	ck_assert_int_eq(room_banned(r, "other", "10.0.0.9", 59999), 1);
	ck_assert_int_eq(room_banned(r, "other", "127.0.0.1", 59999), 0);
	ck_assert_int_eq(room_banned(r, "sam", "10.0.0.9", 60000), 0);
	sweep(60000 + SESSION_SWEEP_MS);
	ck_assert_ptr_null(r->bans);
}
END_TEST

START_TEST(empty_room_with_a_ban_waits_for_it)
{
	struct session *a = user("tia", -1, 0);

	ck_assert_int_eq(room_enter(session_new("uma", "navy", "127.0.0.1", 0),
	    "den", 0), 0);
	ck_assert_int_eq(room_ban(room_find("den"), "vic", "", 30000), 0);
	cmd_end(session_by_name("uma"), SESSION_LEAVE, NULL);
	ck_assert_ptr_nonnull(room_find("den"));	/* the ban keeps it */
	sweep(30000 + SESSION_SWEEP_MS);
	ck_assert_ptr_null(room_find("den"));
	(void)a;
}
END_TEST

/*
 * ROOM_MAX rooms, the lobby included: one more is refused, an existing
 * one still takes people.  Rooms kept for a ban hold no history.
 */
START_TEST(rooms_stop_at_the_cap)
{
	struct session *a = user("zed", -1, 0);
	char name[16];
	struct room *r;
	int i;

	for (i = 1; i < ROOM_MAX; i++) {
		snprintf(name, sizeof name, "r%d", i);
		room_exit(a, "next", 1);
		ck_assert_int_eq(room_enter(a, name, 0), 0);
		post(a, EVENT_MSG, "kept?", NULL);
		ck_assert_int_eq(room_ban(a->room, "vic", "", 30000), 0);
	}
	ck_assert_int_eq(room_count(), ROOM_MAX);
	room_exit(a, "next", 1);
	r = room_find("r1");
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_null(r->history);
	ck_assert_uint_eq(r->count, 0);
	ck_assert_int_eq(room_enter(a, "one-more", 0), ROOM_FULL);
	ck_assert_ptr_null(room_find("one-more"));
	ck_assert_int_eq(room_enter(a, "r1", 0), 0);
	ck_assert_ptr_nonnull(r->history);
	ck_assert_int_eq(post(a, EVENT_MSG, "back", NULL), 0);
	ck_assert_uint_eq(r->count, 2);		/* the join and "back" */
	/* The bans run out, the empty rooms go: there is room again. */
	sweep(30000 + SESSION_SWEEP_MS);
	ck_assert_int_eq(room_count(), 2);
	room_exit(a, "next", 1);
	ck_assert_int_eq(room_enter(a, "one-more", 0), 0);
}
END_TEST

START_TEST(bans_stop_at_the_cap)
{
	struct session *a = user("ann", -1, 0);
	char key[16];
	int i;

	for (i = 0; i < ROOM_BANS_MAX; i++) {
		snprintf(key, sizeof key, "u%d", i);
		ck_assert_int_eq(room_ban(a->room, key, "", 1000 + i), 0);
	}
	ck_assert_int_eq(room_ban(a->room, "late", "", 5000), ROOM_FULL);
	ck_assert_int_eq(room_banned(a->room, "late", "10.9.9.9", 0), 0);
	/* Banning a name again moves its ban; it takes no new place. */
	ck_assert_int_eq(room_ban(a->room, "u0", "10.0.0.1", 90000), 0);
	ck_assert_int_eq(room_banned(a->room, "u0", "", 80000), 1);
	ck_assert_int_eq(room_banned(a->room, "x", "10.0.0.1", 80000), 1);
	sweep(1000 + SESSION_SWEEP_MS);		/* u0's first went */
	ck_assert_int_eq(room_ban(a->room, "late", "", 5000), 0);
	ck_assert_int_eq(room_banned(a->room, "late", "10.9.9.9", 4999), 1);
}
END_TEST

/*
 * A ban a year long, from a clock that has run for weeks, holds a year:
 * the deadline is computed in long long (a 32-bit long wrapped).
 */
START_TEST(long_ban_does_not_wrap)
{
	struct session *a = user("bea", -1, 0);
	long long now = 3 * 7 * 24 * 3600 * 1000LL;
	long long year = (long long)CMD_BAN_MAX_MIN * 60 * 1000;
	char msg[] = "/ban cy 525600";
	struct buf reply;

	user("cy", -1, 0);
	room_add_op(a->room, a->key);
	buf_init(&reply);
	ck_assert_int_eq(cmd_talk(a, msg, strlen(msg), NULL, now, &reply,
	    NULL, NULL), 200);
	buf_free(&reply);
	ck_assert_ptr_null(session_by_name("cy"));
	ck_assert_int_eq(room_banned(a->room, "cy", "", now + year - 1), 1);
	ck_assert_int_eq(room_banned(a->room, "cy", "", now + year), 0);
}
END_TEST

Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sid_is_32_hex_and_found);
	tcase_add_test(tc, unopened_session_dropped_after_60s);
	tcase_add_test(tc, grace_then_leave);
	tcase_add_test(tc, rate_limit_is_a_token_bucket);
	tcase_add_test(tc, broadcast_renders_once);
	tcase_add_test(tc, whisper_reaches_two_only);
	tcase_add_test(tc, ignore_filters_and_mentions_mark);
	tcase_add_test(tc, second_stream_replaces_first);
	tcase_add_test(tc, since_replays_after_n);
	tcase_add_test(tc, line_budget_reloads_from_last_event);
	tcase_add_loop_test(tc, closing_line_at_the_budget_ends_once, 0, 16);
	tcase_add_test(tc, stale_handle_is_ignored);
	tcase_add_test(tc, notices_kept_for_the_next_stream);
	tcase_add_test(tc, ban_expires);
	tcase_add_test(tc, empty_room_with_a_ban_waits_for_it);
	tcase_add_test(tc, rooms_stop_at_the_cap);
	tcase_add_test(tc, bans_stop_at_the_cap);
	tcase_add_test(tc, long_ban_does_not_wrap);
	suite_add_tcase(s, tc);
	return s;
}
