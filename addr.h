/* addr.h: per-address counts (connections, sessions) and the login token bucket. */
#ifndef ADDR_H
#define ADDR_H

#define ADDR_LOGIN_BURST	10	/* logins and registrations in a burst */
#define ADDR_LOGIN_REFILL_MS	500	/* then one more every 500 ms: 2 a second */
#define ADDR_IDLE_MS		(ADDR_LOGIN_BURST * ADDR_LOGIN_REFILL_MS)
					/* an unused bucket is full again by then */
#define ADDR_KEY_BYTES		64	/* an address or an IPv6 /64, as text */
#define ADDR_BUCKETS_MIN	256	/* hash buckets at first; doubles as needed */

/*
 * One entry per client address (an IPv6 client by its /64 network, which
 * one host usually holds whole).  An entry lives while it counts a
 * connection or a session, and until its login bucket is full again.
 */
struct addr;

/* The entry for ip, made if needed; NULL if out of memory. */
struct addr *addr_get(const char *ip);

/* The entry for ip, or NULL. */
struct addr *addr_find(const char *ip);

/* The key an address is counted under ("127.0.0.1", "2001:db8:1:2::/64"). */
void	addr_key(const char *ip, char key[ADDR_KEY_BYTES]);

/* Counts a connection from an entry made by addr_get(), and its end. */
void	addr_conn_open(struct addr *);
void	addr_conn_close(struct addr *);
int	addr_conns(const struct addr *);

/* Counts a session from ip (-1 if out of memory), and its end. */
int	addr_session_open(const char *ip);
void	addr_session_close(const char *ip);
int	addr_sessions(const char *ip);		/* 0 for an unknown address */

/*
 * Takes a login token from ip's bucket: 1 if the login may go on, 0 if
 * the address is over its rate.  An unknown address is let through.
 */
int	addr_take_login(const char *ip, long long now);

/* Frees entries that count nothing and whose bucket is full again. */
void	addr_sweep(long long now);

/* Entries held, and entries waiting for addr_sweep(). */
int	addr_count(void);
int	addr_idle(void);

/* Frees every entry (at exit and in tests). */
void	addr_clear(void);

#endif
