/* cluster.c: rooms shared across chatd instances (-R) through Redis Streams. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "config.h"

/* Kinds an entry may carry: the numbered room events. */
static const enum event_kind shared_kinds[] = {
	EVENT_MSG, EVENT_ACTION, EVENT_WHISPER, EVENT_JOIN, EVENT_LEAVE,
	EVENT_KICK, EVENT_TOPIC, EVENT_NICK, EVENT_COLOR, EVENT_NOTICE
};

static int
shared_kind(enum event_kind k)
{
	size_t i;

	for (i = 0; i < sizeof shared_kinds / sizeof shared_kinds[0]; i++)
		if (shared_kinds[i] == k)
			return 1;
	return 0;
}

static void
field(struct cluster_fields *f, const char *name, const char *value)
{
	f->argv[f->argc] = name;
	f->lens[f->argc++] = strlen(name);
	f->argv[f->argc] = value;
	f->lens[f->argc++] = strlen(value);
}

int
cluster_encode(const struct event *ev, int origin,
    const struct cluster_ban *ban, struct cluster_fields *f)
{
	size_t len = 0;
	int i;

	if (!shared_kind(ev->kind) || origin < 0 || origin > 255 ||
	    strlen(ev->text) > CLUSTER_TEXT_MAX)
		return -1;
	memset(f, 0, sizeof *f);
	snprintf(f->origin, sizeof f->origin, "%02x", origin);
	snprintf(f->time, sizeof f->time, "%lld", (long long)ev->time);
	for (i = 0; i < ev->nmentions; i++)
		len += (size_t)snprintf(f->mentions + len,
		    sizeof f->mentions - len, "%s%s", i ? " " : "",
		    ev->mentions[i]);
	field(f, "o", f->origin);
	field(f, "k", event_kind_name(ev->kind));
	field(f, "f", ev->from.name);
	field(f, "c", ev->from.color);
	field(f, "b", ev->from.backend ? "1" : "0");
	field(f, "t", ev->to.name);
	field(f, "x", ev->text);
	field(f, "s", f->time);
	field(f, "m", f->mentions);
	if (ban != NULL && ban->minutes > 0) {
		snprintf(f->minutes, sizeof f->minutes, "%ld", ban->minutes);
		field(f, "n", f->minutes);
		field(f, "i", ban->ip);
	}
	return 0;
}

/* Copies a value that must fit and hold no NUL; -1 if it does not. */
static int
copy(char *out, size_t size, const char *s, size_t len)
{
	if (len >= size || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* A decimal number of at most `digits` digits; -1 if it is none. */
static int
number(const char *s, size_t len, size_t digits, unsigned long long *n)
{
	size_t i;

	if (len == 0 || len > digits)
		return -1;
	for (*n = 0, i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*n = *n * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The values of an entry's fields, by name; NULL where missing. */
struct values {
	const char	*v[CLUSTER_FIELDS_MAX];
	size_t		 len[CLUSTER_FIELDS_MAX];
};

static const char field_names[] = "okfcbtxsmni";

static int
gather(int n, const char *const *s, const size_t *lens, struct values *out)
{
	const char *p;
	int i, j;

	memset(out, 0, sizeof *out);
	if (n % 2 != 0)
		return -1;
	for (i = 0; i < n; i += 2) {
		if (lens[i] != 1 || s[i][0] == '\0' ||
		    (p = strchr(field_names, s[i][0])) == NULL)
			continue;	/* a field a later chatd may add */
		j = (int)(p - field_names);
		if (out->v[j] != NULL)
			return -1;
		out->v[j] = s[i + 1];
		out->len[j] = lens[i + 1];
	}
	return 0;
}

#define V(c)	(strchr(field_names, (c)) - field_names)

/* Parses a name value into a source (name, key); "" is allowed if empty_ok. */
static int
source(const struct values *v, int c, int empty_ok, struct event_source *src)
{
	int i = (int)V(c);

	if (v->v[i] == NULL || v->len[i] == 0)
		return empty_ok ? 0 : -1;
	if (copy(src->name, sizeof src->name, v->v[i], v->len[i]) == -1 ||
	    text_fold_name(src->name, src->key) == -1)
		return -1;
	return 0;
}

static int
mentions(struct event *ev, const char *s, size_t len)
{
	char key[TEXT_NAME_BYTES];
	size_t i = 0, j;

	while (i < len) {
		for (j = i; j < len && s[j] != ' '; j++)
			;
		if (j > i) {
			if (copy(key, sizeof key, s + i, j - i) == -1 ||
			    !text_valid_name(key) || ev->nmentions >= EVENT_MENTIONS_MAX ||
			    event_add_mention(ev, key) == -1)
				return -1;
		}
		i = j + 1;
	}
	return 0;
}

struct event *
cluster_decode(const char *room, int n, const char *const *s,
    const size_t *lens, int *origin, struct cluster_ban *ban)
{
	struct event_source from, to;
	struct values v;
	struct event *ev;
	enum event_kind kind;
	unsigned long long t, minutes = 0;
	char word[16], color[TEXT_COLOR_BYTES];
	size_t k;
	int hi, lo, i;

	if (gather(n, s, lens, &v) == -1)
		return NULL;
	for (i = 0; i < (int)sizeof "okfxs" - 1; i++)
		if (v.v[V("okfxs"[i])] == NULL)
			return NULL;
	i = (int)V('o');
	if (v.len[i] != 2 || (hi = hex_digit(v.v[i][0])) < 0 ||
	    (lo = hex_digit(v.v[i][1])) < 0)
		return NULL;
	*origin = hi * 16 + lo;
	i = (int)V('k');
	if (copy(word, sizeof word, v.v[i], v.len[i]) == -1)
		return NULL;
	for (k = 0; k < sizeof shared_kinds / sizeof shared_kinds[0]; k++)
		if (strcmp(word, event_kind_name(shared_kinds[k])) == 0)
			break;
	if (k == sizeof shared_kinds / sizeof shared_kinds[0])
		return NULL;
	kind = shared_kinds[k];
	memset(&from, 0, sizeof from);
	memset(&to, 0, sizeof to);
	if (source(&v, 'f', 0, &from) == -1 || source(&v, 't', 1, &to) == -1)
		return NULL;
	if ((kind == EVENT_WHISPER || kind == EVENT_KICK) && *to.key == '\0')
		return NULL;
	i = (int)V('c');
	if (v.v[i] != NULL && v.len[i] > 0) {
		if (copy(word, sizeof word, v.v[i], v.len[i]) == -1 ||
		    text_color(word, color) == -1)
			return NULL;
		memcpy(from.color, color, sizeof from.color);
	}
	i = (int)V('b');
	if (v.v[i] != NULL && (v.len[i] != 1 || (v.v[i][0] != '0' &&
	    v.v[i][0] != '1')))
		return NULL;
	from.backend = v.v[i] != NULL && v.v[i][0] == '1';
	i = (int)V('s');
	if (number(v.v[i], v.len[i], 18, &t) == -1)
		return NULL;
	i = (int)V('x');
	if (v.len[i] > CLUSTER_TEXT_MAX || memchr(v.v[i], '\0', v.len[i]))
		return NULL;
	if (ban != NULL)
		memset(ban, 0, sizeof *ban);
	i = (int)V('n');
	if (v.v[i] != NULL) {
		if (kind != EVENT_KICK || number(v.v[i], v.len[i], 9,
		    &minutes) == -1 || v.v[V('i')] == NULL)
			return NULL;
		if (ban != NULL) {
			ban->minutes = (long)minutes;
			if (copy(ban->ip, sizeof ban->ip, v.v[V('i')],
			    v.len[V('i')]) == -1)
				return NULL;
		}
	}
	if ((ev = calloc(1, sizeof *ev)) == NULL)
		return NULL;
	if ((ev->text = malloc(v.len[V('x')] + 1)) == NULL) {
		free(ev);
		return NULL;
	}
	memcpy(ev->text, v.v[V('x')], v.len[V('x')]);
	ev->text[v.len[V('x')]] = '\0';
	ev->refs = 1;
	ev->kind = kind;
	ev->time = (time_t)t;
	snprintf(ev->room, sizeof ev->room, "%s", room);
	ev->from = from;
	ev->to = to;
	i = (int)V('m');
	if (v.v[i] != NULL && mentions(ev, v.v[i], v.len[i]) == -1) {
		event_unref(ev);
		return NULL;
	}
	return ev;
}

int
cluster_id_fold(const char *id, size_t len, unsigned long long *n)
{
	unsigned long long ms, seq;
	const char *dash;

	if ((dash = memchr(id, '-', len)) == NULL ||
	    number(id, (size_t)(dash - id), 19, &ms) == -1 ||
	    number(dash + 1, len - (size_t)(dash + 1 - id), 19, &seq) == -1 ||
	    seq >= CLUSTER_SEQ_LIMIT ||
	    ms >= (EVENT_ID_LIMIT - seq) / CLUSTER_SEQ_LIMIT)
		return -1;
	*n = ms * CLUSTER_SEQ_LIMIT + seq;
	return 0;
}

int
cluster_id_unfold(unsigned long long n, char *out, size_t size)
{
	int len;

	len = snprintf(out, size, "%llu-%llu", n / CLUSTER_SEQ_LIMIT,
	    n % CLUSTER_SEQ_LIMIT);
	return len < 0 || (size_t)len >= size ? -1 : 0;
}
