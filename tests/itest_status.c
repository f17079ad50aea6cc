/* itest_status.c: /status, /status.json and /metrics: access, formats, and figures that follow the server. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "json_decode.h"
#include "suites.h"

#define SID_BYTES	33
#define FAMILIES_MAX	64

/*
 * Sends a request from a source address in 127/8 (NULL: the default) and
 * reads the answer to EOF into r (status, head, body).
 */
static void
from(int port, const char *src, const char *req, struct reply *r)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	size_t len = 0, cap = 65536;
	long long until = itest_now() + ITEST_TIMEOUT_MS;
	char *data = malloc(cap), *p;
	ssize_t n;
	int fd;

	ck_assert_ptr_nonnull(data);
	ck_assert((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	if (src != NULL) {
		inet_pton(AF_INET, src, &sin.sin_addr);
		ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
		    "bind %s: %s", src, strerror(errno));
	}
	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	ck_assert(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	ck_assert(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (itest_now() < until && poll(&pfd, 1, 100) >= 0) {
		if (len + 4096 > cap)
			ck_assert_ptr_nonnull(data = realloc(data, cap *= 2));
		if ((n = read(fd, data + len, cap - len - 1)) <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				break;
			continue;
		}
		len += (size_t)n;
	}
	close(fd);
	data[len] = '\0';
	memset(r, 0, sizeof *r);
	r->status = len > 12 ? atoi(data + 9) : 0;
	if ((p = strstr(data, "\r\n\r\n")) != NULL) {
		*p = '\0';
		r->body = strdup(p + 4);
		r->body_len = len - (size_t)(p + 4 - data);
	} else
		r->body = strdup("");
	r->head = data;
}

static void
get_from(int port, const char *src, const char *method, const char *target,
    struct reply *r)
{
	char req[512];

	snprintf(req, sizeof req, "%s %s HTTP/1.0\r\n\r\n", method, target);
	from(port, src, req, r);
}

/* Logs in from src with a form; the status, and the sid on 200. */
static int
login_from(int port, const char *src, const char *form, char sid[SID_BYTES])
{
	char req[512];
	struct reply r;
	const char *p;
	int status;

	snprintf(req, sizeof req, "POST /login HTTP/1.0\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(form), form);
	from(port, src, req, &r);
	status = r.status;
	/* A login answers 303 to /room?sid=... */
	if (status == 303) {
		ck_assert_ptr_nonnull(p = strstr(r.head, "Location: /room?sid="));
		memcpy(sid, p + strlen("Location: /room?sid="), SID_BYTES - 1);
		sid[SID_BYTES - 1] = '\0';
	}
	reply_free(&r);
	return status;
}

static int
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalpha((unsigned char)s[i]) || s[i] == '_' ||
		    s[i] == ':' || (i > 0 && isdigit((unsigned char)s[i]))))
			return 0;
	return 1;
}

/*
 * Checks the exposition text line by line: a comment, a blank line, or
 * name{label="value",...} value, with valid names, label values escaped,
 * a number for the value, and HELP and TYPE before a family's first
 * sample.  Every name must start chatd_, counters end _total.  0 if all
 * is well, else the number of the first bad line.
 */
static int
prom_check(const char *text)
{
	char helped[FAMILIES_MAX][64], typed[FAMILIES_MAX][64];
	char types[FAMILIES_MAX][16];
	int nhelp = 0, ntype = 0, line = 0, i, found;
	const char *p = text, *end, *q, *v;
	char name[64], *e;
	size_t n;

	for (; *p != '\0'; p = *end ? end + 1 : end) {
		line++;
		end = strchr(p, '\n');
		if (end == NULL)
			return line;	/* the text ends with a newline */
		if (end == p)
			continue;
		if (strncmp(p, "# HELP ", 7) == 0 || strncmp(p, "# TYPE ", 7) == 0) {
			q = p + 7;
			n = strcspn(q, " \n");
			if (!valid_name(q, n) || n >= sizeof name || q[n] != ' ')
				return line;
			memcpy(name, q, n);
			name[n] = '\0';
			if (p[2] == 'H') {
				if (nhelp == FAMILIES_MAX)
					return line;
				snprintf(helped[nhelp++], 64, "%s", name);
			} else {
				if (ntype == FAMILIES_MAX)
					return line;
				v = q + n + 1;
				n = (size_t)(end - v);
				if (!((n == 7 && strncmp(v, "counter", 7) == 0) ||
				    (n == 5 && strncmp(v, "gauge", 5) == 0)))
					return line;
				snprintf(types[ntype], 16, "%.*s", (int)n, v);
				snprintf(typed[ntype++], 64, "%s", name);
			}
			continue;
		}
		if (*p == '#')
			continue;
		n = strcspn(p, "{ \n");
		if (!valid_name(p, n) || n >= sizeof name)
			return line;
		memcpy(name, p, n);
		name[n] = '\0';
		if (strncmp(name, "chatd_", 6) != 0)
			return line;
		q = p + n;
		if (*q == '{') {
			for (q++; *q != '}'; ) {
				n = strcspn(q, "=\n");
				if (!valid_name(q, n) || q[n] != '=' ||
				    q[n + 1] != '"')
					return line;
				for (q += n + 2; *q != '"'; q++) {
					if (*q == '\n' || *q == '\0')
						return line;
					if (*q == '\\') {
						q++;
						if (*q != '\\' && *q != '"' && *q != 'n')
							return line;
					}
				}
				q++;
				if (*q == ',')
					q++;
				else if (*q != '}')
					return line;
			}
			q++;
		}
		if (*q != ' ')
			return line;
		strtod(q + 1, &e);
		if (e == q + 1 || e != end)
			return line;
		for (found = 0, i = 0; i < nhelp && !found; i++)
			found = strcmp(helped[i], name) == 0;
		if (!found)
			return line;
		for (found = 0, i = 0; i < ntype && !found; i++)
			if (strcmp(typed[i], name) == 0) {
				found = 1;
				n = strlen(name);
				if (strcmp(types[i], "counter") == 0 &&
				    (n < 6 || strcmp(name + n - 6, "_total") != 0))
					return line;
			}
		if (!found)
			return line;
	}
	return 0;
}

/* The value of the sample whose text before the value is key; -1 if none. */
static double
metric(const char *text, const char *key)
{
	const char *p = text;
	size_t n = strlen(key);

	while ((p = strstr(p, key)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

/* Reads /metrics from loopback, checked as exposition text. */
static char *
metrics(int port)
{
	struct reply r;
	char *body;
	int bad;

	get_from(port, NULL, "GET", "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: text/plain; "
	    "version=0.0.4; charset=utf-8"));
	bad = prom_check(r.body);
	ck_assert_msg(bad == 0, "line %d is not exposition text:\n%s", bad,
	    r.body);
	body = r.body;
	r.body = NULL;
	reply_free(&r);
	return body;
}

/* Waits up to ms for a sample to have the value. */
static int
metric_becomes(int port, const char *key, double want, int ms)
{
	long long until = itest_now() + ms;
	double v;
	char *m;

	for (;;) {
		m = metrics(port);
		v = metric(m, key);
		free(m);
		if (v == want)
			return 1;
		if (itest_now() > until)
			return 0;
		poll(NULL, 0, 20);
	}
}

START_TEST(only_loopback_and_admins_see_the_status)
{
	static const char *const paths[] = { "/status", "/status.json",
	    "/metrics" };
	static const char *const types[] = { "text/html", "application/json",
	    "text/plain" };
	struct server s0, s;
	struct reply r;
	char sid[SID_BYTES], target[128], path[600];
	size_t i;

	/* boss registers before a server with -a boss starts. */
	srv_start(&s0, "-A", "@DIR@/accounts", NULL);
	snprintf(path, sizeof path, "%s/accounts", s0.dir);
	cl_post(s0.port, "/register", "name=boss&passwd=pw", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	cl_post(s0.port, "/register", "name=pat&passwd=pw", &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	srv_stop_clean(&s0);
	srv_start(&s, "-A", path, "-a", "boss", NULL);
	for (i = 0; i < 3; i++) {
		/* 127.0.0.2 is in 127/8, but only 127.0.0.1 and ::1 count. */
		get_from(s.port, "127.0.0.2", "GET", paths[i], &r);
		ck_assert_int_eq(r.status, 403);
		ck_assert_ptr_nonnull(strstr(r.head, types[i]));
		ck_assert_ptr_null(strstr(r.body, "chatd_"));
		ck_assert_ptr_null(strstr(r.body, "uptime"));
		reply_free(&r);
		get_from(s.port, NULL, "GET", paths[i], &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_nonnull(strstr(r.head, types[i]));
		ck_assert_ptr_nonnull(strstr(r.body, "epoll") ?
		    strstr(r.body, "epoll") : strstr(r.body, "loop"));
		reply_free(&r);
		get_from(s.port, NULL, "HEAD", paths[i], &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_int_eq((int)r.body_len, 0);
		ck_assert_ptr_nonnull(strstr(r.head, types[i]));
		reply_free(&r);
	}
	/* A user's sid is not enough; an administrator's is. */
	ck_assert_int_eq(login_from(s.port, "127.0.0.2",
	    "name=pat&passwd=pw", sid), 303);
	snprintf(target, sizeof target, "/metrics?sid=%s", sid);
	get_from(s.port, "127.0.0.2", "GET", target, &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	ck_assert_int_eq(login_from(s.port, "127.0.0.2",
	    "name=boss&passwd=pw", sid), 303);
	for (i = 0; i < 3; i++) {
		snprintf(target, sizeof target, "%s?sid=%s", paths[i], sid);
		get_from(s.port, "127.0.0.2", "GET", target, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_nonnull(strstr(r.head, types[i]));
		reply_free(&r);
	}
	/* A sid that names nobody, and a malformed one. */
	get_from(s.port, "127.0.0.2", "GET",
	    "/status.json?sid=0123456789abcdef0123456789abcdef", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_int_eq(jd_parse(r.body, r.body_len, JD_CHATD, NULL, NULL), 0);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(a_backend_token_opens_the_status)
{
	static const char *const paths[] = { "/status", "/status.json",
	    "/metrics" };
	struct server s;
	struct reply r;
	char dir[256], path[300], req[512];
	FILE *f;
	size_t i;

	itest_scratch(dir, sizeof dir, "stok");
	snprintf(path, sizeof path, "%s/tokens", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("# status\ntok-for-status\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
	srv_start(&s, "-T", path, NULL);
	for (i = 0; i < 3; i++) {
		snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nAuthorization: "
		    "Bearer tok-for-status\r\n\r\n", paths[i]);
		from(s.port, "127.0.0.2", req, &r);
		ck_assert_int_eq(r.status, 200);
		reply_free(&r);
		snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nAuthorization: "
		    "Bearer tok-for-statuz\r\n\r\n", paths[i]);
		from(s.port, "127.0.0.2", req, &r);
		ck_assert_int_eq(r.status, 403);
		reply_free(&r);
	}
	/* Without -T no token opens it. */
	srv_stop_clean(&s);
	srv_start(&s, NULL);
	from(s.port, "127.0.0.2", "GET /metrics HTTP/1.0\r\nAuthorization: "
	    "Bearer tok-for-status\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 403);
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(metrics_follow_sessions_and_streams)
{
	struct server s;
	struct stream a;
	struct reply r;
	const char *sid;
	char sida[SID_BYTES], sidb[SID_BYTES], req[256];
	char *m;
	int status, fd;

	srv_start(&s, NULL);
	m = metrics(s.port);
	ck_assert(metric(m, "chatd_sessions") == 0);
	ck_assert(metric(m, "chatd_streams{transport=\"html\"}") == 0);
	ck_assert(metric(m, "chatd_room_people{room=\"lobby\"}") == 0);
	ck_assert(metric(m, "chatd_uptime_seconds") >= 0);
	ck_assert(metric(m, "chatd_connections{state=\"reading\"}") >= 1);
	free(m);

	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=ann&room=den",
	    &status));
	snprintf(sida, sizeof sida, "%s", sid);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=bob&room=den",
	    &status));
	snprintf(sidb, sizeof sidb, "%s", sid);
	m = metrics(s.port);
	ck_assert(metric(m, "chatd_sessions") == 2);
	ck_assert(metric(m, "chatd_room_people{room=\"den\"}") == 2);
	ck_assert(metric(m, "chatd_rooms") == 2);
	free(m);

	/* An HTML chat frame, then an SSE stream. */
	ck_assert_int_eq(stream_open(&a, s.port, sida, NULL), 200);
	ck_assert(metric_becomes(s.port, "chatd_streams{transport=\"html\"}",
	    1, 2000));
	ck_assert(metric_becomes(s.port,
	    "chatd_connections{state=\"streaming\"}", 1, 2000));
	fd = cl_connect(s.port);
	snprintf(req, sizeof req, "GET /api/events?sid=%s HTTP/1.0\r\n\r\n",
	    sidb);
	ck_assert(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	ck_assert(metric_becomes(s.port, "chatd_streams{transport=\"sse\"}",
	    1, 2000));
	ck_assert(metric_becomes(s.port,
	    "chatd_connections{state=\"streaming\"}", 2, 2000));
	close(fd);
	ck_assert(metric_becomes(s.port, "chatd_streams{transport=\"sse\"}",
	    0, 2000));
	stream_close(&a);
	ck_assert(metric_becomes(s.port, "chatd_streams{transport=\"html\"}",
	    0, 2000));

	/* Leaving ends a session. */
	snprintf(req, sizeof req, "sid=%s", sidb);
	cl_post(s.port, "/leave", req, &r);
	reply_free(&r);
	ck_assert(metric_becomes(s.port, "chatd_sessions", 1, 2000));
	srv_stop_clean(&s);
}
END_TEST

START_TEST(counters_grow_with_events_and_refusals)
{
	struct server s;
	struct stream a;
	const char *sid;
	char sida[SID_BYTES], key[64];
	double events, deliveries, last;
	char *m;
	int status, i, refused = 0;

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(sid = cl_login(s.port, "name=ann&room=den",
	    &status));
	snprintf(sida, sizeof sida, "%s", sid);
	ck_assert_int_eq(stream_open(&a, s.port, sida, NULL), 200);
	ck_assert(stream_wait(&a, "ann", 2000));
	m = metrics(s.port);
	events = metric(m, "chatd_events_posted_total");
	deliveries = metric(m, "chatd_deliveries_total");
	ck_assert(events >= 1);		/* ann's join */
	ck_assert(metric(m, "chatd_refusals_total{cause=\"login_rate\"}") == 0);
	free(m);

	ck_assert_int_eq(cl_say(s.port, sida, "hello+there"), 200);
	ck_assert(stream_wait(&a, "hello there", 2000));
	m = metrics(s.port);
	ck_assert(metric(m, "chatd_events_posted_total") == events + 1);
	ck_assert(metric(m, "chatd_deliveries_total") >= deliveries + 1);
	last = metric(m, "chatd_room_last_event{room=\"den\"}");
	ck_assert(last > 0);
	ck_assert(metric(m, "chatd_room_history_events{room=\"den\"}") >= 2);
	free(m);

	/* A burst of logins from one address (not loopback) meets 429. */
	for (i = 0; i < 20 && !refused; i++) {
		snprintf(key, sizeof key, "name=burst%d", i);
		refused = login_from(s.port, "127.0.0.3", key, sida) == 429;
	}
	ck_assert(refused);
	m = metrics(s.port);
	ck_assert(metric(m, "chatd_refusals_total{cause=\"login_rate\"}") >= 1);
	ck_assert(metric(m, "chatd_refusals_total{cause=\"full\"}") == 0);
	free(m);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(status_json_is_json_with_every_figure)
{
	static const char *const keys[] = { "\"started\":", "\"uptime\":",
	    "\"loop\":", "\"connections\":{\"reading\":", "\"streaming\":",
	    "\"streams\":{\"html\":", "\"sse\":", "\"sessions\":1",
	    "\"watchers\":0",
	    ("\"rooms\":[{\"name\":\"lobby\",\"people\":1,\"last_event\":"), "\"history\":", "\"queued_bytes\":",
	    "\"events\":", "\"deliveries\":", "\"refusals\":{\"full\":0,",
	    "\"per_address\":", "\"login_rate\":", "\"queue\":",
	    "\"total_queue\":", "\"room_cap\":", "\"session_cap\":" };
	struct server s;
	struct reply r;
	int status;
	size_t i;

	srv_start(&s, NULL);
	ck_assert_ptr_nonnull(cl_login(s.port, "name=ann", &status));
	cl_get(s.port, "/status.json", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(jd_parse(r.body, r.body_len, JD_CHATD, NULL, NULL), 0);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		ck_assert_msg(strstr(r.body, keys[i]) != NULL, "%s not in %s",
		    keys[i], r.body);
	reply_free(&r);
	cl_get(s.port, "/status", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "<caption>Streams</caption>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<td>lobby</td><td>1</td>"));
	ck_assert_ptr_nonnull(strstr(r.body, "/style.css"));
	reply_free(&r);
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_status_suite(void)
{
	Suite *s = suite_create("itest_status");
	TCase *tc = tcase_create("status");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, only_loopback_and_admins_see_the_status);
	tcase_add_test(tc, a_backend_token_opens_the_status);
	tcase_add_test(tc, metrics_follow_sessions_and_streams);
	tcase_add_test(tc, counters_grow_with_events_and_refusals);
	tcase_add_test(tc, status_json_is_json_with_every_figure);
	suite_add_tcase(s, tc);
	return s;
}
