/* log.c: diagnostics to stderr in the foreground or syslog as a daemon. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int log_to_syslog;
static int log_no_info;

void
log_init(int to_syslog)
{
	log_to_syslog = to_syslog;
	if (to_syslog)
		openlog("chatd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
log_vwrite(int priority, const char *errstr, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_to_syslog) {
		if (errstr)
			syslog(priority, "%s: %s", msg, errstr);
		else
			syslog(priority, "%s", msg);
	} else if (errstr)
		fprintf(stderr, "chatd: %s: %s\n", msg, errstr);
	else
		fprintf(stderr, "chatd: %s\n", msg);
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
