/* chatd.c: main: options, the listening socket, daemon chores, signals, the loop. */

/*
 * This file alone asks for the system's full interface instead of strict
 * POSIX: dropping supplementary groups needs setgroups(), which every Unix
 * has but POSIX does not name.
 */
#undef _XOPEN_SOURCE
#define _DEFAULT_SOURCE 1

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "accounts_redis.h"
#include "cluster.h"
#include "cmd.h"
#include "config.h"
#include "conn.h"
#include "event.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "presence.h"
#include "redis.h"
#include "room.h"
#include "session.h"
#include "stats.h"
#include "text.h"
#include "tokens.h"
#include "transcript.h"
#include "web.h"

#define CHATD_BACKLOG		128
#define CHATD_TICK_MS		250	/* longest sleep: timers */
#define CHATD_DRAIN_MS		2000	/* output flushed at shutdown for at most */
#define CHATD_NOFILE_MAX	(1 << 20)	/* descriptors asked for when unlimited */
#define CHATD_WHERE_BYTES	(NI_MAXHOST + NI_MAXSERV + 4)	/* "[addr]:port" */
#define CHATD_BIND_TRIES	16	/* -p 0: ports tried for one free on every -b */

static volatile sig_atomic_t got_term, got_hup;
static int sig_pipe[2] = { -1, -1 };	/* the self-pipe: signals wake the loop */
static const char *pidfile_path;
static int pidfile_fd = -1;	/* open and locked while chatd runs */

/*
 * Sets the flag, and writes a byte the loop is watching for, so a signal
 * that comes between the loop's look at the flags and its wait still ends
 * the wait at once.
 */
static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	ssize_t n;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (sig_pipe[1] != -1)
		n = write(sig_pipe[1], &c, 1);	/* full: a wake-up is pending */
	(void)n;
	errno = saved;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The self-pipe's handler: the bytes only wake the loop; the flags say why. */
static void
on_sig_pipe(int fd, int ready, void *arg)
{
	char buf[64];

	(void)ready;
	(void)arg;
	while (read(fd, buf, sizeof buf) > 0)
		;
}

static void
open_sig_pipe(void)
{
	int i;

	if (pipe(sig_pipe) == -1)
		fatal("pipe");
	for (i = 0; i < 2; i++)
		if (fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) |
		    O_NONBLOCK) == -1 ||
		    fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC) == -1)
			fatal("pipe");
	if (loop_watch(sig_pipe[0], LOOP_READ, on_sig_pipe, NULL) == -1)
		fatal("%s", loop_backend());
}

/*
 * Raises the soft descriptor limit to the hard one (CHATD_NOFILE_MAX when
 * that is unlimited): the tables are sized by it.  Returns the limit.
 */
static int
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > CHATD_NOFILE_MAX)
		rl.rlim_cur = CHATD_NOFILE_MAX;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    getrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("raising the descriptor limit");
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > CHATD_NOFILE_MAX)
		return CHATD_NOFILE_MAX;
	if (rl.rlim_cur < CONN_RESERVE_FDS + 1)
		fatalx("only %d file descriptors: raise ulimit -n",
		    (int)rl.rlim_cur);
	return (int)rl.rlim_cur;
}

/*
 * Binds a listening socket; prints "ADDR:PORT" of it into where.  An IPv6
 * one takes IPv6 only, so that -b :: and -b 0.0.0.0 can go together.
 * A port in use is fatal unless may_fail, which returns -1 for it.
 */
static int
listen_on(const char *address, int port, char *where, size_t size,
    int may_fail)
{
	struct addrinfo hints, *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char portstr[16], host[NI_MAXHOST], serv[NI_MAXSERV];
	int fd, on = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%d", port);
	if ((rc = getaddrinfo(address, portstr, &hints, &ai)) != 0)
		fatalx("-b %s: %s", address, gai_strerror(rc));
	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) == -1)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (may_fail && errno == EADDRINUSE) {
			close(fd);
			freeaddrinfo(ai);
			return -1;
		}
		fatal("bind %s port %d", address, port);
	}
	freeaddrinfo(ai);
	if (listen(fd, CHATD_BACKLOG) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("listen");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, serv,
	    sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		fatal("getsockname");
	snprintf(where, size, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, serv);
	return fd;
}

/* The port a listening socket got (for -p 0). */
static int
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		fatal("getsockname");
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/*
 * Listens on every -b address.  With -p 0 the others take the port the
 * first one got; should another program hold it on one of them, all
 * start over on a new port.
 */
static void
listen_all(int *fds, char where[][CHATD_WHERE_BYTES])
{
	int try, i, port;

	for (try = 1; ; try++) {
		for (port = config.port, i = 0; i < config.naddresses; i++) {
			fds[i] = listen_on(config.addresses[i], port, where[i],
			    CHATD_WHERE_BYTES, config.port == 0 && i > 0 &&
			    try < CHATD_BIND_TRIES);
			if (fds[i] == -1)
				break;
			port = bound_port(fds[0]);
		}
		if (i == config.naddresses)
			return;
		while (i-- > 0)
			close(fds[i]);
	}
}

/* Makes a relative path absolute, since a daemon works from /. */
static const char *
absolute(const char *path)
{
	static char bufs[4][4096];
	static int next;
	char cwd[2048], *b;

	if (path == NULL || path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return path;
	b = bufs[next++ % 4];
	snprintf(b, sizeof bufs[0], "%s/%s", cwd, path);
	return b;
}

/*
 * Forks into the background.  The parent stays until the child reports
 * through the lifeline pipe that it started, and exits with its status,
 * so a daemon that cannot start fails loudly.  Returns the pipe's write end.
 */
static int
daemonize(void)
{
	int lifeline[2];
	char ok;
	ssize_t n;
	pid_t pid;

	if (pipe(lifeline) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(lifeline[1]);
		while ((n = read(lifeline[0], &ok, 1)) == -1 && errno == EINTR)
			;
		_exit(n == 1 ? 0 : 1);	/* else the child said why on stderr */
	}
	close(lifeline[0]);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	umask(027);
	return lifeline[1];
}

/* Detaches from the terminal once everything has started. */
static void
detach(int lifeline)
{
	int fd;

	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	log_init(1);
	if (write(lifeline, "", 1) != 1)
		log_warn("lifeline");
	close(lifeline);
}

/*
 * Refuses to start when a running chatd holds the pidfile's lock: checked
 * before the port is bound, so that a second start of the same command
 * names the real reason, not a port in use.
 */
static void
check_pidfile(const char *path)
{
	struct flock lk;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return;		/* none, or write_pidfile() will say why */
	memset(&lk, 0, sizeof lk);
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type != F_UNLCK)
		fatalx("pidfile %s is locked by pid %ld: is another chatd "
		    "running?", path, (long)lk.l_pid);
	close(fd);
}

/*
 * At exit, however it comes: the pidfile goes.  After -u the directory
 * may no longer let chatd unlink it; it is emptied instead, so it names
 * no process that is gone.
 */
static void
remove_pidfile(void)
{
	if (pidfile_fd == -1)
		return;
	if (unlink(pidfile_path) == -1 && ftruncate(pidfile_fd, 0) == -1)
		log_warn("pidfile %s", pidfile_path);
	close(pidfile_fd);
	pidfile_fd = -1;
}

/* Writes and locks the pidfile; a second chatd on it refuses to start. */
static void
write_pidfile(const char *path)
{
	struct flock lk;
	char line[32];
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT, 0644)) == -1)
		fatal("-P %s", path);
	memset(&lk, 0, sizeof lk);
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &lk) == -1)
		fatalx("pidfile %s is locked: is another chatd running?", path);
	/* The descriptor stays open: it holds the lock until exit. */
	pidfile_path = path;
	pidfile_fd = fd;
	atexit(remove_pidfile);
	snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		fatal("pidfile %s", path);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Gives up root for good: groups, then gid, then uid, each checked. */
static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("-u %s: no such user", user);
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		fatal("-u %s: cannot drop privileges", user);
	if (setuid(0) != -1 || geteuid() != pw->pw_uid || getegid() != pw->pw_gid)
		fatalx("-u %s: privileges were not dropped", user);
}

/*
 * Run after the privilege drop: fails at once, naming the flag, when chatd
 * could not write one of its files as the user it now is, rather than at
 * the first registration or event.  The accounts file is replaced by a new
 * one renamed into its directory; the transcript is opened for append.
 * The pidfile needs nothing here: write_pidfile() opened it before the
 * drop and keeps it open, so it can be emptied at exit whatever the user.
 */
static void
check_writable(void)
{
	const char *as = config.user ? " as " : "";
	const char *who = config.user ? config.user : "";
	struct stat st;
	char dir[4096], *slash;
	int fd;

	if (config.accounts != NULL) {
		/* absolute() made the path start with a slash. */
		snprintf(dir, sizeof dir, "%s", config.accounts);
		if ((slash = strrchr(dir, '/')) != NULL)
			slash[slash == dir] = '\0';
		if (access(dir, W_OK | X_OK) == -1) {
			if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
				errno = ENOTDIR;
			fatal("-A %s: cannot write in %s%s%s", config.accounts,
			    dir, as, who);
		}
		if (access(config.accounts, W_OK) == -1 && errno != ENOENT)
			fatal("-A %s: cannot write it%s%s", config.accounts, as,
			    who);
	}
	if (config.transcript != NULL) {
		if ((fd = open(config.transcript, O_WRONLY | O_APPEND | O_CREAT,
		    0640)) == -1)
			fatal("-L %s: cannot append to it%s%s", config.transcript,
			    as, who);
		close(fd);
	}
}

static void
warn_admins(void)
{
	accounts_warn_unregistered((const char *const *)config.admins,
	    config.nadmins, "-A accounts");
}

/* The helper thread finished account jobs: answer those who wait. */
static void
on_accounts(int fd, int ready, void *arg)
{
	(void)fd;
	(void)ready;
	(void)arg;
	if (accounts_collect()) {
		log_info("SIGHUP: %d accounts read", accounts_count());
		warn_admins();
	}
}

/* A bad token file keeps the tokens in force; the log says why. */
static void
reload_tokens(void)
{
	char why[256];

	if (config.tokenfile == NULL)
		return;
	if (tokens_load(config.tokenfile, why, sizeof why) == -1)
		log_warnx("SIGHUP: %s: %s; the %d tokens read before stay",
		    config.tokenfile, why, tokens_count());
	else
		log_info("SIGHUP: %d tokens read", tokens_count());
}

/* The accounts file is reread off the loop; on_accounts() warns after. */
static void
reload(void)
{
	got_hup = 0;
	log_info("SIGHUP: reopening the transcript, rereading accounts");
	transcript_reopen();
	accounts_reload_start();
	accounts_redis_reload();
	reload_tokens();
}

/*
 * chatd -R host:port -U name: with -R accounts live in Redis, so the
 * account goes there (running instances see it at once); the -A files
 * are copies the instances write.
 */
static int
put_account_redis(char *pw)
{
	char hash[ACCOUNTS_HASH_BYTES], why[256];
	int created, rv;

	if (!text_valid_name(config.put_user)) {
		memset(pw, 0, strlen(pw));
		fprintf(stderr, "chatd: -U %s: %s\n", config.put_user,
		    TEXT_NAME_RULE);
		return 1;
	}
	rv = accounts_make_hash(pw, hash);
	memset(pw, 0, strlen(pw));
	if (rv == -1) {
		fprintf(stderr, "chatd: -U %s: the password could not be "
		    "hashed\n", config.put_user);
		return 1;
	}
	if (accounts_redis_put(config.redis_host, config.redis_port,
	    config.instance, config.put_user, hash, &created, why,
	    sizeof why) == -1) {
		fprintf(stderr, "chatd: -U %s: Redis %s:%d: %s\n",
		    config.put_user, config.redis_host, config.redis_port, why);
		return 1;
	}
	printf("chatd: %s: %s in Redis %s:%d\n", config.put_user, created ?
	    "account created" : "password changed", config.redis_host,
	    config.redis_port);
	return 0;
}

/*
 * chatd -A file -U name, like htpasswd: the password is the first line
 * of standard input.  Creates the account (role user: -a gives powers)
 * or gives it a new password, with the same atomic save as the server,
 * then exits.  Returns the exit status.
 */
static int
put_account(void)
{
	char pw[ACCOUNTS_PASSWORD_MAX + 3];
	size_t len;
	int created;
	enum accounts_result r;

	if (fgets(pw, sizeof pw, stdin) == NULL) {
		fprintf(stderr, "chatd: -U %s: no password on standard input\n",
		    config.put_user);
		return 1;
	}
	len = strlen(pw);
	if (len > 0 && pw[len - 1] == '\n')
		pw[--len] = '\0';
	else if (!feof(stdin)) {
		fprintf(stderr, "chatd: -U %s: the password is longer than %d "
		    "bytes\n", config.put_user, ACCOUNTS_PASSWORD_MAX);
		return 1;
	}
	if (len > 0 && pw[len - 1] == '\r')
		pw[--len] = '\0';
	if (len == 0 || len > ACCOUNTS_PASSWORD_MAX) {
		fprintf(stderr, "chatd: -U %s: the password must be 1 to %d "
		    "bytes\n", config.put_user, ACCOUNTS_PASSWORD_MAX);
		return 1;
	}
	if (config.redis_host[0] != '\0')
		return put_account_redis(pw);
	if (accounts_open(config.accounts) == -1)
		return 1;
	r = accounts_put(config.put_user, pw, &created);
	memset(pw, 0, sizeof pw);
	accounts_close();
	switch (r) {
	case ACCOUNTS_DONE:
		printf("chatd: %s: %s in %s\n", config.put_user, created ?
		    "account created" : "password changed", config.accounts);
		return 0;
	case ACCOUNTS_FULL:
		fprintf(stderr, "chatd: -U %s: %s holds %d accounts, the most "
		    "chatd keeps\n", config.put_user, config.accounts,
		    ACCOUNTS_MAX);
		return 1;
	default:
		fprintf(stderr, "chatd: -U %s: %s could not be written\n",
		    config.put_user, config.accounts);
		return 1;
	}
}

/* Event numbers start from the wall clock, so a restart never repeats one. */
static void
start_event_ids(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	event_ids_start((unsigned long long)ts.tv_sec * 1000 +
	    (unsigned long long)ts.tv_nsec / 1000000);
}

/* -h: whether -R works in this build, and with which hiredis. */
static void
print_redis_build(void)
{
#ifdef CHATD_REDIS
	printf("redis: built (hiredis %d.%d.%d)\n", HIREDIS_MAJOR,
	    HIREDIS_MINOR, HIREDIS_PATCH);
#else
	printf("redis: not built\n");
#endif
}

/*
 * A session whose name another instance took while the link was down:
 * the claim holder keeps it (a registered owner is logged in there).
 */
static void
name_lost(struct session *s)
{
	session_notice(s, "Your name is in use on another server of this "
	    "chat; log in again%s.", s->registered ? "" : " with another name");
	cmd_end(s, s->registered ? SESSION_TAKEN_OVER : SESSION_LEAVE,
	    "name in use on another server");
}

/* -R: the link comes up in the loop; until then chat is local. */
static void
start_redis(void)
{
	if (config.redis_host[0] == '\0')
		return;
	log_info("instance %02x: sids begin with %02x", config.instance,
	    config.instance);
	presence_start(name_lost);
	cluster_start();
	redis_start();
}

int
main(int argc, char **argv)
{
	char where[CONFIG_ADDRESSES_MAX][CHATD_WHERE_BYTES];
	int fds[CONFIG_ADDRESSES_MAX];
	char why[256];
	int status, i, lifeline = -1, limit, nofile;

	text_locale_init();
	if ((status = config_parse(argc, argv)) == 1) {
		printf("event loop: %s\n", loop_backend());
		print_redis_build();
	}
	if (status != 0)
		return status == 1 ? 0 : status;
	config.accounts = absolute(config.accounts);
	config.transcript = absolute(config.transcript);
	config.pidfile = absolute(config.pidfile);
	config.tokenfile = absolute(config.tokenfile);
	if (config.put_user != NULL)
		return put_account();
	if (config.tokenfile != NULL && tokens_load(config.tokenfile, why,
	    sizeof why) == -1) {
		fprintf(stderr, "chatd: -T %s: %s\n", config.tokenfile, why);
		return 1;
	}
	if (config.redis_host[0] != '\0' && redis_resolve(config.redis_host,
	    config.redis_port) == -1) {
		fprintf(stderr, "chatd: -R %s:%d: the host does not resolve\n",
		    config.redis_host, config.redis_port);
		return 1;
	}
	web_set_origins((const char *const *)config.origins, config.norigins);
	if (http_set_frame_ancestors((const char *const *)config.origins,
	    config.norigins) == -1)
		fatalx("out of memory");
	setup_signals();
	nofile = raise_nofile();
	if (config.pidfile)
		check_pidfile(config.pidfile);
	listen_all(fds, where);
	if (config.daemonize)
		lifeline = daemonize();
	if (config.pidfile)
		write_pidfile(config.pidfile);
	if (config.user)
		drop_privileges(config.user);
	check_writable();
	if (accounts_open(config.accounts) == -1 ||
	    transcript_open(config.transcript) == -1)
		return 1;
	accounts_redis_start();
	if (loop_init(nofile) == -1)
		fatal("%s", loop_backend());
	open_sig_pipe();
	if (accounts_worker_fd() != -1 && loop_watch(accounts_worker_fd(),
	    LOOP_READ, on_accounts, NULL) == -1)
		fatal("%s: the accounts helper", loop_backend());
	start_event_ids();	/* before the lobby: its floor is the start */
	stats_init(time(NULL));
	if (room_init() == -1)
		fatalx("out of memory");
	limit = conn_init(fds, config.naddresses, config.max_conns,
	    config.per_ip);
	/* Scripts wait for the first line: it comes before routine warnings. */
	for (i = 0; i < config.naddresses; i++)
		fprintf(stderr, "chatd: listening on http://%s/\n", where[i]);
	log_info("using %s, at most %d connections (%d file descriptors)",
	    loop_backend(), limit, nofile);
	if (config.max_conns > limit)
		log_warnx("-c %d: clamped to %d, what %s and the descriptor "
		    "limit allow", config.max_conns, limit, loop_backend());
	config.max_conns = limit;
	if (config.user == NULL && geteuid() == 0)
		log_warnx("running as root: use -u to drop privileges");
	/* With -R, once the accounts are read from Redis (accounts_redis.c). */
	if (config.redis_host[0] == '\0')
		warn_admins();
	if (config.daemonize)
		detach(lifeline);
	start_redis();
	while (!got_term) {
		if (got_hup)
			reload();
		conn_pass(CHATD_TICK_MS);
		redis_tick(loop_now_ms());
		presence_tick(loop_now_ms());
		cluster_tick(loop_now_ms());
		accounts_redis_tick(loop_now_ms());
	}
	log_info("shutting down");
	presence_stop();
	conn_stopping();
	cluster_stop();
	cmd_shutdown();
	conn_drain(CHATD_DRAIN_MS);
	redis_stop();
	accounts_close();
	transcript_close();
	remove_pidfile();
	config_free();
	tokens_free();
	return 0;
}
