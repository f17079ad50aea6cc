/* web.c: what each URL does: routes, pages and their templates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "api.h"
#include "cmd.h"
#include "config.h"
#include "event.h"
#include "fmt.h"
#include "frames.h"
#include "later.h"
#include "log.h"
#include "login.h"
#include "presence.h"
#include "queue.h"
#include "room.h"
#include "session.h"
#include "status.h"
#include "stream.h"
#include "text.h"
#include "tokens.h"
#include "web.h"

#define WEB_HTML		"text/html; charset=utf-8"

/* A template variable: {{name}} becomes html, which is already escaped. */
struct var {
	const char	*name;
	const char	*html;
};

struct ctx {
	const struct web_request *req;
	struct web_response	*resp;
	int			 head_only;	/* HEAD: answer as GET, change nothing */
	struct later		*later;		/* the result a resumed request waited for */
};

/* Other sites allowed to post, as web_set_origins() gave them. */
static const char *const *origins;
static int norigins;

/* Expands the {{name}} markers of a template. */
static void
render(struct buf *b, const char *tpl, size_t len, const struct var *vars)
{
	const char *p = tpl, *end = tpl + len, *open, *close;
	const struct var *v;
	size_t n;

	while ((open = strstr(p, "{{")) != NULL &&
	    (close = strstr(open, "}}")) != NULL) {
		buf_add(b, p, (size_t)(open - p));
		n = (size_t)(close - open - 2);
		for (v = vars; v->name != NULL; v++)
			if (strlen(v->name) == n && memcmp(v->name, open + 2, n) == 0)
				buf_adds(b, v->html);
		p = close + 2;
	}
	buf_add(b, p, (size_t)(end - p));
}

/* Appends s HTML-escaped. */
static void
esc(struct buf *b, const char *s)
{
	http_html_escape(b, s, strlen(s));
}

/* A response: head plus body, or the head alone for HEAD. */
static void
respond(struct buf *out, int head_only, int status, const char *type,
    const struct buf *body, int flags)
{
	http_response_head(out, status, type, (long)body->len, flags);
	if (!head_only)
		buf_add(out, buf_str(body), body->len);
}

/* A page from the generic template; html is the already escaped body. */
static void
page(struct buf *out, int head_only, int status, const char *title,
    const char *html)
{
	struct buf body, t;
	struct var vars[3];

	buf_init(&body);
	buf_init(&t);
	esc(&t, title);
	vars[0].name = "title";
	vars[0].html = t.data;
	vars[1].name = "body";
	vars[1].html = html;
	vars[2].name = NULL;
	render(&body, frame_page_html, frame_page_html_len, vars);
	respond(out, head_only, status, WEB_HTML, &body, HTTP_NO_STORE);
	buf_free(&body);
	buf_free(&t);
}

/* A request's response (headers only for HEAD); returns the status. */
static int
ctx_respond(struct ctx *c, int status, const char *type, const struct buf *body,
    int flags)
{
	c->resp->status = status;
	respond(&c->resp->out, c->head_only, status, type, body, flags);
	return status;
}

static int
ctx_page(struct ctx *c, int status, const char *title, const char *html)
{
	c->resp->status = status;
	page(&c->resp->out, c->head_only, status, title, html);
	return status;
}

static const struct web_io *web_io;

void
web_init(const struct web_io *io)
{
	web_io = io;
	later_init(io->resume);
}

int
web_upgrade(struct conn_handle conn, const char *head, size_t len)
{
	return web_io->websocket(conn, head, len);
}

/* A token for a request about to wait; NULL (and a 503 page) without memory. */
static struct later *
wait_token(struct ctx *c)
{
	struct later *l;

	if ((l = later_new(c->req->conn.fd, c->req->gen)) == NULL)
		ctx_page(c, HTTP_UNAVAILABLE, "Server busy",
		    "<p>Please try again.</p>");
	return l;
}

/* The request waits: no answer now, the connection watches nothing. */
static int
wait_for(struct ctx *c)
{
	c->resp->pending = 1;
	return 0;
}

/* An error page with a message and a way back (headers only for HEAD). */
static void
error_page(struct buf *out, int head_only, int status, const char *message)
{
	struct buf html;

	buf_init(&html);
	buf_adds(&html, "<p>");
	esc(&html, message);
	buf_adds(&html, "</p>\n<p><a href=\"/\" target=\"_top\">To the login "
	    "page</a></p>\n");
	page(out, head_only, status, http_reason(status), buf_str(&html));
	buf_free(&html);
}

void
web_error(struct buf *out, int status, const char *message)
{
	error_page(out, 0, status, message);
}

/* A refusal of a watcher: JSON under /api/, plain text elsewhere. */
static int
watch_refuse(const char *path, struct web_response *resp, int head_only,
    int status, const char *why)
{
	struct buf body;

	resp->status = status;
	if (api_path(path)) {
		api_error(&resp->out, head_only, status, why);
		return status;
	}
	buf_init(&body);
	buf_printf(&body, "%s\n", why);
	http_response_head(&resp->out, status, "text/plain; charset=utf-8",
	    (long)body.len, HTTP_NO_STORE);
	if (!head_only)
		buf_add(&resp->out, buf_str(&body), body.len);
	buf_free(&body);
	return status;
}

int
web_watch(const struct web_request *req, struct web_response *resp,
    const struct fmt *f, const char *type, const char *name,
    const char *since, long long poll_ms)
{
	const char *path = req->http->path;
	int head_only = req->http->method == HTTP_HEAD;
	struct room *r;

	if (!config.watchers)
		return watch_refuse(path, resp, head_only, HTTP_FORBIDDEN,
		    "Watching a room without a session needs chatd -W.");
	if ((r = room_find(name)) == NULL)
		return watch_refuse(path, resp, head_only, HTTP_NOT_FOUND,
		    "There is no such room.");
	if (r->private)
		return watch_refuse(path, resp, head_only, HTTP_FORBIDDEN,
		    "That room is a private pair.");
	if (head_only) {
		http_response_head(&resp->out, HTTP_OK, type, -1, HTTP_NO_STORE);
		return resp->status = HTTP_OK;
	}
	if (room_watch(r, req->conn, f, since, req->now, poll_ms > 0 ?
	    req->now + poll_ms : 0) == -1)
		return watch_refuse(path, resp, 0, HTTP_UNAVAILABLE,
		    "The server is busy. Please try again.");
	resp->watching = 1;
	return resp->status = HTTP_OK;
}

void
web_error_for(struct buf *out, const char *path, int head_only, int status,
    const char *message)
{
	if (api_path(path))
		api_error(out, head_only, status, message);
	else
		error_page(out, head_only, status, message);
}

void
web_set_origins(const char *const *list, int n)
{
	origins = list;
	norigins = n;
}

/*
 * Reads a parameter from a POST body, else from the query string, into
 * out, decoded.  Returns its length, -1 if absent, -2 if malformed or too
 * long for out; a NUL byte is allowed only with raw.
 */
int
web_param(const struct web_request *req, const char *key, char *out,
    size_t size, int raw)
{
	const struct http_request *h = req->http;
	int n = -1;

	if (h->method == HTTP_POST)
		n = http_form_value(h->body, key, out, size);
	if (n == -1)
		n = http_form_value(h->query, key, out, size);
	if (n >= 0 && !raw && strlen(out) != (size_t)n)
		n = -2;
	if (n < 0)
		out[0] = '\0';
	return n;
}

/* A parameter that may hold NUL bytes (a talk line). */
static int
raw_param(const struct ctx *c, const char *key, char *out, size_t size)
{
	return web_param(c->req, key, out, size, 1);
}

/* A parameter that is a C string: one with a NUL is malformed. */
static int
param(const struct ctx *c, const char *key, char *out, size_t size)
{
	return web_param(c->req, key, out, size, 0);
}

/* The session a request names, or NULL after answering 403. */
static struct session *
need_session(struct ctx *c)
{
	char sid[SESSION_SID_LEN + 2];
	struct session *s;

	if (param(c, "sid", sid, sizeof sid) == SESSION_SID_LEN &&
	    (s = session_find(sid)) != NULL)
		return s;
	ctx_page(c, HTTP_FORBIDDEN, "Not logged in",
	    "<p>This session has ended or never existed.</p>\n"
	    "<p><a href=\"/\" target=\"_top\">Log in again</a></p>\n");
	return NULL;
}

/* The people of other instances in a room, and how many (-R). */
static const struct presence_person *
remote_people(const struct room *r, int *n)
{
	*n = 0;
	return r->private ? NULL : presence_room(r->name, n);
}

/* How many are in a room, on every instance. */
static int
room_people(const struct room *r)
{
	int n;

	remote_people(r, &n);
	return r->nmembers + n;
}

/* The public rooms with head counts and topics, for the login page. */
static void
room_list(struct buf *b)
{
	const char *name;
	struct room *r;
	int n;

	for (r = room_first(); r != NULL; r = r->next) {
		if (r->private)
			continue;
		buf_printf(b, "<li><a class=\"room\" href=\"/?room=%s\">%s</a> "
		    "<span class=\"count\">(%d)</span>", r->name, r->name,
		    room_people(r));
		if (*r->topic) {
			buf_adds(b, " <bdi class=\"topic\">");
			esc(b, r->topic);
			buf_adds(b, "</bdi>");
		}
		buf_adds(b, "</li>\n");
	}
	/* Rooms only other instances' people are in (-R). */
	for (name = presence_next_room(NULL, &n); name != NULL;
	    name = presence_next_room(name, &n))
		if (room_find(name) == NULL)
			buf_printf(b, "<li><a class=\"room\" href=\"/?room=%s\">"
			    "%s</a> <span class=\"count\">(%d)</span></li>\n",
			    name, name, n);
}

/*
 * The login page.  An error is shown next to its field ("name", "passwd",
 * "color" or "room"), or above the form when field is NULL.
 */
static int
login_page(struct ctx *c, int status, const char *field, const char *error)
{
	static const char *const fields[] = { "name", "passwd", "color", "room" };
	char name[WEB_VALUE_MAX], room[WEB_VALUE_MAX], color[WEB_VALUE_MAX];
	char markers[sizeof fields / sizeof fields[0]][sizeof "error_passwd"];
	struct buf body, e, n, r, col, rooms;
	struct var vars[11];
	const char *err;
	int i;

	param(c, "name", name, sizeof name);
	if (param(c, "room", room, sizeof room) < 1)
		snprintf(room, sizeof room, "%s", ROOM_DEFAULT);
	param(c, "color", color, sizeof color);
	buf_init(&body); buf_init(&e); buf_init(&n); buf_init(&r);
	buf_init(&col); buf_init(&rooms);
	if (error != NULL) {
		buf_printf(&e, "<%s class=\"error\" role=\"alert\">", field ?
		    "span" : "p");
		esc(&e, error);
		buf_printf(&e, "</%s>", field ? "span" : "p");
	}
	err = buf_str(&e);
	esc(&n, name);
	esc(&r, room);
	esc(&col, color);
	room_list(&rooms);
	vars[0].name = "error"; vars[0].html = field ? "" : err;
	vars[1].name = "name"; vars[1].html = buf_str(&n);
	vars[2].name = "room"; vars[2].html = buf_str(&r);
	vars[3].name = "color"; vars[3].html = buf_str(&col);
	vars[4].name = "rooms"; vars[4].html = buf_str(&rooms);
	vars[5].name = "guests"; vars[5].html = config.no_guests ?
	    "Only registered names may log in here." :
	    "Any free name will do; a registered name needs its password.";
	for (i = 0; i < (int)(sizeof fields / sizeof fields[0]); i++) {
		snprintf(markers[i], sizeof markers[i], "error_%s", fields[i]);
		vars[6 + i].name = markers[i];
		vars[6 + i].html = field && strcmp(field, fields[i]) == 0 ?
		    err : "";
	}
	vars[10].name = NULL;
	render(&body, frame_login_html, frame_login_html_len, vars);
	ctx_respond(c, status, WEB_HTML, &body, HTTP_NO_STORE);
	buf_free(&body); buf_free(&e); buf_free(&n); buf_free(&r);
	buf_free(&col); buf_free(&rooms);
	return status;
}

void
web_head_lines(struct buf *out, const char *lines)
{
	const char *end;
	struct buf n;
	size_t at;

	if (*lines == '\0' || out->len == 0 || out->failed ||
	    (end = strstr(out->data, "\r\n\r\n")) == NULL)
		return;
	at = (size_t)(end - out->data) + 2;
	buf_init(&n);
	buf_add(&n, out->data, at);
	buf_adds(&n, lines);
	buf_add(&n, out->data + at, out->len - at);
	buf_free(out);
	*out = n;
}

/*
 * A 303 See Other to location (a path chatd made: no control characters),
 * with a small page for clients that do not follow it.
 */
static int
see_other(struct ctx *c, const char *location)
{
	struct buf body, line, *out = &c->resp->out;

	buf_init(&body);
	buf_init(&line);
	buf_printf(&line, "Location: %s\r\n", location);
	buf_printf(&body, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\""
	    "width=device-width, initial-scale=1\">\n<title>See Other</title>"
	    "</head>\n<body><p><a href=\"%s\" target=\"_top\">Continue</a>"
	    "</p></body></html>\n", location);
	http_response_head(out, HTTP_SEE_OTHER, WEB_HTML, (long)body.len,
	    HTTP_NO_STORE);
	web_head_lines(out, buf_str(&line));
	buf_free(&line);
	if (!c->head_only)
		buf_add(out, buf_str(&body), body.len);
	buf_free(&body);
	return c->resp->status = HTTP_SEE_OTHER;
}

static int
frameset(struct ctx *c, const struct session *s)
{
	struct buf body;
	struct var vars[] = {
		{ "sid", s->sid }, { "room", s->room->name }, { NULL, NULL }
	};

	buf_init(&body);
	render(&body, frame_frameset_html, frame_frameset_html_len, vars);
	ctx_respond(c, HTTP_OK, WEB_HTML, &body, HTTP_NO_STORE);
	buf_free(&body);
	return HTTP_OK;
}

/*
 * POST or GET /login.  The rules are login_run()'s: for a registered name
 * this runs twice, first to start the password check (the request then
 * waits), again with c->later holding the verdict.
 */
static int
do_login(struct ctx *c)
{
	char name[WEB_VALUE_MAX], passwd[WEB_VALUE_MAX], room[WEB_VALUE_MAX];
	char color[WEB_VALUE_MAX], where[sizeof "/room?sid=" + SESSION_SID_LEN];
	struct login l;
	int status;

	if (param(c, "name", name, sizeof name) == -1 || c->head_only)
		return login_page(c, HTTP_OK, NULL, NULL);
	param(c, "passwd", passwd, sizeof passwd);
	param(c, "room", room, sizeof room);
	param(c, "color", color, sizeof color);
	login_init(&l, c->req, name, passwd, room, color);
	if ((status = login_run(&l)) == LOGIN_PENDING)
		return wait_for(c);
	if (status != 0)
		return login_page(c, status, l.field, l.why);
	snprintf(where, sizeof where, "/room?sid=%s", l.session->sid);
	return see_other(c, where);
}

/* GET /room: the frameset of a live session (a reload, a bookmark, a tab). */
static int
do_room(struct ctx *c)
{
	struct session *s;

	if ((s = need_session(c)) == NULL)
		return HTTP_FORBIDDEN;
	return frameset(c, s);
}

/*
 * The account is hashed and saved off the loop: the first run starts the
 * job and the request waits; it runs again with the result in c->later.
 */
static enum accounts_result
register_result(struct ctx *c, const char *name, const char *passwd)
{
	struct later *l;
	enum accounts_result r;

	if (c->later != NULL)
		return c->later->result;
	if ((l = wait_token(c)) == NULL)
		return ACCOUNTS_PENDING;	/* answered: busy */
	r = accounts_register_start(name, passwd, later_accounts, l);
	if (r == ACCOUNTS_PENDING)
		wait_for(c);
	else
		free(l);
	return r;
}

/*
 * /register.  Only a POST creates an account: a GET (a link, an image on
 * another site) shows the form.  Like do_login(), it runs a second time
 * with c->later once the account is saved; count requests only when
 * c->later == NULL.
 */
static int
do_register(struct ctx *c)
{
	char name[WEB_VALUE_MAX], passwd[WEB_VALUE_MAX];
	const char *why;
	struct buf html;
	int status;

	if (c->req->http->method != HTTP_POST ||
	    param(c, "name", name, sizeof name) == -1)
		return ctx_page(c, HTTP_OK, "Register a name", frame_register_html);
	buf_init(&html);
	if (c->later == NULL &&
	    (status = login_fair(c->req->ip, name, c->req->now, 1, &why)) != 0) {
		buf_adds(&html, "<p class=\"error\">");
		esc(&html, why);
		buf_adds(&html, "</p>");
		ctx_page(c, status, "Too many registrations", buf_str(&html));
		buf_free(&html);
		return status;
	}
	param(c, "passwd", passwd, sizeof passwd);
	if (!text_valid_name(name))
		status = HTTP_BAD_REQUEST, buf_adds(&html, "<p class=\"error\">"
		    TEXT_NAME_RULE "</p>");
	else if (*passwd == '\0' || strlen(passwd) > ACCOUNTS_PASSWORD_MAX)
		status = HTTP_BAD_REQUEST, buf_adds(&html, "<p class=\"error\">"
		    "Choose a password (at most 256 bytes).</p>");
	else if (login_reserved(name))
		status = HTTP_FORBIDDEN, buf_adds(&html, "<p class=\"error\">"
		    "This name is reserved for a server administrator.</p>");
	else
		switch (register_result(c, name, passwd)) {
		case ACCOUNTS_PENDING:
			buf_free(&html);
			return 0;
		case ACCOUNTS_DONE:
			status = HTTP_OK;
			buf_adds(&html, "<p>The name <bdi>");
			esc(&html, name);
			buf_adds(&html, "</bdi> is yours.</p>\n<p><a href=\"/?name=");
			esc(&html, name);
			buf_adds(&html, "\" target=\"_top\">Log in</a></p>\n");
			log_info("registered %s", name);
			break;
		case ACCOUNTS_EXISTS:
			status = HTTP_CONFLICT, buf_adds(&html, "<p class=\"error\">"
			    "This name is registered already.</p>");
			break;
		case ACCOUNTS_FULL:
			status = HTTP_UNAVAILABLE, buf_adds(&html, "<p class="
			    "\"error\">This server holds as many accounts as it "
			    "can. Log in as a guest, or ask its administrator.</p>");
			break;
		case ACCOUNTS_UNAVAILABLE:
			status = HTTP_UNAVAILABLE, buf_adds(&html, "<p class="
			    "\"error\">Accounts are unavailable while Redis is "
			    "away: nothing was registered. Please try again in a "
			    "moment.</p>");
			break;
		default:
			status = HTTP_INTERNAL_ERROR, buf_adds(&html, "<p class="
			    "\"error\">The account could not be saved. Please "
			    "try again later.</p>");
		}
	if (status != HTTP_OK)
		buf_adds(&html, frame_register_html);
	ctx_page(c, status, status == HTTP_OK ? "Registered" : "Register a name",
	    buf_str(&html));
	buf_free(&html);
	return status;
}

int
web_stream(const struct web_request *req, struct web_response *resp,
    struct session *s, const struct fmt *f, const char *since)
{
	session_attach(s, req->conn, f, 0, req->now);
	if (s->room != NULL)
		room_replay(s, since);
	resp->stream = s;
	return resp->status = HTTP_OK;
}

/*
 * Opens a stream in format f: the session holds it, then the room
 * replays into it.  A second stream of any kind replaces the first.
 */
static int
open_stream(struct ctx *c, const struct fmt *f, const char *type)
{
	char since[ROOM_SINCE_DIGITS + 2];	/* longer is no event number */
	char room[WEB_VALUE_MAX];
	struct session *s;
	struct buf *out = &c->resp->out;

	/* No sid but a room: a watcher (-W). */
	if (f == &fmt_text && raw_param(c, "sid", room, sizeof room) < 0 &&
	    param(c, "room", room, sizeof room) >= 0) {
		param(c, "since", since, sizeof since);
		return web_watch(c->req, c->resp, f, type, room,
		    *since ? since : NULL, 0);
	}
	if ((s = need_session(c)) == NULL)
		return HTTP_FORBIDDEN;
	if (c->head_only) {
		http_response_head(out, HTTP_OK, type, -1, HTTP_NO_STORE);
		return c->resp->status = HTTP_OK;
	}
	param(c, "since", since, sizeof since);
	return web_stream(c->req, c->resp, s, f, *since ? since : NULL);
}

static int
do_chat(struct ctx *c)
{
	return open_stream(c, &fmt_html, WEB_HTML);
}

static int
do_chat_txt(struct ctx *c)
{
	return open_stream(c, &fmt_text, "text/plain; charset=utf-8");
}

static int
by_key(const void *a, const void *b)
{
	return strcmp((*(struct session *const *)a)->key,
	    (*(struct session *const *)b)->key);
}

/* The members of s's room, sorted; NULL if out of memory.  Caller frees. */
static struct session **
sorted_members(const struct session *s)
{
	struct session **v, *m;
	int n = 0;

	if ((v = calloc((size_t)s->room->nmembers + 1, sizeof *v)) == NULL)
		return NULL;
	for (m = s->room->members; m != NULL; m = m->room_next)
		v[n++] = m;
	qsort(v, (size_t)n, sizeof *v, by_key);
	return v;
}

/*
 * Keeps v[0..*n) as the first `max` keys seen, in order: most members are
 * past the last one kept and cost one comparison, so a room of 10,000
 * costs no sort per talk frame.
 */
static void
keep_first(struct session **v, int *n, int max, struct session *m)
{
	int lo = 0, hi = *n, mid;

	if (*n == max && strcmp(m->key, v[max - 1]->key) >= 0)
		return;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(v[mid]->key, m->key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (*n < max)
		(*n)++;
	memmove(v + lo + 1, v + lo, (size_t)(*n - 1 - lo) * sizeof *v);
	v[lo] = m;
}

/*
 * One <option> per other member, in name order, the current target
 * selected.  A crowded room lists the first WEB_WHISPER_OPTIONS_MAX names
 * (and the target); /msg reaches anyone.
 */
static void
whisper_options(struct buf *b, const struct session *s, const char *to)
{
	struct session *target = *to ? session_by_name(to) : NULL;
	struct session *v[WEB_WHISPER_OPTIONS_MAX + 1], *m;
	int i, n = 0;

	if (s->room->private)	/* strangers: no names to whisper to */
		return;
	for (m = s->room->members; m != NULL; m = m->room_next)
		if (m != s && m != target)
			keep_first(v, &n, WEB_WHISPER_OPTIONS_MAX, m);
	if (target != NULL && target != s && target->room == s->room)
		keep_first(v, &n, WEB_WHISPER_OPTIONS_MAX + 1, target);
	for (i = 0; i < n; i++) {
		buf_adds(b, "<option value=\"");
		esc(b, v[i]->name);
		buf_printf(b, "\"%s>", v[i] == target ? " selected" : "");
		esc(b, v[i]->name);
		buf_adds(b, "</option>\n");
	}
}

/*
 * Where a user of `random` stands: waiting for a stranger, talking with
 * one, or left alone; the last two offer the next stranger.
 */
static void
random_state(struct buf *b, const struct session *s)
{
	const char *line;

	if (strcmp(s->room->name, ROOM_RANDOM) == 0) {
		buf_adds(b, "<p class=\"state waiting\" role=\"status\">"
		    "Waiting for a stranger&hellip;</p>\n");
		return;
	}
	if (!s->room->private)
		return;
	line = s->room->nmembers > 1 ? "<p class=\"state paired\" role=\""
	    "status\">You are talking with a stranger." :
	    "<p class=\"state ended\" role=\"status\">The stranger left.";
	buf_printf(b, "<form method=\"post\" action=\"/dotalk?sid=%s\" "
	    "class=\"next\">%s\n<input type=\"hidden\" name=\"message\" "
	    "value=\"/join " ROOM_RANDOM "\">\n<button type=\"submit\">Next "
	    "stranger</button></p></form>\n", s->sid, line);
}

/* The talk frame, with a line for the user and the text to keep. */
static int
talk_frame(struct ctx *c, const struct session *s, int status,
    const char *reply, const char *keep, const char *to)
{
	struct buf body, r, k, opts, st;
	struct var vars[7];

	buf_init(&body); buf_init(&r); buf_init(&k); buf_init(&opts);
	if (reply != NULL && *reply) {
		buf_printf(&r, "<p class=\"%s\" role=\"status\">",
		    status == HTTP_OK ? "reply" : "error");
		esc(&r, reply);
		buf_adds(&r, "</p>");
	}
	esc(&k, keep);
	whisper_options(&opts, s, to);
	buf_init(&st);
	random_state(&st, s);
	vars[0].name = "sid"; vars[0].html = s->sid;
	vars[1].name = "reply"; vars[1].html = buf_str(&r);
	vars[2].name = "message"; vars[2].html = buf_str(&k);
	vars[3].name = "options"; vars[3].html = buf_str(&opts);
	vars[4].name = "room"; vars[4].html = s->room->name;
	vars[5].name = "state"; vars[5].html = buf_str(&st);
	vars[6].name = NULL;
	render(&body, frame_talk_html, frame_talk_html_len, vars);
	ctx_respond(c, status, WEB_HTML, &body, HTTP_NO_STORE);
	buf_free(&body); buf_free(&r); buf_free(&k); buf_free(&opts);
	buf_free(&st);
	return status;
}

static int
do_talk(struct ctx *c)
{
	char to[WEB_VALUE_MAX];
	struct session *s;

	if ((s = need_session(c)) == NULL)
		return HTTP_FORBIDDEN;
	param(c, "to", to, sizeof to);
	return talk_frame(c, s, HTTP_OK, NULL, "", to);
}

static int
goodbye(struct ctx *c)
{
	return ctx_page(c, HTTP_OK, "Goodbye", "<p>You left the chat.</p>\n"
	    "<p><a href=\"/\" target=\"_top\">Log in again</a></p>\n");
}

/*
 * The text a refused message leaves in the field so it can be fixed:
 * only when it is text that may be shown (too long, or too fast).
 */
static const char *
keep_text(int status, char *message, int len)
{
	size_t n;

	if (status == HTTP_OK || len < 0)
		return "";
	n = (size_t)len;
	if (text_clean_message(message, &n, (size_t)-1) != TEXT_OK)
		return "";
	return message;
}

static int
do_dotalk(struct ctx *c)
{
	char message[WEB_VALUE_MAX], to[WEB_VALUE_MAX];
	char sid[SESSION_SID_LEN + 1];
	struct session *s;
	struct later *l;
	struct buf reply;
	int n, status;

	if ((s = need_session(c)) == NULL)
		return HTTP_FORBIDDEN;
	param(c, "to", to, sizeof to);
	if (c->head_only)
		return talk_frame(c, s, HTTP_OK, NULL, "", to);
	/* /passwd answered by the helper: the line was counted the first time. */
	if (c->later != NULL)
		return talk_frame(c, s, c->later->status, c->later->reply, "",
		    to);
	n = raw_param(c, "message", message, sizeof message);
	memcpy(sid, s->sid, sizeof sid);
	if ((l = wait_token(c)) == NULL)
		return HTTP_UNAVAILABLE;
	buf_init(&reply);
	status = cmd_talk(s, message, n < 0 ? 0 : (size_t)n, to, c->req->now,
	    &reply, later_talk, l);
	if (status == CMD_PENDING) {
		buf_free(&reply);
		return wait_for(c);
	}
	free(l);
	/* /quit ends the session: the talk frame says goodbye. */
	if ((s = session_find(sid)) == NULL)
		goodbye(c);
	else
		talk_frame(c, s, status, reply.data, keep_text(status, message,
		    n), to);
	buf_free(&reply);
	return status;
}

/* A names line's end: the away mark (away NULL: here) and the ignore mark. */
static void
names_marks(struct buf *b, const struct session *viewer, const char *key,
    const char *away)
{
	if (away != NULL) {
		buf_adds(b, " <span class=\"awaymark\">away");
		if (*away) {
			buf_adds(b, ": <bdi>");
			esc(b, away);
			buf_adds(b, "</bdi>");
		}
		buf_adds(b, "</span>");
	}
	if (session_ignores(viewer, key))
		buf_adds(b, " <span class=\"ignored\">(ignored)</span>");
	buf_adds(b, "</li>\n");
}

/* One line of the names frame: nick in colour, operator, away and ignore marks. */
static void
names_line(struct buf *b, const struct session *viewer, const struct session *m)
{
	int op = room_is_op(m->room, m);
	int hide = m->room->private && m != viewer;	/* a stranger */

	buf_printf(b, "<li class=\"user%s%s\">%s<span class=\"nick\"%s%s%s>"
	    "<bdi>", op ? " op" : "", m->away ? " away" : "",
	    op ? "<span class=\"opmark\" title=\"operator\">@</span>" : "",
	    hide ? "" : " style=\"color:", hide ? "" : m->color,
	    hide ? "" : "\"");
	esc(b, hide ? ROOM_STRANGER : m->name);
	buf_adds(b, "</bdi></span>");
	if (m == viewer)
		buf_adds(b, " <span class=\"you\">(you)</span>");
	names_marks(b, viewer, m->key, m->away);
}

/* A line for someone in the room on another instance (-R). */
static void
names_remote(struct buf *b, const struct session *viewer,
    const struct presence_person *p)
{
	buf_printf(b, "<li class=\"user%s\"><span class=\"nick\" style=\""
	    "color:%s\"><bdi>", p->away ? " away" : "", p->color);
	esc(b, p->name);
	buf_adds(b, "</bdi></span>");
	names_marks(b, viewer, p->key, p->away ? p->reason : NULL);
}

/* Everyone in s's room, of every instance, in name order, one line each. */
static void
names_list(struct buf *list, const struct session *s)
{
	const struct presence_person *p;
	struct session **v;
	int i = 0, j = 0, n;

	p = remote_people(s->room, &n);
	if ((v = sorted_members(s)) == NULL)
		return;
	while (v[i] != NULL || j < n)
		if (j < n && (v[i] == NULL || strcmp(p[j].key, v[i]->key) < 0))
			names_remote(list, s, &p[j++]);
		else
			names_line(list, s, v[i++]);
	free(v);
}

static int
do_names(struct ctx *c)
{
	struct buf body, list, topic;
	struct session *s;
	char refresh[WEB_INT_BYTES], count[WEB_INT_BYTES];
	struct var vars[7];

	if ((s = need_session(c)) == NULL)
		return HTTP_FORBIDDEN;
	buf_init(&body); buf_init(&list); buf_init(&topic);
	names_list(&list, s);
	esc(&topic, s->room->topic);
	snprintf(refresh, sizeof refresh, "%d", WEB_NAMES_REFRESH_S);
	snprintf(count, sizeof count, "%d", room_people(s->room));
	vars[0].name = "sid"; vars[0].html = s->sid;
	vars[1].name = "room"; vars[1].html = s->room->name;
	vars[2].name = "topic"; vars[2].html = buf_str(&topic);
	vars[3].name = "names"; vars[3].html = buf_str(&list);
	vars[4].name = "refresh"; vars[4].html = refresh;
	vars[5].name = "count"; vars[5].html = count;
	vars[6].name = NULL;
	render(&body, frame_names_html, frame_names_html_len, vars);
	ctx_respond(c, HTTP_OK, WEB_HTML, &body, HTTP_NO_STORE);
	buf_free(&body); buf_free(&list); buf_free(&topic);
	return HTTP_OK;
}

/* Lines of the /lite page, for a viewer (hint links carry its sid). */
struct lite {
	struct buf	*b;
	const char	*sid;
};

/* Appends an event as the chat frame shows it. */
static void
lite_line(void *arg, struct event *ev, int marked)
{
	struct lite *l = arg;
	struct chunk *ch;

	if ((ch = event_bytes(ev, &fmt_html, 0, marked, l->sid)) != NULL) {
		buf_add(l->b, ch->data, ch->len);
		chunk_unref(ch);
	}
}

/* The /lite page: notices kept for it, the room's last lines, who is here. */
static int
lite_page(struct ctx *c, struct session *s)
{
	struct buf body, notices, lines, list, topic;
	struct event *ev;
	struct lite ln, nt;
	char refresh[WEB_INT_BYTES], count[WEB_INT_BYTES];
	struct var vars[9];

	buf_init(&body); buf_init(&notices); buf_init(&lines);
	buf_init(&list); buf_init(&topic);
	ln.b = &lines; nt.b = &notices;
	ln.sid = nt.sid = s->sid;
	/* A HEAD changes nothing: the kept notices wait for the GET. */
	while (!c->head_only && (ev = stream_take_kept(&s->stream)) != NULL) {
		lite_line(&nt, ev, 0);
		event_unref(ev);
	}
	if (s->room != NULL)
		room_replay_each(s, NULL, lite_line, &ln);
	names_list(&list, s);
	esc(&topic, s->room->topic);
	snprintf(refresh, sizeof refresh, "%d", WEB_LITE_REFRESH_S);
	snprintf(count, sizeof count, "%d", room_people(s->room));
	vars[0].name = "sid"; vars[0].html = s->sid;
	vars[1].name = "room"; vars[1].html = s->room->name;
	vars[2].name = "topic"; vars[2].html = buf_str(&topic);
	vars[3].name = "names"; vars[3].html = buf_str(&list);
	vars[4].name = "refresh"; vars[4].html = refresh;
	vars[5].name = "count"; vars[5].html = count;
	vars[6].name = "notices"; vars[6].html = notices.len ?
	    buf_str(&notices) : "";
	vars[7].name = "lines"; vars[7].html = buf_str(&lines);
	vars[8].name = NULL;
	render(&body, frame_lite_html, frame_lite_html_len, vars);
	ctx_respond(c, HTTP_OK, WEB_HTML, &body, HTTP_NO_STORE);
	buf_free(&body); buf_free(&notices); buf_free(&lines);
	buf_free(&list); buf_free(&topic);
	return HTTP_OK;
}

/*
 * GET or POST /lite: one page for browsers without frames.  A message is
 * posted, its answer kept as a notice (the session has no stream), and
 * the answer is a 303 back to the page, so that a reload posts nothing.
 * Each request holds the session as a stream would.
 */
static int
do_lite(struct ctx *c)
{
	char message[WEB_VALUE_MAX], where[sizeof "/lite?sid=" +
	    SESSION_SID_LEN];
	char sid[SESSION_SID_LEN + 1];
	struct session *s;
	struct later *l;
	struct buf reply;
	int n, status;

	if ((s = need_session(c)) == NULL)
		return HTTP_FORBIDDEN;
	memcpy(sid, s->sid, sizeof sid);
	snprintf(where, sizeof where, "/lite?sid=%s", sid);
	if (c->later != NULL) {		/* /passwd, answered off the loop */
		if (c->later->status != HTTP_OK && *c->later->reply)
			session_notice(s, "%s", c->later->reply);
		return see_other(c, where);
	}
	session_hold(s, c->req->now);
	n = raw_param(c, "message", message, sizeof message);
	if (c->head_only || n < 0)
		return lite_page(c, s);
	if ((l = wait_token(c)) == NULL)
		return HTTP_UNAVAILABLE;
	buf_init(&reply);
	status = cmd_talk(s, message, (size_t)n, "", c->req->now, &reply,
	    later_talk, l);
	if (status == CMD_PENDING) {
		buf_free(&reply);
		return wait_for(c);
	}
	free(l);
	/* /quit ends the session: the page says goodbye. */
	if ((s = session_find(sid)) == NULL) {
		buf_free(&reply);
		return goodbye(c);
	}
	/* Answers are notices already; a refusal (too fast, too long) is not. */
	if (status != HTTP_OK && reply.len > 0)
		session_notice(s, "%s", buf_str(&reply));
	buf_free(&reply);
	return see_other(c, where);
}

static int
do_leave(struct ctx *c)
{
	struct session *s;

	if ((s = need_session(c)) == NULL)
		return HTTP_FORBIDDEN;
	if (!c->head_only)
		cmd_end(s, SESSION_LEAVE, "left");
	return goodbye(c);
}

static int
static_file(struct ctx *c, const char *type, const char *data, size_t len)
{
	struct buf body;

	body.data = (char *)data;
	body.len = len;
	return ctx_respond(c, HTTP_OK, type, &body, HTTP_CACHE);
}

static int
do_index(struct ctx *c)
{
	return login_page(c, HTTP_OK, NULL, NULL);
}

static int
do_style(struct ctx *c)
{
	return static_file(c, "text/css; charset=utf-8", frame_style_css,
	    frame_style_css_len);
}

static int
do_chat_js(struct ctx *c)
{
	return static_file(c, "text/javascript; charset=utf-8", frame_chat_js,
	    frame_chat_js_len);
}

/* The client other sites include (-O); see frames/embed.js. */
static int
do_embed_js(struct ctx *c)
{
	return static_file(c, "text/javascript; charset=utf-8", frame_embed_js,
	    frame_embed_js_len);
}

static int
do_talk_js(struct ctx *c)
{
	return static_file(c, "text/javascript; charset=utf-8", frame_talk_js,
	    frame_talk_js_len);
}

/* The three forms of the status, each answering in its own format. */
enum status_form { STATUS_PAGE, STATUS_JSON, STATUS_TEXT };

/* 1 for the loopback address (status_local()), an administrator's sid or a -T token. */
static int
status_allowed(struct ctx *c)
{
	char sid[SESSION_SID_LEN + 2];
	struct session *s;

	return status_local(c->req->ip) ||
	    tokens_check(tokens_bearer(c->req->http->authorization)) ||
	    (param(c, "sid", sid, sizeof sid) == SESSION_SID_LEN &&
	    (s = session_find(sid)) != NULL && s->admin);
}

/* The status in one form, or 403 in that form to anyone else. */
static int
status_answer(struct ctx *c, enum status_form form)
{
	static const char why[] = "The status is shown only to the loopback "
	    "address, an administrator's session and a backend's token.";
	int ok = status_allowed(c), status = ok ? HTTP_OK : HTTP_FORBIDDEN;
	struct buf body;

	buf_init(&body);
	switch (form) {
	case STATUS_PAGE:
		if (ok)
			status_html(&body);
		else
			buf_printf(&body, "<p>%s</p>\n", why);
		ctx_page(c, status, ok ? "chatd status" : "Forbidden",
		    buf_str(&body));
		break;
	case STATUS_JSON:
		if (!ok) {
			c->resp->status = status;
			api_error(&c->resp->out, c->head_only, status, why);
			break;
		}
		status_json(&body);
		ctx_respond(c, status, API_TYPE, &body, HTTP_NO_STORE);
		break;
	case STATUS_TEXT:
		if (ok)
			status_metrics(&body);
		else
			buf_printf(&body, "%s\n", why);
		ctx_respond(c, status, ok ? STATUS_METRICS_TYPE :
		    "text/plain; charset=utf-8", &body, HTTP_NO_STORE);
		break;
	}
	buf_free(&body);
	return status;
}

static int
do_status(struct ctx *c)
{
	return status_answer(c, STATUS_PAGE);
}

static int
do_status_json(struct ctx *c)
{
	return status_answer(c, STATUS_JSON);
}

static int
do_metrics(struct ctx *c)
{
	return status_answer(c, STATUS_TEXT);
}

static const struct route {
	const char	*path;
	int		 (*handler)(struct ctx *);
} routes[] = {
	{ "/", do_index },
	{ "/login", do_login },
	{ "/room", do_room },
	{ "/register", do_register },
	{ "/chat", do_chat },
	{ "/chat.txt", do_chat_txt },
	{ "/talk", do_talk },
	{ "/dotalk", do_dotalk },
	{ "/names", do_names },
	{ "/leave", do_leave },
	{ "/lite", do_lite },
	{ "/style.css", do_style },
	{ "/chat.js", do_chat_js },
	{ "/talk.js", do_talk_js },
	{ "/embed.js", do_embed_js },
	{ "/status", do_status },
	{ "/status.json", do_status_json },
	{ "/metrics", do_metrics },
};

/*
 * Requests that act for a user (every POST) or read for a script (/api/)
 * must not come from another site's page: that page would create
 * accounts, log people in or talk for them.  Paths are compared still
 * encoded, as the routes are.
 */
static int
cross_site(const struct http_request *h)
{
	if (h->method != HTTP_POST && !api_path(h->path))
		return 0;
	return !http_origin_ok(h, origins, norigins);
}

/* The route's answer, or an error page. */
static void
route(struct ctx *c)
{
	const struct http_request *h = c->req->http;
	struct web_response *resp = c->resp;
	size_t i;

	if (cross_site(h)) {
		resp->status = HTTP_FORBIDDEN;
		web_error_for(&resp->out, h->path, c->head_only, HTTP_FORBIDDEN,
		    "This request came from a page on another site. chatd "
		    "takes posts only from its own pages: open it at its own "
		    "address and try again.");
		return;
	}
	if (http_form_check(h->query) == -1 ||
	    (h->method == HTTP_POST && http_form_check(h->body) == -1)) {
		resp->status = HTTP_BAD_REQUEST;
		web_error_for(&resp->out, h->path, c->head_only,
		    HTTP_BAD_REQUEST, "The request has a malformed %-escape.");
		return;
	}
	if (api_path(h->path)) {
		api_handle(c->req, resp);
		return;
	}
	for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(h->path, routes[i].path) == 0) {
			routes[i].handler(c);
			return;
		}
	resp->status = HTTP_NOT_FOUND;
	error_page(&resp->out, c->head_only, HTTP_NOT_FOUND,
	    "There is no such page here.");
}

/* Paths pages of -O origins may read with CORS: the JSON API and the streams. */
static int
cors_path(const char *path)
{
	return api_path(path) || strcmp(path, "/chat.txt") == 0 ||
	    strcmp(path, "/chat") == 0;
}

/*
 * The CORS lines for a request (each ending in CRLF) into b: the
 * allowed origin echoed for a request from an -O origin, and Vary:
 * Origin on every answer that could carry it.  Nothing without -O.
 * Returns 1 if the request came from an -O origin.
 */
static int
cors_lines(const struct http_request *h, char *b, size_t size)
{
	int i;

	*b = '\0';
	if (norigins == 0 || !cors_path(h->path))
		return 0;
	for (i = 0; h->has_origin && i < norigins; i++)
		if (strcasecmp(h->origin, origins[i]) == 0) {
			snprintf(b, size, "Access-Control-Allow-Origin: %s\r\n"
			    "Vary: Origin\r\n", origins[i]);
			return 1;
		}
	snprintf(b, size, "Vary: Origin\r\n");
	return 0;
}

/*
 * OPTIONS: with -O, a CORS preflight to the API or a stream gets 204,
 * with the methods and headers allowed when it comes from an -O origin.
 * Elsewhere, and without -O, OPTIONS stays unimplemented (501).
 */
static void
preflight(struct ctx *c, const char *lines, int allowed)
{
	const struct http_request *h = c->req->http;
	struct web_response *resp = c->resp;

	if (norigins == 0 || !cors_path(h->path)) {
		resp->status = HTTP_NOT_IMPLEMENTED;
		web_error_for(&resp->out, h->path, 0, HTTP_NOT_IMPLEMENTED,
		    "chatd answers OPTIONS only for its API and streams, "
		    "and only with -O.");
		return;
	}
	resp->status = HTTP_NO_CONTENT;
	http_response_head(&resp->out, HTTP_NO_CONTENT,
	    "text/plain; charset=utf-8", -1, HTTP_NO_STORE);
	web_head_lines(&resp->out, allowed ? "Allow: " WEB_CORS_METHODS "\r\n"
	    "Access-Control-Allow-Methods: " WEB_CORS_METHODS "\r\n"
	    "Access-Control-Allow-Headers: " WEB_CORS_HEADERS "\r\n"
	    "Access-Control-Max-Age: " WEB_CORS_MAX_AGE "\r\n" :
	    "Allow: " WEB_CORS_METHODS "\r\n");
	web_head_lines(&resp->out, lines);
}

void
web_handle(const struct web_request *req, struct web_response *resp)
{
	char lines[WEB_CORS_LINES_MAX];
	struct ctx c;
	int allowed;

	c.req = req;
	c.resp = resp;
	c.head_only = req->http->method == HTTP_HEAD;
	c.later = req->later;
	resp->stream = NULL;
	resp->pending = 0;
	resp->watching = 0;
	allowed = cors_lines(req->http, lines, sizeof lines);
	if (req->http->method == HTTP_OPTIONS) {
		preflight(&c, lines, allowed);
		return;
	}
	/* A stream's head is queued as it begins, inside the route. */
	stream_head_extra(lines);
	route(&c);
	stream_head_extra(NULL);
	web_head_lines(&resp->out, lines);
	/* Whatever answered, a HEAD gets the head alone. */
	if (c.head_only && resp->stream == NULL)
		http_strip_body(&resp->out);
}
