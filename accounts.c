/* accounts.c: registered accounts, kept in a file that survives crashes. */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "buf.h"
#include "log.h"
#include "text.h"
#include "worker.h"

/*
 * XSI puts crypt() in <unistd.h>, but glibc declares it there only under
 * _DEFAULT_SOURCE, which -D_XOPEN_SOURCE=700 turns off.  This is the XSI
 * prototype, so it agrees with every libc that does declare it.
 */
char	*crypt(const char *, const char *);

#define ACCOUNTS_SALT_MAX	16	/* random salt characters */
#define ACCOUNTS_BUCKETS_MIN	64	/* hash buckets of an empty table */
#define ACCOUNTS_IOV_MAX	512	/* lines per writev() */

/*
 * An account and what only this file sees of it.  Nodes are allocated one
 * by one: a pointer from accounts_find() stays good while others are
 * added (a reload replaces them all).
 */
struct node {
	struct account	 a;		/* first: a pointer to it is one to the node */
	struct node	*hnext;		/* hash chain */
	size_t		 index;		/* its line in the table */
	int		 unsaved;	/* registered, its save still being written */
	unsigned	 seen;		/* -R: the mark of the last full reread it was in */
};

/*
 * One line of the file: an account, or a line kept as it was read (blank,
 * comment or malformed) so that a save writes it back where it stood.
 * The text ends in a newline and is never changed in place: a save hands
 * the helper thread pointers to it, and it is replaced only while no save
 * is being written.
 */
struct entry {
	struct node	*node;		/* NULL for a kept line */
	char		*line;
	size_t		 len;
};

struct table {
	struct entry	*v;
	size_t		 n, cap;
	struct node	**bucket;	/* by key; nbucket is a power of two */
	size_t		 nbucket;
	size_t		 naccounts;
};

enum change_kind { CHANGE_REGISTER, CHANGE_PASSWORD, CHANGE_COLOR };
enum change_state {
	CHANGE_HASHING, CHANGE_READY, CHANGE_SAVING,
	CHANGE_STORING		/* -R: handed to the store, waiting for it */
};

/*
 * A change waiting to be saved.  It is applied to the table when its save
 * starts and undone if the save fails; its caller hears the result once
 * the file is on disk.
 */
struct change {
	enum change_kind	 kind;
	enum change_state	 state;
	char			 name[TEXT_NAME_BYTES];
	char			 key[TEXT_NAME_BYTES];
	char			*hash;		/* new hash (register, password) */
	char			 color[TEXT_COLOR_BYTES];
	int			 counted;	/* in nregistering */
	accounts_done		*done;
	void			*arg;
	/* Undo, for a failed save. */
	struct node		*node;
	char			*old_hash;
	char			 old_color[TEXT_COLOR_BYTES];
	char			*old_line;
	size_t			 old_len;
	struct change		*next;
};

enum job_kind {
	JOB_CHECK, JOB_HASH, JOB_CHECK_HASH, JOB_SAVE, JOB_LOAD, JOB_FREE,
	JOB_NONE
};

/* Work for the helper thread; what run() writes, done() reads. */
struct job {
	struct worker_job	 w;		/* first */
	enum job_kind		 kind;
	char			 password[ACCOUNTS_PASSWORD_MAX + 1];
	char			 newpw[ACCOUNTS_PASSWORD_MAX + 1];
	char			 hash[ACCOUNTS_HASH_BYTES];	/* in: stored; out: new */
	enum accounts_result	 result;
	int			 err;		/* errno of a failed step */
	char			 what[64];	/* the failed step, for the log */
	accounts_done		*done;		/* JOB_CHECK, JOB_NONE */
	void			*arg;
	struct change		*change;	/* JOB_HASH, JOB_CHECK_HASH; batch of JOB_SAVE */
	char			*path, *tmp;	/* JOB_SAVE; path NULL: memory only */
	struct iovec		*iov;
	size_t			 niov;
	struct table		 table;		/* JOB_LOAD: read; JOB_FREE: to free */
	struct buf		 notes;		/* JOB_LOAD: warnings for the log */
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
static const char		*temp_suffix = ".tmp";
static struct table		 accounts;
static struct change		*changes, **changes_tail = &changes;
static int			 nregistering;	/* CHANGE_REGISTER in changes */
static int			 saving;	/* a JOB_SAVE is out */
static int			 loading;	/* a JOB_LOAD is out */
static int			 reload_wanted;	/* SIGHUP came during a save */
static int			 reload_failed;	/* the last reload kept memory */
static int			 reloads;	/* rereads that took effect */
static int			 closing;
static const struct method	*method;
static int			 method_probed;
/* -R: the store, and the mirror's copy in the file. */
static accounts_store_fn	*store;
static int			 store_is_up;
static int			 dirty;		/* the mirror changed since the last copy */
static unsigned			 mark;		/* of the full reread under way */
static char			**retired;	/* lines a save being written points to */
static size_t			 nretired, capretired;

static void	start_save(void);
static void	submit_save(struct job *);
static void	store_changes(void);
static void	copy_mirror(void);
static void	free_retired(void);

/* Overwrites a password in memory, in a way the compiler keeps. */
static void
wipe(char *p, size_t n)
{
	volatile char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

static size_t
key_hash(const char *key)
{
	return text_hash(key, 0);
}

static struct node *
table_find(const struct table *t, const char *key)
{
	struct node *n;

	if (t->nbucket == 0)
		return NULL;
	for (n = t->bucket[key_hash(key) & (t->nbucket - 1)]; n != NULL;
	    n = n->hnext)
		if (strcmp(n->a.key, key) == 0)
			return n;
	return NULL;
}

/* Rebuilds the hash with room for at least want accounts.  0 or -1. */
static int
table_rehash(struct table *t, size_t want)
{
	struct node **b, *n;
	size_t nb = ACCOUNTS_BUCKETS_MIN, i, h;

	while (nb < want)
		nb *= 2;
	if ((b = calloc(nb, sizeof *b)) == NULL)
		return -1;
	for (i = 0; i < t->n; i++) {
		if ((n = t->v[i].node) == NULL)
			continue;
		h = key_hash(n->a.key) & (nb - 1);
		n->hnext = b[h];
		b[h] = n;
	}
	free(t->bucket);
	t->bucket = b;
	t->nbucket = nb;
	return 0;
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->v[i].node != NULL) {
			free(t->v[i].node->a.hash);
			free(t->v[i].node);
		}
		free(t->v[i].line);
	}
	free(t->v);
	free(t->bucket);
	memset(t, 0, sizeof *t);
}

/* Appends a line; the table owns node and line from then on.  0 or -1. */
static int
table_push(struct table *t, struct node *node, char *line, size_t len)
{
	struct entry *v;
	size_t cap, h;

	if (node != NULL && t->naccounts + 1 > t->nbucket &&
	    table_rehash(t, 2 * (t->naccounts + 1)) == -1)
		return -1;
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 32;
		if ((v = realloc(t->v, cap * sizeof *v)) == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].node = node;
	t->v[t->n].line = line;
	t->v[t->n].len = len;
	if (node != NULL) {
		node->index = t->n;
		h = key_hash(node->a.key) & (t->nbucket - 1);
		node->hnext = t->bucket[h];
		t->bucket[h] = node;
		t->naccounts++;
	}
	t->n++;
	return 0;
}

/* Takes a node out of the hash. */
static void
table_unhash(struct table *t, struct node *n)
{
	struct node **p;

	for (p = &t->bucket[key_hash(n->a.key) & (t->nbucket - 1)]; *p != n;
	    p = &(*p)->hnext)
		;
	*p = n->hnext;
	t->naccounts--;
}

/*
 * Takes the line at i out of the table (its node and line are the
 * caller's).  O(n): only a failed save takes a line back.
 */
static void
table_remove(struct table *t, size_t i)
{
	struct node *n = t->v[i].node;
	size_t j;

	if (n != NULL)
		table_unhash(t, n);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof t->v[0]);
	t->n--;
	for (j = i; j < t->n; j++)
		if (t->v[j].node != NULL)
			t->v[j].node->index = j;
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

/* The file's line for an account, newline included; NULL without memory. */
static char *
format_line(const struct account *a, size_t *len)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s:%s:%s:%s\n", a->name, a->hash,
	    a->admin ? "admin" : "user", a->color);
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
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
	if (strlen(field[1]) >= ACCOUNTS_HASH_BYTES)
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

/*
 * Parses one line without its newline into a and its hash (the field,
 * copied into hash); NULL, or why it is malformed.
 */
static const char *
parse_line(const char *line, size_t len, struct account *a,
    char hash[ACCOUNTS_HASH_BYTES])
{
	char copy[ACCOUNTS_LINE_MAX + 1], *field[4], *p;
	const char *why;
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
	if ((why = parse_fields(field, a)) == NULL)
		memcpy(hash, field[1], strlen(field[1]) + 1);
	return why;
}

/* A copy of len bytes of text with a newline added; NULL without memory. */
static char *
line_copy(const char *text, size_t len)
{
	char *line;

	if ((line = malloc(len + 2)) == NULL)
		return NULL;
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

/* Adds a line that is not an account, as it is.  0 or -1. */
static int
keep_line(struct table *t, const char *text, size_t len)
{
	char *line;

	if ((line = line_copy(text, len)) == NULL)
		return -1;
	if (table_push(t, NULL, line, len + 1) == -1) {
		free(line);
		return -1;
	}
	return 0;
}

/* A node for a copy of a, with its own copy of hash; NULL without memory. */
static struct node *
node_new(const struct account *a, const char *hash)
{
	struct node *n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		return NULL;
	n->a = *a;
	if ((n->a.hash = strdup(hash)) == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

static void
node_free(struct node *n)
{
	if (n != NULL) {
		free(n->a.hash);
		free(n);
	}
}

/*
 * Adds one line of the file to t.  The reason a line is refused goes to
 * notes (one line each, for the log), never the line itself: it holds a
 * password hash.  *over counts accounts past ACCOUNTS_MAX.  0, or -1
 * without memory.
 */
static int
add_line(struct table *t, struct buf *notes, const char *path,
    unsigned long lineno, const char *text, size_t len, unsigned long *over)
{
	struct account a;
	struct node *n;
	char hash[ACCOUNTS_HASH_BYTES], *line;
	const char *why;

	if (len == 0 || text[0] == '#')
		return keep_line(t, text, len);
	memset(&a, 0, sizeof a);
	why = parse_line(text, len, &a, hash);
	if (why == NULL && table_find(t, a.key) != NULL)
		why = "duplicate name";
	if (why == NULL && t->naccounts >= ACCOUNTS_MAX) {
		if ((*over)++ == 0)
			buf_printf(notes, "%s:%lu: more than %d accounts; this "
			    "one and those after it are not loaded, kept in the "
			    "file\n", path, lineno, ACCOUNTS_MAX);
		return keep_line(t, text, len);
	}
	if (why != NULL) {
		buf_printf(notes, "%s:%lu: %s; line skipped, kept in the file\n",
		    path, lineno, why);
		return keep_line(t, text, len);
	}
	if ((n = node_new(&a, hash)) == NULL)
		return -1;
	if ((line = line_copy(text, len)) == NULL ||
	    table_push(t, n, line, len + 1) == -1) {
		free(line);
		node_free(n);
		return -1;
	}
	return 0;
}

/* Notes errno's meaning for path; -1. */
static int
note_errno(struct buf *notes, const char *path)
{
	char why[128];

	if (strerror_r(errno, why, sizeof why) != 0)
		snprintf(why, sizeof why, "error %d", errno);
	buf_printf(notes, "%s: %s\n", path, why);
	return -1;
}

/* Reads the whole file into b; a missing file is an empty one.  0 or -1. */
static int
read_file(const char *path, struct buf *b, struct buf *notes)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return note_errno(notes, path);
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			note_errno(notes, path);
			close(fd);
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	if (b->failed) {
		buf_printf(notes, "%s: out of memory\n", path);
		return -1;
	}
	return 0;
}

/* Adds every line of data to t.  0, or -1 (noted) with t empty. */
static int
parse_file(struct table *t, struct buf *notes, const char *path,
    const char *data, size_t len)
{
	const char *line, *end = data + len, *nl;
	unsigned long lineno = 0, over = 0;
	size_t n;

	for (line = data; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		n = (size_t)(nl - line);
		if (add_line(t, notes, path, ++lineno, line, n, &over) == -1) {
			buf_printf(notes, "%s: out of memory\n", path);
			table_free(t);
			return -1;
		}
	}
	if (over > 0)
		buf_printf(notes, "%s: %lu accounts past the limit of %d not "
		    "loaded\n", path, over, ACCOUNTS_MAX);
	return 0;
}

/*
 * Fills the empty table t from the file.  0, or -1 with t empty.  What
 * is worth a warning goes to notes, one line each: this runs in the
 * helper thread on a reload, and the loop does the logging.
 */
static int
load(const char *path, struct table *t, struct buf *notes)
{
	struct buf b;
	int rv;

	buf_init(&b);
	rv = read_file(path, &b, notes);
	if (rv == 0 && b.len > 0)
		rv = parse_file(t, notes, path, b.data, b.len);
	buf_free(&b);
	if (rv == 0 && t->nbucket == 0 && table_rehash(t, 0) == -1) {
		buf_printf(notes, "%s: out of memory\n", path);
		rv = -1;
	}
	return rv;
}

/* Logs the notes of a load, a warning a line. */
static void
log_notes(struct buf *notes)
{
	char *line, *nl;

	if (notes->failed)
		log_warnx("accounts: out of memory");
	if (notes->len == 0 || notes->failed)
		return;
	for (line = notes->data; (nl = strchr(line, '\n')) != NULL;
	    line = nl + 1) {
		*nl = '\0';
		log_warnx("%s", line);
	}
}

/* Writes every piece, however the kernel splits the writes.  0 or -1. */
static int
writev_all(int fd, struct iovec *iov, size_t n)
{
	ssize_t done;
	int cnt;

	while (n > 0) {
		cnt = n > ACCOUNTS_IOV_MAX ? ACCOUNTS_IOV_MAX : (int)n;
		if ((done = writev(fd, iov, cnt)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)done >= iov->iov_len) {
			done -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= (size_t)done;
		}
	}
	return 0;
}

/* Remembers what failed in job j, for the loop to log. */
static int
failed(struct job *j, const char *what)
{
	j->err = errno;
	snprintf(j->what, sizeof j->what, "%s", what);
	return -1;
}

/* Syncs the directory of path so the rename itself is on disk. */
static int
sync_dir(struct job *j)
{
	const char *slash;
	char *dir;
	int fd, rv = 0;

	if ((slash = strrchr(j->path, '/')) == NULL)
		dir = strdup(".");
	else if (slash == j->path)
		dir = strdup("/");
	else if ((dir = malloc((size_t)(slash - j->path) + 1)) != NULL) {
		memcpy(dir, j->path, (size_t)(slash - j->path));
		dir[slash - j->path] = '\0';
	}
	if (dir == NULL)
		return failed(j, "directory");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		rv = failed(j, "directory");
	else {
		/* A file system that cannot sync a directory is as safe as it gets. */
		if (fsync(fd) == -1 && errno != EINVAL)
			rv = failed(j, "directory");
		close(fd);
	}
	free(dir);
	return rv;
}

/*
 * Replaces the file by the lines so that a crash at any moment leaves
 * either the old file or the new one: write a temporary file beside it,
 * fsync it, rename it over the old one, fsync the directory.  In the
 * helper thread: it logs nothing, the loop does.
 *
 * If only the directory cannot be synced, the new file is in place but
 * might not outlive a crash, so the change still counts as failed: memory
 * is rolled back and the next save rewrites the file from it.
 */
static int
save_lines(struct job *j)
{
	int fd;

	fd = open(j->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return failed(j, "temporary file");
	if (writev_all(fd, j->iov, j->niov) == -1 || fsync(fd) == -1) {
		failed(j, "temporary file");
		close(fd);
		unlink(j->tmp);
		return -1;
	}
	if (close(fd) == -1) {
		failed(j, "temporary file");
		unlink(j->tmp);
		return -1;
	}
	if (rename(j->tmp, j->path) == -1) {
		failed(j, "rename");
		unlink(j->tmp);
		return -1;
	}
	return sync_dir(j);
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

/*
 * The strongest method crypt() supports, found on first use; or NULL.
 * accounts_open() asks before the helper starts, so that crypt() is never
 * called by two threads.
 */
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

/* Fills out with n random salt characters and a NUL.  0 or -1. */
static int
random_salt(struct job *j, char *out, size_t n)
{
	unsigned char r[ACCOUNTS_SALT_MAX];
	size_t i;
	ssize_t got;
	int fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		return failed(j, "/dev/urandom");
	for (i = 0; i < n; i += (size_t)got) {
		while ((got = read(fd, r + i, n - i)) == -1 && errno == EINTR)
			;
		if (got <= 0) {
			if (got == 0)
				errno = EIO;
			failed(j, "/dev/urandom");
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

/* Hashes password under a fresh salt into j->hash.  0 or -1. */
static int
make_hash(struct job *j, const char *password)
{
	const struct method *m = method;
	char salt[ACCOUNTS_SALT_MAX + 1], setting[64];
	const char *h;

	if (m == NULL) {
		errno = ENOSYS;
		return failed(j, "crypt() has no method");
	}
	if (random_salt(j, salt, m->saltlen) == -1)
		return -1;
	snprintf(setting, sizeof setting, "%s%s", m->setting, salt);
	h = crypt(password, setting);
	if (!hash_ok(h, m)) {
		errno = EINVAL;
		return failed(j, "crypt() failed");
	}
	memcpy(j->hash, h, strlen(h) + 1);
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

/* "*..." or "!..." in the file is a locked account: nothing matches. */
static enum accounts_result
check_password(const char *stored, const char *password)
{
	const char *h;

	if ((h = crypt(password, stored)) == NULL || h[0] == '*')
		return ACCOUNTS_BAD_PASSWORD;
	return same_hash(h, stored) ? ACCOUNTS_DONE : ACCOUNTS_BAD_PASSWORD;
}

/* The helper thread's part of every job. */
static void
job_run(struct worker_job *w)
{
	struct job *j = (struct job *)w;

	j->result = ACCOUNTS_DONE;
	switch (j->kind) {
	case JOB_CHECK:
	case JOB_CHECK_HASH:
		j->result = check_password(j->hash, j->password);
		if (j->result != ACCOUNTS_DONE || j->kind == JOB_CHECK)
			break;
		/* FALLTHROUGH */
	case JOB_HASH:
		if (make_hash(j, j->newpw) == -1)
			j->result = ACCOUNTS_IO_ERROR;
		break;
	case JOB_SAVE:
		if (j->path != NULL && save_lines(j) == -1)
			j->result = ACCOUNTS_IO_ERROR;
		break;
	case JOB_LOAD:
		if (load(j->path, &j->table, &j->notes) == -1)
			j->result = ACCOUNTS_IO_ERROR;
		break;
	case JOB_FREE:
		table_free(&j->table);
		break;
	case JOB_NONE:
		break;
	}
	wipe(j->password, sizeof j->password);
	wipe(j->newpw, sizeof j->newpw);
}

static void	job_done(struct worker_job *);

static struct job *
job_new(enum job_kind kind)
{
	struct job *j;

	if ((j = calloc(1, sizeof *j)) == NULL) {
		log_warnx("accounts: out of memory");
		return NULL;
	}
	j->kind = kind;
	j->w.run = job_run;
	j->w.done = job_done;
	buf_init(&j->notes);
	return j;
}

static void
job_free(struct job *j)
{
	free(j->tmp);
	free(j->path);
	free(j->iov);
	table_free(&j->table);
	buf_free(&j->notes);
	free(j);
}

/* Answers a change's caller, then frees the change. */
static void
change_finish(struct change *c, enum accounts_result r)
{
	if (c->counted)
		nregistering--;
	if (c->done != NULL)
		c->done(c->arg, r);
	free(c->hash);
	free(c->old_hash);
	free(c->old_line);
	free(c);
}

/* Takes a change out of the list of those waiting. */
static void
change_unlink(struct change *c)
{
	struct change **p;

	for (p = &changes; *p != c; p = &(*p)->next)
		;
	if ((*p = c->next) == NULL)
		changes_tail = p;
}

/* A new change in the list; NULL (logged) without memory. */
static struct change *
change_new(enum change_kind kind, const char *name, accounts_done *done,
    void *arg)
{
	struct change *c;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		log_warnx("accounts: out of memory");
		return NULL;
	}
	c->kind = kind;
	c->state = CHANGE_READY;
	snprintf(c->name, sizeof c->name, "%s", name);
	text_fold_name(name, c->key);
	c->done = done;
	c->arg = arg;
	*changes_tail = c;
	changes_tail = &c->next;
	if ((c->counted = kind == CHANGE_REGISTER))
		nregistering++;
	return c;
}

/* Gives the entry of node n a fresh line, keeping the old one for undo. */
static int
relines(struct change *c, struct node *n)
{
	struct entry *e = &accounts.v[n->index];
	char *line;
	size_t len;

	if ((line = format_line(&n->a, &len)) == NULL)
		return -1;
	c->old_line = e->line;
	c->old_len = e->len;
	e->line = line;
	e->len = len;
	return 0;
}

/*
 * Applies a change to the table as its save starts.  ACCOUNTS_DONE, or
 * why it cannot be made (the file was reread since it was asked for).
 */
static enum accounts_result
apply(struct change *c)
{
	struct account a;
	struct node *n;
	char *line;
	size_t len;

	n = table_find(&accounts, c->key);
	if (c->counted) {
		/* From here it is in the table or answered. */
		c->counted = 0;
		nregistering--;
	}
	switch (c->kind) {
	case CHANGE_REGISTER:
		if (n != NULL)
			return ACCOUNTS_EXISTS;
		if (accounts.naccounts >= ACCOUNTS_MAX)
			return ACCOUNTS_FULL;
		memset(&a, 0, sizeof a);
		memcpy(a.name, c->name, sizeof a.name);
		memcpy(a.key, c->key, sizeof a.key);
		a.hash = c->hash;
		if ((n = node_new(&a, c->hash)) == NULL)
			return ACCOUNTS_IO_ERROR;
		n->unsaved = 1;
		if ((line = format_line(&n->a, &len)) == NULL ||
		    table_push(&accounts, n, line, len) == -1) {
			free(line);
			node_free(n);
			return ACCOUNTS_IO_ERROR;
		}
		c->node = n;
		return ACCOUNTS_DONE;
	case CHANGE_PASSWORD:
		if (n == NULL)
			return ACCOUNTS_UNKNOWN;
		c->old_hash = n->a.hash;
		n->a.hash = c->hash;
		c->hash = NULL;
		break;
	case CHANGE_COLOR:
		if (n == NULL)
			return ACCOUNTS_UNKNOWN;
		memcpy(c->old_color, n->a.color, sizeof c->old_color);
		memcpy(n->a.color, c->color, sizeof n->a.color);
		break;
	}
	c->node = n;
	if (relines(c, n) == -1) {
		if (c->kind == CHANGE_PASSWORD) {
			c->hash = n->a.hash;
			n->a.hash = c->old_hash;
			c->old_hash = NULL;
		} else
			memcpy(n->a.color, c->old_color, sizeof n->a.color);
		return ACCOUNTS_IO_ERROR;
	}
	return ACCOUNTS_DONE;
}

/* Takes back an applied change whose save failed. */
static void
undo(struct change *c)
{
	struct node *n = c->node;
	struct entry *e;

	if (c->kind == CHANGE_REGISTER) {
		e = &accounts.v[n->index];
		free(e->line);
		table_remove(&accounts, n->index);
		node_free(n);
		return;
	}
	e = &accounts.v[n->index];
	free(e->line);
	e->line = c->old_line;
	e->len = c->old_len;
	c->old_line = NULL;
	if (c->kind == CHANGE_PASSWORD) {
		free(n->a.hash);
		n->a.hash = c->old_hash;
		c->old_hash = NULL;
	} else
		memcpy(n->a.color, c->old_color, sizeof n->a.color);
}

/* Answers a result that is known at once, through the helper, so later. */
static void
answer_later(struct change *c, enum accounts_result r)
{
	struct job *j;

	if ((j = job_new(JOB_NONE)) == NULL) {
		change_finish(c, r);	/* only out of memory: answer now */
		return;
	}
	j->change = c;
	j->result = r;
	worker_submit(&j->w);
}

static void
save_done(struct job *j)
{
	struct change *c, *next, *rev = NULL;
	enum accounts_result r;

	/* Stopping: a save the helper never started is written here. */
	if (!j->w.ran && closing) {
		job_run(&j->w);
		j->w.ran = 1;
	}
	r = j->w.ran ? j->result : ACCOUNTS_IO_ERROR;
	saving = 0;
	free_retired();
	if (r != ACCOUNTS_DONE) {
		errno = j->err;
		if (j->w.ran)
			log_warn("%s: %s", accounts_path != NULL ?
			    accounts_path : "accounts", j->what);
		/* Undone newest first: each restores what the one before left. */
		for (c = j->change; c != NULL; c = next) {
			next = c->next;
			c->next = rev;
			rev = c;
		}
		for (c = rev; c != NULL; c = c->next)
			undo(c);
		j->change = rev;
	}
	for (c = j->change; c != NULL; c = next) {
		next = c->next;
		if (r == ACCOUNTS_DONE && c->kind == CHANGE_REGISTER)
			c->node->unsaved = 0;
		change_finish(c, r);
	}
	j->change = NULL;
	if (reload_wanted && !closing) {
		reload_wanted = 0;
		accounts_reload_start();
	}
	start_save();
}

/*
 * A reread file replaces the table at once; the old one is freed by the
 * helper, so neither step holds the loop for long with many accounts.
 */
static void
load_done(struct job *j)
{
	struct job *f;

	loading = 0;
	log_notes(&j->notes);
	if (!j->w.ran || j->result != ACCOUNTS_DONE) {
		log_warnx("%s: not reloaded, the accounts in memory stay",
		    j->path);
		reload_failed = 1;
	} else {
		reload_failed = 0;
		reloads++;
		if ((f = job_new(JOB_FREE)) == NULL)
			table_free(&accounts);
		else {
			f->table = accounts;
			worker_submit(&f->w);
		}
		accounts = j->table;
		memset(&j->table, 0, sizeof j->table);
	}
	if (reload_wanted && !closing) {
		reload_wanted = 0;
		accounts_reload_start();
	}
	if (!closing)
		start_save();
}

/*
 * Starts a save of every change that is ready, unless one is being
 * written: then they go together in the next.  The table is applied to
 * now; the helper gets a list of its lines, which stay untouched until
 * the save is collected.
 */
static void
start_save(void)
{
	struct change *c, *next, *batch = NULL, **tail = &batch;
	enum accounts_result r;
	struct job *j;

	if (store != NULL) {
		store_changes();
		copy_mirror();
		return;
	}
	if (saving || loading)
		return;
	for (c = changes; c != NULL && c->state != CHANGE_READY; c = c->next)
		;
	if (c == NULL || (j = job_new(JOB_SAVE)) == NULL)
		return;
	for (c = changes; c != NULL; c = next) {
		next = c->next;
		if (c->state != CHANGE_READY)
			continue;
		change_unlink(c);
		if ((r = apply(c)) != ACCOUNTS_DONE) {
			answer_later(c, r);
			continue;
		}
		c->state = CHANGE_SAVING;
		c->next = NULL;
		*tail = c;
		tail = &c->next;
	}
	j->change = batch;
	if (batch == NULL) {
		job_free(j);
		return;
	}
	submit_save(j);
}

/*
 * Hands the helper a save of the table as it is now: the list of its
 * lines, which stay untouched (or retired, not freed) until the save is
 * collected.
 */
static void
submit_save(struct job *j)
{
	size_t i, len;

	if (accounts_path != NULL) {
		len = strlen(accounts_path);
		if ((j->path = strdup(accounts_path)) == NULL ||
		    (j->tmp = malloc(len + strlen(temp_suffix) + 1)) == NULL ||
		    (j->iov = calloc(accounts.n + 1, sizeof *j->iov)) == NULL) {
			/* Failed as if written: undone and answered. */
			errno = ENOMEM;
			failed(j, "save");
			j->result = ACCOUNTS_IO_ERROR;
			j->w.ran = 1;
			saving = 1;
			save_done(j);
			job_free(j);
			return;
		}
		memcpy(j->tmp, accounts_path, len);
		memcpy(j->tmp + len, temp_suffix, strlen(temp_suffix) + 1);
		for (i = 0; i < accounts.n; i++) {
			j->iov[i].iov_base = accounts.v[i].line;
			j->iov[i].iov_len = accounts.v[i].len;
		}
		j->niov = accounts.n;
	}
	saving = 1;
	worker_submit(&j->w);
}

/*
 * -R: a line leaves the table.  A save being written may point to it, so
 * it is freed only once that save is collected.
 */
static void
retire(char *line)
{
	char **v;
	size_t cap;

	if (!saving) {
		free(line);
		return;
	}
	if (nretired == capretired) {
		cap = capretired ? capretired * 2 : 16;
		if ((v = realloc(retired, cap * sizeof *v)) == NULL) {
			/* Leaked rather than freed under the helper's feet. */
			log_warnx("accounts: out of memory");
			return;
		}
		retired = v;
		capretired = cap;
	}
	retired[nretired++] = line;
}

static void
free_retired(void)
{
	while (nretired > 0)
		free(retired[--nretired]);
}

/*
 * -R: hands every hashed change to the store.  What the store cannot
 * take is answered UNAVAILABLE, later, like any other answer.
 */
static void
store_changes(void)
{
	struct change *c, *next;
	struct account a;
	const char *value;
	enum accounts_store_kind kind;
	char *line = NULL;
	size_t len;
	int rv;

	for (c = changes; c != NULL; c = next) {
		next = c->next;
		if (c->state != CHANGE_READY)
			continue;
		switch (c->kind) {
		case CHANGE_REGISTER:
			memset(&a, 0, sizeof a);
			memcpy(a.name, c->name, sizeof a.name);
			a.hash = c->hash;
			if ((line = format_line(&a, &len)) == NULL) {
				change_unlink(c);
				answer_later(c, ACCOUNTS_IO_ERROR);
				continue;
			}
			line[len - 1] = '\0';
			kind = ACCOUNTS_STORE_NEW;
			value = line;
			break;
		case CHANGE_PASSWORD:
			kind = ACCOUNTS_STORE_HASH;
			value = c->hash;
			break;
		default:
			kind = ACCOUNTS_STORE_COLOR;
			value = c->color;
			break;
		}
		c->state = CHANGE_STORING;
		rv = store_is_up ? store(c, kind, c->key, value) : -1;
		free(line);
		line = NULL;
		if (rv == -1) {
			change_unlink(c);
			answer_later(c, ACCOUNTS_UNAVAILABLE);
		}
	}
}

/* -R: rewrites the file as a copy of the mirror, if it changed. */
static void
copy_mirror(void)
{
	struct job *j;

	if (saving || loading || !dirty || accounts_path == NULL || closing)
		return;
	if ((j = job_new(JOB_SAVE)) == NULL)
		return;
	dirty = 0;
	submit_save(j);
}

/* The loop's part of every job. */
static void
job_done(struct worker_job *w)
{
	struct job *j = (struct job *)w;
	struct change *c = j->change;
	enum accounts_result r = w->ran ? j->result : ACCOUNTS_IO_ERROR;

	switch (j->kind) {
	case JOB_CHECK:
		if (w->ran && r == ACCOUNTS_IO_ERROR)
			log_warnx("accounts: crypt() cannot check a password");
		j->done(j->arg, r);
		break;
	case JOB_NONE:
		change_finish(c, j->result);
		break;
	case JOB_HASH:
	case JOB_CHECK_HASH:
		if (w->ran && r == ACCOUNTS_IO_ERROR) {
			errno = j->err;
			log_warn("accounts: %s", j->what);
		}
		if (r != ACCOUNTS_DONE) {
			change_unlink(c);
			change_finish(c, r);
			break;
		}
		if ((c->hash = strdup(j->hash)) == NULL) {
			log_warnx("accounts: out of memory");
			change_unlink(c);
			change_finish(c, ACCOUNTS_IO_ERROR);
			break;
		}
		c->state = CHANGE_READY;
		if (!closing)
			start_save();
		break;
	case JOB_SAVE:
		save_done(j);
		break;
	case JOB_LOAD:
		load_done(j);
		break;
	case JOB_FREE:
		break;
	}
	wipe(j->hash, sizeof j->hash);
	job_free(j);
}

/* Sends a change to be hashed; PENDING, or IO_ERROR without memory. */
static enum accounts_result
hash_change(struct change *c, enum job_kind kind, const char *stored,
    const char *old, const char *new)
{
	struct job *j;

	if ((j = job_new(kind)) == NULL) {
		change_unlink(c);
		c->done = NULL;
		change_finish(c, ACCOUNTS_IO_ERROR);
		return ACCOUNTS_IO_ERROR;
	}
	c->state = CHANGE_HASHING;
	j->change = c;
	if (stored != NULL)
		memcpy(j->hash, stored, strlen(stored) + 1);
	if (old != NULL)
		memcpy(j->password, old, strlen(old) + 1);
	memcpy(j->newpw, new, strlen(new) + 1);
	worker_submit(&j->w);
	return ACCOUNTS_PENDING;
}

/* The node of a name, unsaved ones included; NULL if none. */
static struct node *
find(const char *name)
{
	char key[TEXT_NAME_BYTES];

	if (name == NULL || text_fold_name(name, key) == -1)
		return NULL;
	return table_find(&accounts, key);
}

/* 1 if a registration of key is under way. */
static int
registering(const char *key)
{
	const struct change *c;

	for (c = changes; c != NULL; c = c->next)
		if (c->kind == CHANGE_REGISTER && strcmp(c->key, key) == 0)
			return 1;
	return 0;
}

int
accounts_open(const char *path)
{
	struct buf notes;
	int rv;

	accounts_close();
	if (path != NULL && (accounts_path = strdup(path)) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	buf_init(&notes);
	rv = path != NULL ? load(accounts_path, &accounts, &notes) :
	    table_rehash(&accounts, 0);
	log_notes(&notes);
	buf_free(&notes);
	if (rv == -1) {
		accounts_close();
		return -1;
	}
	probe_method();
	if (worker_start() == -1)
		log_warnx("accounts: passwords are hashed in the loop");
	return 0;
}

void
accounts_reload_start(void)
{
	struct job *j;

	if (accounts_path == NULL || store != NULL)
		return;
	if (saving || loading) {
		reload_wanted = 1;
		return;
	}
	if ((j = job_new(JOB_LOAD)) == NULL)
		return;
	if ((j->path = strdup(accounts_path)) == NULL) {
		log_warnx("accounts: out of memory");
		job_free(j);
		return;
	}
	loading = 1;
	worker_submit(&j->w);
}

int
accounts_reload(void)
{
	reload_failed = 0;
	accounts_reload_start();
	while (loading || reload_wanted) {
		worker_wait();
		accounts_collect();
	}
	return reload_failed ? -1 : 0;
}

void
accounts_close(void)
{
	struct change *c, *next;

	closing = 1;
	worker_stop();
	while (worker_busy() > 0)
		accounts_collect();
	/* What was hashed and not saved yet: one last save, here. */
	start_save();
	while (worker_busy() > 0)
		accounts_collect();
	for (c = changes; c != NULL; c = next) {
		next = c->next;
		change_finish(c, ACCOUNTS_IO_ERROR);
	}
	changes = NULL;
	changes_tail = &changes;
	table_free(&accounts);
	loading = saving = 0;
	free_retired();
	free(retired);
	retired = NULL;
	capretired = 0;
	store = NULL;
	store_is_up = dirty = 0;
	free(accounts_path);
	accounts_path = NULL;
	reload_wanted = 0;
	closing = 0;
}

const struct account *
accounts_find(const char *name)
{
	struct node *n = find(name);

	return n != NULL && !n->unsaved ? &n->a : NULL;
}

int
accounts_count(void)
{
	return (int)accounts.naccounts;
}

void
accounts_warn_unregistered(const char *const *names, int n,
    const char *writer)
{
	int i;

	for (i = 0; i < n; i++)
		if (accounts_find(names[i]) == NULL)
			log_warnx("-a %s: not registered: the name is reserved "
			    "until chatd %s -U %s gives it a password",
			    names[i], writer, names[i]);
}

int
accounts_worker_fd(void)
{
	return worker_fd();
}

int
accounts_collect(void)
{
	int before = reloads;

	worker_collect();
	return reloads != before;
}

enum accounts_result
accounts_verify_start(const char *name, const char *password,
    accounts_done *done, void *arg)
{
	const struct account *a;
	struct job *j;

	if ((a = accounts_find(name)) == NULL)
		return ACCOUNTS_UNKNOWN;
	if (!password_ok(password))
		return ACCOUNTS_BAD_PASSWORD;
	if ((j = job_new(JOB_CHECK)) == NULL)
		return ACCOUNTS_IO_ERROR;
	memcpy(j->hash, a->hash, strlen(a->hash) + 1);
	memcpy(j->password, password, strlen(password) + 1);
	j->done = done;
	j->arg = arg;
	worker_submit(&j->w);
	return ACCOUNTS_PENDING;
}

/*
 * An invalid name has no result of its own; it is refused as a failure
 * that changed nothing rather than written into the file.
 */
enum accounts_result
accounts_register_start(const char *name, const char *password,
    accounts_done *done, void *arg)
{
	char key[TEXT_NAME_BYTES];
	struct change *c;

	if (name == NULL || !text_valid_name(name) ||
	    text_fold_name(name, key) == -1) {
		log_warnx("accounts: refusing to register an invalid name");
		return ACCOUNTS_IO_ERROR;
	}
	if (table_find(&accounts, key) != NULL || registering(key))
		return ACCOUNTS_EXISTS;
	if (!password_ok(password))
		return ACCOUNTS_BAD_PASSWORD;
	if (store != NULL && !store_is_up)
		return ACCOUNTS_UNAVAILABLE;
	if (accounts.naccounts + (size_t)nregistering >= ACCOUNTS_MAX)
		return ACCOUNTS_FULL;
	if ((c = change_new(CHANGE_REGISTER, name, done, arg)) == NULL)
		return ACCOUNTS_IO_ERROR;
	return hash_change(c, JOB_HASH, NULL, NULL, password);
}

enum accounts_result
accounts_passwd_start(const char *name, const char *old, const char *new,
    accounts_done *done, void *arg)
{
	const struct account *a;
	struct change *c;

	if ((a = accounts_find(name)) == NULL)
		return ACCOUNTS_UNKNOWN;
	if ((old != NULL && !password_ok(old)) || !password_ok(new))
		return ACCOUNTS_BAD_PASSWORD;
	if (store != NULL && !store_is_up)
		return ACCOUNTS_UNAVAILABLE;
	if ((c = change_new(CHANGE_PASSWORD, a->name, done, arg)) == NULL)
		return ACCOUNTS_IO_ERROR;
	if (old == NULL)
		return hash_change(c, JOB_HASH, NULL, NULL, new);
	return hash_change(c, JOB_CHECK_HASH, a->hash, old, new);
}

/*
 * Anything text_color() refuses would make the line malformed, so it is
 * refused as a failure that changed nothing.
 */
enum accounts_result
accounts_color_start(const char *name, const char *color,
    accounts_done *done, void *arg)
{
	const struct account *a;
	struct change *c;
	char canon[TEXT_COLOR_BYTES];

	if ((a = accounts_find(name)) == NULL)
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
	if (store != NULL && !store_is_up)
		return ACCOUNTS_UNAVAILABLE;
	if ((c = change_new(CHANGE_COLOR, a->name, done, arg)) == NULL)
		return ACCOUNTS_IO_ERROR;
	memcpy(c->color, canon, sizeof c->color);
	start_save();
	return ACCOUNTS_PENDING;
}

void
accounts_set_store(accounts_store_fn *fn)
{
	store = fn;
	store_is_up = 0;
}

void
accounts_store_up(int up)
{
	store_is_up = up;
}

/*
 * The store has answered: the line it holds now is the mirror's, and the
 * caller hears the store's answer (the copy in the file follows).
 */
void
accounts_stored(void *token, enum accounts_result r, const char *line)
{
	struct change *c = token;

	change_unlink(c);
	if (r == ACCOUNTS_DONE && line != NULL)
		accounts_mirror_put(line, strlen(line));
	change_finish(c, r);
}

int
accounts_mirror_put(const char *text, size_t len)
{
	struct account a;
	struct entry *e;
	struct node *n;
	char hash[ACCOUNTS_HASH_BYTES], *line, *h;
	const char *why;

	memset(&a, 0, sizeof a);
	if ((why = parse_line(text, len, &a, hash)) != NULL) {
		log_warnx("accounts: a line from the store: %s; not taken",
		    why);
		return -1;
	}
	if ((n = table_find(&accounts, a.key)) != NULL) {
		n->seen = mark;
		e = &accounts.v[n->index];
		if (e->len == len + 1 && memcmp(e->line, text, len) == 0)
			return 0;
		if ((line = line_copy(text, len)) == NULL ||
		    (h = strdup(hash)) == NULL) {
			free(line);
			log_warnx("accounts: out of memory");
			return -1;
		}
		retire(e->line);
		e->line = line;
		e->len = len + 1;
		free(n->a.hash);
		n->a = a;
		n->a.hash = h;
		n->unsaved = 0;
	} else {
		if (accounts.naccounts >= ACCOUNTS_MAX) {
			log_warnx("accounts: more than %d accounts in the "
			    "store; %s not taken", ACCOUNTS_MAX, a.name);
			return -1;
		}
		if ((n = node_new(&a, hash)) == NULL ||
		    (line = line_copy(text, len)) == NULL) {
			node_free(n);
			log_warnx("accounts: out of memory");
			return -1;
		}
		if (table_push(&accounts, n, line, len + 1) == -1) {
			free(line);
			node_free(n);
			log_warnx("accounts: out of memory");
			return -1;
		}
		n->seen = mark;
	}
	dirty = 1;
	start_save();
	return 1;
}

int
accounts_mirror_drop(const char *key)
{
	struct node *n;

	if ((n = table_find(&accounts, key)) == NULL)
		return 0;
	retire(accounts.v[n->index].line);
	table_remove(&accounts, n->index);
	node_free(n);
	dirty = 1;
	start_save();
	return 1;
}

void
accounts_mirror_mark(void)
{
	mark++;
}

/* One pass over the table, however many go: a reread may drop them all. */
int
accounts_mirror_sweep(void)
{
	struct node *n;
	size_t i, j;
	int gone = 0;

	for (i = j = 0; i < accounts.n; i++) {
		n = accounts.v[i].node;
		if (n != NULL && n->seen != mark) {
			table_unhash(&accounts, n);
			retire(accounts.v[i].line);
			node_free(n);
			gone++;
			continue;
		}
		accounts.v[j] = accounts.v[i];
		if (n != NULL)
			n->index = j;
		j++;
	}
	accounts.n = j;
	if (gone > 0) {
		dirty = 1;
		start_save();
	}
	return gone;
}

void
accounts_each(void (*fn)(void *, const char *, const char *, size_t),
    void *arg)
{
	size_t i;

	for (i = 0; i < accounts.n; i++)
		if (accounts.v[i].node != NULL && !accounts.v[i].node->unsaved)
			fn(arg, accounts.v[i].node->a.key, accounts.v[i].line,
			    accounts.v[i].len - 1);
}

static void
sync_done(void *arg, enum accounts_result r)
{
	*(enum accounts_result *)arg = r;
}

/* Waits for a job started with sync_done and &slot. */
static enum accounts_result
sync_wait(enum accounts_result r, enum accounts_result *slot)
{
	if (r != ACCOUNTS_PENDING)
		return r;
	while (*slot == ACCOUNTS_PENDING) {
		worker_wait();
		accounts_collect();
	}
	return *slot;
}

enum accounts_result
accounts_verify(const char *name, const char *password)
{
	enum accounts_result slot = ACCOUNTS_PENDING;

	return sync_wait(accounts_verify_start(name, password, sync_done,
	    &slot), &slot);
}

enum accounts_result
accounts_register(const char *name, const char *password)
{
	enum accounts_result slot = ACCOUNTS_PENDING;

	return sync_wait(accounts_register_start(name, password, sync_done,
	    &slot), &slot);
}

enum accounts_result
accounts_set_password(const char *name, const char *old, const char *new)
{
	enum accounts_result slot = ACCOUNTS_PENDING;

	if (old == NULL)
		return ACCOUNTS_BAD_PASSWORD;
	return sync_wait(accounts_passwd_start(name, old, new, sync_done,
	    &slot), &slot);
}

enum accounts_result
accounts_set_color(const char *name, const char *color)
{
	enum accounts_result slot = ACCOUNTS_PENDING;

	return sync_wait(accounts_color_start(name, color, sync_done, &slot),
	    &slot);
}

/*
 * The operator's tool writes through a temporary file of its own, so
 * that it never writes into the one a running chatd may be writing.
 */
enum accounts_result
accounts_put(const char *name, const char *password, int *created)
{
	enum accounts_result slot = ACCOUNTS_PENDING, r;

	temp_suffix = ".tmp-U";
	if ((*created = accounts_find(name) == NULL))
		r = accounts_register_start(name, password, sync_done, &slot);
	else
		r = accounts_passwd_start(name, NULL, password, sync_done,
		    &slot);
	r = sync_wait(r, &slot);
	temp_suffix = ".tmp";
	return r;
}

int
accounts_make_hash(const char *password, char hash[ACCOUNTS_HASH_BYTES])
{
	struct job *j;
	int rv = -1;

	if (!password_ok(password) || probe_method() == NULL ||
	    (j = job_new(JOB_HASH)) == NULL)
		return -1;
	if (make_hash(j, password) == -1) {
		errno = j->err;
		log_warn("accounts: %s", j->what);
	} else {
		memcpy(hash, j->hash, strlen(j->hash) + 1);
		rv = 0;
	}
	wipe(j->hash, sizeof j->hash);
	job_free(j);
	return rv;
}

const char *
accounts_method(void)
{
	const struct method *m;

	return (m = probe_method()) != NULL ? m->prefix : "";
}
