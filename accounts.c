/* accounts.c: registered accounts, kept in a file that survives crashes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "buf.h"
#include "log.h"

/*
 * XSI puts crypt() in <unistd.h>, but glibc declares it there only under
 * _DEFAULT_SOURCE, which -D_XOPEN_SOURCE=700 turns off.  This is the XSI
 * prototype, so it agrees with every libc that does declare it.
 */
char	*crypt(const char *, const char *);

#define ACCOUNTS_SALT_MAX	16	/* random salt characters */

/*
 * One line of the file: an account, or a line kept as it was read (blank,
 * comment or malformed) so that a save writes it back where it stood.
 * Accounts are allocated one by one: a pointer from accounts_find() stays
 * good while others are added, and across a reload that keeps the name.
 */
struct entry {
	struct account	*acct;	/* NULL for a kept line */
	char		*raw;
	size_t		 rawlen;
};

struct table {
	struct entry	*v;
	size_t		 n;
	size_t		 cap;
};

struct method {
	const char	*name;
	const char	*prefix;	/* how its hashes start */
	const char	*setting;	/* what goes before the salt */
	size_t		 saltlen;
};

/* Strongest first; the first one this crypt() really handles wins. */
static const struct method methods[] = {
	{ "yescrypt", "$y$", "$y$j9T$", 16 },	/* libxcrypt's default cost */
	{ "SHA-512", "$6$", "$6$", 16 },
	{ "SHA-256", "$5$", "$5$", 16 },
	{ "MD5", "$1$", "$1$", 8 },		/* reads no more than 8 */
	{ "DES", "", "", 2 }
};

static const char saltchars[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char			*accounts_path;	/* NULL: memory only */
static struct table		 accounts;
static const struct method	*method;
static int			 method_probed;

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].acct);
		free(t->v[i].raw);
	}
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* Appends an entry; the table owns acct and raw from then on.  0 or -1. */
static int
table_push(struct table *t, struct account *acct, char *raw, size_t rawlen)
{
	struct entry *v;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 32;
		if ((v = realloc(t->v, cap * sizeof *v)) == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].acct = acct;
	t->v[t->n].raw = raw;
	t->v[t->n].rawlen = rawlen;
	t->n++;
	return 0;
}

static struct account *
table_find(const struct table *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].acct != NULL && strcmp(t->v[i].acct->key, key) == 0)
			return t->v[i].acct;
	return NULL;
}

/* Copies src into dst of size bytes; -1 if it does not fit. */
static int
copy_string(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

/* Fills a from fields split at ':'; NULL, or why the fields are wrong. */
static const char *
parse_fields(char *field[4], struct account *a)
{
	if (!text_valid_name(field[0]) ||
	    copy_string(a->name, sizeof a->name, field[0]) == -1 ||
	    text_fold_name(field[0], a->key) == -1)
		return "invalid name";
	if (field[1][0] == '\0')
		return "empty password hash";
	if (copy_string(a->hash, sizeof a->hash, field[1]) == -1)
		return "password hash too long";
	if (strcmp(field[2], "user") == 0)
		a->admin = 0;
	else if (strcmp(field[2], "admin") == 0)
		a->admin = 1;
	else
		return "unknown role";
	if (field[3][0] == '\0')
		a->color[0] = '\0';
	else if (text_color(field[3], a->color) == -1)
		return "invalid colour";
	return NULL;
}

/* Parses one line without its newline; NULL, or why it is malformed. */
static const char *
parse_line(const char *line, size_t len, struct account *a)
{
	char copy[ACCOUNTS_LINE_MAX + 1], *field[4], *p;
	size_t n;

	if (len > ACCOUNTS_LINE_MAX)
		return "line too long";
	if (memchr(line, '\0', len) != NULL)
		return "NUL byte in line";
	memcpy(copy, line, len);
	copy[len] = '\0';
	field[0] = p = copy;
	for (n = 1; (p = strchr(p, ':')) != NULL; n++) {
		if (n == 4)
			return "more than 4 fields";
		*p++ = '\0';
		field[n] = p;
	}
	if (n != 4)
		return "fewer than 4 fields";
	return parse_fields(field, a);
}

/* Adds a line that is not an account, as it is.  0 or -1. */
static int
keep_line(struct table *t, const char *line, size_t len)
{
	char *raw;

	if ((raw = malloc(len + 1)) == NULL)
		return -1;
	memcpy(raw, line, len);
	raw[len] = '\0';
	if (table_push(t, NULL, raw, len) == -1) {
		free(raw);
		return -1;
	}
	return 0;
}

static int
add_account(struct table *t, const struct account *a)
{
	struct account *copy;

	if ((copy = malloc(sizeof *copy)) == NULL)
		return -1;
	*copy = *a;
	if (table_push(t, copy, NULL, 0) == -1) {
		free(copy);
		return -1;
	}
	return 0;
}

/*
 * Adds one line of the file to t.  The reason a line is refused is logged,
 * never the line itself: it holds a password hash.  0, or -1 without memory.
 */
static int
add_line(struct table *t, const char *path, unsigned long lineno,
    const char *line, size_t len)
{
	struct account a;
	const char *why;

	if (len == 0 || line[0] == '#')
		return keep_line(t, line, len);
	memset(&a, 0, sizeof a);
	why = parse_line(line, len, &a);
	if (why == NULL && table_find(t, a.key) != NULL)
		why = "duplicate name";
	if (why == NULL)
		return add_account(t, &a);
	log_warnx("%s:%lu: %s; line skipped, kept in the file", path, lineno,
	    why);
	return keep_line(t, line, len);
}

/* Reads the whole file into b; a missing file is an empty one.  0 or -1. */
static int
read_file(const char *path, struct buf *b)
{
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s", path);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("%s", path);
			close(fd);
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	if (b->failed) {
		log_warnx("%s: out of memory", path);
		return -1;
	}
	return 0;
}

/* Adds every line of data to t.  0, or -1 (logged) with t empty. */
static int
parse_file(struct table *t, const char *path, const char *data, size_t len)
{
	const char *line, *end = data + len, *nl;
	unsigned long lineno = 0;
	size_t n;

	for (line = data; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		n = (size_t)(nl - line);
		if (add_line(t, path, ++lineno, line, n) == -1) {
			log_warnx("%s: out of memory", path);
			table_free(t);
			return -1;
		}
	}
	return 0;
}

/* Fills the empty table t from the file.  0, or -1 (logged) with t empty. */
static int
load(const char *path, struct table *t)
{
	struct buf b;
	int rv;

	buf_init(&b);
	rv = read_file(path, &b);
	if (rv == 0 && b.len > 0)
		rv = parse_file(t, path, b.data, b.len);
	buf_free(&b);
	return rv;
}

/*
 * Lets the accounts of fresh that old also had keep their old address, so
 * a pointer the caller holds survives a reload; old keeps the rest.
 */
static void
adopt(struct table *fresh, struct table *old)
{
	struct account *a, *b;
	size_t i, j;

	for (i = 0; i < fresh->n; i++) {
		if ((a = fresh->v[i].acct) == NULL)
			continue;
		for (j = 0; j < old->n; j++) {
			b = old->v[j].acct;
			if (b != NULL && strcmp(b->key, a->key) == 0)
				break;
		}
		if (j == old->n)
			continue;
		*b = *a;
		free(a);
		fresh->v[i].acct = b;
		old->v[j].acct = NULL;
	}
}

static void
format_table(const struct table *t, struct buf *b)
{
	const struct account *a;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if ((a = t->v[i].acct) == NULL)
			buf_add(b, t->v[i].raw, t->v[i].rawlen);
		else
			buf_printf(b, "%s:%s:%s:%s", a->name, a->hash,
			    a->admin ? "admin" : "user", a->color);
		buf_addc(b, '\n');
	}
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes data to a new file tmp and syncs it.  0, or -1 with tmp gone. */
static int
write_temp(const char *tmp, const char *data, size_t len)
{
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		log_warn("%s", tmp);
		return -1;
	}
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		log_warn("%s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		log_warn("%s", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Syncs the directory of path so the rename itself is on disk.  A file
 * system that cannot sync a directory (EINVAL) is as safe as it gets.
 */
static int
sync_dir(const char *path)
{
	const char *slash;
	char *dir;
	int fd, rv = 0;

	if ((slash = strrchr(path, '/')) == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else if ((dir = malloc((size_t)(slash - path) + 1)) != NULL) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	if (dir == NULL) {
		log_warn("%s", path);
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("%s", dir);
		rv = -1;
	} else {
		if (fsync(fd) == -1 && errno != EINVAL) {
			log_warn("%s", dir);
			rv = -1;
		}
		close(fd);
	}
	free(dir);
	return rv;
}

/*
 * Replaces the file by the table so that a crash at any moment leaves
 * either the old file or the new one: write a temporary file beside it,
 * fsync it, rename it over the old one, fsync the directory.  0, or -1
 * (logged).  Memory only: 0 at once.
 *
 * If only the directory cannot be synced, the new file is in place but
 * might not outlive a crash, so the change still counts as failed: the
 * caller rolls memory back and the next save rewrites the file from it.
 */
static int
save(void)
{
	struct buf b;
	char *tmp = NULL;
	size_t len;
	int rv = -1;

	if (accounts_path == NULL)
		return 0;
	buf_init(&b);
	format_table(&accounts, &b);
	len = strlen(accounts_path);
	if (b.failed || (tmp = malloc(len + sizeof ".tmp")) == NULL) {
		log_warnx("%s: out of memory", accounts_path);
		goto done;
	}
	memcpy(tmp, accounts_path, len);
	memcpy(tmp + len, ".tmp", sizeof ".tmp");
	if (write_temp(tmp, b.data, b.len) == -1)
		goto done;
	if (rename(tmp, accounts_path) == -1) {
		log_warn("rename %s to %s", tmp, accounts_path);
		unlink(tmp);
		goto done;
	}
	rv = sync_dir(accounts_path);
done:
	free(tmp);
	buf_free(&b);
	return rv;
}

/* 1 if crypt() gave a hash of method m that fits in a line of the file. */
static int
hash_ok(const char *h, const struct method *m)
{
	size_t len;

	if (h == NULL || h[0] == '*' ||
	    strncmp(h, m->prefix, strlen(m->prefix)) != 0)
		return 0;
	len = strlen(h);
	return len > m->saltlen && len < ACCOUNTS_HASH_BYTES &&
	    strcspn(h, ":\n") == len;
}

/* 1 if crypt() makes a usable hash with m and checks a password with it. */
static int
method_works(const struct method *m)
{
	char setting[64], hash[ACCOUNTS_HASH_BYTES];
	const char *h;

	snprintf(setting, sizeof setting, "%s%.*s", m->setting,
	    (int)m->saltlen, "chatdProbeSalt.0");
	h = crypt("probe", setting);
	if (!hash_ok(h, m))
		return 0;
	memcpy(hash, h, strlen(h) + 1);
	h = crypt("probe", hash);
	return h != NULL && strcmp(h, hash) == 0;
}

/* The strongest method crypt() supports, found on first use; or NULL. */
static const struct method *
probe_method(void)
{
	size_t i;

	if (method_probed)
		return method;
	method_probed = 1;
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		if (method_works(&methods[i]))
			return method = &methods[i];
	}
	log_warnx("accounts: crypt() supports no known method");
	return NULL;
}

/* Fills out with n random salt characters and a NUL.  0 or -1 (logged). */
static int
random_salt(char *out, size_t n)
{
	unsigned char r[ACCOUNTS_SALT_MAX];
	size_t i;
	ssize_t got;
	int fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("/dev/urandom");
		return -1;
	}
	for (i = 0; i < n; i += (size_t)got) {
		while ((got = read(fd, r + i, n - i)) == -1 && errno == EINTR)
			;
		if (got <= 0) {
			log_warn("/dev/urandom");
			close(fd);
			return -1;
		}
	}
	close(fd);
	/* 64 characters: six bits of each byte, no bias. */
	for (i = 0; i < n; i++)
		out[i] = saltchars[r[i] & 63];
	out[n] = '\0';
	return 0;
}

/* Hashes password under a fresh salt into out.  0 or -1 (logged). */
static int
make_hash(const char *password, char out[ACCOUNTS_HASH_BYTES])
{
	const struct method *m;
	char salt[ACCOUNTS_SALT_MAX + 1], setting[64];
	const char *h;

	if ((m = probe_method()) == NULL || random_salt(salt, m->saltlen) == -1)
		return -1;
	snprintf(setting, sizeof setting, "%s%s", m->setting, salt);
	h = crypt(password, setting);
	if (!hash_ok(h, m)) {
		log_warnx("accounts: crypt() failed with %s", m->name);
		return -1;
	}
	memcpy(out, h, strlen(h) + 1);
	return 0;
}

static int
password_ok(const char *pw)
{
	return pw != NULL && pw[0] != '\0' &&
	    strlen(pw) <= ACCOUNTS_PASSWORD_MAX;
}

/* Compares two hashes in a time that does not tell where they differ. */
static int
same_hash(const char *a, const char *b)
{
	size_t len = strlen(a), i;
	unsigned char d = 0;

	if (strlen(b) != len)
		return 0;
	for (i = 0; i < len; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

static enum accounts_result
check_password(const struct account *a, const char *password)
{
	const char *h;

	if (!password_ok(password))
		return ACCOUNTS_BAD_PASSWORD;
	if ((h = crypt(password, a->hash)) == NULL || h[0] == '*') {
		/* "*..." or "!..." in the file is a locked account. */
		if (a->hash[0] != '*' && a->hash[0] != '!')
			log_warnx("accounts: crypt() cannot check the "
			    "password of %s", a->name);
		return ACCOUNTS_BAD_PASSWORD;
	}
	return same_hash(h, a->hash) ? ACCOUNTS_DONE : ACCOUNTS_BAD_PASSWORD;
}

static struct account *
find(const char *name)
{
	char key[TEXT_NAME_BYTES];

	if (name == NULL || text_fold_name(name, key) == -1)
		return NULL;
	return table_find(&accounts, key);
}

int
accounts_open(const char *path)
{
	accounts_close();
	if (path == NULL)
		return 0;
	if ((accounts_path = strdup(path)) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	if (load(accounts_path, &accounts) == -1) {
		accounts_close();
		return -1;
	}
	return 0;
}

int
accounts_reload(void)
{
	struct table fresh = { NULL, 0, 0 };

	if (accounts_path == NULL)
		return 0;
	if (load(accounts_path, &fresh) == -1) {
		log_warnx("%s: not reloaded, the accounts in memory stay",
		    accounts_path);
		return -1;
	}
	adopt(&fresh, &accounts);
	table_free(&accounts);
	accounts = fresh;
	return 0;
}

void
accounts_close(void)
{
	table_free(&accounts);
	free(accounts_path);
	accounts_path = NULL;
}

const struct account *
accounts_find(const char *name)
{
	return find(name);
}

/*
 * An invalid name has no result of its own; it is refused as a failure
 * that changed nothing rather than written into the file.
 */
enum accounts_result
accounts_register(const char *name, const char *password)
{
	struct account a;

	memset(&a, 0, sizeof a);
	if (name == NULL || text_fold_name(name, a.key) == -1 ||
	    copy_string(a.name, sizeof a.name, name) == -1) {
		log_warnx("accounts: refusing to register an invalid name");
		return ACCOUNTS_IO_ERROR;
	}
	if (table_find(&accounts, a.key) != NULL)
		return ACCOUNTS_EXISTS;
	if (!password_ok(password))
		return ACCOUNTS_BAD_PASSWORD;
	if (make_hash(password, a.hash) == -1)
		return ACCOUNTS_IO_ERROR;
	if (add_account(&accounts, &a) == -1) {
		log_warnx("accounts: out of memory");
		return ACCOUNTS_IO_ERROR;
	}
	if (save() == -1) {
		accounts.n--;
		free(accounts.v[accounts.n].acct);
		return ACCOUNTS_IO_ERROR;
	}
	return ACCOUNTS_DONE;
}

enum accounts_result
accounts_verify(const char *name, const char *password)
{
	const struct account *a;

	if ((a = find(name)) == NULL)
		return ACCOUNTS_UNKNOWN;
	return check_password(a, password);
}

enum accounts_result
accounts_set_password(const char *name, const char *old, const char *new)
{
	struct account *a;
	enum accounts_result r;
	char hash[ACCOUNTS_HASH_BYTES], saved[ACCOUNTS_HASH_BYTES];

	if ((a = find(name)) == NULL)
		return ACCOUNTS_UNKNOWN;
	if ((r = check_password(a, old)) != ACCOUNTS_DONE)
		return r;
	if (!password_ok(new))
		return ACCOUNTS_BAD_PASSWORD;
	if (make_hash(new, hash) == -1)
		return ACCOUNTS_IO_ERROR;
	memcpy(saved, a->hash, sizeof saved);
	memcpy(a->hash, hash, sizeof a->hash);
	if (save() == -1) {
		memcpy(a->hash, saved, sizeof a->hash);
		return ACCOUNTS_IO_ERROR;
	}
	return ACCOUNTS_DONE;
}

/*
 * "" clears the colour.  Anything text_color() refuses would make the line
 * malformed, so it is refused as a failure that changed nothing.
 */
enum accounts_result
accounts_set_color(const char *name, const char *color)
{
	struct account *a;
	char canon[TEXT_COLOR_BYTES], saved[TEXT_COLOR_BYTES];

	if ((a = find(name)) == NULL)
		return ACCOUNTS_UNKNOWN;
	if (color == NULL || color[0] == '\0')
		canon[0] = '\0';
	else if (text_color(color, canon) == -1) {
		log_warnx("accounts: refusing an invalid colour for %s",
		    a->name);
		return ACCOUNTS_IO_ERROR;
	}
	if (strcmp(canon, a->color) == 0)
		return ACCOUNTS_DONE;
	memcpy(saved, a->color, sizeof saved);
	memcpy(a->color, canon, sizeof a->color);
	if (save() == -1) {
		memcpy(a->color, saved, sizeof a->color);
		return ACCOUNTS_IO_ERROR;
	}
	return ACCOUNTS_DONE;
}

const char *
accounts_method(void)
{
	const struct method *m;

	return (m = probe_method()) != NULL ? m->prefix : "";
}
