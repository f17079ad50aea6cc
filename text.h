/* text.h: UTF-8 and the rules for names, rooms, messages and colours. */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_NAME_MIN		2	/* code points */
#define TEXT_NAME_MAX		20	/* code points */
#define TEXT_NAME_BYTES		(TEXT_NAME_MAX * 4 + 1)
#define TEXT_ROOM_MAX		24	/* ASCII characters */
#define TEXT_ROOM_BYTES		(TEXT_ROOM_MAX + 1)
#define TEXT_COLOR_BYTES	8	/* "#rrggbb" or a name, NUL-terminated */
#define TEXT_MESSAGE_DEFAULT	300	/* code points, -m */
#define TEXT_LOG_BYTES		256	/* user text in one log line, escaped */

/* The rules in words, for the pages and notices that refuse a value. */
#define TEXT_NAME_RULE	"Names are 2 to 20 letters, digits, - or _."
#define TEXT_ROOM_RULE \
	"Room names are 1 to 24 letters, digits, - or _ (ASCII)."
#define TEXT_COLOR_RULE	\
	"Colours are #rgb, #rrggbb or one of the 16 HTML colour names."

enum text_verdict {
	TEXT_OK = 0,
	TEXT_EMPTY,		/* nothing but white space */
	TEXT_TOO_LONG,
	TEXT_BAD_UTF8,
	TEXT_CONTROL		/* a C0 or C1 control character */
};

/*
 * Selects a UTF-8 LC_CTYPE locale so that iswalpha() and towlower() know
 * non-ASCII letters.  Returns 0, or -1 if none was found (then only ASCII
 * letters are letters).
 */
int	text_locale_init(void);

/*
 * Decodes one code point from s (n bytes available), strictly: no overlong
 * forms, no surrogates, nothing above U+10FFFF.  Returns its length in
 * bytes (1-4) and stores it in *cp, or -1 if the bytes are not UTF-8.
 */
int	text_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Encodes cp into out (4 bytes of room); returns the length. */
int	text_utf8_encode(uint32_t cp, char *out);

/* 1 if cp may stand in a name: a letter, an ASCII digit, '-' or '_'. */
int	text_name_char(uint32_t cp);

/* 1 if s is a valid nick: 2-20 code points, letters, digits, '-', '_'. */
int	text_valid_name(const char *s);

/*
 * Writes the case-folded form of a valid name into out (TEXT_NAME_BYTES),
 * the key under which names are unique.  Returns 0, or -1 if s is invalid.
 */
int	text_fold_name(const char *s, char *out);

/* 1 if s is a valid room name: 1-24 ASCII letters, digits, '-', '_'. */
int	text_valid_room(const char *s);

/* Writes the lower-case form of a valid room name into out (TEXT_ROOM_BYTES). */
int	text_fold_room(const char *s, char *out);

/*
 * Cleans a message in place: drops CR, turns tab into a space, then checks
 * it is valid UTF-8 with no other C0 control but LF and no C1 control, not
 * only white space, and at most max_cp code points.  *len is updated;
 * s stays NUL-terminated.
 */
enum text_verdict text_clean_message(char *s, size_t *len, size_t max_cp);

/* A user-readable reason for a verdict ("the message is empty"). */
const char *text_verdict_reason(enum text_verdict);

/*
 * Validates a colour: "#rgb", "#rrggbb" (hex, either case) or one of the 16
 * HTML basic colour names (any case).  Writes its canonical form (lower
 * case) into out (TEXT_COLOR_BYTES) and returns 0, or returns -1.
 */
int	text_color(const char *s, char *out);

/*
 * Writes s into out (size bytes, NUL-terminated) fit for one log line:
 * a backslash as \\, LF, CR and tab as \n, \r, \t, other C0 controls,
 * DEL, C1 controls and bytes that are not UTF-8 as \xHH, bidirectional
 * controls as \uHHHH.  Longer text is cut at a whole character or escape
 * and ends in "...".  Returns out.
 */
char	*text_log_safe(const char *s, char *out, size_t size);

/*
 * Finds the next word in [*s, end) that is a valid name (a whole run of
 * name characters: "x-bob" is one word, not "bob"), copies it into word
 * (TEXT_NAME_BYTES) and moves *s past it.  Returns 1, or 0 when no name
 * is left.  A line mentions the users its names belong to.
 */
int	text_next_name(const char **s, const char *end, char *word);

/*
 * FNV-1a of a string from a starting value (0, or a random seed where
 * someone could pick keys that share a hash chain): for hash tables.
 */
unsigned text_hash(const char *s, unsigned seed);

#endif
