/* hostile_probe.c: a normal chat user who measures message delivery while chatd is attacked. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_TALKERS	3	/* the rate limit is 1 message a second each */
#define PROBE_PERIOD_MS	400	/* one message this often */
#define PROBE_WAIT_MS	5000	/* a message not seen by then is lost */
#define PROBE_SAMPLES	4096

static const char *server_ip = "127.0.0.1";
static const char *source_ip = "127.0.0.2";
static int port;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connection from source_ip, so that the attacker's per-address limit is not ours. */
static int
dial(void)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, source_ip, &sin.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, server_ip, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends a request and reads the answer to EOF; the status, or 0. */
static int
request(const char *req, char *ans, size_t size)
{
	struct pollfd pfd;
	long long until = now_ms() + PROBE_WAIT_MS;
	size_t len = 0;
	ssize_t n;
	int fd, status = 0;

	ans[0] = '\0';
	if ((fd = dial()) == -1)
		return 0;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		return 0;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len < size - 1 && now_ms() < until &&
	    poll(&pfd, 1, (int)(until - now_ms())) == 1 &&
	    (n = read(fd, ans + len, size - 1 - len)) > 0)
		len += (size_t)n;
	ans[len] = '\0';
	close(fd);
	sscanf(ans, "HTTP/1.%*d %d", &status);
	return status;
}

static int
post(const char *path, const char *body, char *ans, size_t size)
{
	char req[1024];

	snprintf(req, sizeof req, "POST %s HTTP/1.0\r\nContent-Type: application/"
	    "x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s", path,
	    strlen(body), body);
	return request(req, ans, size);
}

/* Logs in (303 to /room?sid=...): the sid into sid[33], or -1 and the status. */
static int
login(const char *name, char *sid)
{
	static char ans[65536];
	char form[64];
	const char *p;
	int status;

	snprintf(form, sizeof form, "name=%s", name);
	status = post("/login", form, ans, sizeof ans);
	if ((status != 200 && status != 303) ||
	    (p = strstr(ans, "sid=")) == NULL) {
		fprintf(stderr, "probe: login %s: status %d\n", name, status);
		return -1;
	}
	memcpy(sid, p + 4, 32);
	sid[32] = '\0';
	return 0;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Reads the stream until the text arrives; keeps only the tail after it.
 * 1 if it came, 0 on a timeout, -1 when the stream ended.
 */
static int
await(int fd, char *buf, size_t *len, size_t size, const char *text, int ms)
{
	struct pollfd pfd;
	long long until = now_ms() + ms;
	char *hit;
	ssize_t n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		buf[*len] = '\0';
		if ((hit = strstr(buf, text)) != NULL) {
			hit += strlen(text);
			*len -= (size_t)(hit - buf);
			memmove(buf, hit, *len + 1);
			return 1;
		}
		if (*len > size / 2) {	/* keep the tail: a match may straddle */
			memmove(buf, buf + *len - 256, 257);
			*len = 256;
		}
		if (now_ms() >= until)
			return 0;
		if (poll(&pfd, 1, (int)(until - now_ms())) != 1)
			return 0;
		if ((n = read(fd, buf + *len, size - 1 - *len)) <= 0)
			return -1;
		*len += (size_t)n;
	}
}

int
main(int argc, char **argv)
{
	static char ans[65536], buf[262144];
	static long long lat[PROBE_SAMPLES];
	char reader[33], talkers[PROBE_TALKERS][33], name[32], body[128];
	char req[256], text[64];
	long long start, t, next;
	size_t len = 0;
	int seconds, max_ms, sent = 0, got = 0, lost = 0, errors = 0, over = 0;
	int fd, i, r, status;

	if (argc < 3) {
		fprintf(stderr, "usage: hostile_probe port seconds [source_ip "
		    "[max_ms]]\n");
		return 2;
	}
	port = atoi(argv[1]);
	seconds = atoi(argv[2]);
	if (argc > 3)
		source_ip = argv[3];
	max_ms = argc > 4 ? atoi(argv[4]) : 500;
	snprintf(name, sizeof name, "probe%ld", (long)getpid() % 100000);
	if (login(name, reader) == -1)
		return 2;
	for (i = 0; i < PROBE_TALKERS; i++) {
		snprintf(name, sizeof name, "talk%d_%ld", i, (long)getpid() % 100000);
		if (login(name, talkers[i]) == -1)
			return 2;
	}
	if ((fd = dial()) == -1) {
		fprintf(stderr, "probe: connect: %s\n", strerror(errno));
		return 2;
	}
	snprintf(req, sizeof req, "GET /chat?sid=%s HTTP/1.0\r\n\r\n", reader);
	send(fd, req, strlen(req), MSG_NOSIGNAL);
	if (await(fd, buf, &len, sizeof buf, "\r\n\r\n", PROBE_WAIT_MS) != 1) {
		fprintf(stderr, "probe: the chat frame did not open\n");
		return 2;
	}
	start = now_ms();
	for (next = start; now_ms() - start < (long long)seconds * 1000 &&
	    sent < PROBE_SAMPLES; next += PROBE_PERIOD_MS) {
		if ((t = next - now_ms()) > 0)
			poll(NULL, 0, (int)t);
		snprintf(body, sizeof body, "sid=%s&message=probe%d",
		    talkers[sent % PROBE_TALKERS], sent);
		snprintf(text, sizeof text, ">probe%d<", sent);
		t = now_ms();
		status = post("/dotalk", body, ans, sizeof ans);
		sent++;
		if (status != 200) {
			errors++;
			fprintf(stderr, "probe: message %d: status %d\n", sent - 1,
			    status);
			continue;
		}
		r = await(fd, buf, &len, sizeof buf, text, PROBE_WAIT_MS);
		if (r == -1) {
			fprintf(stderr, "probe: the chat frame was closed\n");
			lost += sent - got - errors;
			break;
		}
		if (r == 0) {
			lost++;
			continue;
		}
		lat[got] = now_ms() - t;
		over += lat[got] > max_ms;
		got++;
	}
	qsort(lat, (size_t)got, sizeof lat[0], cmp_ll);
	printf("probe: %d sent, %d delivered, %d lost, %d refused; latency "
	    "median %lld ms, p99 %lld ms, max %lld ms; %d over %d ms\n", sent,
	    got, lost, errors, got ? lat[got / 2] : -1LL,
	    got ? lat[(got * 99) / 100] : -1LL, got ? lat[got - 1] : -1LL, over,
	    max_ms);
	close(fd);
	return (lost == 0 && errors == 0 && over == 0 && got > 0) ? 0 : 1;
}
