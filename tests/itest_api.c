/* itest_api.c: the JSON API end to end: each request, each refusal, every body checked as JSON. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "json_decode.h"
#include "suites.h"

#define REQ_MAX		16384
#define SID_BYTES	33
#define BUSY_REGISTRATIONS 40	/* hashes queued ahead of a login */

/*
 * The request: a POST carries body as a form, anything else sends it in
 * no body (NULL); extra is more header lines, each ending in CRLF.
 */
static void
request(char *req, size_t size, const char *method, const char *target,
    const char *extra, const char *body)
{
	int n;

	if (body != NULL)
		n = snprintf(req, size, "%s %s HTTP/1.0\r\n%sContent-Type: "
		    "application/x-www-form-urlencoded\r\nContent-Length: %zu"
		    "\r\n\r\n%s", method, target, extra ? extra : "",
		    strlen(body), body);
	else
		n = snprintf(req, size, "%s %s HTTP/1.0\r\n%s\r\n", method,
		    target, extra ? extra : "");
	ck_assert(n > 0 && (size_t)n < size);
}

/*
 * Checks what every /api/ answer must be: JSON content type, no-store,
 * Connection: close, a body that is one strict JSON text (none for
 * HEAD), and {"error":"..."} for every 4xx and 5xx.
 */
static void
check_json(const struct reply *r, int head_only)
{
	ck_assert_msg(strstr(r->head, "\r\nContent-Type: application/json") !=
	    NULL, "%s", r->head);
	ck_assert_ptr_nonnull(strstr(r->head, "\r\nCache-Control: no-store\r\n"));
	ck_assert_ptr_nonnull(strstr(r->head, "\r\nConnection: close\r\n"));
	if (head_only) {
		ck_assert_uint_eq(r->body_len, 0);
		return;
	}
	ck_assert_msg(jd_parse(r->body, r->body_len, JD_CHATD, NULL, NULL) == 0,
	    "not JSON: %s", r->body);
	if (r->status >= 400) {
		ck_assert_msg(strncmp(r->body, "{\"error\":\"", 10) == 0 &&
		    r->body_len > 12 && strcmp(r->body + r->body_len - 2,
		    "\"}") == 0 && strchr(r->body + 10, '"') == r->body +
		    r->body_len - 2, "error body: %s", r->body);
	}
}

/* One request to the API; the answer is checked and left in r. */
static int
api(int port, const char *method, const char *target, const char *body,
    struct reply *r)
{
	char req[REQ_MAX];

	request(req, sizeof req, method, target, NULL, body);
	cl_raw(port, req, strlen(req), r);
	check_json(r, strcmp(method, "HEAD") == 0);
	return r->status;
}

/* The same, with the answer dropped: the status. */
static int
api_status(int port, const char *method, const char *target,
    const char *body)
{
	struct reply r;
	int status = api(port, method, target, body, &r);

	reply_free(&r);
	return status;
}

/* 1 if the body holds the text. */
static int
has(const struct reply *r, const char *text)
{
	return strstr(r->body, text) != NULL;
}

/* A string member's value (plain: no escapes) into out; 0 if absent. */
static int
member(const char *body, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	if ((p = strstr(body, pat)) == NULL)
		return 0;
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= size)
		return 0;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 1;
}

/* Logs in through /api/login; the sid on 200.  Returns the status. */
static int
login(int port, const char *form, char sid[SID_BYTES])
{
	struct reply r;
	int status = api(port, "POST", "/api/login", form, &r);
	size_t i;

	if (status == 200) {
		ck_assert_msg(member(r.body, "sid", sid, SID_BYTES), "%s",
		    r.body);
		ck_assert_uint_eq(strlen(sid), SID_BYTES - 1);
		for (i = 0; i < SID_BYTES - 1; i++)
			ck_assert(strchr("0123456789abcdef", sid[i]) != NULL);
	}
	reply_free(&r);
	return status;
}

/* Posts a talk line (urlencoded) through /api/say; the status. */
static int
say(int port, const char *sid, const char *message)
{
	char form[4096];
	struct reply r;
	int status;

	snprintf(form, sizeof form, "sid=%s&message=%s", sid, message);
	status = api(port, "POST", "/api/say", form, &r);
	if (status == 200)
		ck_assert_str_eq(r.body, "{\"ok\":true}");
	reply_free(&r);
	return status;
}

/* A TCP connection from a source address in 127/8. */
static int
connect_from(int port, const char *src)
{
	struct sockaddr_in sin;
	int fd;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, src, &sin.sin_addr);
	ck_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	return fd;
}

/* Writes a whole request. */
static void
send_all(int fd, const char *req)
{
	size_t left = strlen(req);
	ssize_t n;

	while (left > 0) {
		ck_assert((n = write(fd, req, left)) > 0);
		req += n;
		left -= (size_t)n;
	}
}

/* Reads an answer to EOF into r (status, head, body). */
static void
read_reply(int fd, struct reply *r)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char *data = NULL, *sep;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < 4097) {
			cap = cap ? cap * 2 : 16384;
			ck_assert_ptr_nonnull(data = realloc(data, cap));
		}
		ck_assert_int_eq(poll(&p, 1, ITEST_TIMEOUT_MS), 1);
		if ((n = read(fd, data + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	data[len] = '\0';
	ck_assert_ptr_nonnull(sep = strstr(data, "\r\n\r\n"));
	memset(r, 0, sizeof *r);
	r->status = atoi(data + 9);
	r->head = strndup(data, (size_t)(sep - data) + 2);
	r->body = strdup(sep + 4);
	r->body_len = len - (size_t)(sep + 4 - data);
	free(data);
}

START_TEST(login_gives_a_session)
{
	struct server s;
	struct reply r;
	struct stream st;
	char sid[SID_BYTES], target[128];

	srv_start(&s, NULL);
	ck_assert_int_eq(api(s.port, "POST", "/api/login",
	    "name=Alice&room=Den&color=%23123456", &r), 200);
	ck_assert_msg(has(&r, "\"name\":\"Alice\"") && has(&r,
	    "\"room\":\"den\"") && has(&r, "\"color\":\"#123456\""), "%s",
	    r.body);
	ck_assert(member(r.body, "sid", sid, sizeof sid));
	reply_free(&r);
	/* The sid is a session like any: its chat stream and its names. */
	ck_assert_int_eq(stream_open(&st, s.port, sid, NULL), 200);
	snprintf(target, sizeof target, "/api/names?sid=%s", sid);
	ck_assert_int_eq(api_status(s.port, "GET", target, NULL), 200);
	stream_close(&st);
	/* A guest without a colour gets one; no room: the lobby. */
	ck_assert_int_eq(api(s.port, "POST", "/api/login", "name=bob", &r), 200);
	ck_assert_msg(has(&r, "\"room\":\"lobby\"") && has(&r,
	    "\"color\":\"#"), "%s", r.body);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(login_refusals_have_the_html_statuses)
{
	struct server s;
	struct reply r;
	char sid[SID_BYTES];

	srv_start(&s, "-A", "@DIR@/accounts", "-a", "root", NULL);
	ck_assert_int_eq(login(s.port, "name=", sid), 400);
	ck_assert_int_eq(login(s.port, "name=two%20words", sid), 400);
	ck_assert_int_eq(login(s.port, "name=carol&room=no%20spaces", sid), 400);
	ck_assert_int_eq(login(s.port, "name=carol&color=nocolour", sid), 400);
	/* The reason is in words. */
	ck_assert_int_eq(api(s.port, "POST", "/api/login", "name=root", &r), 403);
	ck_assert_msg(has(&r, "reserved"), "%s", r.body);
	reply_free(&r);
	cl_post(s.port, "/register", "name=reg&passwd=right", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert_int_eq(api(s.port, "POST", "/api/login", "name=reg", &r), 403);
	ck_assert_msg(has(&r, "password"), "%s", r.body);
	reply_free(&r);
	ck_assert_int_eq(login(s.port, "name=reg&passwd=wrong", sid), 403);
	ck_assert_int_eq(login(s.port, "name=reg&passwd=right", sid), 200);
	ck_assert_int_eq(login(s.port, "name=carol", sid), 200);
	ck_assert_int_eq(api(s.port, "POST", "/api/login", "name=CAROL", &r),
	    409);
	ck_assert_msg(has(&r, "in use"), "%s", r.body);
	reply_free(&r);
	srv_stop_clean(&s);

	/* -G: guests refused. */
	srv_start(&s, "-G", NULL);
	ck_assert_int_eq(login(s.port, "name=guest", sid), 403);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(login_limits_429_and_503)
{
	struct server s;
	struct reply r;
	char sid[SID_BYTES], req[512];
	int i, status = 0, fd;

	/* -i: sessions from one address. */
	srv_start(&s, "-i", "2", NULL);
	ck_assert_int_eq(login(s.port, "name=aa1", sid), 200);
	ck_assert_int_eq(login(s.port, "name=aa2", sid), 200);
	ck_assert_int_eq(api(s.port, "POST", "/api/login", "name=aa3", &r), 429);
	ck_assert_msg(has(&r, "logged in from your address"), "%s", r.body);
	reply_free(&r);
	/* The bucket of logins from an address other than loopback. */
	request(req, sizeof req, "POST", "/api/login", NULL, "name=no%20good");
	for (i = 0; i < 30 && status != 429; i++) {
		fd = connect_from(s.port, "127.0.0.9");
		send_all(fd, req);
		read_reply(fd, &r);
		check_json(&r, 0);
		status = r.status;
		ck_assert(status == 400 || status == 429);
		reply_free(&r);
	}
	ck_assert_int_eq(status, 429);
	srv_stop_clean(&s);

	/* -c: the server keeps connections back, so it is full early. */
	srv_start(&s, "-c", "8", "-i", "100", NULL);
	for (i = 0; i < 20; i++) {
		snprintf(req, sizeof req, "name=full%d", i);
		if ((status = login(s.port, req, sid)) == 503)
			break;
		ck_assert_int_eq(status, 200);
	}
	ck_assert_int_eq(status, 503);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(say_posts_like_dotalk)
{
	struct server s;
	struct stream sa, sb;
	struct reply r;
	char alice[SID_BYTES], bob[SID_BYTES], carol[SID_BYTES];
	char dave[SID_BYTES], form[256], longer[400];
	int i, status = 0;

	srv_start(&s, NULL);
	ck_assert_int_eq(login(s.port, "name=alice&room=r", alice), 200);
	ck_assert_int_eq(login(s.port, "name=bob&room=r", bob), 200);
	ck_assert_int_eq(login(s.port, "name=carol&room=r", carol), 200);
	ck_assert_int_eq(login(s.port, "name=dave&room=r", dave), 200);
	ck_assert_int_eq(stream_open(&sa, s.port, alice, NULL), 200);
	ck_assert_int_eq(stream_open(&sb, s.port, bob, NULL), 200);
	ck_assert_int_eq(say(s.port, alice, "hello+there"), 200);
	ck_assert(stream_wait(&sb, "hello there", ITEST_TIMEOUT_MS));
	/* A whisper, through `to`. */
	snprintf(form, sizeof form, "sid=%s&message=psst&to=bob", alice);
	ck_assert_int_eq(api_status(s.port, "POST", "/api/say", form), 200);
	ck_assert(stream_wait(&sb, "psst", ITEST_TIMEOUT_MS));
	/* A command's answer comes on the sender's stream as a notice. */
	ck_assert_int_eq(say(s.port, alice, "/nosuchthing"), 200);
	ck_assert(stream_wait(&sa, "Unknown command /nosuchthing",
	    ITEST_TIMEOUT_MS));
	ck_assert_int_eq(say(s.port, alice, "/me+waves"), 200);
	ck_assert(stream_wait(&sb, "waves", ITEST_TIMEOUT_MS));
	/* Refusals: empty, too long, control characters. */
	snprintf(form, sizeof form, "sid=%s&message=", carol);
	ck_assert_int_eq(api(s.port, "POST", "/api/say", form, &r), 400);
	reply_free(&r);
	memset(longer, 'a', 301);
	longer[301] = '\0';
	ck_assert_int_eq(say(s.port, carol, longer), 400);
	ck_assert_int_eq(say(s.port, carol, "bell%07here"), 400);
	/* Too fast: 429 once the burst is spent. */
	for (i = 0; i < 10 && (status = say(s.port, dave, "quick")) == 200; i++)
		;
	ck_assert_int_eq(status, 429);
	/* No sid, an unknown one, the wrong method. */
	ck_assert_int_eq(api_status(s.port, "POST", "/api/say", "message=x"),
	    403);
	ck_assert_int_eq(api_status(s.port, "POST", "/api/say",
	    "sid=0123456789abcdef0123456789abcdef&message=x"), 403);
	snprintf(form, sizeof form, "/api/say?sid=%s&message=x", alice);
	ck_assert_int_eq(api(s.port, "GET", form, NULL, &r), 405);
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nAllow: POST\r\n"));
	reply_free(&r);
	ck_assert_int_eq(stream_count(&sb, ">x<"), 0);
	stream_close(&sa);
	stream_close(&sb);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(names_lists_the_room)
{
	struct server s;
	struct reply r;
	char alice[SID_BYTES], bob[SID_BYTES], target[128];

	srv_start(&s, NULL);
	ck_assert_int_eq(login(s.port, "name=bob&room=den&color=%23000080",
	    bob), 200);
	ck_assert_int_eq(login(s.port, "name=alice&room=den&color=%23800000",
	    alice), 200);
	ck_assert_int_eq(say(s.port, alice, "/away+at+%22lunch%22"), 200);
	ck_assert_int_eq(say(s.port, bob, "/topic+plans"), 200);
	snprintf(target, sizeof target, "/api/names?sid=%s", bob);
	ck_assert_int_eq(api(s.port, "GET", target, NULL, &r), 200);
	/* Sorted by name; bob made the room: its operator. */
	ck_assert_str_eq(r.body, "{\"room\":\"den\",\"topic\":\"plans\","
	    "\"users\":[{\"name\":\"alice\",\"color\":\"#800000\",\"op\":false,"
	    "\"away\":\"at \\\"lunch\\\"\",\"you\":false},{\"name\":\"bob\","
	    "\"color\":\"#000080\",\"op\":true,\"away\":null,\"you\":true}]}");
	reply_free(&r);
	/* HEAD: the head alone, with the length a GET would have. */
	ck_assert_int_eq(api(s.port, "HEAD", target, NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nContent-Length: 1"));
	reply_free(&r);
	ck_assert_int_eq(api(s.port, "POST", "/api/names", "x=y", &r), 405);
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nAllow: GET, HEAD\r\n"));
	reply_free(&r);
	ck_assert_int_eq(api_status(s.port, "GET", "/api/names", NULL), 403);
	ck_assert_int_eq(api_status(s.port, "GET", "/api/names?sid=short",
	    NULL), 403);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(rooms_lists_public_rooms)
{
	struct server s;
	struct reply r;
	char sid[SID_BYTES];

	srv_start(&s, NULL);
	ck_assert_int_eq(login(s.port, "name=ann&room=den", sid), 200);
	ck_assert_int_eq(say(s.port, sid, "/topic+%3Cb%3Ebold%3C%2Fb%3E"),
	    200);
	ck_assert_int_eq(login(s.port, "name=ben&room=den", sid), 200);
	/* Two strangers paired by `random`: their room is theirs. */
	ck_assert_int_eq(login(s.port, "name=cy&room=random", sid), 200);
	ck_assert_int_eq(login(s.port, "name=dee&room=random", sid), 200);
	ck_assert_int_eq(api(s.port, "GET", "/api/rooms", NULL, &r), 200);
	ck_assert_msg(r.body[0] == '[' && has(&r, "{\"name\":\"den\","
	    "\"users\":2,\"topic\":\"<b>bold</b>\"}") && has(&r,
	    "{\"name\":\"lobby\",\"users\":0,\"topic\":\"\"}"), "%s", r.body);
	ck_assert_msg(!has(&r, "random:"), "%s", r.body);
	reply_free(&r);
	ck_assert_int_eq(api_status(s.port, "HEAD", "/api/rooms", NULL), 200);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(leave_ends_the_session)
{
	struct server s;
	struct stream sb;
	char alice[SID_BYTES], bob[SID_BYTES], form[128];

	srv_start(&s, NULL);
	ck_assert_int_eq(login(s.port, "name=alice&room=r", alice), 200);
	ck_assert_int_eq(login(s.port, "name=bob&room=r", bob), 200);
	ck_assert_int_eq(stream_open(&sb, s.port, bob, NULL), 200);
	snprintf(form, sizeof form, "/api/leave?sid=%s", alice);
	ck_assert_int_eq(api_status(s.port, "GET", form, NULL), 405);
	snprintf(form, sizeof form, "sid=%s", alice);
	ck_assert_int_eq(say(s.port, alice, "bye"), 200);
	ck_assert(stream_wait(&sb, "bye", ITEST_TIMEOUT_MS));
	ck_assert_int_eq(api_status(s.port, "POST", "/api/leave", form), 200);
	ck_assert(stream_wait(&sb, " left r (", ITEST_TIMEOUT_MS));
	ck_assert_int_eq(api_status(s.port, "POST", "/api/leave", form), 403);
	ck_assert_int_eq(say(s.port, alice, "again"), 403);
	/* The name is free again. */
	ck_assert_int_eq(login(s.port, "name=alice", alice), 200);
	stream_close(&sb);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(every_error_is_json)
{
	struct server s;
	struct reply r;
	char req[REQ_MAX], hdr[128];

	srv_start(&s, NULL);
	ck_assert_int_eq(api_status(s.port, "GET", "/api/nope", NULL), 404);
	ck_assert_int_eq(api_status(s.port, "GET", "/api", NULL), 404);
	ck_assert_int_eq(api_status(s.port, "HEAD", "/api/nope", NULL), 404);
	ck_assert_int_eq(api_status(s.port, "POST", "/api/", "a=b"), 404);
	/* Refused by the parser, past the request line: still JSON. */
	ck_assert_int_eq(api_status(s.port, "PUT", "/api/rooms", NULL), 501);
	ck_assert_int_eq(api_status(s.port, "DELETE", "/api/leave", NULL), 501);
	/* A body over 8 KiB: 413. */
	request(req, sizeof req, "POST", "/api/say",
	    "Content-Length: 9000\r\n", NULL);
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 413);
	check_json(&r, 0);
	reply_free(&r);
	ck_assert_int_eq(api_status(s.port, "POST", "/api/say", "sid=%zz"),
	    400);
	ck_assert_int_eq(api_status(s.port, "GET", "/api/rooms?x=%4", NULL),
	    400);
	/* Another site's page may not use the API, even to read. */
	snprintf(hdr, sizeof hdr, "Host: 127.0.0.1:%d\r\nOrigin: "
	    "http://evil.example\r\n", s.port);
	request(req, sizeof req, "GET", "/api/rooms", hdr, NULL);
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 403);
	check_json(&r, 0);
	ck_assert_msg(has(&r, "another site"), "%s", r.body);
	reply_free(&r);
	request(req, sizeof req, "HEAD", "/api/rooms", hdr, NULL);
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 403);
	check_json(&r, 1);
	reply_free(&r);
	/* Its own origin may. */
	snprintf(hdr, sizeof hdr, "Host: 127.0.0.1:%d\r\nOrigin: "
	    "http://127.0.0.1:%d\r\n", s.port, s.port);
	request(req, sizeof req, "GET", "/api/rooms", hdr, NULL);
	cl_raw(s.port, req, strlen(req), &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	/* Outside /api/ the pages stay HTML. */
	cl_get(s.port, "/apinope", &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_nonnull(strstr(r.head, "text/html"));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

/*
 * A registered login waits for its password check off the loop: with the
 * accounts helper busy hashing a queue of registrations, other requests
 * are answered meanwhile, and the login still comes back right.
 */
START_TEST(registered_login_waits_off_the_loop)
{
	struct server s;
	struct reply r;
	char form[128], req[512], sid[SID_BYTES];
	int regs[BUSY_REGISTRATIONS], fd, rooms, i, answered_first = 0;
	struct pollfd p;
	long long t0;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	cl_post(s.port, "/register", "name=owner&passwd=secret", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	for (i = 0; i < BUSY_REGISTRATIONS; i++) {
		snprintf(form, sizeof form, "name=busy%d&passwd=pw%d", i, i);
		request(req, sizeof req, "POST", "/register", NULL, form);
		regs[i] = cl_connect(s.port);
		send_all(regs[i], req);
	}
	request(req, sizeof req, "POST", "/api/login", NULL,
	    "name=owner&passwd=secret&room=vault");
	fd = cl_connect(s.port);
	send_all(fd, req);
	/* While the helper hashes, the loop answers. */
	t0 = itest_now();
	request(req, sizeof req, "GET", "/api/rooms", NULL, NULL);
	rooms = cl_connect(s.port);
	send_all(rooms, req);
	read_reply(rooms, &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	p.fd = fd;
	p.events = POLLIN;
	answered_first = poll(&p, 1, 0) == 0;
	if (getenv("ITEST_VERBOSE") != NULL)
		fprintf(stderr, "rooms answered in %lld ms, before the "
		    "login: %d\n", itest_now() - t0, answered_first);
	ck_assert_msg(answered_first, "the login was answered before a "
	    "request that came after it");
	read_reply(fd, &r);
	check_json(&r, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(has(&r, "\"name\":\"owner\"") && has(&r,
	    "\"room\":\"vault\""), "%s", r.body);
	ck_assert(member(r.body, "sid", sid, sizeof sid));
	reply_free(&r);
	for (i = 0; i < BUSY_REGISTRATIONS; i++) {
		read_reply(regs[i], &r);
		ck_assert_int_eq(r.status, 200);
		reply_free(&r);
	}
	/* A wrong password, waited for the same way. */
	ck_assert_int_eq(login(s.port, "name=owner&passwd=nope", sid), 403);
	srv_stop_clean(&s);
}
END_TEST

/* Opens a stream request on a new connection: its fd, the request sent. */
static int
open_raw(int port, const char *method, const char *target, const char *extra)
{
	char req[REQ_MAX];
	int fd;

	request(req, sizeof req, method, target, extra, NULL);
	fd = cl_connect(port);
	send_all(fd, req);
	return fd;
}

/* Opens /api/events for sid (extra: header lines); the head is checked. */
static void
sse_open(struct stream *st, int port, const char *sid, const char *since,
    const char *extra)
{
	char target[128];

	snprintf(target, sizeof target, "/api/events?sid=%s%s%s", sid,
	    since ? "&since=" : "", since ? since : "");
	memset(st, 0, sizeof *st);
	st->fd = open_raw(port, "GET", target, extra);
	ck_assert(stream_wait(st, "\r\n\r\n", ITEST_TIMEOUT_MS));
	ck_assert_msg(strncmp(st->data, "HTTP/1.0 200 ", 13) == 0, "%s",
	    st->data);
	ck_assert_ptr_nonnull(strstr(st->data,
	    "\r\nContent-Type: text/event-stream; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(st->data, "\r\nCache-Control: no-store\r\n"));
	ck_assert_ptr_null(strstr(st->data, "Content-Length"));
}

/*
 * Checks every "data: " line of an SSE stream as JSON, and that each
 * event block is id (numbered only), event, data, blank line.
 */
static void
sse_check(const struct stream *st)
{
	const char *p = strstr(st->data, "\r\n\r\n") + 4, *e;

	for (; (e = strstr(p, "\n\n")) != NULL; p = e + 2) {
		const char *d;

		if (*p == ':')		/* a comment: the prologue, a keepalive */
			continue;
		if (strncmp(p, "id: ", 4) == 0)
			p = strchr(p, '\n') + 1;
		ck_assert_msg(strncmp(p, "event: ", 7) == 0, "%s", p);
		ck_assert_ptr_nonnull(d = strchr(p, '\n'));
		ck_assert_msg(strncmp(d + 1, "data: {", 7) == 0, "%s", p);
		d += 7;
		ck_assert_msg(jd_parse(d, (size_t)(e - d), JD_CHATD, NULL,
		    NULL) == 0, "data not JSON: %.*s", (int)(e - d), d);
	}
}

/* The "id: " line of the SSE event whose text is text, into id. */
static void
sse_id_of(const struct stream *st, const char *text, char *id, size_t size)
{
	char pat[128];
	const char *p, *q;

	snprintf(pat, sizeof pat, "\"text\":\"%s\"", text);
	ck_assert_ptr_nonnull(p = strstr(st->data, pat));
	while (p > st->data && strncmp(p, "\nid: ", 5) != 0)
		p--;
	p += 5;
	q = strchr(p, '\n');
	ck_assert((size_t)(q - p) < size);
	memcpy(id, p, (size_t)(q - p));
	id[q - p] = '\0';
}

START_TEST(sse_streams_and_replays_by_last_event_id)
{
	struct server s;
	struct stream st;
	struct reply r;
	char alice[SID_BYTES], bob[SID_BYTES], one[32], two[32], hdr[64];

	srv_start(&s, "-k", "1", NULL);
	ck_assert_int_eq(login(s.port, "name=alice&room=r", alice), 200);
	ck_assert_int_eq(login(s.port, "name=bob&room=r", bob), 200);
	sse_open(&st, s.port, bob, NULL, NULL);
	ck_assert_int_eq(say(s.port, alice, "one"), 200);
	ck_assert_int_eq(say(s.port, alice, "two"), 200);
	ck_assert(stream_wait(&st, "\"text\":\"two\"", ITEST_TIMEOUT_MS));
	ck_assert(stream_wait(&st, "event: msg\ndata: {\"id\":",
	    ITEST_TIMEOUT_MS));
	ck_assert(stream_wait(&st, "\"from\":\"alice\"", ITEST_TIMEOUT_MS));
	/* A command's answer: a notice, with no id. */
	ck_assert_int_eq(say(s.port, bob, "/nosuch"), 200);
	ck_assert(stream_wait(&st, "event: notice\ndata: {\"type\":\"notice\"",
	    ITEST_TIMEOUT_MS));
	/* Keepalive comments while idle (-k 1). */
	ck_assert(stream_wait(&st, "\n\n:\n\n", 2500));
	sse_check(&st);
	sse_id_of(&st, "one", one, sizeof one);
	sse_id_of(&st, "two", two, sizeof two);
	stream_close(&st);
	ck_assert_int_eq(say(s.port, alice, "three"), 200);
	ck_assert_int_eq(say(s.port, alice, "four"), 200);
	/* EventSource comes back with Last-Event-ID: the rest, nothing again. */
	snprintf(hdr, sizeof hdr, "Last-Event-ID: %s\r\n", two);
	sse_open(&st, s.port, bob, one, hdr);
	ck_assert(stream_wait(&st, "\"text\":\"four\"", ITEST_TIMEOUT_MS));
	ck_assert(stream_wait(&st, "\"text\":\"three\"", 0));
	ck_assert_int_eq(stream_count(&st, "\"text\":\"two\""), 0);
	ck_assert_int_eq(stream_count(&st, "\"text\":\"one\""), 0);
	sse_check(&st);
	stream_close(&st);
	/* since= alone does the same. */
	sse_open(&st, s.port, bob, one, NULL);
	ck_assert(stream_wait(&st, "\"text\":\"four\"", ITEST_TIMEOUT_MS));
	ck_assert_int_eq(stream_count(&st, "\"text\":\"one\""), 0);
	ck_assert_int_eq(stream_count(&st, "\"text\":\"two\""), 1);
	/* A second stream of the session replaces this one, which is told. */
	cl_raw(s.port, "HEAD /api/events HTTP/1.0\r\n\r\n", 29, &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	{
		struct stream st2;

		sse_open(&st2, s.port, bob, NULL, NULL);
		ck_assert(stream_wait(&st, "event: end\ndata: {\"type\":\"end\"",
		    ITEST_TIMEOUT_MS));
		ck_assert(stream_wait_eof(&st, ITEST_TIMEOUT_MS));
		stream_close(&st2);
	}
	sse_check(&st);
	stream_close(&st);
	srv_stop_clean(&s);
}
END_TEST

/*
 * 1 if a poll's whole answer is in within ms (read without taking it): a
 * waiting poll has sent its head and {"events":[ already.
 */
static int
answered(int fd, int ms)
{
	char buf[16384];
	long long until = itest_now() + ms;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof buf - 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0)
			return 1;
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, "\"next\":") != NULL ||
			    strstr(buf, "]}") != NULL)
				return 1;
		}
		if (itest_now() >= until)
			return 0;
		poll(NULL, 0, 10);
	}
}

/* Starts a poll; the connection, to read the answer from. */
static int
poll_start(int port, const char *sid, const char *since, const char *timeout)
{
	char target[160];

	snprintf(target, sizeof target, "/api/poll?sid=%s%s%s%s%s", sid,
	    since ? "&since=" : "", since ? since : "", timeout ? "&timeout=" :
	    "", timeout ? timeout : "");
	return open_raw(port, "GET", target, NULL);
}

/* A poll's answer: checked, 200, its next into next; the body in r. */
static void
poll_read(int fd, struct reply *r, char *next, size_t size)
{
	const char *p;
	size_t n;

	read_reply(fd, r);
	check_json(r, 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strncmp(r->body, "{\"events\":[", 11) == 0, "%s", r->body);
	ck_assert_ptr_nonnull(p = strstr(r->body, "],\"next\":"));
	p += 9;
	n = strspn(p, "0123456789");
	ck_assert(n > 0 && n < size && strcmp(p + n, "}") == 0);
	memcpy(next, p, n);
	next[n] = '\0';
}

START_TEST(poll_answers_at_once_or_when_something_comes)
{
	struct server s;
	struct reply r;
	char alice[SID_BYTES], bob[SID_BYTES], next[32], again[32];
	char target[128];
	long long t0;
	int fd, fd2;

	srv_start(&s, NULL);
	ck_assert_int_eq(login(s.port, "name=alice&room=r", alice), 200);
	ck_assert_int_eq(login(s.port, "name=bob&room=r", bob), 200);
	/* Without since: the room's recent events, at once, with a length. */
	t0 = itest_now();
	poll_read(poll_start(s.port, bob, NULL, NULL), &r, next, sizeof next);
	ck_assert(itest_now() - t0 < 1000);
	ck_assert_msg(has(&r, "\"type\":\"join\",") && has(&r,
	    "\"from\":\"bob\""), "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.head, "\r\nContent-Length: "));
	reply_free(&r);
	/* Nothing after next: it waits, and answers when alice speaks. */
	fd = poll_start(s.port, bob, next, NULL);
	ck_assert(!answered(fd, 300));
	ck_assert_int_eq(say(s.port, alice, "hello"), 200);
	ck_assert(answered(fd, 1000));
	poll_read(fd, &r, again, sizeof again);
	ck_assert_msg(strstr(r.body, "{\"events\":[{\"id\":") == r.body &&
	    has(&r, "\"type\":\"msg\"") && has(&r, "\"text\":\"hello\""),
	    "%s", r.body);
	ck_assert_msg(has(&r, again), "next %s is not the event's: %s", again,
	    r.body);
	ck_assert_str_ne(again, next);
	reply_free(&r);
	strcpy(next, again);
	/* The timeout: an empty list, next as it was. */
	t0 = itest_now();
	poll_read(poll_start(s.port, bob, next, "1"), &r, again, sizeof again);
	ck_assert_msg(itest_now() - t0 >= 900, "%lld ms",
	    itest_now() - t0);
	ck_assert_msg(strncmp(r.body, "{\"events\":[],\"next\":", 20) == 0,
	    "%s", r.body);
	ck_assert_str_eq(again, next);
	reply_free(&r);
	/* A second poll answers the first at once, empty; then waits itself. */
	fd = poll_start(s.port, bob, next, "30");
	ck_assert(!answered(fd, 200));
	fd2 = poll_start(s.port, bob, next, "30");
	ck_assert(answered(fd, 1000));
	poll_read(fd, &r, again, sizeof again);
	ck_assert_msg(strncmp(r.body, "{\"events\":[],", 13) == 0, "%s",
	    r.body);
	ck_assert_str_eq(again, next);
	reply_free(&r);
	ck_assert(!answered(fd2, 200));
	ck_assert_int_eq(say(s.port, alice, "second"), 200);
	poll_read(fd2, &r, again, sizeof again);
	ck_assert(has(&r, "\"text\":\"second\""));
	reply_free(&r);
	strcpy(next, again);
	/* since and timeout that are not numbers: as if absent. */
	poll_read(poll_start(s.port, bob, "x1", NULL), &r, again, sizeof again);
	ck_assert(has(&r, "\"text\":\"hello\""));	/* the last -H */
	reply_free(&r);
	fd = poll_start(s.port, bob, next, "soon");
	ck_assert(!answered(fd, 1500));		/* not 0: the default */
	ck_assert_int_eq(say(s.port, alice, "third"), 200);
	poll_read(fd, &r, again, sizeof again);
	ck_assert(has(&r, "\"text\":\"third\""));
	reply_free(&r);
	strcpy(next, again);
	/* Notices between polls are kept for the next one. */
	ck_assert_int_eq(say(s.port, bob, "/nosuch1"), 200);
	ck_assert_int_eq(say(s.port, bob, "/nosuch2"), 200);
	poll_read(poll_start(s.port, bob, next, NULL), &r, again, sizeof again);
	ck_assert_msg(has(&r, "{\"type\":\"notice\"") && has(&r, "/nosuch1") &&
	    has(&r, "/nosuch2"), "%s", r.body);
	ck_assert_str_eq(again, next);
	reply_free(&r);
	/* HEAD: the head alone; no sid: 403. */
	snprintf(target, sizeof target, "/api/poll?sid=%s", bob);
	ck_assert_int_eq(api_status(s.port, "HEAD", target, NULL), 200);
	ck_assert_int_eq(api_status(s.port, "GET", "/api/poll", NULL), 403);
	ck_assert_int_eq(api_status(s.port, "POST", "/api/poll", "a=b"), 405);
	srv_stop_clean(&s);
}
END_TEST

/* Polls keep a session; without them it leaves after the grace period. */
START_TEST(polls_keep_the_session)
{
	struct server s;
	struct reply r;
	char alice[SID_BYTES], bob[SID_BYTES], next[32], target[128];
	long long until;

	srv_start(&s, "-g", "1", NULL);
	ck_assert_int_eq(login(s.port, "name=alice&room=r", alice), 200);
	ck_assert_int_eq(login(s.port, "name=bob&room=r", bob), 200);
	poll_read(poll_start(s.port, bob, NULL, "0"), &r, next, sizeof next);
	reply_free(&r);
	/* Four seconds of two-second polls: longer than -g, still there. */
	until = itest_now() + 4000;
	while (itest_now() < until) {
		poll_read(poll_start(s.port, bob, next, "2"), &r, next,
		    sizeof next);
		reply_free(&r);
	}
	snprintf(target, sizeof target, "/api/names?sid=%s", alice);
	ck_assert_int_eq(api(s.port, "GET", target, NULL, &r), 200);
	ck_assert_msg(has(&r, "\"name\":\"bob\""), "%s", r.body);
	reply_free(&r);
	/* No more polls: gone after the grace period. */
	poll(NULL, 0, 2500);
	ck_assert_int_eq(api(s.port, "GET", target, NULL, &r), 200);
	ck_assert_msg(!has(&r, "\"name\":\"bob\""), "%s", r.body);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

#define CHAIN_TALKERS	12	/* each says CHAIN_EACH lines in one burst */
#define CHAIN_EACH	5

/*
 * A chain of polls, each from the last one's next, while twelve users
 * talk: every line arrives exactly once, in order.
 */
START_TEST(poll_chain_loses_and_repeats_nothing)
{
	struct server s;
	struct reply r;
	char sids[CHAIN_TALKERS][SID_BYTES], bob[SID_BYTES], form[64];
	char next[32], text[32];
	char *seen;
	size_t seen_len = 0, seen_cap = 1 << 16;
	unsigned long long last_id = 0, id;
	unsigned seed = (unsigned)getpid();
	const char *p;
	long long until;
	int i, j, k, fd, polls = 0, total = CHAIN_TALKERS * CHAIN_EACH;

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(seen = calloc(1, seen_cap));
	ck_assert_int_eq(login(s.port, "name=bob&room=r", bob), 200);
	for (i = 0; i < CHAIN_TALKERS; i++) {
		snprintf(form, sizeof form, "name=talker%d&room=r", i);
		ck_assert_int_eq(login(s.port, form, sids[i]), 200);
	}
	poll_read(poll_start(s.port, bob, NULL, "0"), &r, next, sizeof next);
	reply_free(&r);
	fd = poll_start(s.port, bob, next, NULL);
	i = j = 0;
	until = itest_now() + 15000;
	while (itest_now() < until) {
		/* One to four lines between looks, so answers hold several. */
		for (k = (int)(rand_r(&seed) % 4); k >= 0 && j < CHAIN_EACH;
		    k--) {
			snprintf(text, sizeof text, "line-%d-%d", i, j);
			ck_assert_int_eq(say(s.port, sids[i], text), 200);
			if (++i == CHAIN_TALKERS)
				i = 0, j++;
		}
		if (rand_r(&seed) % 4 == 0)
			poll(NULL, 0, (int)(rand_r(&seed) % 5));
		if (!answered(fd, j < CHAIN_EACH ? 0 : 1000))
			continue;
		poll_read(fd, &r, next, sizeof next);
		polls++;
		/* Numbers only grow along the chain. */
		for (p = r.body; (p = strstr(p, "{\"id\":")) != NULL; p++) {
			id = strtoull(p + 6, NULL, 10);
			ck_assert_msg(id > last_id, "%llu after %llu", id,
			    last_id);
			last_id = id;
		}
		for (p = r.body; (p = strstr(p, "\"text\":\"line-")) != NULL;
		    p++) {
			ck_assert(seen_len + 32 < seen_cap);
			seen_len += (size_t)sprintf(seen + seen_len, "%.*s\n",
			    (int)strcspn(p + 8, "\""), p + 8);
		}
		reply_free(&r);
		if (j >= CHAIN_EACH && (int)seen_len > 0 &&
		    strstr(seen, "line-11-4\n") != NULL)
			break;
		fd = poll_start(s.port, bob, next, NULL);
	}
	/* Each line once. */
	for (i = 0; i < CHAIN_TALKERS; i++)
		for (j = 0; j < CHAIN_EACH; j++) {
			char want[32], *first;

			snprintf(want, sizeof want, "line-%d-%d\n", i, j);
			ck_assert_msg((first = strstr(seen, want)) != NULL,
			    "%s lost after %d polls", want, polls);
			ck_assert_msg(strstr(first + 1, want) == NULL,
			    "%s twice", want);
		}
	ck_assert_msg(polls > 1, "one poll took it all");
	if (getenv("ITEST_VERBOSE") != NULL)
		fprintf(stderr, "poll chain: %d lines in %d polls\n", total,
		    polls);
	free(seen);
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_api_suite(void)
{
	Suite *s = suite_create("itest_api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, login_gives_a_session);
	tcase_add_test(tc, login_refusals_have_the_html_statuses);
	tcase_add_test(tc, login_limits_429_and_503);
	tcase_add_test(tc, say_posts_like_dotalk);
	tcase_add_test(tc, names_lists_the_room);
	tcase_add_test(tc, rooms_lists_public_rooms);
	tcase_add_test(tc, leave_ends_the_session);
	tcase_add_test(tc, every_error_is_json);
	tcase_add_test(tc, registered_login_waits_off_the_loop);
	tcase_add_test(tc, sse_streams_and_replays_by_last_event_id);
	tcase_add_test(tc, poll_answers_at_once_or_when_something_comes);
	tcase_add_test(tc, polls_keep_the_session);
	tcase_add_test(tc, poll_chain_loses_and_repeats_nothing);
	suite_add_tcase(s, tc);
	return s;
}
