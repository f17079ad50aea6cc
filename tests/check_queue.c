/* check_queue.c: unit tests for shared chunks and bounded output queues. */
#include <sys/socket.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "queue.h"
#include "suites.h"

static int pair[2];

static void
setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK);
}

static void
teardown(void)
{
	close(pair[0]);
	close(pair[1]);
}

START_TEST(cap_at_max_and_max_plus_one)
{
	struct chunk *c = chunk_new("0123456789", 10);
	struct outq q;

	outq_init(&q);
	ck_assert_int_eq(outq_push(&q, c, 20), 0);
	ck_assert_int_eq(outq_push(&q, c, 20), 0);	/* exactly 20 */
	ck_assert_int_eq(outq_push(&q, c, 20), -1);	/* 30 > 20 */
	ck_assert_uint_eq(q.bytes, 20);
	ck_assert_uint_eq(c->refs, 3);
	outq_clear(&q);
	ck_assert_uint_eq(c->refs, 1);
	chunk_unref(c);
}
END_TEST

START_TEST(empty_queue_takes_one_long_chunk)
{
	struct chunk *c = chunk_new("0123456789", 10);
	struct outq q;

	outq_init(&q);
	ck_assert_int_eq(outq_push(&q, c, 4), 0);	/* alone: accepted */
	ck_assert_int_eq(outq_push(&q, c, 4), -1);	/* behind it: over */
	ck_assert_uint_eq(q.bytes, 10);
	outq_clear(&q);
	chunk_unref(c);
}
END_TEST

START_TEST(one_chunk_shared_by_many_queues)
{
	struct chunk *c = chunk_new("hello\n", 6);
	struct outq q[3];
	char got[16];
	int i;

	for (i = 0; i < 3; i++) {
		outq_init(&q[i]);
		ck_assert_int_eq(outq_push(&q[i], c, 100), 0);
	}
	chunk_unref(c);		/* the queues hold it now */
	ck_assert_uint_eq(c->refs, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(outq_write(&q[i], pair[0], 1000), 6);
		ck_assert_int_eq(read(pair[1], got, sizeof got), 6);
		ck_assert(memcmp(got, "hello\n", 6) == 0);
		ck_assert_uint_eq(q[i].bytes, 0);
		outq_clear(&q[i]);
	}
}
END_TEST

START_TEST(partial_writes_resume_in_order)
{
	struct chunk *a = chunk_new("abcdef", 6), *b = chunk_new("ghij", 4);
	struct outq q;
	char got[16];
	size_t n = 0;
	ssize_t w;

	outq_init(&q);
	outq_push(&q, a, 100);
	outq_push(&q, b, 100);
	/* At most 3 bytes a call: splits inside and across chunks. */
	while (q.bytes > 0) {
		w = outq_write(&q, pair[0], 3);
		ck_assert(w > 0 && w <= 3);
	}
	while (n < 10)
		n += (size_t)read(pair[1], got + n, sizeof got - n);
	ck_assert(memcmp(got, "abcdefghij", 10) == 0);
	ck_assert_uint_eq(a->refs, 1);
	ck_assert_uint_eq(b->refs, 1);
	chunk_unref(a);
	chunk_unref(b);
	outq_clear(&q);
}
END_TEST

START_TEST(full_socket_returns_zero)
{
	static char big[65536];
	struct chunk *c = chunk_new(big, sizeof big);
	struct outq q;
	ssize_t w;
	int i;

	outq_init(&q);
	for (i = 0; i < 64; i++)
		outq_push(&q, c, (size_t)-1);
	while ((w = outq_write(&q, pair[0], (size_t)-1)) > 0)
		;
	ck_assert_int_eq(w, 0);		/* EAGAIN is not an error */
	ck_assert_uint_gt(q.bytes, 0);
	signal(SIGPIPE, SIG_IGN);
	close(pair[1]);
	pair[1] = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(outq_write(&q, pair[0], (size_t)-1), -1);	/* EPIPE */
	outq_clear(&q);
	chunk_unref(c);
}
END_TEST

/* A broadcast holds one chunk however many queues hold it. */
START_TEST(memory_counts_a_shared_chunk_once)
{
	struct chunk *c = chunk_new("0123456789", 10);
	struct chunk *d = chunk_new("abc", 3);
	struct outq q[3];
	size_t base = outq_memory();
	int i;

	for (i = 0; i < 3; i++) {
		outq_init(&q[i]);
		ck_assert_int_eq(outq_push(&q[i], c, 100), 0);
	}
	ck_assert_uint_eq(outq_memory() - base, 10 + 3 * sizeof c);
	ck_assert_int_eq(outq_push(&q[0], d, 100), 0);
	ck_assert_uint_eq(outq_memory() - base, 13 + 4 * sizeof c);
	/* Written out of one queue: the others still hold it. */
	ck_assert_int_eq(outq_write(&q[0], pair[0], 100), 13);
	ck_assert_uint_eq(outq_memory() - base, 10 + 2 * sizeof c);
	outq_clear(&q[1]);
	ck_assert_uint_eq(outq_memory() - base, 10 + sizeof c);
	outq_clear(&q[2]);
	outq_clear(&q[0]);
	ck_assert_uint_eq(outq_memory(), base);
	ck_assert_uint_eq(c->refs, 1);
	chunk_unref(c);
	chunk_unref(d);
}
END_TEST

/* Not a socket (a pipe): written all the same. */
START_TEST(writes_to_a_pipe)
{
	struct chunk *c = chunk_new("0123456789", 10);
	struct outq q;
	char buf[32];
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	outq_init(&q);
	ck_assert_int_eq(outq_push(&q, c, 100), 0);
	ck_assert_int_eq(outq_write(&q, p[1], 100), 10);
	ck_assert_int_eq(outq_push(&q, c, 100), 0);
	ck_assert_int_eq(outq_push(&q, c, 100), 0);
	ck_assert_int_eq(outq_write(&q, p[1], 100), 20);	/* two at once */
	ck_assert_int_eq(read(p[0], buf, sizeof buf), 30);
	ck_assert(memcmp(buf + 20, "0123456789", 10) == 0);
	outq_clear(&q);
	close(p[0]);
	close(p[1]);
	chunk_unref(c);
}
END_TEST

START_TEST(ring_grows_past_its_first_size)
{
	struct chunk *c = chunk_new("x", 1);
	struct outq q;
	char got[100];
	int i;

	outq_init(&q);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(outq_push(&q, c, 1000), 0);
	ck_assert_uint_eq(q.count, 50);
	ck_assert_int_eq(outq_write(&q, pair[0], 1000), 50);
	ck_assert_int_eq(read(pair[1], got, sizeof got), 50);
	ck_assert_uint_eq(q.cap, 0);	/* a drained big ring is given back */
	outq_clear(&q);
	ck_assert_uint_eq(c->refs, 1);
	chunk_unref(c);
}
END_TEST

Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("outq");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cap_at_max_and_max_plus_one);
	tcase_add_test(tc, empty_queue_takes_one_long_chunk);
	tcase_add_test(tc, one_chunk_shared_by_many_queues);
	tcase_add_test(tc, partial_writes_resume_in_order);
	tcase_add_test(tc, full_socket_returns_zero);
	tcase_add_test(tc, ring_grows_past_its_first_size);
	tcase_add_test(tc, memory_counts_a_shared_chunk_once);
	tcase_add_test(tc, writes_to_a_pipe);
	suite_add_tcase(s, tc);
	return s;
}
