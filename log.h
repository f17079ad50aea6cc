/* log.h: diagnostics to stderr in the foreground or syslog as a daemon. */
#ifndef LOG_H
#define LOG_H

#define LOG_LINE_MAX	1024	/* bytes of one log line; longer ones are cut */
#ifdef __APPLE__
#define LOG_SYSLOG_PATH	"/var/run/syslog"
#else
#define LOG_SYSLOG_PATH	"/dev/log"	/* the syslog daemon's socket */
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LOG_PRINTF(a, b)	__attribute__((format(printf, a, b)))
#else
#define LOG_PRINTF(a, b)
#endif

/*
 * Sends later messages to syslog (LOG_DAEMON) when to_syslog, else stderr.
 * A line goes only where it can be taken at once: when stderr cannot take
 * it (a pipe nobody reads, a stopped terminal) or the syslog daemon's
 * socket is full, the line is dropped and counted, and the count is
 * written before the next line that fits.  fatal() and fatalx() wait for
 * stderr, since chatd is ending.
 */
void	log_init(int to_syslog);
/*
 * Sends later messages to the syslog datagram socket at path, never
 * waiting for it (log_init() uses LOG_SYSLOG_PATH).  0, or -1 if it
 * cannot be reached.
 */
int	log_syslog_to(const char *path);


/* Drops later log_info() lines (warnings stay): for unit tests. */
void	log_quiet(void);

void	log_warn(const char *, ...) LOG_PRINTF(1, 2);	/* adds strerror(errno) */
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	fatal(const char *, ...) LOG_PRINTF(1, 2);	/* log_warn, exit 1 */
void	fatalx(const char *, ...) LOG_PRINTF(1, 2);	/* log_warnx, exit 1 */

#endif
