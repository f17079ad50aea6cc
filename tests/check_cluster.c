/* check_cluster.c: events to stream entries and back, and entry IDs folded into event numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "event.h"
#include "suites.h"
#include "text.h"

static void
setup(void)
{
	text_locale_init();
}

static struct event *
make(enum event_kind kind, const char *from, const char *text,
    const char *to)
{
	struct event_source src;
	struct event *ev;

	memset(&src, 0, sizeof src);
	snprintf(src.name, sizeof src.name, "%s", from);
	text_fold_name(src.name, src.key);
	snprintf(src.color, sizeof src.color, "%s", "#0a0");
	ev = event_new(kind, &src, text);
	ck_assert_ptr_nonnull(ev);
	ev->time = 1764565200;
	if (to != NULL) {
		snprintf(ev->to.name, sizeof ev->to.name, "%s", to);
		text_fold_name(ev->to.name, ev->to.key);
	}
	return ev;
}

/* Encodes, decodes and compares what an instance needs of the event. */
static struct event *
round_trip(struct event *ev, const struct cluster_ban *ban,
    struct cluster_ban *back)
{
	struct cluster_fields f;
	struct event *out;
	int origin = -1;

	ck_assert_int_eq(cluster_encode(ev, 0x2a, ban, &f), 0);
	out = cluster_decode("lobby", f.argc, f.argv, f.lens, &origin, back);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(origin, 0x2a);
	ck_assert_int_eq(out->kind, ev->kind);
	ck_assert_str_eq(out->room, "lobby");
	ck_assert_str_eq(out->text, ev->text);
	ck_assert_str_eq(out->from.name, ev->from.name);
	ck_assert_str_eq(out->from.key, ev->from.key);
	ck_assert_str_eq(out->from.color, ev->from.color);
	ck_assert_int_eq(out->from.backend, ev->from.backend);
	ck_assert_str_eq(out->to.name, ev->to.name);
	ck_assert_str_eq(out->to.key, ev->to.key);
	ck_assert_int_eq((int)out->time, (int)ev->time);
	ck_assert_int_eq(out->nmentions, ev->nmentions);
	ck_assert(out->id == 0);
	return out;
}

START_TEST(events_survive_the_round_trip)
{
	static const char *const texts[] = {
		"hello", "", "two\nlines", "a\ttab", "caf\xc3\xa9 \xe2\x9c\x93",
		"\\ back\\slash", "<b>&amp;</b>", "  spaces  ",
	};
	static const enum event_kind kinds[] = {
		EVENT_MSG, EVENT_ACTION, EVENT_JOIN, EVENT_LEAVE, EVENT_TOPIC,
		EVENT_NICK, EVENT_COLOR, EVENT_NOTICE
	};
	struct event *ev, *out;
	size_t i, j;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
		for (j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
			ev = make(kinds[j], "B\xc3\xa4r", texts[i], NULL);
			out = round_trip(ev, NULL, NULL);
			event_unref(out);
			event_unref(ev);
		}
}
END_TEST

START_TEST(whispers_kicks_mentions_and_bans_cross)
{
	struct cluster_ban ban = { 15, "2001:db8::1" }, back;
	struct event *ev, *out;

	ev = make(EVENT_WHISPER, "alice", "psst", "Bob");
	out = round_trip(ev, NULL, &back);
	ck_assert_int_eq((int)back.minutes, 0);
	event_unref(out);
	event_unref(ev);

	ev = make(EVENT_KICK, "alice", "banned", "Bob");
	out = round_trip(ev, &ban, &back);
	ck_assert_int_eq((int)back.minutes, 15);
	ck_assert_str_eq(back.ip, "2001:db8::1");
	event_unref(out);
	event_unref(ev);

	ev = make(EVENT_MSG, "alice", "bob and carol", NULL);
	ev->from.backend = 1;
	ck_assert_int_eq(event_add_mention(ev, "bob"), 0);
	ck_assert_int_eq(event_add_mention(ev, "carol"), 0);
	out = round_trip(ev, NULL, NULL);
	ck_assert(event_mentions(out, "bob"));
	ck_assert(event_mentions(out, "carol"));
	ck_assert(!event_mentions(out, "alice"));
	event_unref(out);
	event_unref(ev);
}
END_TEST

START_TEST(unnumbered_lines_are_not_shared)
{
	struct cluster_fields f;
	struct event *ev;

	ev = make(EVENT_END, "alice", "bye", NULL);
	ck_assert_int_eq(cluster_encode(ev, 1, NULL, &f), -1);
	ev->kind = EVENT_MISSED;
	ck_assert_int_eq(cluster_encode(ev, 1, NULL, &f), -1);
	ev->kind = EVENT_MSG;
	ck_assert_int_eq(cluster_encode(ev, 256, NULL, &f), -1);
	event_unref(ev);
}
END_TEST

/* A good entry with one field replaced (value NULL: left out). */
static struct event *
decode_with(const char *name, const char *value)
{
	static const char *const good[] = {
		"o", "01", "k", "msg", "f", "alice", "c", "red", "b", "0",
		"t", "", "x", "hi", "s", "1764565200", "m", ""
	};
	const char *s[2 * CLUSTER_FIELDS_MAX + 2];
	size_t lens[2 * CLUSTER_FIELDS_MAX + 2];
	int n = 0, origin;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i += 2) {
		if (name != NULL && strcmp(good[i], name) == 0) {
			if (value == NULL)
				continue;
			s[n] = good[i];
			s[n + 1] = value;
		} else {
			s[n] = good[i];
			s[n + 1] = good[i + 1];
		}
		lens[n] = strlen(s[n]);
		lens[n + 1] = strlen(s[n + 1]);
		n += 2;
	}
	return cluster_decode("lobby", n, s, lens, &origin, NULL);
}

START_TEST(bad_entries_are_refused)
{
	static const struct {
		const char *name, *value;
	} bad[] = {
		{ "o", NULL }, { "k", NULL }, { "f", NULL }, { "x", NULL },
		{ "s", NULL },
		{ "o", "1" }, { "o", "0g" }, { "o", "ABC" },
		{ "k", "notakind" }, { "k", "end" }, { "k", "missed" },
		{ "k", "" }, { "k", "whisper" },	/* a whisper needs t */
		{ "f", "" }, { "f", "no spaces" }, { "f", "x" },
		{ "c", "#12345z" }, { "c", "url(x)" },
		{ "b", "2" }, { "b", "" },
		{ "t", "a b" },
		{ "s", "" }, { "s", "-5" }, { "s", "12x" },
		{ "m", "a\xff" },
	};
	struct event *ev;
	size_t i;

	ev = decode_with(NULL, NULL);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(ev->from.color, "red");
	event_unref(ev);
	/* c, b, t and m may be left out. */
	ev = decode_with("c", NULL);
	ck_assert_ptr_nonnull(ev);
	event_unref(ev);
	ev = decode_with("m", NULL);
	ck_assert_ptr_nonnull(ev);
	event_unref(ev);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(decode_with(bad[i].name, bad[i].value) == NULL,
		    "field %s = %s was taken", bad[i].name,
		    bad[i].value ? bad[i].value : "(missing)");
}
END_TEST

START_TEST(odd_field_lists_are_refused)
{
	const char *s[] = { "o", "01", "k", "msg", "f", "al", "x", "hi",
	    "s", "1", "o", "02" };
	size_t lens[] = { 1, 2, 1, 3, 1, 2, 1, 2, 1, 1, 1, 2 };
	const char *nul[] = { "o", "01", "k", "msg", "f", "al", "x", "h\0i",
	    "s", "1" };
	size_t nul_lens[] = { 1, 2, 1, 3, 1, 2, 1, 3, 1, 1 };
	struct cluster_ban ban;
	int origin;
	const char *kick[] = { "o", "01", "k", "msg", "f", "al", "x", "hi",
	    "s", "1", "n", "5", "i", "::1" };
	size_t kick_lens[] = { 1, 2, 1, 3, 1, 2, 1, 2, 1, 1, 1, 1, 1, 3 };
	struct event *ev;

	/* A field twice, an odd count, a NUL in the text. */
	ck_assert_ptr_null(cluster_decode("r", 12, s, lens, &origin, NULL));
	ck_assert_ptr_null(cluster_decode("r", 9, s, lens, &origin, NULL));
	ck_assert_ptr_null(cluster_decode("r", 10, nul, nul_lens, &origin,
	    NULL));
	ev = cluster_decode("r", 10, s, lens, &origin, NULL);
	ck_assert_ptr_nonnull(ev);
	event_unref(ev);
	/* A ban only comes with a kick. */
	ck_assert_ptr_null(cluster_decode("r", 14, kick, kick_lens, &origin,
	    &ban));
	kick[3] = "kick";
	kick_lens[3] = 4;
	ck_assert_ptr_null(cluster_decode("r", 14, kick, kick_lens, &origin,
	    &ban));	/* a kick names whom */
}
END_TEST

START_TEST(ids_fold_and_unfold)
{
	static const struct {
		const char *id;
		unsigned long long n;
	} good[] = {
		{ "0-0", 0 }, { "0-1", 1 }, { "1-0", 1000 }, { "1-999", 1999 },
		{ "1764565200123-0", 1764565200123000ULL },
		{ "1764565200123-42", 1764565200123042ULL },
	};
	static const char *const bad[] = {
		"", "-", "1-", "-1", "1", "1-1000", "a-1", "1-a", "1--1",
		"1-1-1", "+1-1", "1 -1", "9007199254740-992",
		"99999999999999999999-0", "18446744073709551616-0",
	};
	unsigned long long n, prev = 0;
	char id[CLUSTER_ID_BYTES];
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_int_eq(cluster_id_fold(good[i].id,
		    strlen(good[i].id), &n), 0);
		ck_assert(n == good[i].n);
		ck_assert_int_eq(cluster_id_unfold(n, id, sizeof id), 0);
		ck_assert_str_eq(id, good[i].id);
		ck_assert(i == 0 || n > prev);
		prev = n;
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(cluster_id_fold(bad[i], strlen(bad[i]), &n) == -1,
		    "%s was folded", bad[i]);
	/* Only the length given is read. */
	ck_assert_int_eq(cluster_id_fold("12-3456", 4, &n), 0);
	ck_assert(n == 12003);
	ck_assert_int_eq(cluster_id_unfold(1764565200123042ULL, id, 8), -1);
}
END_TEST

START_TEST(numbers_seen_raise_the_counter)
{
	unsigned long long start, seen;

	event_ids_start(1764565200000ULL);
	start = event_last_id();
	seen = start + 5000;
	event_raise_id(seen);
	ck_assert(event_next_id() == seen + 1);
	/* Never back, and never past what JavaScript holds exactly. */
	event_raise_id(start);
	ck_assert(event_last_id() == seen + 1);
	event_raise_id(EVENT_ID_LIMIT);
	ck_assert(event_last_id() == seen + 1);
}
END_TEST

Suite *
cluster_suite(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("entries");

	tcase_add_checked_fixture(tc, setup, NULL);

	tcase_add_test(tc, events_survive_the_round_trip);
	tcase_add_test(tc, whispers_kicks_mentions_and_bans_cross);
	tcase_add_test(tc, unnumbered_lines_are_not_shared);
	tcase_add_test(tc, bad_entries_are_refused);
	tcase_add_test(tc, odd_field_lists_are_refused);
	tcase_add_test(tc, ids_fold_and_unfold);
	tcase_add_test(tc, numbers_seen_raise_the_counter);
	suite_add_tcase(s, tc);
	return s;
}
