/* accounts_redis.h: with -R, accounts live in a Redis hash and the accounts table mirrors it. */
#ifndef ACCOUNTS_REDIS_H
#define ACCOUNTS_REDIS_H

#define ACCOUNTS_REDIS_HASH	"chatd:accounts"	/* field: name key; value: the file's line */
#define ACCOUNTS_REDIS_LOG	"chatd:accounts:log"	/* an entry per change: k KEY, o instance */
#define ACCOUNTS_REDIS_SCAN	1000	/* fields one HSCAN asks for */
#define ACCOUNTS_REDIS_POLL_MS	250	/* the change log is read this often */
#define ACCOUNTS_REDIS_READ	100	/* log entries one read takes at most */
#define ACCOUNTS_REDIS_LOG_MAX	10000	/* log entries Redis keeps, about */
#define ACCOUNTS_REDIS_PUT_MS	5000	/* -U -R: the longest wait for Redis */

#include <stddef.h>

#ifdef CHATD_REDIS
/*
 * -R: makes Redis the accounts' store (after accounts_open()).  Each time
 * the link comes up: warns unless Redis is durable (appendonly yes,
 * appendfsync always), reads the whole hash into the table (HSCAN), puts
 * the table into an empty hash once (the -A file's accounts, logged),
 * then lets changes through.  Changes are a script that writes the hash
 * and the log in one step, answered once Redis has answered.
 */
void	accounts_redis_start(void);
/* Reads the other instances' changes from the log; each pass of the loop. */
void	accounts_redis_tick(long long now_ms);
/* SIGHUP: reads the whole hash again. */
void	accounts_redis_reload(void);
/*
 * chatd -R host:port -U name: gives the account the hash (creates it, or
 * changes its password; role and colour stay) straight in Redis, waiting
 * at most ACCOUNTS_REDIS_PUT_MS; for the tool, never the loop.  *created
 * tells which.  0, or -1 with why filled.
 */
int	accounts_redis_put(const char *host, int port, int instance,
	    const char *name, const char *hash, int *created, char *why,
	    size_t whylen);
#else
static inline void accounts_redis_start(void) { }
static inline void accounts_redis_tick(long long now_ms) { (void)now_ms; }
static inline void accounts_redis_reload(void) { }
static inline int accounts_redis_put(const char *h, int p, int i,
    const char *n, const char *hash, int *c, char *why, size_t whylen)
{
	(void)h; (void)p; (void)i; (void)n; (void)hash; (void)c;
	if (whylen > 0)
		why[0] = '\0';
	return -1;
}
#endif

#endif
