/* buf.h: growable byte buffers for building pages, fragments and files. */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A buffer that grows as it is written.  After a failed allocation every
 * later write is a no-op and `failed` stays set, so a caller can build a
 * whole page and check for failure once at the end.
 */
struct buf {
	char	*data;		/* NUL-terminated when len > 0 */
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

void	buf_init(struct buf *);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);	/* empties it, keeps the memory */
/* The contents as a C string: "" when nothing was written. */
const char *buf_str(const struct buf *);

int	buf_add(struct buf *, const void *, size_t);
int	buf_adds(struct buf *, const char *);
int	buf_addc(struct buf *, char);
int	buf_vprintf(struct buf *, const char *, va_list);
int	buf_printf(struct buf *, const char *, ...)
#if defined(__GNUC__) || defined(__clang__)
	    __attribute__((format(printf, 2, 3)))
#endif
	    ;

#endif
