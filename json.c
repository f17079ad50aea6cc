/* json.c: a JSON writer (RFC 8259) over struct buf. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json.h"

/* U+FFFD REPLACEMENT CHARACTER, for each bad sequence of the input. */
#define JSON_REPLACEMENT	"\xef\xbf\xbd"

/*
 * Measures the UTF-8 sequence at s (n > 0 bytes): returns its length (1-4)
 * and its code point in *cp, or minus the length of its maximal invalid
 * subpart (Unicode 3.9, "U+FFFD substitution of maximal subparts", what
 * browsers' decoders do): the lead byte and the continuation bytes that
 * could still have begun a valid sequence, at least 1.  The second byte's
 * range rules out overlong forms, surrogates and values above U+10FFFF.
 */
static int
json_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t c;
	int len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* not overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* not a surrogate */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;		/* not overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* not above U+10FFFF */
	} else
		return -1;
	for (i = 1; i < len; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		c = c << 6 | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return len;
}

/* The escape for cp, or NULL if it is written as it is. */
static const char *
json_escape(uint32_t cp, char *tmp)
{
	static const char hex[] = "0123456789abcdef";

	switch (cp) {
	case '"':	return "\\\"";
	case '\\':	return "\\\\";
	case '\b':	return "\\b";
	case '\t':	return "\\t";
	case '\n':	return "\\n";
	case '\f':	return "\\f";
	case '\r':	return "\\r";
	case 0x2028:	return "\\u2028";
	case 0x2029:	return "\\u2029";
	}
	if (cp >= 0x20 && cp != 0x7f)
		return NULL;
	memcpy(tmp, "\\u00", 4);
	tmp[4] = hex[cp >> 4];
	tmp[5] = hex[cp & 0xf];
	tmp[6] = '\0';
	return tmp;
}

int
json_strn(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *esc;
	char tmp[8];
	size_t i, run;
	uint32_t cp;
	int len;

	if (s == NULL)
		return json_null(b);
	buf_addc(b, '"');
	/* Bytes that need nothing are copied a run at a time. */
	for (i = run = 0; i < n; i += len) {
		if ((len = json_utf8(p + i, n - i, &cp)) < 0) {
			len = -len;
			esc = JSON_REPLACEMENT;
		} else
			esc = json_escape(cp, tmp);
		if (esc == NULL)
			continue;
		buf_add(b, s + run, i - run);
		buf_adds(b, esc);
		run = i + len;
	}
	buf_add(b, s + run, n - run);
	return buf_addc(b, '"');
}

int
json_str(struct buf *b, const char *s)
{
	return json_strn(b, s, s != NULL ? strlen(s) : 0);
}

int
json_int(struct buf *b, long long v)
{
	return buf_printf(b, "%lld", v);
}

int
json_ull(struct buf *b, unsigned long long v)
{
	return buf_printf(b, "%llu", v);
}

int
json_bool(struct buf *b, int v)
{
	return buf_adds(b, v ? "true" : "false");
}

int
json_null(struct buf *b)
{
	return buf_adds(b, "null");
}

int
json_time(struct buf *b, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return json_null(b);
	/* %Y of strftime() is not padded everywhere; years below 1000 are. */
	return buf_printf(b, "\"%04ld-%02d-%02dT%02d:%02d:%02dZ\"",
	    (long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

int
json_obj_begin(struct buf *b)
{
	return buf_addc(b, '{');
}

int
json_obj_end(struct buf *b)
{
	return buf_addc(b, '}');
}

int
json_arr_begin(struct buf *b)
{
	return buf_addc(b, '[');
}

int
json_arr_end(struct buf *b)
{
	return buf_addc(b, ']');
}

int
json_item(struct buf *b)
{
	char last;

	if (b->failed)
		return -1;
	last = b->len > 0 ? b->data[b->len - 1] : '\0';
	if (last == '{' || last == '[')
		return 0;
	return buf_addc(b, ',');
}

int
json_key(struct buf *b, const char *key)
{
	json_item(b);
	json_str(b, key);
	return buf_addc(b, ':');
}

int
json_kv_str(struct buf *b, const char *key, const char *v)
{
	json_key(b, key);
	return json_str(b, v);
}

int
json_kv_strn(struct buf *b, const char *key, const char *v, size_t n)
{
	json_key(b, key);
	return json_strn(b, v, n);
}

int
json_kv_int(struct buf *b, const char *key, long long v)
{
	json_key(b, key);
	return json_int(b, v);
}

int
json_kv_ull(struct buf *b, const char *key, unsigned long long v)
{
	json_key(b, key);
	return json_ull(b, v);
}

int
json_kv_bool(struct buf *b, const char *key, int v)
{
	json_key(b, key);
	return json_bool(b, v);
}

int
json_kv_null(struct buf *b, const char *key)
{
	json_key(b, key);
	return json_null(b);
}

int
json_kv_time(struct buf *b, const char *key, time_t t)
{
	json_key(b, key);
	return json_time(b, t);
}

int
json_error(struct buf *b, const char *reason)
{
	json_obj_begin(b);
	json_kv_str(b, "error", reason);
	return json_obj_end(b);
}
