/* redis.c: the link to Redis (-R): hiredis' async API on chatd's loop, kept up with backoff. */
#include "config.h"

#ifdef CHATD_REDIS
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netdb.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "log.h"
#include "loop.h"
#include "redis.h"

struct link {
	redisAsyncContext *ac;		/* NULL while down */
	int		 fd;
	int		 mask;		/* LOOP_READ, LOOP_WRITE watched */
	int		 connected;
	int		 pending;	/* commands sent, not answered */
	long long	 progress_ms;	/* last answer, or the send that began a wait */
};

/* A command's callback and argument, carried through hiredis. */
struct call {
	redis_reply_fn	*fn;
	void		*arg;
	struct link	*link;
};

static struct link links[2];
static char	 address[CONFIG_HOST_MAX + 8];	/* host:port, for the log */
static char	 numeric[INET6_ADDRSTRLEN];	/* what connects: no lookups */
static int	 port;
static int	 started, up;
static long long retry_ms, backoff_ms;
static unsigned long outages;
static int	 told_down;		/* the outage is in the log already */
static struct {
	redis_state_fn	*up, *down;
} listeners[REDIS_LISTENERS_MAX];
static int	 nlisteners;

static void	link_lost(struct link *, const char *why);

static void
on_ready(int fd, int ready, void *arg)
{
	struct link *l = arg;

	(void)fd;
	if ((ready & LOOP_READ) && l->ac != NULL)
		redisAsyncHandleRead(l->ac);
	/* The read may have lost the link, and freed its context. */
	if ((ready & LOOP_WRITE) && l->ac != NULL)
		redisAsyncHandleWrite(l->ac);
}

static void
watch(struct link *l, int mask)
{
	if (mask == l->mask || l->fd < 0)
		return;
	l->mask = mask;
	if (loop_watch(l->fd, mask, mask ? on_ready : NULL, l) == -1)
		log_warn("redis: watching descriptor %d", l->fd);
}

/* The adapter: hiredis says what it waits for, the loop watches it. */
static void add_read(void *p) { struct link *l = p; watch(l, l->mask | LOOP_READ); }
static void del_read(void *p) { struct link *l = p; watch(l, l->mask & ~LOOP_READ); }
static void add_write(void *p) { struct link *l = p; watch(l, l->mask | LOOP_WRITE); }
static void del_write(void *p) { struct link *l = p; watch(l, l->mask & ~LOOP_WRITE); }

/* hiredis frees a context: the loop stops watching its socket. */
static void
cleanup(void *p)
{
	struct link *l = p;

	watch(l, 0);
	l->fd = -1;
}

/*
 * The link a context belongs to, or NULL for one chatd is freeing itself
 * (link_lost() lets go of it first), whose callbacks change nothing.
 */
static struct link *
link_of(const redisAsyncContext *ac)
{
	struct link *l = ac->ev.data;

	return l != NULL && l->ac == ac ? l : NULL;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct link *l = link_of(ac);
	int i;

	if (l == NULL)
		return;
	if (status != REDIS_OK) {
		l->ac = NULL;		/* hiredis frees it after this call */
		link_lost(l, ac->errstr);
		return;
	}
	l->connected = 1;
	l->progress_ms = loop_now_ms();
	if (!links[REDIS_CMD].connected || !links[REDIS_READ].connected)
		return;
	up = 1;
	backoff_ms = REDIS_BACKOFF_MIN_MS;
	if (told_down)
		log_info("redis: %s is back: sharing rooms again", address);
	else
		log_info("redis: connected to %s", address);
	told_down = 0;
	for (i = 0; i < nlisteners; i++)
		if (listeners[i].up != NULL)
			listeners[i].up();
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct link *l = link_of(ac);

	(void)status;
	if (l == NULL)
		return;
	l->ac = NULL;			/* hiredis frees it after this call */
	link_lost(l, ac->errstr[0] ? ac->errstr : "closed");
}

/*
 * One link failing (its context already gone if hiredis said so) takes
 * both down: the instance falls back to local
 * chat until a reconnect brings both back.  Pending callbacks get NULL.
 */
static void
link_lost(struct link *l, const char *why)
{
	int was_up = up, i;

	l->connected = 0;
	up = 0;
	for (i = 0; i < 2; i++) {
		struct link *o = &links[i];

		o->connected = 0;
		o->pending = 0;
		if (o->ac != NULL) {
			redisAsyncContext *ac = o->ac;

			o->ac = NULL;
			redisAsyncFree(ac);
		}
	}
	retry_ms = loop_now_ms() + backoff_ms;
	backoff_ms = backoff_ms * 2 > REDIS_BACKOFF_MAX_MS ?
	    REDIS_BACKOFF_MAX_MS : backoff_ms * 2;
	if (!told_down) {
		log_warnx("redis: %s: %s; chatting locally, reconnecting",
		    address, why);
		told_down = 1;
	}
	if (was_up) {
		outages++;
		for (i = 0; i < nlisteners; i++)
			if (listeners[i].down != NULL)
				listeners[i].down();
	}
}

static int
link_open(struct link *l)
{
	redisAsyncContext *ac;

	memset(l, 0, sizeof *l);
	l->fd = -1;
	if ((ac = redisAsyncConnect(numeric, port)) == NULL)
		return -1;
	if (ac->err) {
		redisAsyncFree(ac);
		return -1;
	}
	l->ac = ac;
	l->fd = ac->c.fd;
	l->progress_ms = loop_now_ms();
	ac->ev.data = l;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* A non-blocking connect finishes when the socket turns writable. */
	add_write(l);
	return 0;
}

static void
reconnect(void)
{
	if (link_open(&links[REDIS_CMD]) == -1 ||
	    link_open(&links[REDIS_READ]) == -1)
		link_lost(&links[REDIS_CMD], "cannot make a socket");
}

int
redis_resolve(const char *host, int p)
{
	struct addrinfo hints, *ai;
	char serv[8];

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof serv, "%d", p);
	if (getaddrinfo(host, serv, &hints, &ai) != 0)
		return -1;
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, numeric, sizeof numeric,
	    NULL, 0, NI_NUMERICHOST) != 0) {
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	snprintf(address, sizeof address, "%s:%d", host, p);
	port = p;
	return 0;
}

void
redis_start(void)
{
	started = 1;
	links[REDIS_CMD].fd = links[REDIS_READ].fd = -1;
	backoff_ms = REDIS_BACKOFF_MIN_MS;
	reconnect();
}

int
redis_listen(redis_state_fn *fn_up, redis_state_fn *fn_down)
{
	if (nlisteners == REDIS_LISTENERS_MAX)
		return -1;
	listeners[nlisteners].up = fn_up;
	listeners[nlisteners].down = fn_down;
	nlisteners++;
	return 0;
}

/* How long a link may wait for an answer before it counts as dead. */
static long
patience(int i)
{
	return REDIS_DEAD_MS + (i == REDIS_READ ? REDIS_BLOCK_MS : 0);
}

static void
on_pong(void *arg, redisReply *reply)
{
	(void)arg;
	(void)reply;
}

void
redis_tick(long long now)
{
	int i;

	if (!started)
		return;
	if (links[REDIS_CMD].ac == NULL && links[REDIS_READ].ac == NULL) {
		if (now >= retry_ms)
			reconnect();
		return;
	}
	for (i = 0; i < 2; i++) {
		struct link *l = &links[i];

		if (l->ac != NULL && (l->connected ? l->pending > 0 : 1) &&
		    now - l->progress_ms > patience(i)) {
			link_lost(l, "no answer");
			return;
		}
	}
	if (up && links[REDIS_CMD].pending == 0 &&
	    now - links[REDIS_CMD].progress_ms >= REDIS_PING_MS)
		redis_command(REDIS_CMD, on_pong, NULL, "PING");
}

int
redis_up(void)
{
	return up;
}

static void
on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct call *c = privdata;

	(void)ac;
	if (r != NULL && c->link->pending > 0) {
		c->link->pending--;
		c->link->progress_ms = loop_now_ms();
	}
	if (c->fn != NULL)
		c->fn(c->arg, r);
	free(c);
}

static struct call *
call_new(enum redis_link which, redis_reply_fn *fn, void *arg)
{
	struct link *l = &links[which];
	struct call *c;

	if (!up || l->ac == NULL || (c = malloc(sizeof *c)) == NULL)
		return NULL;
	c->fn = fn;
	c->arg = arg;
	c->link = l;
	return c;
}

static void
call_sent(struct call *c)
{
	if (c->link->pending++ == 0)
		c->link->progress_ms = loop_now_ms();
}

int
redis_command(enum redis_link which, redis_reply_fn *fn, void *arg,
    const char *format, ...)
{
	struct call *c;
	va_list ap;
	int r;

	if ((c = call_new(which, fn, arg)) == NULL)
		return -1;
	va_start(ap, format);
	r = redisvAsyncCommand(links[which].ac, on_reply, c, format, ap);
	va_end(ap);
	if (r != REDIS_OK) {
		free(c);
		return -1;
	}
	call_sent(c);
	return 0;
}

int
redis_commandv(enum redis_link which, redis_reply_fn *fn, void *arg,
    int argc, const char **argv, const size_t *lens)
{
	struct call *c;

	if ((c = call_new(which, fn, arg)) == NULL)
		return -1;
	if (redisAsyncCommandArgv(links[which].ac, on_reply, c, argc, argv,
	    lens) != REDIS_OK) {
		free(c);
		return -1;
	}
	call_sent(c);
	return 0;
}

const char *
redis_address(void)
{
	return address;
}

unsigned long
redis_outages(void)
{
	return outages;
}

const char *
redis_why(const redisReply *r, const char *otherwise)
{
	return r->type == REDIS_REPLY_ERROR ? r->str : otherwise;
}

void
redis_stop(void)
{
	int i;

	started = 0;
	up = 0;
	told_down = 1;		/* a shutdown is no outage to report */
	for (i = 0; i < 2; i++)
		if (links[i].ac != NULL) {
			redisAsyncContext *ac = links[i].ac;

			links[i].ac = NULL;
			links[i].connected = 0;
			redisAsyncFree(ac);
		}
}
#else
/* Built without Redis (make REDIS=0): -R is refused by config.c. */
typedef int redis_not_built;
#endif
