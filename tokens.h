/* tokens.h: the -T token file: backend secrets, checked in constant time, reread on SIGHUP. */
#ifndef TOKENS_H
#define TOKENS_H

#define TOKENS_MAX		64	/* tokens one file may hold */
#define TOKENS_LEN_MAX		256	/* bytes in one token */
#define TOKENS_LINE_MAX		1024	/* bytes in one line of the file */

/*
 * Reads the token file: one token per line, blank lines and lines
 * starting with '#' skipped, spaces around a token trimmed.  The file
 * must be a regular file neither readable nor writable by group or
 * others.  Returns 0 (the new tokens replace the old), or -1 with a
 * one-line reason in why (the old tokens stay).
 */
int	tokens_load(const char *path, char *why, size_t whysize);

/* 1 if a token file was loaded. */
int	tokens_enabled(void);

/* How many tokens are loaded. */
int	tokens_count(void);

/*
 * 1 if bearer equals one of the tokens, else 0.  Compares against every
 * token, over TOKENS_LEN_MAX bytes each, without stopping at the first
 * difference, so the time tells nothing but the number of tokens.
 */
int	tokens_check(const char *bearer);

/*
 * The token in an Authorization header value "Bearer TOKEN" (the scheme
 * in any case), or NULL: for tokens_check().
 */
const char *tokens_bearer(const char *authorization);

/* Forgets the tokens (wiping them). */
void	tokens_free(void);

#endif
