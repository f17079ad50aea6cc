/* json.h: a JSON writer (RFC 8259) over struct buf. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/*
 * Every function appends to the buffer and returns 0, or -1 once the
 * buffer has failed (buf.h: the failure sticks, so a caller may build a
 * whole object and check only the last return or buf->failed).
 *
 * Strings are escaped per RFC 8259, and more strictly where JavaScript and
 * browsers need it: '"', '\\', U+0000-U+001F (as \b \t \n \f \r or
 * \u00xx), U+007F as \u007f, U+2028 and U+2029 as \u2028 and \u2029.  All
 * else is copied as it is ('/' included).  Input that is not UTF-8 is
 * mended: each maximal invalid subpart (an overlong form, an encoded
 * surrogate, a code point above U+10FFFF, a truncated sequence, a stray
 * byte) becomes U+FFFD, so the output is always valid UTF-8 and never holds
 * a surrogate escape.  Hex digits are lower case.
 *
 * Commas: a value never writes one.  json_key() and json_item() write ','
 * before themselves unless the buffer's last byte is '{' or '[' (the
 * object or array was just opened), so a caller may build with optional
 * members and never count them, and may start a value after any prefix
 * (an SSE "data: " line, say).  A value ends in '"', a digit, a letter, '}'
 * or ']', never in '{' or '[', which is what makes the rule sound.
 *
 *	json_obj_begin(b);
 *	json_kv_ull(b, "id", id);
 *	json_kv_str(b, "type", "msg");
 *	json_kv_time(b, "time", when);
 *	if (to != NULL)
 *		json_kv_str(b, "to", to);
 *	json_kv_bool(b, "mention", 0);
 *	json_obj_end(b);
 */

/* A quoted, escaped string; NULL writes null. */
int	json_str(struct buf *, const char *utf8);
/* The same for n bytes, NUL bytes included (as \u0000); NULL: null. */
int	json_strn(struct buf *, const char *, size_t n);
int	json_int(struct buf *, long long);
int	json_ull(struct buf *, unsigned long long);
int	json_bool(struct buf *, int);		/* nonzero: true */
int	json_null(struct buf *);
/*
 * A time as an ISO 8601 UTC string, "2026-12-01T12:04:05Z"; null if the
 * system cannot break it down (a year beyond int).
 */
int	json_time(struct buf *, time_t);

int	json_obj_begin(struct buf *);		/* { */
int	json_obj_end(struct buf *);		/* } */
int	json_arr_begin(struct buf *);		/* [ */
int	json_arr_end(struct buf *);		/* ] */
/* ',' if needed, then "key": (escaped like any string); a value follows. */
int	json_key(struct buf *, const char *key);
/* ',' if needed, before an array's element; a value follows. */
int	json_item(struct buf *);

/* json_key() and a value in one call. */
int	json_kv_str(struct buf *, const char *key, const char *utf8);
int	json_kv_strn(struct buf *, const char *key, const char *, size_t);
int	json_kv_int(struct buf *, const char *key, long long);
int	json_kv_ull(struct buf *, const char *key, unsigned long long);
int	json_kv_bool(struct buf *, const char *key, int);
int	json_kv_null(struct buf *, const char *key);
int	json_kv_time(struct buf *, const char *key, time_t);

/* {"error":"<reason>"}, the body of every 4xx and 5xx of the JSON API. */
int	json_error(struct buf *, const char *reason);

#endif
