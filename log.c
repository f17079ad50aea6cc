/* log.c: diagnostics to stderr in the foreground or syslog as a daemon. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_to_syslog;
static int log_no_info;
static unsigned long dropped;	/* lines stderr or syslog could not take */
static int stderr_is_file = -1;	/* a regular file takes every line: no poll() */
static int syslog_fd = -1;	/* a datagram socket to the syslog daemon */
static struct sockaddr_un syslog_addr;

/* (Re)connects the non-blocking socket to the syslog daemon's. */
static int
syslog_connect(void)
{
	if (syslog_fd == -1 &&
	    (syslog_fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return -1;
	if (fcntl(syslog_fd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(syslog_fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    connect(syslog_fd, (struct sockaddr *)&syslog_addr,
	    sizeof syslog_addr) == -1) {
		close(syslog_fd);
		syslog_fd = -1;
		return -1;
	}
	return 0;
}

int
log_syslog_to(const char *path)
{
	if (strlen(path) >= sizeof syslog_addr.sun_path)
		return -1;
	memset(&syslog_addr, 0, sizeof syslog_addr);
	syslog_addr.sun_family = AF_UNIX;
	strcpy(syslog_addr.sun_path, path);
	if (syslog_fd != -1) {
		close(syslog_fd);
		syslog_fd = -1;
	}
	if (syslog_connect() == -1)
		return -1;
	log_to_syslog = 1;
	return 0;
}

void
log_init(int to_syslog)
{
	/* The daemon's own socket when it is there, else the C library's. */
	if (to_syslog && log_syslog_to(LOG_SYSLOG_PATH) == -1) {
		log_to_syslog = 1;
		openlog("chatd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

/*
 * One line to the syslog daemon in its traditional form, "<pri>Mmm dd
 * hh:mm:ss chatd[pid]: text".  A daemon that is slow to read makes the
 * socket full: the line is dropped and counted rather than waited for,
 * so that logging never stalls the loop.  A restarted daemon gets a new
 * connection.
 */
static void
syslog_line(int priority, const char *text)
{
	char line[LOG_LINE_MAX + 64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int len, again;

	if (syslog_fd == -1) {
		syslog(priority, "%s", text);
		return;
	}
	strftime(stamp, sizeof stamp, "%b %e %H:%M:%S",
	    localtime_r(&now, &tm));
	if (dropped > 0) {
		len = snprintf(line, sizeof line, "<%d>%s chatd[%ld]: %lu log "
		    "lines dropped: syslog did not take them",
		    LOG_DAEMON | LOG_WARNING, stamp, (long)getpid(), dropped);
		if (send(syslog_fd, line, (size_t)len, 0) == len)
			dropped = 0;
	}
	len = snprintf(line, sizeof line, "<%d>%s chatd[%ld]: %s",
	    LOG_DAEMON | priority, stamp, (long)getpid(), text);
	for (again = 1; send(syslog_fd, line, (size_t)len, 0) != len; again--)
		if (!again || (errno != ECONNREFUSED && errno != ENOTCONN) ||
		    syslog_connect() == -1) {
			dropped++;
			return;
		}
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
		syslog_line(priority, line);
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
