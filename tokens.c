/* tokens.c: the -T token file: backend secrets, checked in constant time, reread on SIGHUP. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tokens.h"

/* Each token padded with NULs to the full width, and its length. */
struct token {
	unsigned char	 bytes[TOKENS_LEN_MAX];
	size_t		 len;
};

static struct token	*tokens;	/* NULL: no -T file loaded */
static int		 ntokens;

/* Wipes through a volatile pointer, so the stores are not optimized away. */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

void
tokens_free(void)
{
	if (tokens != NULL)
		wipe(tokens, sizeof *tokens * TOKENS_MAX);
	free(tokens);
	tokens = NULL;
	ntokens = 0;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses the file's lines into v; -1 with why on a bad line. */
static int
parse(FILE *f, struct token *v, int *n, char *why, size_t whysize)
{
	char line[TOKENS_LINE_MAX + 2];
	char *s, *e;
	int lineno = 0;

	*n = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(why, whysize, "line %d is longer than %d bytes",
			    lineno, TOKENS_LINE_MAX);
			wipe(line, sizeof line);
			return -1;
		}
		for (s = line; is_space((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && is_space((unsigned char)e[-1]); e--)
			;
		if (s == e || *s == '#')
			continue;
		if ((size_t)(e - s) > TOKENS_LEN_MAX) {
			snprintf(why, whysize, "the token on line %d is longer "
			    "than %d bytes", lineno, TOKENS_LEN_MAX);
			wipe(line, sizeof line);
			return -1;
		}
		if (*n == TOKENS_MAX) {
			snprintf(why, whysize, "more than %d tokens", TOKENS_MAX);
			wipe(line, sizeof line);
			return -1;
		}
		memcpy(v[*n].bytes, s, (size_t)(e - s));
		v[*n].len = (size_t)(e - s);
		(*n)++;
	}
	wipe(line, sizeof line);
	if (ferror(f)) {
		snprintf(why, whysize, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

int
tokens_load(const char *path, char *why, size_t whysize)
{
	struct token *v;
	struct stat st;
	FILE *f;
	int fd, n, rc;

	if ((fd = open(path, O_RDONLY | O_NOCTTY)) == -1) {
		snprintf(why, whysize, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(why, whysize, "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, whysize, "group or others may use it (mode "
		    "%03o; chmod 600 it)", (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		snprintf(why, whysize, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if ((v = calloc(TOKENS_MAX, sizeof *v)) == NULL) {
		snprintf(why, whysize, "out of memory");
		fclose(f);
		return -1;
	}
	rc = parse(f, v, &n, why, whysize);
	fclose(f);
	if (rc == -1) {
		wipe(v, sizeof *v * TOKENS_MAX);
		free(v);
		return -1;
	}
	tokens_free();
	tokens = v;
	ntokens = n;
	return 0;
}

int
tokens_enabled(void)
{
	return tokens != NULL;
}

int
tokens_count(void)
{
	return ntokens;
}

int
tokens_check(const char *bearer)
{
	unsigned char given[TOKENS_LEN_MAX];
	size_t len, i;
	unsigned diff, found = 0;
	int t;

	if (bearer == NULL || tokens == NULL)
		return 0;
	len = strlen(bearer);
	/* A longer one matches nothing; still compare, so it costs the same. */
	memset(given, 0, sizeof given);
	memcpy(given, bearer, len < sizeof given ? len : sizeof given);
	for (t = 0; t < ntokens; t++) {
		diff = (unsigned)(len ^ tokens[t].len);
		for (i = 0; i < TOKENS_LEN_MAX; i++)
			diff |= (unsigned)(given[i] ^ tokens[t].bytes[i]);
		/* 1 when diff is 0, without a branch on it. */
		found |= 1U & ((diff - 1U) >> (sizeof diff * 8 - 1));
	}
	wipe(given, sizeof given);
	return (int)found;
}

const char *
tokens_bearer(const char *auth)
{
	static const char scheme[] = "Bearer ";
	size_t i;

	if (auth == NULL)
		return NULL;
	for (i = 0; i < sizeof scheme - 1; i++)
		if (auth[i] == '\0' || (auth[i] | 0x20) != (scheme[i] | 0x20))
			return NULL;
	while (auth[i] == ' ')
		i++;
	return auth[i] != '\0' ? auth + i : NULL;
}
