/* check_tokens.c: the -T token file: parsing, the mode check, rereads that fail, the comparison. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "tokens.h"

static char	dir[64];
static char	path[128];

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/chatd-tokens.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/tokens", dir);
}

static void
teardown(void)
{
	tokens_free();
	unlink(path);
	rmdir(dir);
}

static void
write_file(const char *text, mode_t mode)
{
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(lines_comments_and_blanks)
{
	char why[200];

	write_file("# a comment\n\n  alpha  \r\nbeta\n\t\n#gamma\n", 0600);
	ck_assert_int_eq(tokens_load(path, why, sizeof why), 0);
	ck_assert(tokens_enabled());
	ck_assert_int_eq(tokens_count(), 2);
	ck_assert_int_eq(tokens_check("alpha"), 1);
	ck_assert_int_eq(tokens_check("beta"), 1);
	ck_assert_int_eq(tokens_check("#gamma"), 0);
	ck_assert_int_eq(tokens_check("gamma"), 0);
	ck_assert_int_eq(tokens_check("alph"), 0);
	ck_assert_int_eq(tokens_check("alphaa"), 0);
	ck_assert_int_eq(tokens_check(""), 0);
	ck_assert_int_eq(tokens_check(NULL), 0);
	ck_assert_int_eq(tokens_check("  alpha  "), 0);
}
END_TEST

START_TEST(mode_and_rereads)
{
	char why[200];

	write_file("one\n", 0644);
	ck_assert_int_eq(tokens_load(path, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "chmod 600"));
	ck_assert(!tokens_enabled());
	write_file("one\n", 0602);
	ck_assert_int_eq(tokens_load(path, why, sizeof why), -1);
	write_file("one\n", 0400);
	ck_assert_int_eq(tokens_load(path, why, sizeof why), 0);
	/* A failed reread keeps what was in force. */
	write_file("two\n", 0640);
	ck_assert_int_eq(tokens_load(path, why, sizeof why), -1);
	ck_assert_int_eq(tokens_check("one"), 1);
	ck_assert_int_eq(tokens_check("two"), 0);
	ck_assert_int_eq(tokens_load("/nonexistent/tokens", why, sizeof why),
	    -1);
	ck_assert_int_eq(tokens_check("one"), 1);
	write_file("two\n", 0600);
	ck_assert_int_eq(tokens_load(path, why, sizeof why), 0);
	ck_assert_int_eq(tokens_check("one"), 0);
	ck_assert_int_eq(tokens_check("two"), 1);
}
END_TEST

START_TEST(long_tokens_and_lines)
{
	char why[200], tok[TOKENS_LEN_MAX + 2], text[TOKENS_LEN_MAX + 8];

	memset(tok, 'x', TOKENS_LEN_MAX);
	tok[TOKENS_LEN_MAX] = '\0';
	snprintf(text, sizeof text, "%s\n", tok);
	write_file(text, 0600);
	ck_assert_int_eq(tokens_load(path, why, sizeof why), 0);
	ck_assert_int_eq(tokens_check(tok), 1);
	/* One byte more than any token can be: no match, same work. */
	tok[TOKENS_LEN_MAX] = 'x';
	tok[TOKENS_LEN_MAX + 1] = '\0';
	ck_assert_int_eq(tokens_check(tok), 0);
	snprintf(text, sizeof text, "%s\n", tok);
	write_file(text, 0600);
	ck_assert_int_eq(tokens_load(path, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "longer"));
}
END_TEST

START_TEST(bearer_header)
{
	ck_assert_str_eq(tokens_bearer("Bearer abc"), "abc");
	ck_assert_str_eq(tokens_bearer("bearer   abc"), "abc");
	ck_assert_ptr_null(tokens_bearer("Basic abc"));
	ck_assert_ptr_null(tokens_bearer("Bearer "));
	ck_assert_ptr_null(tokens_bearer("Bear"));
	ck_assert_ptr_null(tokens_bearer(""));
	ck_assert_ptr_null(tokens_bearer(NULL));
}
END_TEST

Suite *
tokens_suite(void)
{
	Suite *s = suite_create("tokens");
	TCase *tc = tcase_create("tokens");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lines_comments_and_blanks);
	tcase_add_test(tc, mode_and_rereads);
	tcase_add_test(tc, long_tokens_and_lines);
	tcase_add_test(tc, bearer_header);
	suite_add_tcase(s, tc);
	return s;
}
