/* floor.c: the least a broadcast can cost here: one send() to each of N loopback streams, without chatd. */

/*
 * Forks; the child opens N TCP connections over loopback to the parent,
 * each from its own source address (127.2.x.y), and reads them all
 * (epoll on Linux, poll() elsewhere), and the parent, like chatd's
 * fan-out, sends
 * one line of -b bytes to each of the N in turn, -r rounds a second for
 * -s seconds.  It prints the time one round took (p50, p99, max) and
 * per send().  Pin the two with -w and -R (taskset, as bench/run.sh does) to
 * see one core's cost: at 10,000 streams this is the floor under chatd's
 * fan-out latency, since no server can write 10,000 sockets faster than
 * this loop does.
 *
 *     bench/floor -n 9000 -w 0 -R 1
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/epoll.h>
#else
#include <poll.h>
#endif

#define FLOOR_STREAMS_DEFAULT	1000
#define FLOOR_STREAMS_MAX	100000
#define FLOOR_BYTES_DEFAULT	150	/* about a chat line */
#define FLOOR_BYTES_MAX		4096
#define FLOOR_RATE_DEFAULT	20	/* rounds a second, like phase 1 */
#define FLOOR_SECONDS_DEFAULT	5
#define FLOOR_WARMUP		10	/* rounds not counted */
#define FLOOR_ADDR_FIRST	0x7f020000u	/* 127.2.0.0 */
#define FLOOR_READ_MAX		65536
#define FLOOR_EVENTS_MAX	1024

static int	*srv, *cli;
static int	 nstreams = FLOOR_STREAMS_DEFAULT;

static void
die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
pin(const char *cpu)
{
	char cmd[64];

	if (cpu == NULL)
		return;
	snprintf(cmd, sizeof cmd, "taskset -p -c %s %ld >/dev/null", cpu,
	    (long)getpid());
	if (system(cmd) != 0)
		fprintf(stderr, "floor: taskset failed: not pinned\n");
}

/* The child: the reader's ends, cli[i], each from its own address. */
static void
connect_all(const struct sockaddr_in *a)
{
	struct sockaddr_in src;
	int i;

	for (i = 0; i < nstreams; i++) {
		if ((cli[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			die("socket");
		memset(&src, 0, sizeof src);
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(FLOOR_ADDR_FIRST + (unsigned)i);
		if (bind(cli[i], (struct sockaddr *)&src, sizeof src) == -1)
			die("bind 127.2.x.y");
		if (connect(cli[i], (const struct sockaddr *)a, sizeof *a) == -1)
			die("connect");
	}
}

/* The parent: the writer's ends, srv[i]. */
static void
accept_all(int ls)
{
	int i, one = 1;

	for (i = 0; i < nstreams; i++) {
		if ((srv[i] = accept(ls, NULL, NULL)) == -1)
			die("accept");
		fcntl(srv[i], F_SETFL, fcntl(srv[i], F_GETFL) | O_NONBLOCK);
		setsockopt(srv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	close(ls);
}

/* The child: reads every stream until the parent is gone. */
static void
read_all(void)
{
	static char buf[FLOOR_READ_MAX];
	int i, n, open = nstreams;
#ifdef __linux__
	struct epoll_event ev, evs[FLOOR_EVENTS_MAX];
	int ep;

	if ((ep = epoll_create(FLOOR_EVENTS_MAX)) == -1)
		die("epoll_create");
	for (i = 0; i < nstreams; i++) {
		ev.events = EPOLLIN;
		ev.data.fd = cli[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cli[i], &ev) == -1)
			die("epoll_ctl");
	}
	while (open > 0) {
		if ((n = epoll_wait(ep, evs, FLOOR_EVENTS_MAX, -1)) == -1 &&
		    errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			if (read(evs[i].data.fd, buf, sizeof buf) <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, &ev);
				open--;
			}
	}
#else
	struct pollfd *pfd;

	if ((pfd = calloc((size_t)nstreams, sizeof *pfd)) == NULL)
		die("calloc");
	for (i = 0; i < nstreams; i++) {
		pfd[i].fd = cli[i];
		pfd[i].events = POLLIN;
	}
	while (open > 0) {
		if ((n = poll(pfd, (nfds_t)nstreams, -1)) == -1 && errno != EINTR)
			die("poll");
		for (i = 0; i < nstreams && n > 0; i++)
			if (pfd[i].revents) {
				n--;
				if (read(pfd[i].fd, buf, sizeof buf) <= 0) {
					pfd[i].fd = -1;
					open--;
				}
			}
	}
#endif
	_exit(0);
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr, "usage: floor [-b bytes] [-n streams] [-r rounds_per_s] "
	    "[-s seconds] [-w writer_cpu] [-R reader_cpu]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static char line[FLOOR_BYTES_MAX];
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	struct rlimit rl;
	struct timespec nap;
	const char *wcpu = NULL, *rcpu = NULL;
	double *took, t0, next, left;
	int bytes = FLOOR_BYTES_DEFAULT, rate = FLOOR_RATE_DEFAULT;
	int seconds = FLOOR_SECONDS_DEFAULT, ch, i, r, rounds, status, ls;
	pid_t pid;

	while ((ch = getopt(argc, argv, "b:n:r:s:w:R:")) != -1)
		switch (ch) {
		case 'b': bytes = atoi(optarg); break;
		case 'n': nstreams = atoi(optarg); break;
		case 'r': rate = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'w': wcpu = optarg; break;
		case 'R': rcpu = optarg; break;
		default: usage();
		}
	if (bytes < 1 || bytes > FLOOR_BYTES_MAX || nstreams < 1 ||
	    nstreams > FLOOR_STREAMS_MAX || rate < 1 || seconds < 1)
		usage();
	/* One end of every stream in each process, and a few more. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)nstreams + 16) {
		rl.rlim_cur = (rlim_t)nstreams + 16;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	if ((srv = calloc((size_t)nstreams, sizeof *srv)) == NULL ||
	    (cli = calloc((size_t)nstreams, sizeof *cli)) == NULL)
		die("calloc");
	rounds = FLOOR_WARMUP + rate * seconds;
	if ((took = calloc((size_t)rounds, sizeof *took)) == NULL)
		die("calloc");
	memset(line, 'x', sizeof line);
	line[bytes - 1] = '\n';
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) == -1 ||
	    listen(ls, 1024) == -1 ||
	    getsockname(ls, (struct sockaddr *)&a, &len) == -1)
		die("listen");
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		close(ls);
		connect_all(&a);
		pin(rcpu);
		read_all();
	}
	accept_all(ls);
	pin(wcpu);
	next = now_s();
	for (r = 0; r < rounds; r++) {
		t0 = now_s();
		for (i = 0; i < nstreams; i++)
			if (send(srv[i], line, (size_t)bytes, 0) == -1 &&
			    errno != EAGAIN && errno != EWOULDBLOCK)
				die("send");	/* full: the reader is behind */
		took[r] = now_s() - t0;
		next += 1.0 / rate;
		if ((left = next - now_s()) > 0) {
			nap.tv_sec = (time_t)left;
			nap.tv_nsec = (long)((left - (double)nap.tv_sec) * 1e9);
			nanosleep(&nap, NULL);
		}
	}
	for (i = 0; i < nstreams; i++)
		close(srv[i]);
	waitpid(pid, &status, 0);
	rounds -= FLOOR_WARMUP;
	qsort(took + FLOOR_WARMUP, (size_t)rounds, sizeof *took, by_value);
	printf("floor: %d streams, %d bytes, %d rounds a second: one round "
	    "p50 %.2f ms, p99 %.2f ms, max %.2f ms; %.2f us a send()\n",
	    nstreams, bytes, rate, took[FLOOR_WARMUP + rounds / 2] * 1e3,
	    took[FLOOR_WARMUP + (rounds - 1) * 99 / 100] * 1e3,
	    took[FLOOR_WARMUP + rounds - 1] * 1e3,
	    took[FLOOR_WARMUP + rounds / 2] * 1e6 / nstreams);
	return 0;
}
