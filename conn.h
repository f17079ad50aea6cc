/* conn.h: the connection table: accept, read requests, queue and write output. */
#ifndef CONN_H
#define CONN_H

#define CONN_RESERVE_FDS	16	/* descriptors kept back for files and logs */
#define CONN_READ_MAX		4096	/* bytes read from one connection per pass */
#define CONN_WRITE_MAX		(64 * 1024)	/* bytes written to one per pass */
#define CONN_ACCEPT_MAX		64	/* connections accepted per pass */
#define CONN_RESPONSE_TIMEOUT_MS 30000	/* a finite response must be taken by then */
#define CONN_FULL_PAUSE_MS	100	/* accepting pauses this long on EMFILE */
#define CONN_SNDBUF		(64 * 1024)	/* kernel send buffer: -q bounds the rest */
#define CONN_LISTEN_MAX		8	/* listening sockets */

/*
 * Starts serving the nfds listening sockets (at most CONN_LISTEN_MAX) in
 * the loop, which loop_init() prepared: at most max_conns connections
 * (clamped to what the loop can watch, less a reserve) and at most per_ip
 * from one address.  Returns the limit in force.
 */
int	conn_init(const int *listen_fds, int nfds, int max_conns, int per_ip);

/* One pass of the loop: wait at most timeout_ms, handle what is ready, write, reap. */
void	conn_pass(long timeout_ms);

/* Stops accepting, then writes what is queued for at most ms milliseconds. */
void	conn_drain(long ms);

/* Open connections. */
int	conn_count(void);

#endif
