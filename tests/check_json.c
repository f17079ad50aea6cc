/* check_json.c: the JSON writer: escapes, bad UTF-8, commas, round trips. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json.h"
#include "json_decode.h"
#include "suites.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
/* A literal with its length, so that tables may hold NUL bytes. */
#define S(lit)		lit, sizeof (lit) - 1

#define REPL		"\xef\xbf\xbd"		/* U+FFFD */

static struct buf b;

static void
setup(void)
{
	buf_init(&b);
}

static void
teardown(void)
{
	buf_free(&b);
}

/* The buffer holds exactly `want` (a C string) and is strict JSON. */
static void
is(const char *want)
{
	ck_assert_int_eq(b.failed, 0);
	ck_assert_str_eq(buf_str(&b), want);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert_int_eq(jd_parse(buf_str(&b), b.len, JD_CHATD, NULL, NULL),
	    0);
}

static const struct {
	const char	*in;
	size_t		 n;
	const char	*out;
} str_cases[] = {
	{ S(""), "\"\"" },
	{ S("hello"), "\"hello\"" },
	{ S("\""), "\"\\\"\"" },
	{ S("\\"), "\"\\\\\"" },
	{ S("a/b</script>"), "\"a/b</script>\"" },
	{ S("\b\t\n\f\r"), "\"\\b\\t\\n\\f\\r\"" },
	{ S("\0"), "\"\\u0000\"" },
	{ S("\x01\x02\x03\x04\x05\x06\x07"),
	    "\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\"" },
	{ S("\x0b\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"),
	    "\"\\u000b\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014"
	    "\\u0015\\u0016\\u0017\"" },
	{ S("\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"),
	    "\"\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"" },
	{ S(" ~\x7f"), "\" ~\\u007f\"" },
	{ S("a\0b"), "\"a\\u0000b\"" },
	/* U+0080 (a C1 control) and U+00FF stay raw: JSON allows them */
	{ S("\xc2\x80\xc3\xbf"), "\"\xc2\x80\xc3\xbf\"" },
	/* the line and paragraph separators, and their neighbours raw */
	{ S("\xe2\x80\xa8"), "\"\\u2028\"" },
	{ S("\xe2\x80\xa9"), "\"\\u2029\"" },
	{ S("x\xe2\x80\xa7\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaay"),
	    "\"x\xe2\x80\xa7\\u2028\\u2029\xe2\x80\xaay\"" },
	/* the edges of each length, and U+FFFD itself, stay raw */
	{ S("\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd"),
	    "\"\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd\"" },
	{ S("\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"),
	    "\"\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"" },
	{ S("\xf0\x9f\x98\x80 \"\xe6\x9d\x8e\""),
	    "\"\xf0\x9f\x98\x80 \\\"\xe6\x9d\x8e\\\"\"" },
};

START_TEST(test_escapes)
{
	json_strn(&b, str_cases[_i].in, str_cases[_i].n);
	is(str_cases[_i].out);
}
END_TEST

/* Every C0 control has exactly one escape, the short one where JSON has it. */
START_TEST(test_every_control)
{
	static const char *const shortform[] = {
		['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
		['\f'] = "\\f", ['\r'] = "\\r"
	};
	char in, want[16];
	int c;

	for (c = 0; c < 0x20; c++) {
		buf_reset(&b);
		in = (char)c;
		json_strn(&b, &in, 1);
		if (c < (int)NELEM(shortform) && shortform[c] != NULL)
			snprintf(want, sizeof want, "\"%s\"", shortform[c]);
		else
			snprintf(want, sizeof want, "\"\\u%04x\"", c);
		is(want);
	}
	/* and nothing else of ASCII but '"', '\\' and DEL is escaped */
	for (c = 0x20; c < 0x7f; c++) {
		if (c == '"' || c == '\\')
			continue;
		buf_reset(&b);
		in = (char)c;
		json_strn(&b, &in, 1);
		snprintf(want, sizeof want, "\"%c\"", c);
		is(want);
	}
}
END_TEST

/*
 * Not UTF-8: each maximal invalid subpart is one U+FFFD (the Unicode
 * standard's recommended practice, and what browsers do).
 */
static const struct {
	const char	*in;
	size_t		 n;
	const char	*out;
} bad_cases[] = {
	/* stray continuation bytes and bytes that never appear */
	{ S("\x80"), "\"" REPL "\"" },
	{ S("\xbf\x80"), "\"" REPL REPL "\"" },
	{ S("\xfe\xff"), "\"" REPL REPL "\"" },
	{ S("a\xf8\x88\x80\x80\x80z"), "\"a" REPL REPL REPL REPL REPL "z\"" },
	/* overlong forms: '/' in 2, 3 and 4 bytes, NUL in 2 */
	{ S("\xc0\xaf"), "\"" REPL REPL "\"" },
	{ S("\xc1\xbf"), "\"" REPL REPL "\"" },
	{ S("\xc0\x80"), "\"" REPL REPL "\"" },
	{ S("\xe0\x80\xaf"), "\"" REPL REPL REPL "\"" },
	{ S("\xe0\x9f\xbf"), "\"" REPL REPL REPL "\"" },
	{ S("\xf0\x80\x80\xaf"), "\"" REPL REPL REPL REPL "\"" },
	{ S("\xf0\x8f\xbf\xbf"), "\"" REPL REPL REPL REPL "\"" },
	/* surrogates encoded in UTF-8 (CESU-8 pairs too) */
	{ S("\xed\xa0\x80"), "\"" REPL REPL REPL "\"" },
	{ S("\xed\xbf\xbf"), "\"" REPL REPL REPL "\"" },
	{ S("\xed\xa0\xbd\xed\xb8\x80"),
	    "\"" REPL REPL REPL REPL REPL REPL "\"" },
	/* above U+10FFFF */
	{ S("\xf4\x90\x80\x80"), "\"" REPL REPL REPL REPL "\"" },
	{ S("\xf5\x80\x80\x80"), "\"" REPL REPL REPL REPL "\"" },
	{ S("\xf7\xbf\xbf\xbf"), "\"" REPL REPL REPL REPL "\"" },
	/* truncated: one U+FFFD for the prefix, then the next character */
	{ S("\xc3"), "\"" REPL "\"" },
	{ S("\xe6\x9d"), "\"" REPL "\"" },
	{ S("\xf0\x9f\x98"), "\"" REPL "\"" },
	{ S("\xf0\x9f\x98z"), "\"" REPL "z\"" },
	{ S("\xe6\x9d\"\xc3\\"), "\"" REPL "\\\"" REPL "\\\\\"" },
	{ S("\xf0\x9f\xf0\x9f\x98\x80"), "\"" REPL "\xf0\x9f\x98\x80\"" },
	{ S("\xe2\x80\xe2\x80\xa8"), "\"" REPL "\\u2028\"" },
	/* a control right after a broken sequence is still escaped */
	{ S("\xc3\n\xe2\x80\x7f"), "\"" REPL "\\n" REPL "\\u007f\"" },
	/* the end of the input cuts a sequence */
	{ S("ok\xf4\x8f\xbf"), "\"ok" REPL "\"" },
};

START_TEST(test_bad_utf8)
{
	json_strn(&b, bad_cases[_i].in, bad_cases[_i].n);
	is(bad_cases[_i].out);
}
END_TEST

START_TEST(test_str_stops_at_nul_strn_does_not)
{
	json_str(&b, "ab\0cd");
	is("\"ab\"");
	buf_reset(&b);
	json_strn(&b, "ab\0cd", 5);
	is("\"ab\\u0000cd\"");
	buf_reset(&b);
	json_strn(&b, "ab", 0);
	is("\"\"");
}
END_TEST

START_TEST(test_null_string_is_null)
{
	json_str(&b, NULL);
	is("null");
	buf_reset(&b);
	json_strn(&b, NULL, 3);
	is("null");
	buf_reset(&b);
	json_obj_begin(&b);
	json_kv_str(&b, "away", NULL);
	json_kv_str(&b, "back", "later");
	json_obj_end(&b);
	is("{\"away\":null,\"back\":\"later\"}");
}
END_TEST

START_TEST(test_numbers_and_literals)
{
	json_arr_begin(&b);
	json_item(&b);
	json_int(&b, 0);
	json_item(&b);
	json_int(&b, -42);
	json_item(&b);
	json_int(&b, LLONG_MIN);
	json_item(&b);
	json_int(&b, LLONG_MAX);
	json_item(&b);
	json_ull(&b, ULLONG_MAX);
	json_item(&b);
	json_bool(&b, 1);
	json_item(&b);
	json_bool(&b, 0);
	json_item(&b);
	json_bool(&b, -7);
	json_item(&b);
	json_null(&b);
	json_arr_end(&b);
	is("[0,-42,-9223372036854775808,9223372036854775807,"
	    "18446744073709551615,true,false,true,null]");
}
END_TEST

static const struct {
	time_t		 t;
	const char	*out;
} time_cases[] = {
	{ 0, "\"1970-01-01T00:00:00Z\"" },
	{ 1796126645, "\"2026-12-01T12:04:05Z\"" },
	{ 951782400, "\"2000-02-29T00:00:00Z\"" },
	{ 946684799, "\"1999-12-31T23:59:59Z\"" },
	{ 2147483647, "\"2038-01-19T03:14:07Z\"" },
};

START_TEST(test_time)
{
	json_time(&b, time_cases[_i].t);
	is(time_cases[_i].out);
}
END_TEST

/* Past 2038 where time_t is wide enough: the padding still holds. */
START_TEST(test_time_wide)
{
	time_t t;

	if (sizeof (time_t) < 8)
		return;
	t = (time_t)253402300799LL;
	json_time(&b, t);
	is("\"9999-12-31T23:59:59Z\"");
	buf_reset(&b);
	json_time(&b, t + 1);
	is("\"10000-01-01T00:00:00Z\"");
}
END_TEST

START_TEST(test_error)
{
	json_error(&b, "Unknown session: log in again.");
	is("{\"error\":\"Unknown session: log in again.\"}");
	buf_reset(&b);
	json_error(&b, "a \"quoted\"\nreason");
	is("{\"error\":\"a \\\"quoted\\\"\\nreason\"}");
}
END_TEST

/* The event object of PROTOCOL.md section 8, with and without its options. */
static void
event(unsigned long long id, const char *type, time_t t, const char *room,
    const char *from, const char *color, const char *to, const char *text,
    int mention)
{
	json_obj_begin(&b);
	if (id != 0)
		json_kv_ull(&b, "id", id);
	json_kv_str(&b, "type", type);
	json_kv_time(&b, "time", t);
	if (room != NULL)
		json_kv_str(&b, "room", room);
	if (from != NULL)
		json_kv_str(&b, "from", from);
	if (color != NULL)
		json_kv_str(&b, "color", color);
	if (to != NULL)
		json_kv_str(&b, "to", to);
	if (text != NULL)
		json_kv_str(&b, "text", text);
	if (mention != -1)
		json_kv_bool(&b, "mention", mention);
	json_obj_end(&b);
}

START_TEST(test_event_object)
{
	event(17, "msg", 1796126645, "lobby", "alice", "#c0ffee", NULL,
	    "hi bob \xe2\x80\xa8 <b>", 1);
	is("{\"id\":17,\"type\":\"msg\",\"time\":\"2026-12-01T12:04:05Z\","
	    "\"room\":\"lobby\",\"from\":\"alice\",\"color\":\"#c0ffee\","
	    "\"text\":\"hi bob \\u2028 <b>\",\"mention\":true}");
	buf_reset(&b);
	event(0, "notice", 1796126645, NULL, NULL, NULL, NULL,
	    "Too fast.", -1);
	is("{\"type\":\"notice\",\"time\":\"2026-12-01T12:04:05Z\","
	    "\"text\":\"Too fast.\"}");
	buf_reset(&b);
	/* the first member may be any of them: no comma is ever doubled */
	json_obj_begin(&b);
	json_kv_bool(&b, "mention", 0);
	json_obj_end(&b);
	is("{\"mention\":false}");
}
END_TEST

START_TEST(test_nesting_and_commas)
{
	json_obj_begin(&b);
	json_obj_end(&b);
	is("{}");
	buf_reset(&b);
	json_arr_begin(&b);
	json_arr_end(&b);
	is("[]");
	buf_reset(&b);

	/* /api/names, with arrays in arrays added */
	json_obj_begin(&b);
	json_kv_str(&b, "room", "lobby");
	json_kv_null(&b, "topic");
	json_key(&b, "users");
	json_arr_begin(&b);
	json_item(&b);
	json_obj_begin(&b);
	json_kv_str(&b, "name", "alice");
	json_kv_bool(&b, "op", 1);
	json_kv_str(&b, "away", NULL);
	json_obj_end(&b);
	json_item(&b);
	json_obj_begin(&b);
	json_kv_str(&b, "name", "bob");
	json_kv_str(&b, "away", "lunch");
	json_kv_bool(&b, "you", 1);
	json_obj_end(&b);
	json_arr_end(&b);
	json_key(&b, "nested");
	json_arr_begin(&b);
	json_item(&b);
	json_arr_begin(&b);
	json_item(&b);
	json_arr_begin(&b);
	json_arr_end(&b);
	json_item(&b);
	json_obj_begin(&b);
	json_obj_end(&b);
	json_arr_end(&b);
	json_item(&b);
	json_int(&b, 1);
	json_arr_end(&b);
	json_obj_end(&b);
	is("{\"room\":\"lobby\",\"topic\":null,\"users\":["
	    "{\"name\":\"alice\",\"op\":true,\"away\":null},"
	    "{\"name\":\"bob\",\"away\":\"lunch\",\"you\":true}],"
	    "\"nested\":[[[],{}],1]}");
}
END_TEST

/* A prefix before the value (an SSE line) changes nothing. */
START_TEST(test_after_a_prefix)
{
	buf_adds(&b, "data: ");
	json_obj_begin(&b);
	json_kv_str(&b, "type", "end");
	json_obj_end(&b);
	ck_assert_str_eq(buf_str(&b), "data: {\"type\":\"end\"}");
	buf_reset(&b);
	/* /api/poll: a list of events, then the next cursor */
	json_obj_begin(&b);
	json_key(&b, "events");
	json_arr_begin(&b);
	json_item(&b);
	event(1, "join", 0, "lobby", "bob", NULL, NULL, NULL, -1);
	json_item(&b);
	event(2, "leave", 0, "lobby", "bob", NULL, NULL, NULL, -1);
	json_arr_end(&b);
	json_kv_ull(&b, "next", 2);
	json_obj_end(&b);
	is("{\"events\":["
	    "{\"id\":1,\"type\":\"join\",\"time\":\"1970-01-01T00:00:00Z\","
	    "\"room\":\"lobby\",\"from\":\"bob\"},"
	    "{\"id\":2,\"type\":\"leave\",\"time\":\"1970-01-01T00:00:00Z\","
	    "\"room\":\"lobby\",\"from\":\"bob\"}],\"next\":2}");
}
END_TEST

/* Keys are strings like any other. */
START_TEST(test_keys_are_escaped)
{
	json_obj_begin(&b);
	json_kv_int(&b, "a\"b\n\xe2\x80\xa8\xff", -1);
	json_obj_end(&b);
	is("{\"a\\\"b\\n\\u2028" REPL "\":-1}");
}
END_TEST

/*
 * Round trips: what the checker decodes is the input, for UTF-8 input, and
 * the input mended apart from json.c otherwise.  Inputs are built from
 * pieces that cover every class of byte and sequence.
 */
static const struct {
	const char	*s;
	size_t		 n;
} pieces[] = {
	{ S("a") }, { S("\"") }, { S("\\") }, { S("/") }, { S("\0") },
	{ S("\x01") }, { S("\x1f") }, { S("\n") }, { S("\x7f") },
	{ S("\xc2\x80") }, { S("\xdf\xbf") }, { S("\xe0\xa0\x80") },
	{ S("\xe2\x80\xa8") }, { S("\xe2\x80\xa9") }, { S("\xed\x9f\xbf") },
	{ S("\xee\x80\x80") }, { S("\xef\xbf\xbd") }, { S("\xef\xbf\xbf") },
	{ S("\xf0\x90\x80\x80") }, { S("\xf4\x8f\xbf\xbf") },
	/* broken */
	{ S("\x80") }, { S("\xc0\xaf") }, { S("\xc3") }, { S("\xe2\x80") },
	{ S("\xed\xa0\x80") }, { S("\xf0\x9f\x98") }, { S("\xf4\x90\x80\x80") },
	{ S("\xf8") }, { S("\xff") },
};

static void
round_trip(const char *in, size_t n)
{
	char *out, *want;
	size_t olen, wlen;

	buf_reset(&b);
	ck_assert_int_eq(json_strn(&b, in, n), 0);
	out = malloc(b.len + 1);
	want = malloc(3 * n + 1);
	ck_assert(out != NULL && want != NULL);
	ck_assert_int_eq(jd_parse(buf_str(&b), b.len, JD_CHATD, out, &olen),
	    0);
	ck_assert(jd_utf8_valid(out, olen));
	wlen = jd_mend(in, n, want);
	if (jd_utf8_valid(in, n))
		ck_assert(wlen == n && memcmp(want, in, n) == 0);
	ck_assert_uint_eq(olen, wlen);
	ck_assert(memcmp(out, want, olen) == 0);
	free(out);
	free(want);
}

START_TEST(test_round_trip_pairs_and_triples)
{
	char in[16];
	size_t i, j, k, n;

	for (i = 0; i < NELEM(pieces); i++)
		for (j = 0; j < NELEM(pieces); j++)
			for (k = 0; k < NELEM(pieces); k++) {
				n = 0;
				memcpy(in + n, pieces[i].s, pieces[i].n);
				n += pieces[i].n;
				memcpy(in + n, pieces[j].s, pieces[j].n);
				n += pieces[j].n;
				memcpy(in + n, pieces[k].s, pieces[k].n);
				n += pieces[k].n;
				round_trip(in, n);
			}
}
END_TEST

/* Every code point, one at a time and all in one string. */
START_TEST(test_round_trip_every_code_point)
{
	struct buf all;
	unsigned long cp;
	unsigned char u[4];
	size_t n;

	buf_init(&all);
	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x80) {
			u[0] = (unsigned char)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = (unsigned char)(0xc0 | cp >> 6);
			u[1] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = (unsigned char)(0xe0 | cp >> 12);
			u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			u[2] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			u[0] = (unsigned char)(0xf0 | cp >> 18);
			u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
			u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			u[3] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		buf_add(&all, u, n);
		if (cp < 0x3000)
			round_trip((const char *)u, n);
	}
	ck_assert_int_eq(all.failed, 0);
	round_trip(all.data, all.len);
	buf_free(&all);
}
END_TEST

/* Every two-byte input, whatever it is. */
START_TEST(test_round_trip_every_two_bytes)
{
	char in[2];
	int x, y;

	for (x = 0; x < 256; x++)
		for (y = 0; y < 256; y++) {
			in[0] = (char)x;
			in[1] = (char)y;
			round_trip(in, 2);
		}
}
END_TEST

/* The checker itself refuses what it must, or the round trips prove little. */
static const struct {
	const char	*in;
	size_t		 n;
	int		 flags;
	int		 ok;
} checker_cases[] = {
	{ S("\"a\""), JD_CHATD, 1 },
	{ S(" {\"a\" : [1, -0.5e+3, true, false, null, {}]}\n"), 0, 1 },
	{ S(""), 0, 0 },
	{ S("\"a"), 0, 0 },
	{ S("\"a\" x"), 0, 0 },
	{ S("{\"a\":1,}"), 0, 0 },
	{ S("[1,]"), 0, 0 },
	{ S("[1 2]"), 0, 0 },
	{ S("{1:2}"), 0, 0 },
	{ S("01"), 0, 0 },
	{ S("1."), 0, 0 },
	{ S("-"), 0, 0 },
	{ S("tru"), 0, 0 },
	{ S("\"\n\""), 0, 0 },
	{ S("\"\0\""), 0, 0 },
	{ S("\"\\x\""), 0, 0 },
	{ S("\"\\u12\""), 0, 0 },
	{ S("\"\\ud83d\""), 0, 0 },
	{ S("\"\\ude00\""), 0, 0 },
	{ S("\"\\ud83d\\u0041\""), 0, 0 },
	{ S("\"\\ud83d\\ude00\""), 0, 1 },
	{ S("\"\xc0\xaf\""), 0, 0 },
	{ S("\"\xed\xa0\x80\""), 0, 0 },
	{ S("\"\xf4\x90\x80\x80\""), 0, 0 },
	{ S("\"\xe2\x80\""), 0, 0 },
	/* what JSON allows and json.c never writes */
	{ S("\"\\/\""), 0, 1 },
	{ S("\"\\/\""), JD_CHATD, 0 },
	{ S("\"\\u0041\""), 0, 1 },
	{ S("\"\\u0041\""), JD_CHATD, 0 },
	{ S("\"\\u000A\""), 0, 1 },
	{ S("\"\\u000a\""), JD_CHATD, 0 },
	{ S("\"\\u001F\""), JD_CHATD, 0 },
	{ S("\"\\u001f\""), JD_CHATD, 1 },
	{ S("\"\x7f\""), 0, 1 },
	{ S("\"\x7f\""), JD_CHATD, 0 },
	{ S("\"\xe2\x80\xa8\""), 0, 1 },
	{ S("\"\xe2\x80\xa8\""), JD_CHATD, 0 },
	{ S("\"\xe2\x80\xa9\""), JD_CHATD, 0 },
};

START_TEST(test_checker)
{
	ck_assert_int_eq(jd_parse(checker_cases[_i].in, checker_cases[_i].n,
	    checker_cases[_i].flags, NULL, NULL) == 0, checker_cases[_i].ok);
}
END_TEST

START_TEST(test_checker_depth)
{
	char in[2 * (JD_DEPTH_MAX + 2)];
	int d;

	for (d = JD_DEPTH_MAX; d <= JD_DEPTH_MAX + 1; d++) {
		memset(in, '[', (size_t)d);
		memset(in + d, ']', (size_t)d);
		ck_assert_int_eq(jd_parse(in, 2 * (size_t)d, 0, NULL, NULL),
		    d <= JD_DEPTH_MAX ? 0 : -1);
	}
}
END_TEST

/* A long string goes out in one piece, and a failed buffer stays failed. */
START_TEST(test_long_string)
{
	char *in;
	size_t n = 100000, olen;
	char *out;

	in = malloc(n);
	out = malloc(n + 2);
	ck_assert(in != NULL && out != NULL);
	memset(in, 'x', n);
	in[n / 2] = '\n';
	json_strn(&b, in, n);
	ck_assert_uint_eq(b.len, n + 3);
	ck_assert_int_eq(jd_parse(b.data, b.len, JD_CHATD, out, &olen), 0);
	ck_assert_uint_eq(olen, n);
	ck_assert(memcmp(in, out, n) == 0);
	free(in);
	free(out);
}
END_TEST

Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("writer");
	TCase *rt = tcase_create("round_trip");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_escapes, 0, NELEM(str_cases));
	tcase_add_test(tc, test_every_control);
	tcase_add_loop_test(tc, test_bad_utf8, 0, NELEM(bad_cases));
	tcase_add_test(tc, test_str_stops_at_nul_strn_does_not);
	tcase_add_test(tc, test_null_string_is_null);
	tcase_add_test(tc, test_numbers_and_literals);
	tcase_add_loop_test(tc, test_time, 0, NELEM(time_cases));
	tcase_add_test(tc, test_time_wide);
	tcase_add_test(tc, test_error);
	tcase_add_test(tc, test_event_object);
	tcase_add_test(tc, test_nesting_and_commas);
	tcase_add_test(tc, test_after_a_prefix);
	tcase_add_test(tc, test_keys_are_escaped);
	tcase_add_test(tc, test_long_string);
	tcase_add_loop_test(tc, test_checker, 0, NELEM(checker_cases));
	tcase_add_test(tc, test_checker_depth);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(rt, setup, teardown);
	tcase_add_test(rt, test_round_trip_pairs_and_triples);
	tcase_add_test(rt, test_round_trip_every_code_point);
	tcase_add_test(rt, test_round_trip_every_two_bytes);
	suite_add_tcase(s, rt);
	return s;
}
