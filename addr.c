/* addr.c: per-address counts (connections, sessions) and the login token bucket. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "text.h"

struct addr {
	char		 key[ADDR_KEY_BYTES];
	int		 conns;
	int		 sessions;
	int		 tokens;	/* login bucket */
	long long	 token_ms;	/* when tokens was last brought up to date */
	long long	 last_take;	/* the bucket is full ADDR_IDLE_MS after it */
	int		 idle;		/* in the idle list: counts nothing */
	struct addr	*hnext;		/* hash chain */
	struct addr	*iprev, *inext;	/* idle list, in order of becoming idle */
};

static struct addr	**table;
static size_t		 nbuckets;	/* a power of two, or 0 before the first use */
static int		 nentries, nidle;
static struct addr	*idle_head, *idle_tail;
static unsigned		 seed;
static long long	 clock_ms;	/* the latest `now` seen: for entries going idle */

/* A random start, so that nobody can pick addresses that share a chain. */
static unsigned
hash(const char *s)
{
	return text_hash(s, seed);
}

static void
make_seed(void)
{
	int fd;

	seed = (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
	if ((fd = open("/dev/urandom", O_RDONLY)) != -1) {
		if (read(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
			seed ^= (unsigned)clock();
		close(fd);
	}
}

/* Doubles the table (or makes it); leaves it as it was when out of memory. */
static int
grow(void)
{
	size_t n = nbuckets ? nbuckets * 2 : ADDR_BUCKETS_MIN, i, b;
	struct addr **t, *a, *next;

	if (nbuckets == 0)
		make_seed();
	if ((t = calloc(n, sizeof *t)) == NULL)
		return nbuckets ? 0 : -1;
	for (i = 0; i < nbuckets; i++)
		for (a = table[i]; a != NULL; a = next) {
			next = a->hnext;
			b = hash(a->key) & (n - 1);
			a->hnext = t[b];
			t[b] = a;
		}
	free(table);
	table = t;
	nbuckets = n;
	return 0;
}

void
addr_key(const char *ip, char key[ADDR_KEY_BYTES])
{
	struct in6_addr a6;

	snprintf(key, ADDR_KEY_BYTES, "%s", ip);
	if (strchr(ip, ':') == NULL || inet_pton(AF_INET6, ip, &a6) != 1)
		return;
	/* An IPv4 client on a dual-stack socket counts as itself. */
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		inet_ntop(AF_INET, &a6.s6_addr[12], key, ADDR_KEY_BYTES);
		return;
	}
	memset(&a6.s6_addr[8], 0, 8);
	if (inet_ntop(AF_INET6, &a6, key, ADDR_KEY_BYTES - 4) != NULL)
		strcat(key, "/64");
}

static struct addr *
lookup(const char *key)
{
	struct addr *a;

	if (nbuckets == 0)
		return NULL;
	for (a = table[hash(key) & (nbuckets - 1)]; a != NULL; a = a->hnext)
		if (strcmp(a->key, key) == 0)
			return a;
	return NULL;
}

struct addr *
addr_find(const char *ip)
{
	char key[ADDR_KEY_BYTES];

	addr_key(ip, key);
	return lookup(key);
}

static void
idle_unlink(struct addr *a)
{
	if (!a->idle)
		return;
	if (a->iprev)
		a->iprev->inext = a->inext;
	else
		idle_head = a->inext;
	if (a->inext)
		a->inext->iprev = a->iprev;
	else
		idle_tail = a->iprev;
	a->iprev = a->inext = NULL;
	a->idle = 0;
	nidle--;
}

static void
idle_append(struct addr *a)
{
	a->iprev = idle_tail;
	a->inext = NULL;
	if (idle_tail)
		idle_tail->inext = a;
	else
		idle_head = a;
	idle_tail = a;
	a->idle = 1;
	nidle++;
}

/* An entry that counts nothing waits in the idle list for its bucket. */
static void
check_idle(struct addr *a)
{
	if (a->conns == 0 && a->sessions == 0 && !a->idle)
		idle_append(a);
}

struct addr *
addr_get(const char *ip)
{
	char key[ADDR_KEY_BYTES];
	struct addr *a;
	size_t b;

	addr_key(ip, key);
	if ((a = lookup(key)) != NULL)
		return a;
	if ((size_t)nentries >= nbuckets && grow() == -1)
		return NULL;
	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	memcpy(a->key, key, sizeof key);
	a->tokens = ADDR_LOGIN_BURST;
	a->token_ms = clock_ms;
	b = hash(key) & (nbuckets - 1);
	a->hnext = table[b];
	table[b] = a;
	nentries++;
	/* Until something is counted, it is idle (and freed by the sweep). */
	idle_append(a);
	return a;
}

void
addr_conn_open(struct addr *a)
{
	a->conns++;
	idle_unlink(a);
}

void
addr_conn_close(struct addr *a)
{
	if (a->conns > 0)
		a->conns--;
	check_idle(a);
}

int
addr_conns(const struct addr *a)
{
	return a->conns;
}

int
addr_session_open(const char *ip)
{
	struct addr *a;

	if ((a = addr_get(ip)) == NULL)
		return -1;
	a->sessions++;
	idle_unlink(a);
	return 0;
}

void
addr_session_close(const char *ip)
{
	struct addr *a;

	if ((a = addr_find(ip)) == NULL)
		return;
	if (a->sessions > 0)
		a->sessions--;
	check_idle(a);
}

int
addr_sessions(const char *ip)
{
	struct addr *a = addr_find(ip);

	return a ? a->sessions : 0;
}

int
addr_take_login(const char *ip, long long now)
{
	struct addr *a;
	long long earned;

	clock_ms = now;
	if ((a = addr_find(ip)) == NULL)
		return 1;
	earned = (now - a->token_ms) / ADDR_LOGIN_REFILL_MS;
	if (earned > 0) {
		a->tokens = a->tokens + earned >= ADDR_LOGIN_BURST ?
		    ADDR_LOGIN_BURST : a->tokens + (int)earned;
		a->token_ms += earned * ADDR_LOGIN_REFILL_MS;
	}
	if (a->tokens == ADDR_LOGIN_BURST)
		a->token_ms = now;
	if (a->tokens == 0)
		return 0;
	a->tokens--;
	a->last_take = now;
	/* Keep the idle list in order of when each bucket is full again. */
	if (a->idle) {
		idle_unlink(a);
		idle_append(a);
	}
	return 1;
}

static void
unhash(struct addr *a)
{
	struct addr **pp = &table[hash(a->key) & (nbuckets - 1)];

	while (*pp != a)
		pp = &(*pp)->hnext;
	*pp = a->hnext;
	nentries--;
}

void
addr_sweep(long long now)
{
	struct addr *a;

	clock_ms = now;
	/*
	 * Entries join the tail when they go idle or take a token while
	 * idle, so the head's bucket is the next to be full, or an entry
	 * behind it waits at most ADDR_IDLE_MS longer: no scan is needed.
	 */
	while ((a = idle_head) != NULL && (a->last_take == 0 ||
	    now - a->last_take >= ADDR_IDLE_MS)) {
		idle_unlink(a);
		unhash(a);
		free(a);
	}
}

int
addr_count(void)
{
	return nentries;
}

int
addr_idle(void)
{
	return nidle;
}

void
addr_clear(void)
{
	struct addr *a, *next;
	size_t i;

	for (i = 0; i < nbuckets; i++)
		for (a = table[i]; a != NULL; a = next) {
			next = a->hnext;
			free(a);
		}
	free(table);
	table = NULL;
	nbuckets = 0;
	nentries = nidle = 0;
	idle_head = idle_tail = NULL;
}
