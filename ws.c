/* ws.c: WebSocket (RFC 6455) handshake, frame parser and frame writers, over caller-owned buffers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sha1.h"
#include "ws.h"

/* RFC 6455 1.3: appended to the client's key before hashing. */
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum {
	ST_HEAD = 0,		/* reading a frame head */
	ST_PAYLOAD		/* reading a frame's payload */
};

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
ws_base64(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	uint32_t v;

	for (; n >= 3; p += 3, n -= 3) {
		v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		*out++ = b64_alphabet[v >> 18];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = b64_alphabet[(v >> 6) & 63];
		*out++ = b64_alphabet[v & 63];
	}
	if (n > 0) {
		v = (uint32_t)p[0] << 16 | (n == 2 ? (uint32_t)p[1] << 8 : 0);
		*out++ = b64_alphabet[v >> 18];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = n == 2 ? b64_alphabet[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

void
ws_accept_key(const char *client_key, char out[WS_ACCEPT_LEN + 1])
{
	struct sha1_ctx c;
	unsigned char digest[SHA1_DIGEST_LEN];

	sha1_init(&c);
	sha1_update(&c, client_key, strlen(client_key));
	sha1_update(&c, WS_GUID, sizeof WS_GUID - 1);
	sha1_final(&c, digest);
	ws_base64(digest, sizeof digest, out);
}

size_t
ws_handshake_response(char *out, const char *client_key)
{
	char accept[WS_ACCEPT_LEN + 1];
	int n;

	ws_accept_key(client_key, accept);
	n = snprintf(out, WS_RESPONSE_MAX,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n"
	    "\r\n", accept);
	return n > 0 && n < WS_RESPONSE_MAX ? (size_t)n : 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* 1 if the comma-separated list holds the token, in any case. */
static int
has_token(const char *list, const char *token)
{
	const char *s, *e;
	size_t n, i;

	n = strlen(token);
	for (s = list; *s != '\0'; s = *e == ',' ? e + 1 : e) {
		while (*s == ' ' || *s == '\t')
			s++;
		for (e = s; *e != '\0' && *e != ','; e++)
			;
		for (i = (size_t)(e - s); i > 0 &&
		    (s[i - 1] == ' ' || s[i - 1] == '\t'); i--)
			;
		if (i == n) {
			for (i = 0; i < n && lower(s[i]) == lower(token[i]); i++)
				;
			if (i == n)
				return 1;
		}
	}
	return 0;
}

/*
 * 16 bytes in base64 are 22 characters of the alphabet and "==".  The last
 * character's four unused bits are not checked, as most decoders do not.
 */
static int
key_ok(const char *key)
{
	size_t i;

	if (strlen(key) != WS_KEY_LEN)
		return 0;
	for (i = 0; i < WS_KEY_LEN - 2; i++)
		if (key[i] == '=' || strchr(b64_alphabet, key[i]) == NULL)
			return 0;
	return key[WS_KEY_LEN - 2] == '=' && key[WS_KEY_LEN - 1] == '=';
}

/* The version before the key, so that an old client learns about 13. */
enum ws_handshake
ws_handshake_check(const char *upgrade, const char *connection,
    const char *key, const char *version)
{
	if (upgrade == NULL || !has_token(upgrade, "websocket"))
		return WS_HS_NO_UPGRADE;
	if (connection == NULL || !has_token(connection, "upgrade"))
		return WS_HS_NO_CONNECTION;
	if (version == NULL || strcmp(version, WS_VERSION) != 0)
		return WS_HS_BAD_VERSION;
	if (key == NULL || !key_ok(key))
		return WS_HS_BAD_KEY;
	return WS_HS_OK;
}

const char *
ws_handshake_reason(enum ws_handshake h)
{
	switch (h) {
	case WS_HS_OK:
		return "ok";
	case WS_HS_NO_UPGRADE:
		return "a WebSocket request needs Upgrade: websocket";
	case WS_HS_NO_CONNECTION:
		return "a WebSocket request needs Connection: Upgrade";
	case WS_HS_BAD_KEY:
		return "Sec-WebSocket-Key must be 16 bytes in base64";
	case WS_HS_BAD_VERSION:
		return "Sec-WebSocket-Version must be " WS_VERSION;
	}
	return "bad WebSocket request";
}

void
ws_mask(char *p, size_t n, const unsigned char key[4], size_t off)
{
	unsigned char *u = (unsigned char *)p;
	size_t i;

	for (i = 0; i < n; i++)
		u[i] ^= key[(off + i) & 3];
}

size_t
ws_frame_head(char *out, enum ws_opcode op, int fin, size_t n,
    const unsigned char *key)
{
	unsigned char *o = (unsigned char *)out;
	unsigned char m;
	uint64_t v;
	size_t h;
	int i;

	o[0] = (unsigned char)((fin ? 0x80 : 0) | (op & 0x0f));
	m = key != NULL ? 0x80 : 0;
	if (n < 126) {
		o[1] = (unsigned char)(m | n);
		h = 2;
	} else if (n <= 0xffff) {
		o[1] = m | 126;
		o[2] = (unsigned char)(n >> 8);
		o[3] = (unsigned char)n;
		h = 4;
	} else {
		o[1] = m | 127;
		v = n;
		for (i = 0; i < 8; i++)
			o[2 + i] = (unsigned char)(v >> (56 - 8 * i));
		h = 10;
	}
	if (key != NULL) {
		memcpy(o + h, key, 4);
		h += 4;
	}
	return h;
}

size_t
ws_text_head(char *out, size_t n)
{
	return ws_frame_head(out, WS_OP_TEXT, 1, n, NULL);
}

static size_t
control_frame(char *out, enum ws_opcode op, const char *payload, size_t n)
{
	size_t h;

	if (n > WS_CONTROL_MAX)
		return 0;
	h = ws_frame_head(out, op, 1, n, NULL);
	if (n > 0)
		memcpy(out + h, payload, n);
	return h + n;
}

size_t
ws_ping_frame(char *out, const char *payload, size_t n)
{
	return control_frame(out, WS_OP_PING, payload, n);
}

size_t
ws_pong_frame(char *out, const char *payload, size_t n)
{
	return control_frame(out, WS_OP_PONG, payload, n);
}

/*
 * The codes a close frame may carry (RFC 6455 7.4 and the IANA registry):
 * 1004-1006 and 1015 are reserved or local only, 1016-2999 unassigned.
 */
static int
close_code_ok(unsigned c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
	    (c >= 3000 && c <= 4999);
}

size_t
ws_close_frame(char *out, unsigned code, const char *reason)
{
	char payload[WS_CONTROL_MAX];
	size_t n;

	if (!close_code_ok(code))
		return control_frame(out, WS_OP_CLOSE, NULL, 0);
	payload[0] = (char)(code >> 8);
	payload[1] = (char)(code & 0xff);
	n = reason != NULL ? strlen(reason) : 0;
	if (n > WS_CLOSE_REASON_MAX) {
		/* no character cut in two: back up to a lead byte */
		n = WS_CLOSE_REASON_MAX;
		while (n > 0 && ((unsigned char)reason[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(payload + 2, reason, n);
	return control_frame(out, WS_OP_CLOSE, payload, n + 2);
}

/*
 * Checks UTF-8 a slice at a time: *need continuation bytes are still due,
 * the next one in [*lo, *hi].  Narrowing that range after the lead byte is
 * what refuses overlong forms (E0, F0), surrogates (ED) and code points
 * above U+10FFFF (F4).  Returns the index of the first byte that cannot be
 * part of valid UTF-8, or n.
 */
static size_t
utf8_scan(unsigned *need, unsigned char *lo, unsigned char *hi,
    const unsigned char *s, size_t n)
{
	size_t i;
	unsigned char b;

	for (i = 0; i < n; i++) {
		b = s[i];
		if (*need > 0) {
			if (b < *lo || b > *hi)
				return i;
			(*need)--;
			*lo = 0x80;
			*hi = 0xbf;
			continue;
		}
		if (b < 0x80)
			continue;
		*lo = 0x80;
		*hi = 0xbf;
		if (b < 0xc2)
			return i;
		else if (b < 0xe0)
			*need = 1;
		else if (b < 0xf0) {
			*need = 2;
			if (b == 0xe0)
				*lo = 0xa0;
			else if (b == 0xed)
				*hi = 0x9f;
		} else if (b < 0xf5) {
			*need = 3;
			if (b == 0xf0)
				*lo = 0x90;
			else if (b == 0xf4)
				*hi = 0x8f;
		} else
			return i;
	}
	return n;
}

void
ws_parser_init(struct ws_parser *p)
{
	p->state = ST_HEAD;
	p->final = WS_EV_MORE;
	p->head_len = 0;
	p->head_need = 2;
	p->op = 0;
	p->fin = 0;
	p->frame_len = p->frame_got = 0;
	p->msg_op = 0;
	p->msg_len = 0;
	p->ctl_len = 0;
	p->utf8_need = 0;
	p->utf8_lo = 0x80;
	p->utf8_hi = 0xbf;
	p->msg[0] = p->ctl[0] = '\0';
	p->data = "";
	p->len = 0;
	p->code = 0;
	p->reason = NULL;
}

int
ws_parser_idle(const struct ws_parser *p)
{
	return p->final == WS_EV_MORE && p->state == ST_HEAD &&
	    p->head_len == 0 && p->msg_op == 0;
}

static int
is_control(int op)
{
	return (op & 0x8) != 0;
}

static enum ws_event
fail(struct ws_parser *p, unsigned code, const char *reason)
{
	p->code = code;
	p->reason = reason;
	p->data = "";
	p->len = 0;
	return p->final = WS_EV_FAIL;
}

/* The first head byte: FIN, RSV1-3, opcode; the frame must fit the sequence. */
static enum ws_event
head_first(struct ws_parser *p, unsigned char b)
{
	int op;

	if (b & 0x70)
		return fail(p, WS_CLOSE_PROTOCOL, "reserved bit set");
	op = b & 0x0f;
	switch (op) {
	case WS_OP_CONTINUATION:
		if (p->msg_op == 0)
			return fail(p, WS_CLOSE_PROTOCOL,
			    "continuation frame with no message open");
		break;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (p->msg_op != 0)
			return fail(p, WS_CLOSE_PROTOCOL,
			    "new message inside a fragmented one");
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!(b & 0x80))
			return fail(p, WS_CLOSE_PROTOCOL,
			    "fragmented control frame");
		break;
	default:
		return fail(p, WS_CLOSE_PROTOCOL, "reserved opcode");
	}
	p->op = op;
	p->fin = (b & 0x80) != 0;
	return WS_EV_MORE;
}

/*
 * The declared payload length, judged before any of the payload is kept:
 * a data frame must fit what is left of WS_MESSAGE_MAX for its message.
 */
static enum ws_event
set_length(struct ws_parser *p, uint64_t len)
{
	if (is_control(p->op)) {
		/* over 125 was refused at the length code */
		if (p->op == WS_OP_CLOSE && len == 1)
			return fail(p, WS_CLOSE_PROTOCOL,
			    "close frame of 1 byte");
	} else if (len > WS_MESSAGE_MAX - p->msg_len)
		return fail(p, WS_CLOSE_TOO_BIG, "message over 8 KiB");
	p->frame_len = (size_t)len;
	return WS_EV_MORE;
}

/* Takes one head byte; decides what it can as soon as it can. */
static enum ws_event
head_byte(struct ws_parser *p, unsigned char b)
{
	uint64_t len;
	size_t i;
	int n7;

	p->head[p->head_len++] = b;
	if (p->head_len == 1)
		return head_first(p, b);
	if (p->head_len == 2) {
		if (!(b & 0x80))
			return fail(p, WS_CLOSE_PROTOCOL, "unmasked frame");
		n7 = b & 0x7f;
		if (is_control(p->op) && n7 > WS_CONTROL_MAX)
			return fail(p, WS_CLOSE_PROTOCOL,
			    "control frame over 125 bytes");
		if (n7 == 126)
			p->head_need = 2 + 2 + 4;
		else if (n7 == 127)
			p->head_need = 2 + 8 + 4;
		else {
			p->head_need = 2 + 4;
			return set_length(p, (uint64_t)n7);
		}
		return WS_EV_MORE;
	}
	if (p->head_len == 3 && p->head_need == WS_HEAD_MAX && (b & 0x80))
		return fail(p, WS_CLOSE_PROTOCOL,
		    "64-bit length with the top bit set");
	if (p->head_need > 2 + 4 && p->head_len == p->head_need - 4) {
		len = 0;
		for (i = 2; i < p->head_len; i++)
			len = len << 8 | p->head[i];
		return set_length(p, len);
	}
	return WS_EV_MORE;
}

/* The head is in: get ready for the payload. */
static void
frame_begin(struct ws_parser *p)
{
	p->state = ST_PAYLOAD;
	p->frame_got = 0;
	if (is_control(p->op))
		p->ctl_len = 0;
	else if (p->op != WS_OP_CONTINUATION) {
		p->msg_op = p->op;
		p->msg_len = 0;
		p->utf8_need = 0;
	}
}

static enum ws_event
close_done(struct ws_parser *p)
{
	const unsigned char *u = (const unsigned char *)p->ctl;
	unsigned need;
	unsigned char lo, hi;

	if (p->ctl_len == 0) {
		p->code = WS_CLOSE_NO_STATUS;
		p->data = p->ctl;
		p->len = 0;
		return p->final = WS_EV_CLOSE;
	}
	p->code = (unsigned)u[0] << 8 | u[1];
	if (!close_code_ok(p->code))
		return fail(p, WS_CLOSE_PROTOCOL, "invalid close code");
	need = 0;
	lo = 0x80;
	hi = 0xbf;
	if (utf8_scan(&need, &lo, &hi, u + 2, p->ctl_len - 2) !=
	    p->ctl_len - 2 || need != 0)
		return fail(p, WS_CLOSE_INVALID_DATA,
		    "close reason is not UTF-8");
	p->data = p->ctl + 2;
	p->len = p->ctl_len - 2;
	return p->final = WS_EV_CLOSE;
}

/* A frame's payload is in; returns what it completes, if anything. */
static enum ws_event
frame_done(struct ws_parser *p)
{
	enum ws_event ev;

	p->state = ST_HEAD;
	p->head_len = 0;
	p->head_need = 2;
	if (is_control(p->op)) {
		p->ctl[p->ctl_len] = '\0';
		if (p->op == WS_OP_CLOSE)
			return close_done(p);
		p->data = p->ctl;
		p->len = p->ctl_len;
		return p->op == WS_OP_PING ? WS_EV_PING : WS_EV_PONG;
	}
	if (!p->fin)
		return WS_EV_MORE;
	if (p->msg_op == WS_OP_TEXT) {
		if (p->utf8_need != 0)
			return fail(p, WS_CLOSE_INVALID_DATA,
			    "text ends inside a UTF-8 character");
		ev = WS_EV_TEXT;
	} else
		ev = WS_EV_BINARY;
	/* the bytes stay in msg until the next call */
	p->msg[p->msg_len] = '\0';
	p->data = p->msg;
	p->len = p->msg_len;
	p->msg_op = 0;
	p->msg_len = 0;
	return ev;
}

/*
 * Payload bytes are unmasked as they are copied in; a text message is
 * checked as it arrives, so the stream fails at the first byte that
 * cannot be UTF-8, whichever frame it is in.
 */
enum ws_event
ws_parse(struct ws_parser *p, const char *in, size_t len, size_t *used)
{
	const unsigned char *s = (const unsigned char *)in;
	enum ws_event ev;
	size_t off, n, bad;
	char *dst;

	*used = 0;
	if (p->final != WS_EV_MORE)
		return p->final;
	p->data = "";
	p->len = 0;
	p->code = 0;
	p->reason = NULL;
	ev = WS_EV_MORE;
	off = 0;
	while (ev == WS_EV_MORE) {
		if (p->state == ST_HEAD) {
			if (off == len)
				break;
			ev = head_byte(p, s[off++]);
			if (ev != WS_EV_MORE || p->head_len < p->head_need)
				continue;
			frame_begin(p);
		}
		n = p->frame_len - p->frame_got;
		if (n > len - off)
			n = len - off;
		if (is_control(p->op)) {
			dst = p->ctl + p->ctl_len;
			p->ctl_len += n;
		} else {
			dst = p->msg + p->msg_len;
			p->msg_len += n;
		}
		if (n > 0) {
			memcpy(dst, s + off, n);
			ws_mask(dst, n, p->head + p->head_need - 4,
			    p->frame_got);
		}
		if (p->msg_op == WS_OP_TEXT && !is_control(p->op)) {
			bad = utf8_scan(&p->utf8_need, &p->utf8_lo,
			    &p->utf8_hi, (unsigned char *)dst, n);
			if (bad < n) {
				off += bad + 1;
				ev = fail(p, WS_CLOSE_INVALID_DATA,
				    "text is not UTF-8");
				break;
			}
		}
		off += n;
		p->frame_got += n;
		if (p->frame_got < p->frame_len)
			break;
		ev = frame_done(p);
	}
	*used = off;
	return ev;
}
