/* suites.h: every Check suite of the test runner. */
#ifndef SUITES_H
#define SUITES_H

#include <check.h>

Suite	*addr_suite(void);
Suite	*http_suite(void);
Suite	*text_suite(void);
Suite	*queue_suite(void);
Suite	*session_suite(void);
Suite	*accounts_suite(void);
Suite	*transcript_suite(void);
Suite	*tokens_suite(void);
Suite	*fmt_suite(void);
Suite	*loop_suite(void);
Suite	*itest_conn_suite(void);
Suite	*ws_suite(void);
Suite	*json_suite(void);
Suite	*itest_core_suite(void);
Suite	*itest_rooms_suite(void);
Suite	*itest_accounts_suite(void);
Suite	*itest_daemon_suite(void);
Suite	*itest_instance_suite(void);
Suite	*itest_loop_suite(void);
Suite	*itest_web_suite(void);
Suite	*itest_sessions_suite(void);
Suite	*itest_api_suite(void);
Suite	*itest_pub_suite(void);
Suite	*fmt_json_suite(void);
Suite	*itest_text_suite(void);
Suite	*itest_ws_suite(void);
Suite	*itest_pages_suite(void);
Suite	*stats_suite(void);
Suite	*log_suite(void);
Suite	*itest_status_suite(void);
Suite	*cluster_suite(void);
#ifdef CHATD_REDIS
Suite	*itest_cluster_suite(void);
Suite	*itest_presence_suite(void);	/* needs -R */
Suite	*itest_accounts_redis_suite(void);
#endif

#endif
