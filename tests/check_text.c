/* check_text.c: names, rooms, messages, colours and mentions, by table. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "text.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
/* A literal with its length, so that tables may hold NUL bytes. */
#define S(lit)		lit, sizeof (lit) - 1

/* Code points of 1 to 4 bytes, all letters with a distinct lower case. */
#define E_ACUTE		"\xc3\xa9"		/* é U+00E9 */
#define CJK_LI		"\xe6\x9d\x8e"		/* 李 U+674E */
#define DESERET_E	"\xf0\x90\x90\x80"	/* 𐐀 U+10400 */
#define DESERET_E_LC	"\xf0\x90\x90\xa8"	/* 𐐨 U+10428 */
#define EMOJI		"\xf0\x9f\x98\x80"	/* 😀 U+1F600 */

static void
setup(void)
{
	text_locale_init();
}

/* Writes `count` copies of unit into out (which must have room). */
static char *
repeat(char *out, const char *unit, size_t count)
{
	size_t i, n;

	n = strlen(unit);
	for (i = 0; i < count; i++)
		memcpy(out + i * n, unit, n);
	out[count * n] = '\0';
	return out;
}

START_TEST(test_locale)
{
	ck_assert_int_eq(text_locale_init(), 0);
	/* Choosing the locale again must not undo it. */
	ck_assert_int_eq(text_locale_init(), 0);
	ck_assert_int_eq(text_valid_name("Zo\xc3\xab"), 1);
}
END_TEST

static const struct {
	const char	*in;
	size_t		 n;
	int		 len;		/* -1: refused */
	uint32_t	 cp;
} decode_cases[] = {
	{ S("A"), 1, 'A' },
	{ S("\0"), 1, 0 },
	{ S("\x7f"), 1, 0x7f },
	{ S("\xc2\x80"), 2, 0x80 },
	{ S("\xdf\xbf"), 2, 0x7ff },
	{ S("\xe0\xa0\x80"), 3, 0x800 },
	{ S("\xed\x9f\xbf"), 3, 0xd7ff },
	{ S("\xee\x80\x80"), 3, 0xe000 },
	{ S("\xef\xbf\xbf"), 3, 0xffff },
	{ S("\xf0\x90\x80\x80"), 4, 0x10000 },
	{ S("\xf4\x8f\xbf\xbf"), 4, 0x10ffff },
	{ S("\xc3\xa9xyz"), 2, 0xe9 },		/* stops after one */
	/* Stray continuation bytes. */
	{ S("\x80"), -1, 0 },
	{ S("\xbf"), -1, 0 },
	/* Overlong forms. */
	{ S("\xc0\x80"), -1, 0 },
	{ S("\xc0\xaf"), -1, 0 },
	{ S("\xc1\xbf"), -1, 0 },
	{ S("\xe0\x80\x80"), -1, 0 },
	{ S("\xe0\x9f\xbf"), -1, 0 },
	{ S("\xf0\x80\x80\x80"), -1, 0 },
	{ S("\xf0\x8f\xbf\xbf"), -1, 0 },
	/* Surrogates. */
	{ S("\xed\xa0\x80"), -1, 0 },
	{ S("\xed\xbf\xbf"), -1, 0 },
	/* Above U+10FFFF, and bytes that never start a sequence. */
	{ S("\xf4\x90\x80\x80"), -1, 0 },
	{ S("\xf5\x80\x80\x80"), -1, 0 },
	{ S("\xf7\xbf\xbf\xbf"), -1, 0 },
	{ S("\xf8\x88\x80\x80\x80"), -1, 0 },
	{ S("\xfc\x84\x80\x80\x80\x80"), -1, 0 },
	{ S("\xfe"), -1, 0 },
	{ S("\xff"), -1, 0 },
	/* Truncated sequences. */
	{ S("\xc3"), -1, 0 },
	{ S("\xe2\x82"), -1, 0 },
	{ S("\xf0\x9f\x98"), -1, 0 },
	/* A continuation byte missing inside a sequence. */
	{ S("\xc3\x28"), -1, 0 },
	{ S("\xc3\xc3"), -1, 0 },
	{ S("\xe2\x28\xa1"), -1, 0 },
	{ S("\xe2\x82\x28"), -1, 0 },
	{ S("\xf0\x9f\x98\x28"), -1, 0 },
	{ S("\xf0\x9f\x28\x80"), -1, 0 },
};

START_TEST(test_decode)
{
	uint32_t cp = 0xdeadbeef;
	int len;

	len = text_utf8_decode(decode_cases[_i].in, decode_cases[_i].n, &cp);
	ck_assert_msg(len == decode_cases[_i].len,
	    "case %d: length %d, want %d", _i, len, decode_cases[_i].len);
	if (decode_cases[_i].len > 0)
		ck_assert_msg(cp == decode_cases[_i].cp,
		    "case %d: U+%04lX, want U+%04lX", _i, (unsigned long)cp,
		    (unsigned long)decode_cases[_i].cp);
}
END_TEST

/* The byte count given wins over what lies in memory. */
START_TEST(test_decode_bounded)
{
	uint32_t cp;

	ck_assert_int_eq(text_utf8_decode("\xc3\xa9", 1, &cp), -1);
	ck_assert_int_eq(text_utf8_decode(DESERET_E, 3, &cp), -1);
	ck_assert_int_eq(text_utf8_decode("A", 0, &cp), -1);
}
END_TEST

static const struct {
	uint32_t	 cp;
	const char	*out;
} encode_cases[] = {
	{ 0x41, "A" },
	{ 0x7f, "\x7f" },
	{ 0x80, "\xc2\x80" },
	{ 0x7ff, "\xdf\xbf" },
	{ 0x800, "\xe0\xa0\x80" },
	{ 0xffff, "\xef\xbf\xbf" },
	{ 0x10000, "\xf0\x90\x80\x80" },
	{ 0x10ffff, "\xf4\x8f\xbf\xbf" },
	/* No UTF-8 form: written as U+FFFD. */
	{ 0xd800, "\xef\xbf\xbd" },
	{ 0xdfff, "\xef\xbf\xbd" },
	{ 0x110000, "\xef\xbf\xbd" },
};

START_TEST(test_encode)
{
	char out[4];
	int len;

	len = text_utf8_encode(encode_cases[_i].cp, out);
	ck_assert_int_eq(len, (int)strlen(encode_cases[_i].out));
	ck_assert_mem_eq(out, encode_cases[_i].out, (size_t)len);
}
END_TEST

/* Every scalar value survives encoding and decoding unchanged. */
START_TEST(test_roundtrip)
{
	uint32_t cp, back;
	char out[4];
	int len;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp == 0xd800)
			cp = 0xe000;
		len = text_utf8_encode(cp, out);
		back = 0xffffffff;
		if (text_utf8_decode(out, (size_t)len, &back) != len ||
		    back != cp)
			ck_abort_msg("U+%04lX does not round-trip",
			    (unsigned long)cp);
	}
}
END_TEST

static const struct {
	const char	*in;
	int		 valid;
} name_cases[] = {
	{ "", 0 },
	{ "a", 0 },
	{ E_ACUTE, 0 },				/* 2 bytes, 1 code point */
	{ CJK_LI, 0 },				/* 3 bytes, 1 code point */
	{ "ab", 1 },
	{ "12", 1 },
	{ "a-b_c9", 1 },
	{ "Zo\xc3\xab", 1 },			/* Zoë */
	{ "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", 1 },	/* Иван */
	{ CJK_LI "\xe9\x9b\xb7", 1 },		/* 李雷 */
	{ "\xc3\x89LODIE", 1 },			/* ÉLODIE */
	{ "a b", 0 },
	{ "a.b", 0 },
	{ "a@b", 0 },
	{ "ab\t", 0 },
	{ "<b>", 0 },
	{ "ab\xc2\xa0", 0 },			/* no-break space */
	{ "ab\xe2\x82\xac", 0 },		/* € */
	{ "ab" EMOJI, 0 },
	{ "a\xe2\x80\x8b" "b", 0 },		/* zero width space */
	{ "a\xe2\x80\xae" "b", 0 },		/* right-to-left override */
	{ "ab\xc2\x85", 0 },			/* C1 NEL */
	/* Combining marks are not letters, precomposed ones are. */
	{ "e\xcc\x81" "ab", 0 },		/* e + U+0301 */
	{ "abe\xcc\x81", 0 },
	{ "ab\xcc\x80", 0 },			/* U+0300 */
	{ "ab" E_ACUTE, 1 },
	/* Not UTF-8. */
	{ "ab\xff", 0 },
	{ "ab\xc3", 0 },
	{ "ab\xc0\xa0", 0 },
	{ "ab\xed\xa0\x80", 0 },
	{ "ab\x80", 0 },
};

START_TEST(test_name)
{
	ck_assert_msg(text_valid_name(name_cases[_i].in) ==
	    name_cases[_i].valid, "case %d: \"%s\" should be %s", _i,
	    name_cases[_i].in, name_cases[_i].valid ? "valid" : "invalid");
}
END_TEST

/* 20 code points pass and 21 fail, whatever their width in bytes. */
static const char *const name_units[] = {
	"a", E_ACUTE, CJK_LI, DESERET_E
};

START_TEST(test_name_length)
{
	char buf[(TEXT_NAME_MAX + 1) * 4 + 1];
	const char *unit = name_units[_i];

	ck_assert_int_eq(text_valid_name(repeat(buf, unit, 1)), 0);
	ck_assert_int_eq(text_valid_name(repeat(buf, unit, TEXT_NAME_MIN)), 1);
	ck_assert_int_eq(text_valid_name(repeat(buf, unit, TEXT_NAME_MAX)), 1);
	ck_assert_int_eq(text_valid_name(repeat(buf, unit,
	    TEXT_NAME_MAX + 1)), 0);
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;		/* NULL: refused */
} fold_cases[] = {
	{ "Bob", "bob" },
	{ "A-B_9", "a-b_9" },
	{ "\xc3\x89LODIE", "\xc3\xa9lodie" },	/* ÉLODIE */
	{ "\xc3\xa9lodie", "\xc3\xa9lodie" },	/* élodie */
	{ "ZO\xc3\x8b", "zo\xc3\xab" },		/* ZOË */
	{ "\xd0\x98\xd0\x92\xd0\x90\xd0\x9d",	/* ИВАН */
	    "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd" },
	{ CJK_LI "\xe9\x9b\xb7", CJK_LI "\xe9\x9b\xb7" },
	/* Ⱥ folds to ⱥ, which takes a byte more. */
	{ "\xc8\xba\xc8\xba", "\xe2\xb1\xa5\xe2\xb1\xa5" },
	{ "a", NULL },
	{ "a b", NULL },
	{ "ab\xff", NULL },
};

START_TEST(test_fold)
{
	char out[TEXT_NAME_BYTES];

	if (fold_cases[_i].out == NULL) {
		ck_assert_int_eq(text_fold_name(fold_cases[_i].in, out), -1);
		return;
	}
	ck_assert_int_eq(text_fold_name(fold_cases[_i].in, out), 0);
	ck_assert_str_eq(out, fold_cases[_i].out);
}
END_TEST

/* The largest name fills TEXT_NAME_BYTES exactly once folded. */
START_TEST(test_fold_full)
{
	char in[TEXT_NAME_BYTES], want[TEXT_NAME_BYTES];
	char out[TEXT_NAME_BYTES + 8];

	memset(out, 'x', sizeof out);
	repeat(in, DESERET_E, TEXT_NAME_MAX);
	repeat(want, DESERET_E_LC, TEXT_NAME_MAX);
	ck_assert_int_eq(text_fold_name(in, out), 0);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(out[TEXT_NAME_BYTES], 'x');
}
END_TEST

START_TEST(test_fold_same_key)
{
	char a[TEXT_NAME_BYTES], b[TEXT_NAME_BYTES];

	ck_assert_int_eq(text_fold_name("\xc3\x89LODIE", a), 0);
	ck_assert_int_eq(text_fold_name("\xc3\xa9lodie", b), 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(text_fold_name("Elodie", b), 0);
	ck_assert_str_ne(a, b);
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;		/* NULL: refused */
} room_cases[] = {
	{ "", NULL },
	{ "a", "a" },
	{ "Lobby", "lobby" },
	{ "Dev-Ops_2", "dev-ops_2" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWX", "abcdefghijklmnopqrstuvwx" },
	{ "abcdefghijklmnopqrstuvwxy", NULL },
	{ "a b", NULL },
	{ "a.b", NULL },
	{ "#lobby", NULL },
	{ "caf" E_ACUTE, NULL },
	{ "lobby\n", NULL },
};

START_TEST(test_room)
{
	char out[TEXT_ROOM_BYTES];
	const char *in = room_cases[_i].in, *want = room_cases[_i].out;

	ck_assert_int_eq(text_valid_room(in), want != NULL);
	if (want == NULL) {
		ck_assert_int_eq(text_fold_room(in, out), -1);
		return;
	}
	ck_assert_int_eq(text_fold_room(in, out), 0);
	ck_assert_str_eq(out, want);
}
END_TEST

static const struct {
	const char		*in;
	size_t			 inlen;
	size_t			 max;
	enum text_verdict	 verdict;
	const char		*out;	/* after cleaning; NULL: not checked */
	size_t			 outlen;
} msg_cases[] = {
	{ S("hello"), 300, TEXT_OK, S("hello") },
	{ S("a\r\nb"), 300, TEXT_OK, S("a\nb") },
	{ S("a\tb"), 300, TEXT_OK, S("a b") },
	{ S("one\ntwo\n"), 300, TEXT_OK, S("one\ntwo\n") },
	{ S("caf" E_ACUTE "\r\n" CJK_LI), 300, TEXT_OK,
	    S("caf" E_ACUTE "\n" CJK_LI) },
	{ S("a\xc2\xa0" "b"), 300, TEXT_OK, S("a\xc2\xa0" "b") },
	{ S("\xc2\xa0"), 300, TEXT_OK, S("\xc2\xa0") },
	{ S("\xe2\x80\xae" "abc"), 300, TEXT_OK, S("\xe2\x80\xae" "abc") },
	/* Nothing but blanks. */
	{ S(""), 300, TEXT_EMPTY, S("") },
	{ S(" "), 300, TEXT_EMPTY, S(" ") },
	{ S("\r"), 300, TEXT_EMPTY, S("") },
	{ S("\r\n\r\n"), 300, TEXT_EMPTY, S("\n\n") },
	{ S(" \t\n \r\n"), 300, TEXT_EMPTY, S("  \n \n") },
	/* C0 controls, NUL included, DEL and C1 controls. */
	{ S("a\0b"), 300, TEXT_CONTROL, S("a\0b") },
	{ S("\0"), 300, TEXT_CONTROL, S("\0") },
	{ S("a\x01"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("\x1b[31mred"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("a\x0b" "b"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("a\x0c" "b"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("a\x1f"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("a\x7f"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("a\xc2\x80"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("a\xc2\x85" "b"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("a\xc2\x9f"), 300, TEXT_CONTROL, NULL, 0 },
	{ S("\r\x01"), 300, TEXT_CONTROL, S("\x01") },
	/* Not UTF-8. */
	{ S("a\xff"), 300, TEXT_BAD_UTF8, NULL, 0 },
	{ S("abc\xc3"), 300, TEXT_BAD_UTF8, NULL, 0 },
	{ S("\xc0\xaf"), 300, TEXT_BAD_UTF8, NULL, 0 },
	{ S("\xed\xa0\x80"), 300, TEXT_BAD_UTF8, NULL, 0 },
	{ S("\xf4\x90\x80\x80"), 300, TEXT_BAD_UTF8, NULL, 0 },
	{ S("a\x80" "b"), 300, TEXT_BAD_UTF8, NULL, 0 },
	/* Cleaning still happens around bad bytes. */
	{ S("\r\xff\t"), 300, TEXT_BAD_UTF8, S("\xff ") },
	/* Lengths in code points, counted after cleaning. */
	{ S("abcde"), 5, TEXT_OK, S("abcde") },
	{ S("abcdef"), 5, TEXT_TOO_LONG, NULL, 0 },
	{ S("ab\r\ncd"), 5, TEXT_OK, S("ab\ncd") },
	{ S("ab\r\ncde"), 5, TEXT_TOO_LONG, NULL, 0 },
	{ S(E_ACUTE E_ACUTE E_ACUTE E_ACUTE E_ACUTE), 5, TEXT_OK,
	    S(E_ACUTE E_ACUTE E_ACUTE E_ACUTE E_ACUTE) },
	{ S(E_ACUTE E_ACUTE E_ACUTE E_ACUTE E_ACUTE E_ACUTE), 5,
	    TEXT_TOO_LONG, NULL, 0 },
	{ S(CJK_LI CJK_LI CJK_LI CJK_LI CJK_LI), 5, TEXT_OK,
	    S(CJK_LI CJK_LI CJK_LI CJK_LI CJK_LI) },
	{ S(CJK_LI CJK_LI CJK_LI CJK_LI CJK_LI CJK_LI), 5, TEXT_TOO_LONG,
	    NULL, 0 },
	{ S(EMOJI EMOJI EMOJI EMOJI EMOJI), 5, TEXT_OK,
	    S(EMOJI EMOJI EMOJI EMOJI EMOJI) },
	{ S(EMOJI EMOJI EMOJI EMOJI EMOJI EMOJI), 5, TEXT_TOO_LONG, NULL, 0 },
	/* Order: bad bytes, then controls, then blank, then length. */
	{ S("\x01\xff"), 300, TEXT_BAD_UTF8, NULL, 0 },
	{ S("\xff\x01"), 300, TEXT_BAD_UTF8, NULL, 0 },
	{ S("abcdef\xff"), 5, TEXT_BAD_UTF8, NULL, 0 },
	{ S("abcdef\x01"), 5, TEXT_CONTROL, NULL, 0 },
	{ S(" \x01 "), 300, TEXT_CONTROL, NULL, 0 },
	{ S("          "), 5, TEXT_EMPTY, NULL, 0 },
};

START_TEST(test_message)
{
	char buf[64];
	size_t len = msg_cases[_i].inlen;
	enum text_verdict v;

	ck_assert_uint_lt(len, sizeof buf);
	memcpy(buf, msg_cases[_i].in, len);
	buf[len] = '\0';
	v = text_clean_message(buf, &len, msg_cases[_i].max);
	ck_assert_msg(v == msg_cases[_i].verdict, "case %d: verdict %d, "
	    "want %d", _i, (int)v, (int)msg_cases[_i].verdict);
	ck_assert_int_eq(buf[len], '\0');
	if (msg_cases[_i].out == NULL)
		return;
	ck_assert_uint_eq(len, msg_cases[_i].outlen);
	ck_assert_mem_eq(buf, msg_cases[_i].out, len);
}
END_TEST

/* The default limit, with a unit of each width, at max and max + 1. */
static const char *const msg_units[] = { "x", E_ACUTE, CJK_LI, EMOJI };

START_TEST(test_message_default_max)
{
	const char *unit = msg_units[_i];
	char buf[(TEXT_MESSAGE_DEFAULT + 1) * 4 + 1];
	size_t len;

	repeat(buf, unit, TEXT_MESSAGE_DEFAULT);
	len = strlen(buf);
	ck_assert_int_eq(text_clean_message(buf, &len, TEXT_MESSAGE_DEFAULT),
	    TEXT_OK);
	ck_assert_uint_eq(len, TEXT_MESSAGE_DEFAULT * strlen(unit));
	repeat(buf, unit, TEXT_MESSAGE_DEFAULT + 1);
	len = strlen(buf);
	ck_assert_int_eq(text_clean_message(buf, &len, TEXT_MESSAGE_DEFAULT),
	    TEXT_TOO_LONG);
}
END_TEST

START_TEST(test_reason)
{
	static const struct {
		enum text_verdict	 v;
		const char		*word;
	} reasons[] = {
		{ TEXT_EMPTY, "empty" },
		{ TEXT_TOO_LONG, "too long" },
		{ TEXT_BAD_UTF8, "UTF-8" },
		{ TEXT_CONTROL, "control" },
	};
	size_t i, j;

	for (i = 0; i < NELEM(reasons); i++) {
		ck_assert_ptr_nonnull(strstr(text_verdict_reason(reasons[i].v),
		    reasons[i].word));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(text_verdict_reason(reasons[i].v),
			    text_verdict_reason(reasons[j].v));
	}
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;		/* NULL: refused */
} color_cases[] = {
	{ "#abc", "#abc" },
	{ "#ABC", "#abc" },
	{ "#000", "#000" },
	{ "#A1b2C3", "#a1b2c3" },
	{ "#ffffff", "#ffffff" },
	{ "black", "black" }, { "silver", "silver" }, { "gray", "gray" },
	{ "white", "white" }, { "maroon", "maroon" }, { "red", "red" },
	{ "purple", "purple" }, { "fuchsia", "fuchsia" },
	{ "green", "green" }, { "lime", "lime" }, { "olive", "olive" },
	{ "yellow", "yellow" }, { "navy", "navy" }, { "blue", "blue" },
	{ "teal", "teal" }, { "aqua", "aqua" },
	{ "RED", "red" },
	{ "FuChSiA", "fuchsia" },
	{ "", NULL },
	{ "#", NULL },
	{ "#ab", NULL },
	{ "#abcd", NULL },
	{ "#abcde", NULL },
	{ "#abcdefa", NULL },
	{ "#abcdef00", NULL },
	{ "#ggg", NULL },
	{ "#12 456", NULL },
	{ "#-12", NULL },
	{ "#+12", NULL },
	{ "abc", NULL },
	{ "0x123", NULL },
	{ "grey", NULL },
	{ "orange", NULL },
	{ "re", NULL },
	{ "redd", NULL },
	{ " red", NULL },
	{ "red ", NULL },
	{ "red\n", NULL },
	{ "rgb(0,0,0)", NULL },
	{ "r\xc3\xa9" "d", NULL },
	{ "\"><script>", NULL },
};

START_TEST(test_color)
{
	char out[TEXT_COLOR_BYTES];

	if (color_cases[_i].out == NULL) {
		ck_assert_msg(text_color(color_cases[_i].in, out) == -1,
		    "case %d: \"%s\" accepted", _i, color_cases[_i].in);
		return;
	}
	ck_assert_int_eq(text_color(color_cases[_i].in, out), 0);
	ck_assert_str_eq(out, color_cases[_i].out);
}
END_TEST

static const struct {
	const char	*msg;
	const char	*name;
	int		 mentions;
} mention_cases[] = {
	{ "hi Bob!", "bob", 1 },
	{ "hi bob", "BOB", 1 },
	{ "bob", "bob", 1 },
	{ "@bob, look", "bob", 1 },
	{ "(bob)", "bob", 1 },
	{ "bob\nhi", "bob", 1 },
	{ "bob.", "bob", 1 },
	{ "hi bobby", "bob", 0 },
	{ "bob2", "bob", 0 },
	{ "2bob", "bob", 0 },
	{ "bob_", "bob", 0 },
	{ "_bob", "bob", 0 },
	{ "bob-x", "bob", 0 },
	{ "x-bob", "bob", 0 },
	{ "xbob bobx", "bob", 0 },
	{ "bobby bob", "bob", 1 },
	{ "bo bob", "bob", 1 },
	{ "bobbob, bob", "bob", 1 },
	{ "", "bob", 0 },
	{ "bo", "bob", 0 },
	{ "b" E_ACUTE "b", "bob", 0 },
	{ "\xff" "bob\xff", "bob", 1 },		/* bad bytes are not letters */
	{ "\xc3\x89LODIE, salut", "\xc3\xa9lodie", 1 },
	{ "salut \xc3\xa9lodie", "\xc3\x89lodie", 1 },
	{ "\xc3\xa9lodiea", "\xc3\xa9lodie", 0 },
	{ E_ACUTE E_ACUTE "lodie", E_ACUTE "lodie", 0 },
	{ "\xd0\x98\xd0\x92\xd0\x90\xd0\x9d!",	/* ИВАН! */
	    "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd", 1 },
	{ "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2",	/* Иванов */
	    "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd", 0 },
	{ CJK_LI "\xe9\x9b\xb7\xef\xbc\x8c",	/* 李雷， */
	    CJK_LI "\xe9\x9b\xb7", 1 },
	{ "hi bob", "b", 0 },			/* not a name */
	{ "hi a b", "a b", 0 },
};

/* Whether msg mentions name, as a room finds out: word by word. */
static int
mentions(const char *msg, const char *name)
{
	char key[TEXT_NAME_BYTES], word[TEXT_NAME_BYTES], wkey[TEXT_NAME_BYTES];
	const char *p = msg, *end = msg + strlen(msg);

	if (text_fold_name(name, key) == -1)
		return 0;
	while (text_next_name(&p, end, word)) {
		ck_assert_int_eq(text_fold_name(word, wkey), 0);
		if (strcmp(wkey, key) == 0)
			return 1;
	}
	ck_assert_ptr_eq(p, end);
	return 0;
}

START_TEST(test_mentions)
{
	ck_assert_msg(mentions(mention_cases[_i].msg,
	    mention_cases[_i].name) == mention_cases[_i].mentions,
	    "case %d: \"%s\" in \"%s\" should be %d", _i,
	    mention_cases[_i].name, mention_cases[_i].msg,
	    mention_cases[_i].mentions);
}
END_TEST

/* The names a line holds, in order: one letter, a long run and bad bytes are none. */
START_TEST(test_next_name)
{
	static const char *const want[] = {
		"hey", "bob", "y-z", "ab", "cd", E_ACUTE "mile", "_x_"
	};
	const char *msg = "hey bob, x y-z ab\xff" "cd " E_ACUTE "mile "
	    "abcdefghijklmnopqrstu _x_ q";
	const char *p = msg, *end = msg + strlen(msg);
	char word[TEXT_NAME_BYTES];
	size_t i;

	for (i = 0; i < NELEM(want); i++) {
		ck_assert_int_eq(text_next_name(&p, end, word), 1);
		ck_assert_str_eq(word, want[i]);
	}
	ck_assert_int_eq(text_next_name(&p, end, word), 0);
	ck_assert_ptr_eq(p, end);
	p = end;
	ck_assert_int_eq(text_next_name(&p, end, word), 0);
}
END_TEST

static const struct {
	const char	*in;
	size_t		 size;
	const char	*out;
} log_cases[] = {
	{ "plain " E_ACUTE, 64, "plain " E_ACUTE },
	{ "bye\n127.0.0.1 - - [x] \"GET / HTTP/1.0\" 200 0", 64,
	    "bye\\n127.0.0.1 - - [x] \"GET / HTTP/1.0\" 200 0" },
	{ "a\\b", 64, "a\\\\b" },
	{ "\r\t", 64, "\\r\\t" },
	{ "\x1b[31mred", 64, "\\x1b[31mred" },	/* ESC */
	{ "\x7f\x01", 64, "\\x7f\\x01" },
	{ "\xc2\x85\xc2\x9b", 64, "\\x85\\x9b" },	/* C1: NEL, CSI */
	{ "\xff\xc3(", 64, "\\xff\\xc3(" },		/* not UTF-8 */
	{ "\xe2\x80\xae" "evil", 64, "\\u202e" "evil" },	/* RLO */
	{ "\xe2\x81\xa6" "x", 64, "\\u2066" "x" },	/* LRI */
	{ "abcdefg", 8, "abcdefg" },			/* fits exactly */
	{ "abcdefgh", 8, "abcd..." },
	{ E_ACUTE E_ACUTE E_ACUTE E_ACUTE E_ACUTE, 8, E_ACUTE E_ACUTE "..." },
	{ "\n\n\n\n\n", 8, "\\n\\n..." },
	{ "\n", 2, "" },			/* no room: nothing, never half */
	{ "", 1, "" },
};

START_TEST(test_log_safe)
{
	char out[64];

	memset(out, 'X', sizeof out);
	ck_assert_ptr_eq(text_log_safe(log_cases[_i].in, out,
	    log_cases[_i].size), out);
	ck_assert_str_eq(out, log_cases[_i].out);
	ck_assert_uint_lt(strlen(out), log_cases[_i].size);
}
END_TEST

static TCase *
tcase(const char *name)
{
	TCase *tc;

	tc = tcase_create(name);
	tcase_add_checked_fixture(tc, setup, NULL);
	return tc;
}

Suite *
text_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("text");

	tc = tcase("utf8");
	tcase_add_test(tc, test_locale);
	tcase_add_loop_test(tc, test_decode, 0, NELEM(decode_cases));
	tcase_add_test(tc, test_decode_bounded);
	tcase_add_loop_test(tc, test_encode, 0, NELEM(encode_cases));
	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase("names");
	tcase_add_loop_test(tc, test_name, 0, NELEM(name_cases));
	tcase_add_loop_test(tc, test_name_length, 0, NELEM(name_units));
	tcase_add_loop_test(tc, test_fold, 0, NELEM(fold_cases));
	tcase_add_test(tc, test_fold_full);
	tcase_add_test(tc, test_fold_same_key);
	tcase_add_loop_test(tc, test_room, 0, NELEM(room_cases));
	suite_add_tcase(s, tc);

	tc = tcase("messages");
	tcase_add_loop_test(tc, test_message, 0, NELEM(msg_cases));
	tcase_add_loop_test(tc, test_message_default_max, 0, NELEM(msg_units));
	tcase_add_test(tc, test_reason);
	tcase_add_loop_test(tc, test_log_safe, 0, NELEM(log_cases));
	suite_add_tcase(s, tc);

	tc = tcase("colours and mentions");
	tcase_add_loop_test(tc, test_color, 0, NELEM(color_cases));
	tcase_add_loop_test(tc, test_mentions, 0, NELEM(mention_cases));
	tcase_add_test(tc, test_next_name);
	suite_add_tcase(s, tc);

	return s;
}
