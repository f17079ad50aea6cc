/* itest_presence.c: presence across instances (-R): unique names, everyone's names lists, dead instances, outages. */
#include "config.h"

#ifdef CHATD_REDIS
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "presence.h"
#include "suites.h"

#define GRACE_S		2	/* -g of every instance here */
#define FOLLOW_MS	3000	/* names lists follow within this */
#define SID_BYTES	33

static char	 redis_addr[32];

/* Starts Redis and n chatd instances numbered 01, 02, ... on it. */
static void
cluster(struct redis *rds, struct server *s, int n)
{
	char num[12], grace[12];
	int i;

	rds_start(rds);
	snprintf(redis_addr, sizeof redis_addr, "127.0.0.1:%d", rds->port);
	snprintf(grace, sizeof grace, "%d", GRACE_S);
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%02d", i + 1);
		srv_start(&s[i], "-R", redis_addr, "-N", num, "-g", grace,
		    "-L", "@DIR@/transcript", NULL);
	}
	for (i = 0; i < n; i++)
		ck_assert_msg(srv_logged(&s[i], "redis: connected", 5000),
		    "instance %d never reached Redis", i + 1);
}

/*
 * Stops them in the reverse order: each keeper holds the pipes of those
 * started before it, so the first one's stop waits for the later ones.
 * One killed already counts as stopped.
 */
static void
stop_all(struct redis *rds, struct server *s, int n)
{
	int status;

	while (n-- > 0) {
		status = srv_stop(&s[n]);
		ck_assert_msg((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
		    (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
		    "instance %d exited with status %d", n + 1, status);
	}
	rds_stop(rds);
}

static void
pause_ms(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

/* Logs in, keeping the sid; fails the test unless the login succeeds. */
static void
login(int port, const char *form, char *sid)
{
	const char *p;
	int status;

	p = cl_login(port, form, &status);
	ck_assert_msg(p != NULL, "%s: status %d", form, status);
	snprintf(sid, SID_BYTES, "%s", p);
}

/* 1 if the page at target holds text within ms (0: look once). */
static int
page_has(int port, const char *target, const char *text, int ms)
{
	long long until = itest_now() + ms;
	struct reply r;
	int found;

	for (;;) {
		cl_get(port, target, &r);
		found = r.body != NULL && strstr(r.body, text) != NULL;
		reply_free(&r);
		if (found || itest_now() >= until)
			return found;
		pause_ms(50);
	}
}

/* The names frame of a session. */
static const char *
names_of(const char *sid)
{
	static char target[64];

	snprintf(target, sizeof target, "/names?sid=%s", sid);
	return target;
}

/* How many times text occurs in a file. */
static int
count_in(const char *path, const char *text)
{
	char buf[65536], *p;
	FILE *f;
	size_t n;
	int count = 0;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, text)) != NULL; p += strlen(text))
		count++;
	return count;
}

static int
decode(const char *v, struct presence_person *p)
{
	return presence_decode(v, strlen(v), p);
}

START_TEST(people_values_encode_and_decode)
{
	struct presence_person p;
	char v[PRESENCE_VALUE_BYTES];

	ck_assert_int_eq(presence_encode(v, sizeof v, 0x0a, "#b22222",
	    "Alice", NULL), 0);
	ck_assert_str_eq(v, "0a #b22222 Alice -");
	ck_assert_int_eq(presence_decode(v, strlen(v), &p), 0);
	ck_assert_int_eq(p.instance, 10);
	ck_assert_str_eq(p.name, "Alice");
	ck_assert_str_eq(p.key, "alice");
	ck_assert_str_eq(p.color, "#b22222");
	ck_assert_int_eq(p.away, 0);
	ck_assert_int_eq(presence_encode(v, sizeof v, 2, "red", "bob",
	    "gone for lunch"), 0);
	ck_assert_int_eq(presence_decode(v, strlen(v), &p), 0);
	ck_assert_int_eq(p.away, 1);
	ck_assert_str_eq(p.reason, "gone for lunch");
	/* Nothing a page could not show safely gets in. */
	ck_assert_int_eq(decode("01 red\" x -", &p), -1);
	ck_assert_int_eq(decode("01 red <b> -", &p), -1);
	ck_assert_int_eq(decode("zz red bob -", &p), -1);
	ck_assert_int_eq(decode("01 red bob", &p), -1);
	ck_assert_int_eq(decode("01 red bob ?", &p), -1);
}
END_TEST

START_TEST(a_name_is_unique_across_instances)
{
	struct redis rds;
	struct server s[2];
	char sid[SID_BYTES], target[64], answer[64];
	long long until;
	int status;

	cluster(&rds, s, 2);
	login(s[0].port, "name=alice", sid);
	/* Any case: names fold. */
	ck_assert_ptr_null(cl_login(s[1].port, "name=ALICE", &status));
	ck_assert_int_eq(status, 409);
	ck_assert_int_eq(rds_command(rds.port, "GET chatd:name:alice", answer,
	    sizeof answer), 0);
	ck_assert_int_ne(strncmp(answer, "$-1", 3), 0);
	/* /nick to a name held elsewhere is refused too. */
	{
		char bob[SID_BYTES];
		struct reply r;
		char body[128];

		login(s[1].port, "name=bob", bob);
		snprintf(body, sizeof body, "sid=%s&message=%%2Fnick+Alice",
		    bob);
		cl_post(s[1].port, "/dotalk", body, &r);
		ck_assert_ptr_nonnull(strstr(r.body, "in use"));
		reply_free(&r);
		ck_assert(page_has(s[1].port, names_of(bob), "<bdi>bob</bdi>",
		    0));
	}
	/*
	 * A registered name's owner logged in on one instance cannot take
	 * the session over from another: the holder keeps it (409).
	 */
	{
		struct reply r;

		/* Accounts live in Redis with -R: one registration is for all. */
		cl_post(s[0].port, "/register", "name=regina&passwd=pw", &r);
		ck_assert_int_eq(r.status, 200);
		reply_free(&r);
		ck_assert_ptr_nonnull(cl_login(s[0].port,
		    "name=regina&passwd=pw", NULL));
		/* Known over there once a wrong password is a 403. */
		for (until = itest_now() + FOLLOW_MS; itest_now() < until;
		    pause_ms(50))
			if (cl_login(s[1].port, "name=regina&passwd=no",
			    &status) == NULL && status == 403)
				break;
		ck_assert_int_eq(status, 403);
		cl_post(s[1].port, "/login", "name=regina&passwd=pw", &r);
		ck_assert_int_eq(r.status, 409);
		ck_assert_ptr_nonnull(strstr(r.body, "another server"));
		reply_free(&r);
	}
	/* After alice leaves, the name is free again. */
	snprintf(target, sizeof target, "/leave?sid=%s", sid);
	ck_assert(page_has(s[0].port, target, "", 0));
	/* The release may reach Redis a moment after the goodbye page. */
	for (until = itest_now() + 1000; itest_now() < until; pause_ms(20))
		if (cl_login(s[1].port, "name=alice", &status) != NULL)
			break;
	ck_assert_int_eq(status, 200);
	stop_all(&rds, s, 2);
}
END_TEST

START_TEST(names_lists_show_every_instance)
{
	struct redis rds;
	struct server s[2];
	char alice[SID_BYTES], bob[SID_BYTES], target[96], body[128];
	struct reply r;
	char *a, *b;

	cluster(&rds, s, 2);
	login(s[0].port, "name=alice", alice);
	login(s[1].port, "name=bob", bob);
	ck_assert(page_has(s[0].port, names_of(alice), "<bdi>bob</bdi>",
	    FOLLOW_MS));
	ck_assert(page_has(s[1].port, names_of(bob), "<bdi>alice</bdi>",
	    FOLLOW_MS));
	/* One list in name order, with both counted. */
	cl_get(s[1].port, names_of(bob), &r);
	ck_assert_ptr_nonnull(a = strstr(r.body, "<bdi>alice</bdi>"));
	ck_assert_ptr_nonnull(b = strstr(r.body, "<bdi>bob</bdi>"));
	ck_assert(a < b);
	reply_free(&r);
	snprintf(target, sizeof target, "/lite?sid=%s", alice);
	ck_assert(page_has(s[0].port, target, "<bdi>bob</bdi>", 0));
	snprintf(target, sizeof target, "/api/names?sid=%s", alice);
	ck_assert(page_has(s[0].port, target, "\"name\":\"bob\"", 0));
	ck_assert(page_has(s[0].port, "/api/rooms", "\"users\":2", 0));
	/* A room only the other instance has is listed too. */
	ck_assert_ptr_nonnull(cl_login(s[1].port, "name=carol&room=elsewhere",
	    NULL));
	ck_assert(page_has(s[0].port, "/api/rooms", "{\"name\":\"elsewhere\","
	    "\"users\":1", FOLLOW_MS));
	ck_assert(page_has(s[0].port, "/", "/?room=elsewhere", 0));
	/* Away marks travel; /whois answers without the address. */
	snprintf(body, sizeof body, "sid=%s&message=%%2Faway+lunch", bob);
	cl_post(s[1].port, "/dotalk", body, &r);
	reply_free(&r);
	ck_assert(page_has(s[0].port, names_of(alice), "lunch", FOLLOW_MS));
	snprintf(body, sizeof body, "sid=%s&message=%%2Fwhois+bob", alice);
	cl_post(s[0].port, "/dotalk", body, &r);
	ck_assert_msg(strstr(r.body, "on server 02") != NULL, "%s", r.body);
	ck_assert_ptr_null(strstr(r.body, "from 127"));
	reply_free(&r);
	/* bob leaves: gone from alice's list too. */
	snprintf(target, sizeof target, "/leave?sid=%s", bob);
	ck_assert(page_has(s[1].port, target, "", 0));
	{
		long long until = itest_now() + FOLLOW_MS;

		while (page_has(s[0].port, names_of(alice), "<bdi>bob</bdi>",
		    0) && itest_now() < until)
			pause_ms(50);
		ck_assert(!page_has(s[0].port, names_of(alice),
		    "<bdi>bob</bdi>", 0));
	}
	stop_all(&rds, s, 2);
}
END_TEST

START_TEST(a_dead_instance_s_people_leave_once)
{
	struct redis rds;
	struct server s[3];
	char alice[SID_BYTES], bob[SID_BYTES], carol[SID_BYTES];
	char path[2][400];
	struct stream st;
	long long killed, gone = 0;
	int i, lines;

	cluster(&rds, s, 3);
	login(s[0].port, "name=alice", alice);
	login(s[1].port, "name=bob", bob);
	login(s[2].port, "name=carol", carol);
	ck_assert_int_eq(stream_open(&st, s[1].port, bob, NULL), 200);
	for (i = 1; i < 3; i++)
		ck_assert(page_has(s[i].port, names_of(i == 1 ? bob : carol),
		    "<bdi>alice</bdi>", FOLLOW_MS));
	kill(s[0].pid, SIGKILL);
	killed = itest_now();
	while (itest_now() - killed < 2 * GRACE_S * 1000 + 2000) {
		if (!page_has(s[1].port, names_of(bob), "<bdi>alice</bdi>", 0) &&
		    !page_has(s[2].port, names_of(carol), "<bdi>alice</bdi>",
		    0)) {
			gone = itest_now();
			break;
		}
		pause_ms(50);
	}
	ck_assert_msg(gone != 0, "alice is still listed");
	/* Within twice the grace, give or take a poll of the test's. */
	ck_assert_msg(gone - killed <= 2 * GRACE_S * 1000 + 300,
	    "alice left after %lld ms", gone - killed);
	/* The name is free again. */
	ck_assert_ptr_nonnull(cl_login(s[1].port, "name=alice", NULL));
	/* One leave in all, written once by the instance that announced it. */
	pause_ms(500);
	for (i = 0; i < 2; i++)
		snprintf(path[i], sizeof path[i], "%s/transcript", s[i + 1].dir);
	lines = count_in(path[0], "\talice\tleave\t") +
	    count_in(path[1], "\talice\tleave\t");
	ck_assert_int_eq(lines, 1);
	stream_wait(&st, "nothing", 200);
	ck_assert_int_le(stream_count(&st, "connection lost"), 1);
	stream_close(&st);
	stop_all(&rds, s, 3);
}
END_TEST

START_TEST(the_link_coming_back_asserts_everything_again)
{
	struct redis rds;
	struct server s[2];
	char alice[SID_BYTES], bob[SID_BYTES], answer[64];
	long long until;

	cluster(&rds, s, 2);
	login(s[0].port, "name=alice", alice);
	login(s[1].port, "name=bob", bob);
	ck_assert(page_has(s[1].port, names_of(bob), "<bdi>alice</bdi>",
	    FOLLOW_MS));
	/* Redis loses everything and drops every link. */
	ck_assert_int_eq(rds_command(rds.port, "FLUSHALL", answer,
	    sizeof answer), 0);
	ck_assert_int_eq(rds_command(rds.port, "CLIENT KILL TYPE normal",
	    answer, sizeof answer), 0);
	/* The lists come back: nothing but a new link writes them again. */
	for (until = itest_now() + 5000; itest_now() < until; pause_ms(50)) {
		rds_command(rds.port, "HGET chatd:people:lobby alice", answer,
		    sizeof answer);
		if (strncmp(answer, "$-1", 3) != 0)
			break;
	}
	ck_assert_int_ne(strncmp(answer, "$-1", 3), 0);
	rds_command(rds.port, "GET chatd:name:alice", answer, sizeof answer);
	ck_assert_int_ne(strncmp(answer, "$-1", 3), 0);
	rds_command(rds.port, "EXISTS chatd:live:01", answer, sizeof answer);
	ck_assert_int_eq(strncmp(answer, ":1", 2), 0);
	ck_assert(page_has(s[1].port, names_of(bob), "<bdi>alice</bdi>",
	    FOLLOW_MS));
	/* The name is claimed again: nobody else can take it. */
	ck_assert_ptr_null(cl_login(s[1].port, "name=alice", NULL));
	stop_all(&rds, s, 2);
}
END_TEST

Suite *
itest_presence_suite(void)
{
	Suite *s = suite_create("itest_presence");
	TCase *tc = tcase_create("presence");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, people_values_encode_and_decode);
	tcase_add_test(tc, a_name_is_unique_across_instances);
	tcase_add_test(tc, names_lists_show_every_instance);
	tcase_add_test(tc, a_dead_instance_s_people_leave_once);
	tcase_add_test(tc, the_link_coming_back_asserts_everything_again);
	suite_add_tcase(s, tc);
	return s;
}
#else
typedef int itest_presence_not_built;
#endif
