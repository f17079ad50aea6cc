/* load.c: a load generator for chatd (or nginx+nchan): held streams, fan-out latency, saturation, memory. */

/*
 * One process drives a running chatd on a loopback address:
 *
 *  1. logs in N guests (b0001...) and opens a chat stream for each, the
 *     connections spread over source addresses 127.0.0.2..127.0.0.255 so
 *     neither the per-address limit nor the ephemeral ports of a single
 *     address get in the way;
 *  2. reads chatd's VmRSS before the logins and with the N streams idle;
 *  3. phase 1: posts R messages a second for D1 seconds from a few of those
 *     sessions and measures, per message, the time from the start of its
 *     POST until the last of the N streams has read it;
 *  4. phase 2: keeps C posts in flight for D2 seconds, rotating over all N
 *     sessions, each kept within chatd's rate limit by a copy of its token
 *     bucket, and counts the message fragments the streams read (the
 *     deliveries).
 *
 * It checks on the way that every stream sees every room event once and
 * in order, and that no stream is lost.
 *
 * With -N it drives nginx with the nchan module instead, configured as
 * bench/nginx-nchan.conf: no logins; each stream is an EventSource
 * subscriber (GET /sub), each post a publisher request (POST /pub), and
 * the order check reads nchan's message ids ("id: TIME:TAG").
 *
 * With -t it chooses chatd's stream: html (GET /chat, the forever frame,
 * the default), sse (GET /api/events, Server-Sent Events: an "id: N" line
 * before each event's "data:" line) or ws (GET /api/ws, WebSocket: a text
 * frame holding {"id":N,...} for each event).  The WebSocket client is
 * here: the handshake with RFC 6455's sample key (so the answer must carry
 * its sample accept value), unmasked server frames, a masked pong to each
 * ping.  Posts go through POST /dotalk for every kind.
 *
 * Every message reads "bm<seq>t<usec>": its number and the CLOCK_MONOTONIC
 * time (microseconds) its POST started.  Everything is bounded: each wait
 * has a deadline and the whole run stops after LOAD_RUN_MAX_S, plus a
 * second for each LOAD_RUN_PER_S streams.
 */
#include <sys/types.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/epoll.h>
#define LOAD_EPOLL	1	/* poll() over 10,000 streams would cost more than reading them */
#endif
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

#define LOAD_STREAMS_DEFAULT	900
#define LOAD_SESSIONS_MAX	19999	/* names are b00001..b19999 */
/*
 * chatd refuses logins past its connection limit (1008 with select()), so
 * 900 streams leave room for about 100 more sessions, which only talk.
 */
#define LOAD_EXTRA_DEFAULT	100	/* phase 2 talkers without a stream */
#define LOAD_RATE_DEFAULT	20	/* phase 1, messages a second */
#define LOAD_TALKERS_DEFAULT	40	/* phase 1 sessions; each posts every 2 s */
#define LOAD_PHASE_S_DEFAULT	10	/* each phase */
#define LOAD_INFLIGHT_DEFAULT	32	/* phase 2 posts in flight */
#define LOAD_INFLIGHT_MAX	64
#define LOAD_SETUP_MAX		32	/* logins or stream opens in flight */
#define LOAD_ADDRS		254	/* 127.0.0.2 .. 127.0.0.255 */
#define LOAD_MSGS_MAX		200000	/* messages one run may post */
#define LOAD_CARRY_MAX		1024	/* kept of a line split across reads */
#define LOAD_REPLY_MAX		1024	/* kept of a short response */
#define LOAD_READ_MAX		65536
#define LOAD_BURST		5	/* chatd's rate limit: a bucket of 5 tokens, */
#define LOAD_REFILL_US		1050000LL	/* one more a second (with a margin) */
#define LOAD_SETUP_S		40	/* logins and stream opens must be done by then, */
#define LOAD_SETUP_PER_S	500	/* plus a second for each this many streams */
#define LOAD_DRAIN_S		5	/* wait for stragglers after each phase */
#define LOAD_HOLD_S		10	/* -M: streams held after the memory reading */
#define LOAD_RUN_MAX_S		110	/* the whole run, whatever happens, */
#define LOAD_RUN_PER_S		100	/* plus a second for each this many streams */
#define LOAD_EVENTS_MAX		1024	/* epoll events taken per wait */
#define LOAD_PUBLISH_MAX	5000	/* -B: events published a second */
#define LOAD_TOKEN_MAX		256	/* chatd's longest token */
/* RFC 6455 1.3: this key's Sec-WebSocket-Accept is the value after it. */
#define LOAD_WS_KEY		"dGhlIHNhbXBsZSBub25jZQ=="
#define LOAD_WS_ACCEPT		"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define LOAD_WS_HEAD_MAX	10	/* a server frame's head: never masked */
#define LOAD_WS_CONTROL_MAX	125	/* a control frame's payload */

enum stream_kind { KIND_HTML, KIND_SSE, KIND_WS };

enum stream_state {
	ST_IDLE,		/* not logged in yet */
	ST_LOGGED,		/* has a sid, no stream */
	ST_OPENING,		/* connecting or sending GET /chat */
	ST_OPEN,		/* reading */
	ST_DEAD			/* login failed, or the stream ended */
};

struct stream {
	enum stream_state state;
	int		 fd;
	char		 sid[33];
	char		 req[256];
	size_t		 reqlen, reqoff;
	char		 carry[LOAD_CARRY_MAX];
	size_t		 ncarry;
	int		 in_body;	/* past the response head */
	int		 waiting;	/* opened, no response head yet */
	unsigned long long last_eid;	/* last room event number read */
	unsigned long long last_tag;	/* nchan: the tag of the last id */
	int		 status_ok;	/* the status line was the one expected */
	int		 accept_ok;	/* WebSocket: the head had our accept value */
	/* WebSocket frames: a head being read, then its payload. */
	unsigned char	 ws_head[LOAD_WS_HEAD_MAX];
	size_t		 ws_hlen;	/* head bytes read */
	unsigned long long ws_left;	/* payload bytes still to come */
	int		 ws_in_payload;
	int		 ws_op;		/* this frame's opcode */
	int		 ws_fin;
	int		 ws_msg_op;	/* the opcode of the message in progress */
	unsigned char	 ws_ctl[LOAD_WS_CONTROL_MAX];	/* a ping's payload */
	size_t		 ws_nctl;
	double		 tokens;	/* our copy of chatd's rate-limit bucket */
	long long	 token_us;	/* when it was last brought up to date */
};

enum req_kind { REQ_LOGIN, REQ_POST, REQ_PUBLISH };

/* A short request: connect, send, read the answer to EOF, close. */
struct req {
	int		 fd;		/* -1: the slot is free */
	enum req_kind	 kind;
	int		 who;		/* stream index */
	long long	 seq;		/* message posted, or 0 */
	int		 sent_all;
	char		 out[768];
	size_t		 outlen, outoff;
	char		 in[LOAD_REPLY_MAX + 1];
	size_t		 inlen;
};

struct msg {
	int		 phase;
	int		 got;		/* streams that read it */
	long long	 sent;		/* us, as written in the text */
	long long	 written;	/* us after its start: request sent */
	long long	 answered;	/* us after its start: answer began */
	long long	 minlat;	/* us, the first stream */
	long long	 maxlat;	/* us, the slowest stream so far */
	long long	 id;		/* -B: the event number the answer gave */
};

static struct stream	*streams;
static int		 nstreams = LOAD_STREAMS_DEFAULT;
static int		 nsessions;	/* the streams' and the extra talkers' */
static int		 nopen;		/* streams in ST_OPEN */
static int		 nopening;	/* streams opened without an answer yet */
static struct req	 reqs[LOAD_INFLIGHT_MAX];
static int		 nreqs;		/* slots in use */
static struct msg	*msgs;
static long long	 nmsgs;		/* seq of the last message posted */
static struct sockaddr_in server;
static int		 bind_ok = 1;	/* 0 if 127.0.0.x cannot be bound here */
static int		 next_addr;
static pid_t		 chatd_pid;
static int		 nchan;		/* -N: the server is nginx+nchan */
static enum stream_kind	 kind = KIND_HTML;	/* -t: chatd's stream */
static const char *const kind_names[] = { "html", "sse", "ws" };
static long long	 st_ws_pings;	/* pings answered */
static long long	 st_ws_pong_failed;	/* pongs not written whole */
static long long	 st_ws_bad;	/* server frames against RFC 6455 */
static long long	 st_bad_heads;	/* streams refused or not upgraded */
static long long	 run_deadline;
static int		 publish_rate;	/* -B: publish this many a second instead */
static char		 token[LOAD_TOKEN_MAX + 1];	/* -k: the bearer token */
static long long	 st_pub_ok, st_pub_bad;	/* publish answers: {"id":N} or not */
static long long	 setup_us;	/* time allowed for logins, for opens */
#ifdef LOAD_EPOLL
static int		 epfd = -1;
#endif
static char		 rbuf[LOAD_READ_MAX];
static struct pollfd	*pfds;
static void		**pobj;		/* stream or req behind each pollfd */

/* What the summary line reports; -1 where it was not measured. */
static struct {
	double	p50, p99;		/* phase 1, until the last stream, ms */
	double	rate, cpu_rate;		/* phase 2 deliveries /s, /CPU s */
	double	cpu1, cpu2;		/* server CPU share in phase 1, 2 */
	double	kib;			/* RSS per idle stream */
	double	wait1, wait2;		/* share of each phase waiting for a CPU */
	double	pub;			/* -B: publishes answered {"id":N} a second */
} res = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };

static int	http_status(const char *);
static void	stream_lost(struct stream *);
static const char *json_value(const char *, size_t, const char *);

/* Counters. */
static long long	 st_logins_failed, st_streams_lost, st_gaps, st_order;
static long long	 st_http[6];	/* posts answered 1xx..5xx; [0] failures */
static long long	 win_start, win_end, win_deliveries;
static long long	 deliveries[3];	/* message fragments read, by phase */
static long long	 last_delivery[3];

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("load: ", stderr);
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

/*
 * -p port,port,...: instances sharing their rooms (chatd -R).  Session i
 * logs in, streams and posts on home_port(i): the phase 1 talkers on the
 * first instance, the other sessions spread over all, so that most of a
 * message's deliveries cross from one instance to another.
 */
#define LOAD_PORTS_MAX		8
static unsigned short	 ports[LOAD_PORTS_MAX];
static int		 nports, home_talkers;

static unsigned short
home_port(int who)
{
	return htons(who < home_talkers ? ports[0] : ports[who % nports]);
}

static void
check_deadline(void)
{
	if (now_us() > run_deadline)
		die("the run took longer than its limit: stopped");
}

/* Opens a non-blocking connection to chatd from the next 127.0.0.x. */
static int
dial(void)
{
	struct sockaddr_in src;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		goto fail;
	if (bind_ok) {
		memset(&src, 0, sizeof src);
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000002u +
		    (unsigned)(next_addr++ % LOAD_ADDRS));
		if (bind(fd, (struct sockaddr *)&src, sizeof src) == -1) {
			if (errno != EADDRNOTAVAIL)
				goto fail;
			/* Only 127.0.0.1 here (not Linux): chatd needs a large -i. */
			fprintf(stderr, "load: cannot bind 127.0.0.x; using one "
			    "source address\n");
			bind_ok = 0;
		}
	}
	if (connect(fd, (struct sockaddr *)&server, sizeof server) == -1 &&
	    errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Watches fd for events (POLLIN or POLLOUT) on behalf of obj, a stream or
 * a request.  With epoll the kernel keeps the set; poll() rebuilds it from
 * the streams and requests at each step, so there is nothing to do.
 */
static void
watch(int fd, void *obj, short events, int first)
{
#ifdef LOAD_EPOLL
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = (events & POLLIN ? EPOLLIN : 0) |
	    (events & POLLOUT ? EPOLLOUT : 0);
	ev.data.ptr = obj;
	if (epoll_ctl(epfd, first ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) ==
	    -1)
		die("epoll_ctl: %s", strerror(errno));
#else
	(void)fd; (void)obj; (void)events; (void)first;
#endif
}

/* chatd's resident set in KiB from /proc, or -1. */
static long
chatd_rss(void)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	if (chatd_pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/status", (long)chatd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

/* chatd's user+system CPU time in microseconds from /proc, or -1. */
static long long
chatd_cpu(void)
{
	char path[64], data[1024], *p;
	unsigned long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	if (chatd_pid <= 0 || hz <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)chatd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(data, 1, sizeof data - 1, f);
	fclose(f);
	data[n] = '\0';
	/* Fields 14 and 15, counted after the command name in parentheses. */
	if ((p = strrchr(data, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st) * 1000000 / hz;
}

/*
 * How long chatd has waited, runnable, for a CPU (us), from
 * /proc/PID/schedstat, or -1: on a shared machine this is how much of its
 * pinned core others took.
 */
static long long
chatd_waited(void)
{
	char path[64];
	unsigned long long run, wait;
	FILE *f;
	int n;

	if (chatd_pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/schedstat", (long)chatd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	return n == 2 ? (long long)(wait / 1000) : -1;
}

static long long
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* Where needle starts in the n bytes at h, or NULL. */
static const char *
find(const char *h, size_t n, const char *needle)
{
	size_t len = strlen(needle);
	const char *p;

	while (n >= len && (p = memchr(h, needle[0], n - len + 1)) != NULL) {
		if (memcmp(p, needle, len) == 0)
			return p;
		n -= (size_t)(p + 1 - h);
		h = p + 1;
	}
	return NULL;
}

/* Parses decimal digits at *pp, advancing it; -1 if there are none. */
static long long
number(const char **pp, const char *end)
{
	const char *p = *pp;
	long long v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9' && v < LLONG_MAX / 10)
		v = v * 10 + (*p++ - '0');
	*pp = p;
	return v;
}

/*
 * nchan's EventSource id is "TIME:TAG": the publishing second, and a tag
 * that counts from 0 within that second.  So the next message is TIME:TAG+1
 * or LATER:0; anything else is a message missed or seen twice.
 */
static void
check_nchan_id(struct stream *s, const char *line, size_t n)
{
	const char *p = line + 4, *end = line + n;
	long long t, tag;

	if (n < 4 || memcmp(line, "id: ", 4) != 0 ||
	    (t = number(&p, end)) < 0 || p >= end || *p++ != ':' ||
	    (tag = number(&p, end)) < 0)
		return;
	if (s->last_eid != 0) {
		if ((unsigned long long)t < s->last_eid ||
		    ((unsigned long long)t == s->last_eid &&
		    (unsigned long long)tag <= s->last_tag))
			st_order++;
		else if ((unsigned long long)t == s->last_eid ?
		    (unsigned long long)tag != s->last_tag + 1 : tag != 0)
			st_gaps++;
	}
	s->last_eid = (unsigned long long)t;
	s->last_tag = (unsigned long long)tag;
}

/* Checks a room event number: each stream must see every event once, in order. */
static void
note_eid(struct stream *s, long long eid)
{
	if (eid < 0)
		return;
	if (s->last_eid != 0 && (unsigned long long)eid != s->last_eid + 1) {
		if ((unsigned long long)eid <= s->last_eid)
			st_order++;
		else if (nports == 1)	/* Redis' entry IDs leave holes */
			st_gaps++;
	}
	s->last_eid = (unsigned long long)eid;
}

/* A message "bm<seq>t<usec>" at p (after "bm") read by a stream at time t. */
static void
delivered(const char *p, const char *end, long long t)
{
	long long seq, ts;
	struct msg *m;

	if ((seq = number(&p, end)) < 1 || seq > nmsgs || p >= end ||
	    *p++ != 't' || (ts = number(&p, end)) < 0)
		return;
	m = &msgs[seq];
	if (m->got++ == 0 || t - ts < m->minlat)
		m->minlat = t - ts;
	if (t - ts > m->maxlat)
		m->maxlat = t - ts;
	deliveries[m->phase]++;
	last_delivery[m->phase] = t;
	if (m->phase == 2 && t >= win_start && t < win_end)
		win_deliveries++;
}

/*
 * A line of the response head.  The status must be 200 (101 for a
 * WebSocket, whose head must also carry the accept value of our key); at
 * the blank line the body starts, or a stream with a wrong head is lost.
 */
static void
head_line(struct stream *s, const char *line, size_t n)
{
	int st;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n > 5 && memcmp(line, "HTTP/", 5) == 0) {
		st = http_status(line);
		s->status_ok = st == (kind == KIND_WS && !nchan ? 101 : 200);
		return;
	}
	if (find(line, n, LOAD_WS_ACCEPT) != NULL)
		s->accept_ok = 1;
	if (n > 0)
		return;
	s->in_body = 1;
	s->waiting = 0;
	nopening--;
	if (!s->status_ok || (kind == KIND_WS && !nchan && !s->accept_ok)) {
		if (st_bad_heads++ == 0)
			fprintf(stderr, "load: the %s stream of b%05d was refused "
			    "(status%s)\n", kind_names[kind],
			    (int)(s - streams) + 1, s->status_ok ? " ok, no "
			    "Sec-WebSocket-Accept " LOAD_WS_ACCEPT : " not the "
			    "one expected");
		stream_lost(s);
	}
}

/* One complete line of a chat stream, read at time t. */
static void
stream_line(struct stream *s, const char *line, size_t n, long long t)
{
	const char *p, *end = line + n;

	if (!s->in_body) {
		head_line(s, line, n);
		return;
	}
	if (nchan) {
		/* nchan: "id: TIME:TAG", then "data: bm..." */
		check_nchan_id(s, line, n);
		if (n >= 8 && memcmp(line, "data: bm", 8) == 0)
			delivered(line + 8, end, t);
		return;
	}
	if (kind == KIND_SSE) {
		/* "id: N", "event: msg", "data: {...,"text":"bm..."...}" */
		if (n > 4 && memcmp(line, "id: ", 4) == 0) {
			p = line + 4;
			note_eid(s, number(&p, end));
		} else if (n > 6 && memcmp(line, "data: ", 6) == 0) {
			/* The id line has the number; the object repeats it. */
			if ((p = json_value(line, n, "\"text\":")) != NULL &&
			    end - p > 3 && memcmp(p, "\"bm", 3) == 0)
				delivered(p + 3, end, t);
		}
		return;
	}
	/* chatd's chat frame: <div ... id="eN">...<bdi class="tx">bm... */
	if ((p = find(line, n, " id=\"e")) != NULL) {
		p += 6;
		note_eid(s, number(&p, end));
	}
	if ((p = find(line, n, "tx\">bm")) != NULL)
		delivered(p + 6, end, t);
}

/*
 * The value of "key": in an event object's first n bytes, past any
 * blanks JSON allows after the colon, or NULL.
 */
static const char *
json_value(const char *p, size_t n, const char *key)
{
	const char *end = p + n, *v;

	if ((v = find(p, n, key)) == NULL)
		return NULL;
	for (v += strlen(key); v < end && (*v == ' ' || *v == '\t'); v++)
		;
	return v;
}

/* An event object: its number ("id":N), and its text if it is ours. */
static void
json_event(struct stream *s, const char *p, size_t n, long long t)
{
	const char *end = p + n, *v;

	if ((v = json_value(p, n, "\"id\":")) != NULL)
		note_eid(s, number(&v, end));
	if ((v = json_value(p, n, "\"text\":")) != NULL && end - v > 3 &&
	    memcmp(v, "\"bm", 3) == 0)
		delivered(v + 3, end, t);
}

/* Answers a ping with a pong of the same payload, masked as a client must. */
static void
ws_pong(struct stream *s, const unsigned char *data, size_t n)
{
	static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	unsigned char f[2 + 4 + LOAD_WS_CONTROL_MAX];
	size_t i;

	if (n > LOAD_WS_CONTROL_MAX)
		n = LOAD_WS_CONTROL_MAX;
	f[0] = 0x8a;			/* FIN, pong */
	f[1] = (unsigned char)(0x80 | n);	/* masked */
	memcpy(f + 2, key, 4);
	for (i = 0; i < n; i++)
		f[6 + i] = data[i] ^ key[i % 4];
	/* 131 bytes at most to a socket we only read from: it fits. */
	if (write(s->fd, f, 6 + n) != (ssize_t)(6 + n))
		st_ws_pong_failed++;
	st_ws_pings++;
}

/* A whole WebSocket frame has been read: act on it; -1 if the stream ended. */
static int
ws_frame_end(struct stream *s, long long t)
{
	switch (s->ws_op) {
	case 0x9:			/* ping */
		ws_pong(s, s->ws_ctl, s->ws_nctl);
		return 0;
	case 0xa:			/* pong */
		return 0;
	case 0x8:			/* close: the stream ended */
		stream_lost(s);
		return -1;
	default:
		break;
	}
	if (s->ws_fin) {
		if (s->ws_msg_op == 0x1)
			json_event(s, s->carry, s->ncarry, t);
		s->ncarry = 0;
	}
	return 0;
}

/*
 * Reads WebSocket frames from a stream's bytes: a head of 2 to 10 bytes
 * (a server never masks), then the payload.  Of a text message the first
 * LOAD_CARRY_MAX bytes are kept, which hold its id and the start of its
 * text; of a control frame, all of it.
 */
/* How long the frame head being read is: 2 bytes, and 2 or 8 of length. */
static size_t
ws_head_need(const struct stream *s)
{
	if (s->ws_hlen < 2)
		return 2;
	switch (s->ws_head[1] & 0x7f) {
	case 126: return 4;
	case 127: return 10;
	default: return 2;
	}
}

static void
ws_data(struct stream *s, const unsigned char *p, size_t n, long long t)
{
	unsigned long long len;
	size_t need, take, room, i;

	for (;;) {
		if (!s->ws_in_payload) {
			while (s->ws_hlen < (need = ws_head_need(s)) && n > 0) {
				s->ws_head[s->ws_hlen++] = *p++;
				n--;
			}
			if (s->ws_hlen < need)
				return;
			if (s->ws_head[1] & 0x80) {
				/* A masked server frame breaks RFC 6455 5.1. */
				st_ws_bad++;
				stream_lost(s);
				return;
			}
			len = s->ws_head[1] & 0x7f;
			if (len >= 126) {
				len = 0;
				for (i = 2; i < need; i++)
					len = len << 8 | s->ws_head[i];
			}
			s->ws_op = s->ws_head[0] & 0x0f;
			s->ws_fin = (s->ws_head[0] & 0x80) != 0;
			s->ws_hlen = 0;
			s->ws_left = len;
			s->ws_in_payload = 1;
			if (s->ws_op >= 0x8) {
				if (len > LOAD_WS_CONTROL_MAX || !s->ws_fin) {
					st_ws_bad++;
					stream_lost(s);
					return;
				}
				s->ws_nctl = 0;
			} else if (s->ws_op != 0x0) {
				s->ws_msg_op = s->ws_op;
				s->ncarry = 0;
			}
		}
		take = s->ws_left < n ? (size_t)s->ws_left : n;
		if (s->ws_op >= 0x8) {
			memcpy(s->ws_ctl + s->ws_nctl, p, take);
			s->ws_nctl += take;
		} else {
			room = sizeof s->carry - s->ncarry;
			memcpy(s->carry + s->ncarry, p, take < room ? take : room);
			s->ncarry += take < room ? take : room;
		}
		p += take;
		n -= take;
		s->ws_left -= take;
		if (s->ws_left > 0)
			return;		/* n is 0: the rest comes later */
		s->ws_in_payload = 0;
		if (ws_frame_end(s, t) == -1)
			return;
	}
}

/*
 * Splits what a stream read into lines, carrying an incomplete one over;
 * a WebSocket's bytes after its head go to ws_data().
 */
static void
stream_data(struct stream *s, const char *p, size_t n, long long t)
{
	const char *nl, *end = p + n;
	size_t len, room;

	if (s->in_body && kind == KIND_WS && !nchan) {
		ws_data(s, (const unsigned char *)p, n, t);
		return;
	}
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		len = (size_t)(nl - p);
		if (s->ncarry > 0) {
			room = sizeof s->carry - s->ncarry;
			memcpy(s->carry + s->ncarry, p, len < room ? len : room);
			s->ncarry += len < room ? len : room;
			stream_line(s, s->carry, s->ncarry, t);
			s->ncarry = 0;
		} else
			stream_line(s, p, len, t);
		p = nl + 1;
		if (s->state == ST_DEAD)
			return;
		if (s->in_body && kind == KIND_WS && !nchan) {
			ws_data(s, (const unsigned char *)p, (size_t)(end - p), t);
			return;
		}
	}
	/* The start of a line is what matters; an overlong tail is dropped. */
	len = (size_t)(end - p);
	room = sizeof s->carry - s->ncarry;
	memcpy(s->carry + s->ncarry, p, len < room ? len : room);
	s->ncarry += len < room ? len : room;
}

static void
stream_lost(struct stream *s)
{
	if (s->state == ST_OPEN)
		nopen--;
	if (s->waiting)
		nopening--;
	s->waiting = 0;
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->state = ST_DEAD;
	st_streams_lost++;
}

static void
stream_open(struct stream *s)
{
	server.sin_port = home_port((int)(s - streams));
	if ((s->fd = dial()) == -1) {
		stream_lost(s);
		return;
	}
	if (nchan)
		s->reqlen = (size_t)snprintf(s->req, sizeof s->req,
		    "GET /sub HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n");
	else if (kind == KIND_SSE)
		s->reqlen = (size_t)snprintf(s->req, sizeof s->req,
		    "GET /api/events?sid=%s HTTP/1.0\r\n"
		    "Accept: text/event-stream\r\n\r\n", s->sid);
	else if (kind == KIND_WS)
		s->reqlen = (size_t)snprintf(s->req, sizeof s->req,
		    "GET /api/ws?sid=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Key: " LOAD_WS_KEY "\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n", s->sid);
	else
		s->reqlen = (size_t)snprintf(s->req, sizeof s->req,
		    "GET /chat?sid=%s HTTP/1.0\r\n\r\n", s->sid);
	s->reqoff = 0;
	s->state = ST_OPENING;
	s->waiting = 1;
	nopening++;
	watch(s->fd, s, POLLOUT, 1);
}

static void
stream_event(struct stream *s, short re)
{
	ssize_t n;

	if (s->state == ST_OPENING) {
		if (re & (POLLERR | POLLHUP)) {
			stream_lost(s);
			return;
		}
		if (!(re & POLLOUT))
			return;
		n = write(s->fd, s->req + s->reqoff, s->reqlen - s->reqoff);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				stream_lost(s);
			return;
		}
		if ((s->reqoff += (size_t)n) == s->reqlen) {
			s->state = ST_OPEN;
			nopen++;
			watch(s->fd, s, POLLIN, 0);
		}
		return;
	}
	if (!(re & (POLLIN | POLLERR | POLLHUP)))
		return;
	n = read(s->fd, rbuf, sizeof rbuf);
	if (n > 0)
		stream_data(s, rbuf, (size_t)n, now_us());
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		stream_lost(s);
}

/* A free request slot, or NULL. */
static struct req *
req_slot(void)
{
	int i;

	for (i = 0; i < LOAD_INFLIGHT_MAX; i++)
		if (reqs[i].fd == -1 && reqs[i].outlen == 0)
			return &reqs[i];
	return NULL;
}

static int
req_start(enum req_kind kind, int who, long long seq, const char *body)
{
	struct req *r;
	size_t blen = strlen(body);

	if ((r = req_slot()) == NULL)
		return -1;
	r->kind = kind;
	r->who = who;
	r->seq = seq;
	r->outlen = (size_t)snprintf(r->out, sizeof r->out, "POST /%s HTTP/1.0"
	    "\r\nContent-Type: %s\r\nContent-Length: %zu%s%s\r\n\r\n%s",
	    nchan ? "pub" : kind == REQ_LOGIN ? "login" :
	    kind == REQ_PUBLISH ? "api/publish" : "dotalk",
	    nchan ? "text/plain" : "application/x-www-form-urlencoded", blen,
	    kind == REQ_PUBLISH ? "\r\nAuthorization: Bearer " : "",
	    kind == REQ_PUBLISH ? token : "", body);
	r->outoff = r->inlen = 0;
	r->sent_all = 0;
	server.sin_port = home_port(who);
	if ((r->fd = dial()) == -1) {
		r->outlen = 0;
		return -1;
	}
	watch(r->fd, r, POLLOUT, 1);
	nreqs++;
	return 0;
}

/* The status of the HTTP answer in buf, or 0. */
static int
http_status(const char *buf)
{
	int st;

	if (sscanf(buf, "HTTP/1.%*d %d", &st) != 1)
		return 0;
	return st;
}

static void
req_done(struct req *r)
{
	struct stream *s = &streams[r->who];
	const char *p;
	int st;

	r->in[r->inlen] = '\0';
	st = http_status(r->in);
	if (r->kind == REQ_LOGIN) {
		if ((st == 200 || st == 303) &&
		    (p = strstr(r->in, "sid=")) != NULL &&
		    strspn(p + 4, "0123456789abcdef") >= 32) {
			memcpy(s->sid, p + 4, 32);
			s->sid[32] = '\0';
			s->state = ST_LOGGED;
			s->tokens = LOAD_BURST;
			s->token_us = now_us();
		} else {
			s->state = ST_DEAD;
			if (st_logins_failed++ == 0)
				fprintf(stderr, "load: login of b%05d: status "
				    "%d\n", r->who + 1, st);
		}
	} else if (r->kind == REQ_PUBLISH) {
		/* 200 and {"id":N}: the event's number in the room. */
		st_http[st >= 100 && st < 600 ? st / 100 : 0]++;
		if (st == 200 && (p = strstr(r->in, "\r\n\r\n")) != NULL &&
		    strncmp(p + 4, "{\"id\":", 6) == 0 &&
		    (p += 10, msgs[r->seq].id = number(&p, r->in + r->inlen)) > 0 &&
		    *p == '}')
			st_pub_ok++;
		else if (st_pub_bad++ == 0)
			fprintf(stderr, "load: publish %lld: status %d\n", r->seq,
			    st);
	} else
		st_http[st >= 100 && st < 600 ? st / 100 : 0]++;
	close(r->fd);
	r->fd = -1;
	r->outlen = 0;
	nreqs--;
}

static void
req_event(struct req *r, short re)
{
	char scratch[LOAD_READ_MAX];
	ssize_t n;

	if (!r->sent_all) {
		if ((re & (POLLERR | POLLHUP)) && !(re & POLLIN)) {
			req_done(r);
			return;
		}
		if (!(re & POLLOUT))
			return;
		n = write(r->fd, r->out + r->outoff, r->outlen - r->outoff);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				req_done(r);
			return;
		}
		r->sent_all = (r->outoff += (size_t)n) == r->outlen;
		if (r->sent_all)
			watch(r->fd, r, POLLIN, 0);
		if (r->sent_all && r->seq > 0)
			msgs[r->seq].written = now_us() - msgs[r->seq].sent;
		return;
	}
	if (!(re & (POLLIN | POLLERR | POLLHUP)))
		return;
	/* Keep the head and the start of the body; skip the rest. */
	if (r->inlen < LOAD_REPLY_MAX)
		n = read(r->fd, r->in + r->inlen, LOAD_REPLY_MAX - r->inlen);
	else
		n = read(r->fd, scratch, sizeof scratch);
	if (n > 0 && r->inlen == 0 && r->seq > 0)
		msgs[r->seq].answered = now_us() - msgs[r->seq].sent;
	if (n > 0 && r->inlen < LOAD_REPLY_MAX)
		r->inlen += (size_t)n;
	else if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		req_done(r);
}

/* Hands one ready stream or request its events. */
static void
dispatch(void *obj, short re)
{
	if ((char *)obj >= (char *)streams &&
	    (char *)obj < (char *)(streams + nsessions))
		stream_event(obj, re);
	else
		req_event(obj, re);
}

#ifdef LOAD_EPOLL
/* One epoll_wait() over every stream and request, at most timeout_ms. */
static void
step(int timeout_ms)
{
	static struct epoll_event evs[LOAD_EVENTS_MAX];
	short re;
	int i, ready;

	check_deadline();
	if ((ready = epoll_wait(epfd, evs, LOAD_EVENTS_MAX, timeout_ms)) <= 0) {
		if (ready == -1 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		return;
	}
	for (i = 0; i < ready; i++) {
		re = (short)((evs[i].events & EPOLLIN ? POLLIN : 0) |
		    (evs[i].events & EPOLLOUT ? POLLOUT : 0) |
		    (evs[i].events & EPOLLERR ? POLLERR : 0) |
		    (evs[i].events & EPOLLHUP ? POLLHUP : 0));
		dispatch(evs[i].data.ptr, re);
	}
}
#else
/* One poll() over every stream and request, at most timeout_ms. */
static void
step(int timeout_ms)
{
	struct stream *s;
	struct req *r;
	int i, n = 0, ready;

	check_deadline();
	for (i = 0; i < nstreams; i++) {
		s = &streams[i];
		if (s->state != ST_OPENING && s->state != ST_OPEN)
			continue;
		pfds[n].fd = s->fd;
		pfds[n].events = s->state == ST_OPENING ? POLLOUT : POLLIN;
		pobj[n++] = s;
	}
	for (i = 0; i < LOAD_INFLIGHT_MAX; i++) {
		r = &reqs[i];
		if (r->fd == -1)
			continue;
		pfds[n].fd = r->fd;
		pfds[n].events = r->sent_all ? POLLIN : POLLOUT;
		pobj[n++] = r;
	}
	if ((ready = poll(pfds, (nfds_t)n, timeout_ms)) <= 0) {
		if (ready == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n && ready > 0; i++) {
		if (pfds[i].revents == 0)
			continue;
		ready--;
		dispatch(pobj[i], pfds[i].revents);
	}
}
#endif

/* Logs in guests first..last-1, LOAD_SETUP_MAX at a time. */
static void
login_all(int first, int last)
{
	long long until = now_us() + setup_us;
	char body[64];
	int next = first;

	if (nchan) {
		/* nchan has no sessions: every subscriber may open at once. */
		for (; next < last; next++)
			streams[next].state = ST_LOGGED;
		return;
	}
	while (next < last || nreqs > 0) {
		while (next < last && nreqs < LOAD_SETUP_MAX) {
			snprintf(body, sizeof body, "name=b%05d", next + 1);
			if (req_start(REQ_LOGIN, next, 0, body) == -1)
				die("cannot connect to chatd: %s", strerror(errno));
			next++;
		}
		step(100);
		if (now_us() > until)
			die("logins did not finish in %lld s", setup_us / 1000000);
	}
}

/*
 * Opens every logged-in session's stream, LOAD_SETUP_MAX at a time.  A
 * stream counts until chatd has answered, not until the request is sent,
 * so chatd never holds more half-read requests than that: their buffers
 * would otherwise swell its heap and the memory reading with it.
 */
static void
open_all(void)
{
	long long until = now_us() + setup_us;
	int next = 0;

	while (next < nstreams || nopening > 0) {
		while (next < nstreams && nopening < LOAD_SETUP_MAX) {
			if (streams[next].state == ST_LOGGED)
				stream_open(&streams[next]);
			next++;
		}
		step(100);
		if (now_us() > until)
			die("streams did not open in %lld s", setup_us / 1000000);
	}
}

/* Starts a post by session i; its text carries seq and start time. */
static int
post(int i, int phase)
{
	char body[128];
	long long t = now_us();

	if (nmsgs + 1 >= LOAD_MSGS_MAX)
		return -1;
	if (nchan)
		snprintf(body, sizeof body, "bm%lldt%lld", nmsgs + 1, t);
	else
		snprintf(body, sizeof body, "sid=%s&message=bm%lldt%lld",
		    streams[i].sid, nmsgs + 1, t);
	if (req_start(REQ_POST, i, nmsgs + 1, body) == -1)
		return -1;
	nmsgs++;
	msgs[nmsgs].phase = phase;
	msgs[nmsgs].sent = t;
	streams[i].tokens -= 1;
	return 0;
}

/*
 * Whether a session has a token left, by the same bucket chatd keeps, with
 * a slower refill so that chatd, which counts when it reads the request,
 * never refuses one.
 */
static int
may_post(struct stream *s, long long t)
{
	if (nchan)
		return 1;	/* nchan's publisher has no rate limit */
	s->tokens += (double)(t - s->token_us) / LOAD_REFILL_US;
	if (s->tokens > LOAD_BURST)
		s->tokens = LOAD_BURST;
	s->token_us = t;
	return s->tokens >= 1;
}

/* The next open session, from *cursor on, that may post now; -1 if none. */
static int
next_talker(int *cursor, int limit, long long t)
{
	int k, i;

	for (k = 0; k < limit; k++) {
		i = (*cursor + k) % limit;
		if ((streams[i].state == ST_OPEN ||
		    streams[i].state == ST_LOGGED) && may_post(&streams[i], t)) {
			*cursor = i + 1;
			return i;
		}
	}
	return -1;
}

/* Runs the loop until every message from first on reached every open stream. */
static int
wait_delivered(long long first, long long until)
{
	long long i;

	for (;;) {
		for (i = first; i <= nmsgs; i++)
			if (msgs[i].got < nopen)
				break;
		if (i > nmsgs && nreqs == 0)
			return 0;
		if (now_us() > until)
			return -1;
		step(10);
	}
}

/* Where print_percentiles() leaves the next p50 and p99, if anywhere. */
static double	*res_p50, *res_p99;

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Prints p50, p99 and max of n latencies (us), sorting them. */
static void
print_percentiles(const char *what, long long *v, long long n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_ll);
	if (res_p50 != NULL) {
		*res_p50 = v[(n - 1) / 2] / 1000.0;
		*res_p99 = v[(n * 99 + 99) / 100 - 1] / 1000.0;
		res_p50 = res_p99 = NULL;
	}
	printf("  %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", what,
	    v[(n - 1) / 2] / 1000.0, v[(n * 99 + 99) / 100 - 1] / 1000.0,
	    v[n - 1] / 1000.0);
}

/*
 * Reports the fan-out latency of messages first..last: until the last
 * stream read each (what the targets mean), and until the first did,
 * which tells time spent before the fan-out from time spent in it.
 */
static void
report_latency(const char *what, long long first, long long last)
{
	long long *all, *one, *wr, *ans, i, n = 0;

	if (last < first) {
		printf("  %s: no messages\n", what);
		return;
	}
	all = calloc((size_t)(last - first + 1), sizeof *all);
	one = calloc((size_t)(last - first + 1), sizeof *one);
	wr = calloc((size_t)(last - first + 1), sizeof *wr);
	ans = calloc((size_t)(last - first + 1), sizeof *ans);
	if (all == NULL || one == NULL || wr == NULL || ans == NULL)
		die("out of memory");
	for (i = first; i <= last; i++)
		if (msgs[i].got >= nopen) {
			all[n] = msgs[i].maxlat;
			one[n] = msgs[i].minlat;
			wr[n] = msgs[i].written;
			ans[n++] = msgs[i].answered;
		}
	printf("  %s: %lld of %lld messages reached all %d streams\n", what, n,
	    last - first + 1, nopen);
	if (n > 0) {
		print_percentiles("until the last stream read it", all, n);
		print_percentiles("until the first stream read it", one, n);
		print_percentiles("until its request was sent", wr, n);
		print_percentiles("until the poster's answer began", ans, n);
	}
	free(all);
	free(one);
	free(wr);
	free(ans);
}

static void
phase1(int rate, int talkers, int secs)
{
	long long first = nmsgs + 1, t0, t, due, c0, cpu, s0, s1, w0, w1;
	long total = (long)rate * secs, k = 0, late = 0;
	int cursor = 0, i, wait_ms;

	printf("phase 1: %d messages/s from %d sessions for %d s\n", rate,
	    talkers, secs);
	c0 = chatd_cpu();
	s0 = self_cpu();
	w0 = chatd_waited();
	t0 = now_us() + 10000;
	res_p50 = &res.p50;
	res_p99 = &res.p99;
	while (k < total) {
		t = now_us();
		due = t0 + (long long)k * 1000000 / rate;
		if (t >= due) {
			if ((i = next_talker(&cursor, talkers, t)) == -1 ||
			    post(i, 1) == -1)
				late++;
			k++;
			continue;
		}
		wait_ms = (int)((due - t + 999) / 1000);
		step(wait_ms > 10 ? 10 : wait_ms);
	}
	cpu = chatd_cpu();
	s1 = self_cpu();
	w1 = chatd_waited();
	t = now_us();
	if (wait_delivered(first, now_us() + LOAD_DRAIN_S * 1000000LL) == -1)
		printf("  not all delivered %d s after the last post\n",
		    LOAD_DRAIN_S);
	report_latency("fan-out latency", first, nmsgs);
	if (late > 0)
		printf("  %ld posts could not start on time\n", late);
	res_p50 = res_p99 = NULL;
	if (c0 >= 0 && cpu >= 0) {
		res.cpu1 = 100.0 * (cpu - c0) / (t - t0);
		printf("  server CPU: %.0f%% of one core; load CPU: %.0f%%\n",
		    res.cpu1, 100.0 * (s1 - s0) / (t - t0));
	}
	if (w0 >= 0 && w1 >= 0) {
		res.wait1 = 100.0 * (w1 - w0) / (t - t0);
		printf("  the server waited for its core, ready to run, %.0f%% of "
		    "the time (other work on it)\n", res.wait1);
	}
}

static void
phase2(int inflight, int secs)
{
	long long first = nmsgs + 1, t, c0, c1, s0, s1, w0, w1, dur, posted;
	long long starved = 0;
	int cursor = 0, i, limit = nsessions, blocked;
	long long http0[6];

	memcpy(http0, st_http, sizeof http0);
	/* Talkers without a stream: more posts before the rate limit bites. */
	login_all(nstreams, nsessions);
	printf("phase 2: as fast as the server takes them, %d posts in flight "
	    "from %d sessions, for %d s\n", inflight, nsessions, secs);
	c0 = chatd_cpu();
	s0 = self_cpu();
	w0 = chatd_waited();
	win_start = now_us();
	win_end = win_start + (long long)secs * 1000000;
	win_deliveries = 0;
	while ((t = now_us()) < win_end) {
		blocked = 0;
		while (nreqs < inflight) {
			if ((i = next_talker(&cursor, limit, t)) == -1) {
				blocked = 1;
				break;
			}
			if (post(i, 2) == -1)
				break;
		}
		step(1);
		/* A free slot and no session with a token: the rate limit binds. */
		if (blocked)
			starved += now_us() - t;
	}
	c1 = chatd_cpu();
	s1 = self_cpu();
	w1 = chatd_waited();
	t = now_us();
	dur = t - win_start;
	posted = nmsgs - first + 1;
	if (wait_delivered(first, now_us() + LOAD_DRAIN_S * 1000000LL) == -1)
		printf("  not all delivered %d s after the last post\n",
		    LOAD_DRAIN_S);
	printf("  %lld messages posted (%.0f/s); answers: %lld 2xx, %lld 4xx, "
	    "%lld 5xx, %lld failed\n", posted, posted * 1e6 / dur,
	    st_http[2] - http0[2], st_http[4] - http0[4], st_http[5] - http0[5],
	    st_http[0] - http0[0]);
	res.rate = win_deliveries * 1e6 / dur;
	printf("  deliveries while posting: %lld in %.2f s = %.0f/s\n",
	    win_deliveries, dur / 1e6, res.rate);
	if (!nchan)
		printf("  the rate limit held posts back %.0f%% of the time\n",
		    100.0 * starved / dur);
	if (last_delivery[2] > win_start)
		printf("  all deliveries: %lld, last one %.2f s after the start "
		    "= %.0f/s\n", deliveries[2],
		    (last_delivery[2] - win_start) / 1e6,
		    deliveries[2] * 1e6 / (last_delivery[2] - win_start));
	report_latency("fan-out latency at saturation", first, nmsgs);
	/* On a shared machine chatd may not get its whole core: per CPU second. */
	if (c0 >= 0 && c1 > c0) {
		res.cpu2 = 100.0 * (c1 - c0) / dur;
		res.cpu_rate = win_deliveries * 1e6 / (c1 - c0);
		printf("  server CPU: %.0f%% of one core, %.0f deliveries per CPU "
		    "second; load CPU: %.0f%%\n", res.cpu2, res.cpu_rate,
		    100.0 * (s1 - s0) / dur);
	} else
		printf("  load CPU: %.0f%%\n", 100.0 * (s1 - s0) / dur);
	if (w0 >= 0 && w1 >= 0) {
		res.wait2 = 100.0 * (w1 - w0) / dur;
		printf("  the server waited for its core, ready to run, %.0f%% of "
		    "the time (other work on it)\n", res.wait2);
	}
}

/* Starts a publish through /api/publish; its text carries seq and start time. */
static int
publish(void)
{
	char body[128];
	long long t = now_us();

	if (nmsgs + 1 >= LOAD_MSGS_MAX)
		return -1;
	snprintf(body, sizeof body, "room=lobby&from=bench&text=bm%lldt%lld",
	    nmsgs + 1, t);
	if (req_start(REQ_PUBLISH, 0, nmsgs + 1, body) == -1)
		return -1;
	nmsgs++;
	msgs[nmsgs].phase = 1;
	msgs[nmsgs].sent = t;
	return 0;
}

/*
 * -B: a backend publishes rate events a second for secs seconds, each its
 * own connection, at most inflight at once; an event whose time comes
 * while all are busy goes out as soon as one is free (and counts as late).
 * The latency is measured as in phase 1; every answer must be {"id":N},
 * each N once.
 */
static void
phase_publish(int rate, int inflight, int secs)
{
	long long first = nmsgs + 1, t0, t, due, c0, cpu, s0, s1, w0, w1, d0;
	long long *ids, i, n, dups = 0, http0[6];
	long total = (long)rate * secs, k = 0, late = 0;
	int wait_ms;

	memcpy(http0, st_http, sizeof http0);
	printf("publish: %d events/s through /api/publish, at most %d in "
	    "flight, for %d s\n", rate, inflight, secs);
	c0 = chatd_cpu();
	s0 = self_cpu();
	w0 = chatd_waited();
	d0 = deliveries[1];
	t0 = now_us() + 10000;
	res_p50 = &res.p50;
	res_p99 = &res.p99;
	while (k < total) {
		t = now_us();
		due = t0 + (long long)k * 1000000 / rate;
		if (t >= due && nreqs < inflight) {
			if (t - due > 1000)
				late++;
			if (publish() == -1)
				die("publish %ld could not start", k + 1);
			k++;
			continue;
		}
		wait_ms = t >= due ? 1 : (int)((due - t + 999) / 1000);
		step(wait_ms > 10 ? 10 : wait_ms);
	}
	/* Until the last answer: the rate achieved. */
	while (nreqs > 0 && now_us() < run_deadline)
		step(10);
	cpu = chatd_cpu();
	s1 = self_cpu();
	w1 = chatd_waited();
	t = now_us();
	res.rate = (deliveries[1] - d0) * 1e6 / (t - t0);
	res.pub = st_pub_ok * 1e6 / (t - t0);
	if (wait_delivered(first, now_us() + LOAD_DRAIN_S * 1000000LL) == -1)
		printf("  not all delivered %d s after the last publish\n",
		    LOAD_DRAIN_S);
	printf("  %lld published in %.2f s: %.0f/s; answers: %lld 2xx, %lld "
	    "4xx, %lld 5xx, %lld failed; %lld {\"id\":N}, %lld not\n",
	    nmsgs - first + 1, (t - t0) / 1e6, res.pub, st_http[2] - http0[2],
	    st_http[4] - http0[4], st_http[5] - http0[5],
	    st_http[0] - http0[0], st_pub_ok, st_pub_bad);
	if (late > 0)
		printf("  %ld publishes started over 1 ms late (all %d in "
		    "flight, or the generator busy)\n", late, inflight);
	/* Each answer's number once: no event numbered twice. */
	if ((ids = calloc((size_t)(nmsgs - first + 1), sizeof *ids)) == NULL)
		die("out of memory");
	for (i = first, n = 0; i <= nmsgs; i++)
		if (msgs[i].id > 0)
			ids[n++] = msgs[i].id;
	qsort(ids, (size_t)n, sizeof *ids, cmp_ll);
	for (i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			dups++;
	free(ids);
	st_pub_bad += dups;
	printf("  %lld answers gave a number another one had\n", dups);
	report_latency("fan-out latency", first, nmsgs);
	res_p50 = res_p99 = NULL;
	if (c0 >= 0 && cpu >= 0) {
		res.cpu1 = 100.0 * (cpu - c0) / (t - t0);
		if (cpu > c0)
			res.cpu_rate = (deliveries[1] - d0) * 1e6 / (cpu - c0);
		printf("  server CPU: %.0f%% of one core, %.0f deliveries per CPU "
		    "second; load CPU: %.0f%%\n", res.cpu1, res.cpu_rate,
		    100.0 * (s1 - s0) / (t - t0));
	}
	if (w0 >= 0 && w1 >= 0) {
		res.wait1 = 100.0 * (w1 - w0) / (t - t0);
		printf("  the server waited for its core, ready to run, %.0f%% of "
		    "the time (other work on it)\n", res.wait1);
	}
}

/* Idles for ms, still reading the streams (keepalives, stragglers). */
static void
idle(long ms)
{
	long long until = now_us() + ms * 1000;

	while (now_us() < until)
		step(10);
}

static void
usage(void)
{
	fprintf(stderr, "usage: load [-MN] [-a 127.x.y.z] [-B publish_rate "
	    "-k tokenfile] [-c in_flight]\n"
	    "            [-d phase_s] [-n streams] [-P chatd_pid] [-r rate] "
	    "[-T talkers]\n"
	    "            [-t html|sse|ws] [-x extra] -p port[,port...]\n");
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
		fprintf(stderr, "load: -%c: %ld..%ld\n", flag, min, max);
		usage();
	}
	return v;
}

/* Enough descriptors for every stream and request, if the hard limit allows. */
static void
raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)nstreams + LOAD_INFLIGHT_MAX + 32;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
	    rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		die("only %ld descriptors: raise ulimit -n", (long)rl.rlim_cur);
}

int
main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int ch, port = 0, rate = LOAD_RATE_DEFAULT, talkers = LOAD_TALKERS_DEFAULT;
	int inflight = LOAD_INFLIGHT_DEFAULT, secs = LOAD_PHASE_S_DEFAULT, i;
	int extra = LOAD_EXTRA_DEFAULT;
	long rss0, rss1, rss2;
	int memory_only = 0;
	const char *tokfile = NULL;
	char *p;
	FILE *fp;

	while ((ch = getopt(argc, argv, "a:B:c:d:k:Mn:Np:P:r:t:T:x:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'B': publish_rate = (int)arg(optarg, 1, LOAD_PUBLISH_MAX, 'B'); break;
		case 'k': tokfile = optarg; break;
		case 'N': nchan = 1; break;
		case 'c': inflight = (int)arg(optarg, 1, LOAD_INFLIGHT_MAX, 'c'); break;
		case 'd': secs = (int)arg(optarg, 1, 30, 'd'); break;
		case 'M': memory_only = 1; break;
		case 'n': nstreams = (int)arg(optarg, 1, LOAD_SESSIONS_MAX, 'n'); break;
		case 'p':
			for (p = strtok(optarg, ","); p != NULL &&
			    nports < LOAD_PORTS_MAX; p = strtok(NULL, ","))
				ports[nports++] = (unsigned short)arg(p, 1,
				    65535, 'p');
			port = ports[0];
			break;
		case 'P': chatd_pid = (pid_t)arg(optarg, 1, INT_MAX, 'P'); break;
		case 'r': rate = (int)arg(optarg, 1, 1000, 'r'); break;
		case 't':
			for (i = 0; i < 3 && strcmp(optarg, kind_names[i]) != 0;
			    i++)
				;
			if (i == 3) {
				fprintf(stderr, "load: -t: html, sse or ws\n");
				usage();
			}
			kind = (enum stream_kind)i;
			break;
		case 'T': talkers = (int)arg(optarg, 1, LOAD_SESSIONS_MAX, 'T'); break;
		case 'x': extra = (int)arg(optarg, 0, LOAD_SESSIONS_MAX, 'x'); break;
		default: usage();
		}
	}
	if (port == 0 || optind != argc)
		usage();
	memset(&server, 0, sizeof server);
	server.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)port);
	/* Only ever a loopback address: this is a load generator. */
	if (inet_pton(AF_INET, addr, &server.sin_addr) != 1 ||
	    (ntohl(server.sin_addr.s_addr) >> 24) != 127)
		die("-a %s: must be an address in 127.0.0.0/8", addr);
	if (talkers > nstreams)
		talkers = nstreams;
	if (nports > 1 && nchan)
		die("-p: one port for nginx+nchan");
	if (publish_rate > 0) {
		/* The first line of the token file: chatd's -T file. */
		if (nchan || tokfile == NULL)
			die("-B: chatd only, and the token file (-k) with it");
		if ((fp = fopen(tokfile, "r")) == NULL ||
		    fgets(token, sizeof token, fp) == NULL)
			die("-k %s: no token in it", tokfile);
		fclose(fp);
		token[strcspn(token, " \t\r\n")] = '\0';
		if (token[0] == '\0')
			die("-k %s: the first line holds no token", tokfile);
		extra = 0;	/* no phase 2 */
		talkers = rate = 1;
	}
	if (nchan)
		extra = 0;	/* posts need no sessions there */
	if (extra > LOAD_SESSIONS_MAX - nstreams)
		die("-n %d -x %d: at most %d sessions", nstreams, extra,
		    LOAD_SESSIONS_MAX);
	nsessions = nstreams + extra;
	/* Each talker posts at most once a second. */
	if (rate > talkers)
		die("-r %d needs at least as many talkers (-T %d)", rate, talkers);
	home_talkers = talkers;
	signal(SIGPIPE, SIG_IGN);
	/* Lines as they come, also into a pipe: a watcher can follow the phases. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_nofile();
#ifdef LOAD_EPOLL
	if ((epfd = epoll_create1(0)) == -1)
		die("epoll_create1: %s", strerror(errno));
#endif
	run_deadline = now_us() + (LOAD_RUN_MAX_S + nstreams / LOAD_RUN_PER_S) *
	    1000000LL;
	setup_us = (LOAD_SETUP_S + nstreams / LOAD_SETUP_PER_S) * 1000000LL;
	streams = calloc((size_t)nsessions, sizeof *streams);
	msgs = calloc(LOAD_MSGS_MAX, sizeof *msgs);
	pfds = calloc((size_t)nstreams + LOAD_INFLIGHT_MAX, sizeof *pfds);
	pobj = calloc((size_t)nstreams + LOAD_INFLIGHT_MAX, sizeof *pobj);
	if (streams == NULL || msgs == NULL || pfds == NULL || pobj == NULL)
		die("out of memory");
	for (i = 0; i < nsessions; i++)
		streams[i].fd = -1;
	for (i = 0; i < LOAD_INFLIGHT_MAX; i++)
		reqs[i].fd = -1;

	rss0 = chatd_rss();
	login_all(0, nstreams);
	rss1 = chatd_rss();
	open_all();
	/* A message every stream must read: then all are open and idle. */
	for (i = 0; i < nstreams && streams[i].state != ST_OPEN; i++)
		;
	if (i == nstreams)
		die("no stream opened");
	post(i, 0);
	if (wait_delivered(1, now_us() + setup_us) == -1)
		die("the first message did not reach every stream");
	idle(1000);
	rss2 = chatd_rss();
	printf("streams: %d of %d %s streams open (%lld logins failed, %lld "
	    "streams lost)\n", nopen, nstreams, nchan ? "nchan" :
	    kind_names[kind], st_logins_failed, st_streams_lost);
	if (rss0 > 0 && rss2 > 0 && nopen > 0) {
		res.kib = (double)(rss2 - rss0) / nopen;
		printf("memory: server RSS %ld KiB idle, %ld KiB with %d "
		    "sessions, %ld KiB with their streams open: %.2f KiB per "
		    "idle stream (%.2f of it the stream itself)\n", rss0, rss1,
		    nstreams, rss2, res.kib, (double)(rss2 - rss1) / nopen);
	}

	if (memory_only) {
		/* Hold the streams a moment, for a look at chatd from outside. */
		idle(LOAD_HOLD_S * 1000L);
		return st_streams_lost || st_logins_failed;
	}
	if (publish_rate > 0)
		phase_publish(publish_rate, inflight, secs);
	else {
		phase1(rate, talkers, secs);
		phase2(inflight, secs);
	}
	printf("checks: %lld streams lost, %lld gaps and %lld repeats in "
	    "event numbers\n", st_streams_lost, st_gaps, st_order);
	if (kind == KIND_WS && !nchan)
		printf("  websocket: %lld pings answered (%lld pongs not "
		    "written whole), %lld frames against RFC 6455\n",
		    st_ws_pings, st_ws_pong_failed, st_ws_bad);
	/* One line for run.sh's table. */
	printf("result: server=%s streams=%d held=%d lost=%lld gaps=%lld "
	    "repeats=%lld p50=%.2f p99=%.2f rate=%.0f cpurate=%.0f cpu1=%.0f "
	    "cpu2=%.0f kib=%.2f wait1=%.0f wait2=%.0f%s", nchan ? "nchan" :
	    publish_rate > 0 ? "chatd-pub" :
	    kind == KIND_SSE ? "chatd-sse" : kind == KIND_WS ? "chatd-ws" :
	    "chatd", nstreams, nopen, st_streams_lost + st_logins_failed,
	    st_gaps, st_order, res.p50, res.p99, res.rate, res.cpu_rate,
	    res.cpu1, res.cpu2, res.kib, res.wait1, res.wait2,
	    publish_rate > 0 ? "" : "\n");
	if (publish_rate > 0)
		printf(" pub=%.0f pubbad=%lld\n", res.pub, st_pub_bad);
	return st_streams_lost || st_gaps || st_order || st_logins_failed ||
	    st_ws_bad || st_pub_bad;
}
