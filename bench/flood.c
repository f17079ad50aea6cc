/* flood.c: message latency between two users while others flood chatd with registered logins. */

/*
 * One process against a running chatd on loopback:
 *
 *  1. registers N accounts (fl01...) with passwords, each from its own
 *     source address 127.0.1.K;
 *  2. logs in two guests, tka and tkb, from 127.0.2.1 and 127.0.2.2 and
 *     opens a chat stream for each;
 *  3. baseline: tka and tkb take turns posting "fl<seq>t<usec>" every
 *     FLOOD_GAP_MS (each stays within chatd's rate limit), and the time
 *     from the start of each POST until the other one's stream reads it is
 *     that message's latency;
 *  4. flood: the same, while N clients, one per account and address, send
 *     POST /login with the right password one after another, each as soon
 *     as the last was answered.
 *
 * It prints the latency median and maximum of both phases and what the
 * logins were answered.  Every wait has a deadline.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_CLIENTS_DEFAULT	12
#define FLOOD_CLIENTS_MAX	64
#define FLOOD_BASE_S_DEFAULT	5	/* baseline, no flood */
#define FLOOD_S_DEFAULT		20	/* with the flood */
#define FLOOD_GAP_MS		550	/* between posts: each talker every 1.1 s */
#define FLOOD_MSGS_MAX		1000
#define FLOOD_POSTS_MAX		8	/* posts in flight */
#define FLOOD_DRAIN_S		5	/* wait for the last messages */
#define FLOOD_SETUP_S		30	/* registrations, logins, streams */
#define FLOOD_REPLY_MAX		1024
#define FLOOD_CARRY_MAX		1024
#define FLOOD_READ_MAX		65536

/* A short request: connect, send, read the answer to EOF, close. */
struct req {
	int		 fd;		/* -1: free */
	int		 sent_all;
	char		 out[512];
	size_t		 outlen, outoff;
	char		 in[FLOOD_REPLY_MAX + 1];
	size_t		 inlen;
	unsigned	 src;		/* source address, host order */
	int		 who;		/* flood client, or -1 for a post */
};

struct stream {
	int		 fd;
	int		 in_body;
	char		 carry[FLOOD_CARRY_MAX];
	size_t		 ncarry;
};

struct msg {
	long long	 sent;		/* us */
	long long	 lat;		/* us until the other stream read it; -1 */
	int		 phase;		/* 0 baseline, 1 flood */
	int		 to;		/* the talker who must read it */
};

static struct sockaddr_in server;
static struct req	 clients[FLOOD_CLIENTS_MAX];
static struct req	 posts[FLOOD_POSTS_MAX];
static struct stream	 talker[2];
static char		 sid[2][33];
static struct msg	 msgs[FLOOD_MSGS_MAX + 1];
static int		 nmsgs, nclients = FLOOD_CLIENTS_DEFAULT, flooding;
static long long	 logins[6];	/* answers by class; [0] failures */
static long long	 deadline;

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("flood: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A non-blocking connection to chatd from the source address src. */
static int
dial(unsigned src)
{
	struct sockaddr_in sa;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(src);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1)
		die("bind %s: %s (127.0.0.0/8 must be routable)",
		    inet_ntoa(sa.sin_addr), strerror(errno));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    (connect(fd, (struct sockaddr *)&server, sizeof server) == -1 &&
	    errno != EINPROGRESS))
		die("connect: %s", strerror(errno));
	return fd;
}

static void
req_start(struct req *r, unsigned src, const char *path, const char *body)
{
	r->outlen = (size_t)snprintf(r->out, sizeof r->out, "POST /%s "
	    "HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s", path, strlen(body), body);
	r->outoff = r->inlen = 0;
	r->sent_all = 0;
	r->src = src;
	r->fd = dial(src);
}

/* Moves a request on; returns 1 once its answer is complete. */
static int
req_event(struct req *r, short re)
{
	char scratch[FLOOD_READ_MAX];
	ssize_t n;

	if (!r->sent_all) {
		if ((re & (POLLERR | POLLHUP)) && !(re & POLLIN))
			return 1;
		if (!(re & POLLOUT))
			return 0;
		n = write(r->fd, r->out + r->outoff, r->outlen - r->outoff);
		if (n == -1)
			return errno != EAGAIN && errno != EINTR;
		r->sent_all = (r->outoff += (size_t)n) == r->outlen;
		return 0;
	}
	if (!(re & (POLLIN | POLLERR | POLLHUP)))
		return 0;
	if (r->inlen < FLOOD_REPLY_MAX)
		n = read(r->fd, r->in + r->inlen, FLOOD_REPLY_MAX - r->inlen);
	else
		n = read(r->fd, scratch, sizeof scratch);
	if (n > 0 && r->inlen < FLOOD_REPLY_MAX)
		r->inlen += (size_t)n;
	else if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		return 1;
	return 0;
}

/* The status of a finished request, and closes it. */
static int
req_finish(struct req *r)
{
	int st = 0;

	r->in[r->inlen] = '\0';
	if (sscanf(r->in, "HTTP/1.%*d %d", &st) != 1)
		st = 0;
	close(r->fd);
	r->fd = -1;
	return st;
}

/* One request from start to end, with nothing else going on (setup). */
static int
req_run(struct req *r)
{
	struct pollfd p;
	long long until = now_us() + FLOOD_SETUP_S * 1000000LL;

	for (;;) {
		p.fd = r->fd;
		p.events = r->sent_all ? POLLIN : POLLOUT;
		if (poll(&p, 1, 100) > 0 && req_event(r, p.revents))
			return req_finish(r);
		if (now_us() > until)
			die("chatd did not answer in %d s", FLOOD_SETUP_S);
	}
}

static void
client_start(int k)
{
	char body[128];

	snprintf(body, sizeof body, "name=fl%02d&passwd=flood-pass-%02d"
	    "&room=flood", k + 1, k + 1);
	req_start(&clients[k], 0x7f000101u + (unsigned)k, "login", body);
	clients[k].who = k;
}

/* Parses "bm"-style text: fl<seq>t<usec>; the other talker read it at t. */
static void
stream_line(int who, const char *line, size_t n, long long t)
{
	const char *p = NULL, *end = line + n;
	long long seq = 0;
	size_t i;

	for (i = 0; i + 6 <= n; i++)
		if (memcmp(line + i, "tx\">fl", 6) == 0) {
			p = line + i + 6;
			break;
		}
	if (p == NULL)
		return;
	while (p < end && *p >= '0' && *p <= '9' && seq < INT_MAX)
		seq = seq * 10 + (*p++ - '0');
	if (seq < 1 || seq > nmsgs || msgs[seq].to != who ||
	    msgs[seq].lat >= 0)
		return;
	msgs[seq].lat = t - msgs[seq].sent;
}

static void
stream_event(int who, short re)
{
	struct stream *s = &talker[who];
	char buf[FLOOD_READ_MAX];
	const char *p = buf, *nl, *end;
	ssize_t n;
	size_t len, room;
	long long t;

	if (!(re & (POLLIN | POLLERR | POLLHUP)))
		return;
	if ((n = read(s->fd, buf, sizeof buf)) == 0 ||
	    (n == -1 && errno != EAGAIN && errno != EINTR))
		die("the stream of %s ended", who ? "tkb" : "tka");
	if (n == -1)
		return;
	t = now_us();
	end = buf + n;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		len = (size_t)(nl - p);
		room = sizeof s->carry - s->ncarry;
		memcpy(s->carry + s->ncarry, p, len < room ? len : room);
		s->ncarry += len < room ? len : room;
		if (!s->in_body)
			s->in_body = s->ncarry == 0 ||
			    (s->ncarry == 1 && s->carry[0] == '\r');
		else
			stream_line(who, s->carry, s->ncarry, t);
		s->ncarry = 0;
		p = nl + 1;
	}
	len = (size_t)(end - p);
	room = sizeof s->carry - s->ncarry;
	memcpy(s->carry + s->ncarry, p, len < room ? len : room);
	s->ncarry += len < room ? len : room;
}

/* tka (0) or tkb (1) posts the next message, for the other to read. */
static void
post(int who, int phase)
{
	char body[160];
	int i;

	for (i = 0; i < FLOOD_POSTS_MAX && posts[i].fd != -1; i++)
		;
	if (i == FLOOD_POSTS_MAX || nmsgs == FLOOD_MSGS_MAX)
		return;
	nmsgs++;
	msgs[nmsgs].sent = now_us();
	msgs[nmsgs].lat = -1;
	msgs[nmsgs].phase = phase;
	msgs[nmsgs].to = !who;
	snprintf(body, sizeof body, "sid=%s&message=fl%dt%lld", sid[who], nmsgs,
	    msgs[nmsgs].sent);
	req_start(&posts[i], 0x7f000201u + (unsigned)who, "dotalk", body);
	posts[i].who = -1;
}

/* One poll() over the streams, posts and flood clients. */
static void
step(int timeout_ms)
{
	struct pollfd pfd[2 + FLOOD_POSTS_MAX + FLOOD_CLIENTS_MAX];
	struct req *obj[2 + FLOOD_POSTS_MAX + FLOOD_CLIENTS_MAX];
	int i, n = 0, st;

	if (now_us() > deadline)
		die("the run took too long: stopped");
	for (i = 0; i < 2; i++) {
		pfd[n].fd = talker[i].fd;
		pfd[n].events = POLLIN;
		obj[n++] = NULL;
	}
	for (i = 0; i < FLOOD_POSTS_MAX; i++)
		if (posts[i].fd != -1) {
			pfd[n].fd = posts[i].fd;
			pfd[n].events = posts[i].sent_all ? POLLIN : POLLOUT;
			obj[n++] = &posts[i];
		}
	for (i = 0; i < nclients; i++)
		if (clients[i].fd != -1) {
			pfd[n].fd = clients[i].fd;
			pfd[n].events = clients[i].sent_all ? POLLIN : POLLOUT;
			obj[n++] = &clients[i];
		}
	if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (i < 2) {
			stream_event(i, pfd[i].revents);
			continue;
		}
		if (!req_event(obj[i], pfd[i].revents))
			continue;
		st = req_finish(obj[i]);
		if (obj[i]->who < 0)
			continue;
		logins[st >= 100 && st < 600 ? st / 100 : 0]++;
		if (st == 429)
			logins[1]++;	/* [1] counts the 429s among the 4xx */
		if (flooding)
			client_start(obj[i]->who);
	}
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Prints the latency median and maximum of a phase's messages. */
static void
report(int phase, const char *what)
{
	long long v[FLOOD_MSGS_MAX];
	int i, n = 0, lost = 0, all = 0;

	for (i = 1; i <= nmsgs; i++) {
		if (msgs[i].phase != phase)
			continue;
		all++;
		if (msgs[i].lat < 0)
			lost++;
		else
			v[n++] = msgs[i].lat;
	}
	printf("  %s: %d messages, %d not delivered", what, all, lost);
	if (n > 0) {
		qsort(v, (size_t)n, sizeof *v, cmp_ll);
		printf("; latency median %.2f ms, p90 %.2f ms, max %.2f ms",
		    (v[(n - 1) / 2] + v[n / 2]) / 2000.0, v[(n * 9 + 9) / 10 - 1] /
		    1000.0, v[n - 1] / 1000.0);
	}
	printf("\n");
	if (phase == 1 && n > 0)
		printf("result: flood clients=%d median=%.2f max=%.2f lost=%d\n",
		    nclients, (v[(n - 1) / 2] + v[n / 2]) / 2000.0,
		    v[n - 1] / 1000.0, lost);
}

/* Sends tka and tkb's messages by turns for secs seconds. */
static void
talk(int phase, int secs)
{
	long long t0 = now_us(), end = t0 + secs * 1000000LL, next = t0;
	int turn = 0;

	while (now_us() < end) {
		if (now_us() >= next) {
			post(turn, phase);
			turn = !turn;
			next += FLOOD_GAP_MS * 1000LL;
		}
		step(5);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: flood [-b baseline_s] [-d flood_s] "
	    "[-n clients] -p port\n");
	exit(2);
}

static long
arg(const char *s, long min, long max, char flag)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max) {
		fprintf(stderr, "flood: -%c: %ld..%ld\n", flag, min, max);
		usage();
	}
	return v;
}

int
main(int argc, char **argv)
{
	int ch, port = 0, base = FLOOD_BASE_S_DEFAULT, secs = FLOOD_S_DEFAULT;
	int i, st;
	long long t0, t1, until, answered;
	char body[128];
	const char *p;
	struct req r;

	while ((ch = getopt(argc, argv, "b:d:n:p:")) != -1) {
		switch (ch) {
		case 'b': base = (int)arg(optarg, 1, 60, 'b'); break;
		case 'd': secs = (int)arg(optarg, 1, 120, 'd'); break;
		case 'n': nclients = (int)arg(optarg, 1, FLOOD_CLIENTS_MAX, 'n'); break;
		case 'p': port = (int)arg(optarg, 1, 65535, 'p'); break;
		default: usage();
		}
	}
	if (port == 0 || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&server, 0, sizeof server);
	server.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)port);
	server.sin_addr.s_addr = htonl(0x7f000001u);
	deadline = now_us() + (FLOOD_SETUP_S * 2 + base + secs +
	    FLOOD_DRAIN_S) * 1000000LL;
	for (i = 0; i < FLOOD_CLIENTS_MAX; i++)
		clients[i].fd = -1;
	for (i = 0; i < FLOOD_POSTS_MAX; i++)
		posts[i].fd = -1;

	/* Accounts, each registered from its own client's address. */
	for (i = 0; i < nclients; i++) {
		snprintf(body, sizeof body, "name=fl%02d&passwd=flood-pass-%02d",
		    i + 1, i + 1);
		req_start(&r, 0x7f000101u + (unsigned)i, "register", body);
		if ((st = req_run(&r)) != 200 && st != 409)
			die("register fl%02d: status %d", i + 1, st);
	}
	/* The two who talk, and their streams. */
	for (i = 0; i < 2; i++) {
		snprintf(body, sizeof body, "name=%s", i ? "tkb" : "tka");
		req_start(&r, 0x7f000201u + (unsigned)i, "login", body);
		st = req_run(&r);
		if ((p = strstr(r.in, "sid=")) == NULL ||
		    strspn(p + 4, "0123456789abcdef") < 32)
			die("login %s: status %d", i ? "tkb" : "tka", st);
		memcpy(sid[i], p + 4, 32);
		talker[i].fd = dial(0x7f000201u + (unsigned)i);
		snprintf(r.out, sizeof r.out, "GET /chat?sid=%s HTTP/1.0\r\n\r\n",
		    sid[i]);
		/* A short request on a fresh socket: one write goes out whole. */
		{
			struct pollfd pw;

			pw.fd = talker[i].fd;
			pw.events = POLLOUT;
			if (poll(&pw, 1, FLOOD_SETUP_S * 1000) != 1 ||
			    write(talker[i].fd, r.out, strlen(r.out)) !=
			    (ssize_t)strlen(r.out))
				die("cannot open the stream of %s",
				    i ? "tkb" : "tka");
		}
	}
	printf("flood: %d accounts registered; tka and tkb talk, one message "
	    "every %d ms\n", nclients, FLOOD_GAP_MS);
	talk(0, base);
	flooding = 1;
	for (i = 0; i < nclients; i++)
		client_start(i);
	t0 = now_us();
	talk(1, secs);
	flooding = 0;
	t1 = now_us();
	answered = logins[2] + logins[3] + logins[4] + logins[5];
	until = now_us() + FLOOD_DRAIN_S * 1000000LL;
	while (now_us() < until) {
		for (i = 1; i <= nmsgs && msgs[i].lat >= 0; i++)
			;
		for (ch = 0; ch < nclients && clients[ch].fd == -1; ch++)
			;
		if (i > nmsgs && ch == nclients)
			break;
		step(10);
	}
	printf("  logins: %lld answered in %.1f s (%.0f/s): %lld logged in "
	    "(2xx, 3xx), %lld 4xx (%lld of them 429), %lld 5xx, %lld failed\n",
	    answered, (t1 - t0) / 1e6, answered * 1e6 / (t1 - t0), logins[2] +
	    logins[3], logins[4], logins[1], logins[5], logins[0]);
	report(0, "without the flood");
	report(1, "during the flood");
	return 0;
}
