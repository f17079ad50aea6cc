/* itest_loop.c: the loop from outside: listening addresses, backend and limits, signals, stderr that stalls. */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "itest.h"
#include "log.h"
#include "loop.h"
#include "suites.h"

#define SPAWN_ARGS_MAX	32
#define LONG_PATH	900	/* bytes of path in a request that fills the log */
#define STALL_REQUESTS	300	/* of those: well past a 64 KiB pipe */
#define PAST_SELECT	1100	/* connections held open: more than FD_SETSIZE */
#define BUSY_STARTS	5	/* chatd starts while half the ports are taken */

/*
 * Starts chatd with args, stderr on errfd and stdout on outfd (-1:
 * /dev/null), a descriptor limit of nofile (0: as it is).  It dies with
 * the test process on Linux.
 */
static pid_t
spawn(const char *const *args, int errfd, int outfd, int nofile)
{
	const char *bin = getenv("CHATD");
	char *argv[SPAWN_ARGS_MAX];
	struct rlimit rl;
	pid_t pid;
	int n = 0, fd;

	argv[n++] = (char *)(bin ? bin : "./chatd");
	while (*args != NULL && n < SPAWN_ARGS_MAX - 1)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		if (nofile > 0) {
			rl.rlim_cur = 256;
			rl.rlim_max = (rlim_t)nofile;
			if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
				_exit(126);
		}
		fd = open("/dev/null", O_RDWR);
		dup2(fd, STDIN_FILENO);
		dup2(outfd == -1 ? fd : outfd, STDOUT_FILENO);
		dup2(errfd, STDERR_FILENO);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		_exit(127);
	}
	ck_assert(pid > 0);
	return pid;
}

/* Reads from fd until text has come (or ms pass); what came is in buf. */
static int
read_until(int fd, char *buf, size_t size, size_t *len, const char *text, int ms)
{
	long long until = itest_now() + ms;
	struct pollfd p;
	ssize_t n;

	for (;;) {
		buf[*len] = '\0';
		if (strstr(buf, text) != NULL)
			return 1;
		if (itest_now() >= until || *len + 1 >= size)
			return 0;
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 20) == 1) {
			if ((n = read(fd, buf + *len, size - *len - 1)) <= 0)
				return 0;
			*len += (size_t)n;
		}
	}
}

/* Stops a spawned chatd; returns its exit code (-1 if it had to be killed). */
static int
stop(pid_t pid, int sig)
{
	long long until = itest_now() + 5000;
	int status;

	kill(pid, sig);
	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		poll(NULL, 0, 10);
	} while (itest_now() < until);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* GET / over IPv6 loopback: the status. */
static int
get6(int port)
{
	struct sockaddr_in6 sin6;
	char buf[64];
	const char req[] = "GET / HTTP/1.0\r\n\r\n";
	ssize_t n;
	size_t len = 0;
	int fd;

	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((unsigned short)port);
	sin6.sin6_addr = in6addr_loopback;
	ck_assert((fd = socket(AF_INET6, SOCK_STREAM, 0)) >= 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin6, sizeof sin6) == 0,
	    "connect [::1]:%d: %s", port, strerror(errno));
	ck_assert(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	while (len < 12 && (n = read(fd, buf + len, sizeof buf - len - 1)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return len >= 12 ? atoi(buf + 9) : 0;
}

START_TEST(each_address_its_ready_line)
{
	struct server s;
	struct reply r;
	char want[160], *log;
	FILE *f;

	srv_start(&s, "-b", "::1", NULL);
	ck_assert(srv_logged(&s, "using ", 2000));
	ck_assert((f = fopen(s.errpath, "r")) != NULL);
	ck_assert((log = calloc(1, 4096)) != NULL);
	ck_assert(fread(log, 1, 4095, f) > 0);
	fclose(f);
	snprintf(want, sizeof want, "chatd: listening on http://127.0.0.1:%d/\n"
	    "chatd: listening on http://[::1]:%d/\n", s.port, s.port);
	ck_assert_msg(strncmp(log, want, strlen(want)) == 0, "stderr: %s", log);
	free(log);
	ck_assert_int_eq(get6(s.port), 200);
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(ipv6_first)
{
	static const char *const args[] = { "-b", "::1", "-b", "127.0.0.1",
	    "-p", "0", NULL };
	static const char ready[] = "chatd: listening on http://[::1]:";
	char buf[4096], want[128];
	size_t len = 0;
	int err[2], port;
	pid_t pid;

	ck_assert(pipe(err) == 0);
	pid = spawn(args, err[1], -1, 0);
	close(err[1]);
	ck_assert(read_until(err[0], buf, sizeof buf, &len, "using ", 5000));
	ck_assert_msg(strncmp(buf, ready, strlen(ready)) == 0, "%s", buf);
	port = atoi(buf + strlen(ready));
	snprintf(want, sizeof want, "chatd: listening on http://[::1]:%d/\n"
	    "chatd: listening on http://127.0.0.1:%d/\n", port, port);
	ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "%s", buf);
	ck_assert_int_eq(get6(port), 200);
	ck_assert_int_eq(stop(pid, SIGTERM), 0);
	close(err[0]);
}
END_TEST

START_TEST(nine_addresses_refused)
{
	static const char *const args[] = { "-b", "127.0.0.1", "-b",
	    "127.0.0.2", "-b", "127.0.0.3", "-b", "127.0.0.4", "-b",
	    "127.0.0.5", "-b", "127.0.0.6", "-b", "127.0.0.7", "-b",
	    "127.0.0.8", "-b", "127.0.0.9", "-p", "0", NULL };
	char buf[4096];
	size_t len = 0;
	int err[2], status;
	pid_t pid;

	ck_assert(pipe(err) == 0);
	pid = spawn(args, err[1], -1, 0);
	close(err[1]);
	read_until(err[0], buf, sizeof buf, &len, "usage", 5000);
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	ck_assert_msg(strstr(buf, "-b 127.0.0.9: at most 8") != NULL, "%s", buf);
	close(err[0]);
}
END_TEST

START_TEST(eight_addresses_served)
{
	static const char *const args[] = { "-b", "127.0.0.1", "-b",
	    "127.0.0.2", "-b", "127.0.0.3", "-b", "127.0.0.4", "-b",
	    "127.0.0.5", "-b", "127.0.0.6", "-b", "127.0.0.7", "-b",
	    "127.0.0.8", "-p", "0", NULL };
	char buf[4096], want[64];
	size_t len = 0;
	int err[2];
	pid_t pid;

	ck_assert(pipe(err) == 0);
	pid = spawn(args, err[1], -1, 0);
	close(err[1]);
	ck_assert(read_until(err[0], buf, sizeof buf, &len, "using ", 5000));
	ck_assert(strncmp(buf, "chatd: listening on http://127.0.0.1:", 37) == 0);
	snprintf(want, sizeof want, "127.0.0.8:%d/\n", atoi(buf + 37));
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	ck_assert_int_eq(stop(pid, SIGTERM), 0);
	close(err[0]);
}
END_TEST

/*
 * With -p 0, a port the first address got may be taken on the second:
 * chatd tries another.  Half the ports bind() picks from are held on
 * 127.0.0.3 (Linux gives bind() odd ports first: every other odd one),
 * so without that each start would fail about half the time.
 */
START_TEST(busy_port_on_second_address)
{
	static const char *const args[] = { "-b", "127.0.0.1", "-b",
	    "127.0.0.3", "-p", "0", NULL };
	struct sockaddr_in sin;
	struct rlimit rl;
	char buf[4096];
	size_t len;
	int *held, nheld = 0, lo, hi, port, err[2], i, on = 1;
	FILE *f;
	pid_t pid;

	if ((f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) == NULL)
		return;		/* not Linux: no range to fill */
	ck_assert(fscanf(f, "%d %d", &lo, &hi) == 2);
	fclose(f);
	ck_assert(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < (rlim_t)((hi - lo) / 4 + 100))
		return;		/* ulimit -Hn too low to try */
	rl.rlim_cur = rl.rlim_max;
	ck_assert(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	ck_assert((held = calloc((size_t)(hi - lo) / 4 + 1, sizeof *held)) != NULL);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.3", &sin.sin_addr);
	for (port = lo | 1; port <= hi; port += 4) {
		ck_assert((held[nheld] = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
		setsockopt(held[nheld], SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		sin.sin_port = htons((unsigned short)port);
		if (bind(held[nheld], (struct sockaddr *)&sin, sizeof sin) == 0 &&
		    listen(held[nheld], 1) == 0)
			nheld++;
		else
			close(held[nheld]);
	}
	for (i = 0; i < BUSY_STARTS; i++) {
		ck_assert(pipe(err) == 0);
		pid = spawn(args, err[1], -1, 0);
		close(err[1]);
		len = 0;
		ck_assert_msg(read_until(err[0], buf, sizeof buf, &len,
		    "listening on http://127.0.0.3:", 5000), "start %d: %s", i,
		    buf);
		ck_assert_int_eq(stop(pid, SIGTERM), 0);
		close(err[0]);
	}
	while (nheld > 0)
		close(held[--nheld]);
	free(held);
}
END_TEST

START_TEST(usage_names_backend)
{
	static const char *const args[] = { "-h", NULL };
	char buf[4096], want[64];
	size_t len = 0;
	int out[2], status;
	pid_t pid;

	ck_assert(pipe(out) == 0);
	pid = spawn(args, out[1], out[1], 0);
	close(out[1]);
	snprintf(want, sizeof want, "event loop: %s\n", loop_backend());
	ck_assert_msg(read_until(out[0], buf, sizeof buf, &len, want, 5000),
	    "%s", buf);
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(out[0]);
}
END_TEST

/* The soft limit goes up to the hard one, and -c follows it. */
START_TEST(descriptor_limit_raised)
{
	static const char *const args[] = { "-b", "127.0.0.1", "-p", "0", NULL };
	char buf[4096], want[128];
	size_t len = 0;
	int err[2], nofile = 4096, cap = loop_capacity();
	pid_t pid;

	ck_assert(pipe(err) == 0);
	pid = spawn(args, err[1], -1, nofile);
	close(err[1]);
	snprintf(want, sizeof want, "chatd: using %s, at most %d connections "
	    "(%d file descriptors)\n", loop_backend(),
	    (cap < nofile ? cap : nofile) - CONN_RESERVE_FDS, nofile);
	ck_assert_msg(read_until(err[0], buf, sizeof buf, &len, want, 5000),
	    "%s", buf);
	ck_assert_int_eq(stop(pid, SIGTERM), 0);
	close(err[0]);
}
END_TEST

/*
 * Past select()'s 1024 descriptors: connections still sending their
 * request are all held, and one more request is answered, and so are
 * the first held ones when they finish.
 */
START_TEST(more_connections_than_fd_setsize)
{
	static const char part[] = "GET / HTTP/1.0\r\n";
	struct server s;
	struct reply r;
	struct rlimit rl;
	char buf[64];
	int *fds, i;
	ssize_t n;

	if (strcmp(loop_backend(), "select") == 0)
		return;		/* its ceiling is the point of the others */
	ck_assert(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < PAST_SELECT + 100)
		return;		/* ulimit -Hn too low to try */
	rl.rlim_cur = rl.rlim_max;
	ck_assert(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	srv_start(&s, NULL);
	ck_assert((fds = calloc(PAST_SELECT, sizeof *fds)) != NULL);
	for (i = 0; i < PAST_SELECT; i++) {
		fds[i] = cl_connect(s.port);
		ck_assert(write(fds[i], part, strlen(part)) ==
		    (ssize_t)strlen(part));
	}
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	for (i = 0; i < 3; i++) {
		ck_assert(write(fds[i], "\r\n", 2) == 2);
		ck_assert((n = read(fds[i], buf, sizeof buf - 1)) >= 12);
		buf[n] = '\0';
		ck_assert_msg(strncmp(buf, "HTTP/1.0 200", 12) == 0, "%s", buf);
	}
	for (i = 0; i < PAST_SELECT; i++)
		close(fds[i]);
	free(fds);
	srv_stop_clean(&s);
}
END_TEST

/* How often text occurs in a file. */
static int
count_in(const char *path, const char *text)
{
	static char b[1 << 16];
	const char *p;
	size_t m;
	FILE *f;
	int n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	m = fread(b, 1, sizeof b - 1, f);
	b[m] = '\0';
	fclose(f);
	for (p = b; (p = strstr(p, text)) != NULL; p++)
		n++;
	return n;
}

/* Each SIGHUP reaches the loop through the self-pipe, at once. */
START_TEST(signals_wake_the_loop)
{
	struct server s;
	long long t0;
	int i;

	srv_start(&s, NULL);
	for (i = 1; i <= 10; i++) {
		t0 = itest_now();
		kill(s.pid, SIGHUP);
		while (count_in(s.errpath, "SIGHUP") < i) {
			ck_assert_msg(itest_now() < t0 + 200,
			    "SIGHUP %d not handled within 200 ms", i);
			poll(NULL, 0, 2);
		}
	}
	srv_stop_clean(&s);
}
END_TEST

/*
 * A stderr pipe nobody reads fills up; chat goes on, the lines that did
 * not fit are counted, and the count comes when stderr drains.
 */
START_TEST(stalled_stderr_does_not_stall_chat)
{
	static const char *const args[] = { "-b", "127.0.0.1", "-p", "0",
	    "-i", "10000", NULL };
	static const char ready[] = "chatd: listening on http://127.0.0.1:";
	static char buf[1 << 16];
	char path[LONG_PATH + 2];
	struct stream st;
	struct reply r;
	const char *sid;
	size_t len = 0;
	int err[2], port, i, status;
	long long t0;
	pid_t pid;

	ck_assert(pipe(err) == 0);
	pid = spawn(args, err[1], -1, 0);
	close(err[1]);
	ck_assert(read_until(err[0], buf, sizeof buf, &len, "using ", 5000));
	ck_assert(strncmp(buf, ready, strlen(ready)) == 0);
	port = atoi(buf + strlen(ready));
	/* Nobody reads stderr now: long access-log lines fill the pipe. */
	path[0] = '/';
	memset(path + 1, 'a', LONG_PATH);
	path[LONG_PATH + 1] = '\0';
	t0 = itest_now();
	for (i = 0; i < STALL_REQUESTS; i++) {
		cl_get(port, path, &r);
		ck_assert_msg(r.status == 404, "request %d: status %d", i,
		    r.status);
		reply_free(&r);
	}
	ck_assert_int_lt(itest_now() - t0, 10000);
	sid = cl_login(port, "name=quill&room=stall", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(stream_open(&st, port, sid, NULL), 200);
	ck_assert_int_eq(cl_say(port, sid, "still%20here"), 200);
	ck_assert(stream_wait(&st, "still here", 2000));
	stream_close(&st);
	/* Drained, stderr takes lines again: first the count of the lost. */
	fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
	while (read(err[0], buf, sizeof buf) > 0)
		;
	fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) & ~O_NONBLOCK);
	cl_get(port, "/", &r);
	reply_free(&r);
	len = 0;
	ck_assert_msg(read_until(err[0], buf, sizeof buf, &len,
	    "log lines dropped: stderr did not take them", 3000), "%s", buf);
	ck_assert_int_eq(stop(pid, SIGTERM), 0);
	close(err[0]);
}
END_TEST

Suite *
itest_loop_suite(void)
{
	Suite *s = suite_create("itest_loop");
	TCase *tc = tcase_create("itest_loop");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, each_address_its_ready_line);
	tcase_add_test(tc, ipv6_first);
	tcase_add_test(tc, nine_addresses_refused);
	tcase_add_test(tc, eight_addresses_served);
	tcase_add_test(tc, busy_port_on_second_address);
	tcase_add_test(tc, usage_names_backend);
	tcase_add_test(tc, descriptor_limit_raised);
	tcase_add_test(tc, more_connections_than_fd_setsize);
	tcase_add_test(tc, signals_wake_the_loop);
	tcase_add_test(tc, stalled_stderr_does_not_stall_chat);
	suite_add_tcase(s, tc);
	return s;
}
