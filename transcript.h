/* transcript.h: the -L file, one line per public event, written before broadcast. */
#ifndef TRANSCRIPT_H
#define TRANSCRIPT_H

#include <time.h>

#include "buf.h"

#define TRANSCRIPT_TIME_BYTES	sizeof "2026-11-21T22:24:00Z"
#define TRANSCRIPT_MODE		0640	/* a new transcript: no world access */

/* Opens (appends to) the transcript; path NULL means no transcript.  0 or -1. */
int	transcript_open(const char *path);

/* Reopens the same path after rotation (SIGHUP).  0 or -1 (logged). */
int	transcript_reopen(void);

void	transcript_close(void);

/*
 * Appends one line "TIME\tROOM\tNICK\tKIND\tTEXT\n" (TIME ISO-8601 UTC,
 * e.g. 2026-11-21T22:24:00Z) with one write(), so a line is never split.
 * Kind is msg, action, join, leave, kick, topic or nick.  Returns 0 (also
 * when there is no transcript) or -1 if the write failed (logged once).
 */
int	transcript_write(time_t when, const char *room, const char *nick,
	    const char *kind, const char *text);

/* Appends s with '\\', tab and newline written as "\\\\", "\\t", "\\n". */
int	transcript_escape(struct buf *, const char *s);

#endif
