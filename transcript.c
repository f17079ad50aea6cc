/* transcript.c: the -L file, one line per public event, written before broadcast. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "transcript.h"

static char	*transcript_path;	/* NULL: no transcript */
static int	 transcript_fd = -1;
static int	 transcript_failing;	/* the last write failed (logged) */

static int
open_file(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    TRANSCRIPT_MODE);
	if (fd == -1)
		log_warn("%s", path);
	return fd;
}

int
transcript_open(const char *path)
{
	transcript_close();
	if (path == NULL)
		return 0;
	if ((transcript_path = strdup(path)) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	if ((transcript_fd = open_file(path)) == -1) {
		transcript_close();
		return -1;
	}
	return 0;
}

/*
 * If the path cannot be opened, lines keep going to the old file, rotated
 * or not: that loses less than writing nowhere.
 */
int
transcript_reopen(void)
{
	int fd;

	if (transcript_path == NULL)
		return 0;
	if ((fd = open_file(transcript_path)) == -1)
		return -1;
	if (transcript_fd != -1)
		close(transcript_fd);
	transcript_fd = fd;
	transcript_failing = 0;
	return 0;
}

void
transcript_close(void)
{
	if (transcript_fd != -1)
		close(transcript_fd);
	transcript_fd = -1;
	free(transcript_path);
	transcript_path = NULL;
	transcript_failing = 0;
}

/*
 * A CR is escaped as well: text reaching here has none, but a bare CR
 * would still break the line for many readers.
 */
int
transcript_escape(struct buf *b, const char *s)
{
	const char *run;

	for (run = s; *s != '\0'; s++) {
		if (*s != '\\' && *s != '\t' && *s != '\n' && *s != '\r')
			continue;
		buf_add(b, run, (size_t)(s - run));
		buf_addc(b, '\\');
		buf_addc(b, *s == '\t' ? 't' : *s == '\n' ? 'n' :
		    *s == '\r' ? 'r' : '\\');
		run = s + 1;
	}
	return buf_add(b, run, (size_t)(s - run));
}

/* Builds one whole line of the transcript in b.  0 or -1. */
static int
format_line(struct buf *b, time_t when, const char *room, const char *nick,
    const char *kind, const char *text)
{
	const char *field[4];
	char stamp[TRANSCRIPT_TIME_BYTES];
	struct tm tm;
	size_t i;

	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	field[0] = room;
	field[1] = nick;
	field[2] = kind;
	field[3] = text;
	buf_adds(b, stamp);
	for (i = 0; i < 4; i++) {
		buf_addc(b, '\t');
		transcript_escape(b, field[i] != NULL ? field[i] : "");
	}
	buf_addc(b, '\n');
	return b->failed ? -1 : 0;
}

/* Logs the first failure of a run of them, not every line that is lost. */
static int
write_failed(const char *why)
{
	if (!transcript_failing)
		log_warnx("%s: %s; transcript lines are being lost",
		    transcript_path, why);
	transcript_failing = 1;
	return -1;
}

/*
 * One write() of a whole line: with O_APPEND it lands in one piece after
 * whatever else is in the file.  A short write is reported, not finished,
 * since a second write would no longer be atomic either.
 */
int
transcript_write(time_t when, const char *room, const char *nick,
    const char *kind, const char *text)
{
	struct buf b;
	ssize_t n;
	int rv = 0;

	if (transcript_fd == -1)
		return 0;
	buf_init(&b);
	if (format_line(&b, when, room, nick, kind, text) == -1) {
		buf_free(&b);
		return write_failed("cannot format a line");
	}
	while ((n = write(transcript_fd, b.data, b.len)) == -1 &&
	    errno == EINTR)
		;
	if (n == -1)
		rv = write_failed(strerror(errno));
	else if ((size_t)n != b.len)
		rv = write_failed("short write");
	else if (transcript_failing) {
		log_info("%s: writing again", transcript_path);
		transcript_failing = 0;
	}
	buf_free(&b);
	return rv;
}
