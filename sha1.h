/* sha1.h: SHA-1 (FIPS 180-4), for the WebSocket handshake only. */
#ifndef SHA1_H
#define SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN	20	/* bytes */
#define SHA1_BLOCK_LEN	64	/* bytes */

/*
 * A running hash, owned by the caller: sha1_init(), any number of
 * sha1_update() calls, then sha1_final().  SHA-1 is broken for signatures;
 * RFC 6455 uses it only to prove that the server read the client's key.
 */
struct sha1_ctx {
	uint32_t	state[5];
	uint64_t	bytes;			/* message length so far */
	unsigned char	block[SHA1_BLOCK_LEN];	/* a partial block */
};

void	sha1_init(struct sha1_ctx *);
void	sha1_update(struct sha1_ctx *, const void *, size_t);
/* Writes the digest into out; the context must be initialised again for reuse. */
void	sha1_final(struct sha1_ctx *, unsigned char out[SHA1_DIGEST_LEN]);

/* The digest of n bytes at once. */
void	sha1(const void *, size_t n, unsigned char out[SHA1_DIGEST_LEN]);

#endif
