/* sha1.c: SHA-1 (FIPS 180-4), for the WebSocket handshake only. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sha1.h"

#define ROL(x, n)	(((x) << (n)) | ((x) >> (32 - (n))))

static uint32_t
load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* One 64-byte block into the state (FIPS 180-4 6.1.2), with a 16-word ring. */
static void
compress(uint32_t h[5], const unsigned char *blk)
{
	uint32_t w[16], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(blk + 4 * i);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i >= 16) {
			t = w[(i + 13) & 15] ^ w[(i + 8) & 15] ^
			    w[(i + 2) & 15] ^ w[i & 15];
			w[i & 15] = ROL(t, 1);
		}
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = ROL(a, 5) + f + e + k + w[i & 15];
		e = d;
		d = c;
		c = ROL(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
sha1_init(struct sha1_ctx *c)
{
	c->state[0] = 0x67452301;
	c->state[1] = 0xefcdab89;
	c->state[2] = 0x98badcfe;
	c->state[3] = 0x10325476;
	c->state[4] = 0xc3d2e1f0;
	c->bytes = 0;
}

void
sha1_update(struct sha1_ctx *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t have, take;

	have = (size_t)(c->bytes % SHA1_BLOCK_LEN);
	c->bytes += n;
	if (have > 0) {
		take = SHA1_BLOCK_LEN - have;
		if (take > n)
			take = n;
		memcpy(c->block + have, p, take);
		p += take;
		n -= take;
		if (have + take < SHA1_BLOCK_LEN)
			return;
		compress(c->state, c->block);
	}
	for (; n >= SHA1_BLOCK_LEN; p += SHA1_BLOCK_LEN, n -= SHA1_BLOCK_LEN)
		compress(c->state, p);
	if (n > 0)
		memcpy(c->block, p, n);
}

/* Pads with 0x80, zeros and the length in bits, big-endian (FIPS 180-4 5.1.1). */
void
sha1_final(struct sha1_ctx *c, unsigned char out[SHA1_DIGEST_LEN])
{
	uint64_t bits;
	size_t have;
	int i;

	bits = c->bytes * 8;
	have = (size_t)(c->bytes % SHA1_BLOCK_LEN);
	c->block[have++] = 0x80;
	if (have > SHA1_BLOCK_LEN - 8) {
		memset(c->block + have, 0, SHA1_BLOCK_LEN - have);
		compress(c->state, c->block);
		have = 0;
	}
	memset(c->block + have, 0, SHA1_BLOCK_LEN - 8 - have);
	store_be32(c->block + 56, (uint32_t)(bits >> 32));
	store_be32(c->block + 60, (uint32_t)bits);
	compress(c->state, c->block);
	for (i = 0; i < 5; i++)
		store_be32(out + 4 * i, c->state[i]);
	memset(c, 0, sizeof *c);
}

void
sha1(const void *data, size_t n, unsigned char out[SHA1_DIGEST_LEN])
{
	struct sha1_ctx c;

	sha1_init(&c);
	sha1_update(&c, data, n);
	sha1_final(&c, out);
}
