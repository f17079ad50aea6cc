/* conn.h: the connection table: accept, read requests, queue and write output. */
#ifndef CONN_H
#define CONN_H

#define CONN_REFUSED_MAX	16	/* refusals (503, 429) lingering at once */
#define CONN_RESERVE_FDS	(16 + CONN_REFUSED_MAX)	/* kept back for files, logs, refusals */
#define CONN_READ_MAX		4096	/* bytes read from one connection per pass */
#define CONN_WRITE_MAX		(64 * 1024)	/* bytes written to one per pass */
#define CONN_FLUSH_SLICE	256	/* writes per pass before the loop looks
					   for input again (about 1 ms) */
#define CONN_DRAIN_STEP_MS	50	/* at shutdown, the longest wait between writes */
#define CONN_ACCEPT_MAX		64	/* connections accepted per pass */
#define CONN_RESPONSE_TIMEOUT_MS 30000	/* a finite response must be taken by then */
#define CONN_LINGER_MS		2000	/* after a response, wait this long for the client's close */
#define CONN_REFUSED_TIMEOUT_MS	2000	/* a refusal is written and closed by then */
#define CONN_KEEPALIVE_PROBES	3	/* TCP keepalive probes on a stream */
#define CONN_CUT_PAUSE_MS	100	/* over -Q with no stream to cut: look again then */
#define CONN_FULL_PAUSE_MS	100	/* accepting pauses this long on EMFILE */
#define CONN_SNDBUF		(64 * 1024)	/* kernel send buffer: -q bounds the rest */
#define CONN_LISTEN_MAX		8	/* listening sockets */
#define CONN_WS_PINGS		2	/* unanswered pings before a silent close */
#define CONN_WS_PAUSE_DIV	2	/* a WebSocket is not read while its queue
					   holds over -q / this */

/*
 * Starts serving the nfds listening sockets (at most CONN_LISTEN_MAX) in
 * the loop, which loop_init() prepared: at most max_conns connections
 * (clamped to what the loop can watch, less a reserve) and at most per_ip
 * from one address.  When the table is full, the connection that has been
 * reading its request the longest makes room for a new one.  Returns the
 * limit in force.
 */
int	conn_init(const int *listen_fds, int nfds, int max_conns, int per_ip);

/* One pass of the loop: wait at most timeout_ms, handle what is ready, write, reap. */
void	conn_pass(long timeout_ms);

/* Stops accepting, then writes what is queued for at most ms milliseconds. */
void	conn_drain(long ms);

/* The server is stopping: WebSockets that end now close with 1001. */
void	conn_stopping(void);

/* Open connections. */
int	conn_count(void);

#endif
