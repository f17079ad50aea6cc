/* fuzz_json.c: libFuzzer target for the JSON writer, checked by a decoder. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "json_decode.h"

/*
 * Each input is first a string: json_strn() must write strict JSON that
 * keeps to json.c's escaping, and decode to the input itself (valid UTF-8)
 * or to the input mended by the decoder's own rules.  Then the same bytes
 * drive the writer as a program of opens, closes, keys and values, and the
 * whole must be one JSON text, whatever the program.
 */

#define NEST_MAX	32	/* below the decoder's JD_DEPTH_MAX */

static void
fuzz_string(const char *in, size_t len)
{
	struct buf b, c;
	char *out, *want, *str;
	size_t olen, wlen;

	buf_init(&b);
	CHECK(json_strn(&b, in, len) == 0);
	/* at most \u00xx for each byte, and the quotes */
	CHECK(b.len >= len + 2 && b.len <= 6 * len + 2);
	out = malloc(b.len + 1);
	want = malloc(3 * len + 1);
	CHECK(out != NULL && want != NULL);
	CHECK(jd_parse(b.data, b.len, JD_CHATD, out, &olen) == 0);
	CHECK(jd_utf8_valid(out, olen));
	wlen = jd_mend(in, len, want);
	if (jd_utf8_valid(in, len))
		CHECK(wlen == len && memcmp(want, in, len) == 0);
	CHECK(olen == wlen && memcmp(out, want, olen) == 0);

	/* json_str() stops at the first NUL and is otherwise the same */
	str = malloc(len + 1);
	CHECK(str != NULL);
	memcpy(str, in, len);
	str[len] = '\0';
	buf_init(&c);
	json_str(&c, str);
	buf_reset(&b);
	json_strn(&b, in, strlen(str));
	CHECK(b.len == c.len && memcmp(b.data, c.data, b.len) == 0);
	buf_free(&c);
	free(str);
	free(out);
	free(want);
	buf_free(&b);
}

/* The next n bytes (fewer at the end) of the program, as a piece. */
static const char *
take(const char **p, const char *end, size_t n, size_t *got)
{
	const char *s = *p;

	*got = (size_t)(end - s) < n ? (size_t)(end - s) : n;
	*p += *got;
	return s;
}

static void
fuzz_value(struct buf *b, unsigned op, const char **p, const char *end)
{
	const char *s;
	size_t n;
	long long v;

	if (op == 0 || op == 6) {
		s = take(p, end, 1, &n);
		n = n > 0 ? (unsigned char)s[0] % 32 : 0;
		s = take(p, end, n, &n);
		if (op == 0)
			json_strn(b, s, n);
		else
			json_strn(b, NULL, n);	/* null, whatever the length */
		return;
	}
	s = take(p, end, op == 5 ? 4 : sizeof v, &n);
	v = 0;
	memcpy(&v, s, n);
	switch (op) {
	case 1:
		json_int(b, v);
		break;
	case 2:
		json_ull(b, (unsigned long long)v);
		break;
	case 3:
		json_bool(b, (int)(v & 1));
		break;
	case 4:
		json_null(b);
		break;
	default:
		json_time(b, (time_t)(v & 0xffffffffLL));
		break;
	}
}

/*
 * Each byte of the program: its low two bits open an object (0), open an
 * array (1), close the innermost (2) or write a value (3), its others
 * choose the value; in an object every value gets a key from the next
 * bytes.  One value is written at the top, then the program stops.
 */
static void
fuzz_build(const char *in, size_t len, int prefix)
{
	char stack[NEST_MAX], key[8];
	const char *p = in, *end = in + len, *s;
	struct buf b;
	size_t depth, n, start;
	unsigned op;

	buf_init(&b);
	if (prefix)
		buf_adds(&b, "data: ");
	start = b.len;
	depth = 0;
	while (p < end) {
		op = (unsigned char)*p++;
		if ((op & 3) == 2) {
			if (depth == 0)
				continue;
			if (stack[--depth] == '{')
				json_obj_end(&b);
			else
				json_arr_end(&b);
			if (depth == 0)
				break;
			continue;
		}
		if (depth > 0 && stack[depth - 1] == '[')
			json_item(&b);
		else if (depth > 0) {
			s = take(&p, end, op >> 5, &n);
			memcpy(key, s, n);
			key[n] = '\0';
			json_key(&b, key);
		}
		if ((op & 3) < 2 && depth < NEST_MAX) {
			stack[depth++] = (op & 3) == 0 ? '{' : '[';
			if ((op & 3) == 0)
				json_obj_begin(&b);
			else
				json_arr_begin(&b);
		} else {
			fuzz_value(&b, (op >> 2) % 7, &p, end);
			if (depth == 0)
				break;
		}
	}
	while (depth > 0)
		if (stack[--depth] == '{')
			json_obj_end(&b);
		else
			json_arr_end(&b);
	if (b.len == start)
		json_null(&b);
	CHECK(b.failed == 0);
	CHECK(!prefix || memcmp(b.data, "data: ", 6) == 0);
	CHECK(jd_parse(b.data + start, b.len - start, JD_CHATD, NULL, NULL) ==
	    0);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	fuzz_string(in, size);
	fuzz_build(in, size, 0);
	fuzz_build(in, size, 1);
	return 0;
}
