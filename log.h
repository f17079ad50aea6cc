/* log.h: diagnostics to stderr in the foreground or syslog as a daemon. */
#ifndef LOG_H
#define LOG_H

#define LOG_LINE_MAX	1024	/* bytes of one log line; longer ones are cut */

#if defined(__GNUC__) || defined(__clang__)
#define LOG_PRINTF(a, b)	__attribute__((format(printf, a, b)))
#else
#define LOG_PRINTF(a, b)
#endif

/*
 * Sends later messages to syslog (LOG_DAEMON) when to_syslog, else stderr.
 * A line goes to stderr only when stderr can take it at once: when it
 * cannot (a pipe nobody reads, a stopped terminal), the line is dropped
 * and counted, and the count is written before the next line that fits.
 * fatal() and fatalx() wait for stderr, since chatd is ending.
 */
void	log_init(int to_syslog);


/* Drops later log_info() lines (warnings stay): for unit tests. */
void	log_quiet(void);

void	log_warn(const char *, ...) LOG_PRINTF(1, 2);	/* adds strerror(errno) */
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	fatal(const char *, ...) LOG_PRINTF(1, 2);	/* log_warn, exit 1 */
void	fatalx(const char *, ...) LOG_PRINTF(1, 2);	/* log_warnx, exit 1 */

#endif
