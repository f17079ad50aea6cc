/* session.c: sessions by sid: users, their chat streams, presence and timers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "text.h"

static struct session	*by_sid[SESSION_BUCKETS];
static struct session	*by_key[SESSION_BUCKETS];
static struct session	*all;
static int		 nsessions;
static long long	 next_sweep;
static long long	 now_ms;	/* cached by session_sweep() each pass */

static void	hash_sid(struct session *);
static const char *end_line(enum session_end);

void
session_init(const struct stream_io *ops)
{
	stream_init(ops);
}

/* FNV-1a over a NUL-terminated string, folded to a bucket. */
static unsigned
bucket(const char *s)
{
	return text_hash(s, 0) % SESSION_BUCKETS;
}

/* Fills sid with the instance number and 30 random hex digits. */
static int
make_sid(char *sid)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[SESSION_SID_LEN / 2];
	size_t got = 0;
	ssize_t n;
	int fd, i;

	if ((fd = open("/dev/urandom", O_RDONLY)) == -1)
		return -1;
	while (got < sizeof raw) {
		n = read(fd, raw + got, sizeof raw - got);
		if (n <= 0 && !(n == -1 && errno == EINTR))
			break;
		if (n > 0)
			got += (size_t)n;
	}
	close(fd);
	if (got < sizeof raw)
		return -1;
	/* The instance's number leads, so a proxy can route by it (-N). */
	raw[0] = (unsigned char)config.instance;
	for (i = 0; i < SESSION_SID_LEN / 2; i++) {
		sid[2 * i] = hex[raw[i] >> 4];
		sid[2 * i + 1] = hex[raw[i] & 15];
	}
	sid[SESSION_SID_LEN] = '\0';
	return 0;
}

static void
hash_key(struct session *s)
{
	unsigned b = bucket(s->key);

	s->key_next = by_key[b];
	by_key[b] = s;
}

static void
unhash_key(struct session *s)
{
	struct session **pp = &by_key[bucket(s->key)];

	while (*pp != s)
		pp = &(*pp)->key_next;
	*pp = s->key_next;
}

struct session *
session_new(const char *name, const char *color, const char *ip, long long now)
{
	struct session *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	if (addr_session_open(ip) == -1) {
		free(s);
		return NULL;
	}
	do {
		if (make_sid(s->sid) == -1) {
			log_warn("/dev/urandom");
			addr_session_close(ip);
			free(s);
			return NULL;
		}
	} while (session_find(s->sid) != NULL);
	snprintf(s->name, sizeof s->name, "%s", name);
	text_fold_name(name, s->key);
	snprintf(s->color, sizeof s->color, "%s", color);
	snprintf(s->ip, sizeof s->ip, "%s", ip);
	stream_reset(&s->stream);
	s->deadline = now + SESSION_OPEN_TIMEOUT_MS;
	s->last_active = s->token_ms = s->login_ms = now;
	s->login_time = time(NULL);
	s->tokens = SESSION_BURST;
	hash_sid(s);
	hash_key(s);
	s->next = all;
	if (all)
		all->prev = s;
	all = s;
	nsessions++;
	return s;
}

struct session *
session_find(const char *sid)
{
	struct session *s;

	if (strlen(sid) != SESSION_SID_LEN)
		return NULL;
	for (s = by_sid[bucket(sid)]; s; s = s->sid_next)
		if (strcmp(s->sid, sid) == 0)
			return s;
	return NULL;
}

struct session *
session_by_name(const char *name)
{
	char key[TEXT_NAME_BYTES];
	struct session *s;

	if (text_fold_name(name, key) == -1)
		return NULL;
	for (s = by_key[bucket(key)]; s; s = s->key_next)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

struct session *
session_first(void)
{
	return all;
}

int
session_count(void)
{
	return nsessions;
}

static void
unhash_sid(struct session *s)
{
	struct session **pp = &by_sid[bucket(s->sid)];

	while (*pp != s)
		pp = &(*pp)->sid_next;
	*pp = s->sid_next;
}

static void
hash_sid(struct session *s)
{
	unsigned b = bucket(s->sid);

	s->sid_next = by_sid[b];
	by_sid[b] = s;
}

int
session_renew(struct session *s)
{
	char sid[SESSION_SID_LEN + 1];

	do
		if (make_sid(sid) == -1)
			return -1;
	while (session_find(sid) != NULL);
	stream_end_with(&s->stream, end_line(SESSION_TAKEN_OVER));
	unhash_sid(s);
	memcpy(s->sid, sid, sizeof sid);
	hash_sid(s);
	s->deadline = now_ms + SESSION_OPEN_TIMEOUT_MS;
	s->login_ms = now_ms;
	s->login_time = time(NULL);
	return 0;
}

void
session_rename(struct session *s, const char *name)
{
	unhash_key(s);
	snprintf(s->name, sizeof s->name, "%s", name);
	text_fold_name(name, s->key);
	hash_key(s);
}

void
session_source(const struct session *s, struct event_source *src)
{
	memset(src, 0, sizeof *src);
	snprintf(src->name, sizeof src->name, "%s", s->name);
	snprintf(src->key, sizeof src->key, "%s", s->key);
	snprintf(src->color, sizeof src->color, "%s", s->color);
}

/* The closing line of a stream, by why the session ends. */
static const char *
end_line(enum session_end why)
{
	switch (why) {
	case SESSION_LEAVE:
		return "You left the chat. Goodbye!";
	case SESSION_TIMEOUT:
		return "Your session timed out.";
	case SESSION_KICKED:
		return NULL;	/* the kick line said it */
	case SESSION_TAKEN_OVER:
		return "You logged in elsewhere; this session has ended.";
	case SESSION_NAME_CLAIMED:
		return "The registered owner of this name logged in; your "
		    "session has ended.";
	case SESSION_SHUTDOWN:
		return "The server is shutting down.";
	}
	return NULL;
}

int
session_streaming(const struct session *s)
{
	return stream_is_open(&s->stream);
}

static void
unlink_session(struct session *s)
{
	unhash_sid(s);
	unhash_key(s);
	if (s->prev)
		s->prev->next = s->next;
	else
		all = s->next;
	if (s->next)
		s->next->prev = s->prev;
	nsessions--;
	addr_session_close(s->ip);
}

void
session_end(struct session *s, enum session_end why)
{
	stream_set_closing(&s->stream, 1);
	stream_end_with(&s->stream, end_line(why));
	stream_clear(&s->stream);
	unlink_session(s);
	free(s->away);
	free(s->ignores);
	free(s);
}

void
session_attach(struct session *s, struct conn_handle conn,
    const struct fmt *f, int framing, long long now)
{
	stream_end_with(&s->stream, "This stream was replaced by a newer one.");
	s->deadline = 0;
	stream_begin(&s->stream, conn, f, framing, s->sid, config.lines, now);
}

int
session_stream_lost(struct session *s, struct conn_handle conn, long long now)
{
	if (!stream_lost(&s->stream, conn))
		return 0;
	s->deadline = now + (long long)config.grace * 1000;
	return config.grace == 0;
}

void
session_poll_done(struct session *s, long long now)
{
	stream_reload(&s->stream);
	if (session_streaming(s))
		return;
	/* -g 0 would end a poller between two polls: give it a minute. */
	s->deadline = now + (config.grace > 0 ? (long long)config.grace *
	    1000 : SESSION_OPEN_TIMEOUT_MS);
}

void
session_deliver(struct session *s, struct event *ev, int marked)
{
	/* The browser comes back at once; hold the session as for a new one. */
	if (stream_event(&s->stream, ev, marked, now_ms) == STREAM_RELOADED)
		s->deadline = now_ms + SESSION_OPEN_TIMEOUT_MS;
}

size_t
session_event_size(struct session *s, struct event *ev, int marked)
{
	if (!session_streaming(s))
		return 0;
	return stream_event_size(&s->stream, ev, marked);
}

void
session_set_cursor(struct session *s, unsigned long long cursor)
{
	stream_set_cursor(&s->stream, cursor);
}

void
session_tell(struct session *s, enum event_kind kind, const char *hint,
    const char *text)
{
	struct event *ev;

	if ((ev = event_new(kind, NULL, text)) == NULL)
		return;
	ev->hint = hint;
	session_deliver(s, ev, 0);
	event_unref(ev);
}

void
session_notice(struct session *s, const char *fmt, ...)
{
	struct buf text;
	va_list ap;

	buf_init(&text);
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	if (!text.failed)
		session_tell(s, EVENT_NOTICE, NULL, text.data);
	buf_free(&text);
}

int
session_take_token(struct session *s, long long now)
{
	long long earned = (now - s->token_ms) / SESSION_REFILL_MS;

	if (earned > 0) {
		s->tokens = s->tokens + earned > SESSION_BURST ?
		    SESSION_BURST : s->tokens + (int)earned;
		s->token_ms += earned * SESSION_REFILL_MS;
	}
	if (s->tokens == SESSION_BURST)
		s->token_ms = now;
	if (s->tokens == 0)
		return 0;
	s->tokens--;
	return 1;
}

int
session_ignores(const struct session *s, const char *key)
{
	int i;

	for (i = 0; i < s->nignores; i++)
		if (strcmp(s->ignores[i], key) == 0)
			return 1;
	return 0;
}

int
session_ignore(struct session *s, const char *key)
{
	char (*p)[TEXT_NAME_BYTES];

	if (session_ignores(s, key))
		return 0;
	if (s->nignores == SESSION_IGNORE_MAX)
		return -1;
	if ((p = realloc(s->ignores, (s->nignores + 1) * sizeof *p)) == NULL)
		return -1;
	s->ignores = p;
	snprintf(s->ignores[s->nignores++], TEXT_NAME_BYTES, "%s", key);
	return 0;
}

void
session_unignore(struct session *s, const char *key)
{
	int i;

	for (i = 0; i < s->nignores; i++)
		if (strcmp(s->ignores[i], key) == 0) {
			memmove(s->ignores[i], s->ignores[s->nignores - 1],
			    TEXT_NAME_BYTES);
			s->nignores--;
			return;
		}
}

int
session_set_away(struct session *s, const char *reason)
{
	char *copy = NULL;
	size_t n;

	if (reason != NULL) {
		n = strlen(reason);
		if (n > SESSION_AWAY_MAX) {
			/* Cut at a character, never inside one. */
			n = SESSION_AWAY_MAX;
			while (n > 0 && (reason[n] & 0xc0) == 0x80)
				n--;
		}
		if ((copy = malloc(n + 1)) == NULL)
			return -1;
		memcpy(copy, reason, n);
		copy[n] = '\0';
	}
	free(s->away);
	s->away = copy;
	return 0;
}

void
session_set_color(struct session *s, const char *color)
{
	snprintf(s->color, sizeof s->color, "%s", color);
}

void
session_set_account(struct session *s, int registered, int admin)
{
	s->registered = registered;
	s->admin = admin;
}

void
session_touch(struct session *s, long long now)
{
	s->last_active = now;
}

long
session_sweep(long long now, void (*expired)(struct session *))
{
	struct session *s, *next;

	now_ms = now;
	if (now < next_sweep)
		return (long)(next_sweep - now);
	next_sweep = now + SESSION_SWEEP_MS;
	for (s = all; s != NULL; s = next) {
		next = s->next;
		if (!session_streaming(s) && s->deadline != 0 &&
		    now >= s->deadline) {
			/* Its leave may end no other session: next stays valid. */
			expired(s);
		} else
			stream_idle(&s->stream, now,
			    (long long)config.keepalive * 1000);
	}
	return SESSION_SWEEP_MS;
}

void
session_set_ending(struct session *s, int ending)
{
	stream_set_closing(&s->stream, ending);
}

void
session_shutdown(void)
{
	while (all != NULL) {
		all->room = NULL;
		session_end(all, SESSION_SHUTDOWN);
	}
}

void
session_hold(struct session *s, long long now)
{
	if (!session_streaming(s))
		s->deadline = now + (long long)config.grace * 1000 +
		    SESSION_HOLD_MS;
}
