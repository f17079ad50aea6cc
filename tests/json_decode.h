/* json_decode.h: a strict JSON checker and string decoder for tests. */
#ifndef JSON_DECODE_H
#define JSON_DECODE_H

#include <stddef.h>

#define JD_DEPTH_MAX	64	/* nested objects and arrays */

/*
 * JD_CHATD: also hold the text to what json.c promises beyond RFC 8259:
 * no raw U+007F, U+2028 or U+2029 in a string; \u escapes only for
 * U+0000-U+001F without a short form, U+007F, U+2028 and U+2029, in lower
 * case hex; no "\/".
 */
#define JD_CHATD	0x1

/*
 * Checks that in[0..n) is exactly one JSON text (a value between optional
 * white space), strictly: UTF-8 only, no raw control character in a
 * string, no lone surrogate escape, no leading zero, nothing after the
 * value.  If the value is a string and out is not NULL, its decoded bytes
 * go to out (n bytes are always enough) and their count to *outlen.
 * Returns 0, or -1 if the text is not JSON.
 */
int	jd_parse(const char *in, size_t n, int flags, char *out,
	    size_t *outlen);

/*
 * Writes s[0..n) to out with each maximal invalid UTF-8 subpart replaced
 * by U+FFFD (out needs 3 * n bytes); returns the length written.  Written
 * apart from json.c, from code point ranges rather than byte tables.
 */
size_t	jd_mend(const char *s, size_t n, char *out);

/* 1 if s[0..n) is valid UTF-8, else 0. */
int	jd_utf8_valid(const char *s, size_t n);

#endif
