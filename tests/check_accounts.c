/* check_accounts.c: the accounts file: hashing, parsing, atomic saves. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "buf.h"
#include "suites.h"
#include "text.h"
#include "worker.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
#define DIR_BYTES	256
#define PATH_BYTES	512

/* Each test gets a fresh directory holding the accounts file. */
static char	base[DIR_BYTES / 2];
static char	dir[DIR_BYTES];
static char	path[PATH_BYTES];	/* dir/accounts */
static char	tmp[PATH_BYTES];	/* dir/accounts.tmp */
static int	saved_stderr = -1;

static void
setup(void)
{
	text_locale_init();
	snprintf(dir, sizeof dir, "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/accounts", dir);
	snprintf(tmp, sizeof tmp, "%s/accounts.tmp", dir);
}

static int
remove_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

static void
teardown(void)
{
	accounts_close();
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * The directories of all tests live in one made before them: a failed
 * test skips its teardown, but this one is removed all the same.
 */
static void
base_setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(base, sizeof base, "%s/chatd-accounts.XXXXXX",
	    t != NULL && *t != '\0' && strlen(t) < 64 ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void
base_teardown(void)
{
	nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *p, const char *content)
{
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	ck_assert_int_ge(fputs(content, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* The contents of a file as a string the caller frees ("" if missing). */
static char *
slurp(const char *p)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	buf_init(&b);
	buf_adds(&b, "");
	if ((f = fopen(p, "r")) != NULL) {
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_add(&b, chunk, n);
		fclose(f);
	}
	ck_assert_int_eq(b.failed, 0);
	return b.data;
}

static void
assert_file(const char *p, const char *want)
{
	char *got = slurp(p);

	ck_assert_str_eq(got, want);
	free(got);
}

/* Sends stderr, where warnings go, to a file until capture_end(). */
static void
capture_start(void)
{
	char p[PATH_BYTES];
	int fd;

	snprintf(p, sizeof p, "%s/stderr", dir);
	fflush(stderr);
	ck_assert_int_ne(fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_ne(saved_stderr = dup(2), -1);
	ck_assert_int_ne(dup2(fd, 2), -1);
	close(fd);
}

/* What was written to stderr since capture_start(); the caller frees it. */
static char *
capture_end(void)
{
	char p[PATH_BYTES];
	char *s;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	snprintf(p, sizeof p, "%s/stderr", dir);
	s = slurp(p);
	unlink(p);
	return s;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static size_t
file_lines(const char *p)
{
	char *s = slurp(p);
	size_t n = count_lines(s);

	free(s);
	return n;
}

START_TEST(test_register_verify)
{
	const struct account *a;

	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_ptr_null(accounts_find("Alice"));
	ck_assert_int_eq(accounts_register("Alice", "correct horse"),
	    ACCOUNTS_DONE);
	ck_assert_ptr_nonnull(a = accounts_find("Alice"));
	ck_assert_str_eq(a->name, "Alice");
	ck_assert_int_eq(a->admin, 0);
	ck_assert_str_eq(a->color, "");
	ck_assert_int_eq(accounts_verify("Alice", "correct horse"),
	    ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_verify("Alice", "correct horsE"),
	    ACCOUNTS_BAD_PASSWORD);
	ck_assert_int_eq(accounts_verify("Alice", ""), ACCOUNTS_BAD_PASSWORD);
	ck_assert_int_eq(accounts_verify("Alicia", "correct horse"),
	    ACCOUNTS_UNKNOWN);
	ck_assert_int_eq(accounts_verify("no such name", "x"),
	    ACCOUNTS_UNKNOWN);
	ck_assert_int_eq(accounts_register("Bobby", ""), ACCOUNTS_BAD_PASSWORD);
	ck_assert_ptr_null(accounts_find("Bobby"));
}
END_TEST

START_TEST(test_case_insensitive)
{
	const struct account *a;

	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_register("MiXeD", "pw"), ACCOUNTS_DONE);
	ck_assert_ptr_nonnull(a = accounts_find("mixed"));
	ck_assert_ptr_eq(accounts_find("MIXED"), a);
	ck_assert_ptr_eq(accounts_find("MiXeD"), a);
	ck_assert_str_eq(a->name, "MiXeD");
	ck_assert_int_eq(accounts_verify("mIxEd", "pw"), ACCOUNTS_DONE);
	/* Non-ASCII letters fold too, where the locale knows them. */
	if (text_valid_name("Zo\xc3\xab")) {
		ck_assert_int_eq(accounts_register("Zo\xc3\xab", "pw"),
		    ACCOUNTS_DONE);
		ck_assert_ptr_nonnull(accounts_find("ZO\xc3\x8b"));
	}
}
END_TEST

START_TEST(test_duplicate)
{
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_register("Dana", "first"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_register("Dana", "second"), ACCOUNTS_EXISTS);
	ck_assert_int_eq(accounts_register("DANA", "second"), ACCOUNTS_EXISTS);
	ck_assert_int_eq(accounts_verify("dana", "first"), ACCOUNTS_DONE);
	ck_assert_uint_eq(file_lines(path), 1);
}
END_TEST

START_TEST(test_file_format_and_restart)
{
	const struct account *a;
	char want[1024], hash[ACCOUNTS_HASH_BYTES];
	struct stat st;

	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_register("Erin", "pw one"), ACCOUNTS_DONE);
	ck_assert_ptr_nonnull(a = accounts_find("erin"));
	snprintf(hash, sizeof hash, "%s", a->hash);
	snprintf(want, sizeof want, "Erin:%s:user:\n", hash);
	assert_file(path, want);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(access(tmp, F_OK), -1);

	accounts_close();
	ck_assert_ptr_null(accounts_find("erin"));
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_ptr_nonnull(a = accounts_find("ERIN"));
	ck_assert_str_eq(a->name, "Erin");
	ck_assert_str_eq(a->hash, hash);
	ck_assert_int_eq(accounts_verify("erin", "pw one"), ACCOUNTS_DONE);
}
END_TEST

START_TEST(test_method_and_salt)
{
	static const char *const known[] = { "$y$", "$6$", "$5$", "$1$", "" };
	const struct account *f, *g;
	const char *m;
	size_t i;

	m = accounts_method();
	for (i = 0; i < NELEM(known); i++)
		if (strcmp(m, known[i]) == 0)
			break;
	ck_assert_msg(i < NELEM(known), "unknown method \"%s\"", m);
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_register("Finn", "same"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_register("Gwen", "same"), ACCOUNTS_DONE);
	f = accounts_find("finn");
	g = accounts_find("gwen");
	ck_assert_int_eq(strncmp(f->hash, m, strlen(m)), 0);
	ck_assert_int_eq(strncmp(g->hash, m, strlen(m)), 0);
	ck_assert_str_ne(f->hash, g->hash);
	ck_assert_ptr_null(strpbrk(f->hash, ":\n"));
}
END_TEST

START_TEST(test_password_limits)
{
	char pw[ACCOUNTS_PASSWORD_MAX + 2];

	/* Any byte but NUL, ':' and newline included. */
	memset(pw, 'p', sizeof pw);
	memcpy(pw, ":\n\xc3\xa9\t", 5);
	pw[ACCOUNTS_PASSWORD_MAX] = '\0';
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_register("Hugo", pw), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_verify("Hugo", pw), ACCOUNTS_DONE);
	pw[ACCOUNTS_PASSWORD_MAX - 1] = '\0';
	ck_assert_int_eq(accounts_verify("Hugo", pw), ACCOUNTS_BAD_PASSWORD);
	pw[ACCOUNTS_PASSWORD_MAX - 1] = 'p';
	pw[ACCOUNTS_PASSWORD_MAX] = 'p';
	pw[ACCOUNTS_PASSWORD_MAX + 1] = '\0';
	ck_assert_int_eq(accounts_verify("Hugo", pw), ACCOUNTS_BAD_PASSWORD);
	ck_assert_int_eq(accounts_register("Hugo2", pw),
	    ACCOUNTS_BAD_PASSWORD);
	ck_assert_ptr_null(accounts_find("Hugo2"));
	ck_assert_uint_eq(file_lines(path), 1);
}
END_TEST

/*
 * A malformed line between two good ones: line 3 of the file.  "S3CR3T"
 * stands for a hash, which must never reach the log.
 */
static const struct {
	const char	*line;		/* NULL: a line of longlen bytes */
	size_t		 longlen;
	const char	*why;		/* part of the warning */
	const char	*absent;	/* a name that must not be found */
} bad_lines[] = {
	{ "Solo:S3CR3T", 0, "fields", "Solo" },
	{ "Quad:S3CR3T:user:red:x", 0, "fields", "Quad" },
	{ "Plain", 0, "fields", "Plain" },
	{ "x:S3CR3T:user:", 0, "invalid name", NULL },
	{ "bad name:S3CR3T:user:", 0, "invalid name", NULL },
	{ ":S3CR3T:user:", 0, "invalid name", NULL },
	{ "this_name_is_much_too_long:S3CR3T:user:", 0, "invalid name",
	    NULL },
	{ "Nohash::user:", 0, "empty password hash", "Nohash" },
	{ "Rolf:S3CR3T:root:", 0, "role", "Rolf" },
	{ "Rolf:S3CR3T::", 0, "role", "Rolf" },
	{ "Rolf:S3CR3T:Admin:", 0, "role", "Rolf" },
	{ "Cole:S3CR3T:user:pink", 0, "colour", "Cole" },
	{ "Cole:S3CR3T:user:#12", 0, "colour", "Cole" },
	{ "Cole:S3CR3T:user:\r", 0, "colour", "Cole" },
	{ "GOOD1:S3CR3T:admin:", 0, "duplicate", NULL },
	{ "gOoD1:S3CR3T:user:red", 0, "duplicate", NULL },
	{ NULL, ACCOUNTS_LINE_MAX, "hash too long", "Long" },
	{ NULL, ACCOUNTS_LINE_MAX + 1, "line too long", "Long" },
};

/* Builds "Long:S3CR3TSSS...:user:" of exactly len bytes. */
static void
long_line(struct buf *b, size_t len)
{
	size_t start = b->len;

	buf_adds(b, "Long:S3CR3T");
	while (b->len - start < len - strlen(":user:"))
		buf_addc(b, 'S');
	buf_adds(b, ":user:");
}

START_TEST(test_malformed_line)
{
	const struct account *a;
	struct buf before, after;
	char where[PATH_BYTES + 8];
	char *log;

	buf_init(&before);
	buf_init(&after);
	buf_adds(&before, "# accounts\nGood1:h1:user:\n");
	buf_adds(&after, "# accounts\nGood1:h1:user:blue\n");
	if (bad_lines[_i].line == NULL) {
		long_line(&before, bad_lines[_i].longlen);
		long_line(&after, bad_lines[_i].longlen);
	} else {
		buf_adds(&before, bad_lines[_i].line);
		buf_adds(&after, bad_lines[_i].line);
	}
	buf_adds(&before, "\nGood2:h2:admin:red\n");
	buf_adds(&after, "\nGood2:h2:admin:red\n");
	write_file(path, before.data);

	capture_start();
	ck_assert_int_eq(accounts_open(path), 0);
	log = capture_end();
	snprintf(where, sizeof where, "%s:3: ", path);
	ck_assert_ptr_nonnull(strstr(log, where));
	ck_assert_ptr_nonnull(strstr(log, bad_lines[_i].why));
	ck_assert_ptr_null(strstr(log, "S3CR3T"));
	ck_assert_uint_eq(count_lines(log), 1);
	free(log);

	ck_assert_ptr_nonnull(a = accounts_find("good1"));
	ck_assert_str_eq(a->hash, "h1");
	ck_assert_int_eq(a->admin, 0);
	ck_assert_ptr_nonnull(a = accounts_find("good2"));
	ck_assert_str_eq(a->hash, "h2");
	ck_assert_int_eq(a->admin, 1);
	ck_assert_str_eq(a->color, "red");
	if (bad_lines[_i].absent != NULL)
		ck_assert_ptr_null(accounts_find(bad_lines[_i].absent));

	/* The next save writes the line back where it was. */
	ck_assert_int_eq(accounts_set_color("GOOD1", "blue"), ACCOUNTS_DONE);
	assert_file(path, after.data);
	buf_free(&before);
	buf_free(&after);
}
END_TEST

START_TEST(test_kept_lines)
{
	char *log;

	/* Comments and blank lines stay; a missing last newline is added. */
	write_file(path, "# chatd accounts\n\nPia:h:user:\n#\nQuinn:h:user:");
	capture_start();
	ck_assert_int_eq(accounts_open(path), 0);
	log = capture_end();
	ck_assert_str_eq(log, "");
	free(log);
	ck_assert_ptr_nonnull(accounts_find("quinn"));
	ck_assert_int_eq(accounts_set_color("pia", "red"), ACCOUNTS_DONE);
	assert_file(path,
	    "# chatd accounts\n\nPia:h:user:red\n#\nQuinn:h:user:\n");
}
END_TEST

START_TEST(test_missing_and_unreadable)
{
	/* A missing file is an empty one; a directory cannot be read. */
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_ptr_null(accounts_find("anyone"));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	capture_start();
	ck_assert_int_eq(accounts_open(path), -1);
	free(capture_end());
}
END_TEST

START_TEST(test_set_color)
{
	const struct account *a;

	write_file(path, "Hana:$6$x$y:user:\n");
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_set_color("HANA", "#ABC"), ACCOUNTS_DONE);
	ck_assert_ptr_nonnull(a = accounts_find("hana"));
	ck_assert_str_eq(a->color, "#abc");
	assert_file(path, "Hana:$6$x$y:user:#abc\n");

	capture_start();
	ck_assert_int_ne(accounts_set_color("hana", "nope"), ACCOUNTS_DONE);
	ck_assert_int_ne(accounts_set_color("hana", "red:user"),
	    ACCOUNTS_DONE);
	free(capture_end());
	ck_assert_str_eq(a->color, "#abc");
	ck_assert_int_eq(accounts_set_color("nobody", "red"),
	    ACCOUNTS_UNKNOWN);

	accounts_close();
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_str_eq(accounts_find("hana")->color, "#abc");
	ck_assert_int_eq(accounts_set_color("hana", ""), ACCOUNTS_DONE);
	assert_file(path, "Hana:$6$x$y:user:\n");
}
END_TEST

START_TEST(test_set_password)
{
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_register("Ivan", "old pass"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_set_password("ivan", "wrong", "new pass"),
	    ACCOUNTS_BAD_PASSWORD);
	ck_assert_int_eq(accounts_set_password("ivan", "old pass", ""),
	    ACCOUNTS_BAD_PASSWORD);
	ck_assert_int_eq(accounts_set_password("nobody", "old pass", "x"),
	    ACCOUNTS_UNKNOWN);
	ck_assert_int_eq(accounts_set_password("IVAN", "old pass",
	    "new pass"), ACCOUNTS_DONE);

	accounts_close();
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_verify("ivan", "new pass"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_verify("ivan", "old pass"),
	    ACCOUNTS_BAD_PASSWORD);
}
END_TEST

START_TEST(test_save_missing_directory)
{
	char *log;

	snprintf(path, sizeof path, "%s/missing/accounts", dir);
	ck_assert_int_eq(accounts_open(path), 0);
	capture_start();
	ck_assert_int_eq(accounts_register("Jack", "hunter2"),
	    ACCOUNTS_IO_ERROR);
	log = capture_end();
	ck_assert_str_ne(log, "");
	ck_assert_ptr_null(strstr(log, "hunter2"));
	free(log);
	ck_assert_ptr_null(accounts_find("jack"));
}
END_TEST

/* The temporary file cannot be created: a directory stands in its place. */
START_TEST(test_save_temp_blocked)
{
	static const char old[] = "Kate:$6$a$b:user:red\n";

	write_file(path, old);
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	capture_start();
	ck_assert_int_eq(accounts_set_color("kate", "blue"),
	    ACCOUNTS_IO_ERROR);
	ck_assert_int_eq(accounts_register("Liam", "pw"), ACCOUNTS_IO_ERROR);
	free(capture_end());
	ck_assert_str_eq(accounts_find("kate")->color, "red");
	ck_assert_ptr_null(accounts_find("liam"));
	assert_file(path, old);

	ck_assert_int_eq(rmdir(tmp), 0);
	ck_assert_int_eq(accounts_set_color("kate", "blue"), ACCOUNTS_DONE);
	assert_file(path, "Kate:$6$a$b:user:blue\n");
}
END_TEST

/* The rename fails: a non-empty directory has taken the file's place. */
START_TEST(test_save_rename_fails)
{
	static const char old[] = "Kate:$6$a$b:user:red\n";
	char moved[PATH_BYTES + 8], inside[PATH_BYTES + 8];

	write_file(path, old);
	ck_assert_int_eq(accounts_open(path), 0);
	snprintf(moved, sizeof moved, "%s.old", path);
	snprintf(inside, sizeof inside, "%s/x", path);
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file(inside, "");
	capture_start();
	ck_assert_int_eq(accounts_set_color("kate", "blue"),
	    ACCOUNTS_IO_ERROR);
	free(capture_end());
	ck_assert_str_eq(accounts_find("kate")->color, "red");
	ck_assert_int_eq(access(tmp, F_OK), -1);
	assert_file(moved, old);
}
END_TEST

START_TEST(test_reload)
{
	const struct account *mona;

	write_file(path, "Mona:h1:user:\n");
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_ptr_nonnull(mona = accounts_find("mona"));
	ck_assert_ptr_null(accounts_find("nina"));

	write_file(path, "# edited\nMona:h1:admin:teal\nNina:h2:user:\n");
	ck_assert_int_eq(accounts_reload(), 0);
	ck_assert_ptr_nonnull(mona = accounts_find("mona"));
	ck_assert_int_eq(mona->admin, 1);
	ck_assert_str_eq(mona->color, "teal");
	ck_assert_ptr_nonnull(accounts_find("nina"));

	/* A file that cannot be read leaves memory alone. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	capture_start();
	ck_assert_int_eq(accounts_reload(), -1);
	free(capture_end());
	ck_assert_ptr_nonnull(accounts_find("nina"));
	ck_assert_int_eq(mona->admin, 1);

	ck_assert_int_eq(rmdir(path), 0);
	write_file(path, "Mona:h1:user:\n");
	ck_assert_int_eq(accounts_reload(), 0);
	ck_assert_ptr_null(accounts_find("nina"));
	ck_assert_int_eq(accounts_find("mona")->admin, 0);
}
END_TEST

START_TEST(test_memory_only)
{
	int here;

	ck_assert_int_ne(here = open(".", O_RDONLY), -1);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(accounts_open(NULL), 0);
	ck_assert_int_eq(accounts_register("Omar", "pw"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_verify("omar", "pw"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_set_color("omar", "lime"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_reload(), 0);
	ck_assert_str_eq(accounts_find("omar")->color, "lime");
	ck_assert_int_eq(fchdir(here), 0);
	close(here);
	/* Nothing was written, not even in the working directory. */
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
}
END_TEST

/* Milliseconds on a monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes n accounts u0000000 ... with a fixed hash, plus extra lines. */
static void
write_many(const char *p, long n, const char *extra)
{
	FILE *f;
	long i;

	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	for (i = 0; i < n; i++)
		fprintf(f, "u%07ld:$6$salt$hash%ld:user:\n", i, i);
	fputs(extra, f);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * A full file loads in one pass of hash lookups: 100,000 accounts took
 * 18.7 s when each line was compared with every one before it.  The bound
 * is loose enough for sanitizer builds on a busy machine.
 */
START_TEST(test_load_many_is_linear)
{
	const struct account *a, *mid;
	long long t0, open_ms, reload_ms;

	write_many(path, ACCOUNTS_MAX, "");
	t0 = now_ms();
	ck_assert_int_eq(accounts_open(path), 0);
	open_ms = now_ms() - t0;
	ck_assert_int_eq(accounts_count(), ACCOUNTS_MAX);
	ck_assert_ptr_nonnull(a = accounts_find("U0000000"));
	ck_assert_str_eq(a->hash, "$6$salt$hash0");
	ck_assert_ptr_nonnull(mid = accounts_find("u0050000"));
	ck_assert_ptr_nonnull(accounts_find("u0099999"));
	ck_assert_ptr_null(accounts_find("u0100000"));

	t0 = now_ms();
	ck_assert_int_eq(accounts_reload(), 0);
	reload_ms = now_ms() - t0;
	ck_assert_ptr_nonnull(mid = accounts_find("u0050000"));
	ck_assert_str_eq(mid->hash, "$6$salt$hash50000");
	ck_assert_int_eq(accounts_count(), ACCOUNTS_MAX);
	ck_assert_msg(open_ms < 2000 && reload_ms < 2000,
	    "100000 accounts: open %lld ms, reload %lld ms", open_ms,
	    reload_ms);
}
END_TEST

/*
 * Past ACCOUNTS_MAX: the extra account is logged, kept in the file and not
 * loaded, and registration is refused with its own result.
 */
START_TEST(test_cap)
{
	char *log, *file;

	write_many(path, ACCOUNTS_MAX, "extra:$6$s$h:user:\n");
	capture_start();
	ck_assert_int_eq(accounts_open(path), 0);
	log = capture_end();
	ck_assert_ptr_nonnull(strstr(log, "more than 100000 accounts"));
	ck_assert_ptr_null(strstr(log, "$6$s$h"));
	free(log);
	ck_assert_int_eq(accounts_count(), ACCOUNTS_MAX);
	ck_assert_ptr_null(accounts_find("extra"));
	ck_assert_int_eq(accounts_register("newcomer", "pw"), ACCOUNTS_FULL);
	ck_assert_ptr_null(accounts_find("newcomer"));
	/* A change to a loaded account still saves, and keeps the extra line. */
	ck_assert_int_eq(accounts_set_color("u0000001", "red"), ACCOUNTS_DONE);
	file = slurp(path);
	ck_assert_ptr_nonnull(strstr(file, "\nu0000001:$6$salt$hash1:user:red\n"));
	ck_assert_ptr_nonnull(strstr(file, "\nextra:$6$s$h:user:\n"));
	ck_assert_uint_eq(count_lines(file), ACCOUNTS_MAX + 1);
	free(file);
}
END_TEST

/* One under the cap: one registration fits, the next is refused. */
START_TEST(test_cap_register)
{
	write_many(path, ACCOUNTS_MAX - 1, "");
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_register("last", "pw"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_count(), ACCOUNTS_MAX);
	ck_assert_int_eq(accounts_register("onetoomany", "pw"), ACCOUNTS_FULL);
	ck_assert_ptr_nonnull(accounts_find("last"));
	ck_assert_uint_eq(file_lines(path), ACCOUNTS_MAX);
}
END_TEST

static int	 answers;
static enum accounts_result last_answer;

static void
count_answer(void *arg, enum accounts_result r)
{
	(void)arg;
	answers++;
	last_answer = r;
}

/*
 * Jobs leave the caller at once; their answers come from
 * accounts_collect(), one each, and an account counts only once saved.
 */
START_TEST(test_jobs_answer_later)
{
	int fd;

	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_ne(fd = accounts_worker_fd(), -1);
	answers = 0;
	ck_assert_int_eq(accounts_register_start("Pat", "pw", count_answer,
	    NULL), ACCOUNTS_PENDING);
	/* A second registration of the same name is refused at once. */
	ck_assert_int_eq(accounts_register_start("PAT", "pw", count_answer,
	    NULL), ACCOUNTS_EXISTS);
	ck_assert_ptr_null(accounts_find("pat"));
	ck_assert_int_eq(answers, 0);
	while (answers == 0) {
		struct pollfd pfd = { 0, POLLIN, 0 };

		pfd.fd = fd;
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		accounts_collect();
	}
	ck_assert_int_eq(answers, 1);
	ck_assert_int_eq(last_answer, ACCOUNTS_DONE);
	ck_assert_ptr_nonnull(accounts_find("pat"));
	ck_assert_uint_eq(file_lines(path), 1);
	/* Answers known at once never reach the callback. */
	ck_assert_int_eq(accounts_verify_start("nobody", "pw", count_answer,
	    NULL), ACCOUNTS_UNKNOWN);
	ck_assert_int_eq(accounts_verify_start("pat", "", count_answer, NULL),
	    ACCOUNTS_BAD_PASSWORD);
	ck_assert_int_eq(accounts_verify_start("pat", "wrong", count_answer,
	    NULL), ACCOUNTS_PENDING);
	accounts_close();
	/* Closing answers what was still out. */
	ck_assert_int_eq(answers, 2);
}
END_TEST

/* Several changes at once are saved, each answered once; the file has all. */
START_TEST(test_changes_saved_together)
{
	char name[32];
	int i;

	ck_assert_int_eq(accounts_open(path), 0);
	answers = 0;
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "batch%d", i);
		ck_assert_int_eq(accounts_register_start(name, "pw",
		    count_answer, NULL), ACCOUNTS_PENDING);
	}
	while (answers < 8) {
		accounts_collect();
		poll(NULL, 0, 5);
	}
	ck_assert_int_eq(answers, 8);
	ck_assert_uint_eq(file_lines(path), 8);
	ck_assert_int_eq(accounts_verify("batch7", "pw"), ACCOUNTS_DONE);
}
END_TEST

/* The operator's -U: creates, then changes only the password. */
START_TEST(test_put)
{
	int created;

	write_file(path, "Vera:$6$a$b:admin:red\n");
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_put("walt", "pw1", &created), ACCOUNTS_DONE);
	ck_assert_int_eq(created, 1);
	ck_assert_int_eq(accounts_put("VERA", "pw2", &created), ACCOUNTS_DONE);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(accounts_find("vera")->admin, 1);
	ck_assert_str_eq(accounts_find("vera")->color, "red");
	ck_assert_int_eq(accounts_put("walt", "", &created),
	    ACCOUNTS_BAD_PASSWORD);
	accounts_close();
	ck_assert_int_eq(accounts_open(path), 0);
	ck_assert_int_eq(accounts_verify("walt", "pw1"), ACCOUNTS_DONE);
	ck_assert_int_eq(accounts_verify("vera", "pw2"), ACCOUNTS_DONE);
	ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

/* A store of the test's own: it remembers what it was given. */
static struct {
	int			 calls;
	void			*token;
	enum accounts_store_kind kind;
	char			 key[64];
	char			 value[512];
} fake;

static int
fake_store(void *token, enum accounts_store_kind kind, const char *key,
    const char *value)
{
	fake.calls++;
	fake.token = token;
	fake.kind = kind;
	snprintf(fake.key, sizeof fake.key, "%s", key);
	snprintf(fake.value, sizeof fake.value, "%s", value);
	return 0;
}

/* Collects the helper's jobs until cond holds (5 s at most). */
#define COLLECT_UNTIL(cond) do {					\
	long long tries = 0;						\
	while (!(cond)) {						\
		struct pollfd pfd = { 0, POLLIN, 0 };			\
									\
		pfd.fd = accounts_worker_fd();				\
		ck_assert_int_lt(tries++, 500);				\
		poll(&pfd, 1, 10);					\
		accounts_collect();					\
	}								\
} while (0)

/* -R: changes go to the store first; the table mirrors what it holds. */
START_TEST(test_store_and_mirror)
{
	static const char alice[] = "alice:$1$abcdefgh$x:user:";
	char *file, *log;

	write_file(path, "# kept\nalice:$1$abcdefgh$x:user:\n");
	ck_assert_int_eq(accounts_open(path), 0);
	accounts_set_store(fake_store);
	memset(&fake, 0, sizeof fake);
	answers = 0;
	/* Down: refused at once, nothing hashed. */
	ck_assert_int_eq(accounts_register_start("Bob", "pw", count_answer,
	    NULL), ACCOUNTS_UNAVAILABLE);
	ck_assert_int_eq(accounts_color_start("alice", "red", count_answer,
	    NULL), ACCOUNTS_UNAVAILABLE);
	ck_assert_ptr_nonnull(accounts_find("alice"));
	accounts_store_up(1);

	ck_assert_int_eq(accounts_register_start("Bob", "pw", count_answer,
	    NULL), ACCOUNTS_PENDING);
	COLLECT_UNTIL(fake.calls == 1);
	ck_assert_int_eq(fake.kind, ACCOUNTS_STORE_NEW);
	ck_assert_str_eq(fake.key, "bob");
	ck_assert(strncmp(fake.value, "Bob:$", 5) == 0);
	ck_assert_ptr_nonnull(strstr(fake.value, ":user:"));
	/* Not an account until the store has it; and not twice. */
	ck_assert_ptr_null(accounts_find("bob"));
	ck_assert_int_eq(accounts_register_start("BOB", "pw", count_answer,
	    NULL), ACCOUNTS_EXISTS);
	ck_assert_int_eq(answers, 0);
	accounts_stored(fake.token, ACCOUNTS_DONE, fake.value);
	ck_assert_int_eq(answers, 1);
	ck_assert_int_eq(last_answer, ACCOUNTS_DONE);
	ck_assert_ptr_nonnull(accounts_find("bob"));
	ck_assert_int_eq(accounts_verify("bob", "pw"), ACCOUNTS_DONE);

	/* A colour: the store gets the colour; taken as the store answers. */
	ck_assert_int_eq(accounts_color_start("bob", "Teal", count_answer,
	    NULL), ACCOUNTS_PENDING);
	COLLECT_UNTIL(fake.calls == 2);
	ck_assert_int_eq(fake.kind, ACCOUNTS_STORE_COLOR);
	ck_assert_str_eq(fake.value, "teal");
	accounts_stored(fake.token, ACCOUNTS_UNAVAILABLE, NULL);
	ck_assert_int_eq(last_answer, ACCOUNTS_UNAVAILABLE);
	ck_assert_str_eq(accounts_find("bob")->color, "");

	/* Other instances' changes, and the copy in the file. */
	ck_assert_int_eq(accounts_mirror_put("alice:$1$abcdefgh$x:user:red",
	    28), 1);
	ck_assert_str_eq(accounts_find("alice")->color, "red");
	ck_assert_int_eq(accounts_mirror_put("alice:$1$abcdefgh$x:user:red",
	    28), 0);
	capture_start();
	ck_assert_int_eq(accounts_mirror_put("bad line", 8), -1);
	log = capture_end();
	ck_assert_ptr_nonnull(strstr(log, "fewer than 4 fields"));
	free(log);
	COLLECT_UNTIL(worker_busy() == 0);
	file = slurp(path);
	ck_assert_ptr_nonnull(strstr(file, "# kept\nalice:$1$abcdefgh$x:user:red\n"));
	ck_assert_ptr_nonnull(strstr(file, "\nBob:$"));
	free(file);
	ck_assert_int_eq(accounts_mirror_drop("alice"), 1);
	ck_assert_ptr_null(accounts_find("alice"));
	ck_assert_int_eq(accounts_mirror_drop("alice"), 0);

	/* A full reread drops what it did not see, in one pass. */
	accounts_mirror_mark();
	ck_assert_int_eq(accounts_mirror_put(alice, strlen(alice)), 1);
	ck_assert_int_eq(accounts_mirror_sweep(), 1);
	ck_assert_ptr_null(accounts_find("bob"));
	ck_assert_ptr_nonnull(accounts_find("alice"));
	ck_assert_int_eq(accounts_count(), 1);
	COLLECT_UNTIL(worker_busy() == 0);
	assert_file(path, "# kept\nalice:$1$abcdefgh$x:user:\n");
	/* SIGHUP rereads nothing: Redis is where accounts are. */
	ck_assert_int_eq(accounts_reload(), 0);
	ck_assert_int_eq(accounts_count(), 1);
}
END_TEST

Suite *
accounts_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("accounts");
	tc = tcase_create("accounts");
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	/* yescrypt takes a few ms a hash, more under sanitizers. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_register_verify);
	tcase_add_test(tc, test_case_insensitive);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_file_format_and_restart);
	tcase_add_test(tc, test_method_and_salt);
	tcase_add_test(tc, test_password_limits);
	tcase_add_loop_test(tc, test_malformed_line, 0, NELEM(bad_lines));
	tcase_add_test(tc, test_kept_lines);
	tcase_add_test(tc, test_missing_and_unreadable);
	tcase_add_test(tc, test_set_color);
	tcase_add_test(tc, test_set_password);
	tcase_add_test(tc, test_save_missing_directory);
	tcase_add_test(tc, test_save_temp_blocked);
	tcase_add_test(tc, test_save_rename_fails);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_memory_only);
	tcase_add_test(tc, test_load_many_is_linear);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_cap_register);
	tcase_add_test(tc, test_jobs_answer_later);
	tcase_add_test(tc, test_changes_saved_together);
	tcase_add_test(tc, test_put);
	tcase_add_test(tc, test_store_and_mirror);
	suite_add_tcase(s, tc);
	return s;
}
