/* check_stats.c: the running totals and the Prometheus label escaping. */
#include <string.h>

#include "buf.h"
#include "stats.h"
#include "suites.h"

START_TEST(label_values_are_escaped)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "lobby", "lobby" },
		{ "", "" },
		{ "a\\b", "a\\\\b" },
		{ "say \"hi\"", "say \\\"hi\\\"" },
		{ "two\nlines", "two\\nlines" },
		{ "\\\"\n", "\\\\\\\"\\n" },
		/* Everything else as it is: tabs, UTF-8, braces. */
		{ "t\tb {x} caf\xc3\xa9", "t\tb {x} caf\xc3\xa9" },
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_init(&b);
		stats_label(&b, cases[i].in);
		ck_assert_str_eq(buf_str(&b), cases[i].out);
		buf_free(&b);
	}
}
END_TEST

START_TEST(totals_count_as_told)
{
	stats_init(1000);
	ck_assert_int_eq((int)stats->started, 1000);
	stats_conn_state(STATS_CONN_FREE, STATS_CONN_READING);
	stats_conn_state(STATS_CONN_FREE, STATS_CONN_READING);
	stats_conn_state(STATS_CONN_READING, STATS_CONN_STREAMING);
	ck_assert_int_eq(stats->conns[STATS_CONN_READING], 1);
	ck_assert_int_eq(stats->conns[STATS_CONN_STREAMING], 1);
	stats_conn_state(STATS_CONN_STREAMING, STATS_CONN_FREE);
	ck_assert_int_eq(stats->conns[STATS_CONN_STREAMING], 0);
	ck_assert_int_eq(stats->conns[STATS_CONN_FREE], 0);

	/* The known transports are listed from the start; others join. */
	ck_assert_str_eq(stats->transport[0], "html");
	stats_stream("sse", 1);
	stats_stream("sse", 1);
	stats_stream("sse", -1);
	stats_stream("carrier-pigeon", 1);
	ck_assert_int_eq(stats->streams[2], 1);
	ck_assert_str_eq(stats->transport[stats->ntransports - 1],
	    "carrier-pigeon");
	ck_assert_int_eq(stats->streams[stats->ntransports - 1], 1);

	stats_refused(STATS_REFUSED_LOGIN_RATE);
	ck_assert_int_eq((int)stats->refused[STATS_REFUSED_LOGIN_RATE], 1);
	ck_assert_str_eq(stats_refusal_name(STATS_REFUSED_LOGIN_RATE),
	    "login_rate");
	stats_watcher(1);
	stats_event();
	stats_delivery();
	stats_delivery();
	ck_assert_int_eq(stats->watchers, 1);
	ck_assert_int_eq((int)stats->events, 1);
	ck_assert_int_eq((int)stats->deliveries, 2);
	stats_init(2000);
	ck_assert_int_eq((int)stats->deliveries, 0);
}
END_TEST

Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, label_values_are_escaped);
	tcase_add_test(tc, totals_count_as_told);
	suite_add_tcase(s, tc);
	return s;
}
