/* itest_instance.c: the flags of several instances (-R, -N), the sid's instance digits, and -h's Redis line. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "itest.h"
#include "suites.h"

#define OUT_MAX		8192	/* bytes kept of a short run's stdout or stderr */
#define RUN_MS		5000	/* a run that only parses flags ends sooner */

/* What a chatd that was meant to exit wrote, and how it ended. */
struct exited {
	int	 code;		/* exit status, -1 if it did not exit by itself */
	char	 out[OUT_MAX];
	char	 err[OUT_MAX];
};

/* Reads a pipe until EOF or the deadline into buf (NUL-terminated). */
static void
drain(int fd, char *buf, size_t size, long long until)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t len = 0;
	ssize_t n;

	while (itest_now() < until && poll(&pfd, 1, 50) >= 0) {
		if ((pfd.revents & (POLLIN | POLLHUP)) == 0)
			continue;
		if ((n = read(fd, buf + len, size - 1 - len)) <= 0)
			break;
		if ((len += (size_t)n) == size - 1)
			break;
	}
	buf[len] = '\0';
}

/* Runs chatd with args (NULL-terminated, binary excluded) to its end. */
static void
run_chatd(struct exited *e, const char *const *args)
{
	const char *bin = getenv("CHATD");
	char *argv[16];
	int out[2], err[2], n = 0, status;
	long long until = itest_now() + RUN_MS;
	pid_t pid, got;

	argv[n++] = (char *)(bin ? bin : "./chatd");
	while (*args != NULL && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	ck_assert(pipe(out) == 0 && pipe(err) == 0);
	if ((pid = fork()) == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(out[0]);
		close(err[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	ck_assert(pid > 0);
	close(out[1]);
	close(err[1]);
	/* Flag errors are short: stdout first is safe, the pipes never fill. */
	drain(out[0], e->out, sizeof e->out, until);
	drain(err[0], e->err, sizeof e->err, until);
	close(out[0]);
	close(err[0]);
	while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
	    itest_now() < until)
		poll(NULL, 0, 10);
	e->code = -1;
	if (got == pid && WIFEXITED(status))
		e->code = WEXITSTATUS(status);
	else if (got != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

/*
 * The flag refused: exit 2, one error line naming the flag and its value
 * (and containing why, if given), then the usage, nothing on stdout.
 */
static void
assert_refused(const char *flag, const char *value, const char *why)
{
	const char *args[] = { "-p", "0", flag, value, NULL };
	struct exited e;
	char *nl, want[300];

	run_chatd(&e, args);
	ck_assert_msg(e.code == 2, "%s '%s': exit %d, stderr: %s", flag, value,
	    e.code, e.err);
	ck_assert_msg((nl = strchr(e.err, '\n')) != NULL, "%s '%s': stderr: %s",
	    flag, value, e.err);
	*nl = '\0';
	snprintf(want, sizeof want, "chatd: %s %s: ", flag, value);
	ck_assert_msg(strncmp(e.err, want, strlen(want)) == 0,
	    "%s '%s': error line: %s", flag, value, e.err);
	if (why != NULL)
		ck_assert_msg(strstr(e.err, why) != NULL, "%s '%s': error line "
		    "does not say '%s': %s", flag, value, why, e.err);
	ck_assert_msg(strncmp(nl + 1, "usage: chatd ", 13) == 0,
	    "%s '%s': no usage after the error line: %s", flag, value, nl + 1);
	ck_assert_msg(e.out[0] == '\0', "%s '%s': stdout: %s", flag, value,
	    e.out);
}

/* A loopback port nobody listens on just now, whose low byte is not 0. */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len;
	int fd, port;

	do {
		ck_assert((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof sin;
		ck_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
		ck_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
		port = ntohs(sin.sin_port);
		close(fd);
	} while (port % 256 == 0);
	return port;
}

/* Logs a guest in n times; every sid must begin with the two digits. */
static void
assert_sids_begin(int port, const char *digits, int n)
{
	const char *sid;
	char form[64];
	int i, status;

	for (i = 0; i < n; i++) {
		snprintf(form, sizeof form, "name=guest%d", i);
		sid = cl_login(port, form, &status);
		ck_assert_msg(sid != NULL, "login %d: status %d", i, status);
		ck_assert_msg(strlen(sid) == 32 && strncmp(sid, digits, 2) == 0,
		    "sid %s does not begin with %s", sid, digits);
	}
}

START_TEST(n_refuses_all_but_two_hex_digits)
{
	static const char *const bad[] = { "", "1", "001", "g0", "0g", "0x",
	    "-1", " 1", "1 ", "100" };
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_refused("-N", bad[i], "two hex digits");
}
END_TEST

START_TEST(r_refuses_what_is_not_host_port)
{
	static const char *const bad[] = { "", "localhost", "127.0.0.1",
	    ":6379", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
	    "127.0.0.1:x", "127.0.0.1:+1", "[::1]", "[]:6379", "[::1:6379",
	    "::1]:6379" };
	size_t i;

	if (!CONFIG_REDIS_BUILT) {
		/* Whatever the value, a build without Redis says so first. */
		assert_refused("-R", "127.0.0.1:6379", "built without Redis");
		assert_refused("-R", "localhost", "built without Redis");
		return;
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_refused("-R", bad[i], "host:port");
}
END_TEST

/* The forms -R takes start a server (the link comes up in the loop). */
START_TEST(r_takes_host_port_forms)
{
	static const char *const good[] = { "127.0.0.1:1", "localhost:1",
	    "[::1]:1" };
	struct server s;
	size_t i;

	if (!CONFIG_REDIS_BUILT)
		return;
	/* Nobody listens on port 1: chatd starts and chats locally anyway. */
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		srv_start(&s, "-R", good[i], "-N", "0a", NULL);
		assert_sids_begin(s.port, "0a", 1);
		srv_stop_clean(&s);
	}
}
END_TEST

START_TEST(help_says_whether_redis_is_built)
{
	static const char *const args[] = { "-h", NULL };
	struct exited e;
	const char *line;

	run_chatd(&e, args);
	ck_assert_int_eq(e.code, 0);
	ck_assert_msg(strstr(e.out, "[-N instance]") != NULL &&
	    strstr(e.out, "[-R redis_host:port]") != NULL, "usage: %s", e.out);
	ck_assert_msg(strstr(e.out, "\nevent loop: ") != NULL, "%s", e.out);
	if (CONFIG_REDIS_BUILT) {
		line = strstr(e.out, "\nredis: built (hiredis ");
		ck_assert_msg(line != NULL, "no redis line: %s", e.out);
		/* A version: digits and dots, then the parenthesis. */
		line += strlen("\nredis: built (hiredis ");
		ck_assert_msg(line[0] >= '0' && line[0] <= '9' &&
		    strspn(line, "0123456789.") > 2 &&
		    strncmp(line + strspn(line, "0123456789."), ")\n", 2) == 0,
		    "version: %s", line);
	} else
		ck_assert_msg(strstr(e.out, "\nredis: not built\n") != NULL,
		    "no redis line: %s", e.out);
}
END_TEST

START_TEST(sids_begin_with_n)
{
	static const char *const given[][2] = { { "01", "01" },
	    { "ff", "ff" }, { "A7", "a7" }, { "00", "00" } };
	struct server s;
	size_t i;

	for (i = 0; i < sizeof given / sizeof given[0]; i++) {
		srv_start(&s, "-N", given[i][0], NULL);
		assert_sids_begin(s.port, given[i][1], 5);
		srv_stop_clean(&s);
	}
}
END_TEST

/* Without -N the digits are -p's port mod 256: 9148 gives 3c. */
START_TEST(sids_without_n_follow_the_port)
{
	char digits[3], portarg[8];
	struct server s;
	int port;

	port = free_port();
	snprintf(portarg, sizeof portarg, "%d", port);
	snprintf(digits, sizeof digits, "%02x", port % 256);
	srv_start(&s, "-p", portarg, NULL);
	ck_assert_int_eq(s.port, port);
	assert_sids_begin(s.port, digits, 5);
	srv_stop_clean(&s);
	/* The last -N wins over the port, as the last of any flag does. */
	srv_start(&s, "-N", "02", "-N", "03", NULL);
	assert_sids_begin(s.port, "03", 2);
	srv_stop_clean(&s);
}
END_TEST

/* /api/login's sid and the pages' URLs carry the same digits. */
START_TEST(api_sids_begin_with_n)
{
	struct server s;
	struct reply r;
	const char *p;

	srv_start(&s, "-N", "5e", NULL);
	cl_post(s.port, "/api/login", "name=apiuser", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg((p = strstr(r.body, "\"sid\":\"")) != NULL, "%s", r.body);
	ck_assert_msg(strncmp(p + 7, "5e", 2) == 0, "%s", r.body);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/*
 * A proxy routes by the query's sid, so the scripts chatd serves put it
 * there for every request of a session, posts too (/api/say).
 */
START_TEST(scripts_put_the_sid_in_the_query)
{
	static const char *const need[][2] = {
		{ "/embed.js", "\"/api/say?sid=\"" },
		{ "/embed.js", "\"/api/events?\"" },
		{ "/chat.js", "\"/names?sid=\"" },
		{ "/chat.js", "\"/chat?sid=\"" },
	};
	static const char *const never[][2] = {
		{ "/embed.js", "\"/api/say\"" },
		{ "/embed.js", "sid: sid" },
	};
	struct server s;
	struct reply r;
	size_t i;

	srv_start(&s, NULL);
	for (i = 0; i < sizeof need / sizeof need[0]; i++) {
		cl_get(s.port, need[i][0], &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_msg(strstr(r.body, need[i][1]) != NULL,
		    "%s does not use %s", need[i][0], need[i][1]);
		reply_free(&r);
	}
	for (i = 0; i < sizeof never / sizeof never[0]; i++) {
		cl_get(s.port, never[i][0], &r);
		ck_assert_msg(strstr(r.body, never[i][1]) == NULL,
		    "%s still has %s", never[i][0], never[i][1]);
		reply_free(&r);
	}
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_instance_suite(void)
{
	Suite *s = suite_create("instance");
	TCase *tc = tcase_create("flags");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, n_refuses_all_but_two_hex_digits);
	tcase_add_test(tc, r_refuses_what_is_not_host_port);
	tcase_add_test(tc, r_takes_host_port_forms);
	tcase_add_test(tc, help_says_whether_redis_is_built);
	tcase_add_test(tc, sids_begin_with_n);
	tcase_add_test(tc, sids_without_n_follow_the_port);
	tcase_add_test(tc, api_sids_begin_with_n);
	tcase_add_test(tc, scripts_put_the_sid_in_the_query);
	suite_add_tcase(s, tc);
	return s;
}
