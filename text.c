/* text.c: UTF-8 and the rules for names, rooms, messages and colours. */
#include <langinfo.h>
#include <locale.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "text.h"

/*
 * Set once text_locale_init() has found a UTF-8 LC_CTYPE.  Until then the
 * wide-character functions cannot be trusted with code points above
 * U+007F, so only ASCII letters count as letters.
 */
static int	utf8_locale;

static const char *const locales[] = {
	"C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8", ""
};

static const char *const color_names[] = {
	"black", "silver", "gray", "white", "maroon", "red", "purple",
	"fuchsia", "green", "lime", "olive", "yellow", "navy", "blue", "teal",
	"aqua"
};

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ascii_alnum(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* ASCII-only and case-insensitive, so the locale cannot change it. */
static int
ascii_caseeq(const char *a, const char *b)
{
	while (*a != '\0' && ascii_lower((unsigned char)*a) ==
	    ascii_lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

static int
codeset_is_utf8(void)
{
	const char *cs;

	cs = nl_langinfo(CODESET);
	return cs != NULL && (ascii_caseeq(cs, "UTF-8") ||
	    ascii_caseeq(cs, "utf8"));
}

int
text_locale_init(void)
{
	size_t i;

	for (i = 0; i < sizeof locales / sizeof locales[0]; i++) {
		if (setlocale(LC_CTYPE, locales[i]) != NULL &&
		    codeset_is_utf8()) {
			utf8_locale = 1;
			return 0;
		}
	}
	/* A half-chosen locale would classify bytes inconsistently. */
	setlocale(LC_CTYPE, "C");
	utf8_locale = 0;
	return -1;
}

/*
 * Reads a lead byte: the value bits it carries, the sequence length, and
 * the range allowed for the second byte.  Narrowing that range is what
 * refuses overlong forms (E0, F0), surrogates (ED) and values above
 * U+10FFFF (F4); C0, C1 and F5-FF can never start a sequence.
 */
static int
utf8_lead(unsigned char b, uint32_t *c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (b < 0xc2)
		return -1;
	if (b < 0xe0) {
		*c = b & 0x1f;
		return 2;
	}
	if (b < 0xf0) {
		*c = b & 0x0f;
		if (b == 0xe0)
			*lo = 0xa0;
		else if (b == 0xed)
			*hi = 0x9f;
		return 3;
	}
	if (b < 0xf5) {
		*c = b & 0x07;
		if (b == 0xf0)
			*lo = 0x90;
		else if (b == 0xf4)
			*hi = 0x8f;
		return 4;
	}
	return -1;
}

int
text_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo, hi;
	uint32_t c;
	int len, i;

	if (n == 0)
		return -1;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((len = utf8_lead(p[0], &c, &lo, &hi)) == -1 || n < (size_t)len)
		return -1;
	if (p[1] < lo || p[1] > hi)
		return -1;
	c = c << 6 | (p[1] & 0x3f);
	for (i = 2; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	*cp = c;
	return len;
}

/*
 * A surrogate or a value above U+10FFFF has no UTF-8 form; it is written
 * as U+FFFD so that the output is always valid.
 */
int
text_utf8_encode(uint32_t cp, char *out)
{
	unsigned char *p = (unsigned char *)out;

	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		p[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = 0xc0 | cp >> 6;
		p[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = 0xe0 | cp >> 12;
		p[1] = 0x80 | (cp >> 6 & 0x3f);
		p[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	p[0] = 0xf0 | cp >> 18;
	p[1] = 0x80 | (cp >> 12 & 0x3f);
	p[2] = 0x80 | (cp >> 6 & 0x3f);
	p[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/*
 * Relies on wchar_t holding the code point, which is so in UTF-8 locales
 * on glibc, musl, the BSDs and macOS.  A code point that does not fit a
 * narrow wchar_t is simply not a letter.
 */
static int
is_letter(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	if (!utf8_locale || cp > WCHAR_MAX)
		return 0;
	return iswalpha((wint_t)(wchar_t)cp) != 0;
}

/* Letters, ASCII digits, '-' and '_': what names are made of. */
int
text_name_char(uint32_t cp)
{
	return is_letter(cp) || (cp >= '0' && cp <= '9') || cp == '-' ||
	    cp == '_';
}

static uint32_t
fold_char(uint32_t cp)
{
	wint_t lc;

	if (cp < 0x80)
		return ascii_lower(cp);
	if (!utf8_locale || cp > WCHAR_MAX)
		return cp;
	lc = towlower((wint_t)(wchar_t)cp);
	/* Never trust the table to hand back something unencodable. */
	if (lc == WEOF || (uint32_t)lc > 0x10ffff ||
	    ((uint32_t)lc >= 0xd800 && (uint32_t)lc <= 0xdfff))
		return cp;
	return (uint32_t)lc;
}

int
text_valid_name(const char *s)
{
	size_t n, ncp;
	uint32_t cp;
	int len;

	if (s == NULL)
		return 0;
	n = strlen(s);
	for (ncp = 0; n > 0; ncp++) {
		if (ncp == TEXT_NAME_MAX)
			return 0;
		if ((len = text_utf8_decode(s, n, &cp)) == -1 ||
		    !text_name_char(cp))
			return 0;
		s += len;
		n -= len;
	}
	return ncp >= TEXT_NAME_MIN;
}

/* A valid name has at most 20 code points of 4 bytes: out cannot overflow. */
int
text_fold_name(const char *s, char *out)
{
	size_t n;
	uint32_t cp;
	int len;

	if (!text_valid_name(s))
		return -1;
	n = strlen(s);
	while (n > 0) {
		len = text_utf8_decode(s, n, &cp);
		s += len;
		n -= len;
		out += text_utf8_encode(fold_char(cp), out);
	}
	*out = '\0';
	return 0;
}

int
text_valid_room(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == TEXT_ROOM_MAX)
			return 0;
		if (!ascii_alnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	}
	return i > 0;
}

int
text_fold_room(const char *s, char *out)
{
	if (!text_valid_room(s))
		return -1;
	while (*s != '\0')
		*out++ = ascii_lower((unsigned char)*s++);
	*out = '\0';
	return 0;
}

/* C0 controls but LF, DEL, and the C1 controls U+0080-U+009F. */
static int
is_control(uint32_t cp)
{
	return (cp < 0x20 && cp != '\n') || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * The whole message is cleaned first, so *len and the NUL always agree
 * with the bytes left, whatever the verdict.  Then the verdict goes to the
 * first of these that holds: bytes that are not UTF-8 (no later test means
 * anything on them), a control character, nothing but spaces and newlines,
 * more than max_cp code points.  Length comes last because it is the only
 * fault that trimming the text would cure; a long run of blanks is still
 * empty, not too long.  Embedded NULs are controls: *len, not strlen(),
 * says where the message ends.
 */
enum text_verdict
text_clean_message(char *s, size_t *len, size_t max_cp)
{
	size_t r, w, ncp;
	uint32_t cp;
	int n, bad, control, blank;

	bad = control = 0;
	blank = 1;
	for (r = w = ncp = 0; r < *len; r += n) {
		if ((n = text_utf8_decode(s + r, *len - r, &cp)) == -1) {
			bad = 1;
			s[w++] = s[r];
			n = 1;
			continue;
		}
		if (cp == '\r')
			continue;
		if (cp == '\t')
			cp = ' ';
		if (is_control(cp))
			control = 1;
		else if (cp != ' ' && cp != '\n')
			blank = 0;
		if (n == 1)
			s[w] = (char)cp;
		else
			memmove(s + w, s + r, n);
		w += n;
		ncp++;
	}
	s[w] = '\0';
	*len = w;
	if (bad)
		return TEXT_BAD_UTF8;
	if (control)
		return TEXT_CONTROL;
	if (blank)
		return TEXT_EMPTY;
	return ncp > max_cp ? TEXT_TOO_LONG : TEXT_OK;
}

const char *
text_verdict_reason(enum text_verdict v)
{
	switch (v) {
	case TEXT_OK:
		return "the message is fine";
	case TEXT_EMPTY:
		return "the message is empty";
	case TEXT_TOO_LONG:
		return "the message is too long";
	case TEXT_BAD_UTF8:
		return "the message is not valid UTF-8";
	case TEXT_CONTROL:
		return "the message contains a control character";
	}
	return "the message is refused";
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
color_hex(const char *s, char *out)
{
	size_t i, n;

	n = strlen(s);
	if (n != sizeof "#rgb" - 1 && n != sizeof "#rrggbb" - 1)
		return -1;
	for (i = 1; i < n; i++)
		if (!is_hex((unsigned char)s[i]))
			return -1;
	for (i = 0; i <= n; i++)
		out[i] = ascii_lower((unsigned char)s[i]);
	return 0;
}

/* Names are written lower case, as the table has them. */
int
text_color(const char *s, char *out)
{
	size_t i;

	if (s == NULL)
		return -1;
	if (s[0] == '#')
		return color_hex(s, out);
	for (i = 0; i < sizeof color_names / sizeof color_names[0]; i++) {
		if (ascii_caseeq(s, color_names[i])) {
			strcpy(out, color_names[i]);
			return 0;
		}
	}
	return -1;
}

/* The marks that reorder text around them: LRM, RLM, ALM, embeddings, isolates. */
static int
is_bidi_control(uint32_t cp)
{
	return cp == 0x200e || cp == 0x200f || cp == 0x061c ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The log form of the character at s (n bytes left) in esc; its length in *len. */
static size_t
log_unit(const char *s, size_t n, char *esc, int *len)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t cp;

	if ((*len = text_utf8_decode(s, n, &cp)) == -1) {
		*len = 1;
		cp = (unsigned char)*s;
	} else if (cp == '\\' || cp == '\n' || cp == '\r' || cp == '\t') {
		esc[0] = '\\';
		esc[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' :
		    cp == '\t' ? 't' : '\\';
		return 2;
	} else if (is_bidi_control(cp)) {
		esc[0] = '\\', esc[1] = 'u', esc[2] = hex[cp >> 12];
		esc[3] = hex[cp >> 8 & 15], esc[4] = hex[cp >> 4 & 15];
		esc[5] = hex[cp & 15];
		return 6;
	} else if (!is_control(cp)) {
		memcpy(esc, s, (size_t)*len);
		return (size_t)*len;
	}
	esc[0] = '\\', esc[1] = 'x', esc[2] = hex[cp >> 4];
	esc[3] = hex[cp & 15];
	return 4;
}

char *
text_log_safe(const char *s, char *out, size_t size)
{
	char esc[sizeof "\\uhhhh"];	/* the longest form */
	size_t n, w = 0, total = 0, room, elen;
	const char *p;
	int len;

	if (size == 0)
		return out;
	for (p = s, n = strlen(s); n > 0; p += len, n -= (size_t)len)
		total += log_unit(p, n, esc, &len);
	/* Cut text leaves room for the dots after the last whole unit. */
	room = total <= size - 1 ? size - 1 : size - 1 < 3 ? 0 : size - 4;
	for (p = s, n = strlen(s); n > 0; p += len, n -= (size_t)len) {
		if (w + (elen = log_unit(p, n, esc, &len)) > room)
			break;
		memcpy(out + w, esc, elen);
		w += elen;
	}
	if (total > size - 1 && size - 1 >= 3) {
		memcpy(out + w, "...", 3);
		w += 3;
	}
	out[w] = '\0';
	return out;
}

int
text_next_name(const char **s, const char *end, char *word)
{
	const char *p = *s, *start;
	size_t len;
	uint32_t cp;
	int n;

	while (p < end) {
		start = p;
		while ((n = text_utf8_decode(p, (size_t)(end - p), &cp)) > 0 &&
		    text_name_char(cp))
			p += n;
		len = (size_t)(p - start);
		if (len == 0) {
			p += n > 0 ? n : 1;	/* a separator or a bad byte */
			continue;
		}
		if (len >= TEXT_NAME_BYTES)
			continue;
		memcpy(word, start, len);
		word[len] = '\0';
		if (text_valid_name(word)) {
			*s = p;
			return 1;
		}
	}
	*s = p;
	return 0;
}

unsigned
text_hash(const char *s, unsigned seed)
{
	unsigned h = 2166136261u ^ seed;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}
