/* check_log.c: log lines to a syslog socket arrive whole and never make chatd wait. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "suites.h"

#define LINES_MANY	5000	/* far more than a datagram queue holds */

static char path[108];

/* A syslog daemon's socket of the test's own; its descriptor. */
static int
fake_syslogd(void)
{
	struct sockaddr_un sun;
	int fd;

	mkdir("tests/out", 0755);
	snprintf(path, sizeof path, "tests/out/log-%ld.sock", (long)getpid());
	unlink(path);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	ck_assert((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
	ck_assert(bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0);
	return fd;
}

/* The next datagram as a string, or "" if none waits. */
static const char *
next_line(int fd)
{
	static char line[2048];
	ssize_t n = recv(fd, line, sizeof line - 1, MSG_DONTWAIT);

	line[n > 0 ? n : 0] = '\0';
	return line;
}

static int
ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && strcmp(s + a - b, end) == 0;
}

START_TEST(a_line_has_the_syslog_form)
{
	char head[32];
	const char *line;
	int fd = fake_syslogd();

	ck_assert_int_eq(log_syslog_to(path), 0);
	log_warnx("room %s: %d people", "lobby", 3);
	line = next_line(fd);
	/* LOG_DAEMON | LOG_WARNING is 28. */
	ck_assert_msg(strncmp(line, "<28>", 4) == 0, "%s", line);
	snprintf(head, sizeof head, " chatd[%ld]: ", (long)getpid());
	ck_assert_msg(strstr(line, head) != NULL, "%s", line);
	ck_assert_msg(ends_with(line, "room lobby: 3 people"), "%s", line);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(a_full_socket_drops_and_counts)
{
	const char *line;
	int fd = fake_syslogd(), i, got = 0;

	ck_assert_int_eq(log_syslog_to(path), 0);
	/* Nobody reads: a blocking send would hang here until the alarm. */
	alarm(10);
	for (i = 0; i < LINES_MANY; i++)
		log_warnx("line %d", i);
	alarm(0);
	while (*next_line(fd) != '\0')
		got++;
	ck_assert_int_gt(got, 0);
	ck_assert_int_lt(got, LINES_MANY);
	log_warnx("after");
	line = next_line(fd);
	ck_assert_msg(strstr(line, " log lines dropped: syslog did not take "
	    "them") != NULL, "%s", line);
	ck_assert_msg(ends_with(next_line(fd), ": after"), "after the note");
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(a_restarted_daemon_is_found_again)
{
	int fd = fake_syslogd();

	ck_assert_int_eq(log_syslog_to(path), 0);
	close(fd);
	fd = fake_syslogd();
	log_warnx("still here");
	ck_assert_msg(ends_with(next_line(fd), ": still here"), "reconnected");
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(no_daemon_is_an_error)
{
	ck_assert_int_eq(log_syslog_to("tests/out/no-such-syslog.sock"), -1);
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("syslog");

	tcase_add_test(tc, a_line_has_the_syslog_form);
	tcase_add_test(tc, a_full_socket_drops_and_counts);
	tcase_add_test(tc, a_restarted_daemon_is_found_again);
	tcase_add_test(tc, no_daemon_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
