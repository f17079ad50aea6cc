/* check_addr.c: unit tests for per-address counts and the login token bucket. */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "suites.h"

static void
teardown(void)
{
	addr_clear();
}

START_TEST(counts_connections_and_sessions)
{
	struct addr *a, *b;

	ck_assert_ptr_nonnull(a = addr_get("10.0.0.1"));
	ck_assert_ptr_eq(addr_get("10.0.0.1"), a);
	ck_assert_ptr_eq(addr_find("10.0.0.1"), a);
	ck_assert_ptr_null(addr_find("10.0.0.2"));
	addr_conn_open(a);
	addr_conn_open(a);
	ck_assert_int_eq(addr_conns(a), 2);
	ck_assert_int_eq(addr_session_open("10.0.0.1"), 0);
	ck_assert_int_eq(addr_sessions("10.0.0.1"), 1);
	ck_assert_int_eq(addr_sessions("10.0.0.2"), 0);
	ck_assert_ptr_nonnull(b = addr_get("10.0.0.2"));
	ck_assert_ptr_ne(a, b);
	addr_conn_open(b);
	ck_assert_int_eq(addr_conns(b), 1);
	ck_assert_int_eq(addr_conns(a), 2);
	ck_assert_int_eq(addr_count(), 2);
	ck_assert_int_eq(addr_idle(), 0);
}
END_TEST

/* An entry goes once it counts nothing and its bucket is full. */
START_TEST(freed_when_empty_and_full)
{
	struct addr *a;

	ck_assert_ptr_nonnull(a = addr_get("10.0.0.1"));
	addr_conn_open(a);
	ck_assert_int_eq(addr_session_open("10.0.0.1"), 0);
	addr_sweep(1000);
	ck_assert_int_eq(addr_count(), 1);
	addr_conn_close(a);
	addr_sweep(1000);
	ck_assert_int_eq(addr_count(), 1);	/* the session holds it */
	addr_session_close("10.0.0.1");
	ck_assert_int_eq(addr_idle(), 1);
	addr_sweep(1000);
	ck_assert_int_eq(addr_count(), 0);	/* no login: full */
	ck_assert_int_eq(addr_idle(), 0);
	/* Closing what is gone is harmless. */
	addr_session_close("10.0.0.1");
	ck_assert_int_eq(addr_count(), 0);
}
END_TEST

START_TEST(kept_until_the_bucket_refills)
{
	struct addr *a;

	ck_assert_ptr_nonnull(a = addr_get("10.0.0.1"));
	addr_conn_open(a);
	ck_assert(addr_take_login("10.0.0.1", 10000));
	addr_conn_close(a);
	addr_sweep(10000 + ADDR_IDLE_MS - 1);
	ck_assert_int_eq(addr_count(), 1);
	/* Coming back while idle: the same entry and the same bucket. */
	ck_assert_ptr_eq(addr_get("10.0.0.1"), a);
	addr_sweep(10000 + ADDR_IDLE_MS);
	ck_assert_int_eq(addr_count(), 0);
}
END_TEST

/* Burst 10, then 2 a second; at MAX and MAX+1. */
START_TEST(token_bucket_burst_and_refill)
{
	struct addr *a;
	long long t = 50000;
	int i;

	ck_assert_ptr_nonnull(a = addr_get("10.0.0.1"));
	addr_conn_open(a);
	for (i = 0; i < ADDR_LOGIN_BURST; i++)
		ck_assert_msg(addr_take_login("10.0.0.1", t), "login %d", i);
	ck_assert(!addr_take_login("10.0.0.1", t));
	ck_assert(!addr_take_login("10.0.0.1", t + ADDR_LOGIN_REFILL_MS - 1));
	ck_assert(addr_take_login("10.0.0.1", t + ADDR_LOGIN_REFILL_MS));
	ck_assert(!addr_take_login("10.0.0.1", t + ADDR_LOGIN_REFILL_MS));
	/* One second: two more, not three. */
	t += ADDR_LOGIN_REFILL_MS + 1000;
	ck_assert(addr_take_login("10.0.0.1", t));
	ck_assert(addr_take_login("10.0.0.1", t));
	ck_assert(!addr_take_login("10.0.0.1", t));
	/* Long idle: a full burst again, never more. */
	t += 3600 * 1000;
	for (i = 0; i < ADDR_LOGIN_BURST; i++)
		ck_assert(addr_take_login("10.0.0.1", t));
	ck_assert(!addr_take_login("10.0.0.1", t));
	/* Other addresses have their own bucket; unknown ones pass. */
	ck_assert_ptr_nonnull(addr_get("10.0.0.2"));
	ck_assert(addr_take_login("10.0.0.2", t));
	ck_assert(addr_take_login("10.9.9.9", t));
}
END_TEST

START_TEST(ipv6_counted_by_its_64)
{
	static const struct {
		const char	*ip, *key;
	} cases[] = {
		{ "127.0.0.1", "127.0.0.1" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2::ffff", "2001:db8:1:2::/64" },
		{ "::ffff:192.0.2.7", "192.0.2.7" },
		{ "::1", "::/64" },
		{ "?", "?" },
	};
	char key[ADDR_KEY_BYTES];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		addr_key(cases[i].ip, key);
		ck_assert_str_eq(key, cases[i].key);
	}
	ck_assert_ptr_eq(addr_get("2001:db8::1"), addr_get("2001:db8::2"));
	ck_assert_ptr_ne(addr_get("2001:db8::1"), addr_get("2001:db8:0:1::1"));
}
END_TEST

/* Many addresses: the table grows, every entry is found, all are freed. */
START_TEST(many_addresses)
{
	char ip[32];
	int i;

	for (i = 0; i < 20000; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
		    i & 255);
		ck_assert_ptr_nonnull(addr_get(ip));
		addr_conn_open(addr_find(ip));
	}
	ck_assert_int_eq(addr_count(), 20000);
	for (i = 0; i < 20000; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
		    i & 255);
		ck_assert_ptr_nonnull(addr_find(ip));
		ck_assert_int_eq(addr_conns(addr_find(ip)), 1);
		addr_conn_close(addr_find(ip));
	}
	ck_assert_int_eq(addr_idle(), 20000);
	addr_sweep(1);
	ck_assert_int_eq(addr_count(), 0);
}
END_TEST

Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, counts_connections_and_sessions);
	tcase_add_test(tc, freed_when_empty_and_full);
	tcase_add_test(tc, kept_until_the_bucket_refills);
	tcase_add_test(tc, token_bucket_burst_and_refill);
	tcase_add_test(tc, ipv6_counted_by_its_64);
	tcase_add_test(tc, many_addresses);
	suite_add_tcase(s, tc);
	return s;
}
