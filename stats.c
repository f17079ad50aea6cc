/* stats.c: running totals for /status and /metrics, kept where things happen. */
#include <stdio.h>
#include <string.h>

#include "stats.h"

static struct stats totals;
const struct stats *const stats = &totals;

static const char *const conn_names[STATS_CONN_COUNT] = {
	"free", "reading", "responding", "lingering", "streaming", "closing",
	"waiting"
};

static const char *const refusal_names[STATS_REFUSED_COUNT] = {
	"full", "per_address", "login_rate", "queue", "total_queue",
	"room_cap", "session_cap"
};

/* The transports always listed, even before a stream of theirs opens. */
static const char *const known[] = { "html", "text", "sse", "poll", "ws" };

void
stats_init(time_t now)
{
	size_t i;

	memset(&totals, 0, sizeof totals);
	totals.started = now;
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		totals.transport[totals.ntransports++] = known[i];
}

void
stats_conn_state(int from, int to)
{
	if (from > STATS_CONN_FREE && from < STATS_CONN_COUNT)
		totals.conns[from]--;
	if (to > STATS_CONN_FREE && to < STATS_CONN_COUNT)
		totals.conns[to]++;
}

void
stats_stream(const char *transport, int delta)
{
	int i;

	for (i = 0; i < totals.ntransports; i++)
		if (strcmp(totals.transport[i], transport) == 0)
			break;
	if (i == totals.ntransports) {
		/* A format nobody listed: counted once there is room. */
		if (i == STATS_TRANSPORTS_MAX)
			return;
		totals.transport[totals.ntransports++] = transport;
	}
	totals.streams[i] += delta;
}

void
stats_watcher(int delta)
{
	totals.watchers += delta;
}

void
stats_event(void)
{
	totals.events++;
}

void
stats_redis(const char *address, int up, unsigned long outages)
{
	snprintf(totals.redis, sizeof totals.redis, "%s", address);
	totals.redis_up = up;
	totals.redis_since = time(NULL);
	totals.redis_outages = outages;
}

void
stats_delivery(void)
{
	totals.deliveries++;
}

void
stats_refused(enum stats_refusal why)
{
	if ((int)why >= 0 && why < STATS_REFUSED_COUNT)
		totals.refused[why]++;
}

const char *
stats_refusal_name(enum stats_refusal why)
{
	return (int)why >= 0 && why < STATS_REFUSED_COUNT ?
	    refusal_names[why] : "?";
}

const char *
stats_conn_name(enum stats_conn st)
{
	return (int)st >= 0 && st < STATS_CONN_COUNT ? conn_names[st] : "?";
}

void
stats_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '"':
			buf_adds(b, "\\\"");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		default:
			buf_addc(b, *s);
		}
}
