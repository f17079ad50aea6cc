/* check_ws.c: SHA-1, base64, the WebSocket handshake, frame parser and writers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sha1.h"
#include "suites.h"
#include "text.h"
#include "ws.h"

#define LEN(a)	(sizeof(a) / sizeof((a)[0]))
/* A literal with its length, so that tables may hold NUL bytes. */
#define S(lit)	lit, sizeof(lit) - 1

/* Mask keys: all zero (readable tables) and a real one. */
static const unsigned char key0[4] = { 0, 0, 0, 0 };
static const unsigned char key1[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* Parsers are large (a whole message); the fixture allocates two. */
static struct ws_parser *pa, *pb;

static void
setup(void)
{
	pa = malloc(sizeof *pa);
	pb = malloc(sizeof *pb);
	ck_assert_ptr_nonnull(pa);
	ck_assert_ptr_nonnull(pb);
}

static void
teardown(void)
{
	free(pa);
	free(pb);
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* --- SHA-1 ---------------------------------------------------------- */

static const struct {
	const char	*in;
	size_t		 repeat;
	const char	*digest;
} sha1_cases[] = {
	/* FIPS 180-2 appendix A and RFC 3174 section 7.3 */
	{ "abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ "a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	{ "0123456701234567012345670123456701234567012345670123456701234567",
	  10, "dea356a2cddd90c7a7ecedc5ebb563934f460452" },
	/* the empty message, and FIPS 180-4's 896-bit example */
	{ "", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
	  "a49b2446a02c645bf419f995b67091253a04a259" },
	/* lengths at the padding edges: the length fits, or takes a block */
	{ "a", 55, "c1c8bbdc22796e28c0e15163d20899b65621d65a" },
	{ "a", 56, "c2db330f6083854c99d4b5bfb6e8f29f201be699" },
	{ "a", 57, "f08f24908d682555111be7ff6f004e78283d989a" },
	{ "a", 63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5" },
	{ "a", 64, "0098ba824b5c16427bd7a1122a5a442a25ec644d" },
	{ "a", 65, "11655326c708d70319be2610e8a57d9a5b959d3b" },
	{ "a", 119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56" },
	{ "a", 120, "f34c1488385346a55709ba056ddd08280dd4c6d6" },
};

START_TEST(test_sha1_vectors)
{
	struct sha1_ctx c;
	unsigned char d[SHA1_DIGEST_LEN];
	char h[2 * SHA1_DIGEST_LEN + 1];
	size_t i;

	sha1_init(&c);
	for (i = 0; i < sha1_cases[_i].repeat; i++)
		sha1_update(&c, sha1_cases[_i].in, strlen(sha1_cases[_i].in));
	sha1_final(&c, d);
	hex(d, sizeof d, h);
	ck_assert_str_eq(h, sha1_cases[_i].digest);
}
END_TEST

/* Every length around the block and padding edges, fed in two pieces. */
START_TEST(test_sha1_splits)
{
	struct sha1_ctx c;
	unsigned char msg[200], whole[SHA1_DIGEST_LEN], d[SHA1_DIGEST_LEN];
	size_t n, cut;

	for (n = 0; n < sizeof msg; n++)
		msg[n] = (unsigned char)(n * 7 + 3);
	for (n = 0; n <= sizeof msg; n++) {
		sha1(msg, n, whole);
		for (cut = 0; cut <= n; cut++) {
			sha1_init(&c);
			sha1_update(&c, msg, cut);
			sha1_update(&c, msg + cut, n - cut);
			sha1_final(&c, d);
			ck_assert(memcmp(d, whole, sizeof d) == 0);
		}
	}
}
END_TEST

/* --- base64 and the accept key --------------------------------------- */

static const struct {
	const char	*in;
	const char	*out;
} b64_cases[] = {
	/* RFC 4648 section 10 */
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
	/* the high bits and the last two letters of the alphabet */
	{ "\xff\xff\xff", "////" },
	{ "\xfb\xef\xbe", "++++" },
	{ "\xff", "/w==" },
};

START_TEST(test_base64)
{
	char out[64];
	size_t n;

	n = strlen(b64_cases[_i].in);
	memset(out, 'x', sizeof out);
	ws_base64(b64_cases[_i].in, n, out);
	ck_assert_str_eq(out, b64_cases[_i].out);
	ck_assert_uint_eq(strlen(out), WS_BASE64_LEN(n));
}
END_TEST

START_TEST(test_accept_key)
{
	char out[WS_ACCEPT_LEN + 1];

	/* RFC 6455 sections 1.3 and 4.2.2 */
	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* RFC 6455 section 1.2's client key */
	ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", out);
	ck_assert_str_eq(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
	ck_assert_uint_eq(strlen(out), WS_ACCEPT_LEN);
}
END_TEST

START_TEST(test_handshake_response)
{
	char out[WS_RESPONSE_MAX];
	size_t n;

	n = ws_handshake_response(out, "dGhlIHNhbXBsZSBub25jZQ==");
	ck_assert_str_eq(out,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "\r\n");
	ck_assert_uint_eq(n, strlen(out));
}
END_TEST

#define KEY	"dGhlIHNhbXBsZSBub25jZQ=="

static const struct {
	const char		*upgrade, *connection, *key, *version;
	enum ws_handshake	 want;
} hs_cases[] = {
	{ "websocket", "Upgrade", KEY, "13", WS_HS_OK },
	/* Firefox's Connection, any case, lists with spaces */
	{ "websocket", "keep-alive, Upgrade", KEY, "13", WS_HS_OK },
	{ "WebSocket", "UPGRADE", KEY, "13", WS_HS_OK },
	{ "h2c ,\twebsocket", "close,upgrade", KEY, "13", WS_HS_OK },
	{ "websocket", "Upgrade", "AAAAAAAAAAAAAAAAAAAA+/==", "13", WS_HS_OK },
	/* Upgrade */
	{ NULL, "Upgrade", KEY, "13", WS_HS_NO_UPGRADE },
	{ "", "Upgrade", KEY, "13", WS_HS_NO_UPGRADE },
	{ "h2c", "Upgrade", KEY, "13", WS_HS_NO_UPGRADE },
	{ "websockets", "Upgrade", KEY, "13", WS_HS_NO_UPGRADE },
	{ "web socket", "Upgrade", KEY, "13", WS_HS_NO_UPGRADE },
	/* Connection */
	{ "websocket", NULL, KEY, "13", WS_HS_NO_CONNECTION },
	{ "websocket", "keep-alive", KEY, "13", WS_HS_NO_CONNECTION },
	{ "websocket", "Upgrade2", KEY, "13", WS_HS_NO_CONNECTION },
	{ "websocket", "keep-alive Upgrade", KEY, "13", WS_HS_NO_CONNECTION },
	/* the key: 16 bytes, so 22 characters and "==" */
	{ "websocket", "Upgrade", NULL, "13", WS_HS_BAD_KEY },
	{ "websocket", "Upgrade", "", "13", WS_HS_BAD_KEY },
	{ "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZQ=", "13",
	  WS_HS_BAD_KEY },
	{ "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZQ===", "13",
	  WS_HS_BAD_KEY },
	{ "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZQAA", "13",
	  WS_HS_BAD_KEY },
	{ "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25j=Q==", "13",
	  WS_HS_BAD_KEY },
	{ "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25j ZQ=", "13",
	  WS_HS_BAD_KEY },
	{ "websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZ-==", "13",
	  WS_HS_BAD_KEY },
	/* the version, checked before the key */
	{ "websocket", "Upgrade", KEY, NULL, WS_HS_BAD_VERSION },
	{ "websocket", "Upgrade", KEY, "8", WS_HS_BAD_VERSION },
	{ "websocket", "Upgrade", KEY, "13, 8", WS_HS_BAD_VERSION },
	{ "websocket", "Upgrade", KEY, "130", WS_HS_BAD_VERSION },
	{ "websocket", "Upgrade", NULL, "8", WS_HS_BAD_VERSION },
};

START_TEST(test_handshake_check)
{
	enum ws_handshake h;

	h = ws_handshake_check(hs_cases[_i].upgrade, hs_cases[_i].connection,
	    hs_cases[_i].key, hs_cases[_i].version);
	ck_assert_int_eq(h, hs_cases[_i].want);
	ck_assert_ptr_nonnull(ws_handshake_reason(h));
}
END_TEST

START_TEST(test_handshake_reasons)
{
	ck_assert_str_eq(ws_handshake_reason(WS_HS_BAD_VERSION),
	    "Sec-WebSocket-Version must be 13");
	ck_assert_str_eq(ws_handshake_reason(WS_HS_BAD_KEY),
	    "Sec-WebSocket-Key must be 16 bytes in base64");
	ck_assert(strstr(ws_handshake_reason(WS_HS_NO_UPGRADE), "Upgrade") !=
	    NULL);
	ck_assert(strstr(ws_handshake_reason(WS_HS_NO_CONNECTION),
	    "Connection") != NULL);
}
END_TEST

/* --- building client streams ----------------------------------------- */

/* A stream of client frames: up to 64 KiB, enough for the limit tests. */
struct stream {
	char	d[65536];
	size_t	len;
};

static struct stream st, st2;

/* Appends a frame with the first head byte b0 (FIN, RSV, opcode), masked. */
static void
add_frame(struct stream *s, int b0, const char *payload, size_t n,
    const unsigned char *key)
{
	size_t h;

	ck_assert_uint_le(s->len + WS_HEAD_MAX + n, sizeof s->d);
	h = ws_frame_head(s->d + s->len, (enum ws_opcode)(b0 & 0x0f),
	    b0 & 0x80, n, key);
	s->d[s->len] = (char)b0;
	memcpy(s->d + s->len + h, payload, n);
	ws_mask(s->d + s->len + h, n, key, 0);
	s->len += h + n;
}

static void
add_raw(struct stream *s, const char *bytes, size_t n)
{
	ck_assert_uint_le(s->len + n, sizeof s->d);
	memcpy(s->d + s->len, bytes, n);
	s->len += n;
}

/*
 * Feeds the stream in pieces (`first` bytes, then `step` at a time) and
 * writes what it yields into log, one line per event with the offset at
 * which it came, bytes other than printable ASCII as \xNN.  Stops at a
 * final event, or writes "more" if the stream ended without one.
 */
static void
run(struct ws_parser *p, const char *in, size_t len, size_t first,
    size_t step, struct buf *log)
{
	static const char *const names[] = {
		"more", "text", "binary", "ping", "pong", "close", "fail"
	};
	enum ws_event ev;
	size_t off, end, used, i;

	ws_parser_init(p);
	buf_reset(log);
	for (off = 0, end = first; off < len; end = off + step) {
		if (end > len)
			end = len;
		while (off < end) {
			ev = ws_parse(p, in + off, end - off, &used);
			ck_assert_uint_le(used, end - off);
			off += used;
			if (ev == WS_EV_MORE) {
				ck_assert_uint_eq(off, end);
				break;
			}
			ck_assert_uint_le(p->len, WS_MESSAGE_MAX);
			ck_assert_int_eq(p->data[p->len], '\0');
			buf_printf(log, "%s@%zu", names[ev], off);
			if (ev == WS_EV_CLOSE || ev == WS_EV_FAIL)
				buf_printf(log, " %u", p->code);
			buf_addc(log, ' ');
			for (i = 0; i < p->len; i++) {
				if (p->data[i] >= ' ' && p->data[i] < 0x7f &&
				    p->data[i] != '\\')
					buf_addc(log, p->data[i]);
				else
					buf_printf(log, "\\x%02x",
					    (unsigned char)p->data[i]);
			}
			buf_addc(log, '\n');
			if (ev == WS_EV_CLOSE || ev == WS_EV_FAIL) {
				/* final: asked again, it answers the same */
				ck_assert_int_eq(ws_parse(p, in + off,
				    len - off, &used), ev);
				ck_assert_uint_eq(used, 0);
				return;
			}
		}
	}
	buf_adds(log, "more\n");
}

/* The stream parses the same at every split into two and byte by byte. */
static void
assert_splits(const struct stream *s, const char *want)
{
	struct buf whole, piece;
	size_t cut;

	buf_init(&whole);
	buf_init(&piece);
	run(pa, s->d, s->len, s->len, s->len, &whole);
	ck_assert(!whole.failed);
	if (want != NULL)
		ck_assert_str_eq(buf_str(&whole), want);
	for (cut = 0; cut <= s->len; cut++) {
		run(pb, s->d, s->len, cut, s->len, &piece);
		ck_assert_str_eq(buf_str(&piece), buf_str(&whole));
	}
	run(pb, s->d, s->len, 1, 1, &piece);
	ck_assert_str_eq(buf_str(&piece), buf_str(&whole));
	run(pb, s->d, s->len, 3, 7, &piece);
	ck_assert_str_eq(buf_str(&piece), buf_str(&whole));
	buf_free(&whole);
	buf_free(&piece);
}

/* --- the parser: good streams ---------------------------------------- */

START_TEST(test_parse_simple)
{
	st.len = 0;
	add_frame(&st, 0x81, S("hello"), key1);
	add_frame(&st, 0x82, S("\x00\xff\x80"), key1);
	add_frame(&st, 0x89, S("p1"), key1);
	add_frame(&st, 0x8a, S(""), key1);
	add_frame(&st, 0x81, S(""), key1);
	add_frame(&st, 0x88, S("\x03\xe8" "bye"), key1);
	assert_splits(&st,
	    "text@11 hello\n"
	    "binary@20 \\x00\\xff\\x80\n"
	    "ping@28 p1\n"
	    "pong@34 \n"
	    "text@40 \n"
	    "close@51 1000 bye\n");
}
END_TEST

START_TEST(test_parse_close_forms)
{
	static const unsigned codes[] = {
		1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
		1013, 1014, 3000, 3999, 4000, 4999
	};
	struct buf log;
	char want[64], pl[2];
	size_t i;

	/* no payload: reported as 1005 */
	st.len = 0;
	add_frame(&st, 0x88, S(""), key1);
	add_frame(&st, 0x81, S("after"), key1);
	assert_splits(&st, "close@6 1005 \n");

	for (i = 0; i < LEN(codes); i++) {
		pl[0] = (char)(codes[i] >> 8);
		pl[1] = (char)(codes[i] & 0xff);
		st.len = 0;
		add_frame(&st, 0x88, pl, 2, key1);
		snprintf(want, sizeof want, "close@8 %u \n", codes[i]);
		assert_splits(&st, want);
	}

	/* a reason of the most a control frame holds, multibyte */
	st.len = 0;
	memcpy(st2.d, "\x03\xe8", 2);
	for (i = 2; i + 2 <= WS_CONTROL_MAX; i += 2)
		memcpy(st2.d + i, "\xc3\xa9", 2);
	st2.d[i++] = 'x';
	ck_assert_uint_eq(i, WS_CONTROL_MAX);
	add_frame(&st, 0x88, st2.d, i, key1);
	buf_init(&log);
	run(pa, st.d, st.len, st.len, st.len, &log);
	buf_free(&log);
	ck_assert_uint_eq(pa->code, 1000);
	ck_assert_uint_eq(pa->len, WS_CONTROL_MAX - 2);
	ck_assert(memcmp(pa->data, st2.d + 2, pa->len) == 0);
}
END_TEST

/* Fragments with pings, a pong and an empty fragment between them. */
START_TEST(test_parse_fragments)
{
	st.len = 0;
	add_frame(&st, 0x01, S("Hel"), key1);
	add_frame(&st, 0x89, S("are you there"), key1);
	add_frame(&st, 0x00, S(""), key1);
	add_frame(&st, 0x8a, S("yes"), key0);
	add_frame(&st, 0x00, S("lo, "), key1);
	add_frame(&st, 0x89, S(""), key1);
	add_frame(&st, 0x80, S("world"), key1);
	add_frame(&st, 0x02, S("\x01"), key1);
	add_frame(&st, 0x80, S("\x02"), key1);
	assert_splits(&st,
	    "ping@28 are you there\n"
	    "pong@43 yes\n"
	    "ping@59 \n"
	    "text@70 Hello, world\n"
	    "binary@84 \\x01\\x02\n"
	    "more\n");
}
END_TEST

/*
 * Lengths in 7, 16 and 64 bits; a longer form than needed is accepted
 * (RFC 6455 asks senders for the shortest, and nothing breaks otherwise).
 */
START_TEST(test_parse_lengths)
{
	struct buf log;
	size_t n;
	char want[32];

	buf_init(&log);
	memset(st2.d, 'a', WS_MESSAGE_MAX);
	for (n = 120; n < 70000; n = n < 300 ? n + 1 : n * 2) {
		if (n > WS_MESSAGE_MAX)
			n = WS_MESSAGE_MAX;
		st.len = 0;
		add_frame(&st, 0x81, st2.d, n, key1);
		run(pa, st.d, st.len, st.len, st.len, &log);
		snprintf(want, sizeof want, "text@%zu ", st.len);
		ck_assert(strncmp(buf_str(&log), want, strlen(want)) == 0);
		ck_assert_uint_eq(pa->len, n);
		if (n == WS_MESSAGE_MAX)
			break;
	}
	st.len = 0;
	add_raw(&st, S("\x81\xfe\x00\x02" "\0\0\0\0" "ok"));
	add_raw(&st, S("\x81\xff\0\0\0\0\0\0\0\x02" "\0\0\0\0" "OK"));
	add_raw(&st, S("\x89\xfd" "\0\0\0\0"));
	memset(st.d + st.len, 'p', WS_CONTROL_MAX);
	st.len += WS_CONTROL_MAX;
	run(pa, st.d, st.len, st.len, st.len, &log);
	ck_assert(strncmp(buf_str(&log), "text@10 ok\ntext@26 OK\nping@157 ppp",
	    34) == 0);
	buf_free(&log);
}
END_TEST

/* 8 KiB exactly, at any fragmentation, is one message; a byte more is 1009. */
START_TEST(test_parse_message_max)
{
	static const size_t pieces[][4] = {
		{ WS_MESSAGE_MAX, 0, 0, 0 },
		{ 4096, 4096, 0, 0 },
		{ 1, WS_MESSAGE_MAX - 1, 0, 0 },
		{ 3000, 0, 3000, 2192 },
		{ 0, WS_MESSAGE_MAX, 0, 0 },
	};
	struct buf log;
	char want[64];
	size_t i, j, last, at, got;

	buf_init(&log);
	memset(st2.d, 'm', sizeof st2.d);
	for (i = 0; i < LEN(pieces); i++) {
		for (last = 3; last > 0 && pieces[i][last] == 0; last--)
			;
		for (got = 0; got <= 1; got++) {
			st.len = 0;
			for (j = 0; j <= last; j++) {
				if (j == 1)
					add_frame(&st, 0x89, S("ping"), key1);
				at = st.len;
				add_frame(&st, (j == last ? 0x80 : 0) |
				    (j == 0 ? 0x01 : 0), st2.d,
				    pieces[i][j] + (j == last ? got : 0),
				    key1);
			}
			run(pa, st.d, st.len, st.len, st.len, &log);
			if (got == 0) {
				ck_assert_uint_eq(pa->len, WS_MESSAGE_MAX);
				ck_assert_ptr_nonnull(strstr(buf_str(&log),
				    "text@"));
				continue;
			}
			/* refused at the last length byte of the last head */
			at += pieces[i][last] + 1 < 126 ? 2 :
			    pieces[i][last] + 1 <= 0xffff ? 4 : 10;
			snprintf(want, sizeof want, "fail@%zu 1009 \n", at);
			ck_assert_ptr_nonnull(strstr(buf_str(&log), want));
			ck_assert_str_eq(pa->reason, "message over 8 KiB");
		}
	}
	/* declared sizes far beyond: refused before any payload */
	st.len = 0;
	add_raw(&st, S("\x01\x85\0\0\0\0" "12345"));
	add_raw(&st, S("\x80\xff\0\0\0\0\xff\xff\xff\xff"));
	run(pa, st.d, st.len, st.len, st.len, &log);
	ck_assert_str_eq(buf_str(&log), "fail@21 1009 \n");
	buf_free(&log);
}
END_TEST

START_TEST(test_mask_round_trip)
{
	struct buf log;
	unsigned char key[4];
	char orig[300], buf[300];
	size_t n, cut, i;
	unsigned seed = 12345;

	for (i = 0; i < sizeof orig; i++) {
		seed = seed * 1103515245 + 12345;
		orig[i] = (char)(seed >> 16);
	}
	buf_init(&log);
	for (n = 0; n < sizeof orig; n += 37) {
		for (i = 0; i < 4; i++)
			key[i] = (unsigned char)(n * 31 + i * 77 + 1);
		/* masking in two pieces equals masking at once */
		memcpy(buf, orig, n);
		ws_mask(buf, n, key, 0);
		for (i = 0; i < n; i++)
			ck_assert_int_eq((unsigned char)buf[i],
			    (unsigned char)orig[i] ^ key[i % 4]);
		for (cut = 0; cut <= n; cut++) {
			memcpy(buf, orig, n);
			ws_mask(buf, cut, key, 0);
			ws_mask(buf + cut, n - cut, key, cut);
			ws_mask(buf, n, key, 0);
			ck_assert(memcmp(buf, orig, n) == 0);
		}
		/* and the parser unmasks it back */
		st.len = 0;
		add_frame(&st, 0x82, orig, n, key);
		ck_assert(n < 4 || memcmp(st.d + st.len - n, orig, n) != 0);
		run(pa, st.d, st.len, st.len / 2, 1, &log);
		ck_assert_uint_eq(pa->len, n);
		ck_assert(memcmp(pa->data, orig, n) == 0);
	}
	buf_free(&log);
}
END_TEST

/* Characters cut between fragments, with a ping between the halves. */
START_TEST(test_utf8_across_fragments)
{
	st.len = 0;
	add_frame(&st, 0x01, S("caf\xc3"), key1);
	add_frame(&st, 0x89, S("\xc3"), key1);
	add_frame(&st, 0x00, S("\xa9 \xe2"), key1);
	add_frame(&st, 0x00, S("\x82"), key1);
	add_frame(&st, 0x00, S(""), key1);
	add_frame(&st, 0x00, S("\xac \xf0\x9f"), key1);
	add_frame(&st, 0x80, S("\x98\x80"), key1);
	assert_splits(&st,
	    "ping@17 \\xc3\n"
	    "text@57 caf\\xc3\\xa9 \\xe2\\x82\\xac \\xf0\\x9f\\x98\\x80\n"
	    "more\n");

	/* a character left open at the end of the message */
	st.len = 0;
	add_frame(&st, 0x01, S("ok\xe2\x82"), key1);
	add_frame(&st, 0x80, S(""), key1);
	assert_splits(&st, "fail@16 1007 \n");

	/* refused at the byte that cannot continue, in a later fragment */
	st.len = 0;
	add_frame(&st, 0x01, S("ok\xf0\x9f"), key1);
	add_frame(&st, 0x80, S("\x98zz"), key1);
	assert_splits(&st, "fail@18 1007 \n");
}
END_TEST

/* text.c's strict decoder, whole-string: the reference for the parser. */
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
parse_text(const char *s, size_t n)
{
	size_t used;
	enum ws_event ev;

	st.len = 0;
	add_frame(&st, 0x81, s, n, key1);
	ws_parser_init(pa);
	ev = ws_parse(pa, st.d, st.len, &used);
	ck_assert(ev == WS_EV_TEXT || (ev == WS_EV_FAIL &&
	    pa->code == WS_CLOSE_INVALID_DATA));
	return ev == WS_EV_TEXT;
}

/*
 * Every 1- and 2-byte sequence, every 3-byte one with a 3-byte lead and
 * a continuation byte second, and those with a 4-byte lead whose later
 * bytes sit on a boundary: the
 * parser agrees with text.c (overlong forms, surrogates, code points past
 * U+10FFFF).
 */
START_TEST(test_utf8_exhaustive)
{
	static const unsigned char edge[] = {
		0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
		0xc2, 0xe0, 0xf4, 0xff
	};
	unsigned char s[4];
	unsigned a, b, c, d;

	for (a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		ck_assert_int_eq(parse_text((char *)s, 1), utf8_ok((char *)s, 1));
		for (b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			ck_assert_int_eq(parse_text((char *)s, 2),
			    utf8_ok((char *)s, 2));
			/* the third byte matters after a good second one */
			for (c = 0; a >= 0xe0 && a < 0xf0 && c < 256; c++) {
				if ((b < 0x80 || b > 0xbf) && c > 0)
					break;
				s[2] = (unsigned char)c;
				ck_assert_int_eq(parse_text((char *)s, 3),
				    utf8_ok((char *)s, 3));
			}
			for (c = 0; a >= 0xf0 && a < 0xf8 && c < LEN(edge);
			    c++) {
				s[2] = edge[c];
				ck_assert_int_eq(parse_text((char *)s, 3),
				    utf8_ok((char *)s, 3));
				for (d = 0; d < LEN(edge); d++) {
					s[3] = edge[d];
					ck_assert_int_eq(
					    parse_text((char *)s, 4),
					    utf8_ok((char *)s, 4));
				}
			}
		}
	}
}
END_TEST

/* --- the parser: every refusal --------------------------------------- */

struct bad_case {
	const char	*in;
	size_t		 len;
	unsigned	 code;
	size_t		 at;	/* the byte that decides, counted from 1 */
};

#define M	"\0\0\0\0"	/* a zero mask key: payloads stay readable */

static const struct bad_case bad[] = {
	/* unmasked, and the bits and opcodes RFC 6455 reserves */
	{ S("\x81\x05hello"), 1002, 2 },
	{ S("\xc1\x80" M), 1002, 1 },
	{ S("\xa1\x80" M), 1002, 1 },
	{ S("\x91\x80" M), 1002, 1 },
	{ S("\x83\x80" M), 1002, 1 },
	{ S("\x87\x80" M), 1002, 1 },
	{ S("\x8b\x80" M), 1002, 1 },
	{ S("\x8f\x80" M), 1002, 1 },
	{ S("\x81\x80" M "\x81\x00"), 1002, 8 },
	/* control frames: fragmented, or over 125 bytes */
	{ S("\x09\x80" M), 1002, 1 },
	{ S("\x08\x80" M), 1002, 1 },
	{ S("\x0a\x80" M), 1002, 1 },
	{ S("\x89\xfe\x00\x7e" M), 1002, 2 },
	{ S("\x88\xff\0\0\0\0\0\0\0\x7e" M), 1002, 2 },
	/* the sequence of fragments */
	{ S("\x80\x80" M), 1002, 1 },
	{ S("\x00\x80" M), 1002, 1 },
	{ S("\x01\x80" M "\x81\x80" M), 1002, 7 },
	{ S("\x01\x80" M "\x02\x80" M), 1002, 7 },
	{ S("\x02\x81" M "a\x89\x80" M "\x81\x80" M), 1002, 14 },
	{ S("\x81\x80" M "\x80\x80" M), 1002, 7 },
	/* 64-bit lengths with the top bit set */
	{ S("\x81\xff\x80\0\0\0\0\0\0\x01" M), 1002, 3 },
	{ S("\x82\xff\xff\xff\xff\xff\xff\xff\xff\xff" M), 1002, 3 },
	/* too big, judged on the declared length */
	{ S("\x81\xfe\x20\x01" M), 1009, 4 },
	{ S("\x82\xff\0\0\0\0\0\0\x20\x01" M), 1009, 10 },
	{ S("\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff" M), 1009, 10 },
	{ S("\x81\xff\0\0\0\x01\0\0\0\0" M), 1009, 10 },
	/* close frames: 1 byte, or a code that may not be sent */
	{ S("\x88\x81" M "\x03"), 1002, 2 },
	{ S("\x88\x82" M "\x00\x00"), 1002, 8 },
	{ S("\x88\x82" M "\x03\xe7"), 1002, 8 },	/* 999 */
	{ S("\x88\x82" M "\x03\xec"), 1002, 8 },	/* 1004 */
	{ S("\x88\x82" M "\x03\xed"), 1002, 8 },	/* 1005 */
	{ S("\x88\x82" M "\x03\xee"), 1002, 8 },	/* 1006 */
	{ S("\x88\x82" M "\x03\xf7"), 1002, 8 },	/* 1015 */
	{ S("\x88\x82" M "\x03\xf8"), 1002, 8 },	/* 1016 */
	{ S("\x88\x82" M "\x07\xd0"), 1002, 8 },	/* 2000 */
	{ S("\x88\x82" M "\x0b\xb7"), 1002, 8 },	/* 2999 */
	{ S("\x88\x82" M "\x13\x88"), 1002, 8 },	/* 5000 */
	{ S("\x88\x84" M "\xff\xffok"), 1002, 10 },	/* 65535 */
	{ S("\x88\x83" M "\x03\xe8\xff"), 1007, 9 },
	{ S("\x88\x84" M "\x03\xe8\xc3("), 1007, 10 },
	{ S("\x88\x83" M "\x03\xe8\xc3"), 1007, 9 },
	/* text that is not UTF-8, refused at the first bad byte */
	{ S("\x81\x83" M "a\xffz"), 1007, 8 },
	{ S("\x81\x82" M "a\xc3"), 1007, 8 },
	{ S("\x81\x84" M "\xc0\xaf.."), 1007, 7 },		/* overlong */
	{ S("\x81\x84" M "\xe0\x80\xaf."), 1007, 8 },		/* overlong */
	{ S("\x81\x85" M "\xf0\x80\x80\xaf."), 1007, 8 },	/* overlong */
	{ S("\x81\x84" M "\xed\xa0\x80."), 1007, 8 },		/* surrogate */
	{ S("\x81\x84" M "\xed\xbf\xbf."), 1007, 8 },		/* surrogate */
	{ S("\x81\x85" M "\xf4\x90\x80\x80."), 1007, 8 },	/* > U+10FFFF */
	{ S("\x81\x85" M "\xf5\x80\x80\x80."), 1007, 7 },
	{ S("\x81\x84" M "\xe2\x82(."), 1007, 9 },
	{ S("\x81\x83" M "\x80.."), 1007, 7 },
	{ S("\x01\x82" M "\xe2\x82" "\x80\x81" M "a"), 1007, 15 },
};

START_TEST(test_parse_bad)
{
	const struct bad_case *c = &bad[_i];
	struct buf log;
	char want[64];

	buf_init(&log);
	st.len = 0;
	add_raw(&st, c->in, c->len);
	snprintf(want, sizeof want, "fail@%zu %u \n", c->at, c->code);
	/* the stream ends where the parser must decide, or goes on */
	assert_splits(&st, NULL);
	run(pa, st.d, st.len, st.len, st.len, &log);
	ck_assert_uint_ge(log.len, strlen(want));
	ck_assert_str_eq(buf_str(&log) + log.len - strlen(want), want);
	ck_assert_ptr_nonnull(pa->reason);
	add_raw(&st, S("\x81\x80" M "\x81\x81" M "x"));
	assert_splits(&st, NULL);
	run(pa, st.d, st.len, st.len, st.len, &log);
	ck_assert_uint_ge(log.len, strlen(want));
	ck_assert_str_eq(buf_str(&log) + log.len - strlen(want), want);
	/* the byte before the deciding one leaves the question open */
	run(pa, c->in, c->at - 1, c->at, 1, &log);
	ck_assert_str_eq(buf_str(&log) + log.len - 5, "more\n");
	ck_assert_ptr_null(strstr(buf_str(&log), "fail"));
	buf_free(&log);
}
END_TEST

START_TEST(test_parse_binary_not_utf8)
{
	st.len = 0;
	add_raw(&st, S("\x82\x83" M "\xff\xc0\xed"));
	add_raw(&st, S("\x8a\x81" M "\xff"));
	add_raw(&st, S("\x89\x82" M "\xc3("));
	assert_splits(&st,
	    "binary@9 \\xff\\xc0\\xed\n"
	    "pong@16 \\xff\n"
	    "ping@24 \\xc3(\n"
	    "more\n");
}
END_TEST

/* The parser keeps one message, one control payload and one head. */
START_TEST(test_parser_size)
{
	ck_assert_uint_le(sizeof(struct ws_parser),
	    WS_MESSAGE_MAX + WS_CONTROL_MAX + 2 + 256);
}
END_TEST

/* --- writers ---------------------------------------------------------- */

static const struct {
	size_t		 n;
	const char	*head;
	size_t		 head_len;
} text_heads[] = {
	{ 0, S("\x81\x00") },
	{ 5, S("\x81\x05") },
	{ 125, S("\x81\x7d") },
	{ 126, S("\x81\x7e\x00\x7e") },
	{ 8192, S("\x81\x7e\x20\x00") },
	{ 65535, S("\x81\x7e\xff\xff") },
	{ 65536, S("\x81\x7f\0\0\0\0\0\x01\0\0") },
	{ 0x7fffffff, S("\x81\x7f\0\0\0\0\x7f\xff\xff\xff") },
};

START_TEST(test_text_head)
{
	char out[WS_SERVER_HEAD_MAX];
	size_t n;

	memset(out, 0x55, sizeof out);
	n = ws_text_head(out, text_heads[_i].n);
	ck_assert_uint_eq(n, text_heads[_i].head_len);
	ck_assert(memcmp(out, text_heads[_i].head, n) == 0);
	ck_assert_uint_le(n, WS_SERVER_HEAD_MAX);
}
END_TEST

START_TEST(test_control_frames)
{
	char out[WS_CONTROL_FRAME_MAX], big[WS_CONTROL_MAX + 1];

	ck_assert_uint_eq(ws_ping_frame(out, NULL, 0), 2);
	ck_assert(memcmp(out, "\x89\x00", 2) == 0);
	ck_assert_uint_eq(ws_ping_frame(out, "abc", 3), 5);
	ck_assert(memcmp(out, "\x89\x03" "abc", 5) == 0);
	ck_assert_uint_eq(ws_pong_frame(out, "Hello", 5), 7);
	ck_assert(memcmp(out, "\x8a\x05Hello", 7) == 0);	/* RFC 5.7 */

	memset(big, 'b', sizeof big);
	ck_assert_uint_eq(ws_pong_frame(out, big, WS_CONTROL_MAX),
	    WS_CONTROL_FRAME_MAX);
	ck_assert(memcmp(out, "\x8a\x7d", 2) == 0);
	ck_assert(memcmp(out + 2, big, WS_CONTROL_MAX) == 0);
	out[0] = 'z';
	ck_assert_uint_eq(ws_pong_frame(out, big, WS_CONTROL_MAX + 1), 0);
	ck_assert_uint_eq(ws_ping_frame(out, big, WS_CONTROL_MAX + 1), 0);
	ck_assert_int_eq(out[0], 'z');
}
END_TEST

START_TEST(test_close_frames)
{
	char out[WS_CONTROL_FRAME_MAX], reason[200];
	size_t i, n;

	ck_assert_uint_eq(ws_close_frame(out, WS_CLOSE_NORMAL, NULL), 4);
	ck_assert(memcmp(out, "\x88\x02\x03\xe8", 4) == 0);
	ck_assert_uint_eq(ws_close_frame(out, WS_CLOSE_TOO_BIG,
	    "message over 8 KiB"), 22);
	ck_assert(memcmp(out, "\x88\x14\x03\xf1message over 8 KiB", 22) == 0);
	ck_assert_uint_eq(ws_close_frame(out, WS_CLOSE_GOING_AWAY, ""), 4);
	ck_assert(memcmp(out, "\x88\x02\x03\xe9", 4) == 0);
	/* the answer to a close without a code, and codes never sent */
	ck_assert_uint_eq(ws_close_frame(out, WS_CLOSE_NO_STATUS, "x"), 2);
	ck_assert(memcmp(out, "\x88\x00", 2) == 0);
	ck_assert_uint_eq(ws_close_frame(out, 1006, NULL), 2);
	ck_assert_uint_eq(ws_close_frame(out, 0, NULL), 2);

	/* a long reason is cut at a character boundary */
	for (i = 0; i < 150; i += 2)
		memcpy(reason + i, "\xc3\xa9", 2);
	reason[150] = '\0';
	n = ws_close_frame(out, 1000, reason);
	ck_assert_uint_eq(n, 2 + 2 + 122);
	ck_assert_int_eq(out[1], 124);
	/* shifted by one byte, the cut falls between two characters */
	reason[0] = 'x';
	for (i = 1; i < 149; i += 2)
		memcpy(reason + i, "\xc3\xa9", 2);
	reason[149] = '\0';
	n = ws_close_frame(out, 1000, reason);
	ck_assert_uint_eq(n, 2 + 2 + WS_CLOSE_REASON_MAX);
	memset(reason, 'r', 150);
	n = ws_close_frame(out, 4000, reason);
	ck_assert_uint_eq(n, WS_CONTROL_FRAME_MAX);
	ck_assert(memcmp(out, "\x88\x7d\x0f\xa0", 4) == 0);
}
END_TEST

/* What the server writes, masked as a client would, parses back the same. */
START_TEST(test_writers_round_trip)
{
	char frame[WS_CONTROL_FRAME_MAX], msg[300];
	struct buf log;
	size_t n, h, i;

	buf_init(&log);
	st.len = 0;
	for (i = 0; i < sizeof msg; i++)
		msg[i] = (char)('a' + i % 26);
	h = ws_text_head(st.d, sizeof msg);
	memcpy(st.d + h, msg, sizeof msg);
	st.len = h + sizeof msg;
	n = ws_ping_frame(frame, "pi", 2);
	add_raw(&st, frame, n);
	n = ws_close_frame(frame, 1001, "bye");
	add_raw(&st, frame, n);
	/* set the mask bit and insert a key into each frame */
	memcpy(st2.d, st.d, st.len);
	st2.len = st.len;
	st.len = 0;
	for (i = 0; i < st2.len; ) {
		n = (unsigned char)st2.d[i + 1];
		h = n == 126 ? 4 : 2;
		n = n == 126 ? (size_t)((unsigned char)st2.d[i + 2] << 8 |
		    (unsigned char)st2.d[i + 3]) : n;
		add_frame(&st, (unsigned char)st2.d[i], st2.d + i + h, n, key1);
		i += h + n;
	}
	run(pa, st.d, st.len, st.len, st.len, &log);
	ck_assert(strncmp(buf_str(&log), "text@308 abcdefghij", 19) == 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&log),
	    "\nping@316 pi\nclose@327 1001 bye\n"));
	buf_free(&log);
}
END_TEST

/* Idle only between frames with no message open: then it may be freed. */
START_TEST(test_parser_idle)
{
	static struct ws_parser p;
	size_t used;

	ws_parser_init(&p);
	ck_assert(ws_parser_idle(&p));
	st.len = 0;
	add_frame(&st, 0x89, "hi", 2, key1);		/* a whole ping */
	add_frame(&st, 0x01, "par", 3, key1);		/* a message begun */
	add_frame(&st, 0x80, "t", 1, key1);		/* and ended */
	ck_assert_int_eq(ws_parse(&p, st.d, 1, &used), WS_EV_MORE);
	ck_assert(!ws_parser_idle(&p));			/* half a head */
	ck_assert_int_eq(ws_parse(&p, st.d + 1, st.len - 1, &used),
	    WS_EV_PING);
	ck_assert(ws_parser_idle(&p));
	ck_assert_int_eq(ws_parse(&p, st.d + 1 + used, 9, &used), WS_EV_MORE);
	ck_assert(!ws_parser_idle(&p));			/* a fragment kept */
	ck_assert_int_eq(ws_parse(&p, st.d + 8 + 9, st.len - 17, &used),
	    WS_EV_TEXT);
	ck_assert_str_eq(p.data, "part");
	ck_assert(ws_parser_idle(&p));
	st.len = 0;
	add_frame(&st, 0x88, "", 0, key1);
	ck_assert_int_eq(ws_parse(&p, st.d, st.len, &used), WS_EV_CLOSE);
	ck_assert(!ws_parser_idle(&p));			/* ended for good */
}
END_TEST

Suite *
ws_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ws");

	tc = tcase_create("sha1");
	tcase_add_loop_test(tc, test_sha1_vectors, 0, LEN(sha1_cases));
	tcase_add_test(tc, test_sha1_splits);
	suite_add_tcase(s, tc);

	tc = tcase_create("handshake");
	tcase_add_loop_test(tc, test_base64, 0, LEN(b64_cases));
	tcase_add_test(tc, test_accept_key);
	tcase_add_test(tc, test_handshake_response);
	tcase_add_loop_test(tc, test_handshake_check, 0, LEN(hs_cases));
	tcase_add_test(tc, test_handshake_reasons);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parse_simple);
	tcase_add_test(tc, test_parse_close_forms);
	tcase_add_test(tc, test_parse_fragments);
	tcase_add_test(tc, test_parse_lengths);
	tcase_add_test(tc, test_parse_message_max);
	tcase_add_test(tc, test_mask_round_trip);
	tcase_add_test(tc, test_utf8_across_fragments);
	tcase_add_test(tc, test_utf8_exhaustive);
	tcase_add_loop_test(tc, test_parse_bad, 0, LEN(bad));
	tcase_add_test(tc, test_parse_binary_not_utf8);
	tcase_add_test(tc, test_parser_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_text_head, 0, LEN(text_heads));
	tcase_add_test(tc, test_control_frames);
	tcase_add_test(tc, test_close_frames);
	tcase_add_test(tc, test_writers_round_trip);
	tcase_add_test(tc, test_parser_idle);
	suite_add_tcase(s, tc);

	return s;
}
