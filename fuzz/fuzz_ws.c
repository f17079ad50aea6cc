/* fuzz_ws.c: libFuzzer target for the WebSocket frame parser, writers and handshake helpers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "sha1.h"
#include "text.h"
#include "ws.h"

/*
 * The first byte of an input steers: its low nibble is the size of the
 * pieces of one feeding and the size of the fragments the round trip
 * writes, its high nibble where another feeding cuts the stream in two.
 * The rest is the client's byte stream, and the handshake headers.
 */

/* What one feeding saw: digests of its events, and where it stopped. */
struct outcome {
	unsigned char	 with_off[SHA1_DIGEST_LEN];	/* events and offsets */
	unsigned char	 content[SHA1_DIGEST_LEN];	/* events, no offsets */
	enum ws_event	 final;		/* CLOSE, FAIL, or MORE if none */
	size_t		 final_off;	/* bytes taken up to it */
	unsigned	 code;
	size_t		 events;
};

/* Parsers are large; libFuzzer runs one input at a time. */
static struct ws_parser parser;

static int
utf8_ok(const char *s, size_t n)
{
	uint32_t cp;
	int k;

	while (n > 0) {
		if ((k = text_utf8_decode(s, n, &cp)) < 0)
			return 0;
		s += k;
		n -= (size_t)k;
	}
	return 1;
}

static int
close_code_ok(unsigned c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
	    (c >= 3000 && c <= 4999);
}

/* What every event must look like. */
static void
check_event(const struct ws_parser *p, enum ws_event ev)
{
	CHECK(p->data != NULL && p->data[p->len] == '\0');
	switch (ev) {
	case WS_EV_TEXT:
		CHECK(utf8_ok(p->data, p->len));
		/* FALLTHROUGH */
	case WS_EV_BINARY:
		CHECK(p->len <= WS_MESSAGE_MAX);
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		CHECK(p->len <= WS_CONTROL_MAX);
		break;
	case WS_EV_CLOSE:
		if (p->code == WS_CLOSE_NO_STATUS)
			CHECK(p->len == 0);
		else
			CHECK(close_code_ok(p->code));
		CHECK(p->len <= WS_CLOSE_REASON_MAX);
		CHECK(utf8_ok(p->data, p->len));
		break;
	case WS_EV_FAIL:
		CHECK(p->code == WS_CLOSE_PROTOCOL ||
		    p->code == WS_CLOSE_INVALID_DATA ||
		    p->code == WS_CLOSE_TOO_BIG);
		CHECK(p->reason != NULL && p->len == 0);
		break;
	default:
		CHECK(!"unexpected event");
	}
}

static void
hash_event(struct sha1_ctx *c, const struct ws_parser *p, enum ws_event ev)
{
	unsigned char h[9];
	size_t n = p->len;
	int i;

	h[0] = (unsigned char)ev;
	for (i = 0; i < 8; i++)
		h[1 + i] = (unsigned char)((uint64_t)n >> (8 * i));
	sha1_update(c, h, sizeof h);
	sha1_update(c, &p->code, sizeof p->code);
	sha1_update(c, p->data, n);
}

/*
 * Re-frames an event as a client would, masked, messages cut into `frag`
 * byte fragments (cuts fall inside UTF-8 characters too).
 */
static void
reframe(struct buf *out, const struct ws_parser *p, enum ws_event ev,
    size_t frag, const unsigned char key[4])
{
	char head[WS_HEAD_MAX], cp[2];
	size_t off, n, h;
	int op;

	if (ev == WS_EV_FAIL)
		return;
	if (ev == WS_EV_PING || ev == WS_EV_PONG || ev == WS_EV_CLOSE) {
		op = ev == WS_EV_PING ? WS_OP_PING : ev == WS_EV_PONG ?
		    WS_OP_PONG : WS_OP_CLOSE;
		n = p->len;
		if (ev == WS_EV_CLOSE && p->code != WS_CLOSE_NO_STATUS)
			n += 2;
		h = ws_frame_head(head, (enum ws_opcode)op, 1, n, key);
		CHECK(h == 6);
		buf_add(out, head, h);
		off = out->len;
		if (ev == WS_EV_CLOSE && p->code != WS_CLOSE_NO_STATUS) {
			cp[0] = (char)(p->code >> 8);
			cp[1] = (char)p->code;
			buf_add(out, cp, 2);
		}
		buf_add(out, p->data, p->len);
		if (!out->failed)
			ws_mask(out->data + off, n, key, 0);
		return;
	}
	op = ev == WS_EV_TEXT ? WS_OP_TEXT : WS_OP_BINARY;
	off = 0;
	do {
		n = p->len - off < frag ? p->len - off : frag;
		h = ws_frame_head(head, (enum ws_opcode)(off == 0 ? op :
		    WS_OP_CONTINUATION), off + n == p->len, n, key);
		buf_add(out, head, h);
		buf_add(out, p->data + off, n);
		if (!out->failed)
			ws_mask(out->data + out->len - n, n, key, 0);
		off += n;
	} while (off < p->len);
}

/*
 * Feeds in[0..len) to a fresh parser: `first` bytes, then `step` at a time.
 * With `rebuilt`, re-frames every event into it.
 */
static void
feed(const char *in, size_t len, size_t first, size_t step,
    struct outcome *o, struct buf *rebuilt, size_t frag,
    const unsigned char *key)
{
	struct sha1_ctx with_off, content;
	struct ws_parser *p = &parser;
	enum ws_event ev;
	size_t off, end, used;
	unsigned char b[8];
	int i;

	ws_parser_init(p);
	sha1_init(&with_off);
	sha1_init(&content);
	o->final = WS_EV_MORE;
	o->final_off = len;
	o->code = 0;
	o->events = 0;
	for (off = 0, end = first; off < len && o->final == WS_EV_MORE;
	    end = off + step) {
		if (end > len)
			end = len;
		while (off < end) {
			used = (size_t)-1;
			ev = ws_parse(p, in + off, end - off, &used);
			CHECK(used <= end - off);
			off += used;
			if (ev == WS_EV_MORE) {
				CHECK(off == end);
				break;
			}
			check_event(p, ev);
			o->events++;
			for (i = 0; i < 8; i++)
				b[i] = (unsigned char)((uint64_t)off >> (8 * i));
			sha1_update(&with_off, b, sizeof b);
			hash_event(&with_off, p, ev);
			if (ev != WS_EV_FAIL)
				hash_event(&content, p, ev);
			if (rebuilt != NULL)
				reframe(rebuilt, p, ev, frag, key);
			if (ev == WS_EV_CLOSE || ev == WS_EV_FAIL) {
				o->final = ev;
				o->final_off = off;
				o->code = p->code;
				/* final: nothing more is taken */
				CHECK(ws_parse(p, in + off, len - off, &used) ==
				    ev);
				CHECK(used == 0 && p->code == o->code);
				break;
			}
		}
	}
	sha1_final(&with_off, o->with_off);
	sha1_final(&content, o->content);
}

static void
same(const struct outcome *a, const struct outcome *b)
{
	CHECK(memcmp(a->with_off, b->with_off, SHA1_DIGEST_LEN) == 0);
	CHECK(a->final == b->final && a->final_off == b->final_off);
	CHECK(a->code == b->code && a->events == b->events);
}

static void
fuzz_parse(const char *in, size_t len, unsigned ctl)
{
	struct outcome whole, piece, back;
	struct buf rebuilt;
	unsigned char key[4];
	size_t step, frag;

	step = (ctl & 0x0f) + 1;
	frag = (ctl & 0x0f) * 613 + 1;
	key[0] = (unsigned char)ctl;
	key[1] = (unsigned char)(ctl * 7);
	key[2] = (unsigned char)(ctl ^ 0x5a);
	key[3] = (unsigned char)(len);

	buf_init(&rebuilt);
	feed(in, len, len, len, &whole, &rebuilt, frag, key);

	/* any split parses the same */
	feed(in, len, len * (ctl >> 4) / 15, len, &piece, NULL, 0, NULL);
	same(&whole, &piece);
	feed(in, len, step, step, &piece, NULL, 0, NULL);
	same(&whole, &piece);
	if (len < 4096) {
		feed(in, len, 1, 1, &piece, NULL, 0, NULL);
		same(&whole, &piece);
	}

	/* a final answer depends on no byte after the ones it took */
	if (whole.final != WS_EV_MORE) {
		feed(in, whole.final_off, whole.final_off, 1, &piece, NULL,
		    0, NULL);
		same(&whole, &piece);
		feed(in, whole.final_off - 1, step, step, &piece, NULL, 0,
		    NULL);
		CHECK(piece.final == WS_EV_MORE);
	}

	/* what it yielded, framed again another way, yields the same */
	CHECK(!rebuilt.failed);
	feed(rebuilt.len > 0 ? rebuilt.data : "", rebuilt.len, rebuilt.len,
	    rebuilt.len, &back, NULL, 0, NULL);
	CHECK(memcmp(back.content, whole.content, SHA1_DIGEST_LEN) == 0);
	CHECK(back.final == (whole.final == WS_EV_CLOSE ? WS_EV_CLOSE :
	    WS_EV_MORE));
	CHECK(back.final_off == rebuilt.len);
	buf_free(&rebuilt);
}

static int
b64_value(char c)
{
	const char *a =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;

	p = c != '\0' ? strchr(a, c) : NULL;
	return p != NULL ? (int)(p - a) : -1;
}

/* base64 decodes back; the accept key is 28 characters of it. */
static void
fuzz_base64(const char *in, size_t len)
{
	char *enc, dec[3], acc[WS_ACCEPT_LEN + 1], key[WS_KEY_LEN + 1];
	size_t i, o, n, e;
	int v[4], k;

	n = len < 3000 ? len : 3000;
	e = WS_BASE64_LEN(n);
	CHECK((enc = malloc(e + 1)) != NULL);
	ws_base64(in, n, enc);
	CHECK(strlen(enc) == e);
	for (i = o = 0; i < e; i += 4) {
		for (k = 0; k < 4; k++)
			v[k] = b64_value(enc[i + k]);
		CHECK(v[0] >= 0 && v[1] >= 0);
		CHECK(v[2] >= 0 || (enc[i + 2] == '=' && enc[i + 3] == '='));
		CHECK(v[3] >= 0 || enc[i + 3] == '=');
		for (k = 2; k < 4; k++)
			if (v[k] < 0)
				v[k] = 0;
		k = enc[i + 2] == '=' ? 1 : enc[i + 3] == '=' ? 2 : 3;
		dec[0] = (char)(v[0] << 2 | v[1] >> 4);
		dec[1] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		dec[2] = (char)((v[2] & 3) << 6 | v[3]);
		CHECK(i + 4 == e || k == 3);
		CHECK(o + (size_t)k <= n);
		CHECK(memcmp(in + o, dec, (size_t)k) == 0);
		o += (size_t)k;
	}
	CHECK(o == n);
	free(enc);

	/* a key made of the first 16 bytes passes the check */
	if (len >= 16) {
		ws_base64(in, 16, key);
		CHECK(ws_handshake_check("websocket", "Upgrade", key, "13") ==
		    WS_HS_OK);
		ws_accept_key(key, acc);
		CHECK(strlen(acc) == WS_ACCEPT_LEN);
		for (i = 0; i < WS_ACCEPT_LEN - 1; i++)
			CHECK(b64_value(acc[i]) >= 0);
		CHECK(acc[WS_ACCEPT_LEN - 1] == '=');
	}
}

/* The input as four NUL-separated header values; nothing may crash. */
static void
fuzz_handshake(const char *in, size_t len)
{
	const char *v[4];
	char *s, out[WS_RESPONSE_MAX];
	size_t i, k;
	enum ws_handshake h;

	if ((s = malloc(len + 1)) == NULL)
		return;
	memcpy(s, in, len);
	s[len] = '\0';
	v[0] = s;
	for (i = 0, k = 1; i < len && k < 4; i++)
		if (s[i] == '\0')
			v[k++] = s + i + 1;
	for (; k < 4; k++)
		v[k] = NULL;
	h = ws_handshake_check(v[0], v[1], v[2], v[3]);
	CHECK(ws_handshake_reason(h) != NULL);
	if (h == WS_HS_OK) {
		CHECK(strlen(v[2]) == WS_KEY_LEN && strcmp(v[3], "13") == 0);
		CHECK(ws_handshake_response(out, v[2]) == strlen(out));
		CHECK(strlen(out) < WS_RESPONSE_MAX);
	}
	free(s);
}

/* Server frames: the head's length, and a close reason cut whole. */
static void
fuzz_writers(const char *in, size_t len, unsigned ctl)
{
	char head[WS_SERVER_HEAD_MAX], frame[WS_CONTROL_FRAME_MAX];
	char *reason;
	size_t h, n, want;

	h = ws_text_head(head, len);
	CHECK(h == (len < 126 ? 2 : len <= 0xffff ? 4 : 10));
	CHECK((unsigned char)head[0] == 0x81);
	CHECK(h == 2 ? (size_t)head[1] == len : 1);

	n = ws_ping_frame(frame, in, len);
	CHECK(len > WS_CONTROL_MAX ? n == 0 : n == len + 2);
	n = ws_pong_frame(frame, in, len);
	CHECK(len > WS_CONTROL_MAX ? n == 0 :
	    n == len + 2 && memcmp(frame + 2, in, len) == 0);

	if ((reason = malloc(len + 1)) == NULL)
		return;
	memcpy(reason, in, len);
	reason[len] = '\0';
	n = ws_close_frame(frame, 1000 + ctl, reason);
	if (!close_code_ok(1000 + ctl))
		CHECK(n == 2);
	else {
		want = strlen(reason);
		CHECK(n >= 4 && n <= WS_CONTROL_FRAME_MAX);
		CHECK((unsigned char)frame[1] == n - 2);
		CHECK(memcmp(frame + 4, reason, n - 4) == 0);
		if (want <= WS_CLOSE_REASON_MAX)
			CHECK(n - 4 == want);
		else if (utf8_ok(reason, want))
			/* cut whole: what is left is still UTF-8 */
			CHECK(utf8_ok(frame + 4, n - 4) &&
			    n - 4 > WS_CLOSE_REASON_MAX - 4);
	}
	free(reason);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	size_t len;
	unsigned ctl;

	if (size == 0)
		return 0;
	ctl = data[0];
	in = (const char *)data + 1;
	len = size - 1;
	fuzz_parse(in, len, ctl);
	fuzz_base64(in, len);
	fuzz_handshake(in, len);
	fuzz_writers(in, len, ctl);
	return 0;
}
