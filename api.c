/* api.c: the JSON API under /api/: login, say, names, rooms, leave, and the SSE and long-poll streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cmd.h"
#include "config.h"
#include "event.h"
#include "fmt_json.h"
#include "http.h"
#include "json.h"
#include "later.h"
#include "login.h"
#include "presence.h"
#include "room.h"
#include "session.h"
#include "stream.h"
#include "text.h"
#include "tokens.h"
#include "ws.h"

#define API_GET		0x1	/* methods a route answers; HEAD goes with GET */
#define API_POST	0x2

/* A long poll waiting as its session's stream, until its deadline. */
struct poll_wait {
	char		 sid[SESSION_SID_LEN + 1];
	struct conn_handle conn;
	long long	 deadline;	/* ms */
	struct poll_wait *next;
};

struct api {
	const struct web_request *req;
	struct web_response	*resp;
	int			 head_only;
	struct later		*later;	/* the result a resumed request waited for */
};

/* Waiting polls in order of deadline. */
static struct poll_wait *waits;

int
api_path(const char *path)
{
	size_t n = strlen(API_PREFIX);

	return strncmp(path, API_PREFIX, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/*
 * A response: the head (with more header lines, such as "Allow: GET\r\n",
 * when extra is not NULL) and the body, or the head alone for HEAD.
 */
static void
respond(struct buf *out, int head_only, int status, const struct buf *body,
    const char *extra)
{
	struct buf head;

	buf_init(&head);
	http_response_head(&head, status, API_TYPE, (long)body->len,
	    HTTP_NO_STORE);
	if (extra != NULL)
		web_head_lines(&head, extra);
	buf_add(out, buf_str(&head), head.len);
	buf_free(&head);
	if (!head_only)
		buf_add(out, buf_str(body), body->len);
}

void
api_error(struct buf *out, int head_only, int status, const char *reason)
{
	struct buf body;

	buf_init(&body);
	json_error(&body, reason);
	respond(out, head_only, status, &body, NULL);
	buf_free(&body);
}

static int
fail(struct api *a, int status, const char *reason)
{
	a->resp->status = status;
	api_error(&a->resp->out, a->head_only, status, reason);
	return status;
}

/* A 200 with the JSON in body. */
static int
ok(struct api *a, const struct buf *body)
{
	if (body->failed)
		return fail(a, HTTP_INTERNAL_ERROR, "The server ran out of "
		    "memory.");
	a->resp->status = HTTP_OK;
	respond(&a->resp->out, a->head_only, HTTP_OK, body, NULL);
	return HTTP_OK;
}

static int
ok_true(struct api *a)
{
	struct buf body;

	buf_init(&body);
	json_obj_begin(&body);
	json_kv_bool(&body, "ok", 1);
	json_obj_end(&body);
	ok(a, &body);
	buf_free(&body);
	return HTTP_OK;
}

/* web_param() for this request. */
static int
param(const struct api *a, const char *key, char *out, size_t size, int raw)
{
	return web_param(a->req, key, out, size, raw);
}

/* The session a request names, or NULL after answering 403. */
static struct session *
need_session(struct api *a)
{
	char sid[SESSION_SID_LEN + 2];
	struct session *s;

	if (param(a, "sid", sid, sizeof sid, 0) == SESSION_SID_LEN &&
	    (s = session_find(sid)) != NULL)
		return s;
	fail(a, HTTP_FORBIDDEN, *sid ? "This session has ended or never "
	    "existed." : "The request names no session (sid).");
	return NULL;
}

static int
api_login(struct api *a)
{
	char name[WEB_VALUE_MAX], passwd[WEB_VALUE_MAX], room[WEB_VALUE_MAX];
	char color[WEB_VALUE_MAX];
	struct login l;
	struct buf body;
	int status;

	param(a, "name", name, sizeof name, 0);
	param(a, "passwd", passwd, sizeof passwd, 0);
	param(a, "room", room, sizeof room, 0);
	param(a, "color", color, sizeof color, 0);
	login_init(&l, a->req, name, passwd, room, color);
	if ((status = login_run(&l)) == LOGIN_PENDING) {
		a->resp->pending = 1;
		return 0;
	}
	if (status != 0)
		return fail(a, status, l.why);
	buf_init(&body);
	json_obj_begin(&body);
	json_kv_str(&body, "sid", l.session->sid);
	json_kv_str(&body, "name", l.session->name);
	json_kv_str(&body, "room", l.session->room->name);
	json_kv_str(&body, "color", l.session->color);
	json_obj_end(&body);
	ok(a, &body);
	buf_free(&body);
	return HTTP_OK;
}

/*
 * A talk line, exactly as /dotalk takes it: the answer of a command goes
 * to the session's stream as a notice (cmd.c sends it), a refusal is the
 * error.
 */
static int
api_say(struct api *a)
{
	char message[WEB_VALUE_MAX], to[WEB_VALUE_MAX];
	struct session *s;
	struct later *l;
	struct buf reply;
	int n, status;

	if ((s = need_session(a)) == NULL)
		return HTTP_FORBIDDEN;
	/* /passwd answered by the helper: the line was counted the first time. */
	if (a->later != NULL)
		return a->later->status == HTTP_OK ? ok_true(a) :
		    fail(a, a->later->status, a->later->reply);
	param(a, "to", to, sizeof to, 0);
	n = param(a, "message", message, sizeof message, 1);
	if ((l = later_new(a->req->conn.fd, a->req->gen)) == NULL)
		return fail(a, HTTP_UNAVAILABLE, "The server is busy. Please "
		    "try again.");
	buf_init(&reply);
	status = cmd_talk(s, message, n < 0 ? 0 : (size_t)n, to, a->req->now,
	    &reply, later_talk, l);
	if (status == CMD_PENDING) {
		buf_free(&reply);
		a->resp->pending = 1;
		return 0;
	}
	free(l);
	if (status == HTTP_OK)
		ok_true(a);
	else
		fail(a, status, *buf_str(&reply) ? buf_str(&reply) :
		    http_reason(status));
	buf_free(&reply);
	return status;
}

static int
by_key(const void *x, const void *y)
{
	return strcmp((*(struct session *const *)x)->key,
	    (*(struct session *const *)y)->key);
}

static int
api_names(struct api *a)
{
	const struct presence_person *p;
	struct session *s, *m, **v;
	struct buf body;
	int i, j = 0, n = 0, np = 0;

	if ((s = need_session(a)) == NULL)
		return HTTP_FORBIDDEN;
	if ((v = calloc((size_t)s->room->nmembers + 1, sizeof *v)) == NULL)
		return fail(a, HTTP_INTERNAL_ERROR, "The server ran out of "
		    "memory.");
	for (m = s->room->members; m != NULL; m = m->room_next)
		v[n++] = m;
	qsort(v, (size_t)n, sizeof *v, by_key);
	buf_init(&body);
	json_obj_begin(&body);
	json_kv_str(&body, "room", s->room->name);
	json_kv_str(&body, "topic", s->room->topic);
	json_key(&body, "users");
	json_arr_begin(&body);
	p = s->room->private ? NULL : presence_room(s->room->name, &np);
	for (i = 0; i < n || j < np; ) {
		json_item(&body);
		json_obj_begin(&body);
		/* Other instances' people (-R) merge into the one order. */
		if (j < np && (i == n || strcmp(p[j].key, v[i]->key) < 0)) {
			json_kv_str(&body, "name", p[j].name);
			json_kv_str(&body, "color", p[j].color);
			json_kv_bool(&body, "op", 0);
			json_kv_str(&body, "away", p[j].away ? p[j].reason :
			    NULL);
			json_kv_bool(&body, "you", 0);
			j++;
		} else {
			json_kv_str(&body, "name", v[i]->name);
			json_kv_str(&body, "color", v[i]->color);
			json_kv_bool(&body, "op", room_is_op(s->room, v[i]));
			json_kv_str(&body, "away", v[i]->away);	/* NULL: null */
			json_kv_bool(&body, "you", v[i] == s);
			i++;
		}
		json_obj_end(&body);
	}
	json_arr_end(&body);
	json_obj_end(&body);
	free(v);
	ok(a, &body);
	buf_free(&body);
	return HTTP_OK;
}

/* The public rooms; a random pair's private room is nobody else's business. */
static int
api_rooms(struct api *a)
{
	const char *name;
	struct room *r;
	struct buf body;
	int n;

	buf_init(&body);
	json_arr_begin(&body);
	for (r = room_first(); r != NULL; r = r->next) {
		if (r->private)
			continue;
		json_item(&body);
		json_obj_begin(&body);
		json_kv_str(&body, "name", r->name);
		if (r->private || presence_room(r->name, &n) == NULL)
			n = 0;
		json_kv_int(&body, "users", r->nmembers + n);
		json_kv_str(&body, "topic", r->topic);
		json_obj_end(&body);
	}
	/* Rooms only other instances' people are in (-R). */
	for (name = presence_next_room(NULL, &n); name != NULL;
	    name = presence_next_room(name, &n)) {
		if (room_find(name) != NULL)
			continue;
		json_item(&body);
		json_obj_begin(&body);
		json_kv_str(&body, "name", name);
		json_kv_int(&body, "users", n);
		json_kv_str(&body, "topic", "");
		json_obj_end(&body);
	}
	json_arr_end(&body);
	ok(a, &body);
	buf_free(&body);
	return HTTP_OK;
}

static int
api_leave(struct api *a)
{
	struct session *s;

	if ((s = need_session(a)) == NULL)
		return HTTP_FORBIDDEN;
	cmd_end(s, SESSION_LEAVE, "left");
	return ok_true(a);
}

/* A shared event's number came (-R): the waiting publish answers. */
static void
published(void *token, unsigned long long id)
{
	char n[24];

	snprintf(n, sizeof n, "%llu", id);
	later_talk(token, id ? HTTP_OK : HTTP_INTERNAL_ERROR, id ? n :
	    "The event could not be recorded.");
}

static int
answer_id(struct api *a, unsigned long long id)
{
	struct buf body;

	buf_init(&body);
	json_obj_begin(&body);
	json_kv_ull(&body, "id", id);
	json_obj_end(&body);
	ok(a, &body);
	buf_free(&body);
	return HTTP_OK;
}

/*
 * A backend's event: numbered, kept, written to the transcript and sent
 * to every stream of the room, marked as a backend's (from.backend) so
 * that it never passes for a user's line, even under a user's name.
 * With -R the number is Redis's: the request waits for it.
 */
static int
api_publish(struct api *a)
{
	char room[WEB_VALUE_MAX], text[WEB_VALUE_MAX], from[WEB_VALUE_MAX];
	char kind[WEB_VALUE_MAX];
	struct event_source src;
	enum event_kind k = EVENT_MSG;
	enum text_verdict v;
	unsigned long long id;
	struct later *l;
	struct room *r;
	struct buf body;
	size_t len;
	int n, rc;

	if (!tokens_enabled())
		return fail(a, HTTP_NOT_FOUND, "Publishing is not enabled "
		    "(chatd runs without -T).");
	if (!tokens_check(tokens_bearer(a->req->http->authorization))) {
		buf_init(&body);
		json_error(&body, "The request needs a valid token "
		    "(Authorization: Bearer TOKEN).");
		a->resp->status = HTTP_UNAUTHORIZED;
		respond(&a->resp->out, a->head_only, HTTP_UNAUTHORIZED, &body,
		    "WWW-Authenticate: Bearer realm=\"chatd\"\r\n");
		buf_free(&body);
		return HTTP_UNAUTHORIZED;
	}
	if (a->later != NULL)
		return a->later->status == HTTP_OK ? answer_id(a,
		    strtoull(a->later->reply, NULL, 10)) :
		    fail(a, a->later->status, a->later->reply);
	param(a, "room", room, sizeof room, 0);
	n = param(a, "text", text, sizeof text, 1);
	if (param(a, "from", from, sizeof from, 0) == -1)
		snprintf(from, sizeof from, "%s", API_PUBLISH_FROM);
	param(a, "kind", kind, sizeof kind, 0);
	if (!text_valid_room(room) || strcmp(room, ROOM_RANDOM) == 0)
		return fail(a, HTTP_BAD_REQUEST, TEXT_ROOM_RULE);
	if ((r = room_find(room)) != NULL && r->private)
		return fail(a, HTTP_FORBIDDEN, "That room is a private pair.");
	if (!text_valid_name(from) || strlen(from) >= sizeof src.name)
		return fail(a, HTTP_BAD_REQUEST, TEXT_NAME_RULE);
	if (*kind == '\0' || strcmp(kind, "msg") == 0)
		k = EVENT_MSG;
	else if (strcmp(kind, "action") == 0)
		k = EVENT_ACTION;
	else if (strcmp(kind, "notice") == 0)
		k = EVENT_NOTICE;
	else
		return fail(a, HTTP_BAD_REQUEST, "The kind is msg, action or "
		    "notice.");
	len = n < 0 ? 0 : (size_t)n;
	if (n == -2)
		return fail(a, HTTP_BAD_REQUEST, text_verdict_reason(
		    TEXT_TOO_LONG));
	if ((v = text_clean_message(text, &len, (size_t)config.message_max)) !=
	    TEXT_OK)
		return fail(a, HTTP_BAD_REQUEST, text_verdict_reason(v));
	memset(&src, 0, sizeof src);
	/* A valid name fits. */
	memcpy(src.name, from, strlen(from) + 1);
	text_fold_name(src.name, src.key);
	src.backend = 1;
	if ((l = later_new(a->req->conn.fd, a->req->gen)) == NULL)
		return fail(a, HTTP_UNAVAILABLE, "The server is busy. Please "
		    "try again.");
	if ((rc = room_publish(room, &src, k, text, &id, published, l)) ==
	    ROOM_SHARED) {
		a->resp->pending = 1;
		return 0;
	}
	free(l);
	if (rc == ROOM_FULL)
		return fail(a, HTTP_UNAVAILABLE, "There are too many rooms.");
	if (rc != 0)
		return fail(a, HTTP_INTERNAL_ERROR, "The event could not be "
		    "recorded.");
	return answer_id(a, id);
}

/* 1 if the request names no session but a room: a watcher (-W). */
static int
watching(struct api *a, char *room, size_t size)
{
	if (param(a, "sid", room, size, 1) != -1)
		return 0;
	return param(a, "room", room, size, 0) >= 0;
}

/* A stream's head for HEAD: the type, no length, nothing else. */
static int
stream_head(struct api *a, const char *type)
{
	a->resp->status = HTTP_OK;
	http_response_head(&a->resp->out, HTTP_OK, type, -1, HTTP_NO_STORE);
	return HTTP_OK;
}

/* 1 if s is one to 19 digits: an event number, a timeout. */
static int
is_number(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= ROOM_SINCE_DIGITS && s[n] == '\0';
}

/*
 * Server-Sent Events.  The browser's EventSource reconnects by itself
 * with a Last-Event-ID header, which comes before since= (the URL it
 * reconnects to is the first one).
 */
static int
api_events(struct api *a)
{
	char since[ROOM_SINCE_DIGITS + 2];
	char room[WEB_VALUE_MAX];
	const char *from;
	struct session *s;

	param(a, "since", since, sizeof since, 0);
	from = is_number(a->req->http->last_event_id) ?
	    a->req->http->last_event_id : *since ? since : NULL;
	if (watching(a, room, sizeof room))
		return web_watch(a->req, a->resp, &fmt_json_sse, FMT_SSE_TYPE,
		    room, from, 0);
	if ((s = need_session(a)) == NULL)
		return HTTP_FORBIDDEN;
	if (a->head_only)
		return stream_head(a, FMT_SSE_TYPE);
	return web_stream(a->req, a->resp, s, &fmt_json_sse, from);
}

/* What a poll collects at once: event objects joined by commas. */
struct collect {
	struct buf	*body;
	const char	*sid;
	int		 n;
};

static void
collect(void *arg, struct event *ev, int marked)
{
	struct collect *c = arg;
	struct chunk *ch;

	if ((ch = event_bytes(ev, &fmt_json_poll, 0, marked, c->sid)) == NULL)
		return;
	if (c->n++ > 0)
		buf_addc(c->body, ',');
	buf_add(c->body, ch->data, ch->len);
	chunk_unref(ch);
}

/* Forgets the waits of a session's earlier polls: one at a time waits. */
static void
forget_waits(const char *sid)
{
	struct poll_wait **pp, *w;

	for (pp = &waits; (w = *pp) != NULL; )
		if (strcmp(w->sid, sid) == 0) {
			*pp = w->next;
			free(w);
		} else
			pp = &w->next;
}

/* Keeps a poll's deadline, in order; without memory it waits for an event. */
static void
add_wait(const struct session *s, struct conn_handle conn, long long deadline)
{
	struct poll_wait **pp, *w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return;
	memcpy(w->sid, s->sid, sizeof w->sid);
	w->conn = conn;
	w->deadline = deadline;
	for (pp = &waits; *pp != NULL && (*pp)->deadline <= deadline;
	    pp = &(*pp)->next)
		;
	w->next = *pp;
	*pp = w;
}

/* The session's stream is a poll waiting on conn. */
static int
poll_waiting(struct session *s, struct conn_handle conn)
{
	return session_streaming(s) && s->stream.fmt == &fmt_json_poll &&
	    s->stream.conn.fd == conn.fd && s->stream.conn.gen == conn.gen;
}

void
api_sweep(long long now)
{
	struct poll_wait *w;
	struct session *s;

	while ((w = waits) != NULL && w->deadline <= now) {
		waits = w->next;
		if ((s = session_find(w->sid)) != NULL &&
		    poll_waiting(s, w->conn))
			session_poll_done(s, now);
		free(w);
	}
}

/*
 * Long polling.  What is waiting (notices kept since the last poll, the
 * room's events after since) is answered at once with a Content-Length.
 * Else the poll becomes the session's stream with a budget of one event:
 * the first event ends it, and so do the timeout and the next poll (an
 * empty list); its answer ends with the connection.
 */
static int
api_poll(struct api *a)
{
	char since[ROOM_SINCE_DIGITS + 2], tmo[ROOM_SINCE_DIGITS + 2];
	char room[WEB_VALUE_MAX];
	struct session *s;
	struct collect c;
	struct event *ev;
	struct buf body;
	unsigned long long next = 0;
	long long timeout = API_POLL_DEFAULT_S, now = a->req->now;

	param(a, "since", since, sizeof since, 0);
	/* Not a number: as if absent. */
	if (param(a, "timeout", tmo, sizeof tmo, 0) > 0 && is_number(tmo))
		timeout = strlen(tmo) > 2 ? API_POLL_MAX_S : atoi(tmo);
	if (timeout > API_POLL_MAX_S)
		timeout = API_POLL_MAX_S;
	/* A watcher's poll with timeout 0 still answers: 1 ms. */
	if (watching(a, room, sizeof room))
		return web_watch(a->req, a->resp, &fmt_json_poll, FMT_JSON_TYPE,
		    room, is_number(since) ? since : NULL,
		    timeout > 0 ? timeout * 1000 : 1);
	if ((s = need_session(a)) == NULL)
		return HTTP_FORBIDDEN;
	if (a->head_only)
		return stream_head(a, FMT_JSON_TYPE);
	/* The poll before this one answers now, with nothing. */
	if (session_streaming(s) && s->stream.fmt == &fmt_json_poll)
		session_poll_done(s, now);
	forget_waits(s->sid);
	buf_init(&body);
	c.body = &body;
	c.sid = s->sid;
	c.n = 0;
	buf_adds(&body, "{\"events\":[");
	while ((ev = stream_take_kept(&s->stream)) != NULL) {
		collect(&c, ev, 0);
		event_unref(ev);
	}
	if (s->room != NULL)
		next = room_replay_each(s, is_number(since) ? since : NULL,
		    collect, &c);
	if (c.n > 0) {
		/* One stream at a time: this poll replaces another kind. */
		stream_end_with(&s->stream, "This stream was replaced by a "
		    "newer one.");
		buf_addc(&body, ']');
		json_kv_ull(&body, "next", next);
		json_obj_end(&body);
		ok(a, &body);
		buf_free(&body);
		session_poll_done(s, now);
		return HTTP_OK;
	}
	buf_free(&body);
	session_attach(s, a->req->conn, &fmt_json_poll, 0, now);
	session_set_cursor(s, next);
	stream_set_budget(&s->stream, 1);
	a->resp->stream = s;
	a->resp->status = HTTP_OK;
	if (timeout == 0)
		session_poll_done(s, now);
	else
		add_wait(s, a->req->conn, now + timeout * 1000);
	return HTTP_OK;
}

/*
 * 400 for an upgrade that is not one; a wrong version also names the one
 * chatd speaks (RFC 6455 4.4).
 */
static int
bad_handshake(struct api *a, enum ws_handshake why, const char *reason)
{
	struct buf out;

	a->resp->status = HTTP_BAD_REQUEST;
	buf_init(&out);
	api_error(&out, 0, HTTP_BAD_REQUEST, reason);
	if (why == WS_HS_BAD_VERSION)
		web_head_lines(&out, "Sec-WebSocket-Version: " WS_VERSION
		    "\r\n");
	buf_add(&a->resp->out, buf_str(&out), out.len);
	buf_free(&out);
	return HTTP_BAD_REQUEST;
}

/* "" when a header was absent: ws_handshake_check() takes NULL. */
static const char *
header(const char *value, int seen)
{
	return seen || *value ? value : NULL;
}

/*
 * A watcher's WebSocket (-W): refusals come before the handshake, as
 * HTTP answers; after it, the room's events, and what the client says
 * goes nowhere.
 */
static int
ws_watch(struct api *a, const char *room, const char *since)
{
	const struct http_request *h = a->req->http;
	char head[WS_RESPONSE_MAX];
	struct room *r;
	size_t n;

	if (!config.watchers || (r = room_find(room)) == NULL || r->private)
		return web_watch(a->req, a->resp, &fmt_ws, API_TYPE, room,
		    NULL, 0);	/* the 403 or 404 */
	n = ws_handshake_response(head, h->ws_key);
	if (web_upgrade(a->req->conn, head, n) == -1)
		return fail(a, HTTP_UNAVAILABLE, "The server is busy. Please "
		    "try again.");
	return web_watch(a->req, a->resp, &fmt_ws, API_TYPE, room,
	    *since ? since : NULL, 0) == HTTP_OK ? (a->resp->status = 101) :
	    a->resp->status;
}

/*
 * GET /api/ws: the handshake, then the session's stream in WebSocket
 * frames, replacing any other stream it has, with a replay after since.
 */
static int
api_ws(struct api *a)
{
	const struct http_request *h = a->req->http;
	char since[ROOM_SINCE_DIGITS + 2];	/* longer is no event number */
	char head[WS_RESPONSE_MAX], room[WEB_VALUE_MAX];
	enum ws_handshake hs;
	struct session *s;
	size_t n;

	if (h->method != HTTP_GET || h->minor != 1)
		return bad_handshake(a, WS_HS_OK, "A WebSocket opens with a GET "
		    "in HTTP/1.1.");
	hs = ws_handshake_check(header(h->upgrade, 0),
	    header(h->connection, 0), header(h->ws_key, h->has_ws_key),
	    header(h->ws_version, h->has_ws_version));
	if (hs != WS_HS_OK)
		return bad_handshake(a, hs, ws_handshake_reason(hs));
	param(a, "since", since, sizeof since, 0);
	if (watching(a, room, sizeof room))
		return ws_watch(a, room, since);
	if ((s = need_session(a)) == NULL)
		return HTTP_FORBIDDEN;
	n = ws_handshake_response(head, h->ws_key);
	if (web_upgrade(a->req->conn, head, n) == -1)
		return fail(a, HTTP_UNAVAILABLE, "The server is busy. Please "
		    "try again.");
	web_stream(a->req, a->resp, s, &fmt_ws, *since ? since : NULL);
	return a->resp->status = 101;
}

/* /passwd through a WebSocket: cmd.c has told the session already. */
static void
ws_talk_done(void *arg, int status, const char *reply)
{
	(void)arg;
	(void)status;
	(void)reply;
}

int
api_ws_line(struct session *s, char *message, size_t len, long long now,
    struct buf *reply)
{
	int status;

	status = cmd_talk(s, message, len, NULL, now, reply, ws_talk_done,
	    NULL);
	return status == CMD_PENDING ? HTTP_OK : status;
}

static const struct api_route {
	const char	*path;
	int		 methods;
	int		 (*handler)(struct api *);
} routes[] = {
	{ API_PREFIX "/login", API_POST, api_login },
	{ API_PREFIX "/say", API_POST, api_say },
	{ API_PREFIX "/names", API_GET, api_names },
	{ API_PREFIX "/rooms", API_GET, api_rooms },
	{ API_PREFIX "/leave", API_POST, api_leave },
	{ API_PREFIX "/events", API_GET, api_events },
	{ API_PREFIX "/poll", API_GET, api_poll },
	{ API_PREFIX "/ws", API_GET, api_ws },
	{ API_PREFIX "/publish", API_POST, api_publish },
};

/* 405: the route exists, the method is not one it takes. */
static int
wrong_method(struct api *a, int methods)
{
	struct buf body;

	buf_init(&body);
	json_error(&body, methods == API_POST ? "This request needs a POST." :
	    "This request takes GET or HEAD.");
	a->resp->status = HTTP_METHOD_NOT_ALLOWED;
	respond(&a->resp->out, a->head_only, HTTP_METHOD_NOT_ALLOWED, &body,
	    methods == API_POST ? "Allow: POST\r\n" : "Allow: GET, HEAD\r\n");
	buf_free(&body);
	return HTTP_METHOD_NOT_ALLOWED;
}

void
api_handle(const struct web_request *req, struct web_response *resp)
{
	const struct http_request *h = req->http;
	struct api a;
	size_t i;
	int m;

	a.req = req;
	a.resp = resp;
	a.head_only = h->method == HTTP_HEAD;
	a.later = req->later;
	m = h->method == HTTP_POST ? API_POST : API_GET;
	for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (strcmp(h->path, routes[i].path) != 0)
			continue;
		if (!(routes[i].methods & m))
			wrong_method(&a, routes[i].methods);
		else
			routes[i].handler(&a);
		return;
	}
	fail(&a, HTTP_NOT_FOUND, "There is no such request in the API.");
}
