/* fuzz_http.c: libFuzzer target for the request parser and the form helpers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"

/*
 * The first byte of an input steers the splits: its low nibble is the size
 * of the pieces of one feeding, its high nibble where another feeding cuts
 * the request in two.  The rest is the request, and also the form string.
 */

static const char *const secret_keys[] = {
	"sid", "passwd", "old", "new", "message"
};

/* Requests are big; libFuzzer runs one input at a time. */
static struct http_request whole, piece;

/*
 * Feeds in[0..len) in pieces: `first` bytes, then `step` at a time, until
 * the parser answers.  While it wants more it must take every byte.
 */
static enum http_status
feed(struct http_request *r, const char *in, size_t len, size_t first,
    size_t step, size_t *used)
{
	enum http_status st;
	size_t off, n, u;

	http_request_init(r);
	*used = 0;
	for (off = 0, n = first;; off += n, n = step) {
		if (n > len - off)
			n = len - off;
		u = (size_t)-1;
		st = http_parse(r, in + off, n, &u);
		CHECK(u <= n);
		*used += u;
		if (st == HTTP_INCOMPLETE)
			CHECK(u == n);
		if (st != HTTP_INCOMPLETE || off + n == len)
			return st;
	}
}

static void
same_request(const struct http_request *a, const struct http_request *b)
{
	CHECK(a->method == b->method);
	CHECK(a->minor == b->minor);
	CHECK(strcmp(a->path, b->path) == 0);
	CHECK(strcmp(a->query, b->query) == 0);
	CHECK(a->content_length == b->content_length);
	CHECK(a->form == b->form);
	CHECK(a->body_len == b->body_len);
	CHECK(memcmp(a->body, b->body, a->body_len + 1) == 0);
	CHECK(a->head_only == b->head_only);
	CHECK(a->has_host == b->has_host && a->has_origin == b->has_origin);
	CHECK(strcmp(a->host, b->host) == 0);
	CHECK(strcmp(a->origin, b->origin) == 0);
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return 0;
	return 1;
}

/* What an accepted request must look like. */
static void
check_accepted(const struct http_request *r, size_t used)
{
	CHECK(r->method == HTTP_GET || r->method == HTTP_HEAD ||
	    r->method == HTTP_POST);
	CHECK(r->minor == 0 || r->minor == 1);
	CHECK(r->path[0] == '/' && strchr(r->path, '?') == NULL);
	CHECK(printable(r->path) && printable(r->query));
	CHECK(http_form_check(r->path) == 0);
	CHECK(http_form_check(r->query) == 0);
	CHECK(r->content_length >= -1 && r->content_length <= HTTP_BODY_MAX);
	CHECK(r->method != HTTP_POST || r->content_length >= 0);
	CHECK(r->body_len == (r->content_length > 0 ?
	    (size_t)r->content_length : 0));
	CHECK(r->body[r->body_len] == '\0');
	CHECK(used >= r->body_len && used - r->body_len <= HTTP_HEAD_MAX);
	CHECK(r->form == 0 || r->form == 1);
	CHECK(r->head_only == (r->method == HTTP_HEAD));
	CHECK(strlen(r->host) <= HTTP_HOST_MAX && strlen(r->origin) <=
	    HTTP_ORIGIN_MAX);
	CHECK(r->host[0] == '\0' || printable(r->host));
	CHECK(r->has_host || r->host[0] == '\0');
	CHECK(r->has_origin || r->origin[0] == '\0');
	/* no Origin is fine; an origin naming no host never is */
	CHECK(!r->has_origin ? http_origin_ok(r, NULL, 0) :
	    r->host[0] != '\0' || !http_origin_ok(r, NULL, 0));
}

/*
 * A request refused for its method or version was otherwise well formed:
 * past any blank lines it starts with a method token, a space and a '/'.
 */
static int
starts_well(const char *in, size_t len)
{
	size_t i, m;

	for (i = 0; i < len && (in[i] == '\r' || in[i] == '\n'); i++)
		;
	for (m = i; m < len && in[m] > ' ' && in[m] < 0x7f &&
	    strchr("\"(),/:;<=>?@[\\]{}", in[m]) == NULL; m++)
		;
	return m > i && len - m >= 2 && in[m] == ' ' && in[m + 1] == '/';
}

static void
check_status(enum http_status st, const char *in, size_t len, size_t used)
{
	switch (st) {
	case HTTP_INCOMPLETE:
		CHECK(used == len);
		break;
	case HTTP_HEADERS_TOO_LARGE:
		/* answered on the first byte past the limit */
		CHECK(used == HTTP_HEAD_MAX + 1);
		break;
	case HTTP_BAD_REQUEST:
	case HTTP_LENGTH_REQUIRED:
	case HTTP_PAYLOAD_TOO_LARGE:
	case HTTP_NOT_IMPLEMENTED:
	case HTTP_VERSION_NOT_SUPPORTED:
		/* every other refusal comes at the end of a line */
		CHECK(used > 0 && used <= HTTP_HEAD_MAX);
		CHECK(in[used - 1] == '\n');
		if (st == HTTP_NOT_IMPLEMENTED ||
		    st == HTTP_VERSION_NOT_SUPPORTED)
			CHECK(starts_well(in, used));
		break;
	case HTTP_OK:
		CHECK(used <= len);
		break;
	default:
		CHECK(!"unexpected status");
	}
}

static void
fuzz_parse(const char *in, size_t len, unsigned ctl)
{
	enum http_status st, st2;
	size_t used, used2, cut;

	st = feed(&whole, in, len, len, len, &used);
	check_status(st, in, len, used);
	if (st == HTTP_OK)
		check_accepted(&whole, used);

	/* an answer is final: nothing more is taken */
	if (st != HTTP_INCOMPLETE) {
		CHECK(http_parse(&whole, in, len, &used2) == st);
		CHECK(used2 == 0);
	}

	cut = len * (ctl >> 4) / 15;
	st2 = feed(&piece, in, len, cut, len, &used2);
	CHECK(st2 == st && used2 == used);
	if (st == HTTP_OK)
		same_request(&whole, &piece);

	st2 = feed(&piece, in, len, (ctl & 0x0f) + 1, (ctl & 0x0f) + 1,
	    &used2);
	CHECK(st2 == st && used2 == used);
	if (st == HTTP_OK)
		same_request(&whole, &piece);

	st2 = feed(&piece, in, len, 1, 1, &used2);
	CHECK(st2 == st && used2 == used);
	if (st == HTTP_OK)
		same_request(&whole, &piece);

	/* the answer depends on no byte after the ones it used */
	if (st != HTTP_INCOMPLETE) {
		CHECK(feed(&piece, in, used, used, used, &used2) == st);
		CHECK(used2 == used);
		CHECK(feed(&piece, in, used - 1, used, used, &used2) ==
		    HTTP_INCOMPLETE);
	}
}

static int
is_secret(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++)
		if (strcmp(key, secret_keys[i]) == 0)
			return 1;
	return 0;
}

/*
 * Looks `key` up in `form` and checks the answer against the form's
 * redacted copy `red`.  `out` and `out2` hold at least len + 1 bytes.
 */
static void
fuzz_key(const char *form, size_t len, const char *red, const char *key,
    char *out, char *out2)
{
	int n, n2;

	n = http_form_value(form, key, out, len + 1);
	CHECK(n >= -2 && n <= (int)len);
	if (http_form_check(form) == 0)
		CHECK(n != -2);
	if (n >= 0) {
		CHECK(out[n] == '\0');
		/* exactly n + 1 bytes are enough, n are not */
		CHECK(http_form_value(form, key, out2, (size_t)n + 1) == n);
		CHECK(memcmp(out, out2, (size_t)n + 1) == 0);
		CHECK(http_form_value(form, key, out2, (size_t)n) == -2);
	} else
		CHECK(out[0] == '\0');

	n2 = http_form_value(red, key, out2, strlen(red) + 1);
	if (is_secret(key)) {
		/* only "-" is left of a secret, if it had a value */
		CHECK((n == -1) == (n2 == -1));
		CHECK(n2 >= -1 && n2 <= 1);
		CHECK(n2 != 1 || strcmp(out2, "-") == 0);
		CHECK(n2 != 0 || n == 0);
	} else {
		/* everything else reads the same */
		CHECK(n2 == n);
		CHECK(n < 0 || memcmp(out, out2, (size_t)n + 1) == 0);
	}
}

static void
fuzz_form(const char *form, size_t len)
{
	static const char *const keys[] = {
		"a", "b", "", "name", "to", "sid", "passwd", "old", "new",
		"message"
	};
	struct buf red;
	const char *r;
	char *out, *out2, key[9];
	size_t i, rlen;

	buf_init(&red);
	CHECK(http_redact(&red, form) == 0);
	CHECK(red.len > 0 || form[0] == '\0');
	for (i = 0; i < red.len; i++)
		CHECK(red.data[i] > ' ' && red.data[i] < 0x7f);
	rlen = red.len > len ? red.len : len;
	out = malloc(rlen + 1);
	out2 = malloc(rlen + 1);
	CHECK(out != NULL && out2 != NULL);
	r = red.len > 0 ? red.data : "";
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		fuzz_key(form, len, r, keys[i], out, out2);
	/* and the first key of the input itself, taken raw */
	for (i = 0; i < 8 && form[i] != '\0' && form[i] != '=' &&
	    form[i] != '&'; i++)
		key[i] = form[i];
	key[i] = '\0';
	fuzz_key(form, len, r, key, out, out2);
	free(out);
	free(out2);
	buf_free(&red);
}

/* Undoes http_html_escape(); returns the length, or -1 on a stray '&'. */
static long
unescape(const char *s, size_t n, char *out)
{
	static const char *const ent[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"
	};
	static const char ch[] = "&<>\"'";
	size_t i, j, k, o;

	for (i = o = 0; i < n; o++) {
		if (s[i] != '&') {
			out[o] = s[i++];
			continue;
		}
		for (k = 0; k < 5; k++) {
			j = strlen(ent[k]);
			if (n - i >= j && memcmp(s + i, ent[k], j) == 0)
				break;
		}
		if (k == 5)
			return -1;
		out[o] = ch[k];
		i += j;
	}
	return (long)o;
}

static void
fuzz_escape(const char *in, size_t len)
{
	struct buf b;
	char *back;
	size_t i;

	buf_init(&b);
	CHECK(http_html_escape(&b, in, len) == 0);
	for (i = 0; i < b.len; i++)
		CHECK(strchr("<>\"'", b.data[i]) == NULL || b.data[i] == '\0');
	back = malloc(len + 1);
	CHECK(back != NULL);
	CHECK(unescape(b.len ? b.data : "", b.len, back) == (long)len);
	CHECK(len == 0 || memcmp(back, in, len) == 0);
	free(back);
	buf_free(&b);
}

/* The content type comes from code, but must never split the head. */
static void
fuzz_head(const char *type, unsigned ctl)
{
	static const int status[] = {
		200, 303, 400, 403, 404, 409, 411, 413, 429, 431, 500, 501,
		503, 505, 299, 0, 99, 1000
	};
	struct buf b;
	const char *end;
	int bad, st;

	bad = 0;
	for (end = type; *end != '\0'; end++)
		if ((unsigned char)*end < 0x20 || *end == 0x7f)
			bad = 1;
	st = status[ctl % (sizeof status / sizeof status[0])];
	if (st < 100 || st > 999)
		bad = 1;
	buf_init(&b);
	if (http_response_head(&b, st, type, (long)ctl - 128,
	    (int)ctl & HTTP_NO_STORE) == -1) {
		CHECK(bad);
		CHECK(b.len == 0);
	} else {
		CHECK(!bad);
		CHECK(strncmp(b.data, "HTTP/1.0 ", 9) == 0);
		CHECK(atoi(b.data + 9) == st);
		end = strstr(b.data, "\r\n\r\n");
		CHECK(end != NULL && end == b.data + b.len - 4);
		CHECK(strstr(b.data, "\r\nConnection: close\r\n") != NULL);
		CHECK((strstr(b.data, "\r\nContent-Length: ") != NULL) ==
		    (ctl >= 128));
		CHECK((strstr(b.data, "\r\nCache-Control: no-store\r\n") !=
		    NULL) == (ctl & HTTP_NO_STORE));
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	char *str;
	size_t len;
	unsigned ctl;

	if (size == 0)
		return 0;
	ctl = data[0];
	in = (const char *)data + 1;
	len = size - 1;
	fuzz_parse(in, len, ctl);
	fuzz_escape(in, len);

	/* the string functions see the input up to its first NUL */
	if ((str = malloc(len + 1)) == NULL)
		return 0;
	memcpy(str, in, len);
	str[len] = '\0';
	fuzz_form(str, strlen(str));
	if (strlen(str) < 256)
		fuzz_head(str, ctl);
	free(str);
	return 0;
}
