/* redis.h: the link to Redis (-R): hiredis' async API on chatd's loop, kept up with backoff. */
#ifndef REDIS_H
#define REDIS_H

#define REDIS_BACKOFF_MIN_MS	500	/* first wait before reconnecting */
#define REDIS_BACKOFF_MAX_MS	8000	/* waits double up to this */
#define REDIS_PING_MS		1000	/* a quiet command link is pinged this often */
#define REDIS_DEAD_MS		5000	/* an answer later than this: the link is dead */
#define REDIS_BLOCK_MS		2000	/* the longest a blocking read may wait */
#define REDIS_LISTENERS_MAX	8	/* modules told of ups and downs */

/*
 * Two links to one server: commands go in order on REDIS_CMD; REDIS_READ
 * is for one blocking read at a time (XREAD BLOCK), so that it never
 * delays a command.  Both are up or both are down.
 */
enum redis_link {
	REDIS_CMD,
	REDIS_READ
};

#ifdef CHATD_REDIS
#include <hiredis/hiredis.h>

/*
 * A command's answer, or NULL when the link went down before it came (the
 * command may or may not have run).  The reply is freed after the call.
 */
typedef void redis_reply_fn(void *arg, redisReply *reply);
/* The link came up (after start or an outage), or went down. */
typedef void redis_state_fn(void);

/*
 * Resolves host once, before the loop (a name never costs a lookup in
 * it later).  0, or -1 if the host does not resolve.
 */
int	redis_resolve(const char *host, int port);
/* Starts connecting (the loop is ready); redis_tick() does the rest. */
void	redis_start(void);
/* Tells fn_up and fn_down (either may be NULL) of each change.  -1 if full. */
int	redis_listen(redis_state_fn *fn_up, redis_state_fn *fn_down);
/* Reconnects when due, pings and notices a server that went quiet. */
void	redis_tick(long long now_ms);
int	redis_up(void);			/* both links connected */
/*
 * Sends a command (hiredis' printf-like format, %s %b %d...) on a link;
 * fn(arg, reply) follows, fn may be NULL.  0, or -1 when the link is
 * down (fn is not called).
 */
int	redis_command(enum redis_link, redis_reply_fn *fn, void *arg,
	    const char *format, ...);
/* The same with an argument vector (lens may be NULL for C strings). */
int	redis_commandv(enum redis_link, redis_reply_fn *fn, void *arg,
	    int argc, const char **argv, const size_t *lens);
/* A reply's error text, or otherwise when it is no error. */
const char *redis_why(const redisReply *r, const char *otherwise);
/* For /status: "host:port", outages so far. */
const char *redis_address(void);
unsigned long redis_outages(void);
/* Closes both links at shutdown; pending callbacks get NULL. */
void	redis_stop(void);
#else
/* Built without Redis: config.c refuses -R, so the link never starts. */
static inline int redis_resolve(const char *h, int p) { (void)h; (void)p; return -1; }
static inline void redis_start(void) { }
static inline void redis_tick(long long now_ms) { (void)now_ms; }
static inline void redis_stop(void) { }
static inline int redis_up(void) { return 0; }
#endif

#endif
