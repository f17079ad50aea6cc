/* check_transcript.c: transcript lines, escaping, appending and rotation. */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "suites.h"
#include "transcript.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
#define DIR_BYTES	256
#define PATH_BYTES	512
#define WHEN		((time_t)1795299840)	/* 2026-11-21T22:24:00Z */

static char	base[DIR_BYTES / 2];
static char	dir[DIR_BYTES];
static char	path[PATH_BYTES];	/* dir/transcript */
static char	rotated[PATH_BYTES];	/* dir/transcript.1 */

static void
setup(void)
{
	snprintf(dir, sizeof dir, "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/transcript", dir);
	snprintf(rotated, sizeof rotated, "%s/transcript.1", dir);
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
	transcript_close();
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

	snprintf(base, sizeof base, "%s/chatd-transcript.XXXXXX",
	    t != NULL && *t != '\0' && strlen(t) < 64 ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void
base_teardown(void)
{
	nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
assert_file(const char *p, const char *want)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	buf_init(&b);
	buf_adds(&b, "");
	ck_assert_ptr_nonnull(f = fopen(p, "r"));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	ck_assert_str_eq(b.data, want);
	buf_free(&b);
}

/* Sends stderr, where warnings go, to a file until capture_end(). */
static int
capture_start(void)
{
	char p[PATH_BYTES + 8];
	int fd, saved;

	snprintf(p, sizeof p, "%s/stderr", dir);
	fflush(stderr);
	ck_assert_int_ne(fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_ne(saved = dup(2), -1);
	ck_assert_int_ne(dup2(fd, 2), -1);
	close(fd);
	return saved;
}

/* Puts stderr back; returns how many lines were logged meanwhile. */
static int
capture_end(int saved)
{
	char p[PATH_BYTES + 8], line[1024];
	int lines = 0;
	FILE *f;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	snprintf(p, sizeof p, "%s/stderr", dir);
	ck_assert_ptr_nonnull(f = fopen(p, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		lines++;
	fclose(f);
	unlink(p);
	return lines;
}

START_TEST(test_line_format)
{
	ck_assert_int_eq(transcript_open(path), 0);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "Alice", "msg",
	    "hello, world"), 0);
	ck_assert_int_eq(transcript_write(0, "lobby", "Bob", "join", ""), 0);
	ck_assert_int_eq(transcript_write(WHEN + 61, "lobby", "Op", "kick",
	    "Bob (spam)"), 0);
	assert_file(path,
	    "2026-11-21T22:24:00Z\tlobby\tAlice\tmsg\thello, world\n"
	    "1970-01-01T00:00:00Z\tlobby\tBob\tjoin\t\n"
	    "2026-11-21T22:25:01Z\tlobby\tOp\tkick\tBob (spam)\n");
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;
} escapes[] = {
	{ "", "" },
	{ "plain text", "plain text" },
	{ "back\\slash", "back\\\\slash" },
	{ "tab\there", "tab\\there" },
	{ "two\nlines", "two\\nlines" },
	{ "carriage\rreturn", "carriage\\rreturn" },
	{ "\\n is not a newline", "\\\\n is not a newline" },
	{ "\t\n\\", "\\t\\n\\\\" },
	{ "\\\\", "\\\\\\\\" },
	{ "caf\xc3\xa9 <b>", "caf\xc3\xa9 <b>" },
};

START_TEST(test_escape)
{
	struct buf b;

	/* Escaping appends to what the buffer holds. */
	buf_init(&b);
	buf_adds(&b, ">");
	ck_assert_int_eq(transcript_escape(&b, escapes[_i].in), 0);
	ck_assert_int_eq(b.data[0], '>');
	ck_assert_str_eq(b.data + 1, escapes[_i].out);
	buf_free(&b);
}
END_TEST

START_TEST(test_escaped_fields)
{
	ck_assert_int_eq(transcript_open(path), 0);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "Ni\tck\\", "msg",
	    "line one\nline\ttwo \\n\r"), 0);
	assert_file(path, "2026-11-21T22:24:00Z\tlobby\tNi\\tck\\\\\tmsg\t"
	    "line one\\nline\\ttwo \\\\n\\r\n");
}
END_TEST

START_TEST(test_append_across_reopen)
{
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("an older line\n", f);
	fclose(f);
	ck_assert_int_eq(transcript_open(path), 0);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), 0);
	transcript_close();
	ck_assert_int_eq(transcript_open(path), 0);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "B", "msg", "2"), 0);
	assert_file(path, "an older line\n"
	    "2026-11-21T22:24:00Z\tlobby\tA\tmsg\t1\n"
	    "2026-11-21T22:24:00Z\tlobby\tB\tmsg\t2\n");
}
END_TEST

START_TEST(test_rotation)
{
	ck_assert_int_eq(transcript_open(path), 0);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), 0);
	ck_assert_int_eq(rename(path, rotated), 0);
	ck_assert_int_eq(transcript_reopen(), 0);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "B", "msg", "2"), 0);
	assert_file(rotated, "2026-11-21T22:24:00Z\tlobby\tA\tmsg\t1\n");
	assert_file(path, "2026-11-21T22:24:00Z\tlobby\tB\tmsg\t2\n");
}
END_TEST

/* When the path cannot be reopened, lines go on to the old file. */
START_TEST(test_reopen_fails)
{
	int saved;

	ck_assert_int_eq(transcript_open(path), 0);
	ck_assert_int_eq(rename(path, rotated), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	saved = capture_start();
	ck_assert_int_eq(transcript_reopen(), -1);
	ck_assert_int_eq(capture_end(saved), 1);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), 0);
	assert_file(rotated, "2026-11-21T22:24:00Z\tlobby\tA\tmsg\t1\n");
}
END_TEST

START_TEST(test_no_transcript)
{
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), 0);
	ck_assert_int_eq(transcript_open(NULL), 0);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), 0);
	ck_assert_int_eq(transcript_reopen(), 0);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), 0);
	transcript_close();
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), 0);
}
END_TEST

START_TEST(test_open_fails)
{
	char p[PATH_BYTES + 16];
	int saved;

	snprintf(p, sizeof p, "%s/missing/transcript", dir);
	saved = capture_start();
	ck_assert_int_eq(transcript_open(p), -1);
	ck_assert_int_eq(capture_end(saved), 1);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), 0);
}
END_TEST

START_TEST(test_mode)
{
	struct stat st;

	umask(022);
	ck_assert_int_eq(transcript_open(path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
}
END_TEST

/* A disk that is full: every write fails, the log says so once. */
START_TEST(test_write_fails_logged_once)
{
	int saved;

	if (access("/dev/full", W_OK) == -1)
		return;
	ck_assert_int_eq(transcript_open("/dev/full"), 0);
	saved = capture_start();
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "1"), -1);
	ck_assert_int_eq(transcript_write(WHEN, "lobby", "A", "msg", "2"), -1);
	ck_assert_int_eq(capture_end(saved), 1);
}
END_TEST

Suite *
transcript_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("transcript");
	tc = tcase_create("transcript");
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_line_format);
	tcase_add_loop_test(tc, test_escape, 0, NELEM(escapes));
	tcase_add_test(tc, test_escaped_fields);
	tcase_add_test(tc, test_append_across_reopen);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_reopen_fails);
	tcase_add_test(tc, test_no_transcript);
	tcase_add_test(tc, test_open_fails);
	tcase_add_test(tc, test_mode);
	tcase_add_test(tc, test_write_fails_logged_once);
	suite_add_tcase(s, tc);
	return s;
}
