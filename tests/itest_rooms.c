/* itest_rooms.c: rooms, commands and limits end to end, as users see them. */
#include <sys/wait.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"
#include "suites.h"

#define WAIT_MS		2000	/* ms for a line that must come */
#define SID_BYTES	33

/* Percent-encodes all but ASCII letters and digits (rotating buffers). */
static const char *
enc(const char *text)
{
	static char bufs[4][8192];
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

/* `n` copies of s, in a rotating static buffer. */
static const char *
repeat(const char *s, int n)
{
	static char bufs[2][4096];
	static int next;
	char *out = bufs[next++ % 2];
	int i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(out, s);
	return out;
}

/* Logs in (room NULL: the default) and copies the sid; fails unless 200. */
static void
login(int port, const char *name, const char *room, char sid[SID_BYTES])
{
	char form[1024];
	const char *p;
	int status;

	snprintf(form, sizeof form, "name=%s", enc(name));
	if (room != NULL)
		snprintf(form + strlen(form), sizeof form - strlen(form),
		    "&room=%s", enc(room));
	p = cl_login(port, form, &status);
	ck_assert_msg(p != NULL && status == 200, "login %s: status %d", name,
	    status);
	memcpy(sid, p, SID_BYTES);
}

/* The status a login gets (the session, if any, is left to the server). */
static int
login_status(int port, const char *name, const char *room)
{
	char form[1024];
	int status;

	snprintf(form, sizeof form, "name=%s&room=%s", enc(name),
	    enc(room ? room : "lobby"));
	cl_login(port, form, &status);
	return status;
}

/* Posts plain text (encoded here) to /dotalk, whispered to `to` if given. */
static int
post(int port, const char *sid, const char *text, const char *to,
    struct reply *r)
{
	char body[16384];

	snprintf(body, sizeof body, "sid=%s&message=%s", sid, enc(text));
	if (to != NULL)
		snprintf(body + strlen(body), sizeof body - strlen(body),
		    "&to=%s", enc(to));
	cl_post(port, "/dotalk", body, r);
	return r->status;
}

/*
 * Says text and expects 200.  A 429 is waited out (the rate limit has its
 * own tests), so that a test may send more than a burst from one user.
 */
static void
say(int port, const char *sid, const char *text)
{
	long long until = itest_now() + 4000;
	struct reply r;
	int status;

	for (;;) {
		status = post(port, sid, text, NULL, &r);
		reply_free(&r);
		if (status != 429 || itest_now() > until)
			break;
		poll(NULL, 0, 200);
	}
	ck_assert_msg(status == 200, "\"%s\": status %d", text, status);
}

static void
open_stream(struct stream *st, int port, const char *sid)
{
	ck_assert_int_eq(stream_open(st, port, sid, NULL), 200);
}

/* Reads until text has arrived n times: 1, or 0 after ms. */
static int
stream_wait_n(struct stream *st, const char *text, int n, int ms)
{
	long long until = itest_now() + ms;

	while (stream_count(st, text) < n) {
		if (st->eof || itest_now() >= until)
			return 0;
		stream_wait_eof(st, 20);	/* reads what comes meanwhile */
	}
	return 1;
}

/* Offset of text in what the stream read, or -1. */
static long
at(const struct stream *st, const char *text)
{
	const char *p = st->data ? strstr(st->data, text) : NULL;

	return p ? (long)(p - st->data) : -1;
}

/* A page that must be there: GET target with the sid, status 200. */
static void
page_of(int port, const char *path, const char *sid, struct reply *r)
{
	char target[128];

	snprintf(target, sizeof target, "%s?sid=%s", path, sid);
	cl_get(port, target, r);
	ck_assert_msg(r->status == 200, "%s: status %d", path, r->status);
}

/* The <li> of a user in a names frame, copied into out; NULL if absent. */
static const char *
user_line(const char *body, const char *name, char *out, size_t size)
{
	char needle[128];
	const char *p, *start, *end;

	snprintf(needle, sizeof needle, "<bdi>%s</bdi>", name);
	if ((p = strstr(body, needle)) == NULL)
		return NULL;
	for (start = p; start > body && strncmp(start, "<li", 3) != 0; start--)
		;
	if ((end = strstr(p, "</li>")) == NULL)
		return NULL;
	snprintf(out, size, "%.*s", (int)(end - start), start);
	return out;
}

/* ---- rooms ------------------------------------------------------------ */

START_TEST(login_into_named_room)
{
	struct server s;
	struct stream a;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], form[128];
	const char *sid;

	srv_start(&s, NULL);
	login(s.port, "alice", "Kitchen", sa);
	/* The names frame shows her at once, before any chat frame. */
	page_of(s.port, "/names", sa, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "<h2>kitchen"));
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>alice</bdi>"));
	reply_free(&r);
	open_stream(&a, s.port, sa);
	ck_assert(stream_wait(&a, "alice</bdi></span> joined kitchen",
	    WAIT_MS));
	/* Room names ignore case: bob lands in the same room. */
	login(s.port, "bob", "KITCHEN", sb);
	ck_assert(stream_wait(&a, "bob</bdi></span> joined kitchen", WAIT_MS));
	/* The frameset names the room; 24 and 1 characters are fine. */
	snprintf(form, sizeof form, "name=carol&room=%s", repeat("r", 24));
	ck_assert_ptr_nonnull(sid = cl_login(s.port, form, NULL));
	page_of(s.port, "/room", sid, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, repeat("r", 24)));
	reply_free(&r);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=dave&room=x", NULL));
	/* The login page lists the rooms with head counts. */
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, ">kitchen</a> <span "
	    "class=\"count\">(2)</span>"));
	ck_assert_ptr_nonnull(strstr(r.body, ">x</a> <span class=\"count\">"
	    "(1)</span>"));
	ck_assert_ptr_nonnull(strstr(r.body, ">lobby</a> <span class=\"count\">"
	    "(0)</span>"));
	reply_free(&r);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

static const char *const bad_rooms[] = {
	"bad room", "bad!", "a.b", "a/b", "caf\xc3\xa9",
	"rrrrrrrrrrrrrrrrrrrrrrrrr",	/* 25 */
};

START_TEST(invalid_room_is_refused)
{
	struct server s;
	struct stream a;
	struct reply r;
	char sa[SID_BYTES], form[256], cmd[128];
	size_t i;

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	open_stream(&a, s.port, sa);
	for (i = 0; i < sizeof bad_rooms / sizeof bad_rooms[0]; i++) {
		snprintf(form, sizeof form, "name=bob%d&room=%s", (int)i,
		    enc(bad_rooms[i]));
		cl_post(s.port, "/login", form, &r);
		ck_assert_msg(r.status == 400, "login room %s: %d",
		    bad_rooms[i], r.status);
		ck_assert_ptr_nonnull(strstr(r.body, "Room names are"));
		reply_free(&r);
		snprintf(cmd, sizeof cmd, "/join %s", bad_rooms[i]);
		say(s.port, sa, cmd);
	}
	/* One notice per refused /join, and alice is still in the lobby. */
	say(s.port, sa, "still here");
	ck_assert(stream_wait(&a, "still here", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, "Room names are"),
	    (int)(sizeof bad_rooms / sizeof bad_rooms[0]));
	ck_assert_int_eq(stream_count(&a, "divider"), 0);
	page_of(s.port, "/names", sa, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "<h2>lobby"));
	reply_free(&r);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(join_switches_the_stream)
{
	struct server s;
	struct stream a, b, c;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES];
	long divider, k1, k2, k3;

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", "kitchen", sb);
	login(s.port, "carol", NULL, sc);
	say(s.port, sb, "kitchen one");
	say(s.port, sb, "kitchen two");
	say(s.port, sa, "lobby one");
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	open_stream(&c, s.port, sc);
	ck_assert(stream_wait(&a, "lobby one", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, "kitchen one"), 0);
	post(s.port, sa, "/join Kitchen  ", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Now in kitchen"));
	reply_free(&r);
	/* A divider, then the kitchen's history, then its live events. */
	ck_assert(stream_wait(&a, "kitchen two", WAIT_MS));
	say(s.port, sb, "kitchen three");
	ck_assert(stream_wait(&a, "kitchen three", WAIT_MS));
	divider = at(&a, "divider");
	k1 = at(&a, "kitchen one");
	k2 = at(&a, "kitchen two");
	k3 = at(&a, "kitchen three");
	ck_assert_msg(divider > at(&a, "lobby one"), "no divider line");
	ck_assert(divider < k1 && k1 < k2 && k2 < k3);
	ck_assert_int_gt(at(&a, "alice</bdi></span> joined kitchen"), divider);
	ck_assert(stream_wait(&b, "alice</bdi></span> joined kitchen",
	    WAIT_MS));
	ck_assert(stream_wait(&c, "alice</bdi></span> left lobby", WAIT_MS));
	/* The lobby is behind her now. */
	say(s.port, sc, "lobby two");
	say(s.port, sb, "kitchen four");
	ck_assert(stream_wait(&a, "kitchen four", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, "lobby two"), 0);
	/* Joining the room one is in changes nothing. */
	post(s.port, sa, "/join kitchen", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert(stream_wait(&a, "in kitchen already", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, "divider"), 1);
	stream_close(&a);
	stream_close(&b);
	stream_close(&c);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(rooms_and_who_list_people)
{
	struct server s;
	struct stream b, c;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", "kitchen", sa);
	login(s.port, "bob", "kitchen", sb);
	login(s.port, "carol", NULL, sc);
	say(s.port, sa, "/topic Soup and bread");
	say(s.port, sa, "/away");
	open_stream(&b, s.port, sb);
	open_stream(&c, s.port, sc);
	say(s.port, sc, "/rooms");
	ck_assert(stream_wait(&c, "Rooms:", WAIT_MS));
	ck_assert(stream_wait(&c, "kitchen (2): Soup and bread", WAIT_MS));
	ck_assert(stream_wait(&c, "lobby (1)", WAIT_MS));
	say(s.port, sb, "/who");
	ck_assert(stream_wait(&b, "In kitchen:", WAIT_MS));
	ck_assert(stream_wait(&b, "@alice (away)", WAIT_MS));
	ck_assert(stream_wait(&b, " bob", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "carol"), 0);
	/* Both were notices to the asker alone. */
	say(s.port, sb, "sync");
	ck_assert(stream_wait(&b, "sync", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "Rooms:"), 0);
	ck_assert_int_eq(stream_count(&c, "In kitchen:"), 0);
	stream_close(&b);
	stream_close(&c);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(topic_is_for_operators)
{
	struct server s;
	struct stream a, b;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES], line[512];

	srv_start(&s, NULL);
	login(s.port, "alice", "kitchen", sa);	/* creator: operator */
	login(s.port, "bob", "kitchen", sb);
	login(s.port, "carol", NULL, sc);	/* the lobby has no operator */
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	say(s.port, sb, "/topic Bob was here");
	ck_assert(stream_wait(&b, "Only operators of kitchen", WAIT_MS));
	say(s.port, sc, "/topic Carol was here");
	say(s.port, sa, "/topic Soup &amp; <b>bread</b>");
	ck_assert(stream_wait(&a, "set the topic", WAIT_MS));
	ck_assert(stream_wait(&b, "alice</bdi></span> set the topic: <bdi "
	    "class=\"tx\">Soup &amp;amp; &lt;b&gt;bread&lt;/b&gt;</bdi>",
	    WAIT_MS));
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "Soup &amp;amp; &lt;b&gt;bread"));
	ck_assert_ptr_null(strstr(r.body, "Bob was here"));
	/* The creator carries the operator mark, bob does not. */
	ck_assert_ptr_nonnull(user_line(r.body, "alice", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "opmark"));
	ck_assert_ptr_nonnull(user_line(r.body, "bob", line, sizeof line));
	ck_assert_ptr_null(strstr(line, "opmark"));
	reply_free(&r);
	page_of(s.port, "/names", sc, &r);
	ck_assert_ptr_null(strstr(r.body, "Carol was here"));
	ck_assert_ptr_null(strstr(r.body, "opmark"));
	reply_free(&r);
	/* Anyone may read the topic. */
	say(s.port, sb, "/topic");
	ck_assert(stream_wait(&b, "The topic of kitchen is: Soup", WAIT_MS));
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(operator_status_stays_with_its_owner)
{
	struct server s;
	struct stream b;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sn[SID_BYTES], sg[SID_BYTES];
	char line[512];
	const char *sid;

	srv_start(&s, NULL);
	login(s.port, "alice", "kitchen", sa);
	login(s.port, "bob", "kitchen", sb);
	open_stream(&b, s.port, sb);
	say(s.port, sa, "/quit");
	/* A newcomer with the departed guest's name is no operator. */
	login(s.port, "Alice", "kitchen", sn);
	say(s.port, sn, "/topic Mine now");
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_null(strstr(r.body, "Mine now"));
	ck_assert_ptr_nonnull(user_line(r.body, "Alice", line, sizeof line));
	ck_assert_ptr_null(strstr(line, "opmark"));
	reply_free(&r);
	/* A registered creator is the same person when she comes back. */
	cl_post(s.port, "/register", "name=Regina&passwd=pw", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert_ptr_nonnull(sid = cl_login(s.port,
	    "name=regina&passwd=pw&room=attic", NULL));
	memcpy(sg, sid, SID_BYTES);
	say(s.port, sb, "/join attic");
	say(s.port, sg, "/join kitchen");
	say(s.port, sg, "/join attic");
	say(s.port, sg, "/topic Still mine");
	ck_assert(stream_wait(&b, "set the topic: <bdi class=\"tx\">Still mine",
	    WAIT_MS));
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(admin_is_operator_in_the_lobby)
{
	struct server s0, s;
	struct stream a;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], line[512], path[600];
	const char *sid;

	/* An -a name is reserved until it has an account: make it first. */
	srv_start(&s0, "-A", "@DIR@/accounts", NULL);
	snprintf(path, sizeof path, "%s/accounts", s0.dir);
	cl_post(s0.port, "/register", "name=boss&passwd=secret", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	srv_stop_clean(&s0);
	srv_start(&s, "-A", path, "-a", "boss", NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port,
	    "name=boss&passwd=secret", NULL));
	memcpy(sa, sid, SID_BYTES);
	login(s.port, "bob", NULL, sb);
	open_stream(&a, s.port, sa);
	say(s.port, sa, "/topic Welcome all");
	ck_assert(stream_wait(&a, "set the topic: <bdi class=\"tx\">Welcome "
	    "all", WAIT_MS));
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "Welcome all"));
	ck_assert_ptr_nonnull(user_line(r.body, "boss", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "opmark"));
	reply_free(&r);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(rooms_do_not_leak)
{
	struct server s;
	struct stream a, b, d;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sd[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", "kitchen", sb);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	say(s.port, sa, "lobby secret");
	say(s.port, sb, "kitchen secret");
	say(s.port, sa, "/me dances in the lobby");
	say(s.port, sa, "lobby end");
	say(s.port, sb, "kitchen end");
	ck_assert(stream_wait(&a, "lobby end", WAIT_MS));
	ck_assert(stream_wait(&b, "kitchen end", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, "kitchen"), 0);
	ck_assert_int_eq(stream_count(&b, "lobby secret"), 0);
	ck_assert_int_eq(stream_count(&b, "dances"), 0);
	ck_assert_int_eq(stream_count(&b, "alice"), 0);
	/* Names frames and history stay in their rooms too. */
	page_of(s.port, "/names", sa, &r);
	ck_assert_ptr_null(strstr(r.body, "bob"));
	reply_free(&r);
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_null(strstr(r.body, "alice"));
	reply_free(&r);
	login(s.port, "dave", "kitchen", sd);
	open_stream(&d, s.port, sd);
	ck_assert(stream_wait(&d, "dave</bdi></span> joined kitchen", WAIT_MS));
	ck_assert(stream_wait(&d, "kitchen secret", WAIT_MS));
	ck_assert_int_eq(stream_count(&d, "lobby"), 0);
	stream_close(&a);
	stream_close(&b);
	stream_close(&d);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(empty_room_vanishes)
{
	struct server s;
	struct stream b;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", "kitchen", sa);
	say(s.port, sa, "old kitchen talk");
	say(s.port, sa, "/topic Old topic");
	say(s.port, sa, "/join lobby");
	cl_get(s.port, "/", &r);
	ck_assert_ptr_null(strstr(r.body, "kitchen"));
	ck_assert_ptr_nonnull(strstr(r.body, ">lobby</a>"));
	reply_free(&r);
	/* A new kitchen: a new creator, no old history, no old topic. */
	login(s.port, "bob", "kitchen", sb);
	open_stream(&b, s.port, sb);
	ck_assert(stream_wait(&b, "bob</bdi></span> joined kitchen", WAIT_MS));
	/* Its history is bob's join alone (numbers are server-wide). */
	ck_assert_int_eq(stream_count(&b, " id=\"e"), 1);
	ck_assert_int_eq(stream_count(&b, "old kitchen talk"), 0);
	say(s.port, sb, "/topic New topic");
	ck_assert(stream_wait(&b, "set the topic: <bdi class=\"tx\">New topic",
	    WAIT_MS));
	/* The lobby stays, even empty. */
	say(s.port, sa, "/quit");
	login(s.port, "carol", "x", sc);
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_null(strstr(r.body, "Old topic"));
	reply_free(&r);
	cl_get(s.port, "/", &r);
	ck_assert_ptr_nonnull(strstr(r.body, ">lobby</a> <span class=\"count\">"
	    "(0)</span>"));
	ck_assert_ptr_nonnull(strstr(r.body, "New topic"));
	reply_free(&r);
	say(s.port, sb, "/rooms");
	ck_assert(stream_wait(&b, "lobby (0)", WAIT_MS));
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

/* ---- random ------------------------------------------------------------- */

/* The room named after "Now in " in a stream, copied into out. */
static void
room_named(const struct stream *st, char *out, size_t size)
{
	const char *p = strstr(st->data, "Now in ");
	size_t n;

	ck_assert_ptr_nonnull(p);
	p += strlen("Now in ");
	n = strcspn(p, ".<");
	ck_assert_uint_lt(n, size);
	snprintf(out, size, "%.*s", (int)n, p);
}

START_TEST(random_pairs_strangers)
{
	struct server s;
	struct stream a, b, c;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES], sd[SID_BYTES];
	char pair[64], link[256], target[256];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	login(s.port, "carol", NULL, sc);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	open_stream(&c, s.port, sc);
	say(s.port, sa, "/join random");
	ck_assert(stream_wait(&a, "Waiting for a stranger", WAIT_MS));
	say(s.port, sb, "/join random");
	ck_assert(stream_wait(&a, "A stranger is here", WAIT_MS));
	ck_assert(stream_wait(&b, "Now in ", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "Waiting for a stranger"), 0);
	room_named(&b, pair, sizeof pair);
	ck_assert_str_ne(pair, "random");
	/* The two talk in private. */
	say(s.port, sa, "hello stranger");
	ck_assert(stream_wait(&b, "hello stranger", WAIT_MS));
	page_of(s.port, "/names", sa, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>bob</bdi>"));
	reply_free(&r);
	say(s.port, sc, "/rooms");
	ck_assert(stream_wait(&c, "Rooms:", WAIT_MS));
	ck_assert_int_eq(stream_count(&c, "hello stranger"), 0);
	snprintf(target, sizeof target, "%s (", pair);
	ck_assert_int_eq(stream_count(&c, target), 0);
	cl_get(s.port, "/", &r);
	ck_assert_ptr_null(strstr(r.body, target));
	reply_free(&r);
	/* bob leaves: alice is told, with a link to look again. */
	say(s.port, sb, "/join lobby");
	ck_assert(stream_wait(&a, "The stranger left.", WAIT_MS));
	snprintf(link, sizeof link, "href=\"/dotalk?sid=%s&amp;message=%%2Fjoin"
	    "+random\" target=\"talk\"", sa);
	ck_assert(stream_wait(&a, link, WAIT_MS));
	snprintf(target, sizeof target,
	    "/dotalk?sid=%s&message=%%2Fjoin+random", sa);
	cl_get(s.port, target, &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert(stream_wait_n(&a, "Waiting for a stranger", 2, WAIT_MS));
	/* The next one to come is paired with her. */
	login(s.port, "dave", "random", sd);
	say(s.port, sd, "hi from dave");
	ck_assert(stream_wait(&a, "hi from dave", WAIT_MS));
	stream_close(&a);
	stream_close(&b);
	stream_close(&c);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(random_pair_stays_private)
{
	struct server s;
	struct stream b, e;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sd[SID_BYTES], se[SID_BYTES];
	char pair[64], cmd[96];
	const char *h2;

	srv_start(&s, NULL);
	/* Someone made a public room with a name a pair might get. */
	login(s.port, "dave", "random-1", sd);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	open_stream(&b, s.port, sb);
	say(s.port, sa, "/join random");
	say(s.port, sb, "/join random");
	ck_assert(stream_wait(&b, "alice</bdi></span> joined", WAIT_MS));
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_nonnull(h2 = strstr(r.body, "<h2>"));
	snprintf(pair, sizeof pair, "%.*s", (int)strcspn(h2 + 4, " <"), h2 + 4);
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>alice</bdi>"));
	ck_assert_ptr_null(strstr(r.body, "dave"));
	reply_free(&r);
	ck_assert_str_ne(pair, "random");
	ck_assert_str_ne(pair, "random-1");
	/* Neither /join nor a login gets a third person in. */
	login(s.port, "eve", NULL, se);
	open_stream(&e, s.port, se);
	snprintf(cmd, sizeof cmd, "/join %s", pair);
	say(s.port, se, cmd);
	ck_assert(stream_wait(&e, "private", 200) ||
	    stream_wait(&e, "Room names are", 10));
	ck_assert_int_ne(login_status(s.port, "frank", pair), 200);
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_null(strstr(r.body, "frank"));
	ck_assert_ptr_null(strstr(r.body, "eve"));
	reply_free(&r);
	/* The public random-1 is still dave's. */
	say(s.port, se, "/join random-1");
	say(s.port, se, "/who");
	ck_assert(stream_wait(&e, "In random-1: eve @dave", WAIT_MS));
	stream_close(&b);
	stream_close(&e);
	srv_stop_clean(&s);
}
END_TEST

/* ---- commands ----------------------------------------------------------- */

START_TEST(me_is_an_action)
{
	struct server s;
	struct stream a, b;
	char sa[SID_BYTES], sb[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	say(s.port, sa, "/me waves <3");
	ck_assert(stream_wait(&b, "<div class=\"ev action\"", WAIT_MS));
	ck_assert(stream_wait(&b, "* <span class=\"nick\"", WAIT_MS));
	ck_assert(stream_wait(&b, "alice</bdi></span> <bdi class=\"tx\">waves "
	    "&lt;3</bdi>", WAIT_MS));
	ck_assert(stream_wait(&a, "waves &lt;3", WAIT_MS));
	say(s.port, sa, "/me");
	ck_assert(stream_wait(&a, "Usage: /me", WAIT_MS));
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(msg_whispers_to_one)
{
	struct server s;
	struct stream a, b, c;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	login(s.port, "carol", NULL, sc);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	open_stream(&c, s.port, sc);
	say(s.port, sa, "/msg Bob psst, a secret");
	ck_assert(stream_wait(&b, "(whisper):</span> <bdi class=\"tx\">psst, a "
	    "secret", WAIT_MS));
	ck_assert(stream_wait(&a, "psst, a secret", WAIT_MS));
	say(s.port, sa, "in the open");
	ck_assert(stream_wait(&c, "in the open", WAIT_MS));
	ck_assert_int_eq(stream_count(&c, "psst"), 0);
	/* History replays it to the two of them only. */
	stream_close(&b);
	stream_close(&c);
	open_stream(&b, s.port, sb);
	open_stream(&c, s.port, sc);
	ck_assert(stream_wait(&b, "psst, a secret", WAIT_MS));
	ck_assert(stream_wait(&c, "in the open", WAIT_MS));
	ck_assert_int_eq(stream_count(&c, "psst"), 0);
	/* Errors are notices to the sender. */
	say(s.port, sa, "/msg nobody hello");
	ck_assert(stream_wait(&a, "Nobody called nobody is here", WAIT_MS));
	say(s.port, sa, "/msg bob");
	ck_assert(stream_wait(&a, "Usage: /msg", WAIT_MS));
	stream_close(&a);
	stream_close(&b);
	stream_close(&c);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(msg_reaches_another_room)
{
	struct server s;
	struct stream a, b, c;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", "kitchen", sb);
	login(s.port, "carol", "kitchen", sc);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	open_stream(&c, s.port, sc);
	say(s.port, sa, "/msg bob across the hall");
	ck_assert(stream_wait(&b, "across the hall", WAIT_MS));
	ck_assert(stream_wait(&a, "across the hall", WAIT_MS));
	say(s.port, sb, "/msg alice got it");
	ck_assert(stream_wait(&a, "got it", WAIT_MS));
	say(s.port, sc, "kitchen sync");
	ck_assert(stream_wait(&c, "kitchen sync", WAIT_MS));
	ck_assert_int_eq(stream_count(&c, "across the hall"), 0);
	ck_assert_int_eq(stream_count(&c, "got it"), 0);
	stream_close(&a);
	stream_close(&b);
	stream_close(&c);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(whisper_through_the_to_field)
{
	struct server s;
	struct stream b, c;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	login(s.port, "carol", NULL, sc);
	open_stream(&b, s.port, sb);
	open_stream(&c, s.port, sc);
	ck_assert_int_eq(post(s.port, sa, "for carol only", "carol", &r), 200);
	/* The talk frame keeps the target for the next line. */
	ck_assert_ptr_nonnull(strstr(r.body,
	    "<option value=\"carol\" selected>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<option value=\"bob\">"));
	reply_free(&r);
	ck_assert(stream_wait(&c, "(whisper):</span> <bdi class=\"tx\">for "
	    "carol only", WAIT_MS));
	/* "//" keeps its meaning in a whisper. */
	ck_assert_int_eq(post(s.port, sa, "//shrug", "carol", &r), 200);
	reply_free(&r);
	ck_assert(stream_wait(&c, "<bdi class=\"tx\">/shrug</bdi>", WAIT_MS));
	say(s.port, sa, "public");
	ck_assert(stream_wait(&b, "public", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "carol only"), 0);
	ck_assert_int_eq(stream_count(&b, "shrug"), 0);
	stream_close(&b);
	stream_close(&c);
	srv_stop_clean(&s);
}
END_TEST

/* A crowded room lists the first 100 names in order, and the target too. */
START_TEST(whisper_targets_in_a_crowd)
{
	struct server s;
	struct reply r;
	char sa[SID_BYTES], sid[SID_BYTES], name[16];
	const char *p, *prev;
	int i, n;

	srv_start(&s, NULL);
	login(s.port, "aaa", NULL, sa);
	/* Logged in from the last name down, so no order comes for free. */
	for (i = 104; i >= 0; i--) {
		snprintf(name, sizeof name, "u%03d", i);
		login(s.port, name, NULL, sid);
	}
	ck_assert_int_eq(post(s.port, sa, "hi", "u103", &r), 200);
	for (n = 0, prev = NULL, p = r.body; (p = strstr(p, "<option value=\"u"))
	    != NULL; p++, n++) {
		if (prev != NULL)
			ck_assert_msg(strncmp(prev, p, 21) < 0, "out of order");
		prev = p;
	}
	ck_assert_int_eq(n, 101);
	ck_assert_ptr_nonnull(strstr(r.body, "<option value=\"u000\">"));
	ck_assert_ptr_nonnull(strstr(r.body, "<option value=\"u099\">"));
	ck_assert_ptr_null(strstr(r.body, "<option value=\"u100\">"));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "<option value=\"u103\" selected>"));
	ck_assert_ptr_null(strstr(r.body, "<option value=\"aaa\""));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(whispers_stay_with_their_people)
{
	struct server s;
	struct stream a, b, n;
	char sa[SID_BYTES], sb[SID_BYTES], sn[SID_BYTES], sd[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	say(s.port, sa, "/msg bob first secret");
	say(s.port, sb, "/quit");
	/* A newcomer who takes the free name does not get bob's whispers. */
	login(s.port, "Bob", NULL, sn);
	say(s.port, sn, "new bob here");
	open_stream(&n, s.port, sn);
	ck_assert(stream_wait(&n, "new bob here", WAIT_MS));
	ck_assert_int_eq(stream_count(&n, "first secret"), 0);
	stream_close(&n);
	/* Nor does one who takes a name by /nick. */
	say(s.port, sa, "/msg bob second secret");
	say(s.port, sn, "/nick robert");
	login(s.port, "dave", NULL, sd);
	say(s.port, sd, "/nick bob");
	say(s.port, sd, "dave here");
	open_stream(&n, s.port, sd);
	ck_assert(stream_wait(&n, "dave here", WAIT_MS));
	ck_assert_int_eq(stream_count(&n, "secret"), 0);
	/* robert still has his; alice still has both of hers. */
	open_stream(&b, s.port, sn);
	ck_assert(stream_wait(&b, "second secret", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "first secret"), 0);
	open_stream(&a, s.port, sa);
	ck_assert(stream_wait(&a, "first secret", WAIT_MS));
	ck_assert(stream_wait(&a, "second secret", WAIT_MS));
	stream_close(&a);
	stream_close(&b);
	stream_close(&n);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(ignore_and_unignore)
{
	struct server s;
	struct stream a, c;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES], line[512];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	login(s.port, "carol", NULL, sc);
	open_stream(&a, s.port, sa);
	open_stream(&c, s.port, sc);
	say(s.port, sa, "/ignore BOB");
	ck_assert(stream_wait(&a, "You now ignore bob", WAIT_MS));
	say(s.port, sb, "noise one");
	say(s.port, sb, "/me makes noise two");
	say(s.port, sc, "signal one");
	ck_assert(stream_wait(&a, "signal one", WAIT_MS));
	ck_assert(stream_wait(&c, "noise two", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, "noise"), 0);
	/* The names frame marks him for alice only. */
	page_of(s.port, "/names", sa, &r);
	ck_assert_ptr_nonnull(user_line(r.body, "bob", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "ignored"));
	ck_assert_ptr_nonnull(user_line(r.body, "carol", line, sizeof line));
	ck_assert_ptr_null(strstr(line, "ignored"));
	reply_free(&r);
	page_of(s.port, "/names", sc, &r);
	ck_assert_ptr_null(strstr(r.body, "ignored"));
	reply_free(&r);
	/* He cannot whisper past it, nor shake it off with a new name. */
	say(s.port, sb, "/msg alice listen");
	say(s.port, sb, "/nick bobby");
	say(s.port, sb, "noise three");
	say(s.port, sc, "signal two");
	ck_assert(stream_wait(&a, "signal two", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, "listen"), 0);
	ck_assert_int_eq(stream_count(&a, "noise"), 0);
	/* Replay filters too. */
	stream_close(&a);
	open_stream(&a, s.port, sa);
	ck_assert(stream_wait(&a, "signal two", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, "noise"), 0);
	say(s.port, sa, "/unignore bobby");
	ck_assert(stream_wait(&a, "You no longer ignore bobby", WAIT_MS));
	say(s.port, sb, "heard again");
	ck_assert(stream_wait(&a, "heard again", WAIT_MS));
	page_of(s.port, "/names", sa, &r);
	ck_assert_ptr_null(strstr(r.body, "ignored"));
	reply_free(&r);
	say(s.port, sa, "/ignore nobody");
	ck_assert(stream_wait(&a, "Nobody called nobody", WAIT_MS));
	stream_close(&a);
	stream_close(&c);
	srv_stop_clean(&s);
}
END_TEST

static const struct {
	const char	*given;
	const char	*shown;		/* NULL: refused */
} colors[] = {
	{ "navy", "navy" },
	{ "Teal", "teal" },
	{ "#ABC", "#abc" },
	{ "#a0B1c2", "#a0b1c2" },
	{ "AQUA", "aqua" },
	{ "orange", NULL },
	{ "#abcd", NULL },
	{ "#ggg", NULL },
	{ "red;x", NULL },
	{ "red\"", NULL },
	{ "", NULL },
};

START_TEST(color_changes)
{
	struct server s;
	struct stream w;
	struct reply r;
	char sid[SID_BYTES], sw[SID_BYTES], name[16], cmd[64], before[512];
	char after[512], want[64];
	size_t i;

	srv_start(&s, NULL);
	login(s.port, "watcher", NULL, sw);
	open_stream(&w, s.port, sw);
	for (i = 0; i < sizeof colors / sizeof colors[0]; i++) {
		snprintf(name, sizeof name, "user%d", (int)i);
		login(s.port, name, NULL, sid);
		page_of(s.port, "/names", sw, &r);
		ck_assert_ptr_nonnull(user_line(r.body, name, before,
		    sizeof before));
		reply_free(&r);
		snprintf(cmd, sizeof cmd, "/color %s", colors[i].given);
		say(s.port, sid, cmd);
		page_of(s.port, "/names", sw, &r);
		ck_assert_ptr_nonnull(user_line(r.body, name, after,
		    sizeof after));
		reply_free(&r);
		if (colors[i].shown != NULL) {
			snprintf(want, sizeof want, "style=\"color:%s\"",
			    colors[i].shown);
			ck_assert_msg(strstr(after, want) != NULL, "%s: %s",
			    colors[i].given, after);
			snprintf(want, sizeof want,
			    "%s</bdi></span> changed colour", name);
			ck_assert(stream_wait(&w, want, WAIT_MS));
		} else
			ck_assert_msg(strcmp(before, after) == 0, "%s: %s",
			    colors[i].given, after);
	}
	say(s.port, sw, "sync");
	ck_assert(stream_wait(&w, "sync", WAIT_MS));
	ck_assert_int_eq(stream_count(&w, "changed colour"), 5);
	stream_close(&w);
	/* A refusal is a notice to the one who asked. */
	open_stream(&w, s.port, sid);
	say(s.port, sid, "/color pink");
	ck_assert(stream_wait(&w, "Colours are #rgb, #rrggbb or one of the 16",
	    WAIT_MS));
	stream_close(&w);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(away_and_back)
{
	struct server s;
	struct stream a;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], line[1024], reason[700];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	open_stream(&a, s.port, sa);
	say(s.port, sa, "/away out for <lunch>");
	ck_assert(stream_wait(&a, "You are marked as away", WAIT_MS));
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_nonnull(user_line(r.body, "alice", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "away: <bdi>out for &lt;lunch&gt;"));
	ck_assert_ptr_nonnull(user_line(r.body, "bob", line, sizeof line));
	ck_assert_ptr_null(strstr(line, "away"));
	reply_free(&r);
	say(s.port, sa, "/back");
	ck_assert(stream_wait(&a, "Welcome back", WAIT_MS));
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_null(strstr(r.body, "away"));
	reply_free(&r);
	say(s.port, sa, "/away");
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_nonnull(user_line(r.body, "alice", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, ">away</span>"));
	reply_free(&r);
	/* A long reason is cut at a whole character, never inside one. */
	snprintf(reason, sizeof reason, "/away x%s", repeat("\xc3\xa9", 150));
	say(s.port, sb, reason);
	page_of(s.port, "/names", sa, &r);
	ck_assert_ptr_nonnull(user_line(r.body, "bob", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "away: <bdi>x\xc3\xa9"));
	ck_assert_msg(strstr(line, "\xc3\xa9</bdi>") != NULL,
	    "reason cut inside a character: %s", line);
	reply_free(&r);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(nick_changes)
{
	struct server s;
	struct stream a, b;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES], sg[SID_BYTES];
	char line[512], cmd[64];
	const char *sid;

	srv_start(&s, NULL);
	login(s.port, "alice", "kitchen", sa);
	login(s.port, "bob", "kitchen", sb);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	say(s.port, sa, "/nick Alicia");
	ck_assert(stream_wait(&b, "<bdi>alice</bdi> is now known as <span "
	    "class=\"nick\"", WAIT_MS));
	ck_assert(stream_wait(&b, "<bdi>Alicia</bdi></span></div>", WAIT_MS));
	ck_assert(stream_wait(&a, "is now known as", WAIT_MS));
	/* She keeps her operator mark and her powers. */
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_null(strstr(r.body, "<bdi>alice</bdi>"));
	ck_assert_ptr_nonnull(user_line(r.body, "Alicia", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "opmark"));
	reply_free(&r);
	say(s.port, sa, "/topic Renamed");
	ck_assert(stream_wait(&b, "set the topic: <bdi class=\"tx\">Renamed",
	    WAIT_MS));
	/* The rules of login, as notices. */
	say(s.port, sb, "/nick ALICIA");
	ck_assert(stream_wait(&b, "ALICIA is in use", WAIT_MS));
	say(s.port, sb, "/nick b");
	say(s.port, sb, "/nick bad!name");
	snprintf(cmd, sizeof cmd, "/nick %s", repeat("n", 21));
	say(s.port, sb, cmd);
	page_of(s.port, "/names", sb, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>bob</bdi>"));
	reply_free(&r);
	say(s.port, sb, "/nick Zo\xc3\xab");
	ck_assert(stream_wait(&a, "<bdi>bob</bdi> is now known as", WAIT_MS));
	ck_assert(stream_wait(&a, "<bdi>Zo\xc3\xab</bdi>", WAIT_MS));
	ck_assert(stream_wait(&b, "<bdi>Zo\xc3\xab</bdi>", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "Names are 2 to 20"), 3);
	/* The old name is free again. */
	login(s.port, "alice", NULL, sc);
	/* A guest cannot take a registered name; a registered one keeps it. */
	cl_post(s.port, "/register", "name=Regina&passwd=pw", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	say(s.port, sc, "/nick regina");
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=regina&passwd=pw",
	    NULL));
	memcpy(sg, sid, SID_BYTES);
	say(s.port, sg, "/nick queen");
	page_of(s.port, "/names", sc, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>alice</bdi>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>Regina</bdi>"));
	ck_assert_ptr_null(strstr(r.body, "queen"));
	reply_free(&r);
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(quit_says_goodbye)
{
	struct server s;
	struct stream a, b;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], target[64];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	ck_assert_int_eq(post(s.port, sa, "/quit", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "target=\"_top\""));
	reply_free(&r);
	ck_assert(stream_wait(&a, "Goodbye", WAIT_MS));
	ck_assert(stream_wait_eof(&a, WAIT_MS));
	ck_assert(stream_wait(&b, "alice</bdi></span> left lobby", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "Goodbye"), 0);
	snprintf(target, sizeof target, "/talk?sid=%s", sa);
	cl_get(s.port, target, &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(slashes_and_unknown_commands)
{
	struct server s;
	struct stream a, b;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	say(s.port, sa, "//shrug is not a command");
	ck_assert(stream_wait(&b, "<bdi class=\"tx\">/shrug is not a command",
	    WAIT_MS));
	ck_assert_int_eq(post(s.port, sa, "/frobnicate now", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Unknown command /frobnicate"));
	reply_free(&r);
	ck_assert(stream_wait(&a, "Unknown command /frobnicate", WAIT_MS));
	/* Phones capitalise the first letter: commands ignore case. */
	say(s.port, sa, "/Me shrugs");
	ck_assert(stream_wait(&b, "<bdi class=\"tx\">shrugs</bdi>", WAIT_MS));
	say(s.port, sa, "after");
	ck_assert(stream_wait(&b, ">after<", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "Unknown"), 0);
	ck_assert_int_eq(stream_count(&b, "frobnicate"), 0);
	ck_assert_int_eq(stream_count(&a, "Unknown command"), 1);
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(mentions_mark_the_named)
{
	struct server s;
	struct stream a, b, c;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	login(s.port, "carol", NULL, sc);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	open_stream(&c, s.port, sc);
	say(s.port, sa, "bobby and bob-cat are not him");
	say(s.port, sa, "hi BOB, lunch?");
	ck_assert(stream_wait(&b, "<div class=\"ev msg mention\"", WAIT_MS));
	ck_assert(stream_wait(&b, "lunch?", WAIT_MS));
	say(s.port, sa, "/me pokes @bob");
	ck_assert(stream_wait(&b, "<div class=\"ev action mention\"", WAIT_MS));
	ck_assert(stream_wait(&c, "pokes", WAIT_MS));
	ck_assert(stream_wait(&a, "pokes", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "mention"), 2);
	ck_assert_int_eq(stream_count(&a, "mention"), 0);
	ck_assert_int_eq(stream_count(&c, "mention"), 0);
	/* Naming oneself marks nothing; the replay keeps the marks. */
	say(s.port, sb, "bob is here");
	stream_close(&b);
	open_stream(&b, s.port, sb);
	ck_assert(stream_wait(&b, "bob is here", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "mention"), 2);
	stream_close(&a);
	stream_close(&b);
	stream_close(&c);
	srv_stop_clean(&s);
}
END_TEST

/* ---- frames ------------------------------------------------------------- */

START_TEST(names_frame)
{
	struct server s;
	struct reply r;
	char sz[SID_BYTES], sa[SID_BYTES], sb[SID_BYTES], sk[SID_BYTES];
	char line[512];
	const char *p;
	long amy, bob, zed;
	int refresh;

	srv_start(&s, NULL);
	login(s.port, "zed", NULL, sz);
	login(s.port, "Amy", NULL, sa);
	login(s.port, "bob", NULL, sb);
	login(s.port, "kim", "kitchen", sk);
	page_of(s.port, "/names", sz, &r);
	ck_assert_ptr_nonnull(strstr(r.head, "Cache-Control: no-store"));
	ck_assert_ptr_nonnull(p = strstr(r.body, "http-equiv=\"refresh\" "
	    "content=\""));
	refresh = atoi(p + strlen("http-equiv=\"refresh\" content=\""));
	ck_assert(refresh >= 1 && refresh <= 15);
	/* Sorted without regard to case, each in its colour. */
	amy = strstr(r.body, "<bdi>Amy</bdi>") - r.body;
	bob = strstr(r.body, "<bdi>bob</bdi>") - r.body;
	zed = strstr(r.body, "<bdi>zed</bdi>") - r.body;
	ck_assert(amy > 0 && amy < bob && bob < zed);
	ck_assert_ptr_nonnull(user_line(r.body, "Amy", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "style=\"color:#"));
	ck_assert_ptr_null(strstr(line, "(you)"));
	ck_assert_ptr_nonnull(user_line(r.body, "zed", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "(you)"));
	ck_assert_ptr_null(strstr(r.body, "kim"));
	ck_assert_ptr_null(strstr(r.body, "opmark"));
	ck_assert_ptr_nonnull(strstr(r.body, "<h2>lobby <span class=\"count\">"
	    "(3)</span>"));
	reply_free(&r);
	say(s.port, sk, "/color #c0c");
	page_of(s.port, "/names", sk, &r);
	ck_assert_ptr_nonnull(user_line(r.body, "kim", line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, "opmark"));
	ck_assert_ptr_nonnull(strstr(line, "style=\"color:#c0c\""));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(talk_frame)
{
	struct server s;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], sc[SID_BYTES], sd[SID_BYTES];
	char want[128];

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "carol", NULL, sc);
	login(s.port, "Bob", NULL, sb);
	login(s.port, "dave", "kitchen", sd);
	page_of(s.port, "/talk", sa, &r);
	ck_assert_ptr_nonnull(strstr(r.head, "Cache-Control: no-store"));
	snprintf(want, sizeof want, "<form method=\"post\" "
	    "action=\"/dotalk?sid=%s\"", sa);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	snprintf(want, sizeof want, "name=\"sid\" value=\"%s\"", sa);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	ck_assert_ptr_nonnull(strstr(r.body, "<select name=\"to\""));
	ck_assert_ptr_nonnull(strstr(r.body, "name=\"message\""));
	/* Whisper targets: the others in the room, sorted. */
	ck_assert_ptr_nonnull(strstr(r.body, "<option value=\"\">"));
	ck_assert_ptr_nonnull(strstr(r.body, "<option value=\"Bob\">"));
	ck_assert_ptr_nonnull(strstr(r.body, "<option value=\"carol\">"));
	ck_assert(strstr(r.body, "value=\"Bob\"") <
	    strstr(r.body, "value=\"carol\""));
	ck_assert_ptr_null(strstr(r.body, "<option value=\"alice\""));
	ck_assert_ptr_null(strstr(r.body, "dave"));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/* ---- limits ------------------------------------------------------------- */

static const struct {
	const char	*name;
	int		 status;
} names[] = {
	{ "Zo\xc3\xab", 303 },
	{ "\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1", 303 },	/* Greek */
	{ "ab", 303 },
	{ "42", 303 },
	{ "x-y_1", 303 },
	{ "nnnnnnnnnnnnnnnnnnnn", 303 },		/* 20 */
	{ "a", 400 },
	{ "\xc3\xa9", 400 },				/* one code point */
	{ "mmmmmmmmmmmmmmmmmmmmm", 400 },		/* 21 */
	{ "", 400 },
	{ "a b", 400 },
	{ "a.b", 400 },
	{ "a<b", 400 },
	{ "e\xcc\x81x", 400 },			/* combining mark */
	{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 400 },	/* emoji */
	{ "\xc0\xaf" "ab", 400 },			/* overlong '/' */
	{ "\xe0\x80\xa1" "ab", 400 },			/* overlong '!' */
	{ "\xed\xa0\x80" "ab", 400 },			/* surrogate */
	{ "ab\xff", 400 },
	{ "ab\x80", 400 },
	{ "ab\xc3", 400 },				/* cut short */
	{ "a\x01" "b", 400 },
};

START_TEST(name_limits)
{
	struct server s;
	struct reply r;
	char form[256], twenty[64], sid[SID_BYTES];
	size_t i;

	srv_start(&s, NULL);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(form, sizeof form, "name=%s", enc(names[i].name));
		cl_post(s.port, "/login", form, &r);
		ck_assert_msg(r.status == names[i].status, "name \"%s\": %d",
		    enc(names[i].name), r.status);
		if (r.status == 400)
			ck_assert_ptr_nonnull(strstr(r.body,
			    "Names are 2 to 20"));
		reply_free(&r);
	}
	/* Code points, not bytes: 20 two-byte letters fit, 21 do not. */
	snprintf(twenty, sizeof twenty, "%s", repeat("\xc3\xab", 20));
	login(s.port, twenty, NULL, sid);
	ck_assert_int_eq(login_status(s.port, repeat("\xc3\xaa", 21), NULL),
	    400);
	/* The name arrives intact. */
	page_of(s.port, "/names", sid, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "<bdi>Zo\xc3\xab</bdi>"));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

static const struct {
	const char	*name;
	int		 status;
} unique[] = {
	{ "Zo\xc3\xab", 303 },
	{ "ZO\xc3\x8b", 409 },
	{ "zo\xc3\xab", 409 },
	{ "Zoe", 303 },
	{ "alice", 303 },
	{ "ALICE", 409 },
	{ "Alice", 409 },
};

START_TEST(names_are_unique_in_any_case)
{
	struct server s;
	struct reply r;
	char form[128];
	size_t i;

	srv_start(&s, NULL);
	for (i = 0; i < sizeof unique / sizeof unique[0]; i++) {
		snprintf(form, sizeof form, "name=%s", enc(unique[i].name));
		cl_post(s.port, "/login", form, &r);
		ck_assert_msg(r.status == unique[i].status, "%s: %d",
		    unique[i].name, r.status);
		if (r.status == 409)
			ck_assert_ptr_nonnull(strstr(r.body, "in use"));
		reply_free(&r);
	}
	srv_stop_clean(&s);
}
END_TEST

static const struct {
	const char	*text;
	int		 status;
	const char	*seen;	/* 200: as shown; else the reason */
} messages[] = {
	{ "", 400, "empty" },
	{ "   ", 400, "empty" },
	{ "\r\n\n", 400, "empty" },
	{ "a\x01" "b", 400, "control" },
	{ "a\x1b[1mb", 400, "control" },
	{ "a\x7f" "b", 400, "control" },
	{ "a\xc2\x85" "b", 400, "control" },		/* U+0085, C1 */
	{ "a\xc2\x9f" "b", 400, "control" },		/* U+009F */
	{ "a\xff" "b", 400, "UTF-8" },
	{ "\xc0\xaf" "x", 400, "UTF-8" },
	{ "\xed\xa0\x80" "x", 400, "UTF-8" },
	{ "line one\r\nline two", 200, "line one<br>line two" },
	{ "up\ndown", 200, "up<br>down" },
	{ "col\tumn", 200, "col umn" },
	{ "car\rriage", 200, "carriage" },
	{ "nb\xc2\xa0sp", 200, "nb\xc2\xa0sp" },	/* U+00A0: no control */
	{ "<i>&amp;", 200, "&lt;i&gt;&amp;amp;" },
};

START_TEST(message_rules)
{
	struct server s;
	struct stream w;
	struct reply r;
	char sw[SID_BYTES], sid[SID_BYTES], name[16], want[128];
	size_t i;

	srv_start(&s, NULL);
	login(s.port, "watcher", NULL, sw);
	open_stream(&w, s.port, sw);
	for (i = 0; i < sizeof messages / sizeof messages[0]; i++) {
		if (i % 4 == 0) {
			snprintf(name, sizeof name, "sender%d", (int)i);
			login(s.port, name, NULL, sid);
		}
		post(s.port, sid, messages[i].text, NULL, &r);
		ck_assert_msg(r.status == messages[i].status, "\"%s\": %d",
		    enc(messages[i].text), r.status);
		if (r.status == 200) {
			snprintf(want, sizeof want,
			    "<bdi class=\"tx\">%s</bdi>", messages[i].seen);
			ck_assert_msg(stream_wait(&w, want, WAIT_MS), "%s",
			    want);
		} else {
			/* The talk frame says why. */
			ck_assert_ptr_nonnull(strstr(r.body,
			    "class=\"error\""));
			ck_assert_msg(strstr(r.body, messages[i].seen) != NULL,
			    "no reason for \"%s\"", enc(messages[i].text));
		}
		reply_free(&r);
	}
	ck_assert_int_eq(cl_say(s.port, sid, "a%00b"), 400);
	say(s.port, sw, "the end");
	ck_assert(stream_wait(&w, "the end", WAIT_MS));
	ck_assert_ptr_null(strstr(w.data, "\r\nline two"));
	ck_assert_ptr_null(memchr(w.data, '\x01', w.len));
	ck_assert_ptr_null(memchr(w.data, '\x1b', w.len));
	ck_assert_ptr_null(memchr(w.data, '\xff', w.len));
	ck_assert_ptr_null(strstr(w.data, "\xc2\x85"));
	stream_close(&w);
	srv_stop_clean(&s);
}
END_TEST

static const struct {
	const char	*unit;
	int		 count;
	int		 status;
} lengths[] = {
	{ "x", 300, 200 },
	{ "y", 301, 400 },
	{ "\xc3\xa9", 300, 200 },			/* 2 bytes each */
	{ "\xc3\xa8", 301, 400 },
	{ "\xe2\x82\xac", 300, 200 },			/* 3 */
	{ "\xf0\x9f\x98\x80", 300, 200 },		/* 4 */
	{ "\xf0\x9f\x98\x81", 301, 400 },
};

START_TEST(message_length_counts_code_points)
{
	struct server s;
	struct stream w;
	struct reply r;
	char sw[SID_BYTES], sid[SID_BYTES], name[16], text[1400], want[1500];
	size_t i;

	srv_start(&s, NULL);
	login(s.port, "watcher", NULL, sw);
	open_stream(&w, s.port, sw);
	for (i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		snprintf(name, sizeof name, "sender%d", (int)i);
		login(s.port, name, NULL, sid);
		snprintf(text, sizeof text, "%s", repeat(lengths[i].unit,
		    lengths[i].count));
		post(s.port, sid, text, NULL, &r);
		ck_assert_msg(r.status == lengths[i].status, "%d x %s: %d",
		    lengths[i].count, enc(lengths[i].unit), r.status);
		if (r.status == 400)
			ck_assert_ptr_nonnull(strstr(r.body, "too long"));
		reply_free(&r);
		snprintf(want, sizeof want, "<bdi class=\"tx\">%s</bdi>", text);
		if (lengths[i].status == 200)
			ck_assert(stream_wait(&w, want, WAIT_MS));
	}
	/* A dropped CR does not count. */
	snprintf(text, sizeof text, "%s\r", repeat("z", 300));
	say(s.port, sid, text);
	say(s.port, sw, "the end");
	ck_assert(stream_wait(&w, "the end", WAIT_MS));
	ck_assert_ptr_null(strstr(w.data, repeat("y", 301)));
	ck_assert_ptr_null(strstr(w.data, repeat("\xc3\xa8", 301)));
	ck_assert_ptr_nonnull(strstr(w.data, repeat("z", 300)));
	stream_close(&w);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(message_limit_follows_m)
{
	struct server s;
	char sid[SID_BYTES];

	srv_start(&s, "-m", "5", NULL);
	login(s.port, "alice", NULL, sid);
	ck_assert_int_eq(cl_say(s.port, sid, "12345"), 200);
	ck_assert_int_eq(cl_say(s.port, sid, enc(repeat("\xc3\xa9", 5))), 200);
	ck_assert_int_eq(cl_say(s.port, sid, "123456"), 400);
	ck_assert_int_eq(cl_say(s.port, sid, enc(repeat("\xc3\xa9", 6))), 400);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(rate_limit_bursts_then_waits)
{
	struct server s;
	struct stream w;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES], text[32];
	long long t0;
	int i;

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	open_stream(&w, s.port, sb);
	t0 = itest_now();
	for (i = 1; i <= 5; i++) {
		snprintf(text, sizeof text, "burst%d", i);
		ck_assert_int_eq(cl_say(s.port, sa, text), 200);
	}
	ck_assert_int_eq(post(s.port, sa, "burst6", NULL, &r), 429);
	ck_assert_ptr_nonnull(strstr(r.body, "too fast"));
	ck_assert_ptr_nonnull(strstr(r.body, "value=\"burst6\""));
	reply_free(&r);
	/* Others are not held back. */
	ck_assert_int_eq(cl_say(s.port, sb, "bob+is+free"), 200);
	ck_assert(itest_now() - t0 < 900);
	/* About a second later one more may go, and only one. */
	poll(NULL, 0, (int)(1150 - (itest_now() - t0)));
	ck_assert_int_eq(cl_say(s.port, sa, "later"), 200);
	ck_assert_int_eq(cl_say(s.port, sa, "too+soon"), 429);
	ck_assert(stream_wait(&w, "bob is free", WAIT_MS));
	ck_assert(stream_wait(&w, ">later<", WAIT_MS));
	ck_assert_int_eq(stream_count(&w, "burst6"), 0);
	ck_assert_int_eq(stream_count(&w, "too soon"), 0);
	ck_assert_int_eq(stream_count(&w, "burst"), 5);
	stream_close(&w);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(rate_limit_counts_refusals_and_commands)
{
	struct server s;
	struct reply r;
	char sa[SID_BYTES], sb[SID_BYTES];
	int i;

	srv_start(&s, NULL);
	login(s.port, "alice", NULL, sa);
	login(s.port, "bob", NULL, sb);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(cl_say(s.port, sa, ""), 400);
	ck_assert_int_eq(cl_say(s.port, sa, "now+real"), 429);
	ck_assert_int_eq(cl_say(s.port, sb, "%2Fwho"), 200);
	ck_assert_int_eq(cl_say(s.port, sb, "%2Fnope"), 200);
	ck_assert_int_eq(cl_say(s.port, sb, "%2Faway"), 200);
	ck_assert_int_eq(cl_say(s.port, sb, "%2Fback"), 200);
	ck_assert_int_eq(cl_say(s.port, sb, "%2Frooms"), 200);
	ck_assert_int_eq(post(s.port, sb, "/who", NULL, &r), 429);
	ck_assert_ptr_nonnull(strstr(r.body, "too fast"));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/* ---- operators' answers ------------------------------------------------- */

START_TEST(whois_shows_address_to_operators)
{
	struct server s;
	struct stream a, b;
	char sa[SID_BYTES], sb[SID_BYTES];

	srv_start(&s, NULL);
	login(s.port, "alice", "kitchen", sa);
	login(s.port, "bob", "kitchen", sb);
	open_stream(&a, s.port, sa);
	open_stream(&b, s.port, sb);
	say(s.port, sa, "/whois bob");
	ck_assert(stream_wait(&a, "bob: guest in kitchen, idle 0m0", WAIT_MS));
	ck_assert(stream_wait(&a, ", from 127.0.0.1", WAIT_MS));
	say(s.port, sb, "/whois alice");
	ck_assert(stream_wait(&b, "alice: guest in kitchen", WAIT_MS));
	say(s.port, sb, "sync");
	ck_assert(stream_wait(&b, ">sync<", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "127.0.0.1"), 0);
	/* One line, the address in it. */
	ck_assert_int_eq(stream_count(&a, "<div class=\"ev notice\""), 1);
	ck_assert_int_gt(at(&a, ", from 127.0.0.1"), at(&a, "bob: guest"));
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_rooms_suite(void)
{
	Suite *s = suite_create("itest_rooms");
	TCase *rooms = tcase_create("rooms");
	TCase *cmds = tcase_create("commands");
	TCase *limits = tcase_create("limits");

	tcase_set_timeout(rooms, 30);
	tcase_add_checked_fixture(rooms, NULL, itest_scratch_remove);
	tcase_add_test(rooms, login_into_named_room);
	tcase_add_test(rooms, invalid_room_is_refused);
	tcase_add_test(rooms, join_switches_the_stream);
	tcase_add_test(rooms, rooms_and_who_list_people);
	tcase_add_test(rooms, topic_is_for_operators);
	tcase_add_test(rooms, operator_status_stays_with_its_owner);
	tcase_add_test(rooms, admin_is_operator_in_the_lobby);
	tcase_add_test(rooms, rooms_do_not_leak);
	tcase_add_test(rooms, empty_room_vanishes);
	tcase_add_test(rooms, random_pairs_strangers);
	tcase_add_test(rooms, random_pair_stays_private);
	suite_add_tcase(s, rooms);

	tcase_set_timeout(cmds, 30);
	tcase_add_checked_fixture(cmds, NULL, itest_scratch_remove);
	tcase_add_test(cmds, me_is_an_action);
	tcase_add_test(cmds, msg_whispers_to_one);
	tcase_add_test(cmds, msg_reaches_another_room);
	tcase_add_test(cmds, whisper_through_the_to_field);
	tcase_add_test(cmds, whisper_targets_in_a_crowd);
	tcase_add_test(cmds, whispers_stay_with_their_people);
	tcase_add_test(cmds, ignore_and_unignore);
	tcase_add_test(cmds, color_changes);
	tcase_add_test(cmds, away_and_back);
	tcase_add_test(cmds, nick_changes);
	tcase_add_test(cmds, quit_says_goodbye);
	tcase_add_test(cmds, slashes_and_unknown_commands);
	tcase_add_test(cmds, mentions_mark_the_named);
	tcase_add_test(cmds, names_frame);
	tcase_add_test(cmds, talk_frame);
	tcase_add_test(cmds, whois_shows_address_to_operators);
	suite_add_tcase(s, cmds);

	tcase_set_timeout(limits, 30);
	tcase_add_checked_fixture(limits, NULL, itest_scratch_remove);
	tcase_add_test(limits, name_limits);
	tcase_add_test(limits, names_are_unique_in_any_case);
	tcase_add_test(limits, message_rules);
	tcase_add_test(limits, message_length_counts_code_points);
	tcase_add_test(limits, message_limit_follows_m);
	tcase_add_test(limits, rate_limit_bursts_then_waits);
	tcase_add_test(limits, rate_limit_counts_refusals_and_commands);
	suite_add_tcase(s, limits);
	return s;
}
