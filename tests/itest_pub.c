/* itest_pub.c: backends and other sites end to end: -T tokens, /api/publish, -O CORS and framing. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "json_decode.h"
#include "suites.h"

#define REQ_MAX		4096
#define TOKEN		"s3cret-token-for-tests"

/* Writes a token file with the mode into dir; its path goes to path. */
static void
token_file(char *path, size_t size, const char *dir, const char *text,
    mode_t mode)
{
	FILE *f;

	snprintf(path, size, "%s/tokens", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Starts chatd with a token file holding TOKEN and the extra flag (or NULL). */
static void
start_with_tokens(struct server *s, char *path, size_t size, const char *flag)
{
	char dir[256];

	itest_scratch(dir, sizeof dir, "tok");
	token_file(path, size, dir, "# backends\n\n" TOKEN "\n", 0600);
	if (flag != NULL)
		srv_start(s, "-T", path, "-L", "@DIR@/transcript", flag, NULL);
	else
		srv_start(s, "-T", path, "-L", "@DIR@/transcript", NULL);
}

/* POST /api/publish with the Authorization value (NULL: none) and the form. */
static int
publish(int port, const char *auth, const char *form, struct reply *r)
{
	char req[REQ_MAX];
	int n;

	n = snprintf(req, sizeof req, "POST /api/publish HTTP/1.0\r\n"
	    "%s%s%sContent-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s", auth ? "Authorization: " : "",
	    auth ? auth : "", auth ? "\r\n" : "", strlen(form), form);
	ck_assert(n > 0 && n < (int)sizeof req);
	cl_raw(port, req, strlen(req), r);
	ck_assert_msg(strstr(r->head, "\r\nContent-Type: application/json") !=
	    NULL, "%s", r->head);
	ck_assert_msg(jd_parse(r->body, r->body_len, JD_CHATD, NULL, NULL) == 0,
	    "not JSON: %s", r->body);
	return r->status;
}

/* Publishes and returns the event's number from {"id":N}. */
static unsigned long long
publish_ok(int port, const char *form)
{
	struct reply r;
	unsigned long long id;

	ck_assert_int_eq(publish(port, "Bearer " TOKEN, form, &r), 200);
	ck_assert_msg(sscanf(r.body, "{\"id\":%llu}", &id) == 1, "%s", r.body);
	reply_free(&r);
	return id;
}

/* Opens a stream with a raw GET of target; reads until its head is in. */
static void
open_raw(struct stream *st, int port, const char *target)
{
	char req[REQ_MAX];

	memset(st, 0, sizeof *st);
	st->fd = cl_connect(port);
	snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", target);
	ck_assert(write(st->fd, req, strlen(req)) == (ssize_t)strlen(req));
	ck_assert_msg(stream_wait(st, "\r\n\r\n", ITEST_TIMEOUT_MS),
	    "no head for %s", target);
	ck_assert_msg(strncmp(st->data, "HTTP/1.0 200", 12) == 0, "%s",
	    st->data);
}

START_TEST(publish_without_T_is_404)
{
	struct server s;
	struct reply r;

	srv_start(&s, NULL);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=lobby&text=hi",
	    &r), 404);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(publish_statuses)
{
	struct server s;
	struct reply r;
	char path[300];
	unsigned long long a, b;

	start_with_tokens(&s, path, sizeof path, NULL);
	ck_assert_int_eq(publish(s.port, NULL, "room=lobby&text=hi", &r), 401);
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nWWW-Authenticate: Bearer"));
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer wrong", "room=lobby&text=hi",
	    &r), 401);
	reply_free(&r);
	/* One byte short, one byte more, another scheme. */
	ck_assert_int_eq(publish(s.port, "Bearer s3cret-token-for-test",
	    "room=lobby&text=hi", &r), 401);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN "x",
	    "room=lobby&text=hi", &r), 401);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Basic " TOKEN, "room=lobby&text=hi",
	    &r), 401);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=no%20way&"
	    "text=hi", &r), 400);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "text=hi", &r), 400);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=lobby&text=",
	    &r), 400);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=lobby&text=%20",
	    &r), 400);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=lobby&text=hi&"
	    "kind=whisper", &r), 400);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=lobby&text=hi&"
	    "from=no+spaces", &r), 400);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=random&text=hi",
	    &r), 400);
	reply_free(&r);
	a = publish_ok(s.port, "room=lobby&text=hello");
	b = publish_ok(s.port, "room=news&text=made&kind=notice&from=ci-bot");
	ck_assert(b > a);
	publish_ok(s.port, "room=news&text=deploys&kind=action");
	/* The new room stays while empty, and is listed. */
	cl_get(s.port, "/api/rooms", &r);
	ck_assert_msg(strstr(r.body, "\"name\":\"news\"") != NULL, "%s", r.body);
	reply_free(&r);
	/* Tokens and published text never reach the log. */
	ck_assert(!srv_logged(&s, TOKEN, 100));
	ck_assert(!srv_logged(&s, "deploys", 0));
	srv_stop_clean(&s);
}
END_TEST

START_TEST(token_file_must_be_private)
{
	char dir[256], path[300], cmd[1024], err[400];
	const char *bin = getenv("CHATD") ? getenv("CHATD") : "./chatd";
	FILE *f;
	int st, lines = 0;
	char line[512];

	itest_scratch(dir, sizeof dir, "tokmode");
	token_file(path, sizeof path, dir, TOKEN "\n", 0644);
	snprintf(err, sizeof err, "%s/err", dir);
	snprintf(cmd, sizeof cmd, "%s -b 127.0.0.1 -p 0 -T %s 2>%s", bin, path,
	    err);
	st = system(cmd);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ck_assert_ptr_nonnull(f = fopen(err, "r"));
	while (fgets(line, sizeof line, f) != NULL) {
		lines++;
		ck_assert_msg(strstr(line, "-T") != NULL &&
		    strstr(line, "chmod 600") != NULL, "%s", line);
		ck_assert(strstr(line, TOKEN) == NULL);
	}
	fclose(f);
	ck_assert_int_eq(lines, 1);
	/* Unreadable (missing) is refused the same way. */
	snprintf(cmd, sizeof cmd, "%s -b 127.0.0.1 -p 0 -T %s/none 2>%s", bin,
	    dir, err);
	st = system(cmd);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}
END_TEST

START_TEST(token_file_0600_starts_and_sighup_rereads)
{
	struct server s;
	struct reply r;
	char path[300];
	FILE *f;

	start_with_tokens(&s, path, sizeof path, NULL);
	ck_assert_int_eq(publish(s.port, "Bearer other-token",
	    "room=lobby&text=hi", &r), 401);
	reply_free(&r);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("other-token\n", f);
	fclose(f);
	ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
	ck_assert(srv_logged(&s, "SIGHUP: 1 tokens read", ITEST_TIMEOUT_MS));
	ck_assert_int_eq(publish(s.port, "Bearer other-token",
	    "room=lobby&text=hi", &r), 200);
	reply_free(&r);
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=lobby&text=hi",
	    &r), 401);
	reply_free(&r);
	/* A bad reread keeps the tokens in force and says why. */
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
	ck_assert(srv_logged(&s, "tokens read before stay", ITEST_TIMEOUT_MS));
	ck_assert_int_eq(publish(s.port, "Bearer other-token",
	    "room=lobby&text=hi", &r), 200);
	reply_free(&r);
	ck_assert(!srv_logged(&s, "other-token", 0));
	srv_stop_clean(&s);
}
END_TEST

START_TEST(published_event_reaches_every_stream_marked)
{
	struct server s;
	struct stream html, sse, txt;
	char path[300], target[200], want[200];
	const char *sid, *sb, *sc;
	unsigned long long id;
	int status;

	start_with_tokens(&s, path, sizeof path, NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=alice&room=lobby",
	    &status));
	ck_assert_int_eq(stream_open(&html, s.port, sid, NULL), 200);
	ck_assert(stream_wait(&html, "joined", ITEST_TIMEOUT_MS));
	/* One stream per session: the SSE and text streams take two more. */
	ck_assert_ptr_nonnull(sb = cl_login(s.port, "name=bob&room=lobby",
	    &status));
	ck_assert_ptr_nonnull(sc = cl_login(s.port, "name=carol&room=lobby",
	    &status));
	snprintf(target, sizeof target, "/api/events?sid=%s", sb);
	open_raw(&sse, s.port, target);
	snprintf(target, sizeof target, "/chat.txt?sid=%s", sc);
	open_raw(&txt, s.port, target);
	/* From names a logged-in user: still marked as a backend's. */
	id = publish_ok(s.port, "room=lobby&text=build+green&from=alice");
	snprintf(want, sizeof want, "id=\"e%llu\"", id);
	ck_assert_msg(stream_wait(&html, want, ITEST_TIMEOUT_MS), "%s",
	    html.data);
	ck_assert(stream_wait(&html, "build green", ITEST_TIMEOUT_MS));
	ck_assert_msg(strstr(html.data, "ev msg backend") != NULL &&
	    strstr(html.data, "nick backend\"><bdi>alice</bdi> [backend]") !=
	    NULL, "%s", html.data);
	snprintf(want, sizeof want, "id: %llu\n", id);
	ck_assert_msg(stream_wait(&sse, want, ITEST_TIMEOUT_MS), "%s", sse.data);
	ck_assert(stream_wait(&sse, "\"backend\":true", ITEST_TIMEOUT_MS));
	ck_assert(stream_wait(&txt, "<alice [backend]> build green",
	    ITEST_TIMEOUT_MS));
	/* A user's own line carries no mark. */
	ck_assert_int_eq(cl_say(s.port, sid, "mine"), 200);
	ck_assert(stream_wait(&txt, "<alice> mine", ITEST_TIMEOUT_MS));
	/* A notice is numbered and kept too, and marked. */
	id = publish_ok(s.port, "room=lobby&text=maintenance&kind=notice");
	snprintf(want, sizeof want, "id: %llu\n", id);
	ck_assert(stream_wait(&sse, want, ITEST_TIMEOUT_MS));
	ck_assert(stream_wait(&txt, "*** server [backend]: maintenance",
	    ITEST_TIMEOUT_MS));
	stream_close(&html);
	stream_close(&sse);
	stream_close(&txt);
	srv_stop_clean(&s);
}
END_TEST

/* A raw request with extra header lines; the answer in r. */
static void
raw(int port, const char *method, const char *target, const char *extra,
    struct reply *r)
{
	char req[REQ_MAX];

	snprintf(req, sizeof req, "%s %s HTTP/1.0\r\n%s\r\n", method, target,
	    extra);
	cl_raw(port, req, strlen(req), r);
}

#define SITE		"http://127.0.0.1:8765"
#define SITE2		"https://example.org"

START_TEST(cors_and_preflight_only_with_O)
{
	struct server s;
	struct reply r;

	srv_start(&s, NULL);
	raw(s.port, "OPTIONS", "/api/rooms", "Origin: " SITE "\r\n", &r);
	ck_assert_int_eq(r.status, 501);
	reply_free(&r);
	raw(s.port, "GET", "/api/rooms", "Origin: " SITE "\r\n", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert(strstr(r.head, "Access-Control") == NULL);
	ck_assert(strstr(r.head, "Vary") == NULL);
	reply_free(&r);
	raw(s.port, "GET", "/", "", &r);
	ck_assert_ptr_nonnull(strstr(r.head, "X-Frame-Options: SAMEORIGIN"));
	ck_assert_ptr_nonnull(strstr(r.head, "frame-ancestors 'self';"));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(cors_for_exactly_the_O_origins)
{
	struct server s;
	struct stream st;
	struct reply r;
	char target[200];
	const char *sid;
	int status;

	srv_start(&s, "-O", SITE "," SITE2, NULL);
	raw(s.port, "OPTIONS", "/api/say", "Origin: " SITE "\r\n"
	    "Access-Control-Request-Method: POST\r\n", &r);
	ck_assert_int_eq(r.status, 204);
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nAccess-Control-Allow-Origin: "
	    SITE "\r\n"));
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nVary: Origin\r\n"));
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nAccess-Control-Allow-Methods:"
	    " GET, HEAD, POST, OPTIONS\r\n"));
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nAccess-Control-Allow-Headers:"
	    " Authorization, Content-Type, Last-Event-ID\r\n"));
	ck_assert_uint_eq(r.body_len, 0);
	reply_free(&r);
	/* Another site: no allowance, and its requests stay refused. */
	raw(s.port, "OPTIONS", "/api/say", "Origin: http://evil.test\r\n", &r);
	ck_assert(strstr(r.head, "Access-Control-Allow-Origin") == NULL);
	reply_free(&r);
	raw(s.port, "GET", "/api/rooms", "Origin: http://evil.test\r\n", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert(strstr(r.head, "Access-Control-Allow-Origin") == NULL);
	reply_free(&r);
	/* Pages are not for preflight. */
	raw(s.port, "OPTIONS", "/", "Origin: " SITE "\r\n", &r);
	ck_assert_int_eq(r.status, 501);
	reply_free(&r);
	raw(s.port, "GET", "/api/rooms", "Origin: https://EXAMPLE.org\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nAccess-Control-Allow-Origin: "
	    SITE2 "\r\n"));
	reply_free(&r);
	/* Framing by the -O origins, and no X-Frame-Options. */
	raw(s.port, "GET", "/", "", &r);
	ck_assert(strstr(r.head, "X-Frame-Options") == NULL);
	ck_assert_ptr_nonnull(strstr(r.head, "frame-ancestors 'self' " SITE " "
	    SITE2 ";"));
	reply_free(&r);
	/* A stream's head carries it too. */
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=alice", &status));
	memset(&st, 0, sizeof st);
	st.fd = cl_connect(s.port);
	snprintf(target, sizeof target, "GET /api/events?sid=%s HTTP/1.0\r\n"
	    "Origin: " SITE "\r\n\r\n", sid);
	ck_assert(write(st.fd, target, strlen(target)) ==
	    (ssize_t)strlen(target));
	ck_assert(stream_wait(&st, "\r\n\r\n", ITEST_TIMEOUT_MS));
	ck_assert_msg(strstr(st.data, "\r\nAccess-Control-Allow-Origin: " SITE
	    "\r\nVary: Origin\r\n") != NULL, "%s", st.data);
	ck_assert(stream_wait(&st, "\"type\":\"join\"", ITEST_TIMEOUT_MS));
	stream_close(&st);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(bad_O_values_exit_2)
{
	const char *bin = getenv("CHATD") ? getenv("CHATD") : "./chatd";
	static const char *const bad[] = { "example.org", "http://",
	    "http://a.example/path", "ftp://a.example", "http://a:b",
	    "http://a.example:123456", "http://ok.example,", "http://a b" };
	char cmd[512];
	size_t i;
	int st;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(cmd, sizeof cmd, "%s -b 127.0.0.1 -p 0 -O '%s' "
		    ">/dev/null 2>&1", bin, bad[i]);
		st = system(cmd);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s",
		    bad[i]);
	}
}
END_TEST

START_TEST(watchers_need_W)
{
	struct server s;
	struct reply r;

	srv_start(&s, NULL);
	cl_get(s.port, "/api/events?room=lobby", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.head, "application/json"));
	reply_free(&r);
	cl_get(s.port, "/api/poll?room=lobby", &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	cl_get(s.port, "/chat.txt?room=lobby", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.head, "text/plain"));
	ck_assert_ptr_nonnull(strstr(r.body, "-W"));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(watchers_read_only_not_in_names_no_whispers)
{
	struct server s;
	struct stream sse, txt;
	struct reply r;
	char path[300], target[200], want[100];
	const char *sa, *sb;
	unsigned long long id, next;
	int status;

	start_with_tokens(&s, path, sizeof path, "-W");
	cl_get(s.port, "/api/events?room=nosuch", &r);
	ck_assert_int_eq(r.status, 404);
	reply_free(&r);
	cl_get(s.port, "/chat.txt?room=nosuch", &r);
	ck_assert_int_eq(r.status, 404);
	reply_free(&r);
	ck_assert_ptr_nonnull(sa = cl_login(s.port, "name=alice&room=lobby",
	    &status));
	open_raw(&sse, s.port, "/api/events?room=lobby");
	open_raw(&txt, s.port, "/chat.txt?room=lobby");
	ck_assert(stream_wait(&txt, "alice joined lobby", ITEST_TIMEOUT_MS));
	ck_assert_ptr_nonnull(sb = cl_login(s.port, "name=bob&room=lobby",
	    &status));
	ck_assert_int_eq(cl_say(s.port, sa, "%2Fmsg+bob+secret+stuff"), 200);
	ck_assert_int_eq(cl_say(s.port, sa, "public+words"), 200);
	id = publish_ok(s.port, "room=lobby&text=from+the+backend");
	snprintf(want, sizeof want, "id: %llu\n", id);
	ck_assert(stream_wait(&sse, want, ITEST_TIMEOUT_MS));
	ck_assert(stream_wait(&txt, "server [backend]> from the backend",
	    ITEST_TIMEOUT_MS));
	ck_assert(strstr(sse.data, "public words") != NULL);
	ck_assert(strstr(sse.data, "secret") == NULL);
	ck_assert(strstr(txt.data, "secret") == NULL);
	/* Not in names. */
	snprintf(target, sizeof target, "/api/names?sid=%s", sa);
	cl_get(s.port, target, &r);
	ck_assert_msg(strstr(r.body, "\"alice\"") && strstr(r.body, "\"bob\"")
	    && strstr(r.body, "\"you\":true") && r.body_len < 300, "%s",
	    r.body);
	reply_free(&r);
	/* A watcher's poll: one event after since, then the next. */
	cl_get(s.port, "/api/poll?room=lobby&timeout=1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(jd_parse(r.body, r.body_len, JD_CHATD, NULL, NULL) == 0,
	    "%s", r.body);
	ck_assert(sscanf(strstr(r.body, "\"next\":"), "\"next\":%llu", &next)
	    == 1);
	reply_free(&r);
	snprintf(target, sizeof target, "/api/poll?room=lobby&timeout=1&"
	    "since=%llu", id);
	cl_get(s.port, target, &r);
	ck_assert_msg(strncmp(r.body, "{\"events\":[],\"next\":", 20) == 0,
	    "%d %s %s", r.status, r.head, r.body);
	reply_free(&r);
	/* A watcher cannot talk: a say without a session is refused. */
	cl_post(s.port, "/api/say", "room=lobby&message=hi", &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	stream_close(&sse);
	stream_close(&txt);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(publish_keeps_the_origin_rule_and_room_cap)
{
	struct server s;
	struct reply r;
	char path[300], req[REQ_MAX], form[64], line[512];
	const char *body = "room=lobby&text=hi";
	FILE *f;
	int i, marked = 0;

	start_with_tokens(&s, path, sizeof path, NULL);
	/* Another site's page, no -O: refused even with the token. */
	snprintf(req, sizeof req, "POST /api/publish HTTP/1.0\r\n"
	    "Origin: http://evil.test\r\nAuthorization: Bearer " TOKEN "\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	publish_ok(s.port, "room=lobby&text=kept&from=ci&kind=action");
	/* The room cap: the lobby and 999 more, then 503. */
	for (i = 1; i < 1000; i++) {
		snprintf(form, sizeof form, "room=r%d&text=x", i);
		publish_ok(s.port, form);
	}
	ck_assert_int_eq(publish(s.port, "Bearer " TOKEN, "room=onemore&text=x",
	    &r), 503);
	reply_free(&r);
	srv_stop_clean(&s);
	/* The transcript marks the backend's line too. */
	snprintf(path, sizeof path, "%s/transcript", s.dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, "\tlobby\tci [backend]\taction\tkept\n"))
			marked = 1;
	fclose(f);
	ck_assert(marked);
}
END_TEST

Suite *
itest_pub_suite(void)
{
	Suite *s = suite_create("itest_pub");
	TCase *tc = tcase_create("pub");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, publish_without_T_is_404);
	tcase_add_test(tc, publish_statuses);
	tcase_add_test(tc, token_file_must_be_private);
	tcase_add_test(tc, token_file_0600_starts_and_sighup_rereads);
	tcase_add_test(tc, published_event_reaches_every_stream_marked);
	tcase_add_test(tc, cors_and_preflight_only_with_O);
	tcase_add_test(tc, cors_for_exactly_the_O_origins);
	tcase_add_test(tc, bad_O_values_exit_2);
	tcase_add_test(tc, publish_keeps_the_origin_rule_and_room_cap);
	tcase_add_test(tc, watchers_need_W);
	tcase_add_test(tc, watchers_read_only_not_in_names_no_whispers);
	suite_add_tcase(s, tc);
	return s;
}
