/* status.h: /status, /status.json and /metrics: the figures of a running chatd. */
#ifndef STATUS_H
#define STATUS_H

#include "buf.h"

#define STATUS_METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/*
 * 1 if ip is the loopback address, which may read the status: exactly
 * 127.0.0.1 (also as ::ffff:127.0.0.1) or ::1.  The rest of 127/8 is not:
 * the operator's own tools use 127.0.0.1, and a proxy on the host that
 * forwards outside requests from another 127/8 address keeps them out.
 */
int	status_local(const char *ip);

/* The figures as HTML for the page template's body (tables, escaped). */
void	status_html(struct buf *);
/* The figures as one JSON object. */
void	status_json(struct buf *);
/* The figures in the Prometheus text exposition format (0.0.4). */
void	status_metrics(struct buf *);

#endif
