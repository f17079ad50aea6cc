/* json_decode.c: a strict JSON checker and string decoder for tests. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json_decode.h"

struct jd {
	const unsigned char	*s;
	size_t			 n;
	size_t			 i;
	int			 flags;
	char			*out;	/* NULL: decode nothing */
	size_t			 olen;
};

static int	jd_value(struct jd *, int);

/*
 * Whether some code point of a `len`-byte UTF-8 form begins with the m
 * bytes at s (lead, then continuation bytes).  The values such a prefix
 * can reach form one interval; it must meet the code points that take
 * exactly `len` bytes somewhere outside the surrogates.
 */
static int
jd_viable(const unsigned char *s, size_t m, size_t len)
{
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	static const unsigned char lead_bits[] = { 0, 0, 0x1f, 0x0f, 0x07 };
	uint32_t lo, hi;
	size_t k;

	lo = hi = s[0] & lead_bits[len];
	for (k = 1; k < len; k++) {
		lo = lo << 6 | (k < m ? (s[k] & 0x3fu) : 0);
		hi = hi << 6 | (k < m ? (s[k] & 0x3fu) : 0x3f);
	}
	if (lo < least[len])
		lo = least[len];
	if (hi > 0x10ffff)
		hi = 0x10ffff;
	if (lo > hi)
		return 0;
	return lo < 0xd800 || hi > 0xdfff;
}

/*
 * Reads the sequence at s (n > 0 bytes): returns how many bytes belong to
 * it (the whole form, or its longest viable prefix, at least 1) and sets
 * *whole, with the code point in *cp, when they make a valid form.
 */
static size_t
jd_seq(const unsigned char *s, size_t n, uint32_t *cp, int *whole)
{
	size_t len, k, j;
	uint32_t c;

	*whole = 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		*whole = 1;
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4;
	else
		return 1;
	if (!jd_viable(s, 1, len))
		return 1;
	for (k = 1; k < len && k < n && (s[k] & 0xc0) == 0x80 &&
	    jd_viable(s, k + 1, len); k++)
		;
	if (k < len)
		return k;
	c = s[0] & (0x7f >> len);
	for (j = 1; j < len; j++)
		c = c << 6 | (s[j] & 0x3f);
	*cp = c;
	*whole = 1;
	return len;
}

size_t
jd_mend(const char *s, size_t n, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k, o;
	uint32_t cp;
	int whole;

	for (i = o = 0; i < n; i += k) {
		k = jd_seq(p + i, n - i, &cp, &whole);
		if (whole) {
			memcpy(out + o, s + i, k);
			o += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		}
	}
	return o;
}

int
jd_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k;
	uint32_t cp;
	int whole;

	for (i = 0; i < n; i += k) {
		k = jd_seq(p + i, n - i, &cp, &whole);
		if (!whole)
			return 0;
	}
	return 1;
}

static void
jd_ws(struct jd *d)
{
	while (d->i < d->n && (d->s[d->i] == ' ' || d->s[d->i] == '\t' ||
	    d->s[d->i] == '\n' || d->s[d->i] == '\r'))
		d->i++;
}

static int
jd_lit(struct jd *d, const char *lit)
{
	size_t len = strlen(lit);

	if (d->n - d->i < len || memcmp(d->s + d->i, lit, len) != 0)
		return -1;
	d->i += len;
	return 0;
}

static int
jd_digits(struct jd *d)
{
	size_t start = d->i;

	while (d->i < d->n && d->s[d->i] >= '0' && d->s[d->i] <= '9')
		d->i++;
	return d->i > start ? 0 : -1;
}

static int
jd_number(struct jd *d)
{
	if (d->i < d->n && d->s[d->i] == '-')
		d->i++;
	if (d->i < d->n && d->s[d->i] == '0')
		d->i++;
	else if (jd_digits(d) == -1)
		return -1;
	if (d->i < d->n && d->s[d->i] == '.') {
		d->i++;
		if (jd_digits(d) == -1)
			return -1;
	}
	if (d->i < d->n && (d->s[d->i] == 'e' || d->s[d->i] == 'E')) {
		d->i++;
		if (d->i < d->n && (d->s[d->i] == '+' || d->s[d->i] == '-'))
			d->i++;
		if (jd_digits(d) == -1)
			return -1;
	}
	return 0;
}

/* Four hex digits; JD_CHATD wants them in lower case. */
static int
jd_hex4(struct jd *d, uint32_t *v)
{
	unsigned char c;
	int k;

	if (d->n - d->i < 4)
		return -1;
	*v = 0;
	for (k = 0; k < 4; k++) {
		c = d->s[d->i++];
		if (c >= '0' && c <= '9')
			*v = *v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v = *v << 4 | (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F' && !(d->flags & JD_CHATD))
			*v = *v << 4 | (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Whether JD_CHATD allows cp as a \u escape. */
static int
jd_chatd_u(uint32_t cp)
{
	if (cp == 0x7f || cp == 0x2028 || cp == 0x2029)
		return 1;
	if (cp == 0)
		return 1;
	return cp < 0x20 && strchr("\b\t\n\f\r", (int)cp) == NULL;
}

static void
jd_put(struct jd *d, int top, uint32_t cp)
{
	unsigned char *o;

	if (!top || d->out == NULL)
		return;
	o = (unsigned char *)d->out + d->olen;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		d->olen += 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		d->olen += 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		d->olen += 3;
	} else {
		o[0] = (unsigned char)(0xf0 | cp >> 18);
		o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[3] = (unsigned char)(0x80 | (cp & 0x3f));
		d->olen += 4;
	}
}

static int
jd_escape(struct jd *d, int top)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p;
	uint32_t cp, lo;
	unsigned char c;

	if (d->i >= d->n)
		return -1;
	c = d->s[d->i++];
	if (c != 'u') {
		if (c == '\0' || (p = strchr(from, c)) == NULL)
			return -1;
		if (c == '/' && (d->flags & JD_CHATD))
			return -1;
		jd_put(d, top, (unsigned char)to[p - from]);
		return 0;
	}
	if (jd_hex4(d, &cp) == -1)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -1;		/* a low surrogate alone */
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (jd_lit(d, "\\u") == -1 || jd_hex4(d, &lo) == -1 ||
		    lo < 0xdc00 || lo > 0xdfff)
			return -1;	/* a high surrogate alone */
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if ((d->flags & JD_CHATD) && !jd_chatd_u(cp))
		return -1;
	jd_put(d, top, cp);
	return 0;
}

static int
jd_string(struct jd *d, int top)
{
	uint32_t cp;
	size_t k;
	int whole;

	if (jd_lit(d, "\"") == -1)
		return -1;
	for (;;) {
		if (d->i >= d->n)
			return -1;
		if (d->s[d->i] == '"') {
			d->i++;
			return 0;
		}
		if (d->s[d->i] == '\\') {
			d->i++;
			if (jd_escape(d, top) == -1)
				return -1;
			continue;
		}
		k = jd_seq(d->s + d->i, d->n - d->i, &cp, &whole);
		if (!whole || cp < 0x20)
			return -1;
		if ((d->flags & JD_CHATD) &&
		    (cp == 0x7f || cp == 0x2028 || cp == 0x2029))
			return -1;
		d->i += k;
		jd_put(d, top, cp);
	}
}

static int
jd_object(struct jd *d, int depth)
{
	d->i++;
	jd_ws(d);
	if (d->i < d->n && d->s[d->i] == '}') {
		d->i++;
		return 0;
	}
	for (;;) {
		jd_ws(d);
		if (jd_string(d, 0) == -1)
			return -1;
		jd_ws(d);
		if (jd_lit(d, ":") == -1 || jd_value(d, depth + 1) == -1)
			return -1;
		jd_ws(d);
		if (d->i >= d->n)
			return -1;
		if (d->s[d->i++] == '}')
			return 0;
		if (d->s[d->i - 1] != ',')
			return -1;
	}
}

static int
jd_array(struct jd *d, int depth)
{
	d->i++;
	jd_ws(d);
	if (d->i < d->n && d->s[d->i] == ']') {
		d->i++;
		return 0;
	}
	for (;;) {
		if (jd_value(d, depth + 1) == -1)
			return -1;
		jd_ws(d);
		if (d->i >= d->n)
			return -1;
		if (d->s[d->i++] == ']')
			return 0;
		if (d->s[d->i - 1] != ',')
			return -1;
	}
}

/* A value between optional white space; depth 0 is the whole text. */
static int
jd_value(struct jd *d, int depth)
{
	int r;

	jd_ws(d);
	if (d->i >= d->n)
		return -1;
	/* depth counts the containers around this value */
	if ((d->s[d->i] == '{' || d->s[d->i] == '[') && depth >= JD_DEPTH_MAX)
		return -1;
	switch (d->s[d->i]) {
	case '{':
		r = jd_object(d, depth);
		break;
	case '[':
		r = jd_array(d, depth);
		break;
	case '"':
		r = jd_string(d, depth == 0);
		break;
	case 't':
		r = jd_lit(d, "true");
		break;
	case 'f':
		r = jd_lit(d, "false");
		break;
	case 'n':
		r = jd_lit(d, "null");
		break;
	default:
		r = jd_number(d);
		break;
	}
	jd_ws(d);
	return r;
}

int
jd_parse(const char *in, size_t n, int flags, char *out, size_t *outlen)
{
	struct jd d;

	d.s = (const unsigned char *)in;
	d.n = n;
	d.i = 0;
	d.flags = flags;
	d.out = out;
	d.olen = 0;
	if (jd_value(&d, 0) == -1 || d.i != n)
		return -1;
	if (outlen != NULL)
		*outlen = d.olen;
	return 0;
}
