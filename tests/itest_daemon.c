/* itest_daemon.c: chatd as a long-running daemon: command line, -d, signals, -u, hostile clients. */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "suites.h"

#define ARGS_MAX	32
#define LATENCY_MAX_MS	500	/* a message must reach a reader this fast under attack */
#define SLOW_CONNS	150	/* slowloris connections */

/*
 * The guard: a process of its own group that outlives the test.  Every
 * chatd a test starts by hand is reported to it; when the test process
 * ends, however it ends (a failed assertion, Check's timeout), the guard
 * kills those that are still chatd.  Daemons leave the test's process
 * group, so nothing else would stop them.
 */
static int guard_fd = -1;

static int
is_chatd(pid_t pid)
{
	char path[64], cmd[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return kill(pid, 0) == 0;	/* no /proc: trust the pid */
	n = read(fd, cmd, sizeof cmd - 1);
	close(fd);
	if (n <= 0)
		return 0;
	cmd[n] = '\0';
	return strstr(cmd, "chatd") != NULL;
}

static void
guard_run(int rd)
{
	pid_t pids[64];
	int n = 0, i;

	setpgid(0, 0);
	while (n < 64 && read(rd, &pids[n], sizeof pids[0]) == sizeof pids[0])
		n++;
	for (i = 0; i < n; i++)
		if (is_chatd(pids[i]))
			kill(pids[i], SIGKILL);
	_exit(0);
}

/* Checked fixture: runs in each test's process before it opens anything. */
static void
guard_setup(void)
{
	int p[2];
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	ck_assert(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		close(p[1]);
		guard_run(p[0]);
	}
	ck_assert(pid > 0);
	close(p[0]);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	guard_fd = p[1];
}

static void
guard_add(pid_t pid)
{
	if (guard_fd != -1 && write(guard_fd, &pid, sizeof pid) != sizeof pid)
		ck_abort_msg("guard: %s", strerror(errno));
}

/* Reads a whole file into a fresh string ("" if missing); the caller frees it. */
static char *
slurp(const char *path)
{
	char *data;
	size_t len = 0, cap = 4096;
	ssize_t n;
	int fd;

	ck_assert_ptr_nonnull(data = malloc(cap));
	if ((fd = open(path, O_RDONLY)) != -1) {
		while ((n = read(fd, data + len, cap - len - 1)) > 0)
			if ((len += (size_t)n) == cap - 1)
				ck_assert_ptr_nonnull(data = realloc(data, cap *= 2));
		close(fd);
	}
	data[len] = '\0';
	return data;
}

/* One chatd run by hand, its stdout and stderr kept in files. */
struct run {
	pid_t	 pid;
	char	 dir[256];
	char	 out[300];
	char	 err[300];
};

static void
run_init(struct run *r)
{
	memset(r, 0, sizeof *r);
	itest_scratch(r->dir, sizeof r->dir, "daemon");
	snprintf(r->out, sizeof r->out, "%s/stdout", r->dir);
	snprintf(r->err, sizeof r->err, "%s/stderr", r->dir);
}

/*
 * Starts chatd with the arguments (NULL-terminated, binary excluded) and
 * nothing else inherited; nofile > 0 caps its descriptors first.
 */
static void
run_start(struct run *r, int nofile, const char *const *args)
{
	const char *bin = getenv("CHATD");
	char *argv[ARGS_MAX];
	struct rlimit rl;
	int n = 0, fd;

	argv[n++] = (char *)(bin ? bin : "./chatd");
	while (*args != NULL && n < ARGS_MAX - 1)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	if ((r->pid = fork()) == 0) {
		if (nofile > 0) {
			rl.rlim_cur = rl.rlim_max = (rlim_t)nofile;
			if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
				_exit(126);
		}
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, STDIN_FILENO);
		fd = open(r->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDOUT_FILENO);
		fd = open(r->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDERR_FILENO);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		_exit(127);
	}
	ck_assert(r->pid > 0);
	guard_add(r->pid);
}

/* Waits up to ms for the process to end; its wait status, or -1 (then killed). */
static int
run_wait(pid_t pid, int ms)
{
	long long until = itest_now() + ms;
	int status;

	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		poll(NULL, 0, 10);
	} while (itest_now() < until);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Runs chatd to its end (at most ms); returns the exit code, -1 otherwise. */
static int
run_exit(struct run *r, int ms, const char *const *args)
{
	int status;

	run_start(r, 0, args);
	status = run_wait(r->pid, ms);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The port from the ready line in a stderr file (waits up to ms), or 0. */
static int
ready_port(const char *errpath, int ms)
{
	static const char ready[] = "chatd: listening on http://127.0.0.1:";
	long long until = itest_now() + ms;
	char *log, *p;
	int port = 0;

	do {
		log = slurp(errpath);
		if ((p = strstr(log, ready)) != NULL && strchr(p, '\n') != NULL)
			port = atoi(p + strlen(ready));
		free(log);
		if (port > 0)
			return port;
		poll(NULL, 0, 10);
	} while (itest_now() < until);
	return 0;
}

/* A connection from a chosen loopback address (the harness uses 127.0.0.1). */
static int
connect_from(const char *src, int port)
{
	struct sockaddr_in sin;
	int fd;

	ck_assert((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
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

/* Reads an answer on the connection until EOF; its status (0: none within ms). */
static int
fd_status(int fd, int ms)
{
	char ans[4096];
	size_t len = 0;
	ssize_t n;
	struct pollfd pfd = { fd, POLLIN, 0 };
	long long until = itest_now() + ms;
	int status = 0;

	while (len < sizeof ans - 1 && itest_now() < until &&
	    poll(&pfd, 1, (int)(until - itest_now())) == 1 &&
	    (n = read(fd, ans + len, sizeof ans - 1 - len)) > 0)
		len += (size_t)n;
	ans[len] = '\0';
	sscanf(ans, "HTTP/1.%*d %d", &status);
	return status;
}

/* Sends a GET on the connection and reads the status of the answer (0: none). */
static int
fd_get(int fd, const char *target, int ms)
{
	char req[512];

	snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", target);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return 0;
	return fd_status(fd, ms);
}

/* 1 if the peer closed the connection within ms (any data is discarded). */
static int
fd_closed(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	long long until = itest_now() + ms, left;
	char buf[4096];

	for (;;) {
		left = until - itest_now();
		if (poll(&pfd, 1, left > 0 ? (int)left : 0) != 1)
			return 0;
		if (read(fd, buf, sizeof buf) <= 0)
			return 1;
	}
}

/* CPU time (user + system) chatd has used, in clock ticks; -1 without /proc. */
static long
cpu_ticks(pid_t pid)
{
	char path[64], *stat, *p;
	unsigned long ut, st;
	long ticks = -1;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	stat = slurp(path);
	if ((p = strrchr(stat, ')')) != NULL && sscanf(p + 2, "%*c %*d %*d %*d "
	    "%*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
		ticks = (long)(ut + st);
	free(stat);
	return ticks;
}

/* The value after "Name:" in /proc/PID/status, or "" (static storage). */
static const char *
proc_status(pid_t pid, const char *name)
{
	static char value[256];
	char path[64], *status, *p, *end;

	value[0] = '\0';
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	status = slurp(path);
	if ((p = strstr(status, name)) != NULL) {
		p += strlen(name);
		p += strspn(p, " \t");
		end = p + strcspn(p, "\n");
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		snprintf(value, sizeof value, "%.*s", (int)(end - p), p);
	}
	free(status);
	return value;
}

/* 1 if the process exists and is not a zombie (the keeper reaps late). */
static int
alive(pid_t pid)
{
	char path[64], *stat, *p;
	int zombie;

	if (kill(pid, 0) == -1)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	stat = slurp(path);
	zombie = (p = strrchr(stat, ')')) != NULL && p[1] == ' ' && p[2] == 'Z';
	free(stat);
	return !zombie;
}

/* Logs in a fresh guest and posts the message; returns the status. */
static int
say_as_new(int port, const char *message_enc)
{
	static int counter;
	char form[64];
	const char *sid;

	snprintf(form, sizeof form, "name=poster%d", counter++);
	if ((sid = cl_login(port, form, NULL)) == NULL)
		return 0;
	return cl_say(port, sid, message_enc);
}

/* --- The command line -------------------------------------------------- */

START_TEST(help_prints_usage_and_exits_0)
{
	static const char *const help[] = { "-h", NULL };
	static const char *const late[] = { "-p", "1", "-H", "3", "-h", NULL };
	struct run r;
	char *out, *err;

	run_init(&r);
	ck_assert_int_eq(run_exit(&r, 5000, help), 0);
	out = slurp(r.out);
	err = slurp(r.err);
	ck_assert_msg(strncmp(out, "usage: chatd ", 13) == 0, "stdout: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "[-P pidfile]"));
	ck_assert_msg(*err == '\0', "stderr: %s", err);
	free(out);
	free(err);
	/* -h after valid flags: still only the usage, no server. */
	run_init(&r);
	ck_assert_int_eq(run_exit(&r, 5000, late), 0);
	out = slurp(r.out);
	ck_assert(strncmp(out, "usage: chatd ", 13) == 0);
	free(out);
}
END_TEST

/* Bad command lines and the text the error line must contain. */
static const struct {
	const char	*args[4];
	const char	*names;
} bad_lines[] = {
	{ { "-x" }, "-x" },
	{ { "-p" }, "-p" },
	{ { "-p", "70000" }, "-p 70000" },
	{ { "-p", "-1" }, "-p -1" },
	{ { "-p", "" }, "-p" },
	{ { "-k", "0" }, "-k 0" },
	{ { "-k", "1s" }, "-k 1s" },
	{ { "-k", "\t5" }, "-k" },
	{ { "-m", "0" }, "-m 0" },
	{ { "-q", "0" }, "-q 0" },
	{ { "-q", "1048577" }, "-q 1048577" },
	{ { "-c", "0" }, "-c 0" },
	{ { "-c", "99999999999999999999" }, "-c 9999" },
	{ { "-i", "0" }, "-i 0" },
	{ { "-H", "-1" }, "-H -1" },
	{ { "-H", "10001" }, "-H 10001" },
	{ { "-g", "x" }, "-g x" },
	{ { "-a", "x" }, "-a x" },
	{ { "-a", "alice,,bob" }, "-a alice,,bob" },
	{ { "-a", "bad name" }, "-a bad name" },
	{ { "-a", "ok," }, "-a ok," },
	{ { "-b", "not-an-address" }, "-b not-an-address" },
	{ { "-b", "256.1.1.1" }, "-b 256.1.1.1" },
	{ { "-p", "0", "stray" }, "stray" },
};

START_TEST(bad_flags_exit_2_with_one_line_and_usage)
{
	struct run r;
	char *err, *out, *nl;
	size_t i;
	int code;

	for (i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
		run_init(&r);
		code = run_exit(&r, 5000, bad_lines[i].args);
		err = slurp(r.err);
		out = slurp(r.out);
		ck_assert_msg(code == 2, "%s: exit %d, stderr: %s",
		    bad_lines[i].names, code, err);
		nl = strchr(err, '\n');
		ck_assert_msg(nl != NULL && strncmp(err, "chatd: ", 7) == 0,
		    "%s: stderr: %s", bad_lines[i].names, err);
		*nl = '\0';
		ck_assert_msg(strstr(err, bad_lines[i].names) != NULL,
		    "error line does not name %s: %s", bad_lines[i].names, err);
		ck_assert_msg(strncmp(nl + 1, "usage: chatd ", 13) == 0,
		    "%s: no usage after the error line", bad_lines[i].names);
		ck_assert_msg(*out == '\0', "%s: stdout: %s", bad_lines[i].names,
		    out);
		free(err);
		free(out);
	}
}
END_TEST

START_TEST(ready_line_first_with_real_port)
{
	struct server s;
	struct reply r;
	char *log, want[128];

	/* An unregistered admin and a -c past select() make warnings: after. */
	srv_start(&s, "-a", "nobodyyet", "-c", "100000", NULL);
	ck_assert_int_gt(s.port, 0);
	ck_assert(srv_logged(&s, "not registered", 2000));
	ck_assert(srv_logged(&s, "-c 100000: clamped", 0));
	log = slurp(s.errpath);
	snprintf(want, sizeof want, "chatd: listening on http://127.0.0.1:%d/\n",
	    s.port);
	ck_assert_msg(strncmp(log, want, strlen(want)) == 0, "stderr: %s", log);
	free(log);
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/* --- -d ------------------------------------------------------------------ */

/* Reads the pid in a pidfile; 0 if none. */
static pid_t
pidfile_pid(const char *path)
{
	char *data = slurp(path);
	long pid = atol(data);

	free(data);
	return (pid_t)pid;
}

/* Waits up to ms for a process that is not ours to end; 1 if it did. */
static int
gone(pid_t pid, int ms, int *status)
{
	long long until = itest_now() + ms;

	*status = -1;
	do {
		/* As a subreaper we get the daemon's status. */
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		if (!alive(pid))
			return 1;
		poll(NULL, 0, 20);
	} while (itest_now() < until);
	return 0;
}

/* Where a /proc link of the process points ("" if unreadable). */
static const char *
proc_link(pid_t pid, const char *what)
{
	static char target[512];
	char path[64];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, what);
	if ((n = readlink(path, target, sizeof target - 1)) < 0)
		n = 0;
	target[n] = '\0';
	return target;
}

static void
become_subreaper(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
}

START_TEST(daemon_starts_serves_and_stops)
{
	struct run r, again;
	char pidfile[300], portstr[16], *err;
	const char *args[12] = { "-d", "-b", "127.0.0.1", "-p", "0", "-P",
	    pidfile, NULL };
	int port, fd, status, code;
	pid_t pid;

	become_subreaper();
	run_init(&r);
	/* Relative on purpose: the daemon works from /. */
	snprintf(pidfile, sizeof pidfile, "%s/chatd.pid", r.dir);
	run_start(&r, 0, args);
	status = run_wait(r.pid, 5000);
	err = slurp(r.err);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the parent did not exit 0 (status %d): %s", status, err);
	free(err);
	/* The parent has gone only after the server answers. */
	ck_assert_int_gt(port = ready_port(r.err, 0), 0);
	ck_assert_int_gt(pid = pidfile_pid(pidfile), 0);
	guard_add(pid);
	ck_assert_int_ne(pid, r.pid);
	ck_assert_int_eq(kill(pid, 0), 0);
	ck_assert_int_eq(fd_get(fd = cl_connect(port), "/", 3000), 200);
	close(fd);
#ifdef __linux__
	ck_assert_int_eq(getsid(pid), pid);
	ck_assert_str_eq(proc_link(pid, "cwd"), "/");
	for (fd = 0; fd < 3; fd++) {
		char what[16];

		snprintf(what, sizeof what, "fd/%d", fd);
		ck_assert_str_eq(proc_link(pid, what), "/dev/null");
	}
#endif

	/* A second daemon on the same pidfile refuses, on any port. */
	run_init(&again);
	code = run_exit(&again, 5000, args);
	err = slurp(again.err);
	ck_assert_msg(code > 0, "second daemon: exit %d: %s", code, err);
	ck_assert_msg(strstr(err, "chatd.pid") != NULL &&
	    strstr(err, "running") != NULL, "unclear refusal: %s", err);
	free(err);
	snprintf(portstr, sizeof portstr, "%d", port);
	args[4] = portstr;
	run_init(&again);
	code = run_exit(&again, 5000, args);
	err = slurp(again.err);
	ck_assert_msg(code > 0, "second daemon on the port: exit %d", code);
	ck_assert_msg(strstr(err, "chatd.pid") != NULL, "the refusal on the "
	    "same port does not name the pidfile: %s", err);
	free(err);
	ck_assert_int_eq(pidfile_pid(pidfile), pid);
	ck_assert_int_eq(fd_get(fd = cl_connect(port), "/", 3000), 200);
	close(fd);

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_msg(gone(pid, 5000, &status), "the daemon ignored SIGTERM");
	if (status != -1)
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the daemon exited with status %d", status);
	ck_assert_msg(access(pidfile, F_OK) == -1 && errno == ENOENT,
	    "the pidfile is still there");
}
END_TEST

START_TEST(daemon_fails_loudly)
{
	struct run r;
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	char pidfile[300], portstr[16], *err;
	const char *args[12] = { "-d", "-b", "127.0.0.1", "-p", portstr, "-P",
	    pidfile, NULL };
	int lfd, code;

	/* The port is taken: the bind fails, nothing is left behind. */
	ck_assert((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(lfd, (struct sockaddr *)&sin, sizeof sin) == 0);
	ck_assert(listen(lfd, 1) == 0);
	ck_assert(getsockname(lfd, (struct sockaddr *)&sin, &len) == 0);
	snprintf(portstr, sizeof portstr, "%d", ntohs(sin.sin_port));
	run_init(&r);
	snprintf(pidfile, sizeof pidfile, "%s/chatd.pid", r.dir);
	code = run_exit(&r, 5000, args);
	err = slurp(r.err);
	ck_assert_msg(code > 0, "exit %d with the port taken", code);
	ck_assert_msg(strstr(err, portstr) != NULL && strstr(err, "in use"),
	    "unclear: %s", err);
	ck_assert_ptr_null(strstr(err, "listening"));
	ck_assert_msg(access(pidfile, F_OK) == -1, "a pidfile was left");
	free(err);
	close(lfd);

	/* The child fails after the fork: the parent reports it. */
	args[4] = "0";
	args[7] = "-u";
	args[8] = "nosuchuser";
	args[9] = NULL;
	run_init(&r);
	snprintf(pidfile, sizeof pidfile, "%s/chatd.pid", r.dir);
	code = run_exit(&r, 5000, args);
	err = slurp(r.err);
	ck_assert_msg(code > 0, "exit %d with -u nosuchuser", code);
	ck_assert_msg(strstr(err, "nosuchuser") != NULL, "stderr: %s", err);
	ck_assert_msg(access(pidfile, F_OK) == -1, "a pidfile was left behind "
	    "by a daemon that never started");
	free(err);
}
END_TEST

/* --- Signals ------------------------------------------------------------- */

START_TEST(term_and_int_tell_every_frame)
{
	static const int sigs[] = { SIGTERM, SIGINT };
	struct server s;
	struct stream a, b;
	int i, status;

	for (i = 0; i < 2; i++) {
		srv_start(&s, NULL);
		ck_assert_int_eq(stream_open(&a, s.port, cl_login(s.port,
		    "name=ann&room=one", NULL), NULL), 200);
		ck_assert_int_eq(stream_open(&b, s.port, cl_login(s.port,
		    "name=ben&room=two", NULL), NULL), 200);
		ck_assert(stream_wait(&b, "joined two", 2000));
		ck_assert_int_eq(kill(s.pid, sigs[i]), 0);
		ck_assert_msg(stream_wait(&a, "shutting down", 3000),
		    "signal %d: no shutdown line in room one", sigs[i]);
		ck_assert(stream_wait(&b, "shutting down", 3000));
		ck_assert(stream_wait_eof(&a, 3000));
		ck_assert(stream_wait_eof(&b, 3000));
		status = srv_stop(&s);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "signal %d: status %d", sigs[i], status);
		stream_close(&a);
		stream_close(&b);
	}
}
END_TEST

START_TEST(shutdown_drain_is_bounded)
{
	struct server s;
	struct stream slow, fast;
	long long t0;
	int i, status;

	/* A reader that stopped reading holds half a megabyte queued. */
	srv_start(&s, "-m", "3000", "-q", "4096", NULL);
	ck_assert_int_eq(stream_open(&fast, s.port, cl_login(s.port,
	    "name=fast", NULL), NULL), 200);
	ck_assert_int_eq(stream_open_fd(&slow, cl_connect_small(s.port, 2048),
	    cl_login(s.port, "name=slow", NULL), NULL), 200);
	for (i = 0; i < 60; i++)
		ck_assert_int_eq(say_as_new(s.port, cl_angles(2600)), 200);
	ck_assert_int_eq(say_as_new(s.port, "done"), 200);
	ck_assert(stream_wait(&fast, ">done<", 5000));
	t0 = itest_now();
	status = srv_stop(&s);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	/* At most 2 s of flushing, plus the keeper's 50 ms polls. */
	ck_assert_int_lt(itest_now() - t0, 3000);
	ck_assert(stream_wait(&fast, "shutting down", 1000));
	stream_close(&slow);
	stream_close(&fast);
}
END_TEST

START_TEST(hup_reopens_and_keeps_serving)
{
	struct server s;
	struct stream a;
	struct reply r;
	const char *sid;
	char path[300], old[300], *data, *colon, *end, line[256];
	int status, fd;

	srv_start(&s, "-L", "@DIR@/log", "-A", "@DIR@/accounts", NULL);
	snprintf(path, sizeof path, "%s/log", s.dir);
	snprintf(old, sizeof old, "%s/log.old", s.dir);
	cl_post(s.port, "/register", "name=zoe&passwd=pw1", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=ann", NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sid, NULL), 200);
	ck_assert_int_eq(cl_say(s.port, sid, "before"), 200);
	ck_assert(stream_wait(&a, ">before<", 2000));
	ck_assert_int_eq(rename(path, old), 0);

	/* Another account, added by hand with zoe's hash. */
	snprintf(path, sizeof path, "%s/accounts", s.dir);
	data = slurp(path);
	ck_assert_ptr_nonnull(colon = strstr(data, "zoe:"));
	colon += 3;
	ck_assert_ptr_nonnull(end = strchr(colon, '\n'));
	snprintf(line, sizeof line, "yan%.*s\n", (int)(end - colon), colon);
	free(data);
	ck_assert((fd = open(path, O_WRONLY | O_APPEND)) >= 0);
	ck_assert(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
	close(fd);

	ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
	/* The accounts are reread off the loop: this line says it is done. */
	ck_assert(srv_logged(&s, "accounts read", 2000));
	ck_assert(alive(s.pid));
	/* The same frame goes on; the new event lands in a new file. */
	ck_assert_int_eq(cl_say(s.port, sid, "after"), 200);
	ck_assert(stream_wait(&a, ">after<", 2000));
	snprintf(path, sizeof path, "%s/log", s.dir);
	data = slurp(path);
	ck_assert_msg(strstr(data, "after") != NULL && strstr(data, "before") ==
	    NULL, "new transcript: %s", data);
	free(data);
	data = slurp(old);
	ck_assert(strstr(data, "before") != NULL && strstr(data, "after") == NULL);
	free(data);
	/* The account file was read again: yan now needs zoe's password. */
	ck_assert_ptr_null(cl_login(s.port, "name=yan&passwd=wrong", &status));
	ck_assert_int_eq(status, 403);
	ck_assert_ptr_nonnull(cl_login(s.port, "name=yan&passwd=pw1", NULL));
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(sigpipe_never_kills)
{
	struct server s;
	struct stream a, b;
	struct linger lg = { 1, 0 };
	const char *ign, *talkers[2];
	unsigned long long mask;
	int held[7], fds[20], i, status;
	char form[32];

	srv_start(&s, "-c", "8", NULL);
	/* The disposition itself: SIGPIPE is ignored. */
	ign = proc_status(s.pid, "SigIgn:");
	if (*ign) {
		mask = strtoull(ign, NULL, 16);
		ck_assert_msg(mask & (1ULL << (SIGPIPE - 1)), "SigIgn %s", ign);
	}
	ck_assert_int_eq(stream_open(&a, s.port, cl_login(s.port, "name=pia",
	    NULL), NULL), 200);
	ck_assert_ptr_nonnull(talkers[0] = cl_login(s.port, "name=tom", NULL));
	ck_assert_ptr_nonnull(talkers[1] = cl_login(s.port, "name=tim", NULL));
	for (i = 0; i < 7; i++)
		held[i] = cl_connect(s.port);
	/*
	 * With chatd stopped, clients connect, half-close and reset.  Their
	 * sockets wait in the backlog with EPIPE pending: the 503 that chatd
	 * writes to each of them, full as it is, raises SIGPIPE.
	 */
	ck_assert_int_eq(kill(s.pid, SIGSTOP), 0);
	for (i = 0; i < 20; i++) {
		fds[i] = cl_connect(s.port);
		shutdown(fds[i], SHUT_WR);
	}
	poll(NULL, 0, 50);
	for (i = 0; i < 20; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(fds[i]);
	}
	poll(NULL, 0, 50);
	ck_assert_int_eq(kill(s.pid, SIGCONT), 0);
	poll(NULL, 0, 300);
	ck_assert_msg(alive(s.pid), "chatd died");
	for (i = 0; i < 7; i++)
		close(held[i]);
	poll(NULL, 0, 100);
	/* Streams reset in the middle of output, while others post. */
	for (i = 0; i < 3; i++) {
		snprintf(form, sizeof form, "name=rst%d", i);
		ck_assert_int_eq(stream_open_fd(&b, cl_connect_small(s.port,
		    1024), cl_login(s.port, form, NULL), NULL), 200);
		ck_assert_int_eq(cl_say(s.port, talkers[0], cl_angles(300)), 200);
		setsockopt(b.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		stream_close(&b);
		ck_assert_int_eq(cl_say(s.port, talkers[1], cl_angles(300)), 200);
	}
	ck_assert_int_eq(cl_say(s.port, talkers[0], "still+alive"), 200);
	ck_assert(stream_wait(&a, "still alive", 2000));
	stream_close(&a);
	status = srv_stop(&s);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "chatd status %d%s", status, WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGPIPE ? " (SIGPIPE)" : "");
}
END_TEST

/* --- -u ------------------------------------------------------------------ */

START_TEST(u_drops_privileges)
{
	static const char *const nosuch[] = { "-b", "127.0.0.1", "-p", "0",
	    "-u", "nosuchuser", NULL };
	static const char *const nobody[] = { "-b", "127.0.0.1", "-p", "0",
	    "-u", "nobody", NULL };
	struct server s;
	struct passwd *pw;
	struct reply r;
	struct run run;
	char want[64], *err;
	int code;

	run_init(&run);
	code = run_exit(&run, 5000, nosuch);
	err = slurp(run.err);
	ck_assert_msg(code == 1, "-u nosuchuser: exit %d", code);
	ck_assert_msg(strstr(err, "nosuchuser") && strstr(err, "no such user"),
	    "stderr: %s", err);
	/* It never claimed to be ready. */
	ck_assert_ptr_null(strstr(err, "listening"));
	free(err);
	if ((pw = getpwnam("nobody")) == NULL)
		return;
	if (geteuid() != 0) {
		/* Not root: becoming another user must fail, not be ignored. */
		if (geteuid() == pw->pw_uid)
			return;
		run_init(&run);
		code = run_exit(&run, 5000, nobody);
		err = slurp(run.err);
		ck_assert_msg(code == 1, "-u nobody as uid %ld: exit %d: %s",
		    (long)geteuid(), code, err);
		ck_assert_ptr_nonnull(strstr(err, "-u nobody"));
		free(err);
		return;
	}
	srv_start(&s, "-u", "nobody", NULL);
	snprintf(want, sizeof want, "%ld\t%ld\t%ld\t%ld", (long)pw->pw_uid,
	    (long)pw->pw_uid, (long)pw->pw_uid, (long)pw->pw_uid);
	if (access("/proc/self/status", R_OK) == 0) {
		ck_assert_str_eq(proc_status(s.pid, "Uid:"), want);
		snprintf(want, sizeof want, "%ld\t%ld\t%ld\t%ld",
		    (long)pw->pw_gid, (long)pw->pw_gid, (long)pw->pw_gid,
		    (long)pw->pw_gid);
		ck_assert_str_eq(proc_status(s.pid, "Gid:"), want);
		snprintf(want, sizeof want, "%ld", (long)pw->pw_gid);
		ck_assert_str_eq(proc_status(s.pid, "Groups:"), want);
	}
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert(!srv_logged(&s, "running as root", 0));
	srv_stop_clean(&s);
}
END_TEST

START_TEST(daemon_as_nobody_cleans_its_pidfile)
{
	struct run r;
	char pidfile[300];
	const char *args[] = { "-d", "-b", "127.0.0.1", "-p", "0", "-u",
	    "nobody", "-P", pidfile, NULL };
	int status, fd;
	pid_t pid;

	if (geteuid() != 0 || getpwnam("nobody") == NULL) {
		/* Only root can do this; still check -d needs no root. */
		args[5] = "-P";
		args[6] = pidfile;
		args[7] = NULL;
	}
	become_subreaper();
	run_init(&r);
	/* The directory is root's: nobody cannot unlink there. */
	snprintf(pidfile, sizeof pidfile, "%s/chatd.pid", r.dir);
	run_start(&r, 0, args);
	status = run_wait(r.pid, 5000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
	    status);
	ck_assert_int_gt(pid = pidfile_pid(pidfile), 0);
	guard_add(pid);
	ck_assert_int_eq(fd_get(fd = cl_connect(ready_port(r.err, 0)), "/",
	    3000), 200);
	close(fd);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert(gone(pid, 5000, &status));
	/* Gone, or at least no longer naming a process that is gone. */
	ck_assert_msg(pidfile_pid(pidfile) != pid, "a stale pidfile names %ld",
	    (long)pid);
}
END_TEST

/* --- Files chatd writes --------------------------------------------------- */

/*
 * Runs chatd to its end and checks that it refused to start: exit 1, one
 * line on stderr that names the flag and the path (and the more, if any),
 * and no ready line.
 */
static void
refused_at_start(const char *const *args, const char *flag, const char *path,
    const char *more)
{
	struct run r;
	char *err, want[700];
	int code;

	run_init(&r);
	code = run_exit(&r, 5000, args);
	err = slurp(r.err);
	snprintf(want, sizeof want, "chatd: %s %s: ", flag, path);
	ck_assert_msg(code == 1, "%s %s: exit %d: %s", flag, path, code, err);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s %s: stderr: %s",
	    flag, path, err);
	ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1,
	    "%s %s: more than one line: %s", flag, path, err);
	if (more != NULL)
		ck_assert_msg(strstr(err, more) != NULL, "%s %s: no \"%s\" in %s",
		    flag, path, more, err);
	free(err);
}

/*
 * Every file chatd writes after the start is checked at the start, as the
 * user it runs as: a missing or unwritable -A directory or -L file is a
 * one-line refusal, in the foreground and as a daemon, not a 500 at the
 * first registration.
 */
START_TEST(unwritable_files_refused_at_start)
{
	char dir[256], plain[300], accounts[400], log[400], absolute[700];
	char pidfile[400], cwd[256];
	const char *args[16] = { "-b", "127.0.0.1", "-p", "0", NULL }, *t;
	struct passwd *pw;
	struct run r;
	int fd, port;

	itest_scratch(dir, sizeof dir, "files");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	/* Under a regular file: a directory that cannot exist, even for root. */
	snprintf(plain, sizeof plain, "%s/plain", dir);
	ck_assert((fd = open(plain, O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	snprintf(accounts, sizeof accounts, "%s/accounts", plain);
	snprintf(absolute, sizeof absolute, "%s/%s", cwd, accounts);
	args[4] = "-A";
	args[5] = accounts;
	refused_at_start(args, "-A", absolute, "Not a directory");
	snprintf(accounts, sizeof accounts, "%s/missing/accounts", dir);
	snprintf(absolute, sizeof absolute, "%s/%s", cwd, accounts);
	refused_at_start(args, "-A", absolute, "No such file");
	snprintf(log, sizeof log, "%s/log", plain);
	snprintf(absolute, sizeof absolute, "%s/%s", cwd, log);
	args[4] = "-L";
	args[5] = log;
	refused_at_start(args, "-L", absolute, "Not a directory");
	/* A daemon says so before its parent exits 1. */
	snprintf(pidfile, sizeof pidfile, "%s/chatd.pid", dir);
	args[6] = "-d";
	args[7] = "-P";
	args[8] = pidfile;
	refused_at_start(args, "-L", absolute, NULL);
	ck_assert_msg(access(pidfile, F_OK) == -1, "a pidfile was left");
	args[6] = NULL;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL)
		return;
	/*
	 * As nobody, in a directory of root's: refused, naming the user.  In
	 * /tmp, since nobody may not reach the tests' own directory.
	 */
	snprintf(dir, sizeof dir, "%s/chatd-files-XXXXXX", (t = getenv("TMPDIR"))
	    != NULL && *t != '\0' && strlen(t) < 128 ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert(chmod(dir, 0755) == 0);
	snprintf(accounts, sizeof accounts, "%s/accounts", dir);
	snprintf(log, sizeof log, "%s/log", dir);
	args[4] = "-u";
	args[5] = "nobody";
	args[6] = "-A";
	args[7] = accounts;
	args[8] = NULL;
	refused_at_start(args, "-A", accounts, "as nobody");
	args[6] = "-L";
	args[7] = log;
	refused_at_start(args, "-L", log, "as nobody");
	/* An accounts file nobody cannot write, in a directory it can. */
	ck_assert(chown(dir, pw->pw_uid, pw->pw_gid) == 0);
	ck_assert((fd = open(accounts, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	args[6] = "-A";
	args[7] = accounts;
	refused_at_start(args, "-A", accounts, "as nobody");
	/* Once the user owns them, the same command line starts. */
	ck_assert(chown(accounts, pw->pw_uid, pw->pw_gid) == 0);
	args[8] = "-L";
	args[9] = log;
	args[10] = NULL;
	run_init(&r);
	run_start(&r, 0, args);
	ck_assert_msg((port = ready_port(r.err, 5000)) > 0, "did not start");
	ck_assert_int_eq(kill(r.pid, SIGTERM), 0);
	ck_assert_int_eq(run_wait(r.pid, 5000), 0);
	ck_assert(unlink(log) == 0);
	ck_assert(unlink(accounts) == 0);
	ck_assert(rmdir(dir) == 0);
}
END_TEST

/* --- Hostile clients ----------------------------------------------------- */

START_TEST(per_ip_limit)
{
	struct server s;
	struct reply r;
	int held[3], other, i;

	/* A later -i wins over the harness's. */
	srv_start(&s, "-i", "3", NULL);
	for (i = 0; i < 3; i++) {
		held[i] = cl_connect(s.port);
		ck_assert(write(held[i], "GET / HTTP/1.0\r\n", 16) == 16);
	}
	poll(NULL, 0, 100);
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 429);
	ck_assert_ptr_nonnull(strstr(r.head, "charset=utf-8"));
	ck_assert_ptr_nonnull(strstr(r.body, "Too many connections from your "
	    "address"));
	reply_free(&r);
	/* Another address is not held back by this one. */
	other = connect_from("127.0.0.2", s.port);
	ck_assert_int_eq(fd_get(other, "/", 3000), 200);
	close(other);
	/* The held ones were never dropped: each finishes its request. */
	for (i = 0; i < 3; i++) {
		ck_assert(write(held[i], "\r\n", 2) == 2);
		ck_assert_int_eq(fd_status(held[i], 3000), 200);
		close(held[i]);
	}
	poll(NULL, 0, 100);
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(max_conns_503_keeps_streams)
{
	struct server s;
	struct stream a;
	struct reply r;
	const char *sid;
	int held, other;

	srv_start(&s, "-c", "2", NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=una", NULL));
	ck_assert_int_eq(stream_open(&a, s.port, sid, NULL), 200);
	/* Answered and lingering: nobody is reading a request to drop. */
	held = cl_connect(s.port);
	ck_assert(write(held, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
	poll(NULL, 0, 100);
	cl_get(s.port, "/", &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_nonnull(strstr(r.body, "full"));
	reply_free(&r);
	/* The limit is global: another address is refused as well. */
	other = connect_from("127.0.0.3", s.port);
	ck_assert_int_eq(fd_get(other, "/", 3000), 503);
	close(other);
	close(held);
	poll(NULL, 0, 100);
	ck_assert_int_eq(cl_say(s.port, sid, "room+again"), 200);
	ck_assert(stream_wait(&a, "room again", 2000));
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Slowloris: many connections that each send one more header byte every
 * second.  chatd must close each 10 s after it connected, whatever it
 * sends, while a user in the room keeps getting messages at once.
 */
START_TEST(slowloris_closed_while_chat_goes_on)
{
	struct server s;
	struct stream a;
	const char *sids[4];
	long long opened[SLOW_CONNS], closed[SLOW_CONNS], t0, t, next_tick;
	long long worst = 0, took;
	int fds[SLOW_CONNS], i, n, open_now = SLOW_CONNS, said = 0;
	char form[32], msg[32], text[32], c;

	srv_start(&s, NULL);
	ck_assert_int_eq(stream_open(&a, s.port, cl_login(s.port, "name=reader",
	    NULL), NULL), 200);
	for (i = 0; i < 4; i++) {
		snprintf(form, sizeof form, "name=talker%d", i);
		ck_assert_ptr_nonnull(sids[i] = cl_login(s.port, form, NULL));
	}
	for (i = 0; i < SLOW_CONNS; i++) {
		fds[i] = cl_connect(s.port);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		opened[i] = itest_now();
		closed[i] = 0;
		ck_assert(send(fds[i], "GET / HTTP/1.0\r\nX-a: ", 21,
		    MSG_NOSIGNAL) == 21);
	}
	t0 = itest_now();
	next_tick = t0 + 1000;
	do {
		/* A message every 300 ms, each talker once every 1.2 s. */
		snprintf(msg, sizeof msg, "probe%d", said);
		snprintf(text, sizeof text, ">probe%d<", said);
		t = itest_now();
		ck_assert_int_eq(cl_say(s.port, sids[said % 4], msg), 200);
		ck_assert_msg(stream_wait(&a, text, 3000), "%s lost", msg);
		if ((took = itest_now() - t) > worst)
			worst = took;
		said++;
		poll(NULL, 0, 300);
		if ((t = itest_now()) < next_tick)
			continue;
		next_tick += 1000;
		for (i = open_now = 0; i < SLOW_CONNS; i++) {
			if (closed[i])
				continue;
			c = 'a' + (char)(i % 26);
			n = (int)read(fds[i], msg, sizeof msg);
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK) ||
			    send(fds[i], &c, 1, MSG_NOSIGNAL) == -1) {
				closed[i] = t;
				continue;
			}
			ck_assert_msg(n == -1, "slow connection %d got an answer",
			    i);
			open_now++;
		}
	} while (open_now > 0 && t - t0 < 14000);
	ck_assert_msg(open_now == 0, "%d slow connections still open after "
	    "14 s", open_now);
	for (i = 0; i < SLOW_CONNS; i++) {
		ck_assert_msg(closed[i] - opened[i] >= 9000 &&
		    closed[i] - opened[i] <= 12500, "closed after %lld ms",
		    closed[i] - opened[i]);
		close(fds[i]);
	}
	ck_assert_msg(worst < LATENCY_MAX_MS, "a message took %lld ms", worst);
	ck_assert_int_ge(said, 20);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(slow_reader_cut_off_at_q)
{
	struct server s;
	struct stream slow, fast;
	size_t pushed = 0, got;
	char line[32], text[48];
	int cut = 0;
	long long t;
	int i;

	srv_start(&s, "-q", "64", NULL);
	ck_assert_int_eq(stream_open(&fast, s.port, cl_login(s.port,
	    "name=quick", NULL), NULL), 200);
	ck_assert_int_eq(stream_open_fd(&slow, cl_connect_small(s.port, 2048),
	    cl_login(s.port, "name=sloth", NULL), NULL), 200);
	/* 1200+ bytes an event; never read from slow. */
	for (i = 0; i < 400 && !cut; i++) {
		ck_assert_int_eq(say_as_new(s.port, cl_angles(300)), 200);
		pushed += 1200;
		if (i % 10 == 9)
			cut = srv_logged(&s, "cut off", 0);
	}
	ck_assert_msg(srv_logged(&s, "cut off: ", 2000), "sloth was never cut off "
	    "after %zu bytes", pushed);
	ck_assert(srv_logged(&s, "the limit is 65536", 0));
	/* The others go on, with no delay. */
	for (i = 0; i < 5; i++) {
		snprintf(line, sizeof line, "after%d", i);
		snprintf(text, sizeof text, ">after%d<", i);
		t = itest_now();
		ck_assert_int_eq(say_as_new(s.port, line), 200);
		ck_assert(stream_wait(&fast, text, 2000));
		ck_assert_int_lt(itest_now() - t, LATENCY_MAX_MS);
	}
	/* What the slow one can still read is bounded by -q and the kernel. */
	ck_assert(stream_wait_eof(&slow, 5000));
	got = slow.len;
	ck_assert_msg(got < 64 * 1024 + 256 * 1024, "slow reader got %zu", got);
	ck_assert_int_lt(got, pushed);
	ck_assert_ptr_null(strstr(slow.data, "after0"));
	stream_close(&slow);
	stream_close(&fast);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Out of descriptors: chatd under `ulimit -n 64` and twice as many
 * connections.  It must neither spin nor stop serving once they go, and
 * it keeps descriptors for its files: the transcript can be rotated.
 */
START_TEST(few_descriptors_no_spin)
{
	char log[300], old[300], *data;
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "-i", "10000",
	    "-L", log, NULL };
	const char *sid;
	struct run r;
	long long t;
	long before, after, hz = sysconf(_SC_CLK_TCK);
	int fds[128], port, i, fd, status, refused = 0;

	run_init(&r);
	snprintf(log, sizeof log, "%s/log", r.dir);
	snprintf(old, sizeof old, "%s/log.old", r.dir);
	run_start(&r, 64, args);
	ck_assert_msg((port = ready_port(r.err, 5000)) > 0, "did not start");
	for (i = 0; i < 128; i++)
		fds[i] = cl_connect(port);
	poll(NULL, 0, 300);
	before = cpu_ticks(r.pid);
	t = itest_now();
	poll(NULL, 0, 2000);
	after = cpu_ticks(r.pid);
	if (before >= 0)
		ck_assert_msg(after - before <= hz / 5, "chatd used %ld ticks "
		    "of CPU in %lld ms", after - before, itest_now() - t);
	/*
	 * A newcomer is answered at once: the connections that have been
	 * reading their requests the longest made room for it.
	 */
	fd = cl_connect(port);
	t = itest_now();
	ck_assert_int_eq(fd_get(fd, "/", 3000), 200);
	ck_assert_int_lt(itest_now() - t, 1000);
	close(fd);
	/* Rotated while full: the new file opens all the same. */
	ck_assert_int_eq(rename(log, old), 0);
	ck_assert_int_eq(kill(r.pid, SIGHUP), 0);
	poll(NULL, 0, 300);
	for (i = 0; i < 128; i++) {
		refused += fd_closed(fds[i], 0);
		close(fds[i]);
	}
	ck_assert_int_gt(refused, 0);
	poll(NULL, 0, 300);
	ck_assert_int_eq(fd_get(fd = cl_connect(port), "/", 3000), 200);
	close(fd);
	ck_assert_ptr_nonnull(sid = cl_login(port, "name=rota", NULL));
	ck_assert_int_eq(cl_say(port, sid, "rotated"), 200);
	data = slurp(log);
	ck_assert_msg(strstr(data, "rotated") != NULL, "the transcript was "
	    "not reopened at the descriptor limit");
	free(data);
	ck_assert_int_eq(waitpid(r.pid, &status, WNOHANG), 0);
	kill(r.pid, SIGTERM);
	status = run_wait(r.pid, 5000);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

Suite *
itest_daemon_suite(void)
{
	Suite *s = suite_create("itest_daemon");
	TCase *tc = tcase_create("daemon");

	tcase_set_timeout(tc, 40);
	tcase_add_checked_fixture(tc, guard_setup, itest_scratch_remove);
	tcase_add_test(tc, help_prints_usage_and_exits_0);
	tcase_add_test(tc, bad_flags_exit_2_with_one_line_and_usage);
	tcase_add_test(tc, ready_line_first_with_real_port);
	tcase_add_test(tc, daemon_starts_serves_and_stops);
	tcase_add_test(tc, daemon_fails_loudly);
	tcase_add_test(tc, daemon_as_nobody_cleans_its_pidfile);
	tcase_add_test(tc, term_and_int_tell_every_frame);
	tcase_add_test(tc, shutdown_drain_is_bounded);
	tcase_add_test(tc, hup_reopens_and_keeps_serving);
	tcase_add_test(tc, sigpipe_never_kills);
	tcase_add_test(tc, u_drops_privileges);
	tcase_add_test(tc, unwritable_files_refused_at_start);
	tcase_add_test(tc, per_ip_limit);
	tcase_add_test(tc, max_conns_503_keeps_streams);
	tcase_add_test(tc, slowloris_closed_while_chat_goes_on);
	tcase_add_test(tc, slow_reader_cut_off_at_q);
	tcase_add_test(tc, few_descriptors_no_spin);
	suite_add_tcase(s, tc);
	return s;
}
