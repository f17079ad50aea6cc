/* itest_ws.c: /api/ws end to end with a small masked-frame client, and python3-websockets. */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "suites.h"
#include "ws.h"

#define WAIT_MS		3000
#define KEY		"dGhlIHNhbXBsZSBub25jZQ=="	/* RFC 6455 1.3 */
#define ACCEPT		"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define FRAME_MAX	(64 * 1024)

/* A WebSocket client: its socket and what it read but did not yet take. */
struct wsc {
	int		 fd;
	int		 eof;
	char		 head[4096];	/* the handshake answer */
	unsigned char	 in[FRAME_MAX + 16];
	size_t		 len;
};

/* A server frame. */
struct frame {
	int		 op;
	int		 fin;
	size_t		 len;
	char		 data[FRAME_MAX + 1];
};

/* The end of the head in what was read, or NULL. */
static unsigned char *
head_end(struct wsc *c)
{
	size_t i;

	for (i = 0; i + 4 <= c->len; i++)
		if (memcmp(c->in + i, "\r\n\r\n", 4) == 0)
			return c->in + i;
	return NULL;
}

/* Reads more into c->in; 0 at EOF or after ms. */
static int
more(struct wsc *c, int ms)
{
	struct pollfd p;
	ssize_t n;

	if (c->eof || c->len == sizeof c->in)
		return 0;
	p.fd = c->fd;
	p.events = POLLIN;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = read(c->fd, c->in + c->len, sizeof c->in - c->len);
	if (n <= 0) {
		c->eof = 1;
		return 0;
	}
	c->len += (size_t)n;
	return 1;
}

/*
 * Sends the upgrade request for /api/ws with the given query and extra
 * header lines, and reads the answer's head (and, unless 101, its body).
 * Returns the status.
 */
static int
wsc_open(struct wsc *c, int port, const char *query, const char *headers)
{
	char req[2048];
	unsigned char *end;
	long long until = itest_now() + WAIT_MS;
	int status = 0;
	size_t hl;

	memset(c, 0, sizeof *c);
	c->fd = cl_connect(port);
	snprintf(req, sizeof req, "GET /api/ws?%s HTTP/1.1\r\nHost: x\r\n%s\r\n",
	    query, headers);
	ck_assert(write(c->fd, req, strlen(req)) == (ssize_t)strlen(req));
	while ((end = head_end(c)) == NULL &&
	    itest_now() < until)
		more(c, 100);
	ck_assert_msg(end != NULL, "no answer head");
	hl = (size_t)(end + 4 - c->in);
	ck_assert_uint_lt(hl, sizeof c->head);
	memcpy(c->head, c->in, hl);
	c->head[hl] = '\0';
	memmove(c->in, c->in + hl, c->len - hl);
	c->len -= hl;
	sscanf(c->head, "HTTP/1.%*d %d", &status);
	if (status != 101)
		while (more(c, 200))
			;
	return status;
}

static const char *
upgrade_headers(void)
{
	return "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n";
}

/* Opens a WebSocket for sid and checks the 101. */
static void
wsc_connect(struct wsc *c, int port, const char *sid)
{
	char q[128];

	snprintf(q, sizeof q, "sid=%s", sid);
	ck_assert_int_eq(wsc_open(c, port, q, upgrade_headers()), 101);
}

/* Writes bytes whole. */
static void
put(struct wsc *c, const void *p, size_t n)
{
	ck_assert(write(c->fd, p, n) == (ssize_t)n);
}

/* Sends one frame, masked unless told otherwise. */
static void
send_frame(struct wsc *c, int op, int fin, const char *payload, size_t n,
    int masked)
{
	static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	char head[WS_HEAD_MAX], *body;
	size_t hl;

	hl = ws_frame_head(head, (enum ws_opcode)op, fin, n,
	    masked ? key : NULL);
	ck_assert_ptr_nonnull(body = malloc(n + 1));
	memcpy(body, payload, n);
	if (masked)
		ws_mask(body, n, key, 0);
	put(c, head, hl);
	put(c, body, n);
	free(body);
}

static void
send_text(struct wsc *c, const char *s)
{
	send_frame(c, WS_OP_TEXT, 1, s, strlen(s), 1);
}

/* Reads one server frame (never masked): 1, or 0 after ms or at EOF. */
static int
read_frame(struct wsc *c, struct frame *f, int ms)
{
	long long wait, until = itest_now() + ms;
	size_t hl, n;

	for (;;) {
		if (c->len >= 2) {
			ck_assert_msg(!(c->in[1] & 0x80), "a masked server frame");
			n = c->in[1] & 0x7f;
			hl = 2;
			if (n == 126 && c->len >= 4) {
				n = (size_t)c->in[2] << 8 | c->in[3];
				hl = 4;
			} else if (n == 127)
				ck_abort_msg("a server frame over 64 KiB");
			if (n < 126 || hl == 4) {
				if (c->len >= hl + n) {
					f->op = c->in[0] & 0x0f;
					f->fin = (c->in[0] & 0x80) != 0;
					f->len = n;
					memcpy(f->data, c->in + hl, n);
					f->data[n] = '\0';
					memmove(c->in, c->in + hl + n,
					    c->len - hl - n);
					c->len -= hl + n;
					return 1;
				}
			}
		}
		wait = until - itest_now();
		if (!more(c, wait > 0 ? (int)wait : 0) &&
		    (c->eof || itest_now() >= until))
			return 0;
	}
}

/* Writes bytes whole while taking in what the server sends meanwhile. */
static void
wsc_drain_put(struct wsc *c, const char *p, size_t n)
{
	static struct frame f;
	struct pollfd pf;
	ssize_t w;

	while (n > 0) {
		pf.fd = c->fd;
		pf.events = POLLIN | POLLOUT;
		ck_assert(poll(&pf, 1, WAIT_MS) > 0);
		if (pf.revents & POLLIN)
			while (read_frame(c, &f, 0))
				;	/* pongs: not looked at */
		if ((pf.revents & POLLOUT) &&
		    (w = send(c->fd, p, n, MSG_DONTWAIT)) > 0) {
			p += w;
			n -= (size_t)w;
		}
	}
}

static const char *last_text = "";	/* the text frame wait_text() found */

/* Reads frames until a text frame holds `text`: 1, or 0. */
static int
wait_text(struct wsc *c, const char *text, int ms)
{
	static struct frame f;
	long long until = itest_now() + ms;

	while (itest_now() < until)
		if (read_frame(c, &f, (int)(until - itest_now())) &&
		    f.op == WS_OP_TEXT && strstr(f.data, text) != NULL) {
			last_text = f.data;
			return 1;
		}
	return 0;
}

/* Reads frames until one of opcode op: 1 (f holds it), or 0. */
static int
wait_op(struct wsc *c, int op, struct frame *f, int ms)
{
	long long until = itest_now() + ms;

	while (itest_now() < until)
		if (read_frame(c, f, (int)(until - itest_now())) && f->op == op)
			return 1;
	return 0;
}

/* Waits for the server's close frame: its code, or -1 if none came. */
static int
wait_close(struct wsc *c, int ms)
{
	static struct frame f;

	if (!wait_op(c, WS_OP_CLOSE, &f, ms))
		return -1;
	if (f.len < 2)
		return (int)WS_CLOSE_NO_STATUS;
	return (unsigned char)f.data[0] << 8 | (unsigned char)f.data[1];
}

/* 1 if the server closes the TCP connection within ms. */
static int
wait_eof(struct wsc *c, int ms)
{
	long long until = itest_now() + ms;

	while (!c->eof && itest_now() < until) {
		more(c, 50);
		c->len = 0;	/* frames before the end do not matter */
	}
	return c->eof;
}

static void
wsc_close(struct wsc *c)
{
	close(c->fd);
}

START_TEST(ws_handshake_101)
{
	struct server s;
	struct wsc c;
	const char *sid;

	srv_start(&s, NULL);
	sid = cl_login(s.port, "name=alice", NULL);
	wsc_connect(&c, s.port, sid);
	ck_assert_msg(strncmp(c.head, "HTTP/1.1 101 Switching Protocols\r\n",
	    34) == 0, "%s", c.head);
	ck_assert_ptr_nonnull(strstr(c.head, "Sec-WebSocket-Accept: " ACCEPT
	    "\r\n"));
	ck_assert_ptr_null(strstr(c.head, "Connection: close"));
	/* The first event is the session's own join, with its number. */
	ck_assert(wait_text(&c, "\"type\":\"join\"", WAIT_MS));
	wsc_close(&c);
	srv_stop_clean(&s);
}
END_TEST

struct refusal {
	const char	*query;		/* %s: the sid */
	const char	*headers;
	int		 minor;		/* HTTP/1.x */
	int		 status;
	const char	*body;		/* in the answer */
};

static const struct refusal refusals[] = {
	{ "sid=%s", "Connection: Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n", 1, 400, "Upgrade" },
	{ "sid=%s", "Upgrade: websocket\r\nSec-WebSocket-Key: " KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n", 1, 400, "Connection" },
	{ "sid=%s", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n", 1,
	    400, "Sec-WebSocket-Key" },
	{ "sid=%s", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\n", 1, 400, "Sec-WebSocket-Key" },
	{ "sid=%s", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 8\r\n", 1,
	    400, "Sec-WebSocket-Version: 13\r\n" },
	{ "sid=%s", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\n", 1, 400, "{\"error\":" },
	{ "sid=%s", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n", 0,
	    400, "HTTP/1.1" },
	{ "sid=0123456789abcdef0123456789abcdef", "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n", 1, 403, "{\"error\":" },
	{ "", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n", 1,
	    403, "{\"error\":" },
};

/* Each bad handshake: 400 (403 for the sid) with a JSON reason, and Connection: close. */
START_TEST(ws_handshake_refused)
{
	const struct refusal *r = &refusals[_i];
	struct server s;
	struct reply rp;
	char q[128], req[1024];
	const char *sid;

	srv_start(&s, NULL);
	sid = cl_login(s.port, "name=alice", NULL);
	snprintf(q, sizeof q, r->query, sid);
	snprintf(req, sizeof req, "GET /api/ws?%s HTTP/1.%d\r\nHost: x\r\n%s\r\n",
	    q, r->minor, r->headers);
	cl_raw(s.port, req, strlen(req), &rp);
	ck_assert_int_eq(rp.status, r->status);
	ck_assert_msg(strstr(rp.head, r->body) || strstr(rp.body, r->body),
	    "%s%s", rp.head, rp.body);
	ck_assert_ptr_nonnull(strstr(rp.head, "Connection: close"));
	ck_assert_ptr_nonnull(strstr(rp.body, "{\"error\":"));
	reply_free(&rp);
	srv_stop_clean(&s);
}
END_TEST

/* A text frame is a line the room sees; events come as numbered objects. */
START_TEST(ws_lines_and_events)
{
	struct server s;
	struct wsc a, b;
	char sa[33], sb[33];

	srv_start(&s, NULL);
	strcpy(sa, cl_login(s.port, "name=alice", NULL));
	strcpy(sb, cl_login(s.port, "name=bob", NULL));
	wsc_connect(&a, s.port, sa);
	wsc_connect(&b, s.port, sb);
	send_text(&b, "hello from a socket");
	ck_assert(wait_text(&a, "\"type\":\"msg\"", WAIT_MS));
	ck_assert(wait_text(&b, "\"text\":\"hello from a socket\"", WAIT_MS));
	/* Numbered, with the sender and colour. */
	ck_assert_int_eq(cl_say(s.port, sa, "plain+http"), 200);
	ck_assert(wait_text(&b, "\"text\":\"plain http\"", WAIT_MS));
	ck_assert_msg(strncmp(last_text, "{\"id\":", 6) == 0, "%s", last_text);
	ck_assert_ptr_nonnull(strstr(last_text, "\"type\":\"msg\","));
	ck_assert_ptr_nonnull(strstr(last_text, "\"from\":\"alice\",\"color\":"));
	ck_assert_ptr_nonnull(strstr(last_text, "\"mention\":false}"));
	/* Commands, as in /dotalk. */
	send_text(&b, "/me waves");
	ck_assert(wait_text(&a, "\"type\":\"action\"", WAIT_MS));
	send_text(&b, "/nosuch");
	ck_assert(wait_text(&b, "Unknown command /nosuch", WAIT_MS));
	send_text(&a, "/msg bob psst");
	ck_assert(wait_text(&b, "\"type\":\"whisper\"", WAIT_MS));
	wsc_close(&a);
	wsc_close(&b);
	srv_stop_clean(&s);
}
END_TEST

/* Frames faster than the rate limit: a notice, and the socket lives on. */
START_TEST(ws_rate_limit_notice)
{
	struct server s;
	struct wsc c;
	static struct frame f;
	int i;

	srv_start(&s, NULL);
	wsc_connect(&c, s.port, cl_login(s.port, "name=alice", NULL));
	for (i = 0; i < 40; i++)
		send_text(&c, "spam");
	ck_assert(wait_text(&c, "too fast", WAIT_MS));
	send_frame(&c, WS_OP_PING, 1, "still?", 6, 1);
	ck_assert(wait_op(&c, WS_OP_PONG, &f, WAIT_MS));
	ck_assert_str_eq(f.data, "still?");
	wsc_close(&c);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(ws_ping_pong_and_close)
{
	struct server s;
	struct wsc c;
	static struct frame f;
	const char code[2] = { 0x03, (char)0xe8 };	/* 1000 */

	srv_start(&s, NULL);
	wsc_connect(&c, s.port, cl_login(s.port, "name=alice", NULL));
	send_frame(&c, WS_OP_PING, 1, "abc", 3, 1);
	ck_assert(wait_op(&c, WS_OP_PONG, &f, WAIT_MS));
	ck_assert_str_eq(f.data, "abc");
	/* A ping between the fragments of a message is answered too. */
	send_frame(&c, WS_OP_TEXT, 0, "frag", 4, 1);
	send_frame(&c, WS_OP_PING, 1, "mid", 3, 1);
	send_frame(&c, WS_OP_CONTINUATION, 1, "mented", 6, 1);
	ck_assert(wait_op(&c, WS_OP_PONG, &f, WAIT_MS));
	ck_assert_str_eq(f.data, "mid");
	ck_assert(wait_text(&c, "\"text\":\"fragmented\"", WAIT_MS));
	send_frame(&c, WS_OP_CLOSE, 1, code, 2, 1);
	ck_assert_int_eq(wait_close(&c, WAIT_MS), 1000);
	ck_assert(wait_eof(&c, WAIT_MS));
	wsc_close(&c);
	srv_stop_clean(&s);
}
END_TEST

struct bad_frame {
	const char	*what;
	int		 code;
};

static const struct bad_frame bad_frames[] = {
	{ "8 KiB + 1", WS_CLOSE_TOO_BIG },
	{ "8 KiB + 1 in two fragments", WS_CLOSE_TOO_BIG },
	{ "not UTF-8", WS_CLOSE_INVALID_DATA },
	{ "unmasked", WS_CLOSE_PROTOCOL },
	{ "binary", WS_CLOSE_UNSUPPORTED },
};

/* Each bad frame: the close code of the contract, then the end. */
START_TEST(ws_bad_frames_close)
{
	static char big[WS_MESSAGE_MAX + 1];
	struct server s;
	struct wsc c;

	srv_start(&s, NULL);
	wsc_connect(&c, s.port, cl_login(s.port, "name=alice", NULL));
	memset(big, 'x', sizeof big);
	switch (_i) {
	case 0:
		send_frame(&c, WS_OP_TEXT, 1, big, sizeof big, 1);
		break;
	case 1:
		send_frame(&c, WS_OP_TEXT, 0, big, 4096, 1);
		send_frame(&c, WS_OP_CONTINUATION, 1, big, sizeof big - 4096,
		    1);
		break;
	case 2:
		send_frame(&c, WS_OP_TEXT, 1, "ok \xff", 4, 1);
		break;
	case 3:
		send_frame(&c, WS_OP_TEXT, 1, "bare", 4, 0);
		break;
	case 4:
		send_frame(&c, WS_OP_BINARY, 1, "\x01\x02", 2, 1);
		break;
	}
	ck_assert_int_eq(wait_close(&c, WAIT_MS), bad_frames[_i].code);
	ck_assert(wait_eof(&c, WAIT_MS));
	wsc_close(&c);
	srv_stop_clean(&s);
}
END_TEST

/* With -k 1 the server pings within a second of silence. */
START_TEST(ws_server_pings)
{
	struct server s;
	struct wsc c;
	static struct frame f;
	long long t0;

	srv_start(&s, "-k", "1", NULL);
	wsc_connect(&c, s.port, cl_login(s.port, "name=alice", NULL));
	t0 = itest_now();
	ck_assert(wait_op(&c, WS_OP_PING, &f, 2000));
	ck_assert_int_lt(itest_now() - t0, 1600);
	/* Answered: the connection stays well past 3 x -k. */
	do {
		send_frame(&c, WS_OP_PONG, 1, f.data, f.len, 1);
		ck_assert(wait_op(&c, WS_OP_PING, &f, 2000));
	} while (itest_now() - t0 < 4500);
	ck_assert(!c.eof);
	wsc_close(&c);
	srv_stop_clean(&s);
}
END_TEST

/* A client silent for 3 x -k is closed, and so is one that stops mid-frame. */
START_TEST(ws_silent_client_closed)
{
	struct server s;
	struct wsc c;
	long long t0;

	srv_start(&s, "-k", "1", NULL);
	wsc_connect(&c, s.port, cl_login(s.port, "name=alice", NULL));
	t0 = itest_now();
	ck_assert(wait_eof(&c, 6000));
	ck_assert_int_ge(itest_now() - t0, 2500);
	ck_assert_int_lt(itest_now() - t0, 4800);
	wsc_close(&c);

	wsc_connect(&c, s.port, cl_login(s.port, "name=bob", NULL));
	put(&c, "\x81\x85\x01", 3);	/* half a head */
	t0 = itest_now();
	ck_assert(wait_eof(&c, 6000));
	ck_assert_int_ge(itest_now() - t0, 2500);
	wsc_close(&c);
	ck_assert(srv_logged(&s, "WebSocket closed: silent", WAIT_MS));
	srv_stop_clean(&s);
}
END_TEST

/* A second stream of any kind replaces a WebSocket: an end event, close 1000. */
START_TEST(ws_replaced)
{
	struct server s;
	struct wsc a, b;
	struct stream t;
	char sid[33];

	srv_start(&s, NULL);
	strcpy(sid, cl_login(s.port, "name=alice", NULL));
	wsc_connect(&a, s.port, sid);
	ck_assert(wait_text(&a, "\"type\":\"join\"", WAIT_MS));
	wsc_connect(&b, s.port, sid);
	ck_assert(wait_text(&a, "\"type\":\"end\"", WAIT_MS));
	ck_assert_int_eq(wait_close(&a, WAIT_MS), 1000);
	wsc_close(&a);
	/* The new one works; an HTML stream replaces it the same way. */
	send_text(&b, "still here");
	ck_assert(wait_text(&b, "still here", WAIT_MS));
	ck_assert_int_eq(stream_open(&t, s.port, sid, NULL), 200);
	ck_assert(wait_text(&b, "\"type\":\"end\"", WAIT_MS));
	ck_assert_int_eq(wait_close(&b, WAIT_MS), 1000);
	/* A WebSocket replaces the HTML stream in turn. */
	wsc_connect(&a, s.port, sid);
	ck_assert(stream_wait_eof(&t, WAIT_MS));
	stream_close(&t);
	wsc_close(&a);
	wsc_close(&b);
	srv_stop_clean(&s);
}
END_TEST

/*
 * A client that floods pings and reads nothing: the server stops reading
 * it once its pongs back up (-q / 2), so the flood stalls in the kernel
 * instead of growing a queue; read again, and the socket still works.
 */
START_TEST(ws_flood_is_not_buffered)
{
	static char ping[WS_HEAD_MAX + WS_CONTROL_MAX];
	static const unsigned char key[4] = { 1, 2, 3, 4 };
	struct server s;
	static struct frame f;
	struct wsc c;
	size_t n, off = 0, sent = 0;
	long long stalled = 0;
	ssize_t w;
	char q[128];

	srv_start(&s, "-q", "16", NULL);
	snprintf(q, sizeof q, "sid=%s", cl_login(s.port, "name=alice", NULL));
	ck_assert_int_eq(wsc_open(&c, s.port, q, upgrade_headers()), 101);
	n = ws_frame_head(ping, WS_OP_PING, 1, WS_CONTROL_MAX, key);
	memset(ping + n, 'p', WS_CONTROL_MAX);
	ws_mask(ping + n, WS_CONTROL_MAX, key, 0);
	n += WS_CONTROL_MAX;
	ck_assert(fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK) !=
	    -1);
	/* Until writes have failed for half a second, at most 16 MiB. */
	while (sent < 16u * 1024 * 1024) {
		if ((w = write(c.fd, ping + off, n - off)) > 0) {
			sent += (size_t)w;
			off = (off + (size_t)w) % n;
			stalled = 0;
			continue;
		}
		ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
		if (stalled == 0)
			stalled = itest_now();
		else if (itest_now() - stalled > 500)
			break;
		poll(NULL, 0, 10);
	}
	/* The last frame whole, for the parser to resume cleanly. */
	ck_assert(fcntl(c.fd, F_SETFL, 0) != -1);
	if (off > 0)
		wsc_drain_put(&c, ping + off, n - off);
	ck_assert_msg(sent < 16u * 1024 * 1024, "the server read %zu bytes "
	    "of pings without pause", sent);
	/* It reads again once its answers are taken, and still talks. */
	while (wait_op(&c, WS_OP_PONG, &f, 1000))
		;
	ck_assert(!c.eof);
	send_text(&c, "after the flood");
	ck_assert(wait_text(&c, "after the flood", 10000));
	ck_assert(!srv_logged(&s, "cut off", 0));
	wsc_close(&c);
	srv_stop_clean(&s);
}
END_TEST

/* /passwd answers later, off the loop: the answer comes as a notice. */
START_TEST(ws_passwd_answers_later)
{
	struct server s;
	struct wsc c;
	struct reply r;
	const char *sid;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	cl_post(s.port, "/register", "name=carol&passwd=secret1", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert_ptr_nonnull(sid = cl_login(s.port,
	    "name=carol&passwd=secret1", NULL));
	wsc_connect(&c, s.port, sid);
	send_text(&c, "/passwd wrong secret2");
	ck_assert(wait_text(&c, "The old password is wrong.", WAIT_MS));
	send_text(&c, "/passwd secret1 secret2");
	ck_assert(wait_text(&c, "Your password is changed.", WAIT_MS));
	send_text(&c, "and on");
	ck_assert(wait_text(&c, "\"text\":\"and on\"", WAIT_MS));
	wsc_close(&c);
	srv_stop_clean(&s);
}
END_TEST

/* A server that stops says so, then closes with 1001 (going away). */
START_TEST(ws_shutdown_going_away)
{
	struct server s;
	struct wsc c;

	srv_start(&s, NULL);
	wsc_connect(&c, s.port, cl_login(s.port, "name=alice", NULL));
	ck_assert(wait_text(&c, "\"type\":\"join\"", WAIT_MS));
	srv_stop_clean(&s);
	ck_assert(wait_text(&c, "\"type\":\"end\"", WAIT_MS));
	ck_assert_int_eq(wait_close(&c, WAIT_MS), 1001);
	wsc_close(&c);
}
END_TEST

/* since=N replays what came after N, as on every stream. */
START_TEST(ws_since_replays)
{
	struct server s;
	struct wsc c;
	char sid[33], q[128];

	srv_start(&s, NULL);
	strcpy(sid, cl_login(s.port, "name=alice", NULL));
	ck_assert_int_eq(cl_say(s.port, sid, "first"), 200);
	ck_assert_int_eq(cl_say(s.port, sid, "second"), 200);
	snprintf(q, sizeof q, "sid=%s&since=0", sid);
	ck_assert_int_eq(wsc_open(&c, s.port, q, upgrade_headers()), 101);
	ck_assert(wait_text(&c, "\"text\":\"first\"", WAIT_MS));
	ck_assert(wait_text(&c, "\"text\":\"second\"", WAIT_MS));
	wsc_close(&c);
	srv_stop_clean(&s);
}
END_TEST

/*
 * A third-party client, Debian's python3-websockets, driven by
 * tests/ws_client.py: it connects, receives an event, sends a line and
 * sees it come back.  Skipped, saying so, only where python3 or the
 * module is missing; CI installs both.
 */
START_TEST(ws_python_client)
{
	static const char *const pythons[] = { "/usr/bin/python3", "python3" };
	struct server s;
	char cmd[512];
	const char *sid, *py = NULL;
	size_t i;
	int rc;

	/* Debian's own python3 first: a python3 earlier in PATH may lack it. */
	for (i = 0; i < sizeof pythons / sizeof pythons[0] && py == NULL; i++) {
		snprintf(cmd, sizeof cmd, "%s -c 'import websockets' "
		    ">/dev/null 2>&1", pythons[i]);
		if (system(cmd) == 0)
			py = pythons[i];
	}
	if (py == NULL) {
		fprintf(stderr, "itest_ws: SKIPPED ws_python_client: no python3 "
		    "with the websockets module (Debian: python3-websockets)\n");
		return;
	}
	srv_start(&s, NULL);
	sid = cl_login(s.port, "name=alice", NULL);
	snprintf(cmd, sizeof cmd, "%s tests/ws_client.py %d %s", py, s.port,
	    sid);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "tests/ws_client.py failed: %d", rc);
	srv_stop_clean(&s);
}
END_TEST

/* -W: a WebSocket of a room without a session; 403 without -W, 404 for no room. */
START_TEST(ws_watcher_reads_only)
{
	struct server s, plain;
	struct wsc c;
	const char *sid;
	int status;

	srv_start(&plain, NULL);
	ck_assert_int_eq(wsc_open(&c, plain.port, "room=lobby",
	    upgrade_headers()), 403);
	close(c.fd);
	srv_stop_clean(&plain);
	srv_start(&s, "-W", NULL);
	ck_assert_int_eq(wsc_open(&c, s.port, "room=nosuch", upgrade_headers()),
	    404);
	close(c.fd);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=alice&room=lobby",
	    &status));
	ck_assert_int_eq(wsc_open(&c, s.port, "room=lobby", upgrade_headers()),
	    101);
	ck_assert(wait_text(&c, "\"type\":\"join\"", WAIT_MS));
	/* What a watcher says goes nowhere; it still hears the room. */
	send_text(&c, "from the watcher");
	ck_assert_int_eq(cl_say(s.port, sid, "from+alice"), 200);
	ck_assert(wait_text(&c, "from alice", WAIT_MS));
	ck_assert(strstr(last_text, "from the watcher") == NULL);
	close(c.fd);
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_ws_suite(void)
{
	Suite *s = suite_create("itest_ws");
	TCase *tc = tcase_create("ws");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, ws_handshake_101);
	tcase_add_test(tc, ws_watcher_reads_only);
	tcase_add_loop_test(tc, ws_handshake_refused, 0,
	    (int)(sizeof refusals / sizeof refusals[0]));
	tcase_add_test(tc, ws_lines_and_events);
	tcase_add_test(tc, ws_rate_limit_notice);
	tcase_add_test(tc, ws_ping_pong_and_close);
	tcase_add_loop_test(tc, ws_bad_frames_close, 0,
	    (int)(sizeof bad_frames / sizeof bad_frames[0]));
	tcase_add_test(tc, ws_server_pings);
	tcase_add_test(tc, ws_silent_client_closed);
	tcase_add_test(tc, ws_replaced);
	tcase_add_test(tc, ws_since_replays);
	tcase_add_test(tc, ws_flood_is_not_buffered);
	tcase_add_test(tc, ws_passwd_answers_later);
	tcase_add_test(tc, ws_shutdown_going_away);
	tcase_add_test(tc, ws_python_client);
	suite_add_tcase(s, tc);
	return s;
}
