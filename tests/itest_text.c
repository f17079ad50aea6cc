/* itest_text.c: /chat.txt end to end, kept notices, and a shutdown that costs one line per stream. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "suites.h"

#define WAIT_MS		3000
#define MANY		300	/* streams at shutdown */

/* Opens /chat.txt (or another stream path) for sid; returns the status. */
static int
txt_open(struct stream *st, int port, const char *path, const char *sid,
    const char *since)
{
	char req[512];
	int status = 0;

	memset(st, 0, sizeof *st);
	st->fd = cl_connect(port);
	snprintf(req, sizeof req, "GET %s?sid=%s%s%s HTTP/1.0\r\n\r\n", path,
	    sid, since ? "&since=" : "", since ? since : "");
	ck_assert(write(st->fd, req, strlen(req)) == (ssize_t)strlen(req));
	if (stream_wait(st, "\r\n\r\n", WAIT_MS))
		sscanf(st->data, "HTTP/1.%*d %d", &status);
	return status;
}

/* Logs in from a source address of 127/8, so the login rate of one address is no bound. */
static void
login_from(int port, const char *src, const char *name, char *sid)
{
	struct sockaddr_in sin;
	char req[256], buf[8192], *p;
	size_t len = 0;
	ssize_t n;
	int fd;

	ck_assert((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, src, &sin.sin_addr);
	ck_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	snprintf(req, sizeof req, "POST /login HTTP/1.0\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n"
	    "name=%s", strlen(name) + 5, name);
	ck_assert(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	ck_assert_msg((p = strstr(buf, "sid=")) != NULL, "login %s", name);
	memcpy(sid, p + 4, 32);
	sid[32] = '\0';
}

START_TEST(text_stream_end_to_end)
{
	struct server s;
	struct stream t;
	char sa[33], sb[33];

	srv_start(&s, NULL);
	strcpy(sa, cl_login(s.port, "name=alice", NULL));
	strcpy(sb, cl_login(s.port, "name=bob", NULL));
	ck_assert_int_eq(txt_open(&t, s.port, "/chat.txt", sb, NULL), 200);
	ck_assert_ptr_nonnull(strstr(t.data,
	    "Content-Type: text/plain; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(t.data, "Cache-Control: no-store"));
	ck_assert_ptr_null(strstr(t.data, "Content-Length"));
	ck_assert(stream_wait(&t, " -> bob joined lobby\n", WAIT_MS));
	ck_assert_int_eq(cl_say(s.port, sa, "hello+%3Cb%3E%26amp%3B"), 200);
	ck_assert(stream_wait(&t, " <alice> hello <b>&amp;\n", WAIT_MS));
	ck_assert_int_eq(cl_say(s.port, sa, "%2Fme+waves"), 200);
	ck_assert(stream_wait(&t, " * alice waves\n", WAIT_MS));
	ck_assert_int_eq(cl_say(s.port, sa, "one%0D%0Atwo"), 200);
	ck_assert(stream_wait(&t, " <alice> one\n      two\n", WAIT_MS));
	ck_assert_int_eq(cl_say(s.port, sa, "%2Fmsg+bob+psst"), 200);
	ck_assert(stream_wait(&t, " alice -> bob (whisper): psst\n", WAIT_MS));
	ck_assert_int_eq(cl_say(s.port, sb, "%2Fnope"), 200);
	ck_assert(stream_wait(&t, " *** Unknown command", WAIT_MS));
	ck_assert_int_eq(cl_say(s.port, sa, "%2Fquit"), 200);
	ck_assert(stream_wait(&t, " <- alice left lobby (quit)\n", WAIT_MS));
	/* Nothing of HTML reaches a text stream. */
	ck_assert_int_eq(stream_count(&t, "<div"), 0);
	ck_assert_int_eq(stream_count(&t, "<!--"), 0);
	stream_close(&t);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(text_stream_replays_since)
{
	struct server s;
	struct stream h, t;
	char sa[33], since[32];
	const char *p;

	srv_start(&s, NULL);
	strcpy(sa, cl_login(s.port, "name=carl", NULL));
	ck_assert_int_eq(cl_say(s.port, sa, "first"), 200);
	ck_assert_int_eq(cl_say(s.port, sa, "second"), 200);
	/* The number of "first", read from an HTML stream. */
	ck_assert_int_eq(stream_open(&h, s.port, sa, NULL), 200);
	ck_assert(stream_wait(&h, ">second<", WAIT_MS));
	p = strstr(h.data, ">first<");
	while (p > h.data && strncmp(p, " id=\"e", 6) != 0)
		p--;
	snprintf(since, sizeof since, "%llu", strtoull(p + 6, NULL, 10));
	ck_assert_int_eq(txt_open(&t, s.port, "/chat.txt", sa, since), 200);
	ck_assert(stream_wait(&t, "<carl> second\n", WAIT_MS));
	ck_assert_int_eq(stream_count(&t, "<carl> first"), 0);
	ck_assert_int_eq(stream_count(&t, "joined"), 0);
	/* The HTML stream it replaced got its end line. */
	ck_assert(stream_wait(&h, "replaced", WAIT_MS));
	ck_assert(stream_wait_eof(&h, WAIT_MS));
	stream_close(&h);
	stream_close(&t);
	srv_stop_clean(&s);
}
END_TEST

/* A second stream of any kind replaces the first, with an end line. */
START_TEST(text_stream_replaced_by_any_stream)
{
	struct server s;
	struct stream t1, t2, h;
	char sa[33];

	srv_start(&s, NULL);
	strcpy(sa, cl_login(s.port, "name=dana", NULL));
	ck_assert_int_eq(txt_open(&t1, s.port, "/chat.txt", sa, NULL), 200);
	ck_assert(stream_wait(&t1, "joined lobby\n", WAIT_MS));
	ck_assert_int_eq(txt_open(&t2, s.port, "/chat.txt", sa, NULL), 200);
	ck_assert(stream_wait(&t1, " *** This stream was replaced by a newer "
	    "one.\n", WAIT_MS));
	ck_assert(stream_wait_eof(&t1, WAIT_MS));
	ck_assert_int_eq(stream_open(&h, s.port, sa, NULL), 200);
	ck_assert(stream_wait(&t2, " *** This stream was replaced", WAIT_MS));
	ck_assert(stream_wait_eof(&t2, WAIT_MS));
	ck_assert_int_eq(cl_say(s.port, sa, "still+here"), 200);
	ck_assert(stream_wait(&h, "still here", WAIT_MS));
	stream_close(&t1);
	stream_close(&t2);
	stream_close(&h);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(text_stream_keepalive_and_goodbye)
{
	struct server s;
	struct stream t;
	struct reply r;
	char sa[33], target[64];

	srv_start(&s, "-k", "1", NULL);
	strcpy(sa, cl_login(s.port, "name=emma", NULL));
	ck_assert_int_eq(txt_open(&t, s.port, "/chat.txt", sa, NULL), 200);
	/* An idle text stream gets an empty line. */
	ck_assert(stream_wait(&t, "joined lobby\n\n", 2500));
	snprintf(target, sizeof target, "/leave?sid=%s", sa);
	cl_get(s.port, target, &r);
	reply_free(&r);
	ck_assert(stream_wait(&t, " *** You left the chat. Goodbye!\n", WAIT_MS));
	ck_assert(stream_wait_eof(&t, WAIT_MS));
	stream_close(&t);
	srv_stop_clean(&s);
}
END_TEST

/* A text stream has no line budget: -l never makes it end. */
START_TEST(text_stream_has_no_line_budget)
{
	struct server s;
	struct stream t;
	char sa[33], sx[33], line[32], form[24];
	int i, j;

	srv_start(&s, "-l", "10", NULL);
	strcpy(sa, cl_login(s.port, "name=finn", NULL));
	ck_assert_int_eq(txt_open(&t, s.port, "/chat.txt", sa, NULL), 200);
	/* Three talkers (the rate limit is per session): 15 lines in all. */
	for (j = 0; j < 3; j++) {
		snprintf(form, sizeof form, "name=x%d", j);
		strcpy(sx, cl_login(s.port, form, NULL));
		for (i = 0; i < 4; i++) {
			snprintf(line, sizeof line, "%%2Fme+counts+%d", 4 * j + i);
			ck_assert_int_eq(cl_say(s.port, sx, line), 200);
		}
	}
	ck_assert(stream_wait(&t, "* x2 counts 11\n", WAIT_MS));
	ck_assert(!stream_wait_eof(&t, 200));
	ck_assert_int_eq(stream_count(&t, "since="), 0);
	stream_close(&t);
	srv_stop_clean(&s);
}
END_TEST

/* HEAD /chat.txt answers the head and opens no stream. */
START_TEST(text_stream_head)
{
	struct server s;
	struct reply r;
	char sa[33], req[128];

	srv_start(&s, NULL);
	strcpy(sa, cl_login(s.port, "name=gus", NULL));
	snprintf(req, sizeof req, "HEAD /chat.txt?sid=%s HTTP/1.0\r\n\r\n", sa);
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "text/plain; charset=utf-8"));
	ck_assert_uint_eq(r.body_len, 0);
	reply_free(&r);
	cl_get(s.port, "/chat.txt?sid=0123456789abcdef0123456789abcdef", &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Notices that come while no stream is open are kept (64 at most, the
 * newest) and go first on the next stream, before the replay.
 */
START_TEST(notices_wait_for_the_next_stream)
{
	struct server s;
	struct stream t;
	char sa[33];
	const char *first, *join;
	int i;

	srv_start(&s, NULL);
	strcpy(sa, cl_login(s.port, "name=hugo", NULL));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(cl_say(s.port, sa, "%2Fnope"), 200);
	ck_assert_int_eq(txt_open(&t, s.port, "/chat.txt", sa, NULL), 200);
	ck_assert(stream_wait(&t, "joined lobby\n", WAIT_MS));
	ck_assert_int_eq(stream_count(&t, "*** Unknown command"), 3);
	first = strstr(t.data, "*** Unknown command");
	join = strstr(t.data, "-> hugo joined lobby");
	ck_assert(first < join);
	stream_close(&t);
	srv_stop_clean(&s);
}
END_TEST

/*
 * At shutdown each of 300 streams gets its own shutdown line and no
 * leave of anyone: one line per stream, not one per pair.
 */
START_TEST(shutdown_is_one_line_per_stream)
{
	static struct stream st[MANY];
	static char sids[MANY][33];
	struct server s;
	char src[32], name[16];
	int i;

	srv_start(&s, "-H", "1", "-c", "1000", NULL);
	for (i = 0; i < MANY; i++) {
		/* Ten logins (a burst) from each address. */
		snprintf(src, sizeof src, "127.0.%d.%d", 1 + i / 10 / 200,
		    1 + (i / 10) % 200);
		snprintf(name, sizeof name, "u%03d", i);
		login_from(s.port, src, name, sids[i]);
	}
	for (i = 0; i < MANY; i++)
		ck_assert_int_eq(txt_open(&st[i], s.port, i % 2 ? "/chat.txt" :
		    "/chat", sids[i], NULL), 200);
	/* Every stream is open once the last one saw its replay. */
	ck_assert(stream_wait(&st[MANY - 1], "u299", WAIT_MS));
	ck_assert_int_eq(srv_stop(&s), 0);
	for (i = 0; i < MANY; i++) {
		ck_assert(stream_wait_eof(&st[i], WAIT_MS));
		ck_assert_msg(stream_count(&st[i], "The server is shutting "
		    "down.") == 1, "stream %d", i);
		ck_assert_msg(stream_count(&st[i], " left lobby") == 0,
		    "stream %d saw leaves", i);
		stream_close(&st[i]);
	}
}
END_TEST

Suite *
itest_text_suite(void)
{
	Suite *s = suite_create("itest_text");
	TCase *tc = tcase_create("text");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, text_stream_end_to_end);
	tcase_add_test(tc, text_stream_replays_since);
	tcase_add_test(tc, text_stream_replaced_by_any_stream);
	tcase_add_test(tc, text_stream_keepalive_and_goodbye);
	tcase_add_test(tc, text_stream_has_no_line_budget);
	tcase_add_test(tc, text_stream_head);
	tcase_add_test(tc, notices_wait_for_the_next_stream);
	tcase_add_test(tc, shutdown_is_one_line_per_stream);
	suite_add_tcase(s, tc);
	return s;
}
