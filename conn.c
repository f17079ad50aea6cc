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

#include "addr.h"
#include "api.h"
#include "cmd.h"
#include "config.h"
#include "conn.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "queue.h"
#include "room.h"
#include "session.h"
#include "stats.h"
#include "web.h"
#include "ws.h"

/* Numbered as stats.h counts them. */
enum conn_state {
	CONN_FREE = STATS_CONN_FREE,
	CONN_READING = STATS_CONN_READING,	/* reading the request */
	CONN_RESPONDING = STATS_CONN_RESPONDING,	/* a finite response, then close */
	CONN_LINGERING = STATS_CONN_LINGERING,	/* response sent; input until EOF */
	CONN_STREAMING = STATS_CONN_STREAMING,	/* a chat frame */
	CONN_CLOSING = STATS_CONN_CLOSING,	/* closed at the end of this pass */
	CONN_WAITING = STATS_CONN_WAITING	/* waits for the accounts helper */
};

/*
 * Every time limit is a constant per state, so one FIFO list per state in
 * order of arrival holds its connections in order of expiry: the head is
 * the next to time out, and the head of READING is the one that has been
 * reading its request the longest.  A refusal has a list of its own.
 */
enum conn_list {
	LIST_NONE = 0,		/* a zeroed slot is in no list */
	LIST_READING,
	LIST_RESPONDING,
	LIST_LINGERING,
	LIST_REFUSED,
	LIST_WS,		/* WebSockets, by when their client was last heard */
	LIST_COUNT
};

static long long list_timeout[LIST_COUNT] = {
	0, HTTP_HEAD_TIMEOUT_MS, CONN_RESPONSE_TIMEOUT_MS, CONN_LINGER_MS,
	CONN_REFUSED_TIMEOUT_MS, 0	/* LIST_WS: -k, set by conn_init() */
};

struct conn {
	enum conn_state	 state;
	int		 dirty;		/* in the ring of connections to write */
	int		 read_shut;	/* the client half-closed */
	int		 refused;	/* only here to carry a 503 or 429 */
	enum conn_list	 list;
	int		 prev, next;	/* in that list, -1 at the ends */
	long long	 since;		/* ms; when it joined that list */
	struct http_request *req;
	struct outq	 out;
	struct session	*session;	/* for CONN_STREAMING */
	unsigned	 gen;		/* bumped each time the slot is freed */
	struct addr	*addr;		/* counted there; NULL for a refusal */
	char		 ip[SESSION_IP_BYTES];
	unsigned long	 wait_gen;	/* CONN_WAITING: whose answer is due */
	int		 websocket;	/* upgraded: the stream is a WebSocket */
	int		 watcher;	/* its stream is a watcher's (-W): no session */
	struct ws_parser *ws;		/* its parser while a frame is under way */
	int		 ws_pings;	/* sent since the client was last heard */
	long long	 ws_refused;	/* ms; the last rate-limit notice */
};

static struct {
	int	 head, tail;
} lists[LIST_COUNT];

struct holder {
	size_t	 bytes;
	int	 fd;
};

static struct conn	*conns;		/* indexed by descriptor */
static int		 capacity;	/* entries of conns */
static int		*dirty, dhead, ndirty;	/* a FIFO ring of capacity */
static int		*closing, nclosing;
static struct holder	*holders;	/* scratch for cutting the biggest queues */
static int		 listen_fds[CONN_LISTEN_MAX], nlisten;
static int		 spare_fd = -1;	/* given up to shed a connection on EMFILE */
static int		 max_conns, per_ip, nconns, nrefused;
static int		 stopping;	/* WebSockets close with 1001 */
static int		 nqueued;	/* connections with output queued */
static long long	 now, accept_paused_until;
static struct chunk	*busy_page;	/* 503: the server is full */
static struct chunk	*crowd_page;	/* 429: too many from one address */

static int	conn_send(struct conn_handle, struct chunk *);
static void	conn_end(struct conn_handle);
static loop_handler on_conn;

static const struct stream_io conn_io = { conn_send, conn_end };

static void
list_unlink(int fd)
{
	struct conn *c = &conns[fd];

	if (c->list == LIST_NONE)
		return;
	if (c->prev >= 0)
		conns[c->prev].next = c->next;
	else
		lists[c->list].head = c->next;
	if (c->next >= 0)
		conns[c->next].prev = c->prev;
	else
		lists[c->list].tail = c->prev;
	c->list = LIST_NONE;
	c->prev = c->next = -1;
}

static void
list_append(int fd, enum conn_list l)
{
	struct conn *c = &conns[fd];

	list_unlink(fd);
	if (l == LIST_NONE)
		return;
	c->list = l;
	c->since = now;
	c->prev = lists[l].tail;
	c->next = -1;
	if (lists[l].tail >= 0)
		conns[lists[l].tail].next = fd;
	else
		lists[l].head = fd;
	lists[l].tail = fd;
}

/* Enters a state and its deadline list; a refusal keeps its own. */
static void
set_state(int fd, enum conn_state st)
{
	struct conn *c = &conns[fd];

	stats_conn_state(c->state, st);
	c->state = st;
	if (c->refused && st != CONN_CLOSING)
		return;
	switch (st) {
	case CONN_READING:
		list_append(fd, LIST_READING);
		break;
	case CONN_RESPONDING:
		list_append(fd, LIST_RESPONDING);
		break;
	case CONN_LINGERING:
		list_append(fd, LIST_LINGERING);
		break;
	case CONN_STREAMING:
		if (c->websocket) {
			c->ws_pings = 0;
			list_append(fd, LIST_WS);
		} else
			list_unlink(fd);
		break;
	default:
		list_unlink(fd);
	}
}

/* Keeps the count of connections with output queued after a change. */
static void
queue_changed(struct conn *c, size_t before)
{
	if (before == 0 && c->out.bytes > 0)
		nqueued++;
	else if (before > 0 && c->out.bytes == 0)
		nqueued--;
}

static void
queue_clear(struct conn *c)
{
	size_t before = c->out.bytes;

	outq_clear(&c->out);
	queue_changed(c, before);
}

static int	conn_resume(int, unsigned long, void *);
static int	conn_websocket(struct conn_handle, const char *, size_t);
static const struct web_io web_io = { conn_resume, conn_websocket };
static unsigned long	 wait_gens;	/* a fresh one for each request that waits */

/*
 * A WebSocket client whose answers it does not read is not read either:
 * what it sends waits in the kernel, not here.  Its pongs wait too, so
 * one that never reads is closed as silent.
 */
static int
ws_backed_up(const struct conn *c)
{
	return c->websocket && c->state == CONN_STREAMING &&
	    c->out.bytes >= config.queue_max / CONN_WS_PAUSE_DIV;
}

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
		ev = c->read_shut || ws_backed_up(c) ? 0 : LOOP_READ;
		if (c->out.bytes > 0)
			ev |= LOOP_WRITE;
		break;
	default:
		break;
	}
	loop_watch(fd, ev, on_conn, NULL);
}

/*
 * Queues fd for a write.  The flag outlives the slot (release() keeps it),
 * so a descriptor is in the ring at most once and capacity entries do.
 */
static void
mark_dirty(int fd)
{
	if (!conns[fd].dirty) {
		conns[fd].dirty = 1;
		dirty[(dhead + ndirty) % capacity] = fd;
		ndirty++;
	}
}

/*
 * Closes at the end of the pass, never in the middle of a broadcast.  Its
 * output will never be written: it stops counting against -Q at once.
 */
static void
mark_closing(int fd)
{
	if (conns[fd].state != CONN_CLOSING) {
		set_state(fd, CONN_CLOSING);
		closing[nclosing++] = fd;
		loop_watch(fd, 0, NULL, NULL);
		queue_clear(&conns[fd]);
	}
}

static int
by_bytes(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/*
 * All queued output is over -Q: cut the streams that hold the most until
 * it is down to 7/8 of the cap, so that the next few pushes do not scan
 * again.  The scan is O(connections), but only on this rare overflow.
 */
static void
cut_biggest(void)
{
	static long long next_scan;
	size_t low = config.total_queue_max - config.total_queue_max / 8;
	int fd, i, n = 0;

	if (now < next_scan)
		return;
	for (fd = 0; fd < capacity; fd++)
		if (conns[fd].state == CONN_STREAMING && conns[fd].out.bytes > 0) {
			holders[n].bytes = conns[fd].out.bytes;
			holders[n++].fd = fd;
		}
	qsort(holders, (size_t)n, sizeof *holders, by_bytes);
	for (i = 0; i < n && outq_memory() > low; i++) {
		fd = holders[i].fd;
		log_info("%s: cut off: %zu bytes queued, all connections hold "
		    "%zu, the limit is %zu", conns[fd].ip, conns[fd].out.bytes,
		    outq_memory(), config.total_queue_max);
		stats_refused(STATS_REFUSED_TOTAL_QUEUE);
		mark_closing(fd);
	}
	/*
	 * What is left is in finite responses, which end by themselves:
	 * scanning on every push meanwhile would cost O(connections) each.
	 */
	if (outq_memory() > config.total_queue_max)
		next_scan = now + CONN_CUT_PAUSE_MS;
}

/* Queues a chunk within a cap; -1 (and nothing queued) if over it. */
static int
queue_push(int fd, struct chunk *chunk, size_t cap)
{
	struct conn *c = &conns[fd];
	size_t before = c->out.bytes;

	if (outq_push(&c->out, chunk, cap) == -1)
		return -1;
	queue_changed(c, before);
	if (outq_memory() > config.total_queue_max)
		cut_biggest();
	return 0;
}

/* The connection a handle names, or NULL if it is gone or its slot reused. */
static struct conn *
conn_get(struct conn_handle h)
{
	if (h.fd < 0 || h.fd >= capacity || conns[h.fd].gen != h.gen)
		return NULL;
	return &conns[h.fd];
}

static int
conn_send(struct conn_handle h, struct chunk *chunk)
{
	struct conn *c = conn_get(h);
	int fd = h.fd;

	if (c == NULL || c->state == CONN_FREE || c->state == CONN_CLOSING ||
	    c->state == CONN_LINGERING)
		return -1;
	if (queue_push(fd, chunk, config.queue_max) == -1) {
		log_info("%s: cut off: %zu bytes queued, the limit is %zu",
		    c->ip, c->out.bytes, config.queue_max);
		stats_refused(STATS_REFUSED_QUEUE);
		mark_closing(fd);
		return -1;
	}
	if (c->state == CONN_CLOSING)
		return -1;	/* cut for -Q */
	mark_dirty(fd);
	return 0;
}

/* Queues a whole frame; -1 if it could not be (the connection is cut). */
static int
ws_send(int fd, const char *frame, size_t len)
{
	struct chunk *ch;
	int rc = -1;

	if (len > 0 && (ch = chunk_new(frame, len)) != NULL) {
		if ((rc = queue_push(fd, ch, (size_t)-1)) == 0)
			mark_dirty(fd);
		chunk_unref(ch);
	}
	if (rc == -1)
		mark_closing(fd);
	return rc;
}

static void
ws_send_close(int fd, unsigned code, const char *reason)
{
	char frame[WS_CONTROL_FRAME_MAX];

	ws_send(fd, frame, ws_close_frame(frame, code, reason));
}

static void
conn_end(struct conn_handle h)
{
	struct conn *c = conn_get(h);
	int fd = h.fd;

	if (c == NULL)
		return;
	c->session = NULL;
	if (c->state == CONN_FREE || c->state == CONN_CLOSING)
		return;
	if (c->websocket && c->state == CONN_STREAMING)
		ws_send_close(fd, stopping ? WS_CLOSE_GOING_AWAY :
		    WS_CLOSE_NORMAL, NULL);
	set_state(fd, CONN_RESPONDING);
	mark_dirty(fd);
}

/* A complete error response as a chunk, rendered once; NULL if out of memory. */
static struct chunk *
render_error(int status, const char *message)
{
	struct buf b;

	buf_init(&b);
	web_error(&b, status, message);
	return chunk_from_buf(&b);
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
	char why[128];
	int i;

	capacity = loop_capacity();
	if ((conns = calloc((size_t)capacity, sizeof *conns)) == NULL ||
	    (dirty = calloc((size_t)capacity, sizeof *dirty)) == NULL ||
	    (closing = calloc((size_t)capacity, sizeof *closing)) == NULL ||
	    (holders = calloc((size_t)capacity, sizeof *holders)) == NULL)
		fatal("calloc");
	for (i = 0; i < LIST_COUNT; i++)
		lists[i].head = lists[i].tail = -1;
	for (nlisten = 0; nlisten < nfds && nlisten < CONN_LISTEN_MAX; nlisten++)
		listen_fds[nlisten] = fds[nlisten];
	now = loop_now_ms();
	max_conns = capacity - CONN_RESERVE_FDS;
	if (want > 0 && want < max_conns)
		max_conns = want;
	if (max_conns < 1)
		max_conns = 1;
	per_ip = ip_max;
	list_timeout[LIST_WS] = (long long)config.keepalive * 1000;
	spare_fd = open("/dev/null", O_RDONLY);
	busy_page = render_error(HTTP_UNAVAILABLE, "The server is full. Please "
	    "try again in a moment.");
	snprintf(why, sizeof why, "Too many connections from your address (at "
	    "most %d). Close some, or try again in a moment.", per_ip);
	crowd_page = render_error(HTTP_TOO_MANY_REQUESTS, why);
	session_init(&conn_io);
	web_init(&web_io);
	watch_listeners(1);
	return max_conns;
}

int
conn_count(void)
{
	return nconns;
}

/* Frees a connection's slot; the caller closed or is closing fd. */
static void
release(int fd)
{
	struct conn *c = &conns[fd];
	unsigned gen;
	int was_dirty;

	loop_watch(fd, 0, NULL, NULL);
	close(fd);
	list_unlink(fd);
	queue_clear(c);
	free(c->req);
	free(c->ws);
	if (c->refused)
		nrefused--;
	else
		nconns--;
	if (c->addr != NULL)
		addr_conn_close(c->addr);
	gen = c->gen;
	was_dirty = c->dirty;
	stats_conn_state(c->state, CONN_FREE);
	memset(c, 0, sizeof *c);
	c->gen = gen + 1;	/* every handle to it is stale now */
	c->dirty = was_dirty;	/* still in the ring: see mark_dirty() */
}

/*
 * Answers 503 or 429 to a connection that is not admitted.  The answer is
 * queued and lingers like any other, since closing with the request unread
 * would reset the connection and lose the page; only when
 * CONN_REFUSED_MAX refusals are already in flight, or no descriptor is to
 * spare (linger 0), is it one write and a close.
 */
static void
refuse(int fd, const char *ip, struct chunk *page, int linger)
{
	struct conn *c;
	ssize_t n;

	if (linger && fd < capacity && nrefused < CONN_REFUSED_MAX && page &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != -1) {
		c = &conns[fd];
		c->refused = 1;
		c->read_shut = 0;
		c->session = NULL;
		c->websocket = 0;
	c->watcher = 0;
		c->watcher = 0;
		c->ws = NULL;
		c->addr = NULL;
		c->req = NULL;
		outq_init(&c->out);
		snprintf(c->ip, sizeof c->ip, "%s", ip);
		nrefused++;
		list_append(fd, LIST_REFUSED);
		set_state(fd, CONN_RESPONDING);
		if (queue_push(fd, page, (size_t)-1) == -1)
			mark_closing(fd);
		else {
			mark_dirty(fd);
			update_watch(fd);
		}
		return;
	}
	if (page != NULL)
		n = write(fd, page->data, page->len);
	(void)n;
	close(fd);
}

/*
 * The table is full: the connection that has been reading its request
 * the longest goes, so that clients who send their heads slowly (from as
 * many addresses as they like) cannot lock out those who send a request
 * at once.  Nothing but its input refers to a reading connection: it can
 * be closed here and now.  0 if one went, -1 if none is reading.
 */
static int
drop_oldest_reader(void)
{
	int fd = lists[LIST_READING].head;

	if (fd < 0)
		return -1;
	log_info("%s: dropped: reading its request for %lld ms, and the server "
	    "is full", conns[fd].ip, now - conns[fd].since);
	release(fd);
	return 0;
}

/*
 * TCP keepalive on a stream, with a user timeout: a peer that vanished
 * (a laptop lid closed, a NAT that forgot the connection) acknowledges
 * neither the next keepalive line nor the probes, and the kernel gives the
 * connection up after about -k seconds; its user then has the grace
 * period.  Where an option is missing, the kernel's default stands.
 */
static void
stream_keepalive(int fd)
{
	int on = 1, idle = config.keepalive;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
#ifdef TCP_KEEPIDLE
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
#endif
#ifdef TCP_KEEPINTVL
	{
		int intvl = idle / CONN_KEEPALIVE_PROBES > 0 ?
		    idle / CONN_KEEPALIVE_PROBES : 1;

		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
		    sizeof intvl);
	}
#endif
#ifdef TCP_KEEPCNT
	{
		int cnt = CONN_KEEPALIVE_PROBES;

		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	}
#endif
#ifdef TCP_USER_TIMEOUT
	{
		unsigned timeout = (unsigned)idle * 1000;

		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout,
		    sizeof timeout);
	}
#endif
	(void)idle;
}

static void
admit(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct conn *c;
	struct addr *a;
	char ip[SESSION_IP_BYTES];
	int sndbuf = CONN_SNDBUF;

	if (getnameinfo(sa, len, ip, sizeof ip, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(ip, sizeof ip, "?");
	if (fd >= capacity || (a = addr_get(ip)) == NULL) {
		log_info("%s: refused: descriptor %d, %d connections open", ip,
		    fd, nconns);
		stats_refused(STATS_REFUSED_FULL);
		refuse(fd, ip, busy_page, 1);
		return;
	}
	if (addr_conns(a) >= per_ip) {
		log_info("%s: refused: %d connections from this address", ip,
		    addr_conns(a));
		stats_refused(STATS_REFUSED_PER_ADDRESS);
		refuse(fd, ip, crowd_page, 1);
		return;
	}
	if (nconns >= max_conns && drop_oldest_reader() == -1) {
		log_info("%s: refused: %d connections open", ip, nconns);
		stats_refused(STATS_REFUSED_FULL);
		refuse(fd, ip, busy_page, 1);
		return;
	}
	c = &conns[fd];
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    (c->req = malloc(sizeof *c->req)) == NULL) {
		log_warn("%s: cannot admit", ip);
		close(fd);
		return;
	}
	/*
	 * Autotuning would let a reader who stopped hold megabytes in the
	 * kernel; a fixed buffer makes the -q cap the real bound.
	 */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	http_request_init(c->req);
	c->read_shut = c->refused = 0;
	c->session = NULL;
	c->websocket = 0;
	c->ws = NULL;
	c->addr = a;
	addr_conn_open(a);
	outq_init(&c->out);
	memcpy(c->ip, ip, sizeof ip);
	nconns++;
	set_state(fd, CONN_READING);
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
		/* No descriptor to spare for lingering: one write, and close. */
		if ((fd = accept(listen_fd, NULL, NULL)) != -1) {
			stats_refused(STATS_REFUSED_FULL);
			refuse(fd, "?", busy_page, 0);
		}
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
	static const char *const methods[] = { "-", "GET", "HEAD", "POST",
	    "OPTIONS" };
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
	struct chunk *ch;

	if (out->failed || (ch = chunk_new(out->data, out->len)) == NULL) {
		mark_closing(fd);
		return;
	}
	set_state(fd, CONN_RESPONDING);
	if (queue_push(fd, ch, (size_t)-1) == -1)
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

/* Runs a request; later is the token of one that waited, else NULL. */
static void
dispatch(int fd, void *later)
{
	struct conn *c = &conns[fd];
	struct web_request req;
	struct web_response resp;

	req.http = c->req;
	req.ip = c->ip;
	req.conn.fd = fd;
	req.conn.gen = c->gen;
	req.now = now;
	req.gen = ++wait_gens;
	req.later = later;
	resp.status = HTTP_INTERNAL_ERROR;
	resp.stream = NULL;
	resp.pending = 0;
	resp.watching = 0;
	buf_init(&resp.out);
	web_handle(&req, &resp);
	if (resp.pending) {
		/* Nothing watched: the helper's answer comes through conn_resume(). */
		stats_conn_state(c->state, CONN_WAITING);
		c->state = CONN_WAITING;
		c->wait_gen = req.gen;
		buf_free(&resp.out);
		update_watch(fd);
		return;
	}
	access_log(c, resp.status, resp.stream || resp.watching ? 0 :
	    resp.out.len);
	if (resp.stream != NULL || resp.watching) {
		/* A stream can be cut off or reloaded while its history is queued. */
		if (c->state == CONN_READING) {
			set_state(fd, CONN_STREAMING);
			stream_nodelay(fd);
			stream_keepalive(fd);
		}
		if (c->state != CONN_RESPONDING)
			c->session = resp.stream;
		c->watcher = resp.watching;
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
	/* HEAD: the head alone, even here; under /api/ a JSON error. */
	web_error_for(&out, conns[fd].req->path, conns[fd].req->head_only,
	    status, why);
	access_log(&conns[fd], status, out.len);
	respond(fd, &out);
	buf_free(&out);
	free(conns[fd].req);
	conns[fd].req = NULL;
	update_watch(fd);
}

/*
 * The client went or spoke in a way that ends the WebSocket: a close
 * frame (echo its code), or one we send (a failure, binary).  The stream
 * is lost as when a connection drops: the session has its grace period.
 */
static void
ws_finish(int fd, unsigned code, const char *reason)
{
	struct conn *c = &conns[fd];
	struct session *s = c->session;
	struct conn_handle h;

	h.fd = fd;
	h.gen = c->gen;
	c->session = NULL;
	if (reason != NULL)
		log_info("%s: WebSocket closed with %u: %s", c->ip, code,
		    reason);
	ws_send_close(fd, code, reason);
	if (c->state != CONN_CLOSING) {
		set_state(fd, CONN_RESPONDING);
		update_watch(fd);
	}
	if (s != NULL && session_stream_lost(s, h, now))
		cmd_end(s, SESSION_TIMEOUT, NULL);
}

/*
 * A text message: one talk line.  Refusals come back as notices; those
 * of the rate limit at most once per token, so that a flood of frames
 * gets a trickle of notices and no growing queue.
 */
static void
ws_text(int fd, const char *data, size_t len)
{
	static char line[WS_MESSAGE_MAX + 1];
	struct conn *c = &conns[fd];
	struct buf reply;
	int status;

	/* A watcher is read only: what it says goes nowhere. */
	if (c->session == NULL)
		return;
	memcpy(line, data, len);
	line[len] = '\0';
	buf_init(&reply);
	status = api_ws_line(c->session, line, len, now, &reply);
	/* A /quit or a kick may have ended the session: c->session is NULL. */
	if (status != HTTP_OK && c->session != NULL && *buf_str(&reply) &&
	    (status != HTTP_TOO_MANY_REQUESTS ||
	    now - c->ws_refused >= SESSION_REFILL_MS)) {
		if (status == HTTP_TOO_MANY_REQUESTS)
			c->ws_refused = now;
		session_notice(c->session, "%s", buf_str(&reply));
	}
	buf_free(&reply);
}

/* One message or control frame from the parser. */
static void
ws_event(int fd, enum ws_event ev)
{
	struct conn *c = &conns[fd];
	struct ws_parser *p = c->ws;
	char frame[WS_CONTROL_FRAME_MAX];

	if (ev != WS_EV_FAIL) {
		/* Heard: the silence timer starts again. */
		c->ws_pings = 0;
		list_append(fd, LIST_WS);
	}
	switch (ev) {
	case WS_EV_TEXT:
		ws_text(fd, p->data, p->len);
		break;
	case WS_EV_BINARY:
		ws_finish(fd, WS_CLOSE_UNSUPPORTED, "Only text messages are "
		    "taken.");
		break;
	case WS_EV_PING:
		ws_send(fd, frame, ws_pong_frame(frame, p->data, p->len));
		break;
	case WS_EV_CLOSE:
		ws_finish(fd, p->code, NULL);
		break;
	case WS_EV_FAIL:
		ws_finish(fd, p->code, p->reason);
		break;
	default:
		break;
	}
}

/* Feeds a WebSocket's bytes to its parser until they run out or it ends. */
static void
ws_input(int fd, const char *data, size_t n)
{
	struct conn *c = &conns[fd];
	enum ws_event ev;
	size_t used;

	if (c->ws == NULL) {
		if ((c->ws = malloc(sizeof *c->ws)) == NULL) {
			mark_closing(fd);
			return;
		}
		ws_parser_init(c->ws);
	}
	while (n > 0 && c->state == CONN_STREAMING &&
	    (c->session != NULL || c->watcher)) {
		ev = ws_parse(c->ws, data, n, &used);
		data += used;
		n -= used;
		if (ev == WS_EV_MORE)
			break;
		ws_event(fd, ev);
	}
	/*
	 * Between frames the parser holds nothing: an idle WebSocket keeps
	 * no 8 KiB message buffer, only a pong now and then needs one.
	 */
	if (c->ws != NULL && ws_parser_idle(c->ws)) {
		free(c->ws);
		c->ws = NULL;
	}
}

/*
 * Reads what input there is: the byte count, or 0 when there is none to
 * handle (nothing yet; or EOF or an error, and the connection closes).
 */
static ssize_t
read_some(int fd, char *data, size_t size)
{
	ssize_t n;

	if ((n = read(fd, data, size)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			mark_closing(fd);
		return 0;
	}
	if (n == 0)
		mark_closing(fd);	/* gone, close frame or not */
	return n;
}

/* Input on a WebSocket: at most CONN_READ_MAX bytes a pass, as any other. */
static void
read_ws(int fd)
{
	char data[CONN_READ_MAX];
	ssize_t n;

	if ((n = read_some(fd, data, sizeof data)) == 0)
		return;
	ws_input(fd, data, (size_t)n);
	if (conns[fd].state == CONN_STREAMING)
		update_watch(fd);	/* reading may pause for its output */
}

/*
 * Silent for -k: a ping; for 2 x -k: another; for 3 x -k: the client is
 * gone (it answers no ping, or stopped mid-frame) and is closed.
 */
static void
ws_expired(int fd)
{
	struct conn *c = &conns[fd];
	char frame[WS_CONTROL_FRAME_MAX];

	if (c->ws_pings >= CONN_WS_PINGS) {
		log_info("%s: WebSocket closed: silent for %lld ms", c->ip,
		    (long long)c->ws_pings * list_timeout[LIST_WS] +
		    (now - c->since));
		mark_closing(fd);
		return;
	}
	c->ws_pings++;
	list_append(fd, LIST_WS);
	ws_send(fd, frame, ws_ping_frame(frame, "", 0));
}

static void
read_request(int fd)
{
	struct conn *c = &conns[fd];
	char data[CONN_READ_MAX];
	enum http_status st;
	size_t used;
	ssize_t n;

	if ((n = read_some(fd, data, sizeof data)) == 0)
		return;
	st = http_parse(c->req, data, (size_t)n, &used);
	if (st == HTTP_OK) {
		dispatch(fd, NULL);
		/* A client may send its first frames right behind the head. */
		if (c->websocket && used < (size_t)n)
			ws_input(fd, data + used, (size_t)n - used);
	} else if (st != HTTP_INCOMPLETE)
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

	size_t before = c->out.bytes;

	if (outq_write(&c->out, fd, CONN_WRITE_MAX) == -1) {
		mark_closing(fd);
		return;
	}
	queue_changed(c, before);
	if (c->out.bytes == 0 && c->state == CONN_RESPONDING) {
		/*
		 * Closing with unread input would reset the connection and
		 * could destroy the response: half-close and wait for EOF.
		 */
		if (c->read_shut || shutdown(fd, SHUT_WR) == -1) {
			mark_closing(fd);
			return;
		}
		set_state(fd, CONN_LINGERING);
	}
	update_watch(fd);
}

/*
 * The route upgraded the request's connection: the 101 goes first, and
 * the parser (WS_MESSAGE_MAX and more) exists only for WebSockets.
 */
static int
conn_websocket(struct conn_handle h, const char *head, size_t len)
{
	struct conn *c = conn_get(h);
	struct chunk *ch;

	if (c == NULL || c->websocket || (ch = chunk_new(head, len)) == NULL)
		return -1;
	c->websocket = 1;
	c->ws_pings = 0;
	c->ws_refused = 0;
	if (queue_push(h.fd, ch, (size_t)-1) == 0)
		mark_dirty(h.fd);
	chunk_unref(ch);
	return 0;
}

void
conn_stopping(void)
{
	stopping = 1;
}

/*
 * A waiting request's answer is ready: the request runs again with its
 * token, unless its connection is gone (the descriptor may serve another
 * client by now, which the generation tells).  0, or -1 if gone.
 */
static int
conn_resume(int fd, unsigned long gen, void *later)
{
	if (fd < 0 || fd >= capacity || conns[fd].state != CONN_WAITING ||
	    conns[fd].wait_gen != gen)
		return -1;
	now = loop_now_ms();
	stats_conn_state(CONN_WAITING, CONN_READING);
	conns[fd].state = CONN_READING;
	dispatch(fd, later);
	return 0;
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
	else if ((ready & LOOP_READ) && c->websocket &&
	    c->state == CONN_STREAMING)
		read_ws(fd);
	else if (ready & LOOP_READ)
		read_rest(fd);
	if ((ready & LOOP_WRITE) && (c->state == CONN_RESPONDING ||
	    c->state == CONN_STREAMING))
		write_some(fd);
}

/*
 * Writes to at most max connections that got output, oldest first.  A
 * broadcast to 10,000 streams is not written in one go: between slices
 * the loop takes new requests, and what they broadcast joins the queues
 * of the streams not written yet, which then take both events in one
 * write.  So under load a stream is written fewer times than it gets
 * events, and a new event waits for at most one round of the ring, not
 * for the whole broadcast before it and then its own.
 */
static void
flush_dirty(int max)
{
	int fd;

	while (ndirty > 0 && max-- > 0) {
		fd = dirty[dhead];
		dhead = (dhead + 1) % capacity;
		ndirty--;
		conns[fd].dirty = 0;
		if (conns[fd].state == CONN_RESPONDING ||
		    conns[fd].state == CONN_STREAMING)
			write_some(fd);
	}
}

static void
reap(void)
{
	struct conn_handle h;
	struct session *s;
	int fd;

	while (nclosing > 0) {
		fd = closing[--nclosing];
		h.fd = fd;
		h.gen = conns[fd].gen;
		s = conns[fd].session;
		release(fd);
		/* May end the session and broadcast a leave: more to flush. */
		if (s != NULL && session_stream_lost(s, h, now))
			cmd_end(s, SESSION_TIMEOUT, NULL);
		else if (s == NULL)
			room_watch_lost(h);
	}
}

/* Closes what ran out of time: only list heads are looked at. */
static void
sweep(void)
{
	int l, fd;

	if (accept_paused_until && now >= accept_paused_until) {
		accept_paused_until = 0;
		watch_listeners(1);
	}
	for (l = LIST_NONE + 1; l < LIST_COUNT; l++)
		while ((fd = lists[l].head) >= 0 &&
		    now - conns[fd].since >= list_timeout[l]) {
			if (l == LIST_WS)
				ws_expired(fd);
			else
				mark_closing(fd);
		}
	addr_sweep(now);
}

void
conn_pass(long timeout_ms)
{
	/* Writes left from the last slice: only look for input. */
	if (loop_wait(ndirty > 0 ? 0 : timeout_ms) == -1)
		log_warn("%s", loop_backend());
	now = loop_now_ms();
	sweep();
	session_sweep(now, cmd_expired);
	room_sweep(now);
	api_sweep(now);
	flush_dirty(CONN_FLUSH_SLICE);
	reap();		/* what the closes broadcast waits its turn in the ring */
}

void
conn_drain(long ms)
{
	long long until = loop_now_ms() + ms;

	watch_listeners(0);
	now = loop_now_ms();
	for (;;) {
		while (ndirty > 0 || nclosing > 0) {
			flush_dirty(ndirty);
			reap();
		}
		if (nqueued == 0 || (now = loop_now_ms()) >= until)
			break;
		if (loop_wait(until - now < CONN_DRAIN_STEP_MS ? until - now :
		    CONN_DRAIN_STEP_MS) == -1)
			break;
	}
}
