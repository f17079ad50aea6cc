/* run.c: runs every unit and integration suite; prints Check's summary. */
#include <stdlib.h>
#include <string.h>

#include "suites.h"

static Suite *(*const suites[])(void) = {
	addr_suite,
	http_suite,
	text_suite,
	queue_suite,
	session_suite,
	accounts_suite,
	transcript_suite,
	tokens_suite,
	fmt_suite,
	loop_suite,
	itest_conn_suite,
	ws_suite,
	json_suite,
	itest_core_suite,
	itest_rooms_suite,
	itest_accounts_suite,
	itest_daemon_suite,
	itest_instance_suite,
	itest_loop_suite,
	itest_web_suite,
	itest_sessions_suite,
	itest_api_suite,
	itest_pub_suite,
	fmt_json_suite,
	itest_text_suite,
	itest_ws_suite,
	itest_pages_suite,
	stats_suite,
	log_suite,
	itest_status_suite,
	cluster_suite,
#ifdef CHATD_REDIS
	itest_cluster_suite,
	itest_presence_suite,
	itest_accounts_redis_suite,
#endif
};

int
main(int argc, char **argv)
{
	SRunner *sr;
	size_t i;
	int failed;

	sr = srunner_create(NULL);
	for (i = 0; i < sizeof suites / sizeof suites[0]; i++)
		srunner_add_suite(sr, suites[i]());
	/* `tests/run SUITE` runs one suite (CK_RUN_SUITE works too). */
	if (argc > 1)
		srunner_run(sr, argv[1], NULL, CK_NORMAL);
	else
		srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
