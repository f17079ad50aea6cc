/* itest_accounts.c: accounts, operators and the files that must survive, end to end. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "suites.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
#define SID_BYTES	33
#define CRASH_ROUNDS	12
#define CRASH_CLIENTS	3

/* A file in the server's scratch directory; a few rotating buffers. */
static const char *
in_dir(const struct server *s, const char *name)
{
	static char paths[4][600];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof paths[0], "%s/%s", s->dir, name);
	return p;
}

/* Appends text to a file, as an administrator would with an editor. */
static void
append_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* The line of the file that starts with prefix, copied into out; 0 if none. */
static int
line_starting(const char *path, const char *prefix, char *out, size_t size)
{
	char *data = itest_read_file(path), *p = data, *nl;
	int found = 0;

	for (; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			snprintf(out, size, "%.*s", (int)(nl - p), p);
			found = 1;
			break;
		}
		if (*nl == '\0')
			break;
	}
	free(data);
	return found;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/*
 * Waits up to ms for the line starting with prefix to end with tail (a
 * colour is saved off the loop, just after the room sees it); 1 if it
 * does, with the line in out.
 */
static int
wait_line(const char *path, const char *prefix, const char *tail, char *out,
    size_t size, int ms)
{
	long long until = itest_now() + ms;

	for (;;) {
		if (line_starting(path, prefix, out, size) && ends_with(out, tail))
			return 1;
		if (itest_now() >= until)
			return 0;
		poll(NULL, 0, 20);
	}
}

/* How many times text occurs in s. */
static int
count(const char *s, const char *text)
{
	int n = 0;

	while ((s = strstr(s, text)) != NULL) {
		n++;
		s += strlen(text);
	}
	return n;
}

/* Reads the stream until text has come n times: 1, or 0 after ms. */
static int
wait_count(struct stream *st, const char *text, int n, int ms)
{
	long long until = itest_now() + ms;

	while (stream_count(st, text) < n) {
		if (itest_now() >= until || st->eof)
			return 0;
		/* Waits for anything new: a text that cannot come. */
		stream_wait(st, "\x01", 50);
	}
	return stream_count(st, text) == n;
}

/* Posts /register; returns the status. */
static int
reg(const struct server *s, const char *name, const char *passwd)
{
	char body[256];
	struct reply r;
	int status;

	snprintf(body, sizeof body, "name=%s&passwd=%s", name, passwd);
	cl_post(s->port, "/register", body, &r);
	status = r.status;
	reply_free(&r);
	return status;
}

/* Logs in (the form must succeed) and opens the chat frame; sid copied out. */
static void
enter(const struct server *s, const char *form, char sid[SID_BYTES],
    struct stream *st)
{
	const char *p;
	int status;

	p = cl_login(s->port, form, &status);
	ck_assert_msg(p != NULL, "login %s: status %d", form, status);
	memcpy(sid, p, SID_BYTES);
	if (st != NULL)
		ck_assert_int_eq(stream_open(st, s->port, sid, NULL), 200);
}

/* The status of GET path?sid=sid (for example /talk: 403 once it ended). */
static int
get_with_sid(const struct server *s, const char *path, const char *sid)
{
	char target[128];
	struct reply r;
	int status;

	snprintf(target, sizeof target, "%s?sid=%s", path, sid);
	cl_get(s->port, target, &r);
	status = r.status;
	reply_free(&r);
	return status;
}

/*
 * One HTTP exchange from a chosen loopback source address, so that bans
 * by address can be told from bans by name.  It makes no Check call, so a
 * forked child may use it too.  Returns the status, 0 if the server could
 * not be reached or hung up; the body is kept in *body (malloc'd) if asked.
 */
static int
http_from(int port, const char *src, const char *request, char **body)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	char *data = NULL, *end;
	size_t len = 0, cap = 0, left = strlen(request);
	long long until = itest_now() + ITEST_TIMEOUT_MS;
	ssize_t n;
	int fd, status = 0;

	if (body != NULL)
		*body = NULL;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	if (src != NULL) {
		inet_pton(AF_INET, src, &sin.sin_addr);
		if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
			close(fd);
			return 0;
		}
	}
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return 0;
	}
	while (left > 0 && (n = write(fd, request, left)) > 0) {
		request += n;
		left -= (size_t)n;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (cap - len < 4097) {
			cap = cap ? cap * 2 : 16384;
			if ((end = realloc(data, cap)) == NULL)
				break;
			data = end;
		}
		if (itest_now() > until || poll(&pfd, 1, 100) < 0)
			break;
		if (pfd.revents == 0)
			continue;
		if ((n = read(fd, data + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (data == NULL)
		return 0;
	data[len] = '\0';
	if (sscanf(data, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	if (body != NULL && (end = strstr(data, "\r\n\r\n")) != NULL)
		*body = strdup(end + 4);
	free(data);
	return status;
}

/* POSTs a form from a source address; see http_from(). */
static int
post_from(int port, const char *src, const char *path, const char *form,
    char **body)
{
	char req[1024];

	snprintf(req, sizeof req, "POST %s HTTP/1.0\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	    path, strlen(form), form);
	return http_from(port, src, req, body);
}

/* Logs in from a source address; the sid is copied out on 200. */
static int
login_from(const struct server *s, const char *src, const char *form,
    char sid[SID_BYTES])
{
	char *body;
	const char *p;
	int status;

	status = post_from(s->port, src, "/login", form, &body);
	if (status == 303) {
		ck_assert_ptr_nonnull(body);
		ck_assert_ptr_nonnull(p = strstr(body, "sid="));
		memcpy(sid, p + 4, SID_BYTES - 1);
		sid[SID_BYTES - 1] = '\0';
	}
	free(body);
	return status;
}

/*
 * Runs chatd -A path -U name with input on its standard input; returns
 * its exit status, and what it printed (first line) in out if asked.
 */
static int
put_user(const char *path, const char *name, const char *input,
    char out[256])
{
	const char *bin = getenv("CHATD") ? getenv("CHATD") : "./chatd";
	int in[2], outp[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert(pipe(in) == 0 && pipe(outp) == 0);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(in[0], 0);
		dup2(outp[1], 1);
		dup2(null, 2);
		close(in[1]);
		close(outp[0]);
		execl(bin, bin, "-A", path, "-U", name, (char *)NULL);
		_exit(127);
	}
	ck_assert(pid > 0);
	close(in[0]);
	close(outp[1]);
	ck_assert(write(in[1], input, strlen(input)) == (ssize_t)strlen(input));
	close(in[1]);
	ck_assert(waitpid(pid, &status, 0) == pid);
	if (out != NULL) {
		n = read(outp[0], out, 255);
		out[n > 0 ? n : 0] = '\0';
	}
	close(outp[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(register_answers)
{
	static const struct {
		const char	*form;
		int		 status;
	} refused[] = {
		{ "name=a&passwd=pw", 400 },		/* too short */
		{ "name=bad%3Aname&passwd=pw", 400 },	/* ':' would split the line */
		{ "name=two+words&passwd=pw", 400 },
		{ "name=abcdefghijklmnopqrstu&passwd=pw", 400 },	/* 21 */
		{ "name=nopass&passwd=", 400 },
		{ "name=nopass", 400 },
		{ "name=ALICE&passwd=other", 409 },	/* names fold case */
		{ "name=ZO%C3%8B&passwd=other", 409 },	/* non-ASCII too */
	};
	struct server s;
	struct reply r;
	struct stat st;
	char line[512], *file;
	const char *path;
	size_t i;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	path = in_dir(&s, "accounts");
	cl_post(s.port, "/register", "name=alice&passwd=pw1", &r);
	ck_assert_int_eq(r.status, 200);
	/* The account is on disk by the time the 200 arrives. */
	ck_assert_msg(line_starting(path, "alice:$", line, sizeof line),
	    "no alice line after 200");
	ck_assert_ptr_nonnull(strstr(r.body, "href=\"/?name=alice\""));
	ck_assert_ptr_nonnull(strstr(r.body, "Log in"));
	reply_free(&r);
	ck_assert_ptr_nonnull(strstr(line, ":user:"));
	ck_assert_ptr_null(strstr(line, "pw1"));
	/* Hashes are secrets: the file is for chatd's user only. */
	ck_assert(stat(path, &st) == 0);
	ck_assert_msg((st.st_mode & 077) == 0, "mode %o", st.st_mode & 0777);
	ck_assert_int_eq(reg(&s, "Zo%C3%AB", "pw2"), 200);
	for (i = 0; i < NELEM(refused); i++) {
		cl_post(s.port, "/register", refused[i].form, &r);
		ck_assert_msg(r.status == refused[i].status, "%s: got %d",
		    refused[i].form, r.status);
		/* The form comes back so the user can try again. */
		ck_assert_ptr_nonnull(strstr(r.body, "action=\"/register\""));
		reply_free(&r);
	}
	/* HEAD shows the page and changes nothing; GET without a name too. */
	cl_raw(s.port, "HEAD /register?name=carl&passwd=x HTTP/1.0\r\n\r\n",
	    strlen("HEAD /register?name=carl&passwd=x HTTP/1.0\r\n\r\n"), &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	cl_get(s.port, "/register", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "action=\"/register\""));
	reply_free(&r);
	/* Two accounts, nothing else. */
	file = itest_read_file(path);
	ck_assert_msg(strncmp(file, "alice:", 6) == 0 &&
	    strstr(file, "\nZo\xc3\xab:$") != NULL, "file:\n%s", file);
	ck_assert_int_eq(count(file, "\n"), 2);
	free(file);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(login_with_and_without_password)
{
	struct server s;
	struct reply r;
	char target[256], sid[SID_BYTES], *log;
	const char *p;
	int status;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	ck_assert_int_eq(reg(&s, "bea", "s3cretWord"), 200);
	ck_assert_ptr_null(cl_login(s.port, "name=bea", &status));
	ck_assert_int_eq(status, 403);
	ck_assert_ptr_null(cl_login(s.port, "name=bea&passwd=", &status));
	ck_assert_int_eq(status, 403);
	cl_post(s.port, "/login", "name=BEA&passwd=wrong", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "password"));
	ck_assert_ptr_nonnull(strstr(r.body, "action=\"/login\""));
	reply_free(&r);
	/* Any case of the name, with the password, is the account. */
	ck_assert_ptr_nonnull(p = cl_login(s.port, "name=BeA&passwd=s3cretWord",
	    &status));
	memcpy(sid, p, SID_BYTES);
	ck_assert_int_eq(get_with_sid(&s, "/talk", sid), 200);
	/* Guests need no password, and a password does not hurt them. */
	ck_assert_ptr_nonnull(cl_login(s.port, "name=cal", NULL));
	ck_assert_ptr_nonnull(cl_login(s.port, "name=cy&passwd=any", NULL));
	ck_assert_ptr_null(cl_login(s.port, "name=CAL", &status));
	ck_assert_int_eq(status, 409);
	/* A password in a query string is not logged, nor is a sid. */
	snprintf(target, sizeof target, "/login?name=bea&passwd=s3cretWord");
	cl_get(s.port, target, &r);
	ck_assert_int_eq(r.status, 303);
	reply_free(&r);
	ck_assert_int_eq(get_with_sid(&s, "/names", sid), 403);	/* taken over */
	srv_stop_clean(&s);
	log = itest_read_file(s.errpath);
	ck_assert_ptr_null(strstr(log, "s3cretWord"));
	ck_assert_ptr_null(strstr(log, sid));
	free(log);
}
END_TEST

START_TEST(no_guests_flag)
{
	struct server s;
	struct reply r;
	int status;

	srv_start(&s, "-A", "@DIR@/accounts", "-G", NULL);
	cl_post(s.port, "/login", "name=gil", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "registered"));
	reply_free(&r);
	/* Registration stays open, and then the name may log in. */
	ck_assert_int_eq(reg(&s, "gil", "pw"), 200);
	ck_assert_ptr_null(cl_login(s.port, "name=gil&passwd=bad", &status));
	ck_assert_int_eq(status, 403);
	ck_assert_ptr_nonnull(cl_login(s.port, "name=gil&passwd=pw", &status));
	ck_assert_ptr_null(cl_login(s.port, "name=other", &status));
	ck_assert_int_eq(status, 403);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(restart_keeps_accounts_colour_and_password)
{
	struct server s1, s2;
	struct stream a;
	char path[600], line[512], sid[SID_BYTES];
	int status;

	srv_start(&s1, "-A", "@DIR@/accounts", NULL);
	snprintf(path, sizeof path, "%s", in_dir(&s1, "accounts"));
	ck_assert_int_eq(reg(&s1, "erin", "first"), 200);
	enter(&s1, "name=erin&passwd=first", sid, &a);
	cl_say_text(s1.port, sid, "/color Teal");
	ck_assert(stream_wait(&a, "changed colour", 2000));
	ck_assert_msg(wait_line(path, "erin:", ":user:teal", line, sizeof line,
	    2000), "line %s", line);
	/* A refused colour changes nothing, on screen or on disk. */
	cl_say_text(s1.port, sid, "/color chartreuse");
	ck_assert(stream_wait(&a, "Yours stays teal", 2000));
	cl_say_text(s1.port, sid, "/passwd first second");
	ck_assert(stream_wait(&a, "Your password is changed", 2000));
	cl_say_text(s1.port, sid, "/passwd wrong third");
	ck_assert(stream_wait(&a, "The old password is wrong", 2000));
	stream_close(&a);
	srv_stop_clean(&s1);
	ck_assert(line_starting(path, "erin:", line, sizeof line));
	ck_assert_msg(ends_with(line, ":user:teal"), "line %s", line);

	srv_start(&s2, "-A", path, NULL);
	ck_assert_ptr_null(cl_login(s2.port, "name=erin&passwd=first", &status));
	ck_assert_int_eq(status, 403);
	ck_assert_ptr_null(cl_login(s2.port, "name=erin", &status));
	ck_assert_int_eq(status, 403);
	enter(&s2, "name=erin&passwd=second", sid, &a);
	/* The saved colour is hers without asking. */
	ck_assert(stream_wait(&a, "color:teal\"><bdi>erin</bdi></span> joined",
	    2000));
	ck_assert_int_eq(reg(&s2, "erin", "x"), 409);
	stream_close(&a);
	srv_stop_clean(&s2);
}
END_TEST

START_TEST(sighup_rereads_accounts)
{
	struct server s;
	struct stream b;
	char line[512], extra[1200], sid[SID_BYTES], *file;
	const char *path, *hash;
	int status;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	path = in_dir(&s, "accounts");
	ck_assert_int_eq(reg(&s, "first", "pw1"), 200);
	ck_assert(line_starting(path, "first:", line, sizeof line));
	/* Hand-made lines reuse first's hash, so their password is pw1. */
	hash = line + strlen("first:");
	*strchr((char *)hash, ':') = '\0';
	snprintf(extra, sizeof extra, "# added by hand\nhandmade:%s:user:navy\n"
	    "handboss:%s:admin:\nnot an account line\n", hash, hash);
	append_file(path, extra);
	ck_assert(kill(s.pid, SIGHUP) == 0);
	ck_assert(srv_logged(&s, "SIGHUP", 2000));
	/* The bad line is reported by number, not by content. */
	ck_assert(srv_logged(&s, "accounts:5:", 1000));
	ck_assert(!srv_logged(&s, "not an account line", 0));
	ck_assert_ptr_null(cl_login(s.port, "name=handmade", &status));
	ck_assert_int_eq(status, 403);
	enter(&s, "name=handmade&passwd=pw1", sid, &b);
	ck_assert(stream_wait(&b, "color:navy\"><bdi>handmade</bdi></span> "
	    "joined", 2000));
	/* The role in the file counts: an admin may set the lobby's topic. */
	enter(&s, "name=handboss&passwd=pw1", sid, NULL);
	cl_say_text(s.port, sid, "/topic Set by the file's admin");
	ck_assert(stream_wait(&b, "set the topic", 2000));
	/* The next save keeps every line, the odd ones too, in place. */
	ck_assert_int_eq(reg(&s, "later", "pw"), 200);
	file = itest_read_file(path);
	ck_assert_msg(strstr(file, extra) != NULL && strstr(file, "\nlater:$")
	    != NULL, "file:\n%s", file);
	free(file);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(sighup_reopens_transcript)
{
	struct server s;
	char sid[SID_BYTES], old[600], *a, *b;
	const char *path;

	srv_start(&s, "-L", "@DIR@/transcript", NULL);
	path = in_dir(&s, "transcript");
	snprintf(old, sizeof old, "%s.1", path);
	enter(&s, "name=rotor", sid, NULL);
	cl_say_text(s.port, sid, "before rotation");
	ck_assert(rename(path, old) == 0);
	ck_assert(kill(s.pid, SIGHUP) == 0);
	ck_assert(srv_logged(&s, "SIGHUP", 2000));
	cl_say_text(s.port, sid, "after rotation");
	a = itest_read_file(old);
	b = itest_read_file(path);
	ck_assert_ptr_nonnull(strstr(a, "\tbefore rotation\n"));
	ck_assert_ptr_null(strstr(a, "after rotation"));
	ck_assert_ptr_nonnull(strstr(b, "\trotor\tmsg\tafter rotation\n"));
	ck_assert_ptr_null(strstr(b, "before rotation"));
	free(a);
	free(b);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(takeover_is_invisible_to_the_room)
{
	struct server s;
	struct stream f1, f2, g;
	struct reply r;
	char sid1[SID_BYTES], sid2[SID_BYTES], sidg[SID_BYTES], target[128];
	int status;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	ck_assert_int_eq(reg(&s, "fay", "pw"), 200);
	enter(&s, "name=fay&passwd=pw", sid1, &f1);
	enter(&s, "name=gus", sidg, &g);
	ck_assert(stream_wait(&g, "gus</bdi></span> joined", 2000));
	enter(&s, "name=fay&passwd=pw", sid2, NULL);
	ck_assert_str_ne(sid1, sid2);
	ck_assert(stream_wait(&f1, "logged in elsewhere", 2000));
	ck_assert(stream_wait_eof(&f1, 2000));
	ck_assert_int_eq(get_with_sid(&s, "/talk", sid1), 403);
	ck_assert_int_eq(cl_say(s.port, sid1, "ghost"), 403);
	ck_assert_int_eq(stream_open(&f2, s.port, sid2, NULL), 200);
	cl_say_text(s.port, sid2, "still me");
	ck_assert(stream_wait(&g, "still me", 2000));
	ck_assert(stream_wait(&f2, "still me", 2000));
	/* The room saw one join and no leave. */
	ck_assert_int_eq(stream_count(&g, "fay</bdi></span> joined"), 1);
	ck_assert_int_eq(stream_count(&g, "fay</bdi></span> left"), 0);
	snprintf(target, sizeof target, "/names?sid=%s", sidg);
	cl_get(s.port, target, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(count(r.body, "<bdi>fay</bdi>"), 1);
	reply_free(&r);
	/* A guest's name is not taken over: it stays in use. */
	ck_assert_ptr_null(cl_login(s.port, "name=gus", &status));
	ck_assert_int_eq(status, 409);
	stream_close(&f1);
	stream_close(&f2);
	stream_close(&g);
	srv_stop_clean(&s);
}
END_TEST

/*
 * A guest is chatting as hal when the owner registers "hal" and logs in.
 * Whatever happens to the guest, the owner's session must be a registered
 * one: a colour saved in the file, no /nick away from the account.
 */
START_TEST(owner_login_over_a_guest_gets_a_registered_session)
{
	struct server s;
	struct stream h, o;
	char sidg[SID_BYTES], sido[SID_BYTES], line[512];
	const char *path;
	int notices;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	path = in_dir(&s, "accounts");
	enter(&s, "name=hal", sidg, &h);
	ck_assert(stream_wait(&h, "hal</bdi></span> joined", 2000));
	notices = stream_count(&h, "class=\"ev notice\"");
	ck_assert_int_eq(reg(&s, "hal", "pw"), 200);
	enter(&s, "name=hal&passwd=pw", sido, &o);
	cl_say_text(s.port, sido, "/color maroon");
	ck_assert(stream_wait(&o, "changed colour", 2000));
	ck_assert_msg(wait_line(path, "hal:", ":user:maroon", line, sizeof line,
	    2000), "the owner's colour was not saved: %s", line);
	cl_say_text(s.port, sido, "/nick notHal");
	ck_assert_msg(stream_wait(&o, "A registered name stays as it is", 2000),
	    "the owner's session renamed itself away from the account");
	/* The guest's session is over, and it was told so. */
	ck_assert(stream_wait_eof(&h, 2000));
	ck_assert_int_gt(stream_count(&h, "class=\"ev notice\""), notices);
	ck_assert_int_eq(get_with_sid(&s, "/talk", sidg), 403);
	stream_close(&h);
	stream_close(&o);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(admins_are_operators_everywhere)
{
	struct server s0, s;
	struct stream b, c, v;
	struct reply r;
	char path[600], sidc[SID_BYTES], sidv[SID_BYTES], sidb[SID_BYTES];
	char sidj[SID_BYTES];
	long long until;
	int status;

	/* ivy is registered before the server with -a starts. */
	srv_start(&s0, "-A", "@DIR@/accounts", NULL);
	snprintf(path, sizeof path, "%s", in_dir(&s0, "accounts"));
	ck_assert_int_eq(reg(&s0, "ivy", "pw"), 200);
	srv_stop_clean(&s0);

	srv_start(&s, "-A", path, "-a", "ivy,boss", NULL);
	ck_assert(srv_logged(&s, "-a boss: not registered", 1000));
	ck_assert(!srv_logged(&s, "-a ivy", 0));
	/* carol makes den and is its operator; ivy is one there too. */
	enter(&s, "name=carol&room=den", sidc, &c);
	enter(&s, "name=ivy&passwd=pw&room=den", sidv, &v);
	cl_say_text(s.port, sidc, "/kick ivy");
	cl_say_text(s.port, sidc, "/ban ivy 5");
	ck_assert(wait_count(&c, "ivy is a server administrator", 2, 2000));
	ck_assert_int_eq(get_with_sid(&s, "/talk", sidv), 200);
	/* In the lobby nobody created, only an admin may set the topic. */
	enter(&s, "name=jim", sidj, NULL);
	cl_say_text(s.port, sidj, "/topic by a guest");
	cl_say_text(s.port, sidv, "/join lobby");
	cl_say_text(s.port, sidv, "/topic Admins were here");
	ck_assert(stream_wait(&v, "set the topic: <bdi class=\"tx\">Admins were "
	    "here", 2000));
	ck_assert_int_eq(stream_count(&v, "by a guest"), 0);
	/*
	 * Until boss has an account, nobody may be boss: not as a guest, not
	 * by /nick, not by registering over the web.
	 */
	cl_post(s.port, "/login", "name=Boss&room=den", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "reserved"));
	reply_free(&r);
	ck_assert_int_eq(reg(&s, "boss", "pw"), 403);
	ck_assert_int_eq(reg(&s, "BOSS", "pw"), 403);
	enter(&s, "name=jack&room=den", sidb, &b);
	cl_say_text(s.port, sidb, "/nick BOSS");
	ck_assert(stream_wait(&b, "reserved for a server administrator", 2000));
	ck_assert_int_eq(get_with_sid(&s, "/leave", sidb), 200);
	stream_close(&b);
	/* The operator gives boss a password; SIGHUP, and boss has powers. */
	ck_assert_int_eq(put_user(path, "boss", "pw\n", NULL), 0);
	ck_assert(kill(s.pid, SIGHUP) == 0);
	ck_assert(srv_logged(&s, "SIGHUP", 2000));
	until = itest_now() + 3000;
	while ((status = post_from(s.port, NULL, "/login",
	    "name=boss&passwd=pw&room=den", NULL)) == 403 &&
	    itest_now() < until)
		poll(NULL, 0, 50);
	ck_assert_int_eq(status, 303);
	enter(&s, "name=boss&passwd=pw&room=den", sidb, NULL);
	cl_say_text(s.port, sidb, "/kick carol out");
	ck_assert(stream_wait(&c, "carol</bdi></span> was kicked by ", 2000));
	ck_assert(stream_wait(&c, "boss</bdi></span>: <bdi class=\"tx\">out",
	    2000));
	ck_assert(stream_wait_eof(&c, 2000));
	stream_close(&c);
	stream_close(&v);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(kick_ends_the_session)
{
	struct server s;
	struct stream k, l, m;
	char sidk[SID_BYTES], sidl[SID_BYTES], sidm[SID_BYTES], sido[SID_BYTES];

	srv_start(&s, NULL);
	enter(&s, "name=kate&room=den", sidk, &k);
	enter(&s, "name=lou&room=den", sidl, &l);
	enter(&s, "name=mo&room=den", sidm, &m);
	enter(&s, "name=outsider", sido, NULL);
	/* Not an operator: refused, and nobody is kicked. */
	cl_say_text(s.port, sidl, "/kick mo");
	ck_assert(stream_wait(&l, "Only operators of den can do that", 2000));
	cl_say_text(s.port, sidk, "/kick nobody");
	ck_assert(stream_wait(&k, "Nobody called nobody is here", 2000));
	cl_say_text(s.port, sidk, "/kick outsider");
	ck_assert(stream_wait(&k, "outsider is not in this room", 2000));
	cl_say_text(s.port, sidk, "/kick lou being rude");
	ck_assert(stream_wait(&l, "lou</bdi></span> was kicked by <span", 2000));
	ck_assert(stream_wait(&l, "kate</bdi></span>: <bdi class=\"tx\">being "
	    "rude</bdi>", 2000));
	ck_assert(stream_wait_eof(&l, 2000));
	ck_assert(stream_wait(&m, "lou</bdi></span> was kicked by", 2000));
	ck_assert(stream_wait(&k, "lou</bdi></span> was kicked by", 2000));
	ck_assert_int_eq(stream_count(&m, "was kicked by"), 1);
	ck_assert_int_eq(stream_count(&m, "lou</bdi></span> left"), 0);
	ck_assert_int_eq(get_with_sid(&s, "/talk", sidl), 403);
	ck_assert_int_eq(cl_say(s.port, sidl, "still+here%3F"), 403);
	ck_assert_int_eq(get_with_sid(&s, "/talk", sidm), 200);
	/* A kick is no ban: lou may come back. */
	ck_assert_ptr_nonnull(cl_login(s.port, "name=lou&room=den", NULL));
	stream_close(&k);
	stream_close(&l);
	stream_close(&m);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(ban_refuses_name_and_address_in_that_room)
{
	static const char *const bad_minutes[] = { "0", "-5", "abc", "1.5" };
	struct server s;
	struct stream k, n, n2;
	char sidk[SID_BYTES], sidn[SID_BYTES], sido[SID_BYTES], cmd[64];
	char *body;
	size_t i;

	srv_start(&s, NULL);
	enter(&s, "name=kate&room=den", sidk, &k);
	ck_assert_int_eq(login_from(&s, "127.0.0.2", "name=ned&room=den", sidn),
	    303);
	ck_assert_int_eq(stream_open(&n, s.port, sidn, NULL), 200);
	ck_assert_int_eq(login_from(&s, "127.0.0.3", "name=oz&room=den", sido),
	    303);
	/* Minutes are a positive whole number; else nothing happens. */
	for (i = 0; i < NELEM(bad_minutes); i++) {
		snprintf(cmd, sizeof cmd, "/ban ned %s", bad_minutes[i]);
		cl_say_text(s.port, sidk, cmd);
	}
	ck_assert(wait_count(&k, "Usage: /ban nick [minutes]",
	    (int)NELEM(bad_minutes), 2000));
	ck_assert_int_eq(get_with_sid(&s, "/talk", sidn), 200);
	/* A non-operator cannot ban. */
	cl_say_text(s.port, sido, "/ban ned 5");
	ck_assert_int_eq(get_with_sid(&s, "/talk", sidn), 200);
	cl_say_text(s.port, sidk, "/ban ned 5");
	ck_assert(stream_wait(&k, "ned is banned from den for 5 minutes", 2000));
	ck_assert(stream_wait(&n, "ned</bdi></span> was kicked by", 2000));
	ck_assert(stream_wait_eof(&n, 2000));
	stream_close(&n);
	ck_assert_int_eq(get_with_sid(&s, "/talk", sidn), 403);
	/* By name from anywhere, by address under any name: 403. */
	ck_assert_int_eq(post_from(s.port, "127.0.0.4", "/login",
	    "name=NED&room=den", &body), 403);
	ck_assert_ptr_nonnull(strstr(body, "banned"));
	free(body);
	ck_assert_int_eq(post_from(s.port, "127.0.0.2", "/login",
	    "name=ned2&room=den", NULL), 403);
	ck_assert_int_eq(post_from(s.port, "127.0.0.4", "/login",
	    "name=pia&room=DEN", NULL), 303);
	/* Other rooms do not care; /join to den is refused too. */
	ck_assert_int_eq(login_from(&s, "127.0.0.2", "name=ned", sidn), 303);
	ck_assert_int_eq(stream_open(&n2, s.port, sidn, NULL), 200);
	cl_say_text(s.port, sidn, "/join den");
	ck_assert(stream_wait(&n2, "You are banned from den for now", 2000));
	cl_say_text(s.port, sidn, "/join pub");
	ck_assert(stream_wait(&n2, "Now in pub", 2000));
	stream_close(&n2);
	stream_close(&k);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(whois_shows_the_address_to_operators_only)
{
	struct server s;
	struct stream k, pt;
	char sidk[SID_BYTES], sidp[SID_BYTES], line[512];
	const char *p, *end;
	int notices;

	srv_start(&s, NULL);
	enter(&s, "name=kate&room=den", sidk, &k);
	enter(&s, "name=pat&room=den", sidp, &pt);
	cl_say_text(s.port, sidp, "/whois kate");
	cl_say_text(s.port, sidp, "/whois nobody");
	ck_assert(stream_wait(&pt, "kate: guest in den", 2000));
	ck_assert(stream_wait(&pt, "Nobody called nobody", 2000));
	ck_assert_int_eq(stream_count(&pt, "127.0.0.1"), 0);
	notices = stream_count(&k, "class=\"ev notice\"");
	cl_say_text(s.port, sidk, "/whois pat");
	ck_assert(stream_wait(&k, "from 127.0.0.1", 2000));
	/* One line with both, not the plain answer and then the address. */
	ck_assert_ptr_nonnull(p = strstr(k.data, "pat: guest in den"));
	ck_assert_ptr_nonnull(end = strstr(p, "</div>"));
	snprintf(line, sizeof line, "%.*s", (int)(end - p), p);
	ck_assert_msg(strstr(line, ", from 127.0.0.1") != NULL,
	    "the answer lacks the address: %s", line);
	ck_assert_int_eq(stream_count(&k, "class=\"ev notice\""), notices + 1);
	stream_close(&k);
	stream_close(&pt);
	srv_stop_clean(&s);
}
END_TEST

START_TEST(op_and_deop)
{
	struct server s;
	struct stream k, q;
	struct reply r;
	char sidk[SID_BYTES], sidq[SID_BYTES], target[128];

	srv_start(&s, NULL);
	enter(&s, "name=kate&room=den", sidk, &k);
	enter(&s, "name=quin&room=den", sidq, &q);
	cl_say_text(s.port, sidq, "/topic mine now");
	cl_say_text(s.port, sidq, "/op quin");
	cl_say_text(s.port, sidq, "/deop kate");
	ck_assert(wait_count(&q, "Only operators of den can do that", 3, 2000));
	ck_assert_int_eq(stream_count(&q, "set the topic"), 0);
	cl_say_text(s.port, sidk, "/op quin");
	ck_assert(stream_wait(&q, "kate made you an operator of den", 2000));
	ck_assert(stream_wait(&k, "quin is an operator of den now", 2000));
	snprintf(target, sizeof target, "/names?sid=%s", sidk);
	cl_get(s.port, target, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "class=\"user op\">"
	    "<span class=\"opmark\" title=\"operator\">@</span><span "
	    "class=\"nick\" style=\"color:"));
	reply_free(&r);
	cl_say_text(s.port, sidq, "/topic Quin rules");
	ck_assert(stream_wait(&k, "set the topic: <bdi class=\"tx\">Quin rules",
	    2000));
	cl_say_text(s.port, sidk, "/deop quin");
	ck_assert(stream_wait(&k, "quin is no longer an operator of den", 2000));
	cl_say_text(s.port, sidq, "/topic again");
	ck_assert(wait_count(&q, "Only operators of den can do that", 4, 2000));
	ck_assert_int_eq(stream_count(&k, "again"), 0);
	stream_close(&k);
	stream_close(&q);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Operator rights follow the person, not a guest name: once the guest who
 * made a room has gone, the next guest to take that name is no operator.
 */
START_TEST(guest_ops_do_not_pass_to_the_next_holder_of_the_name)
{
	struct server s;
	struct stream k2, w;
	char sidk[SID_BYTES], sidw[SID_BYTES], sidk2[SID_BYTES];

	srv_start(&s, NULL);
	enter(&s, "name=kate&room=den", sidk, NULL);
	enter(&s, "name=walt&room=den", sidw, &w);
	ck_assert_int_eq(get_with_sid(&s, "/leave", sidk), 200);
	ck_assert(stream_wait(&w, "kate</bdi></span> left den", 2000));
	/* Somebody else now logs in as kate, into the room walt kept alive. */
	enter(&s, "name=kate&room=den", sidk2, &k2);
	cl_say_text(s.port, sidk2, "/kick walt");
	ck_assert_msg(stream_wait(&k2, "Only operators of den can do that",
	    2000), "a new guest called kate inherited the old kate's ops");
	ck_assert_int_eq(get_with_sid(&s, "/talk", sidw), 200);
	stream_close(&k2);
	stream_close(&w);
	srv_stop_clean(&s);
}
END_TEST

/*
 * A registration that cannot be saved is not acknowledged and leaves no
 * account behind; once the file can be written, the same name registers.
 * The directory goes after the start, which would refuse it missing.
 */
START_TEST(unsaved_registration_is_refused)
{
	struct server s;
	char sid[SID_BYTES], dir[600], path[700];

	itest_scratch(dir, sizeof dir, "acct");
	snprintf(path, sizeof path, "%s/accounts", dir);
	srv_start(&s, "-A", path, NULL);
	ck_assert(rmdir(dir) == 0);
	ck_assert_int_eq(reg(&s, "uma", "pw"), 500);
	ck_assert(access(path, F_OK) == -1);
	/* No account in memory either: uma is a free guest name. */
	enter(&s, "name=uma", sid, NULL);
	ck_assert_int_eq(get_with_sid(&s, "/leave", sid), 200);
	ck_assert(mkdir(dir, 0700) == 0);
	ck_assert_int_eq(reg(&s, "uma", "pw"), 200);
	ck_assert(access(path, F_OK) == 0);
	ck_assert_ptr_null(cl_login(s.port, "name=uma", NULL));
	srv_stop_clean(&s);
}
END_TEST

/* An ISO-8601 UTC stamp such as 2026-11-21T22:24:00Z. */
static int
is_stamp(const char *p, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (len != sizeof shape - 1)
		return 0;
	for (i = 0; i < len; i++)
		if (shape[i] == 'd' ? p[i] < '0' || p[i] > '9' : p[i] != shape[i])
			return 0;
	return 1;
}

static void
utc_stamp(char out[32])
{
	time_t t = time(NULL);

	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

START_TEST(transcript_lines)
{
	static const char *const want[] = {
		"den\trae\tjoin\t",
		"den\tsam\tjoin\t",
		"den\trae\tmsg\thello there",
		"den\tsam\taction\twaves",
		"den\trae\ttopic\tFresh topic",
		"den\tsam\tnick\tsamuel",
		"den\trae\tmsg\tback\\\\slash\\nnext line",
		"den\trae\tmsg\ttab became space",
		"den\trae\tkick\tsamuel: bye now",
		"den\ttom\tjoin\t",
		"den\ttom\tleave\tleft",
	};
	struct server s;
	struct stream a;
	char sidr[SID_BYTES], sids[SID_BYTES], sidt[SID_BYTES], t0[32], t1[32];
	char *file, *line, *tab, *nl, target[128];
	struct reply r;
	size_t n = 0;

	srv_start(&s, "-L", "@DIR@/transcript", NULL);
	utc_stamp(t0);
	enter(&s, "name=rae&room=den", sidr, &a);
	enter(&s, "name=sam&room=den", sids, NULL);
	cl_say_text(s.port, sidr, "hello there");
	cl_say_text(s.port, sids, "/me waves");
	cl_say_text(s.port, sids, "/msg rae psst, a secret");
	cl_say_text(s.port, sids, "/color red");
	cl_say_text(s.port, sidr, "/topic Fresh topic");
	cl_say_text(s.port, sids, "/nick samuel");
	cl_say_text(s.port, sidr, "back\\slash\r\nnext line");
	cl_say_text(s.port, sidr, "tab\tbecame space");
	cl_say_text(s.port, sidr, "/kick samuel bye now");
	enter(&s, "name=tom&room=den", sidt, NULL);
	snprintf(target, sizeof target, "/leave?sid=%s", sidt);
	cl_get(s.port, target, &r);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);
	ck_assert(stream_wait(&a, "tom</bdi></span> left", 2000));
	ck_assert(stream_wait(&a, "psst", 2000));	/* the whisper did happen */
	utc_stamp(t1);
	file = itest_read_file(in_dir(&s, "transcript"));
	for (line = file; *line != '\0'; line = nl + 1) {
		ck_assert_msg((nl = strchr(line, '\n')) != NULL,
		    "last line unterminated: %s", line);
		*nl = '\0';
		ck_assert_msg(n < NELEM(want), "extra line: %s", line);
		ck_assert_ptr_nonnull(tab = strchr(line, '\t'));
		ck_assert_msg(is_stamp(line, (size_t)(tab - line)), "time: %s",
		    line);
		ck_assert_msg(strncmp(line, t0, 20) >= 0 &&
		    strncmp(line, t1, 20) <= 0, "time %.20s not in [%s, %s]",
		    line, t0, t1);
		ck_assert_str_eq(tab + 1, want[n]);
		n++;
	}
	ck_assert_int_eq((int)n, (int)NELEM(want));
	free(file);
	stream_close(&a);
	srv_stop_clean(&s);
}
END_TEST

/* A transcript that cannot be written stops the message: nobody sees it. */
START_TEST(unrecorded_message_is_not_sent)
{
	struct server s;
	struct stream a, b;
	char sida[SID_BYTES], sidb[SID_BYTES];

	srv_start(&s, "-L", "/dev/full", NULL);
	enter(&s, "name=abe", sida, &a);
	enter(&s, "name=ben", sidb, &b);
	cl_say_text(s.port, sida, "lost words");
	ck_assert(stream_wait(&a, "could not be recorded", 2000));
	ck_assert(srv_logged(&s, "transcript lines are being lost", 1000));
	cl_say_text(s.port, sida, "/me still lost");
	ck_assert(!stream_wait(&b, "lost", 300));
	ck_assert_int_eq(stream_count(&a, "lost words</bdi>"), 0);
	stream_close(&a);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

/*
 * Checks every line of an accounts file is name:hash:role:colour and that
 * it holds each name in acked (a list of "name\n" lines); returns how many
 * accounts it has.
 */
static int
check_accounts_file(const char *path, const char *acked, unsigned seed)
{
	char *file = itest_read_file(path), *line, *nl, *f[4], *p, *whole, want[64];
	const char *a, *e;
	int n = 0, i;

	ck_assert_msg(*file == '\0' || file[strlen(file) - 1] == '\n',
	    "seed %u: torn file:\n%s", seed, file);
	for (line = file; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		for (i = 0, p = line; i < 4; i++) {
			f[i] = p;
			if ((p = strchr(p, ':')) == NULL)
				break;
			*p++ = '\0';
		}
		ck_assert_msg(i == 3 && p == NULL, "seed %u: line %d has %d "
		    "fields", seed, n + 1, i + 1);
		ck_assert_msg(strlen(f[0]) >= 2 && strlen(f[0]) <= 20 &&
		    strspn(f[0], "abcdefghijklmnopqrstuvwxyz0123456789_-") ==
		    strlen(f[0]), "seed %u: bad name %s", seed, f[0]);
		ck_assert_msg(f[1][0] == '$' && strlen(f[1]) > 20,
		    "seed %u: bad hash for %s", seed, f[0]);
		ck_assert_msg(strcmp(f[2], "user") == 0, "seed %u: role %s",
		    seed, f[2]);
		ck_assert_msg(f[3][0] == '\0', "seed %u: colour %s", seed, f[3]);
		n++;
	}
	free(file);
	/* Every acknowledged name starts a line: look for "\nname:". */
	file = itest_read_file(path);
	ck_assert_ptr_nonnull(whole = malloc(strlen(file) + 2));
	whole[0] = '\n';
	memcpy(whole + 1, file, strlen(file) + 1);
	for (a = acked; (e = strchr(a, '\n')) != NULL; a = e + 1) {
		snprintf(want, sizeof want, "\n%.*s:", (int)(e - a), a);
		ck_assert_msg(count(whole, want) == 1, "seed %u: %.*s got 200 "
		    "but is in the file %d times", seed, (int)(e - a), a,
		    count(whole, want));
	}
	free(whole);
	free(file);
	return n;
}

/* A client that registers names until the server is gone; reports each 200. */
static void
registrar(int port, int round, int id, int report)
{
	char name[48], form[128], line[64];
	int i, status;

	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof name, "r%dc%dn%d", round, id, i);
		snprintf(form, sizeof form, "name=%s&passwd=pw-%s", name, name);
		status = post_from(port, NULL, "/register", form, NULL);
		if (status == 0)
			break;
		if (status == 200) {
			snprintf(line, sizeof line, "%s\n", name);
			if (write(report, line, strlen(line)) < 0)
				break;
		}
	}
	_exit(0);
}

/* Waits for the first acknowledged names of a round and keeps them. */
static int
read_ack(int fd, char **acked, size_t *alen)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char chunk[4096];
	ssize_t got;

	if (poll(&p, 1, ITEST_TIMEOUT_MS) != 1 ||
	    (got = read(fd, chunk, sizeof chunk)) <= 0)
		return 0;
	ck_assert_ptr_nonnull(*acked = realloc(*acked, *alen + (size_t)got + 1));
	memcpy(*acked + *alen, chunk, (size_t)got);
	*alen += (size_t)got;
	(*acked)[*alen] = '\0';
	return 1;
}

START_TEST(crash_loses_no_acknowledged_account)
{
	struct server s;
	char path[600], *acked = NULL, chunk[4096], form[96];
	size_t alen = 0;
	pid_t kids[CRASH_CLIENTS];
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	int round, i, pipefd[2], status, naccounts = 0, wait_ms;
	ssize_t got;

	acked = calloc(1, 1);
	for (round = 0; round < CRASH_ROUNDS; round++) {
		if (round == 0) {
			srv_start(&s, "-A", "@DIR@/accounts", NULL);
			snprintf(path, sizeof path, "%s", in_dir(&s, "accounts"));
		} else
			srv_start(&s, "-A", path, NULL);
		ck_assert_msg(!srv_logged(&s, "line skipped", 0),
		    "seed %u: round %d read a malformed line", seed, round);
		ck_assert(pipe(pipefd) == 0);
		for (i = 0; i < CRASH_CLIENTS; i++) {
			if ((kids[i] = fork()) == 0) {
				close(pipefd[0]);
				registrar(s.port, round, i, pipefd[1]);
			}
			ck_assert(kids[i] > 0);
		}
		close(pipefd[1]);
		/* At least one acknowledgement a round, however busy the machine. */
		ck_assert_msg(read_ack(pipefd[0], &acked, &alen),
		    "round %d: no registration acknowledged", round);
		/*
		 * Somewhere from the first hash to a few dozen of them, with
		 * rereads (SIGHUP) among the saves on odd rounds.
		 */
		wait_ms = 20 + (int)(rand_r(&seed) % 400);
		for (i = 0; round % 2 == 1 && i < 4; i++) {
			poll(NULL, 0, wait_ms / 5);
			ck_assert(kill(s.pid, SIGHUP) == 0);
		}
		poll(NULL, 0, round % 2 == 1 ? wait_ms / 5 : wait_ms);
		ck_assert(kill(s.pid, SIGKILL) == 0);
		for (i = 0; i < CRASH_CLIENTS; i++)
			waitpid(kids[i], NULL, 0);
		while ((got = read(pipefd[0], chunk, sizeof chunk)) > 0) {
			ck_assert_ptr_nonnull(acked = realloc(acked, alen +
			    (size_t)got + 1));
			memcpy(acked + alen, chunk, (size_t)got);
			alen += (size_t)got;
			acked[alen] = '\0';
		}
		close(pipefd[0]);
		status = srv_stop(&s);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "round %d: chatd was not killed (status %d)", round, status);
		naccounts = check_accounts_file(path, acked, seed);
	}
	/* It did register something, and the survivors still log in. */
	ck_assert_msg(alen > 0 && naccounts >= 5, "only %d accounts", naccounts);
	srv_start(&s, "-A", path, NULL);
	ck_assert(!srv_logged(&s, "line skipped", 0));
	*strchr(acked, '\n') = '\0';
	snprintf(form, sizeof form, "name=%s&passwd=pw-%s", acked, acked);
	ck_assert_ptr_nonnull(cl_login(s.port, form, NULL));
	ck_assert_int_eq(reg(&s, acked, "again"), 409);
	srv_stop_clean(&s);
	free(acked);
}
END_TEST


/* chatd -A file -U name: an htpasswd for chatd. */
START_TEST(put_user_writes_the_account)
{
	struct server s;
	struct stat st;
	char dir[] = "/tmp/chatd-put.XXXXXX", path[64], out[256], line[512];
	char before[512], *file;
	int status;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/accounts", dir);
	ck_assert_int_eq(put_user(path, "Root", "s3cret\n", out), 0);
	ck_assert_msg(strstr(out, "Root: account created") != NULL, "%s", out);
	ck_assert(line_starting(path, "Root:$", line, sizeof line));
	/* An ordinary account: powers come from -a. */
	ck_assert_msg(ends_with(line, ":user:"), "%s", line);
	ck_assert_ptr_null(strstr(line, "s3cret"));
	ck_assert(stat(path, &st) == 0 && (st.st_mode & 077) == 0);
	/* Again: a new password; role and colour as the file has them. */
	file = itest_read_file(path);
	ck_assert_int_eq(count(file, "\n"), 1);
	free(file);
	snprintf(before, sizeof before, "%.*s:admin:teal\n",
	    (int)(strstr(line, ":user:") - line), line);
	ck_assert_int_eq(truncate(path, 0), 0);
	append_file(path, "# kept\n");
	append_file(path, before);
	ck_assert_int_eq(put_user(path, "root", "other\r\n", out), 0);
	ck_assert_msg(strstr(out, "root: password changed") != NULL, "%s", out);
	ck_assert(line_starting(path, "Root:", line, sizeof line));
	ck_assert_msg(ends_with(line, ":admin:teal"), "%s", line);
	ck_assert_str_ne(line, before);
	file = itest_read_file(path);
	ck_assert_msg(strncmp(file, "# kept\n", 7) == 0, "%s", file);
	free(file);
	/* Refused: no password, a bad name, no -A. */
	ck_assert_int_eq(put_user(path, "root", "", NULL), 1);
	ck_assert_int_eq(put_user(path, "root", "\n", NULL), 1);
	ck_assert_int_eq(put_user(path, "no:pe", "pw\n", NULL), 2);
	/* The password read was the line, without its CR LF. */
	srv_start(&s, "-A", path, NULL);
	ck_assert_ptr_null(cl_login(s.port, "name=root&passwd=s3cret",
	    &status));
	ck_assert_int_eq(status, 403);
	ck_assert_ptr_nonnull(cl_login(s.port, "name=root&passwd=other",
	    &status));
	srv_stop_clean(&s);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A GET (an <img> on another site) never creates an account. */
START_TEST(get_register_creates_nothing)
{
	struct server s;
	struct reply r;
	const char *path;
	int status;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	path = in_dir(&s, "accounts");
	cl_get(s.port, "/register?name=mallory&passwd=pw", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "action=\"/register\""));
	ck_assert_ptr_null(strstr(r.body, "is yours"));
	reply_free(&r);
	ck_assert(access(path, F_OK) == -1);
	/* mallory is still a free guest name, and POST registers it. */
	ck_assert_ptr_nonnull(cl_login(s.port, "name=mallory", &status));
	ck_assert_int_eq(reg(&s, "mallory", "pw"), 200);
	ck_assert(access(path, F_OK) == 0);
	srv_stop_clean(&s);
}
END_TEST

#define FLOOD_CLIENTS	12
#define FLOOD_MS	2000
#define FLOOD_SAYS	10

/* Logs in as a registered user from src, again and again, until until. */
static void
flooder(int port, const char *src, long long until, int report)
{
	int n = 0, status;

	while (itest_now() < until) {
		status = post_from(port, src, "/login",
		    n % 2 ? "name=flood&passwd=wrong" :
		    "name=flood&passwd=floodpw", NULL);
		if (status == 0)
			break;
		n++;
	}
	if (write(report, &n, sizeof n) != sizeof n)
		_exit(1);
	_exit(0);
}

static int
by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Password checks run off the loop: while twelve clients from twelve
 * addresses check passwords as fast as they are answered, two other users'
 * messages still arrive at once.  Set ITEST_VERBOSE to see the numbers.
 */
START_TEST(login_flood_does_not_stall_talk)
{
	struct server s;
	struct stream b;
	char sida[SID_BYTES], sidc[SID_BYTES], sidb[SID_BYTES], text[64];
	char src[32];
	long long lat[FLOOD_SAYS], t0, until;
	pid_t kids[FLOOD_CLIENTS];
	int i, fds[2], n, logins = 0, status;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	ck_assert_int_eq(reg(&s, "flood", "floodpw"), 200);
	enter(&s, "name=alice", sida, NULL);
	enter(&s, "name=carol", sidc, NULL);
	enter(&s, "name=bob", sidb, &b);
	ck_assert(pipe(fds) == 0);
	until = itest_now() + FLOOD_MS;
	for (i = 0; i < FLOOD_CLIENTS; i++) {
		snprintf(src, sizeof src, "127.0.0.%d", 10 + i);
		if ((kids[i] = fork()) == 0) {
			close(fds[0]);
			flooder(s.port, src, until, fds[1]);
		}
		ck_assert(kids[i] > 0);
	}
	close(fds[1]);
	/* Let the flood build up, then talk through it. */
	poll(NULL, 0, 300);
	for (i = 0; i < FLOOD_SAYS; i++) {
		snprintf(text, sizeof text, "ping%d", i);
		t0 = itest_now();
		status = cl_say(s.port, i % 2 ? sidc : sida, text);
		ck_assert_int_eq(status, 200);
		ck_assert_msg(stream_wait(&b, text, 5000), "%s never came", text);
		lat[i] = itest_now() - t0;
		poll(NULL, 0, 120);
	}
	for (i = 0; i < FLOOD_CLIENTS; i++) {
		waitpid(kids[i], NULL, 0);
		if (read(fds[0], &n, sizeof n) == sizeof n)
			logins += n;
	}
	close(fds[0]);
	qsort(lat, FLOOD_SAYS, sizeof lat[0], by_value);
	if (getenv("ITEST_VERBOSE") != NULL)
		fprintf(stderr, "login flood: %d logins checked; message "
		    "latency median %lld ms, max %lld ms\n", logins,
		    lat[FLOOD_SAYS / 2], lat[FLOOD_SAYS - 1]);
	ck_assert_msg(logins >= 2 * FLOOD_CLIENTS, "only %d logins", logins);
	/* With crypt() in the loop: median 185 ms, max 381 ms here. */
	ck_assert_msg(lat[FLOOD_SAYS / 2] < 50 && lat[FLOOD_SAYS - 1] < 500,
	    "latency: median %lld ms, max %lld ms during %d logins",
	    lat[FLOOD_SAYS / 2], lat[FLOOD_SAYS - 1], logins);
	stream_close(&b);
	srv_stop_clean(&s);
}
END_TEST

#define MANY_ACCOUNTS	100000

/*
 * A file of 100,000 accounts: the server starts at once (it took 10.8 s
 * when every line was compared with those before it) and rereads it on
 * SIGHUP off the loop (the loop stood still for 40 s), while two users
 * talk.
 */
START_TEST(many_accounts_reread_without_stalling)
{
	struct server s;
	struct stream b;
	char path[600], sida[SID_BYTES], sidb[SID_BYTES], text[32], *p;
	long long lat, worst = 0, t0;
	size_t i, len = 0;
	int fd, status;

	srv_start(&s, NULL);	/* for its scratch directory */
	srv_stop_clean(&s);
	snprintf(path, sizeof path, "%s/many", s.dir);
	ck_assert_ptr_nonnull(p = malloc((size_t)MANY_ACCOUNTS * 64));
	for (i = 0; i < MANY_ACCOUNTS; i++)
		len += (size_t)sprintf(p + len, "m%07zu:$6$salt$hash:user:\n", i);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    -1);
	ck_assert(write(fd, p, len) == (ssize_t)len);
	close(fd);
	free(p);
	t0 = itest_now();
	srv_start(&s, "-A", path, NULL);
	ck_assert_msg(itest_now() - t0 < 3000, "start took %lld ms",
	    itest_now() - t0);
	enter(&s, "name=alice", sida, NULL);
	enter(&s, "name=bob", sidb, &b);
	for (i = 0; i < 5; i++) {
		ck_assert(kill(s.pid, SIGHUP) == 0);
		snprintf(text, sizeof text, "during%zu", i);
		t0 = itest_now();
		ck_assert_int_eq(cl_say(s.port, sida, text), 200);
		ck_assert(stream_wait(&b, text, 5000));
		if ((lat = itest_now() - t0) > worst)
			worst = lat;
		poll(NULL, 0, 150);
	}
	ck_assert_msg(worst < 500, "a message took %lld ms", worst);
	/* The table is full: a registration is refused, clearly. */
	ck_assert_int_eq(reg(&s, "onemore", "pw"), 503);
	ck_assert_ptr_null(cl_login(s.port, "name=m0099999", &status));
	ck_assert_int_eq(status, 403);
	stream_close(&b);
	srv_stop_clean(&s);
	unlink(path);
}
END_TEST

/* Sends a POST and hangs up without reading the answer. */
static void
post_and_leave(int port, const char *path, const char *form)
{
	char req[512];
	int fd = cl_connect(port);

	snprintf(req, sizeof req, "POST %s HTTP/1.0\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	    path, strlen(form), form);
	ck_assert(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	close(fd);
}

/*
 * Clients that hang up while their password is checked or their account
 * saved: the answer finds them gone, and nobody else gets it.
 */
START_TEST(client_gone_while_its_job_runs)
{
	struct server s;
	struct reply r;
	char name[32], form[64];
	int i, status;

	srv_start(&s, "-A", "@DIR@/accounts", NULL);
	ck_assert_int_eq(reg(&s, "gus", "pw"), 200);
	for (i = 0; i < 20; i++) {
		post_and_leave(s.port, "/login", "name=gus&passwd=pw");
		snprintf(form, sizeof form, "name=gone%d&passwd=pw", i);
		post_and_leave(s.port, "/register", form);
		/* Meanwhile others are answered, each with its own page. */
		cl_get(s.port, "/register", &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_nonnull(strstr(r.body, "action=\"/register\""));
		reply_free(&r);
	}
	/* The accounts were made all the same (the request was whole). */
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "gone%d", i);
		ck_assert_int_eq(reg(&s, name, "pw"), 409);
	}
	ck_assert_ptr_nonnull(cl_login(s.port, "name=gus&passwd=pw", &status));
	srv_stop_clean(&s);
}
END_TEST

Suite *
itest_accounts_suite(void)
{
	Suite *s = suite_create("itest_accounts");
	TCase *tc = tcase_create("accounts");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, itest_scratch_remove);
	tcase_add_test(tc, register_answers);
	tcase_add_test(tc, login_with_and_without_password);
	tcase_add_test(tc, no_guests_flag);
	tcase_add_test(tc, restart_keeps_accounts_colour_and_password);
	tcase_add_test(tc, sighup_rereads_accounts);
	tcase_add_test(tc, sighup_reopens_transcript);
	tcase_add_test(tc, takeover_is_invisible_to_the_room);
	tcase_add_test(tc, owner_login_over_a_guest_gets_a_registered_session);
	tcase_add_test(tc, admins_are_operators_everywhere);
	tcase_add_test(tc, kick_ends_the_session);
	tcase_add_test(tc, ban_refuses_name_and_address_in_that_room);
	tcase_add_test(tc, whois_shows_the_address_to_operators_only);
	tcase_add_test(tc, op_and_deop);
	tcase_add_test(tc, guest_ops_do_not_pass_to_the_next_holder_of_the_name);
	tcase_add_test(tc, unsaved_registration_is_refused);
	tcase_add_test(tc, transcript_lines);
	tcase_add_test(tc, unrecorded_message_is_not_sent);
	tcase_add_test(tc, crash_loses_no_acknowledged_account);
	tcase_add_test(tc, put_user_writes_the_account);
	tcase_add_test(tc, get_register_creates_nothing);
	tcase_add_test(tc, login_flood_does_not_stall_talk);
	tcase_add_test(tc, many_accounts_reread_without_stalling);
	tcase_add_test(tc, client_gone_while_its_job_runs);
	suite_add_tcase(s, tc);
	return s;
}
