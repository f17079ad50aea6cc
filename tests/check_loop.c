/* check_loop.c: unit tests of the loop backend this build links, over socketpairs. */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "suites.h"

#define MANY_PAIRS	700	/* 1400 descriptors: past select()'s 1024 */

static int	a[2], b[2];	/* two socketpairs */
static int	calls, last_fd, last_ready;
static int	seen[8];	/* by slot: handler calls */

static void
setup(void)
{
	ck_assert_int_eq(loop_init(256), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	calls = last_fd = last_ready = 0;
	memset(seen, 0, sizeof seen);
}

static void
teardown(void)
{
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void
count(int fd, int ready, void *arg)
{
	(void)arg;
	calls++;
	last_fd = fd;
	last_ready = ready;
}

START_TEST(backend_named)
{
	const char *name = loop_backend();

	ck_assert(strcmp(name, "epoll") == 0 || strcmp(name, "kqueue") == 0 ||
	    strcmp(name, "poll") == 0 || strcmp(name, "select") == 0);
	ck_assert_int_eq(loop_capacity(), 256);
}
END_TEST

START_TEST(readable)
{
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, count, NULL), 0);
	ck_assert_int_eq(loop_wait(0), 0);
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(last_fd, a[0]);
	ck_assert_int_eq(last_ready, LOOP_READ);
}
END_TEST

START_TEST(writable)
{
	ck_assert_int_eq(loop_watch(a[0], LOOP_WRITE, count, NULL), 0);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(last_ready, LOOP_WRITE);
}
END_TEST

START_TEST(mask_changes)
{
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ | LOOP_WRITE, count, NULL), 0);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(last_ready, LOOP_READ | LOOP_WRITE);
	/* The same mask again, then only writing, then only reading. */
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ | LOOP_WRITE, count, NULL), 0);
	ck_assert_int_eq(loop_watch(a[0], LOOP_WRITE, count, NULL), 0);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(last_ready, LOOP_WRITE);
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, count, NULL), 0);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 3);
	ck_assert_int_eq(last_ready, LOOP_READ);
	/* Nothing watched: a timeout. */
	ck_assert_int_eq(loop_watch(a[0], 0, count, NULL), 0);
	ck_assert_int_eq(loop_wait(20), 0);
	ck_assert_int_eq(calls, 3);
}
END_TEST

START_TEST(timeout)
{
	long long t0;

	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, count, NULL), 0);
	t0 = loop_now_ms();
	ck_assert_int_eq(loop_wait(80), 0);
	ck_assert_int_ge(loop_now_ms() - t0, 70);
	ck_assert_int_lt(loop_now_ms() - t0, 1000);
	ck_assert_int_eq(calls, 0);
}
END_TEST

START_TEST(hangup_is_readable)
{
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, count, NULL), 0);
	close(a[1]);
	a[1] = -1;
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 1);
	ck_assert(last_ready & LOOP_READ);
}
END_TEST

static void
drop_self(int fd, int ready, void *arg)
{
	count(fd, ready, arg);
	ck_assert_int_eq(loop_watch(fd, 0, NULL, NULL), 0);
}

START_TEST(unwatch_inside_handler)
{
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, drop_self, NULL), 0);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 1);
	/* Still readable, but forgotten. */
	ck_assert_int_eq(loop_wait(20), 0);
	ck_assert_int_eq(calls, 1);
}
END_TEST

/* Whichever runs first drops the other, ready in the same pass. */
static void
drop_other(int fd, int ready, void *arg)
{
	int *other = arg;

	count(fd, ready, arg);
	ck_assert_int_eq(loop_watch(*other, 0, NULL, NULL), 0);
}

START_TEST(handler_unwatches_another)
{
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, drop_other, &b[0]), 0);
	ck_assert_int_eq(loop_watch(b[0], LOOP_READ, drop_other, &a[0]), 0);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 1);
}
END_TEST

static void
second(int fd, int ready, void *arg)
{
	(void)ready;
	(void)arg;
	seen[fd == a[0] ? 1 : 2]++;
}

/* Whichever runs first gives the other a new handler. */
static void
replace_other(int fd, int ready, void *arg)
{
	int *other = arg;

	(void)ready;
	seen[0]++;
	if (seen[0] == 1)
		ck_assert_int_eq(loop_watch(*other, LOOP_READ, second, NULL), 0);
	(void)fd;
}

START_TEST(replaced_watch_waits_a_pass)
{
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, replace_other, &b[0]), 0);
	ck_assert_int_eq(loop_watch(b[0], LOOP_READ, replace_other, &a[0]), 0);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(seen[0], 1);
	ck_assert_int_eq(seen[1] + seen[2], 0);
	/* The next pass reaches the new handler. */
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(seen[0], 2);
	ck_assert_int_eq(seen[1] + seen[2], 1);
}
END_TEST

/*
 * Whichever runs first closes the other and opens a new file on its
 * number, watched the same way: the closed file's readiness, which the
 * backend may already hold, must not reach it.
 */
static void
reopen_other(int fd, int ready, void *arg)
{
	int *other = arg, pair[2], old = other[0], t;

	count(fd, ready, arg);
	if (calls > 1)
		return;
	ck_assert_int_eq(loop_watch(old, 0, NULL, NULL), 0);
	close(other[0]);
	close(other[1]);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	if (pair[1] == old) {
		t = pair[0];
		pair[0] = pair[1];
		pair[1] = t;
	}
	ck_assert_int_eq(pair[0], old);
	other[0] = pair[0];
	other[1] = pair[1];
	ck_assert_int_eq(loop_watch(old, LOOP_READ, reopen_other,
	    other == a ? b : a), 0);
}

START_TEST(new_file_on_old_number)
{
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, reopen_other, b), 0);
	ck_assert_int_eq(loop_watch(b[0], LOOP_READ, reopen_other, a), 0);
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 1);
	/* Only the survivor, still readable, is called again. */
	ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, 2);
}
END_TEST

static int
raise_nofile(int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want) {
		rl.rlim_cur = (rlim_t)want;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			return 0;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			return 0;
	}
	return 1;
}

static void
count_slot(int fd, int ready, void *arg)
{
	char c;

	(void)ready;
	(void)arg;
	ck_assert_int_eq(read(fd, &c, 1), 1);
	calls++;
	loop_watch(fd, 0, NULL, NULL);
}

START_TEST(many_descriptors)
{
	int (*pairs)[2], i, high = 0, refused = 0, watched = 0, n;

	if (!raise_nofile(2 * MANY_PAIRS + 64))
		return;		/* ulimit -Hn too low to try */
	ck_assert_int_eq(loop_init(2 * MANY_PAIRS + 64), 0);
	ck_assert_ptr_nonnull(pairs = calloc(MANY_PAIRS, sizeof *pairs));
	for (i = 0; i < MANY_PAIRS; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]), 0);
		if (pairs[i][0] > high)
			high = pairs[i][0];
		if (loop_watch(pairs[i][0], LOOP_READ, count_slot, NULL) == -1) {
			ck_assert_int_ge(pairs[i][0], loop_capacity());
			refused++;
		} else
			watched++;
		ck_assert_int_eq(write(pairs[i][1], "x", 1), 1);
	}
	ck_assert_int_gt(high, 1024);
	if (strcmp(loop_backend(), "select") == 0) {
		ck_assert_int_le(loop_capacity(), high);
		ck_assert_int_gt(refused, 0);
	} else {
		ck_assert_int_eq(loop_capacity(), 2 * MANY_PAIRS + 64);
		ck_assert_int_eq(refused, 0);
	}
	for (n = 0; calls < watched && n < 100; n++)
		ck_assert_int_ge(loop_wait(1000), 1);
	ck_assert_int_eq(calls, watched);
	ck_assert_int_eq(loop_wait(0), 0);
	for (i = 0; i < MANY_PAIRS; i++) {
		close(pairs[i][0]);
		close(pairs[i][1]);
	}
	free(pairs);
}
END_TEST

/*
 * The same mask again costs no system call.  Probed by closing a watched
 * descriptor behind the loop's back: a backend that asked the kernel
 * would be told the descriptor is gone.
 */
START_TEST(unchanged_mask_no_system_call)
{
	int fd, i;

	ck_assert_int_eq(loop_watch(a[0], LOOP_READ, count, NULL), 0);
	fd = a[0];
	ck_assert_int_eq(close(fd), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(loop_watch(fd, LOOP_READ, count, NULL), 0);
	/* A change does reach epoll and kqueue, which then refuse it. */
	if (strcmp(loop_backend(), "epoll") == 0 ||
	    strcmp(loop_backend(), "kqueue") == 0)
		ck_assert_int_eq(loop_watch(fd, LOOP_WRITE, count, NULL), -1);
	a[0] = dup(a[1]);	/* for teardown */
}
END_TEST

START_TEST(out_of_range)
{
	ck_assert_int_eq(loop_watch(-1, LOOP_READ, count, NULL), -1);
	ck_assert_int_eq(loop_watch(256, LOOP_READ, count, NULL), -1);
	ck_assert_int_eq(loop_watch(255, 0, NULL, NULL), 0);
}
END_TEST

Suite *
loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, backend_named);
	tcase_add_test(tc, readable);
	tcase_add_test(tc, writable);
	tcase_add_test(tc, mask_changes);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, hangup_is_readable);
	tcase_add_test(tc, unwatch_inside_handler);
	tcase_add_test(tc, handler_unwatches_another);
	tcase_add_test(tc, replaced_watch_waits_a_pass);
	tcase_add_test(tc, new_file_on_old_number);
	tcase_add_test(tc, many_descriptors);
	tcase_add_test(tc, unchanged_mask_no_system_call);
	tcase_add_test(tc, out_of_range);
	suite_add_tcase(s, tc);
	return s;
}
