/* itest_cluster.c: rooms shared by chatd instances through a Redis of the test's own (-R). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void
up(struct cluster *c, int n, const char *extra)
{
	char id[4];
	int i;

	rds_start(&c->rd);
	snprintf(c->addr, sizeof c->addr, "127.0.0.1:%d", c->rd.port);
	c->n = n;
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "%02d", i + 1);
		if (extra != NULL)
			srv_start(&c->srv[i], "-R", c->addr, "-N", id, "-g",
			    "2", extra, "@DIR@/x", NULL);
		else
			srv_start(&c->srv[i], "-R", c->addr, "-N", id, "-g",
			    "2", NULL);
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

	up(&c, 2, NULL);
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

Suite *
itest_cluster_suite(void)
{
	Suite *s = suite_create("itest_cluster");
	TCase *tc = tcase_create("cluster");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, a_message_crosses_with_one_number);
	suite_add_tcase(s, tc);
	return s;
}
#else
/* Built without Redis (make REDIS=0): the suite is not registered. */
typedef int itest_cluster_not_built;
#endif
