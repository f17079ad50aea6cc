/* itest.c: the integration harness: start the real chatd, talk HTTP to it over sockets. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

#define ARGS_MAX	40
#define SCRATCH_MAX	64	/* scratch directories one test removes */
#define ITEST_KEEPER_FDS	1024	/* descriptors a keeper closes, from 3 */

long long
itest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pause_ms(int ms)
{
	poll(NULL, 0, ms);
}

/* Reads a whole small file into a static buffer; "" if missing. */
static const char *
slurp(const char *path)
{
	static char data[1 << 20];
	ssize_t n = 0, r;
	int fd;

	data[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return data;
	while (n < (ssize_t)sizeof data - 1 &&
	    (r = read(fd, data + n, sizeof data - 1 - (size_t)n)) > 0)
		n += r;
	close(fd);
	data[n] = '\0';
	return data;
}

/*
 * The keeper: starts chatd, waits until the test closes ctl (or dies),
 * stops chatd with SIGTERM (SIGKILL after 5 s) and reports its status.
 */
static void
keeper(char **argv, const char *errpath, int ctl, int report)
{
	int status = -1, fd, i;
	pid_t pid;
	char c;

	/*
	 * Another server's control pipe, inherited, would keep that server
	 * running after its test let go of it: only ctl and report stay.
	 */
	for (fd = 3; fd < ITEST_KEEPER_FDS; fd++)
		if (fd != ctl && fd != report)
			close(fd);
	if ((pid = fork()) == 0) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDERR_FILENO);
		fd = open("/dev/null", O_RDWR);
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	if (write(report, &pid, sizeof pid) != sizeof pid)
		_exit(1);
	while (read(ctl, &c, 1) == -1 && errno == EINTR)
		;
	kill(pid, SIGTERM);
	for (i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		pause_ms(50);
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (write(report, &status, sizeof status) != sizeof status)
		_exit(1);
	_exit(0);
}

static int
read_port(const char *errpath)
{
	const char *log = slurp(errpath), *p;

	if ((p = strstr(log, "chatd: listening on http://127.0.0.1:")) == NULL)
		return 0;
	return atoi(p + strlen("chatd: listening on http://127.0.0.1:"));
}

/* The scratch directories this test process made, for the teardown. */
static char scratch[SCRATCH_MAX][256];
static int nscratch;
static pid_t scratch_owner;

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

static void
remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
itest_scratch(char *dir, size_t size, const char *prefix)
{
	static int counter;

	if (scratch_owner != getpid()) {
		scratch_owner = getpid();
		nscratch = 0;
	}
	mkdir("tests/out", 0755);
	snprintf(dir, size, "tests/out/%s-%ld-%d", prefix, (long)getpid(),
	    counter++);
	/* A reused pid finds an old run's files: they must not count. */
	remove_tree(dir);
	ck_assert_msg(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir,
	    strerror(errno));
	if (nscratch < SCRATCH_MAX)
		snprintf(scratch[nscratch++], sizeof scratch[0], "%s", dir);
}

void
itest_scratch_remove(void)
{
	if (scratch_owner != getpid())
		return;
	while (nscratch > 0)
		remove_tree(scratch[--nscratch]);
}

static void
make_dirs(struct server *s)
{
	itest_scratch(s->dir, sizeof s->dir, "srv");
	snprintf(s->errpath, sizeof s->errpath, "%s/stderr", s->dir);
}

/* Builds argv: chatd -b 127.0.0.1 -p 0 -i 10000 then the extras. */
static void
build_args(struct server *s, char **argv, char store[][512], va_list ap)
{
	const char *arg, *at, *bin = getenv("CHATD");
	int n = 0;

	argv[n++] = (char *)(bin ? bin : "./chatd");
	argv[n++] = "-b";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = "0";
	argv[n++] = "-i";
	argv[n++] = "10000";
	while ((arg = va_arg(ap, const char *)) != NULL && n < ARGS_MAX - 1) {
		if ((at = strstr(arg, "@DIR@")) != NULL)
			snprintf(store[n], 512, "%.*s%s%s", (int)(at - arg), arg,
			    s->dir, at + 5);
		else
			snprintf(store[n], 512, "%s", arg);
		argv[n] = store[n];
		n++;
	}
	argv[n] = NULL;
}

/* Runs argv under a keeper that stops it when the test lets go of s. */
static void
keep(struct server *s, char **argv)
{
	int ctl[2], rep[2];

	ck_assert(pipe(ctl) == 0 && pipe(rep) == 0);
	if ((s->keeper = fork()) == 0) {
		close(ctl[1]);
		close(rep[0]);
		keeper(argv, s->errpath, ctl[0], rep[1]);
	}
	close(ctl[0]);
	close(rep[1]);
	s->ctl = ctl[1];
	s->status_fd = rep[0];
	ck_assert(read(s->status_fd, &s->pid, sizeof s->pid) == sizeof s->pid);
}

void
srv_start(struct server *s, ...)
{
	static char store[ARGS_MAX][512];
	char *argv[ARGS_MAX];
	long long until;
	va_list ap;

	memset(s, 0, sizeof *s);
	make_dirs(s);
	va_start(ap, s);
	build_args(s, argv, store, ap);
	va_end(ap);
	keep(s, argv);
	for (until = itest_now() + ITEST_TIMEOUT_MS; itest_now() < until;
	    pause_ms(10))
		if ((s->port = read_port(s->errpath)) > 0)
			return;
	ck_abort_msg("chatd did not start: %s", slurp(s->errpath));
}

int
srv_stop(struct server *s)
{
	const char *log;
	int status = -1;

	close(s->ctl);
	if (read(s->status_fd, &status, sizeof status) != sizeof status)
		status = -1;
	close(s->status_fd);
	waitpid(s->keeper, NULL, 0);
	log = slurp(s->errpath);
	ck_assert_msg(strstr(log, "Sanitizer") == NULL &&
	    strstr(log, "runtime error") == NULL, "sanitizer report:\n%s", log);
	return status;
}

void
srv_stop_clean(struct server *s)
{
	int status = srv_stop(s);

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "chatd did not exit 0 (status %d)", status);
}

int
srv_logged(const struct server *s, const char *text, int ms)
{
	long long until = itest_now() + ms;

	do {
		if (strstr(slurp(s->errpath), text) != NULL)
			return 1;
		pause_ms(20);
	} while (itest_now() < until);
	return 0;
}

int
cl_connect(int port)
{
	return cl_connect_small(port, 0);
}

int
cl_connect_small(int port, int rcvbuf)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	ck_assert_msg(fd >= 0 && connect(fd, (struct sockaddr *)&sin,
	    sizeof sin) == 0, "cannot connect to port %d", port);
	return fd;
}

static void
send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n <= 0)
			return;	/* the server may answer and close early */
		p += n;
		len -= (size_t)n;
	}
}

/* Appends what arrives within ms; returns bytes read, 0 at EOF, -1 on timeout. */
static ssize_t
read_some(int fd, char **data, size_t *len, size_t *cap, int ms)
{
	struct pollfd pfd;
	ssize_t n;

	if (*cap - *len < 4097) {
		*cap = *cap ? *cap * 2 : 16384;
		*data = realloc(*data, *cap);
		ck_assert(*data != NULL);
		(*data)[*len] = '\0';
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	n = read(fd, *data + *len, *cap - *len - 1);
	if (n < 0)
		return 0;	/* a reset ends the answer too */
	*len += (size_t)n;
	(*data)[*len] = '\0';
	return n;
}

static void
split_reply(struct reply *r, char *data, size_t len)
{
	char *end = strstr(data, "\r\n\r\n");
	size_t hl;

	memset(r, 0, sizeof *r);
	if (end == NULL) {
		r->head = data;
		r->body = strdup("");
		return;
	}
	hl = (size_t)(end - data) + 4;
	r->body = malloc(len - hl + 1);
	memcpy(r->body, data + hl, len - hl);
	r->body[len - hl] = '\0';
	r->body_len = len - hl;
	data[hl] = '\0';
	r->head = data;
	sscanf(data, "HTTP/1.%*d %d", &r->status);
}

void
cl_raw(int port, const char *request, size_t len, struct reply *r)
{
	char *data = NULL;
	size_t dlen = 0, cap = 0;
	long long until = itest_now() + ITEST_TIMEOUT_MS;
	ssize_t n;
	int fd = cl_connect(port);

	send_all(fd, request, len);
	while ((n = read_some(fd, &data, &dlen, &cap, 100)) != 0)
		if (n < 0 && itest_now() > until)
			break;
	close(fd);
	if (data == NULL)
		data = strdup("");
	split_reply(r, data, dlen);
}

void
cl_get(int port, const char *target, struct reply *r)
{
	char req[16384];

	snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", target);
	cl_raw(port, req, strlen(req), r);
}

void
cl_post(int port, const char *path, const char *body, struct reply *r)
{
	char *req;
	size_t n = strlen(body) + strlen(path) + 200;

	req = malloc(n);
	snprintf(req, n, "POST %s HTTP/1.0\r\nContent-Type: application/"
	    "x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s", path,
	    strlen(body), body);
	cl_raw(port, req, strlen(req), r);
	free(req);
}

void
reply_free(struct reply *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof *r);
}

const char *
cl_login(int port, const char *form, int *status)
{
	static char sids[8][33];
	static int next;
	struct reply r;
	const char *p;
	char *sid = sids[next++ % 8];
	char where[64];

	/* A login answers 303 to /room?sid=...: follow it as a browser does. */
	cl_post(port, "/login", form, &r);
	p = strstr(r.head, "\r\nLocation: /room?sid=");
	if (r.status != 303 || p == NULL) {
		if (status)
			*status = r.status;
		reply_free(&r);
		return NULL;
	}
	memcpy(sid, p + strlen("\r\nLocation: /room?sid="), 32);
	sid[32] = '\0';
	reply_free(&r);
	snprintf(where, sizeof where, "/room?sid=%s", sid);
	cl_get(port, where, &r);
	if (status)
		*status = r.status;
	if (r.status != 200 || strstr(r.body, sid) == NULL) {
		reply_free(&r);
		return NULL;
	}
	reply_free(&r);
	return sid;
}

const char *
cl_angles(int n)
{
	static char big[3 * 3000 + 1];
	int i;

	for (i = 0; i < n && i < 3000; i++)
		memcpy(big + 3 * i, "%3C", 3);
	big[3 * i] = '\0';
	return big;
}

int
cl_say(int port, const char *sid, const char *message_enc)
{
	char body[16384];
	struct reply r;
	int status;

	snprintf(body, sizeof body, "sid=%s&message=%s", sid, message_enc);
	cl_post(port, "/dotalk", body, &r);
	status = r.status;
	reply_free(&r);
	return status;
}

int
stream_open(struct stream *st, int port, const char *sid, const char *since)
{
	return stream_open_fd(st, cl_connect(port), sid, since);
}

int
stream_open_fd(struct stream *st, int fd, const char *sid, const char *since)
{
	char req[512];
	int status = 0;
	long long until = itest_now() + ITEST_TIMEOUT_MS;

	memset(st, 0, sizeof *st);
	st->fd = fd;
	snprintf(req, sizeof req, "GET /chat?sid=%s%s%s HTTP/1.0\r\n\r\n", sid,
	    since ? "&since=" : "", since ? since : "");
	send_all(st->fd, req, strlen(req));
	while ((st->data == NULL || strstr(st->data, "\r\n\r\n") == NULL) &&
	    itest_now() < until)
		if (read_some(st->fd, &st->data, &st->len, &st->cap, 100) == 0) {
			st->eof = 1;
			break;
		}
	if (st->data != NULL)
		sscanf(st->data, "HTTP/1.%*d %d", &status);
	return status;
}

int
stream_wait(struct stream *st, const char *text, int ms)
{
	long long until = itest_now() + ms;

	for (;;) {
		if (st->data != NULL && strstr(st->data, text) != NULL)
			return 1;
		if (st->eof || itest_now() >= until)
			return 0;
		if (read_some(st->fd, &st->data, &st->len, &st->cap,
		    (int)(until - itest_now())) == 0)
			st->eof = 1;
	}
}

int
stream_wait_eof(struct stream *st, int ms)
{
	long long until = itest_now() + ms;

	while (!st->eof && itest_now() < until)
		if (read_some(st->fd, &st->data, &st->len, &st->cap,
		    (int)(until - itest_now())) == 0)
			st->eof = 1;
	return st->eof;
}

int
stream_count(const struct stream *st, const char *text)
{
	const char *p = st->data;
	int n = 0;

	while (p != NULL && (p = strstr(p, text)) != NULL) {
		n++;
		p += strlen(text);
	}
	return n;
}

void
stream_close(struct stream *st)
{
	if (st->fd > 0)
		close(st->fd);
	free(st->data);
	memset(st, 0, sizeof *st);
}

/* A loopback port nobody listens on just now. */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd, port;

	ck_assert((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

int
rds_command(int port, const char *command, char *out, size_t size)
{
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	struct sockaddr_in sin;
	int fd;

	/* Not cl_connect(): a Redis still starting is no failure yet. */
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	snprintf(buf, sizeof buf, "%s\r\n", command);
	if (write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf)) {
		close(fd);
		return -1;
	}
	/* One answer's first line is all a test looks at. */
	while (got < sizeof buf - 1 && (got == 0 || buf[got - 1] != '\n') &&
	    (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	if (got == 0)
		return -1;
	snprintf(out, size, "%s", buf);
	return 0;
}

void
rds_start(struct redis *r)
{
	rds_start_port(r, 0);
}

void
rds_start_port(struct redis *r, int port)
{
	static char portarg[16], dirarg[256];
	char *argv[] = { "/usr/bin/redis-server", "--bind", "127.0.0.1",
	    "--port", portarg, "--save", "", "--appendonly", "no", "--dir",
	    dirarg, "--daemonize", "no", NULL };
	char answer[64];
	long long until;

	memset(r, 0, sizeof *r);
	ck_assert_msg(access(argv[0], X_OK) == 0, "%s is needed for the "
	    "cluster tests (apt-get install redis-server)", argv[0]);
	itest_scratch(r->srv.dir, sizeof r->srv.dir, "redis");
	snprintf(r->srv.errpath, sizeof r->srv.errpath, "%s/stderr",
	    r->srv.dir);
	snprintf(dirarg, sizeof dirarg, "%s", r->srv.dir);
	r->port = r->srv.port = port > 0 ? port : free_port();
	snprintf(portarg, sizeof portarg, "%d", r->port);
	keep(&r->srv, argv);
	for (until = itest_now() + ITEST_TIMEOUT_MS; itest_now() < until;
	    pause_ms(20))
		if (rds_command(r->port, "PING", answer, sizeof answer) == 0 &&
		    strncmp(answer, "+PONG", 5) == 0)
			return;
	ck_abort_msg("redis-server did not start: %s", slurp(r->srv.errpath));
}

void
rds_stop(struct redis *r)
{
	srv_stop(&r->srv);
}

void
cl_form_enc(char *out, size_t size, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *text != '\0' && o + 4 < size; text++) {
		unsigned char c = (unsigned char)*text;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
			out[o++] = (char)c;
		else if (c == ' ')
			out[o++] = '+';
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

void
cl_say_text(int port, const char *sid, const char *text)
{
	char enc[4096];
	long long until = itest_now() + 3000;
	int status;

	cl_form_enc(enc, sizeof enc, text);
	while ((status = cl_say(port, sid, enc)) == 429 && itest_now() < until)
		pause_ms(200);
	ck_assert_msg(status == 200, "\"%s\": status %d", text, status);
}

char *
itest_read_file(const char *path)
{
	char *data = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return strdup("");
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			ck_assert_ptr_nonnull(data = realloc(data, cap));
		}
		if ((n = read(fd, data + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	data[len] = '\0';
	return data;
}
