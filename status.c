/* status.c: /status, /status.json and /metrics: the figures of a running chatd. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "json.h"
#include "loop.h"
#include "queue.h"
#include "room.h"
#include "session.h"
#include "stats.h"
#include "status.h"

/* The connection states shown, in this order (free slots are not). */
static const enum stats_conn shown[] = {
	STATS_CONN_READING, STATS_CONN_WAITING, STATS_CONN_RESPONDING,
	STATS_CONN_LINGERING, STATS_CONN_STREAMING, STATS_CONN_CLOSING
};
#define NSHOWN	(sizeof shown / sizeof shown[0])

int
status_local(const char *ip)
{
	return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0 ||
	    strcmp(ip, "::ffff:127.0.0.1") == 0;
}

static long long
uptime(void)
{
	time_t t = time(NULL);

	return t > stats->started ? (long long)(t - stats->started) : 0;
}

static long
conns_open(void)
{
	long n = 0;
	size_t i;

	for (i = 0; i < NSHOWN; i++)
		n += stats->conns[shown[i]];
	return n;
}

static void
html_esc(struct buf *b, const char *s)
{
	http_html_escape(b, s, strlen(s));
}

/* A table of name and value rows begins. */
static void
table(struct buf *b, const char *caption, const char *key, const char *value)
{
	buf_printf(b, "<table>\n<caption>%s</caption>\n"
	    "<tr><th>%s</th><th>%s</th></tr>\n", caption, key, value);
}

static void
row(struct buf *b, const char *name, unsigned long long n)
{
	buf_adds(b, "<tr><td>");
	html_esc(b, name);
	buf_printf(b, "</td><td>%llu</td></tr>\n", n);
}

void
status_html(struct buf *b)
{
	const struct room *r;
	char when[32];
	time_t started = stats->started;
	size_t i;
	int t;

	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&started));
	table(b, "Server", "Figure", "Value");
	buf_printf(b, "<tr><td>started</td><td>%s</td></tr>\n", when);
	row(b, "uptime (seconds)", (unsigned long long)uptime());
	buf_adds(b, "<tr><td>event loop</td><td>");
	html_esc(b, loop_backend());
	buf_adds(b, "</td></tr>\n");
	row(b, "sessions", (unsigned long long)session_count());
	row(b, "watchers", (unsigned long long)stats->watchers);
	row(b, "bytes queued", (unsigned long long)outq_memory());
	row(b, "events posted", stats->events);
	row(b, "deliveries", stats->deliveries);
	buf_adds(b, "</table>\n");

	if (*stats->redis) {
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC",
		    gmtime(&stats->redis_since));
		table(b, "Redis (-R)", "Figure", "Value");
		buf_adds(b, "<tr><td>address</td><td>");
		html_esc(b, stats->redis);
		buf_printf(b, "</td></tr>\n<tr><td>link</td><td>%s</td></tr>\n"
		    "<tr><td>since</td><td>%s</td></tr>\n", stats->redis_up ?
		    "up: rooms shared" : "down: chatting locally", when);
		row(b, "outages", stats->redis_outages);
		buf_adds(b, "</table>\n");
	}

	table(b, "Connections", "State", "Open");
	for (i = 0; i < NSHOWN; i++)
		row(b, stats_conn_name(shown[i]),
		    (unsigned long long)stats->conns[shown[i]]);
	row(b, "all", (unsigned long long)conns_open());
	buf_adds(b, "</table>\n");

	table(b, "Streams", "Transport", "Open");
	for (t = 0; t < stats->ntransports; t++)
		row(b, stats->transport[t], (unsigned long long)stats->streams[t]);
	buf_adds(b, "</table>\n");

	table(b, "Refusals", "Cause", "So far");
	for (i = 0; i < STATS_REFUSED_COUNT; i++)
		row(b, stats_refusal_name((enum stats_refusal)i),
		    stats->refused[i]);
	buf_adds(b, "</table>\n");

	buf_printf(b, "<table>\n<caption>Rooms (%d)</caption>\n<tr><th>Room"
	    "</th><th>People</th><th>Last event</th><th>History held</th>"
	    "</tr>\n", room_count());
	for (r = room_first(); r != NULL; r = r->next) {
		buf_adds(b, "<tr><td>");
		html_esc(b, r->name);
		buf_printf(b, "</td><td>%d</td><td>%llu</td><td>%u</td></tr>\n",
		    r->nmembers, r->seq, r->count);
	}
	buf_adds(b, "</table>\n");
}

void
status_json(struct buf *b)
{
	const struct room *r;
	size_t i;
	int t;

	json_obj_begin(b);
	json_kv_time(b, "started", stats->started);
	json_kv_int(b, "uptime", uptime());
	json_kv_str(b, "loop", loop_backend());
	json_key(b, "connections");
	json_obj_begin(b);
	for (i = 0; i < NSHOWN; i++)
		json_kv_int(b, stats_conn_name(shown[i]), stats->conns[shown[i]]);
	json_obj_end(b);
	json_key(b, "streams");
	json_obj_begin(b);
	for (t = 0; t < stats->ntransports; t++)
		json_kv_int(b, stats->transport[t], stats->streams[t]);
	json_obj_end(b);
	json_kv_int(b, "sessions", session_count());
	json_kv_int(b, "watchers", stats->watchers);
	json_key(b, "rooms");
	json_arr_begin(b);
	for (r = room_first(); r != NULL; r = r->next) {
		json_item(b);
		json_obj_begin(b);
		json_kv_str(b, "name", r->name);
		json_kv_int(b, "people", r->nmembers);
		json_kv_ull(b, "last_event", r->seq);
		json_kv_int(b, "history", r->count);
		json_obj_end(b);
	}
	json_arr_end(b);
	json_kv_ull(b, "queued_bytes", outq_memory());
	json_kv_ull(b, "events", stats->events);
	json_kv_ull(b, "deliveries", stats->deliveries);
	json_key(b, "refusals");
	json_obj_begin(b);
	for (i = 0; i < STATS_REFUSED_COUNT; i++)
		json_kv_ull(b, stats_refusal_name((enum stats_refusal)i),
		    stats->refused[i]);
	json_obj_end(b);
	if (*stats->redis) {
		json_key(b, "redis");
		json_obj_begin(b);
		json_kv_str(b, "address", stats->redis);
		json_kv_bool(b, "up", stats->redis_up);
		json_kv_time(b, "since", stats->redis_since);
		json_kv_ull(b, "outages", stats->redis_outages);
		json_obj_end(b);
	}
	json_obj_end(b);
}

/* The HELP and TYPE lines of a metric family. */
static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A sample with one label: name{label="value"} n. */
static void
sample(struct buf *b, const char *name, const char *label, const char *value,
    unsigned long long n)
{
	buf_printf(b, "%s{%s=\"", name, label);
	stats_label(b, value);
	buf_printf(b, "\"} %llu\n", n);
}

void
status_metrics(struct buf *b)
{
	const struct room *r;
	size_t i;
	int t;

	family(b, "chatd_start_time_seconds", "gauge",
	    "When chatd started, in seconds since the epoch.");
	buf_printf(b, "chatd_start_time_seconds %lld\n",
	    (long long)stats->started);
	family(b, "chatd_uptime_seconds", "gauge", "Seconds since chatd started.");
	buf_printf(b, "chatd_uptime_seconds %lld\n", uptime());
	family(b, "chatd_loop_info", "gauge", "The event loop in use (always 1).");
	sample(b, "chatd_loop_info", "backend", loop_backend(), 1);
	family(b, "chatd_connections", "gauge", "Open connections by state.");
	for (i = 0; i < NSHOWN; i++)
		sample(b, "chatd_connections", "state",
		    stats_conn_name(shown[i]),
		    (unsigned long long)stats->conns[shown[i]]);
	family(b, "chatd_streams", "gauge", "Open streams by transport.");
	for (t = 0; t < stats->ntransports; t++)
		sample(b, "chatd_streams", "transport", stats->transport[t],
		    (unsigned long long)stats->streams[t]);
	family(b, "chatd_sessions", "gauge", "Sessions (people logged in).");
	buf_printf(b, "chatd_sessions %d\n", session_count());
	family(b, "chatd_watchers", "gauge", "Read-only watchers (-W).");
	buf_printf(b, "chatd_watchers %ld\n", stats->watchers);
	family(b, "chatd_queued_bytes", "gauge",
	    "Memory held by output queues (a shared event counted once).");
	buf_printf(b, "chatd_queued_bytes %zu\n", outq_memory());
	family(b, "chatd_rooms", "gauge", "Rooms kept.");
	buf_printf(b, "chatd_rooms %d\n", room_count());
	family(b, "chatd_room_people", "gauge", "People in a room.");
	for (r = room_first(); r != NULL; r = r->next)
		sample(b, "chatd_room_people", "room", r->name,
		    (unsigned long long)r->nmembers);
	family(b, "chatd_room_last_event", "gauge",
	    "The last event number of a room.");
	for (r = room_first(); r != NULL; r = r->next)
		sample(b, "chatd_room_last_event", "room", r->name, r->seq);
	family(b, "chatd_room_history_events", "gauge",
	    "Events a room holds for since= and replays.");
	for (r = room_first(); r != NULL; r = r->next)
		sample(b, "chatd_room_history_events", "room", r->name,
		    r->count);
	family(b, "chatd_events_posted_total", "counter",
	    "Numbered events posted to rooms.");
	buf_printf(b, "chatd_events_posted_total %llu\n", stats->events);
	family(b, "chatd_deliveries_total", "counter",
	    "Events queued on a stream.");
	buf_printf(b, "chatd_deliveries_total %llu\n", stats->deliveries);
	family(b, "chatd_refusals_total", "counter",
	    "Connections and requests turned away, by cause.");
	for (i = 0; i < STATS_REFUSED_COUNT; i++)
		sample(b, "chatd_refusals_total", "cause",
		    stats_refusal_name((enum stats_refusal)i), stats->refused[i]);
	if (*stats->redis) {
		family(b, "chatd_redis_up", "gauge",
		    "1 if the Redis link (-R) is up and rooms are shared.");
		sample(b, "chatd_redis_up", "address", stats->redis,
		    (unsigned long long)stats->redis_up);
		family(b, "chatd_redis_outages_total", "counter",
		    "Times the Redis link went down.");
		buf_printf(b, "chatd_redis_outages_total %lu\n",
		    stats->redis_outages);
	}
}
