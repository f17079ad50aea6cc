/* itest_cluster.c: rooms shared by chatd instances through a Redis of the test's own (-R). */
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "suites.h"

#ifdef CHATD_REDIS
#define WAIT_MS		5000

/* Redis, and chatd instances 01, 02 (and 03) on it. */
struct cluster {
	struct redis	 rd;
	char		 addr[32];
	struct server	 srv[3];
	int		 n;
};

#define TOKEN		"cluster-token-for-tests"

/* Starts Redis and n instances; with tokens, each takes -T TOKEN. */
static void
up(struct cluster *c, int n, int tokens)
{
	char id[16], dir[256], path[300];
	FILE *f;
	int i;

	rds_start(&c->rd);
	snprintf(c->addr, sizeof c->addr, "127.0.0.1:%d", c->rd.port);
	c->n = n;
	itest_scratch(dir, sizeof dir, "tok");
	snprintf(path, sizeof path, "%s/tokens", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(TOKEN "\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "%02d", i + 1);
		if (tokens)
			srv_start(&c->srv[i], "-R", c->addr, "-N", id, "-g",
			    "2", "-L", "@DIR@/transcript", "-T", path, NULL);
		else
			srv_start(&c->srv[i], "-R", c->addr, "-N", id, "-g",
			    "2", "-L", "@DIR@/transcript", NULL);
	}
	for (i = 0; i < n; i++)
		ck_assert_msg(srv_logged(&c->srv[i], "redis: connected to",
		    WAIT_MS), "instance %d did not connect", i + 1);
}

static void
down(struct cluster *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		srv_stop_clean(&c->srv[i]);
	rds_stop(&c->rd);
}

/* The number of the event whose line holds text ("" if none). */
static unsigned long long
event_id(const struct stream *st, const char *text)
{
	const char *p, *q, *id = NULL;

	if ((p = strstr(st->data, text)) == NULL)
		return 0;
	for (q = st->data; (q = strstr(q, " id=\"e")) != NULL && q < p; q++)
		id = q;
	return id != NULL ? strtoull(id + 6, NULL, 10) : 0;
}

/* A logged-in user with an open chat frame on one instance. */
static const char *
user(struct server *s, struct stream *st, const char *form)
{
	const char *sid;
	int status;

	sid = cl_login(s->port, form, &status);
	ck_assert_msg(sid != NULL, "login %s: %d", form, status);
	ck_assert_int_eq(stream_open(st, s->port, sid, NULL), 200);
	return sid;
}

START_TEST(a_message_crosses_with_one_number)
{
	struct cluster c;
	struct stream a, b;
	const char *sa;
	unsigned long long ia, ib;

	up(&c, 2, 0);
	sa = user(&c.srv[0], &a, "name=alice&room=hall");
	user(&c.srv[1], &b, "name=bob&room=hall");
	/* Each sees the other's join, from the other instance. */
	ck_assert(stream_wait(&a, "bob</bdi></span> joined hall", WAIT_MS));
	ck_assert(stream_wait(&b, "alice</bdi></span> joined hall", WAIT_MS) ||
	    stream_wait(&b, "alice", 10));
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "hello+across"), 200);
	ck_assert(stream_wait(&a, "hello across", WAIT_MS));
	ck_assert(stream_wait(&b, "hello across", WAIT_MS));
	ia = event_id(&a, "hello across");
	ib = event_id(&b, "hello across");
	ck_assert(ia != 0);
	ck_assert_msg(ia == ib, "%llu on 01, %llu on 02", ia, ib);
	ck_assert_int_eq(stream_count(&a, "hello across"), 1);
	ck_assert_int_eq(stream_count(&b, "hello across"), 1);
	stream_close(&a);
	stream_close(&b);
	down(&c);
}
END_TEST

/* Entries no chatd wrote are refused, logged, and read past. */
START_TEST(bad_entries_are_skipped)
{
	struct cluster c;
	struct stream a, b;
	const char *sa;
	char out[128];

	up(&c, 2, 0);
	sa = user(&c.srv[0], &a, "name=alice&room=junk");
	user(&c.srv[1], &b, "name=bob&room=junk");
	ck_assert(stream_wait(&a, "bob</bdi></span> joined junk", WAIT_MS));
	ck_assert_int_eq(rds_command(c.rd.port, "XADD chatd:room:junk * o zz "
	    "k msg f mallory x m-forged s 1", out, sizeof out), 0);
	ck_assert_int_eq(rds_command(c.rd.port, "XADD chatd:room:junk * k "
	    "nonsense", out, sizeof out), 0);
	ck_assert(srv_logged(&c.srv[1], "refused", WAIT_MS));
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "m-after"), 200);
	ck_assert(stream_wait(&a, ">m-after<", WAIT_MS));
	ck_assert(stream_wait(&b, ">m-after<", WAIT_MS));
	ck_assert_int_eq(stream_count(&b, "m-forged"), 0);
	ck_assert_int_eq(stream_count(&a, "m-forged"), 0);
	stream_close(&a);
	stream_close(&b);
	down(&c);
}
END_TEST

/* The texts "m-..." of a stream in the order they came, joined by spaces. */
static void
order(const struct stream *st, char *out, size_t size)
{
	const char *p = st->data, *q;
	size_t len = 0;

	*out = '\0';
	while ((p = strstr(p, ">m-")) != NULL) {
		p++;
		for (q = p; *q != '<' && *q != '\0'; q++)
			;
		len += (size_t)snprintf(out + len, size - len, "%.*s ",
		    (int)(q - p), p);
		ck_assert(len < size);
		p = q;
	}
}

START_TEST(one_order_per_room)
{
	struct cluster c;
	struct stream a, b;
	const char *sa, *sb;
	char oa[512], ob[512], text[16];
	int i;

	up(&c, 2, 0);
	sa = user(&c.srv[0], &a, "name=alice&room=order");
	sb = user(&c.srv[1], &b, "name=bob&room=order");
	ck_assert(stream_wait(&a, "bob</bdi></span> joined order", WAIT_MS));
	/* Both post at once, interleaved: Redis orders them. */
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof text, "m-a%d", i);
		ck_assert_int_eq(cl_say(c.srv[0].port, sa, text), 200);
		snprintf(text, sizeof text, "m-b%d", i);
		ck_assert_int_eq(cl_say(c.srv[1].port, sb, text), 200);
	}
	ck_assert(stream_wait(&a, ">m-a4<", WAIT_MS));
	ck_assert(stream_wait(&a, ">m-b4<", WAIT_MS));
	ck_assert(stream_wait(&b, ">m-a4<", WAIT_MS));
	ck_assert(stream_wait(&b, ">m-b4<", WAIT_MS));
	order(&a, oa, sizeof oa);
	order(&b, ob, sizeof ob);
	ck_assert_msg(strcmp(oa, ob) == 0, "01: %s\n02: %s", oa, ob);
	ck_assert(event_id(&a, ">m-b4<") == event_id(&b, ">m-b4<"));
	ck_assert(event_id(&a, ">m-a0<") < event_id(&a, ">m-a1<"));
	stream_close(&a);
	stream_close(&b);
	down(&c);
}
END_TEST

START_TEST(since_replays_on_the_other_instance)
{
	struct cluster c;
	struct stream a, b, b2;
	const char *sa, *sb;
	char since[32];
	unsigned long long first;

	up(&c, 2, 0);
	sa = user(&c.srv[0], &a, "name=alice&room=replay");
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "m-one"), 200);
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "m-two"), 200);
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "m-three"), 200);
	ck_assert(stream_wait(&a, ">m-three<", WAIT_MS));
	first = event_id(&a, ">m-one<");
	/* A room new to 02: its history comes from Redis. */
	sb = user(&c.srv[1], &b, "name=bob&room=replay");
	ck_assert(stream_wait(&b, ">m-three<", WAIT_MS));
	ck_assert(event_id(&b, ">m-one<") == first);
	ck_assert(event_id(&b, ">m-three<") == event_id(&a, ">m-three<"));
	/* since= the first: the two after it, not the first again. */
	snprintf(since, sizeof since, "%llu", first);
	ck_assert_int_eq(stream_open(&b2, c.srv[1].port, sb, since), 200);
	ck_assert(stream_wait(&b2, ">m-three<", WAIT_MS));
	ck_assert_int_eq(stream_count(&b2, ">m-two<"), 1);
	ck_assert_int_eq(stream_count(&b2, ">m-one<"), 0);
	ck_assert_int_eq(stream_count(&b2, "were missed"), 0);
	stream_close(&a);
	stream_close(&b);
	stream_close(&b2);
	down(&c);
}
END_TEST

START_TEST(publish_answers_the_shared_number)
{
	struct cluster c;
	struct stream a, b;
	struct reply r;
	char req[512];
	const char *form = "room=news&text=m-published&from=feed";
	unsigned long long id;

	up(&c, 2, 1);
	user(&c.srv[0], &a, "name=alice&room=news");
	user(&c.srv[1], &b, "name=bob&room=news");
	ck_assert(stream_wait(&a, "bob</bdi></span> joined news", WAIT_MS));
	snprintf(req, sizeof req, "POST /api/publish HTTP/1.0\r\n"
	    "Authorization: Bearer " TOKEN "\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(form), form);
	cl_raw(c.srv[1].port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(sscanf(r.body, "{\"id\":%llu}", &id) == 1, "%s",
	    r.body);
	reply_free(&r);
	ck_assert(stream_wait(&a, ">m-published<", WAIT_MS));
	ck_assert(stream_wait(&b, ">m-published<", WAIT_MS));
	ck_assert(event_id(&a, ">m-published<") == id);
	ck_assert(event_id(&b, ">m-published<") == id);
	stream_close(&a);
	stream_close(&b);
	down(&c);
}
END_TEST

/* Lines of a server's transcript that hold text. */
static int
lines(const struct server *s, const char *text)
{
	char path[300], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/transcript", s->dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

START_TEST(kick_and_whisper_across_instances)
{
	struct cluster c;
	struct stream a, b;
	const char *sa, *sb;
	struct reply r;
	char where[64];
	long long until;
	int gone = 0;

	up(&c, 2, 0);
	/* alice makes the room on 01: she is its operator everywhere. */
	sa = user(&c.srv[0], &a, "name=alice&room=kicks");
	sb = user(&c.srv[1], &b, "name=bob&room=kicks");
	ck_assert(stream_wait(&a, "bob</bdi></span> joined kicks", WAIT_MS));
	/* Presence learns where bob is within a round or two. */
	for (until = itest_now() + WAIT_MS; itest_now() < until &&
	    !stream_wait(&b, ">m-psst<", 300); )
		ck_assert_int_eq(cl_say(c.srv[0].port, sa,
		    "%2Fmsg+bob+m-psst"), 200);
	ck_assert(stream_wait(&b, ">m-psst<", 10));
	ck_assert(stream_wait(&a, ">m-psst<", WAIT_MS));
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "%2Fkick+bob+m-out"), 200);
	ck_assert(stream_wait(&b, "m-out", WAIT_MS));
	gone = stream_wait_eof(&b, WAIT_MS);
	ck_assert(gone);
	ck_assert(stream_wait(&a, "m-out", WAIT_MS));
	snprintf(where, sizeof where, "/room?sid=%s", sb);
	cl_get(c.srv[1].port, where, &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	ck_assert(srv_logged(&c.srv[1], "bob was kicked from kicks by alice",
	    WAIT_MS));
	/* One transcript line, written by the instance that took the kick. */
	ck_assert_int_eq(lines(&c.srv[0], "\tkicks\talice\tkick\tbob: m-out"),
	    1);
	ck_assert_int_eq(lines(&c.srv[1], "\tkick\t"), 0);
	ck_assert_int_eq(lines(&c.srv[0], "\tmsg\t"), 0);	/* whispers */
	stream_close(&a);
	stream_close(&b);
	down(&c);
}
END_TEST

/* 1 if a status page (asked from the loopback address) holds text. */
static int
status_has(const struct server *s, const char *path, const char *text)
{
	struct reply r;
	int found;

	cl_get(s->port, path, &r);
	found = r.status == 200 && strstr(r.body, text) != NULL;
	if (!found)
		fprintf(stderr, "%s: %s\n", path, r.body);
	reply_free(&r);
	return found;
}

/* Says it, waiting out the rate limit (a token a second). */
static int
say_soon(const struct server *s, const char *sid, const char *message)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	long long until = itest_now() + WAIT_MS;
	int status;

	while ((status = cl_say(s->port, sid, message)) == 429 &&
	    itest_now() < until)
		nanosleep(&pause, NULL);
	return status;
}

/* 1 if Redis answers the command with a line that begins with want, soon. */
static int
redis_has(struct cluster *c, const char *command, const char *want)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	long long until = itest_now() + WAIT_MS;
	char out[256];

	do {
		if (rds_command(c->rd.port, command, out, sizeof out) == 0 &&
		    strncmp(out, want, strlen(want)) == 0)
			return 1;
		nanosleep(&pause, NULL);
	} while (itest_now() < until);
	return 0;
}

START_TEST(bans_topics_and_operators_across_instances)
{
	struct cluster c;
	struct stream a, b, d, e;
	const char *sa, *sb, *sd;
	long long until;
	int status, gone = 0;

	up(&c, 2, 0);
	sa = user(&c.srv[0], &a, "name=alice&room=bans");
	sb = user(&c.srv[1], &b, "name=bob&room=bans");
	sd = user(&c.srv[1], &d, "name=dora&room=bans");
	ck_assert(stream_wait(&a, "dora</bdi></span> joined bans", WAIT_MS));
	/* The room was alice's first: nobody on 02 is its operator. */
	ck_assert_int_eq(cl_say(c.srv[1].port, sb, "%2Ftopic+m-mine"), 200);
	ck_assert(stream_wait(&b, "Only operators of bans", WAIT_MS));
	/* Her topic holds on every instance. */
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "%2Ftopic+m-topic"), 200);
	ck_assert(stream_wait(&d, "m-topic", WAIT_MS));
	ck_assert_int_eq(cl_say(c.srv[1].port, sd, "%2Ftopic"), 200);
	ck_assert(stream_wait(&d, "The topic of bans is: m-topic", WAIT_MS));
	/* A ban from 01 ends bob's session on 02 and keeps him out there. */
	for (until = itest_now() + WAIT_MS; !gone && itest_now() < until; ) {
		ck_assert_int_eq(cl_say(c.srv[0].port, sa, "%2Fban+bob+5"),
		    200);
		gone = stream_wait_eof(&b, 500);
	}
	ck_assert(gone);
	ck_assert(stream_wait(&d, "banned", WAIT_MS));
	ck_assert_ptr_null(cl_login(c.srv[1].port, "name=bob&room=bans",
	    &status));
	ck_assert_int_eq(status, 403);
	ck_assert_ptr_nonnull(cl_login(c.srv[1].port, "name=bob&room=other",
	    &status));
	/* Operators given and taken are in Redis, for rooms loaded later. */
	ck_assert(redis_has(&c, "SISMEMBER chatd:ops:bans alice", ":1"));
	ck_assert(redis_has(&c, "SISMEMBER chatd:ops:bans dora", ":0"));
	user(&c.srv[0], &e, "name=erin&room=bans");
	ck_assert(stream_wait(&a, "erin</bdi></span> joined bans", WAIT_MS));
	ck_assert_int_eq(say_soon(&c.srv[0], sa, "%2Fop+erin"), 200);
	ck_assert(redis_has(&c, "SISMEMBER chatd:ops:bans erin", ":1"));
	ck_assert_int_eq(say_soon(&c.srv[0], sa, "%2Fdeop+erin"), 200);
	ck_assert(redis_has(&c, "SISMEMBER chatd:ops:bans erin", ":0"));
	stream_close(&e);
	stream_close(&a);
	stream_close(&b);
	stream_close(&d);
	down(&c);
}
END_TEST

/* carol on 03 moves through rooms of 01 and 02: each is followed in turn. */
START_TEST(three_instances_and_moving_rooms)
{
	struct cluster c;
	struct stream a, b, d;
	const char *sa, *sb, *sd;

	up(&c, 3, 0);
	sa = user(&c.srv[0], &a, "name=alice&room=zeta");
	sb = user(&c.srv[1], &b, "name=bob&room=alpha");
	sd = user(&c.srv[2], &d, "name=carol&room=mid");
	ck_assert(strncmp(sd, "03", 2) == 0);
	ck_assert_int_eq(cl_say(c.srv[2].port, sd, "%2Fjoin+alpha"), 200);
	ck_assert(stream_wait(&b, "carol</bdi></span> joined alpha", WAIT_MS));
	ck_assert_int_eq(cl_say(c.srv[1].port, sb, "m-in-alpha"), 200);
	ck_assert(stream_wait(&d, ">m-in-alpha<", WAIT_MS));
	ck_assert(stream_wait(&b, ">m-in-alpha<", WAIT_MS));
	ck_assert(event_id(&b, ">m-in-alpha<") ==
	    event_id(&d, ">m-in-alpha<"));
	ck_assert_int_eq(cl_say(c.srv[2].port, sd, "%2Fjoin+zeta"), 200);
	ck_assert(stream_wait(&a, "carol</bdi></span> joined zeta", WAIT_MS));
	ck_assert(stream_wait(&b, "carol</bdi></span> left alpha", WAIT_MS));
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "m-in-zeta"), 200);
	ck_assert_int_eq(cl_say(c.srv[1].port, sb, "m-still-alpha"), 200);
	ck_assert(stream_wait(&d, ">m-in-zeta<", WAIT_MS));
	ck_assert(stream_wait(&a, ">m-in-zeta<", WAIT_MS));
	ck_assert(event_id(&a, ">m-in-zeta<") == event_id(&d, ">m-in-zeta<"));
	ck_assert(stream_wait(&b, ">m-still-alpha<", WAIT_MS));
	ck_assert(!stream_wait(&d, ">m-still-alpha<", 300));
	stream_close(&a);
	stream_close(&b);
	stream_close(&d);
	down(&c);
}
END_TEST

START_TEST(redis_going_away_and_back)
{
	struct cluster c;
	struct stream a, b;
	const char *sa, *sb;
	long long until;
	int port, back = 0;
	char text[32];

	up(&c, 2, 0);
	ck_assert(strncmp(sa = user(&c.srv[0], &a, "name=alice&room=outage"),
	    "01", 2) == 0);
	ck_assert(strncmp(sb = user(&c.srv[1], &b, "name=bob&room=outage"),
	    "02", 2) == 0);
	ck_assert(stream_wait(&a, "bob</bdi></span> joined outage", WAIT_MS));
	port = c.rd.port;
	rds_stop(&c.rd);
	ck_assert(srv_logged(&c.srv[0], "chatting locally", 10000));
	ck_assert(srv_logged(&c.srv[1], "chatting locally", 10000));
	ck_assert(status_has(&c.srv[0], "/status.json", "\"up\":false"));
	ck_assert(status_has(&c.srv[0], "/metrics", "chatd_redis_up{address="
	    "\"127.0.0.1:"));
	ck_assert(status_has(&c.srv[0], "/status", "down: chatting locally"));
	/* Each instance's own people chat on; nothing crosses. */
	ck_assert_int_eq(cl_say(c.srv[0].port, sa, "m-local-a"), 200);
	ck_assert_int_eq(cl_say(c.srv[1].port, sb, "m-local-b"), 200);
	ck_assert(stream_wait(&a, ">m-local-a<", WAIT_MS));
	ck_assert(stream_wait(&b, ">m-local-b<", WAIT_MS));
	ck_assert_int_eq(stream_count(&a, ">m-local-b<"), 0);
	ck_assert_int_eq(stream_count(&b, ">m-local-a<"), 0);
	/* Redis again, on the same port, empty: sharing resumes. */
	rds_start_port(&c.rd, port);
	ck_assert(srv_logged(&c.srv[0], "is back", 30000));
	ck_assert(srv_logged(&c.srv[1], "is back", 30000));
	ck_assert(status_has(&c.srv[1], "/status.json", "\"up\":true"));
	ck_assert(status_has(&c.srv[1], "/status.json", "\"outages\":1"));
	ck_assert(status_has(&c.srv[1], "/metrics",
	    "chatd_redis_outages_total 1\n"));
	for (until = itest_now() + 30000; !back && itest_now() < until; ) {
		snprintf(text, sizeof text, "m-again%lld", itest_now());
		ck_assert_int_eq(cl_say(c.srv[0].port, sa, text), 200);
		back = stream_wait(&b, text, 1000);
	}
	ck_assert(back);
	ck_assert(stream_wait(&a, text, WAIT_MS));
	ck_assert(event_id(&a, text) == event_id(&b, text));
	/* Numbers still increase on each side, past the local ones. */
	ck_assert(event_id(&b, text) > event_id(&b, ">m-local-b<"));
	ck_assert(event_id(&a, text) > event_id(&a, ">m-local-a<"));
	stream_close(&a);
	stream_close(&b);
	down(&c);
}
END_TEST

Suite *
itest_cluster_suite(void)
{
	Suite *s = suite_create("itest_cluster");
	TCase *tc = tcase_create("cluster");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, a_message_crosses_with_one_number);
	tcase_add_test(tc, one_order_per_room);
	tcase_add_test(tc, bad_entries_are_skipped);
	tcase_add_test(tc, since_replays_on_the_other_instance);
	tcase_add_test(tc, publish_answers_the_shared_number);
	tcase_add_test(tc, kick_and_whisper_across_instances);
	tcase_add_test(tc, bans_topics_and_operators_across_instances);
	tcase_add_test(tc, three_instances_and_moving_rooms);
	tcase_add_test(tc, redis_going_away_and_back);
	suite_add_tcase(s, tc);
	return s;
}
#else
/* Built without Redis (make REDIS=0): the suite is not registered. */
typedef int itest_cluster_not_built;
#endif
