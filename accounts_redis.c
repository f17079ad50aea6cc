/* accounts_redis.c: with -R, accounts live in a Redis hash and the accounts table mirrors it. */
#include "config.h"

#ifdef CHATD_REDIS
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "accounts.h"
#include "accounts_redis.h"
#include "log.h"
#include "redis.h"

#define ID_BYTES	48	/* a stream entry ID, "MS-SEQ" */

/*
 * One change, in one step: the hash and its log entry are written
 * together or not at all, and a password or colour change edits the line
 * Redis holds rather than one read earlier, so two instances changing one
 * account at once lose neither change.  With appendfsync always, Redis
 * answers only once the write is in its append-only file on disk.
 *
 * KEYS: hash, log.  ARGV: key, kind (new, hash, color, put), value (the
 * line; the hash; the colour; the hash), instance, log length, name (put).
 * Answers {1, line}, {2, line} (put made it), {0} (new: taken) or {-1}
 * (no such account, or a line that is not 4 fields).
 */
static const char change_script[] =
    "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "local line\n"
    "local made = 1\n"
    "if ARGV[2] == 'new' then\n"
    "  if cur then return {0} end\n"
    "  line = ARGV[3]\n"
    "elseif ARGV[2] == 'put' and not cur then\n"
    "  line = ARGV[6] .. ':' .. ARGV[3] .. ':user:'\n"
    "  made = 2\n"
    "else\n"
    "  if not cur then return {-1} end\n"
    "  local n, h, r, c = string.match(cur, "
    "'^([^:]*):([^:]*):([^:]*):([^:]*)$')\n"
    "  if not n then return {-1} end\n"
    "  if ARGV[2] == 'color' then c = ARGV[3] else h = ARGV[3] end\n"
    "  line = n .. ':' .. h .. ':' .. r .. ':' .. c\n"
    "end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], line)\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', "
    "'k', ARGV[1], 'o', ARGV[4])\n"
    "return {made, line}\n";

/*
 * Puts accounts into the hash only if it does not exist, all at once, so
 * that of several instances starting on an empty Redis one imports and
 * the others read what it put.  The log entry "k *" tells every instance
 * to read the whole hash again.  KEYS: hash, log.  ARGV: instance, log
 * length, then key and line pairs.  Answers how many went in, or -1.
 */
static const char import_script[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end\n"
    "local n = 0\n"
    "for i = 3, #ARGV, 2 do\n"
    "  n = n + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])\n"
    "end\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', "
    "'k', '*', 'o', ARGV[1])\n"
    "return n\n";

enum state {
	DOWN,		/* no link, or it came up and the first read is due */
	LOADING,	/* reading the whole hash */
	IMPORTING,	/* putting the table into an empty hash */
	READY		/* changes go through; the log is read */
};

static enum state state;
static int	 ready_once;	/* the first full read is done */
static int	 rescan;	/* a full read is wanted when the one under way ends */
static char	 cursor[32];	/* HSCAN's */
static long	 nfields;	/* fields the full read found */
static char	 last_id[ID_BYTES] = "0-0";	/* of the log, read up to */
static int	 polling;	/* an XREAD is out */
static long long next_poll_ms;
static char	 instance[3];

static void	scan_next(void);
static void	load(void);

/* "x" of a reply element, or "" when it is no string. */
static const char *
str(const redisReply *r)
{
	return r != NULL && (r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS) ? r->str : "";
}

/*
 * appendonly yes with appendfsync always is what makes an acknowledged
 * account survive a crash of Redis; anything else gets one line.
 */
static void
on_config(void *arg, redisReply *r)
{
	const char *aof = "?", *fsync = "?";
	size_t i;

	(void)arg;
	if (r == NULL)
		return;
	if (r->type != REDIS_REPLY_ARRAY) {
		log_warnx("accounts: cannot ask Redis %s how it persists (%s): "
		    "accounts are safe only with appendonly yes and "
		    "appendfsync always", redis_address(), str(r));
		return;
	}
	for (i = 0; i + 1 < r->elements; i += 2) {
		if (strcmp(str(r->element[i]), "appendonly") == 0)
			aof = str(r->element[i + 1]);
		else if (strcmp(str(r->element[i]), "appendfsync") == 0)
			fsync = str(r->element[i + 1]);
	}
	if (strcmp(aof, "yes") != 0 || strcmp(fsync, "always") != 0)
		log_warnx("accounts: Redis %s has appendonly %s, appendfsync "
		    "%s: an account acknowledged may be lost if Redis stops; "
		    "set appendonly yes and appendfsync always",
		    redis_address(), aof, fsync);
}

/* As chatd.c does without -R, once Redis has told which accounts exist. */
static void
warn_admins(void)
{
	char writer[CONFIG_HOST_MAX + 16];

	snprintf(writer, sizeof writer, "-R %s", redis_address());
	accounts_warn_unregistered((const char *const *)config.admins,
	    config.nadmins, writer);
}

/* The hash is read, imported or not: changes may go through. */
static void
loaded(void)
{
	int gone;

	state = READY;
	accounts_store_up(1);
	gone = nfields > 0 ? accounts_mirror_sweep() : 0;
	log_info("accounts: %d accounts mirrored from Redis%s", accounts_count(),
	    ready_once ? " again" : "");
	if (gone > 0)
		log_info("accounts: %d accounts that Redis does not hold are "
		    "dropped here", gone);
	if (!ready_once)
		warn_admins();
	ready_once = 1;
	next_poll_ms = 0;
	if (rescan) {
		rescan = 0;
		accounts_redis_reload();
	}
}

static void
on_import(void *arg, redisReply *r)
{
	(void)arg;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
		log_info("accounts: Redis held none: %lld accounts put in it "
		    "from %s", r->integer, config.accounts != NULL ?
		    config.accounts : "memory");
	else if (r->type == REDIS_REPLY_INTEGER) {
		/* Another instance was first: read what it put. */
		load();
		return;
	} else
		log_warnx("accounts: putting the accounts into Redis: %s",
		    str(r));
	loaded();
}

struct import {
	const char	**argv;
	size_t		 *lens;
	int		  argc;
};

static void
import_one(void *arg, const char *key, const char *line, size_t len)
{
	struct import *im = arg;

	im->argv[im->argc] = key;
	im->lens[im->argc++] = strlen(key);
	im->argv[im->argc] = line;
	im->lens[im->argc++] = len;
}

/*
 * Redis holds no account but the table does (the -A file, or accounts
 * Redis lost): they go in, in one script, and every instance rereads.
 */
static void
import(void)
{
	char maxlen[16];
	struct import im;
	size_t n = (size_t)accounts_count() * 2 + 8;

	im.argv = calloc(n, sizeof *im.argv);
	im.lens = calloc(n, sizeof *im.lens);
	if (im.argv == NULL || im.lens == NULL) {
		log_warnx("accounts: out of memory; not put into Redis");
		free(im.argv);
		free(im.lens);
		loaded();
		return;
	}
	snprintf(maxlen, sizeof maxlen, "%d", ACCOUNTS_REDIS_LOG_MAX);
	im.argc = 0;
	im.argv[im.argc++] = "EVAL";
	im.argv[im.argc++] = import_script;
	im.argv[im.argc++] = "2";
	im.argv[im.argc++] = ACCOUNTS_REDIS_HASH;
	im.argv[im.argc++] = ACCOUNTS_REDIS_LOG;
	im.argv[im.argc++] = instance;
	im.argv[im.argc++] = maxlen;
	for (n = 0; n < (size_t)im.argc; n++)
		im.lens[n] = strlen(im.argv[n]);
	accounts_each(import_one, &im);
	state = IMPORTING;
	if (redis_commandv(REDIS_CMD, on_import, NULL, im.argc, im.argv,
	    im.lens) == -1)
		state = DOWN;
	free(im.argv);
	free(im.lens);
}

static void
on_scan(void *arg, redisReply *r)
{
	const redisReply *kv;
	size_t i;

	(void)arg;
	if (r == NULL)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		log_warnx("accounts: reading %s: %s", ACCOUNTS_REDIS_HASH,
		    str(r));
		loaded();	/* the mirror stays as it was */
		return;
	}
	snprintf(cursor, sizeof cursor, "%s", str(r->element[0]));
	kv = r->element[1];
	for (i = 0; i + 1 < kv->elements; i += 2, nfields++)
		accounts_mirror_put(kv->element[i + 1]->str,
		    kv->element[i + 1]->len);
	if (strcmp(cursor, "0") != 0) {
		scan_next();
		return;
	}
	if (nfields == 0 && accounts_count() > 0 && state == LOADING)
		import();
	else
		loaded();
}

static void
scan_next(void)
{
	if (redis_command(REDIS_CMD, on_scan, NULL, "HSCAN %s %s COUNT %d",
	    ACCOUNTS_REDIS_HASH, cursor, ACCOUNTS_REDIS_SCAN) == -1)
		state = DOWN;
}

/* Where the log stands before the hash is read: later changes follow. */
static void
on_last_id(void *arg, redisReply *r)
{
	(void)arg;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements > 0)
		snprintf(last_id, sizeof last_id, "%s",
		    str(r->element[0]->element[0]));
	else
		snprintf(last_id, sizeof last_id, "0-0");
}

/* A full read: the log's position first, then the hash, a page at a time. */
static void
load(void)
{
	state = LOADING;
	nfields = 0;
	snprintf(cursor, sizeof cursor, "0");
	accounts_mirror_mark();
	if (redis_command(REDIS_CMD, on_last_id, NULL,
	    "XREVRANGE %s + - COUNT 1", ACCOUNTS_REDIS_LOG) == -1) {
		state = DOWN;
		return;
	}
	scan_next();
}

static void
on_up(void)
{
	polling = 0;
	redis_command(REDIS_CMD, on_config, NULL, "CONFIG GET append*");
	load();
}

static void
on_down(void)
{
	state = DOWN;
	polling = 0;
	rescan = 0;
	accounts_store_up(0);
}

/* The line Redis holds now for a key the log named. */
static void
on_hget(void *arg, redisReply *r)
{
	char *key = arg;

	if (r != NULL && r->type == REDIS_REPLY_STRING)
		accounts_mirror_put(r->str, r->len);
	else if (r != NULL && r->type == REDIS_REPLY_NIL)
		accounts_mirror_drop(key);
	free(key);
}

/* The field of a log entry's field/value list, or "". */
static const char *
entry_field(const redisReply *fv, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < fv->elements; i += 2)
		if (strcmp(str(fv->element[i]), name) == 0)
			return str(fv->element[i + 1]);
	return "";
}

static void
on_log(void *arg, redisReply *r)
{
	const redisReply *entries, *e;
	const char *k;
	char *key;
	size_t i;

	(void)arg;
	polling = 0;
	if (r == NULL || state != READY)
		return;
	/* Nothing new, or an error: the next read waits its interval. */
	next_poll_ms = -1;
	if (r->type == REDIS_REPLY_NIL)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->elements != 2) {
		log_warnx("accounts: reading %s: %s", ACCOUNTS_REDIS_LOG,
		    str(r));
		return;
	}
	entries = r->element[0]->element[1];
	for (i = 0; i < entries->elements; i++) {
		e = entries->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		snprintf(last_id, sizeof last_id, "%s", str(e->element[0]));
		/* Its own changes are in the table already. */
		if (strcmp(entry_field(e->element[1], "o"), instance) == 0)
			continue;
		k = entry_field(e->element[1], "k");
		if (strcmp(k, "*") == 0)
			rescan = 1;
		else if (*k != '\0' && (key = strdup(k)) != NULL &&
		    redis_command(REDIS_CMD, on_hget, key, "HGET %s %s",
		    ACCOUNTS_REDIS_HASH, key) == -1)
			free(key);
	}
	if (rescan) {
		rescan = 0;
		accounts_redis_reload();
	}
	/* A full read: more may wait, so the next read comes at once. */
	if (entries->elements == ACCOUNTS_REDIS_READ)
		next_poll_ms = 0;
}

void
accounts_redis_tick(long long now)
{
	if (state != READY || polling || !redis_up())
		return;
	if (next_poll_ms == -1)
		next_poll_ms = now + ACCOUNTS_REDIS_POLL_MS;
	if (now < next_poll_ms)
		return;
	if (redis_command(REDIS_CMD, on_log, NULL, "XREAD COUNT %d STREAMS "
	    "%s %s", ACCOUNTS_REDIS_READ, ACCOUNTS_REDIS_LOG, last_id) == 0)
		polling = 1;
}

void
accounts_redis_reload(void)
{
	if (!redis_up())
		return;
	if (state != READY) {
		rescan = state != DOWN;
		return;
	}
	load();
}

static void
on_stored(void *token, redisReply *r)
{
	if (r == NULL) {
		accounts_stored(token, ACCOUNTS_UNAVAILABLE, NULL);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		log_warnx("accounts: Redis refused a change: %s", str(r));
		accounts_stored(token, ACCOUNTS_IO_ERROR, NULL);
		return;
	}
	switch (r->element[0]->integer) {
	case 0:
		accounts_stored(token, ACCOUNTS_EXISTS, NULL);
		break;
	case -1:
		accounts_stored(token, ACCOUNTS_UNKNOWN, NULL);
		break;
	default:
		accounts_stored(token, ACCOUNTS_DONE, r->elements > 1 ?
		    str(r->element[1]) : NULL);
	}
}

/* change_script's EVAL words but the name a put adds: argv[0..9]. */
static void
change_args(const char **argv, char maxlen[16], const char *key,
    const char *kind, const char *value, const char *id)
{
	snprintf(maxlen, 16, "%d", ACCOUNTS_REDIS_LOG_MAX);
	argv[0] = "EVAL";
	argv[1] = change_script;
	argv[2] = "2";
	argv[3] = ACCOUNTS_REDIS_HASH;
	argv[4] = ACCOUNTS_REDIS_LOG;
	argv[5] = key;
	argv[6] = kind;
	argv[7] = value;
	argv[8] = id;
	argv[9] = maxlen;
}

static int
store(void *token, enum accounts_store_kind kind, const char *key,
    const char *value)
{
	static const char *const kinds[] = { "new", "hash", "color" };
	char maxlen[16];
	const char *argv[10];

	change_args(argv, maxlen, key, kinds[kind], value, instance);
	return redis_commandv(REDIS_CMD, on_stored, token, 10, argv, NULL);
}

void
accounts_redis_start(void)
{
	if (config.redis_host[0] == '\0')
		return;
	snprintf(instance, sizeof instance, "%02x", config.instance & 0xff);
	accounts_set_store(store);
	if (redis_listen(on_up, on_down) == -1)
		log_warnx("accounts: cannot follow the Redis link");
}

int
accounts_redis_put(const char *host, int port, int inst, const char *name,
    const char *hash, int *created, char *why, size_t whylen)
{
	char key[TEXT_NAME_BYTES], id[3], maxlen[16];
	const char *argv[11];
	struct timeval tv;
	redisContext *c;
	redisReply *r;
	int rv = -1;

	tv.tv_sec = ACCOUNTS_REDIS_PUT_MS / 1000;
	tv.tv_usec = ACCOUNTS_REDIS_PUT_MS % 1000 * 1000;
	if (text_fold_name(name, key) == -1) {
		snprintf(why, whylen, "not a valid name");
		return -1;
	}
	if ((c = redisConnectWithTimeout(host, port, tv)) == NULL ||
	    c->err) {
		snprintf(why, whylen, "%s", c != NULL ? c->errstr :
		    "out of memory");
		if (c != NULL)
			redisFree(c);
		return -1;
	}
	redisSetTimeout(c, tv);
	snprintf(id, sizeof id, "%02x", inst & 0xff);
	change_args(argv, maxlen, key, "put", hash, id);
	argv[10] = name;
	if ((r = redisCommandArgv(c, 11, argv, NULL)) == NULL)
		snprintf(why, whylen, "%s", c->errstr);
	else if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[0]->integer < 1)
		snprintf(why, whylen, "%s",
		    redis_why(r, "the account's line in Redis is malformed"));
	else {
		*created = r->element[0]->integer == 2;
		rv = 0;
	}
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return rv;
}
#else
/* Built without Redis (make REDIS=0): -R is refused by config.c. */
typedef int accounts_redis_not_built;
#endif
