/* log.c: diagnostics to stderr in the foreground or syslog as a daemon. */
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int log_to_syslog;
static int log_no_info;
static unsigned long dropped;	/* lines stderr could not take */
static int stderr_is_file = -1;	/* a regular file takes every line: no poll() */

void
log_init(int to_syslog)
{
	log_to_syslog = to_syslog;
	if (to_syslog)
		openlog("chatd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/*
 * 1 if stderr takes a line without blocking.  A line is far below a pipe
 * buffer's page, which is what POLLOUT promises on a pipe; a regular file
 * always takes it.
 */
static int
stderr_ready(void)
{
	struct pollfd p;
	struct stat st;

	if (stderr_is_file == -1)
		stderr_is_file = fstat(STDERR_FILENO, &st) == 0 &&
		    S_ISREG(st.st_mode);
	if (stderr_is_file)
		return 1;
	p.fd = STDERR_FILENO;
	p.events = POLLOUT;
	p.revents = 0;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) &&
	    !(p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* Writes one line to stderr; never waits unless wait is set. */
static void
put_line(const char *line, int wait)
{
	char note[80];
	size_t len = strlen(line);
	ssize_t n;

	if (dropped > 0 && stderr_ready()) {
		snprintf(note, sizeof note, "chatd: %lu log lines dropped: "
		    "stderr did not take them\n", dropped);
		if (write(STDERR_FILENO, note, strlen(note)) ==
		    (ssize_t)strlen(note))
			dropped = 0;
	}
	if (!wait && !stderr_ready()) {
		dropped++;
		return;
	}
	while ((n = write(STDERR_FILENO, line, len)) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)len)
		dropped++;
}

static void
log_vwrite(int priority, const char *errstr, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t len = 0;

	/* Room is kept for the newline. */
	if (!log_to_syslog)
		len = (size_t)snprintf(line, sizeof line, "chatd: ");
	vsnprintf(line + len, sizeof line - len - 1, fmt, ap);
	len = strlen(line);
	if (errstr)
		snprintf(line + len, sizeof line - len - 1, ": %s", errstr);
	if (log_to_syslog) {
		syslog(priority, "%s", line);
		return;
	}
	len = strlen(line);
	line[len] = '\n';
	line[len + 1] = '\0';
	put_line(line, priority == LOG_ERR);
}

void
log_quiet(void)
{
	log_no_info = 1;
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_no_info)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
