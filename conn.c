/* conn.c: the connection table: accept, read requests, queue and write output. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "queue.h"
#include "session.h"
#include "web.h"

#define CONN_LINGER_MS	2000	/* after a response, wait this long for the client's close */

enum conn_state {
	CONN_FREE = 0,
	CONN_READING,		/* reading the request */
	CONN_RESPONDING,	/* writing a finite response, then close */
	CONN_LINGERING,		/* response sent; draining input until EOF */
	CONN_STREAMING,		/* a chat frame */
	CONN_CLOSING		/* to be closed at the end of this pass */
};

struct conn {
	enum conn_state	 state;
	int		 dirty;		/* in the list of connections to write */
	int		 read_shut;	/* the client half-closed */
	long long	 deadline;	/* ms; for READING, RESPONDING, LINGERING */
	struct http_request *req;
	struct outq	 out;
	struct session	*session;	/* for CONN_STREAMING */
	char		 ip[SESSION_IP_BYTES];
};

static struct conn	*conns;		/* indexed by descriptor */
static int		 capacity;	/* entries of conns */
static int		*dirty, ndirty;
static int		*closing, nclosing;
static int		 listen_fds[CONN_LISTEN_MAX], nlisten;
static int		 spare_fd = -1;	/* given up to shed a connection on EMFILE */
static int		 max_conns, per_ip, nconns;
static long long	 now, accept_paused_until, next_sweep;
static struct chunk	*busy_page;	/* the 503 for a full server */

static int	conn_send(int, struct chunk *);
static void	conn_end(int);
static loop_handler on_conn;

static const struct session_io conn_io = { conn_send, conn_end };

/* Sets what the loop watches on a connection from its state and queue. */
static void
update_watch(int fd)
{
	struct conn *c = &conns[fd];
	int ev = 0;

	switch (c->state) {
	case CONN_READING:
	case CONN_LINGERING:
		ev = LOOP_READ;
		break;
	case CONN_RESPONDING:
	case CONN_STREAMING:
		ev = c->read_shut ? 0 : LOOP_READ;
		if (c->out.bytes > 0)
			ev |= LOOP_WRITE;
		break;
	default:
		break;
	}
	loop_watch(fd, ev, on_conn, NULL);
}

static void
mark_dirty(int fd)
{
	if (!conns[fd].dirty) {
		conns[fd].dirty = 1;
		dirty[ndirty++] = fd;
	}
}

/* Closes at the end of the pass, never in the middle of a broadcast. */
static void
mark_closing(int fd)
{
	if (conns[fd].state != CONN_CLOSING) {
		conns[fd].state = CONN_CLOSING;
		closing[nclosing++] = fd;
		loop_watch(fd, 0, NULL, NULL);
	}
}

static int
conn_send(int fd, struct chunk *chunk)
{
	struct conn *c = &conns[fd];

	if (c->state == CONN_FREE || c->state == CONN_CLOSING ||
	    c->state == CONN_LINGERING)
		return -1;
	if (outq_push(&c->out, chunk, config.queue_max) == -1) {
		log_info("%s: cut off: %zu bytes queued, the limit is %zu",
		    c->ip, c->out.bytes, config.queue_max);
		mark_closing(fd);
		return -1;
	}
	mark_dirty(fd);
	return 0;
}

static void
conn_end(int fd)
{
	struct conn *c = &conns[fd];

	c->session = NULL;
	if (c->state == CONN_FREE || c->state == CONN_CLOSING)
		return;
	c->state = CONN_RESPONDING;
	c->deadline = now + CONN_RESPONSE_TIMEOUT_MS;
	mark_dirty(fd);
}

static struct chunk *
render_busy(void)
{
	struct chunk *ch = NULL;
	struct buf b;

	buf_init(&b);
	web_error(&b, HTTP_UNAVAILABLE, "The server is full. Please try again "
	    "in a moment.");
	if (!b.failed)
		ch = chunk_new(b.data, b.len);
	buf_free(&b);
	return ch;
}

static loop_handler on_listen;

/* Starts or stops accepting on every listening socket. */
static void
watch_listeners(int on)
{
	int i;

	for (i = 0; i < nlisten; i++)
		loop_watch(listen_fds[i], on ? LOOP_READ : 0, on_listen, NULL);
}

int
conn_init(const int *fds, int nfds, int want, int ip_max)
{
	capacity = loop_capacity();
	if ((conns = calloc((size_t)capacity, sizeof *conns)) == NULL ||
	    (dirty = calloc((size_t)capacity, sizeof *dirty)) == NULL ||
	    (closing = calloc((size_t)capacity, sizeof *closing)) == NULL)
		fatal("calloc");
	for (nlisten = 0; nlisten < nfds && nlisten < CONN_LISTEN_MAX; nlisten++)
		listen_fds[nlisten] = fds[nlisten];
	now = loop_now_ms();
	max_conns = capacity - CONN_RESERVE_FDS;
	if (want > 0 && want < max_conns)
		max_conns = want;
	per_ip = ip_max;
	spare_fd = open("/dev/null", O_RDONLY);
	busy_page = render_busy();
	session_init(&conn_io);
	watch_listeners(1);
	return max_conns;
}

int
conn_count(void)
{
	return nconns;
}

/* Answers 503 with one write and closes: for connections never admitted. */
static void
refuse(int fd)
{
	ssize_t n;

	if (busy_page != NULL)
		n = write(fd, busy_page->data, busy_page->len);
	(void)n;
	close(fd);
}

static int
count_from(const char *ip)
{
	int fd, n = 0;

	for (fd = 0; fd < capacity; fd++)
		if (conns[fd].state != CONN_FREE && strcmp(conns[fd].ip, ip) == 0)
			n++;
	return n;
}

static void
admit(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct conn *c;
	char ip[SESSION_IP_BYTES];
	int sndbuf = CONN_SNDBUF;

	if (getnameinfo(sa, len, ip, sizeof ip, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(ip, sizeof ip, "?");
	if (fd >= capacity || nconns >= max_conns || count_from(ip) >= per_ip ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    (conns[fd].req = malloc(sizeof *conns[fd].req)) == NULL) {
		log_info("%s: refused: %d connections open", ip, nconns);
		refuse(fd);
		return;
	}
	/*
	 * Autotuning would let a reader who stopped hold megabytes in the
	 * kernel; a fixed buffer makes the -q cap the real bound.
	 */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	c = &conns[fd];
	http_request_init(c->req);
	c->state = CONN_READING;
	c->dirty = c->read_shut = 0;
	c->deadline = now + HTTP_HEAD_TIMEOUT_MS;
	c->session = NULL;
	outq_init(&c->out);
	memcpy(c->ip, ip, sizeof ip);
	nconns++;
	update_watch(fd);
}

/*
 * Out of descriptors: give up the spare one to take the waiting
 * connection and refuse it, so the listener neither spins nor starves,
 * then pause accepting for a moment.
 */
static void
shed_one(int listen_fd)
{
	int fd;

	if (spare_fd != -1) {
		close(spare_fd);
		if ((fd = accept(listen_fd, NULL, NULL)) != -1)
			refuse(fd);
		spare_fd = open("/dev/null", O_RDONLY);
	}
	log_warnx("out of file descriptors: accepting paused");
	accept_paused_until = now + CONN_FULL_PAUSE_MS;
	watch_listeners(0);
}

static void
accept_some(int listen_fd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd;

	for (i = 0; i < CONN_ACCEPT_MAX; i++) {
		len = sizeof ss;
		if ((fd = accept(listen_fd, (struct sockaddr *)&ss, &len)) == -1) {
			if (errno == EMFILE || errno == ENFILE)
				shed_one(listen_fd);
			else if (errno == EINTR || errno == ECONNABORTED)
				continue;
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept");
			return;
		}
		admit(fd, (struct sockaddr *)&ss, len);
	}
}

/* One line in common log format; secrets in the query are redacted. */
static void
access_log(const struct conn *c, int status, size_t bytes)
{
	static const char *const methods[] = { "-", "GET", "HEAD", "POST" };
	const struct http_request *r = c->req;
	char date[32];
	time_t t = time(NULL);
	struct buf q;

	strftime(date, sizeof date, "%d/%b/%Y:%H:%M:%S +0000", gmtime(&t));
	buf_init(&q);
	if (r->method != HTTP_METHOD_NONE && *r->query) {
		buf_addc(&q, '?');
		http_redact(&q, r->query);
	}
	if (r->method == HTTP_METHOD_NONE)
		log_info("%s - - [%s] \"-\" %d %zu", c->ip, date, status, bytes);
	else
		log_info("%s - - [%s] \"%s %s%s HTTP/1.%d\" %d %zu", c->ip, date,
		    methods[r->method], r->path, buf_str(&q), r->minor,
		    status, bytes);
	buf_free(&q);
}

/* Queues a finite response and switches to writing it. */
static void
respond(int fd, struct buf *out)
{
	struct conn *c = &conns[fd];
	struct chunk *ch;

	if (out->failed || (ch = chunk_new(out->data, out->len)) == NULL) {
		mark_closing(fd);
		return;
	}
	c->state = CONN_RESPONDING;
	c->deadline = now + CONN_RESPONSE_TIMEOUT_MS;
	if (outq_push(&c->out, ch, (size_t)-1) == -1)
		mark_closing(fd);
	else
		mark_dirty(fd);
	chunk_unref(ch);
}

/*
 * A stream is a run of small writes to a reader that sends nothing back
 * but ACKs, which it delays (40 to 200 ms on Linux).  With Nagle's
 * algorithm each event written while the previous one is unacknowledged
 * waits for that ACK, so every line would be late by a delayed-ACK
 * timeout.  One writev() per pass already batches what is queued.
 */
static void
stream_nodelay(int fd)
{
	int on = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

static void
dispatch(int fd)
{
	struct conn *c = &conns[fd];
	struct web_request req;
	struct web_response resp;

	req.http = c->req;
	req.ip = c->ip;
	req.conn = fd;
	req.now = now;
	resp.status = HTTP_INTERNAL_ERROR;
	resp.stream = NULL;
	buf_init(&resp.out);
	web_handle(&req, &resp);
	access_log(c, resp.status, resp.stream ? 0 : resp.out.len);
	if (resp.stream != NULL) {
		/* A stream can be cut off or reloaded while its history is queued. */
		if (c->state == CONN_READING) {
			c->state = CONN_STREAMING;
			stream_nodelay(fd);
		}
		if (c->state != CONN_RESPONDING)
			c->session = resp.stream;
	} else if (c->state == CONN_READING)
		respond(fd, &resp.out);
	buf_free(&resp.out);
	free(c->req);
	c->req = NULL;
	if (c->state != CONN_CLOSING)
		update_watch(fd);
}

static void
parse_error(int fd, int status)
{
	struct buf out;
	const char *why;

	switch (status) {
	case HTTP_HEADERS_TOO_LARGE:
		why = "The request head is larger than 8 KiB.";
		break;
	case HTTP_PAYLOAD_TOO_LARGE:
		why = "The request body is larger than 8 KiB.";
		break;
	case HTTP_NOT_IMPLEMENTED:
		why = "chatd answers GET, HEAD and POST only.";
		break;
	case HTTP_LENGTH_REQUIRED:
		why = "A POST needs a Content-Length.";
		break;
	case HTTP_VERSION_NOT_SUPPORTED:
		why = "chatd speaks HTTP/1.0 and HTTP/1.1.";
		break;
	default:
		why = "The request is malformed.";
	}
	buf_init(&out);
	web_error(&out, status, why);
	if (conns[fd].req->head_only)
		http_strip_body(&out);	/* HEAD: the head alone, even here */
	access_log(&conns[fd], status, out.len);
	respond(fd, &out);
	buf_free(&out);
	free(conns[fd].req);
	conns[fd].req = NULL;
	update_watch(fd);
}

static void
read_request(int fd)
{
	struct conn *c = &conns[fd];
	char data[CONN_READ_MAX];
	enum http_status st;
	size_t used;
	ssize_t n;

	if ((n = read(fd, data, sizeof data)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			mark_closing(fd);
		return;
	}
	if (n == 0) {
		mark_closing(fd);
		return;
	}
	st = http_parse(c->req, data, (size_t)n, &used);
	if (st == HTTP_OK)
		dispatch(fd);
	else if (st != HTTP_INCOMPLETE)
		parse_error(fd, st);
}

/* Input after the request: ignored, but EOF on a stream means the reader left. */
static void
read_rest(int fd)
{
	struct conn *c = &conns[fd];
	char data[CONN_READ_MAX];
	ssize_t n;

	n = read(fd, data, sizeof data);
	if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)))
		return;
	if (c->state == CONN_RESPONDING && n == 0) {
		c->read_shut = 1;	/* a half-close: still send the answer */
		update_watch(fd);
	} else
		mark_closing(fd);
}

/* Writes what is queued; a finite response done turns to lingering. */
static void
write_some(int fd)
{
	struct conn *c = &conns[fd];

	if (outq_write(&c->out, fd, CONN_WRITE_MAX) == -1) {
		mark_closing(fd);
		return;
	}
	if (c->out.bytes == 0 && c->state == CONN_RESPONDING) {
		/*
		 * Closing with unread input would reset the connection and
		 * could destroy the response: half-close and wait for EOF.
		 */
		if (c->read_shut || shutdown(fd, SHUT_WR) == -1) {
			mark_closing(fd);
			return;
		}
		c->state = CONN_LINGERING;
		c->deadline = now + CONN_LINGER_MS;
	}
	update_watch(fd);
}

static void
on_listen(int fd, int ready, void *arg)
{
	(void)ready;
	(void)arg;
	now = loop_now_ms();
	accept_some(fd);
}

static void
on_conn(int fd, int ready, void *arg)
{
	struct conn *c = &conns[fd];

	(void)arg;
	now = loop_now_ms();
	if ((ready & LOOP_READ) && c->state == CONN_READING)
		read_request(fd);
	else if (ready & LOOP_READ)
		read_rest(fd);
	if ((ready & LOOP_WRITE) && (c->state == CONN_RESPONDING ||
	    c->state == CONN_STREAMING))
		write_some(fd);
}

/* Writes to every connection that got output this pass, before sleeping. */
static void
flush_dirty(void)
{
	int i, fd;

	for (i = 0; i < ndirty; i++) {
		fd = dirty[i];
		conns[fd].dirty = 0;
		if (conns[fd].state == CONN_RESPONDING ||
		    conns[fd].state == CONN_STREAMING)
			write_some(fd);
	}
	ndirty = 0;
}

static void
reap(void)
{
	struct session *s;
	struct conn *c;
	int fd;

	while (nclosing > 0) {
		fd = closing[--nclosing];
		c = &conns[fd];
		s = c->session;
		close(fd);
		outq_clear(&c->out);
		free(c->req);
		memset(c, 0, sizeof *c);
		nconns--;
		/* May end the session and broadcast a leave: more to flush. */
		if (s != NULL)
			session_stream_lost(s, now);
	}
}

static void
sweep(void)
{
	int fd;

	if (accept_paused_until && now >= accept_paused_until) {
		accept_paused_until = 0;
		watch_listeners(1);
	}
	if (now < next_sweep)
		return;
	next_sweep = now + SESSION_SWEEP_MS;
	for (fd = 0; fd < capacity; fd++)
		if (conns[fd].deadline && now >= conns[fd].deadline &&
		    (conns[fd].state == CONN_READING ||
		    conns[fd].state == CONN_RESPONDING ||
		    conns[fd].state == CONN_LINGERING))
			mark_closing(fd);
}

void
conn_pass(long timeout_ms)
{
	if (loop_wait(timeout_ms) == -1)
		log_warn("%s", loop_backend());
	now = loop_now_ms();
	sweep();
	session_sweep(now);
	while (ndirty > 0 || nclosing > 0) {
		flush_dirty();
		reap();
	}
}

void
conn_drain(long ms)
{
	long long until = loop_now_ms() + ms;
	int fd, busy;

	watch_listeners(0);
	now = loop_now_ms();
	for (;;) {
		while (ndirty > 0 || nclosing > 0) {
			flush_dirty();
			reap();
		}
		for (busy = 0, fd = 0; fd < capacity; fd++)
			busy |= conns[fd].state != CONN_FREE &&
			    conns[fd].out.bytes > 0;
		if (!busy || (now = loop_now_ms()) >= until)
			break;
		if (loop_wait(until - now < 50 ? until - now : 50) == -1)
			break;
	}
}
