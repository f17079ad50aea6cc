/* itest_conn.c: integration tests for fairness: per-address limits, a full table, -Q, keepalive. */
#ifdef __linux__
#define _GNU_SOURCE		/* unshare(): a private network for one test */
#include <sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "suites.h"

#define SLOW_ADDRS	60	/* loopback addresses a slowloris comes from */
#define SLOW_EACH	3	/* connections from each */

/* A connection to 127.0.0.1:port from a source address in 127.0.0.0/8. */
static int
connect_from(const char *src, int port, int rcvbuf)
{
	struct sockaddr_in sin;
	int fd;

	ck_assert((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, src, &sin.sin_addr);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "bind %s: %s", src, strerror(errno));
	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "connect from %s: %s", src, strerror(errno));
	return fd;
}

/* Reads until EOF, a reset or ms; the bytes (NUL-terminated, caller frees). */
static char *
read_all(int fd, int ms, size_t *lenp, int *reset)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	long long until = itest_now() + ms, left;
	size_t len = 0, cap = 65536;
	char *data = malloc(cap);
	ssize_t n;

	*reset = 0;
	ck_assert_ptr_nonnull(data);
	for (;;) {
		left = until - itest_now();
		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			break;
		if (len + 4096 > cap)
			ck_assert_ptr_nonnull(data = realloc(data, cap *= 2));
		if ((n = read(fd, data + len, cap - len - 1)) <= 0) {
			*reset = n < 0;
			break;
		}
		len += (size_t)n;
	}
	data[len] = '\0';
	if (lenp)
		*lenp = len;
	return data;
}

/* Sends a request from src; the status of the answer, its body in *body if asked. */
static int
request_from(const char *src, int port, const char *req, char **body)
{
	char *data;
	int fd = connect_from(src, port, 0), status = 0, reset;
	size_t len;

	ck_assert(send(fd, req, strlen(req), MSG_NOSIGNAL) ==
	    (ssize_t)strlen(req));
	data = read_all(fd, ITEST_TIMEOUT_MS, &len, &reset);
	close(fd);
	sscanf(data, "HTTP/1.%*d %d", &status);
	if (body)
		*body = data;
	else
		free(data);
	return status;
}

static int
post_from(const char *src, int port, const char *path, const char *form,
    char **body)
{
	char req[2048];

	snprintf(req, sizeof req, "POST %s HTTP/1.0\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	    path, strlen(form), form);
	return request_from(src, port, req, body);
}

/* --- Logins and registrations per address -------------------------------- */

START_TEST(login_burst_gets_429)
{
	struct server s;
	char form[64], *body;
	int i;

	srv_start(&s, NULL);
	for (i = 0; i < 10; i++) {
		snprintf(form, sizeof form, "name=burst%d", i);
		ck_assert_int_eq(post_from("127.0.0.2", s.port, "/login", form,
		    NULL), 303);
	}
	ck_assert_int_eq(post_from("127.0.0.2", s.port, "/login",
	    "name=burst10", &body), 429);
	ck_assert_msg(strstr(body, "Too many logins from your address; try "
	    "again in a few seconds.") != NULL, "%s", body);
	ck_assert_ptr_nonnull(strstr(body, "charset=utf-8"));
	free(body);
	/* Registrations share the bucket; a wrong password costs a token too. */
	ck_assert_int_eq(post_from("127.0.0.2", s.port, "/register",
	    "name=reggie&passwd=secret", &body), 429);
	ck_assert_ptr_nonnull(strstr(body, "Too many registrations"));
	free(body);
	/* Another address has its own bucket. */
	ck_assert_int_eq(post_from("127.0.0.3", s.port, "/login",
	    "name=other", NULL), 303);
	/* Two a second come back. */
	poll(NULL, 0, 1100);
	ck_assert_int_eq(post_from("127.0.0.2", s.port, "/login",
	    "name=later1", NULL), 303);
	ck_assert_int_eq(post_from("127.0.0.2", s.port, "/login",
	    "name=later2", NULL), 303);
	ck_assert_int_eq(post_from("127.0.0.2", s.port, "/login",
	    "name=later3", NULL), 429);
	/* Showing the form costs nothing. */
	ck_assert_int_eq(request_from("127.0.0.2", s.port, "GET /login "
	    "HTTP/1.0\r\n\r\n", NULL), 200);
	ck_assert(srv_logged(&s, "127.0.0.2: login refused: too many", 0));
	srv_stop_clean(&s);
}
END_TEST

START_TEST(sessions_per_address_capped_at_i)
{
	struct server s;
	char form[64], *body;
	const char *sid;
	int i;

	/* The loopback address has no login bucket: only the cap counts. */
	srv_start(&s, "-i", "5", NULL);
	for (i = 0; i < 4; i++) {
		snprintf(form, sizeof form, "name=many%d", i);
		ck_assert_ptr_nonnull(cl_login(s.port, form, NULL));
	}
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=many4", NULL));
	ck_assert_int_eq(post_from("127.0.0.1", s.port, "/login",
	    "name=many5", &body), 429);
	ck_assert_msg(strstr(body, "Too many people are logged in from your "
	    "address") != NULL, "%s", body);
	free(body);
	/* Another address is not held back. */
	ck_assert_int_eq(post_from("127.0.0.4", s.port, "/login",
	    "name=elsewhere", NULL), 303);
	/* One leaves: a place is free again. */
	{
		char req[128];

		snprintf(req, sizeof req, "GET /leave?sid=%s HTTP/1.0\r\n\r\n",
		    sid);
		ck_assert_int_eq(request_from("127.0.0.1", s.port, req, NULL),
		    200);
	}
	ck_assert_ptr_nonnull(cl_login(s.port, "name=many5", NULL));
	srv_stop_clean(&s);
}
END_TEST

START_TEST(session_cap_below_connection_cap)
{
	struct server s;
	struct stream a;
	char form[64], *body;
	const char *first = NULL, *sid;
	int i, status;

	/* -c 16 keeps 2 for short requests: 14 sessions. */
	srv_start(&s, "-c", "16", NULL);
	for (i = 0; i < 14; i++) {
		snprintf(form, sizeof form, "name=full%d", i);
		ck_assert_ptr_nonnull(sid = cl_login(s.port, form, &status));
		if (first == NULL)
			first = sid;
	}
	ck_assert_int_eq(post_from("127.0.0.5", s.port, "/login",
	    "name=onemore", &body), 503);
	ck_assert_msg(strstr(body, "The server is full") != NULL, "%s", body);
	free(body);
	/* The room is not read-only. */
	ck_assert_int_eq(stream_open(&a, s.port, first, NULL), 200);
	ck_assert_int_eq(cl_say(s.port, first, "still+talking"), 200);
	ck_assert(stream_wait(&a, "still talking", 2000));
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/*
 * chatd as a user starts it, without the harness's -i: its pid, and its
 * port once the ready line is out (stderr goes to tests/out).
 */
static pid_t
start_plain(int *port)
{
	char path[128], buf[512];
	const char *bin = getenv("CHATD") ? getenv("CHATD") : "./chatd";
	long long until = itest_now() + ITEST_TIMEOUT_MS;
	ssize_t n;
	pid_t pid;
	char *p;
	int fd;

	mkdir("tests/out", 0755);
	snprintf(path, sizeof path, "tests/out/plain-%ld.err", (long)getpid());
	if ((pid = fork()) == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDERR_FILENO);
		execl(bin, "chatd", "-b", "127.0.0.1", "-p", "0", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	*port = 0;
	while (*port == 0 && itest_now() < until) {
		poll(NULL, 0, 20);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if ((p = strstr(buf, "http://127.0.0.1:")) != NULL)
			*port = atoi(p + 17);
	}
	unlink(path);
	if (*port == 0)
		kill(pid, SIGKILL);
	ck_assert_msg(*port > 0, "chatd did not start");
	return pid;
}

/* 200 chat frames from one address under the default -i (256). */
START_TEST(two_hundred_streams_from_one_address)
{
	struct stream *st;
	const char *sid, *talker;
	char form[64];
	int i, port, status;
	pid_t pid;

	pid = start_plain(&port);
	ck_assert_ptr_nonnull(st = calloc(200, sizeof *st));
	for (i = 0; i < 200; i++) {
		snprintf(form, sizeof form, "name=crowd%d", i);
		ck_assert_ptr_nonnull(sid = cl_login(port, form, NULL));
		ck_assert_int_eq(stream_open(&st[i], port, sid, NULL), 200);
	}
	ck_assert_ptr_nonnull(talker = cl_login(port, "name=speaker", NULL));
	ck_assert_int_eq(cl_say(port, talker, "hello+all"), 200);
	for (i = 0; i < 200; i++) {
		ck_assert_msg(stream_wait(&st[i], "hello all", 3000),
		    "stream %d missed it", i);
		stream_close(&st[i]);
	}
	free(st);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

/* --- A full table ---------------------------------------------------------- */

/*
 * Slowloris from many addresses fills the table with connections that
 * never finish their heads: a logged-in user still talks, and the slow
 * ones are dropped oldest first.
 */
START_TEST(slowloris_many_addresses_cannot_lock_out_talk)
{
	struct server s;
	struct stream a;
	const char *sid;
	char src[32], c;
	int fds[SLOW_ADDRS * SLOW_EACH], i, dropped = 0, status;

	srv_start(&s, "-c", "40", NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=steady", NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sid, NULL), 200);
	for (i = 0; i < SLOW_ADDRS * SLOW_EACH; i++) {
		snprintf(src, sizeof src, "127.0.1.%d", 10 + i % SLOW_ADDRS);
		fds[i] = connect_from(src, s.port, 0);
		ck_assert(send(fds[i], "GET / HTTP/1.0\r\nX-a: ", 21,
		    MSG_NOSIGNAL) == 21);
	}
	poll(NULL, 0, 300);
	for (i = 0; i < 5; i++) {
		char msg[32], text[32];

		snprintf(msg, sizeof msg, "through%d", i);
		snprintf(text, sizeof text, ">through%d<", i);
		status = cl_say(s.port, sid, msg);
		ck_assert_msg(status == 200, "/dotalk got %d with the table "
		    "full", status);
		ck_assert(stream_wait(&a, text, 2000));
		/* They keep trickling. */
		c = 'a';
		ck_assert(send(fds[SLOW_ADDRS * SLOW_EACH - 1 - i], &c, 1,
		    MSG_NOSIGNAL) == 1);
	}
	/* The oldest went first: the first ones are gone, the last are not. */
	for (i = 0; i < SLOW_ADDRS * SLOW_EACH; i++) {
		struct pollfd pfd = { fds[i], POLLIN, 0 };
		char buf[64];

		if (poll(&pfd, 1, 0) == 1 && read(fds[i], buf, sizeof buf) <= 0)
			dropped++;
		if (i == 0)
			ck_assert_msg(dropped == 1, "the oldest is still open");
	}
	ck_assert_int_ge(dropped, SLOW_ADDRS * SLOW_EACH - 40);
	ck_assert(srv_logged(&s, "dropped: reading its request for", 0));
	for (i = 0; i < SLOW_ADDRS * SLOW_EACH; i++)
		close(fds[i]);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/*
 * A refusal with the request unread: the 503 arrives whole, ended by EOF,
 * never by a reset.  chatd is stopped while the client sends, so the
 * request waits in chatd's receive buffer when the answer goes out.
 */
START_TEST(refusal_page_arrives_intact)
{
	struct server s;
	struct stream a;
	const char *sid;
	char req[6000], *data;
	size_t len;
	int held, fd, reset, i;

	srv_start(&s, "-c", "2", NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=holder", NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sid, NULL), 200);
	/* Answered and lingering: nobody is reading a request to drop. */
	held = cl_connect(s.port);
	ck_assert(write(held, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
	poll(NULL, 0, 100);
	for (i = 0; i < 3; i++) {
		snprintf(req, sizeof req, "GET /?pad=%0*d HTTP/1.0\r\nX-b: ",
		    5000, 0);
		ck_assert_int_eq(kill(s.pid, SIGSTOP), 0);
		fd = connect_from("127.0.0.7", s.port, 0);
		ck_assert(send(fd, req, strlen(req), MSG_NOSIGNAL) ==
		    (ssize_t)strlen(req));
		poll(NULL, 0, 50);
		ck_assert_int_eq(kill(s.pid, SIGCONT), 0);
		data = read_all(fd, 3000, &len, &reset);
		ck_assert_msg(!reset, "the refusal was reset after %zu bytes",
		    len);
		ck_assert_msg(strncmp(data, "HTTP/1.0 503 ", 13) == 0 ||
		    strncmp(data, "HTTP/1.1 503 ", 13) == 0, "got: %.80s", data);
		ck_assert_ptr_nonnull(strstr(data, "</html>"));
		free(data);
		close(fd);
	}
	close(held);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/* A reader who stopped, with a small receive buffer. */
static int
stalled_stream(struct stream *st, const char *src, int port, const char *name)
{
	char form[64];
	const char *sid;

	snprintf(form, sizeof form, "name=%s", name);
	ck_assert_ptr_nonnull(sid = cl_login(port, form, NULL));
	return stream_open_fd(st, connect_from(src, port, 2048), sid, NULL);
}

static int
say_as(int port, int n, const char *message)
{
	char form[64];
	const char *sid;

	snprintf(form, sizeof form, "name=poster%d", n);
	ck_assert_ptr_nonnull(sid = cl_login(port, form, NULL));
	return cl_say(port, sid, message);
}

/* Reads and drops what a stream has received so far. */
static void
drain(struct stream *st)
{
	struct pollfd pfd = { st->fd, POLLIN, 0 };
	char buf[65536];

	while (poll(&pfd, 1, 0) == 1 && read(st->fd, buf, sizeof buf) > 0)
		;
}

/* -Q: past the total, the stream holding the most goes first. */
START_TEST(total_queue_cuts_the_biggest)
{
	struct server s;
	struct stream big, small, fast;
	int i, n = 0;

	/* No history replay: only what is said while it is open counts. */
	srv_start(&s, "-Q", "1", "-q", "4096", "-m", "3000", "-H", "0", NULL);
	ck_assert_int_eq(stream_open(&fast, s.port, cl_login(s.port,
	    "name=fast", NULL), NULL), 200);
	ck_assert_int_eq(stalled_stream(&big, "127.0.0.8", s.port, "big"), 200);
	/* About 10 KB an event. */
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(say_as(s.port, n++, cl_angles(2600)), 200);
	ck_assert_int_eq(stalled_stream(&small, "127.0.0.9", s.port, "small"),
	    200);
	for (i = 0; i < 150 && !srv_logged(&s, "127.0.0.8: cut off", 0); i++) {
		ck_assert_int_eq(say_as(s.port, n++, cl_angles(2600)), 200);
		drain(&fast);
	}
	ck_assert_msg(srv_logged(&s, "127.0.0.8: cut off", 1000), "the "
	    "biggest holder was never cut");
	ck_assert(srv_logged(&s, "the limit is 1048576", 0));
	ck_assert_msg(!srv_logged(&s, "127.0.0.9: cut off", 0), "the smaller "
	    "holder was cut");
	ck_assert(stream_wait_eof(&big, 3000));
	/* The others go on. */
	ck_assert_int_eq(say_as(s.port, n++, "after+the+cut"), 200);
	ck_assert(stream_wait(&fast, "after the cut", 3000));
	stream_close(&big);
	stream_close(&small);
	stream_close(&fast);
	srv_stop_clean(&s);
}
END_TEST

#define FAN_STREAMS	300	/* more than one slice of writes (256) */

/*
 * A broadcast to many streams is written over several passes of the
 * loop; every stream still gets every event, in order.  -Q counts what
 * the queues hold in memory: the same 10 KB event queued to 300 readers
 * is 10 KB, not 3 MB, so nobody who reads is cut at -Q 1.
 */
START_TEST(broadcast_to_many_all_in_order_within_total_queue)
{
	static struct stream st[FAN_STREAMS];
	static char msg[3 * 2600 + 16];
	static const char *const tags[] = { "first", "second", "third" };
	struct server s;
	const char *sid, *poster, *a, *b, *c;
	char form[32];
	size_t t;
	int i;

	srv_start(&s, "-Q", "1", "-m", "3000", "-H", "0", "-i", "1000", NULL);
	for (i = 0; i < FAN_STREAMS; i++) {
		snprintf(form, sizeof form, "name=fan%d", i);
		ck_assert_ptr_nonnull(sid = cl_login(s.port, form, NULL));
		ck_assert_int_eq(stream_open(&st[i], s.port, sid, NULL), 200);
	}
	ck_assert_ptr_nonnull(poster = cl_login(s.port, "name=poster", NULL));
	for (t = 0; t < 3; t++) {
		snprintf(msg, sizeof msg, "%s%s", tags[t], cl_angles(2600));
		ck_assert_int_eq(cl_say(s.port, poster, msg), 200);
	}
	for (i = 0; i < FAN_STREAMS; i++) {
		ck_assert_msg(stream_wait(&st[i], "third&lt;", 5000),
		    "stream %d missed an event", i);
		a = strstr(st[i].data, "first&lt;");
		b = strstr(st[i].data, "second&lt;");
		c = strstr(st[i].data, "third&lt;");
		ck_assert_msg(a != NULL && b != NULL && a < b && b < c,
		    "stream %d: out of order", i);
		ck_assert_int_eq(stream_count(&st[i], "first&lt;"), 1);
		stream_close(&st[i]);
	}
	ck_assert_msg(!srv_logged(&s, "cut off", 0), "a reader was cut");
	srv_stop_clean(&s);
}
END_TEST

START_TEST(bad_total_queue_exits_2)
{
	static const char *const bad[] = { "0", "4096", "x", "-1" };
	char err[2048], want[64];
	size_t i;
	ssize_t n;
	int status, pipefd[2];
	pid_t pid;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(pipe(pipefd), 0);
		if ((pid = fork()) == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(pipefd[1], STDERR_FILENO);
			dup2(null, STDOUT_FILENO);
			execl(getenv("CHATD") ? getenv("CHATD") : "./chatd",
			    "chatd", "-p", "0", "-Q", bad[i], (char *)NULL);
			_exit(127);
		}
		close(pipefd[1]);
		n = read(pipefd[0], err, sizeof err - 1);
		err[n > 0 ? n : 0] = '\0';
		close(pipefd[0]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		    "-Q %s: status %d", bad[i], status);
		snprintf(want, sizeof want, "-Q %s: from 1 to 4095 MiB", bad[i]);
		ck_assert_msg(strstr(err, want) != NULL, "stderr: %s", err);
	}
}
END_TEST

/*
 * Message k goes from one of two users to the other, within the rate
 * limit.  Two more idle connections come first, so that whatever room
 * the table had is taken again when the message is sent.
 */
static void
say_between(int port, int k, const char *sa, const char *sb, struct stream *a,
    struct stream *b, int *idle)
{
	char msg[32], text[40];

	poll(NULL, 0, 300);
	idle[0] = connect_from("127.0.3.1", port, 0);
	idle[1] = connect_from("127.0.3.2", port, 0);
	poll(NULL, 0, 50);
	snprintf(msg, sizeof msg, "word%d", k);
	snprintf(text, sizeof text, ">word%d<", k);
	ck_assert_int_eq(cl_say(port, k % 2 ? sa : sb, msg), 200);
	ck_assert_msg(stream_wait(k % 2 ? b : a, text, 2000), "%s lost", msg);
}

/*
 * Few descriptors (ulimit -n 64, so 32 connections and 28 sessions):
 * newcomers and idle connections from many addresses, people logging in
 * until the server is full, and two users who were there first keep
 * talking the whole time.
 */
START_TEST(descriptor_limit_users_keep_chatting)
{
	struct server s;
	struct stream a, b;
	const char *sa, *sb, *sid;
	char wrapper[128];
	FILE *f;
	char src[32], form[64];
	int fds[150], more[40], i, k = 0, full = 0, status;

	/* chatd raises its soft limit to the hard one: lower both, in a shell. */
	mkdir("tests/out", 0755);
	snprintf(wrapper, sizeof wrapper, "tests/out/nofile64-%ld.sh",
	    (long)getpid());
	ck_assert_ptr_nonnull(f = fopen(wrapper, "w"));
	fprintf(f, "#!/bin/sh\nulimit -n 64 || exit 1\nexec %s \"$@\"\n",
	    getenv("CHATD") ? getenv("CHATD") : "./chatd");
	fclose(f);
	chmod(wrapper, 0755);
	setenv("CHATD", wrapper, 1);
	srv_start(&s, NULL);
	unlink(wrapper);
	ck_assert_ptr_nonnull(sa = cl_login(s.port, "name=ann", NULL));
	ck_assert_ptr_nonnull(sb = cl_login(s.port, "name=ben", NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sa, NULL), 200);
	ck_assert_int_eq(stream_open(&b, s.port, sb, NULL), 200);
	for (i = 0; i < 150; i++) {
		snprintf(src, sizeof src, "127.0.2.%d", 1 + i % 100);
		fds[i] = connect_from(src, s.port, 0);
		if (i % 15 != 14)
			continue;
		say_between(s.port, k, sa, sb, &a, &b, more + 2 * k), k++;
		snprintf(form, sizeof form, "name=late%d", i);
		if ((sid = cl_login(s.port, form, &status)) == NULL) {
			ck_assert_int_eq(status, 503);
			full++;
		}
	}
	/* Log in until full: sessions stop before connections do. */
	for (i = 0; i < 40 && !full; i++) {
		snprintf(form, sizeof form, "name=fill%d", i);
		if (cl_login(s.port, form, &status) == NULL) {
			ck_assert_int_eq(status, 503);
			full++;
		}
	}
	ck_assert_int_gt(full, 0);
	for (i = 0; i < 4; i++)
		say_between(s.port, k, sa, sb, &a, &b, more + 2 * k), k++;
	for (i = 0; i < 150; i++)
		close(fds[i]);
	for (i = 0; i < 2 * k; i++)
		close(more[i]);
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Streams have TCP keepalive armed at -k seconds (the kernel's table shows
 * the timer), so a peer that vanished is noticed.
 */
START_TEST(streams_have_keepalive)
{
	struct server s;
	struct stream a;
	char line[512], want[16];
	FILE *f;
	unsigned st, tr;
	unsigned long when;
	int found = 0;

	if (access("/proc/net/tcp", R_OK) != 0)
		return;
	srv_start(&s, "-k", "7", NULL);
	ck_assert_int_eq(stream_open(&a, s.port, cl_login(s.port, "name=kept",
	    NULL), NULL), 200);
	poll(NULL, 0, 300);
	/* Only chatd's own side: a client elsewhere may use the same port. */
	snprintf(want, sizeof want, "0100007F:%04X ", s.port);
	ck_assert_ptr_nonnull(f = fopen("/proc/net/tcp", "r"));
	while (fgets(line, sizeof line, f) != NULL) {
		char *local = strchr(line, ':');

		/* sl: local rem st tx:rx tr:when */
		if (local == NULL || strncmp(local + 2, want, strlen(want)) != 0)
			continue;
		local = strchr(local + 1, ':');
		if (sscanf(local + 6, "%*s %x %*x:%*x %x:%lx", &st, &tr,
		    &when) != 3 || st != 1)
			continue;
		ck_assert_msg(tr == 2, "a stream's socket has timer %u, not "
		    "keepalive: %s", tr, line);
		ck_assert_msg(when <= 7 * 100UL + 50, "keepalive in %lu ticks",
		    when);
		found++;
	}
	fclose(f);
	ck_assert_int_eq(found, 1);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

#ifdef __linux__
/* Sets the loopback interface of this network namespace up or down. */
static int
loopback_up(int up)
{
	struct ifreq ifr;
	int fd, rc = -1;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}
#endif

/*
 * A reader whose network vanished: in a network namespace of its own
 * (root only), the loopback goes down under an open stream.  Nothing is
 * acknowledged any more, and the session must leave within about
 * 2 x -k + -g, not after TCP's quarter of an hour of retransmissions.
 */
START_TEST(vanished_reader_leaves_in_time)
{
#ifdef __linux__
	struct server s;
	struct stream a;
	const char *sid;
	long long t;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) == -1 ||
	    loopback_up(1) == -1)
		return;		/* needs root: nothing to check here */
	srv_start(&s, "-k", "2", "-g", "1", NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=gone", NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sid, NULL), 200);
	poll(NULL, 0, 300);
	ck_assert_int_eq(loopback_up(0), 0);
	t = itest_now();
	ck_assert_msg(srv_logged(&s, "gone left lobby", 9000), "still in the "
	    "room %lld ms after its network vanished", itest_now() - t);
	/* 2 x 2 s + 1 s, and some slack for the kernel's timers. */
	ck_assert_int_le(itest_now() - t, 7500);
	ck_assert_int_eq(loopback_up(1), 0);
	stream_close(&a);
	srv_stop_clean(&s);
#endif
}
END_TEST

Suite *
itest_conn_suite(void)
{
	Suite *s = suite_create("itest_conn");
	TCase *tc = tcase_create("conn");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, login_burst_gets_429);
	tcase_add_test(tc, sessions_per_address_capped_at_i);
	tcase_add_test(tc, session_cap_below_connection_cap);
	tcase_add_test(tc, two_hundred_streams_from_one_address);
	tcase_add_test(tc, slowloris_many_addresses_cannot_lock_out_talk);
	tcase_add_test(tc, refusal_page_arrives_intact);
	tcase_add_test(tc, total_queue_cuts_the_biggest);
	tcase_add_test(tc, broadcast_to_many_all_in_order_within_total_queue);
	tcase_add_test(tc, bad_total_queue_exits_2);
	tcase_add_test(tc, descriptor_limit_users_keep_chatting);
	tcase_add_test(tc, streams_have_keepalive);
	tcase_add_test(tc, vanished_reader_leaves_in_time);
	suite_add_tcase(s, tc);
	return s;
}
