/* itest_accounts_redis.c: accounts in Redis (-R), across two chatd instances. */
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "suites.h"

#ifdef CHATD_REDIS
#define SID_BYTES	33
#define MIRROR_MS	3000	/* a change reaches the other instance within */
#define LOADED		"accounts mirrored from Redis"

/* "127.0.0.1:PORT" of a test Redis; a few rotating buffers. */
static const char *
addr_of(const struct redis *r)
{
	static char bufs[2][32];
	static int next;
	char *p = bufs[next++ % 2];

	snprintf(p, sizeof bufs[0], "127.0.0.1:%d", r->port);
	return p;
}

/* Starts instance NN on Redis r with an accounts file; waits for the mirror. */
static void
start_on(struct server *s, const struct redis *r, const char *id,
    const char *accounts)
{
	if (accounts != NULL)
		srv_start(s, "-R", addr_of(r), "-N", id, "-g", "2", "-A",
		    accounts, NULL);
	else
		srv_start(s, "-R", addr_of(r), "-N", id, "-g", "2", NULL);
	ck_assert_msg(srv_logged(s, LOADED, 5000), "instance %s: no mirror",
	    id);
}

/* Waits up to ms for the file to contain text; 1 if it does. */
static int
file_has(const char *path, const char *text, int ms)
{
	long long until = itest_now() + ms;
	char *data;
	int found;

	for (;;) {
		data = itest_read_file(path);
		found = strstr(data, text) != NULL;
		free(data);
		if (found || itest_now() >= until)
			return found;
		poll(NULL, 0, 50);
	}
}

/* Posts /register; returns the status, and the body in body if asked. */
static int
reg(const struct server *s, const char *name, const char *passwd,
    char *body, size_t size)
{
	char form[256];
	struct reply r;
	int status;

	snprintf(form, sizeof form, "name=%s&passwd=%s", name, passwd);
	cl_post(s->port, "/register", form, &r);
	status = r.status;
	if (body != NULL)
		snprintf(body, size, "%s", r.body ? r.body : "");
	reply_free(&r);
	return status;
}

/*
 * The status of a login with this form.  A session made quits at once:
 * a name is held by one instance at a time, and the next login may be on
 * the other.
 */
static int
login_status(const struct server *s, const char *form)
{
	const char *sid;
	int status;

	if ((sid = cl_login(s->port, form, &status)) != NULL)
		cl_say_text(s->port, sid, "/quit");
	return status;
}

/* Waits up to ms for a login with form to get want; the last status. */
static int
login_becomes(const struct server *s, const char *form, int want, int ms)
{
	long long until = itest_now() + ms;
	int status;

	while ((status = login_status(s, form)) != want &&
	    itest_now() < until)
		poll(NULL, 0, 100);
	return status;
}

/*
 * The account's line as Redis holds it, through a script that answers a
 * one-line status (rds_command() reads one line); "" if there is none.
 */
static void
redis_line(const struct redis *r, const char *key, char *out, size_t size)
{
	char cmd[256], answer[512];

	snprintf(cmd, sizeof cmd, "EVAL \"return {ok=redis.call('HGET',"
	    "KEYS[1],ARGV[1]) or ''}\" 1 chatd:accounts %s", key);
	ck_assert_int_eq(rds_command(r->port, cmd, answer, sizeof answer), 0);
	ck_assert_msg(answer[0] == '+', "answer %s", answer);
	answer[strcspn(answer, "\r\n")] = '\0';
	snprintf(out, size, "%s", answer + 1);
}

static int
starts_ends(const char *s, const char *head, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return strncmp(s, head, strlen(head)) == 0 && n >= t &&
	    strcmp(s + n - t, tail) == 0;
}

START_TEST(register_here_log_in_there)
{
	struct redis rd;
	struct server s1, s2;
	struct stream a;
	char line[600], answer[64], copy[600], sid[SID_BYTES];
	const char *p;
	int status;

	rds_start(&rd);
	start_on(&s1, &rd, "01", "@DIR@/accounts");
	start_on(&s2, &rd, "02", "@DIR@/accounts");
	/* The test Redis keeps nothing on disk: both say so. */
	ck_assert(srv_logged(&s1, "appendonly no", 1000));
	ck_assert(srv_logged(&s2, "set appendonly yes and appendfsync always",
	    1000));

	ck_assert_int_eq(reg(&s1, "alice", "first", NULL, 0), 200);
	ck_assert_int_eq(rds_command(rd.port, "HEXISTS chatd:accounts alice",
	    answer, sizeof answer), 0);
	ck_assert_msg(strncmp(answer, ":1", 2) == 0, "answer %s", answer);
	redis_line(&rd, "alice", line, sizeof line);
	ck_assert_msg(starts_ends(line, "alice:$", ":user:"), "line %s", line);

	/*
	 * Its -A file is a copy of what Redis holds, written once the
	 * change reached it; a login before then would be a guest's.
	 */
	snprintf(copy, sizeof copy, "%s/accounts", s2.dir);
	ck_assert(file_has(copy, "alice:$", MIRROR_MS));
	/* The other instance knows her: her password, and only hers. */
	ck_assert_int_eq(login_status(&s2, "name=alice&passwd=wrong"), 403);
	ck_assert_int_eq(login_status(&s2, "name=alice"), 403);
	ck_assert_int_eq(login_becomes(&s2, "name=alice&passwd=first", 200,
	    MIRROR_MS), 200);
	ck_assert_int_eq(reg(&s2, "ALICE", "other", NULL, 0), 409);

	/* A colour and a password changed on one are seen on the other. */
	ck_assert_ptr_nonnull(p = cl_login(s1.port, "name=alice&passwd=first",
	    &status));
	memcpy(sid, p, SID_BYTES);
	ck_assert_int_eq(stream_open(&a, s1.port, sid, NULL), 200);
	cl_say_text(s1.port, sid, "/color teal");
	ck_assert(stream_wait(&a, "changed colour", 2000));
	ck_assert(file_has(copy, ":user:teal\n", MIRROR_MS));
	redis_line(&rd, "alice", line, sizeof line);
	ck_assert_msg(starts_ends(line, "alice:$", ":user:teal"), "line %s",
	    line);
	cl_say_text(s1.port, sid, "/passwd first second");
	ck_assert(stream_wait(&a, "Your password is changed", 2000));
	cl_say_text(s1.port, sid, "/quit");
	stream_close(&a);
	ck_assert_int_eq(login_becomes(&s2, "name=alice&passwd=second", 200,
	    MIRROR_MS), 200);
	ck_assert_int_eq(login_status(&s2, "name=alice&passwd=first"), 403);
	/* The colour change kept the new password, and the other way round. */
	redis_line(&rd, "alice", line, sizeof line);
	ck_assert_msg(starts_ends(line, "alice:$", ":user:teal"), "line %s",
	    line);

	srv_stop_clean(&s1);
	srv_stop_clean(&s2);
	rds_stop(&rd);
}
END_TEST

/* Sends a registration on a connection of its own, answer read later. */
static int
reg_send(int port, const char *name, const char *passwd)
{
	char form[128], req[512];
	int fd = cl_connect(port);

	snprintf(form, sizeof form, "name=%s&passwd=%s", name, passwd);
	snprintf(req, sizeof req, "POST /register HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(form), form);
	ck_assert(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	return fd;
}

/* The status of the answer on fd. */
static int
reg_status(int fd)
{
	char buf[64];
	ssize_t n;
	int status = 0;

	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	ck_assert(n > 12);
	buf[n] = '\0';
	ck_assert(sscanf(buf, "HTTP/1.%*d %d", &status) == 1);
	return status;
}

START_TEST(one_name_registered_on_both)
{
	struct redis rd;
	struct server s1, s2;
	int fd1, fd2, st1, st2, i;
	char name[16], form[64];

	rds_start(&rd);
	start_on(&s1, &rd, "01", NULL);
	start_on(&s2, &rd, "02", NULL);
	/* Sent together: hashing takes a while, so both are under way. */
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "zed%d", i);
		fd1 = reg_send(s1.port, name, "one");
		fd2 = reg_send(s2.port, name, "two");
		st1 = reg_status(fd1);
		st2 = reg_status(fd2);
		ck_assert_msg((st1 == 200 && st2 == 409) ||
		    (st1 == 409 && st2 == 200), "%s: %d and %d", name, st1,
		    st2);
		/* The winner's password works on both instances. */
		snprintf(form, sizeof form, "name=zed%d&passwd=%s", i,
		    st1 == 200 ? "one" : "two");
		ck_assert_int_eq(login_becomes(&s1, form, 200, MIRROR_MS), 200);
		ck_assert_int_eq(login_becomes(&s2, form, 200, MIRROR_MS), 200);
	}
	srv_stop_clean(&s1);
	srv_stop_clean(&s2);
	rds_stop(&rd);
}
END_TEST

START_TEST(redis_away_refuses_changes_keeps_logins)
{
	struct redis rd;
	struct server s1;
	struct stream a;
	char body[4096], sid[SID_BYTES];
	const char *p;
	int status;

	rds_start(&rd);
	/* Durable as the man page asks: no warning (it comes before the mirror). */
	ck_assert_int_eq(rds_command(rd.port, "CONFIG SET appendonly yes",
	    body, sizeof body), 0);
	ck_assert_int_eq(rds_command(rd.port, "CONFIG SET appendfsync always",
	    body, sizeof body), 0);
	ck_assert_msg(strncmp(body, "+OK", 3) == 0, "answer %s", body);
	start_on(&s1, &rd, "01", "@DIR@/accounts");
	ck_assert(!srv_logged(&s1, "appendonly", 0));
	ck_assert_int_eq(reg(&s1, "bob", "secret", NULL, 0), 200);
	rds_stop(&rd);
	ck_assert(srv_logged(&s1, "chatting locally", 8000));

	ck_assert_int_eq(reg(&s1, "carol", "secret", body, sizeof body), 503);
	ck_assert_msg(strstr(body, "unavailable while Redis is away") != NULL,
	    "body %s", body);
	/* Taken stays taken: the mirror answers. */
	ck_assert_int_eq(reg(&s1, "bob", "other", NULL, 0), 409);
	ck_assert_int_eq(login_status(&s1, "name=bob&passwd=wrong"), 403);
	ck_assert_ptr_nonnull(p = cl_login(s1.port, "name=bob&passwd=secret",
	    &status));
	memcpy(sid, p, SID_BYTES);
	ck_assert_int_eq(stream_open(&a, s1.port, sid, NULL), 200);
	cl_say_text(s1.port, sid, "/passwd secret newer");
	ck_assert(stream_wait(&a, "unavailable while Redis is away", 2000));
	cl_say_text(s1.port, sid, "/color navy");
	ck_assert(stream_wait(&a, "could not be saved", 2000));
	stream_close(&a);
	ck_assert_int_eq(login_status(&s1, "name=bob&passwd=secret"), 200);
	srv_stop_clean(&s1);
}
END_TEST

/* Runs chatd -R addr -U name with password on its standard input. */
static int
put_user(const char *addr, const char *name, const char *password)
{
	const char *bin = getenv("CHATD") ? getenv("CHATD") : "./chatd";
	int in[2], status;
	pid_t pid;

	ck_assert(pipe(in) == 0);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(in[0], 0);
		dup2(null, 1);
		dup2(null, 2);
		close(in[1]);
		execl(bin, bin, "-R", addr, "-U", name, (char *)NULL);
		_exit(127);
	}
	ck_assert(pid > 0);
	close(in[0]);
	ck_assert(write(in[1], password, strlen(password)) ==
	    (ssize_t)strlen(password));
	close(in[1]);
	ck_assert(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* How often Redis has run a command since its last RESETSTAT. */
static long
calls_of(const struct redis *r, const char *command)
{
	char cmd[128], line[512], want[64];
	long calls = 0;
	FILE *p;

	snprintf(cmd, sizeof cmd, "redis-cli -p %d info commandstats",
	    r->port);
	snprintf(want, sizeof want, "cmdstat_%s:calls=", command);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	while (fgets(line, sizeof line, p) != NULL)
		if (strncmp(line, want, strlen(want)) == 0)
			calls = atol(line + strlen(want));
	pclose(p);
	return calls;
}

/* With nothing new, the change log is read a few times a second, no more. */
START_TEST(an_idle_instance_polls_gently)
{
	struct redis rd;
	struct server s1;
	char answer[64];
	long calls;

	rds_start(&rd);
	start_on(&s1, &rd, "01", NULL);
	ck_assert_int_eq(rds_command(rd.port, "CONFIG RESETSTAT", answer,
	    sizeof answer), 0);
	sleep(2);
	calls = calls_of(&rd, "xread");
	ck_assert_msg(calls > 0 && calls < 40, "%ld XREADs in 2 s", calls);
	srv_stop_clean(&s1);
	rds_stop(&rd);
}
END_TEST

START_TEST(empty_redis_takes_the_file_then_U_writes_redis)
{
	struct redis rd;
	struct server s0, s1, s2;
	char path[600], answer[64];

	/* Accounts made before the cluster, in a plain -A file. */
	srv_start(&s0, "-A", "@DIR@/accounts", NULL);
	snprintf(path, sizeof path, "%s/accounts", s0.dir);
	ck_assert_int_eq(reg(&s0, "erin", "before", NULL, 0), 200);
	srv_stop_clean(&s0);

	rds_start(&rd);
	start_on(&s1, &rd, "01", path);
	ck_assert(srv_logged(&s1, "Redis held none: 1 accounts put in it",
	    1000));
	ck_assert_int_eq(rds_command(rd.port, "HLEN chatd:accounts", answer,
	    sizeof answer), 0);
	ck_assert_msg(strncmp(answer, ":1", 2) == 0, "answer %s", answer);
	/*
	 * An instance without a file of its own gets them from Redis, and
	 * warns of administrators Redis does not know once it has read them.
	 */
	srv_start(&s2, "-R", addr_of(&rd), "-N", "02", "-g", "2", "-a",
	    "erin,ghost", NULL);
	ck_assert(srv_logged(&s2, LOADED, 5000));
	ck_assert(srv_logged(&s2, "-a ghost: not registered", 1000));
	ck_assert(!srv_logged(&s2, "-a erin:", 0));
	ck_assert_int_eq(login_status(&s2, "name=erin&passwd=before"), 200);
	ck_assert_int_eq(login_status(&s2, "name=erin&passwd=after"), 403);

	/* -U with -R: straight into Redis; running instances follow. */
	ck_assert_int_eq(put_user(addr_of(&rd), "erin", "after\n"), 0);
	ck_assert_int_eq(put_user(addr_of(&rd), "frank", "pw\n"), 0);
	ck_assert_int_eq(login_becomes(&s2, "name=erin&passwd=after", 200,
	    MIRROR_MS), 200);
	ck_assert_int_eq(login_becomes(&s1, "name=frank&passwd=pw", 200,
	    MIRROR_MS), 200);
	ck_assert(file_has(path, "frank:$", MIRROR_MS));
	srv_stop_clean(&s1);
	srv_stop_clean(&s2);
	rds_stop(&rd);
}
END_TEST

Suite *
itest_accounts_redis_suite(void)
{
	Suite *s = suite_create("itest_accounts_redis");
	TCase *tc = tcase_create("accounts_redis");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, register_here_log_in_there);
	tcase_add_test(tc, one_name_registered_on_both);
	tcase_add_test(tc, redis_away_refuses_changes_keeps_logins);
	tcase_add_test(tc, empty_redis_takes_the_file_then_U_writes_redis);
	tcase_add_test(tc, an_idle_instance_polls_gently);
	suite_add_tcase(s, tc);
	return s;
}
#else
/* Built without Redis: the suite is not registered. */
typedef int itest_accounts_redis_not_built;
#endif
