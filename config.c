/* config.c: chatd's settings, their defaults and the command line that sets them. */
#include <sys/socket.h>
#include <netdb.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "text.h"

struct config config;

void
config_defaults(void)
{
	config_free();
	memset(&config, 0, sizeof config);
	config.port = CONFIG_PORT_DEFAULT;
	config.history = CONFIG_HISTORY_DEFAULT;
	config.keepalive = CONFIG_KEEPALIVE_DEFAULT;
	config.grace = CONFIG_GRACE_DEFAULT;
	config.message_max = TEXT_MESSAGE_DEFAULT;
	config.queue_max = (size_t)CONFIG_QUEUE_DEFAULT * 1024;
	config.total_queue_max = (size_t)CONFIG_TOTAL_QUEUE_DEFAULT << 20;
	config.per_ip = CONFIG_PER_IP_DEFAULT;
	config.lines = CONFIG_LINES_DEFAULT;
}

void
config_usage(void *stream)
{
	fprintf(stream,
	    "usage: chatd [-dGh] [-a admin[,admin...]] [-A accounts] "
	    "[-b addr] [-c maxconn]\n"
	    "             [-g grace_s] [-H history] [-i per_ip] "
	    "[-k keepalive_s] [-l lines]\n"
	    "             [-L transcript] [-m message_chars] [-p port] "
	    "[-P pidfile]\n"
	    "             [-q queue_kib] [-Q total_mib] [-T tokenfile] [-u user] "
	    "[-U name] [-W]\n"
	    "             [-N instance] [-O origin[,origin...]] "
	    "[-R redis_host:port]\n");
}

/* Parses a decimal number in [min, max]; -1 if it is not one. */
static int
parse_number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol() would skip white space and take a '+'. */
	if (*s == '\0' || strchr("-0123456789", *s) == NULL)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Splits -a's comma-separated names; -1 on an empty or invalid name. */
static int
parse_admins(const char *list)
{
	const char *p = list, *comma;
	size_t n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= TEXT_NAME_BYTES ||
		    config.nadmins == CONFIG_ADMINS_MAX)
			return -1;
		if ((config.admins[config.nadmins] = malloc(n + 1)) == NULL)
			return -1;
		memcpy(config.admins[config.nadmins], p, n);
		config.admins[config.nadmins++][n] = '\0';
		if (!text_valid_name(config.admins[config.nadmins - 1]))
			return -1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* 1 if s[0..n) is scheme://host[:port] with no path: an origin. */
static int
valid_origin(const char *s, size_t n)
{
	const char *p, *end = s + n, *host;
	int digits = 0;

	if (n > CONFIG_ORIGIN_MAX)
		return 0;
	if (n > 7 && strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (n > 8 && strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return 0;
	for (p = host; p < end && *p != ':'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '[' || *p == ']'))
			return 0;
	if (p == host)
		return 0;
	/* An IPv6 literal keeps its colons inside the brackets. */
	if (*host == '[') {
		for (p = host; p < end && *p != ']'; p++)
			if (!(strchr("0123456789abcdefABCDEF:.", *p) || p == host))
				return 0;
		if (p == end)
			return 0;
		p++;
	}
	if (p == end)
		return 1;
	if (*p++ != ':')
		return 0;
	for (; p < end; p++, digits++)
		if (*p < '0' || *p > '9')
			return 0;
	return digits >= 1 && digits <= 5;
}

/* Splits -O's comma-separated origins, kept in lower case. */
static int
parse_origins(const char *list)
{
	const char *p = list, *comma;
	size_t n, i;
	char *o;

	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!valid_origin(p, n) || config.norigins == CONFIG_ORIGINS_MAX)
			return -1;
		if ((o = malloc(n + 1)) == NULL)
			return -1;
		for (i = 0; i < n; i++)
			o[i] = (p[i] >= 'A' && p[i] <= 'Z') ? p[i] - 'A' + 'a' :
			    p[i];
		o[n] = '\0';
		config.origins[config.norigins++] = o;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* 1 if the text is a numeric IPv4 or IPv6 address, which is all -b takes. */
static int
valid_address(const char *s)
{
	struct addrinfo hints, *ai;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	if (getaddrinfo(s, NULL, &hints, &ai) != 0)
		return 0;
	freeaddrinfo(ai);
	return 1;
}

/* -N: the instance number that starts every sid, two hex digits. */
static int
parse_instance(const char *s)
{
	char *end;
	long v;

	if (strlen(s) != 2 || !isxdigit((unsigned char)s[0]) ||
	    !isxdigit((unsigned char)s[1]))
		return -1;
	v = strtol(s, &end, 16);
	config.instance = (int)v;
	config.instance_set = 1;
	return 0;
}

/* -R host:port, the host a name or an address ([v6]:port too). */
static int
parse_redis(const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *host = s;
	size_t len;
	long port;

	if (colon == NULL || parse_number(colon + 1, 1, CONFIG_PORT_MAX,
	    &port) == -1)
		return -1;
	len = (size_t)(colon - s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0 || len > CONFIG_HOST_MAX || memchr(host, '[', len) ||
	    memchr(host, ']', len))
		return -1;
	memcpy(config.redis_host, host, len);
	config.redis_host[len] = '\0';
	config.redis_port = (int)port;
	return 0;
}

static int
bad_flag(int flag, const char *arg, const char *why)
{
	fprintf(stderr, "chatd: -%c %s: %s\n", flag, arg, why);
	config_usage(stderr);
	return 2;
}

/* Applies one numeric flag; returns 0 or the bad_flag() status. */
static int
set_number(int flag, const char *arg)
{
	static const struct {
		int	 flag;
		long	 min, max;
		const char *unit;
	} limits[] = {
		{ 'p', 0, CONFIG_PORT_MAX, "" },
		{ 'H', 0, CONFIG_HISTORY_MAX, " messages" },
		{ 'k', CONFIG_KEEPALIVE_MIN, CONFIG_SECONDS_MAX, " seconds" },
		{ 'g', 0, CONFIG_SECONDS_MAX, " seconds" },
		{ 'm', 1, CONFIG_MESSAGE_MAX, " characters" },
		{ 'q', 1, CONFIG_QUEUE_MAX, " KiB" },
		{ 'Q', 1, CONFIG_TOTAL_QUEUE_MAX, " MiB" },
		{ 'c', 1, CONFIG_COUNT_MAX, "" },
		{ 'i', 1, CONFIG_COUNT_MAX, "" },
		{ 'l', CONFIG_LINES_MIN, CONFIG_COUNT_MAX, " lines" },
	};
	char range[64];
	size_t i;
	long v;

	for (i = 0; limits[i].flag != flag; i++)
		;
	if (parse_number(arg, limits[i].min, limits[i].max, &v) == -1) {
		if (limits[i].max == CONFIG_COUNT_MAX)
			snprintf(range, sizeof range, "at least %ld%s",
			    limits[i].min, limits[i].unit);
		else
			snprintf(range, sizeof range, "from %ld to %ld%s",
			    limits[i].min, limits[i].max, limits[i].unit);
		return bad_flag(flag, arg, range);
	}
	switch (flag) {
	case 'p': config.port = (int)v; break;
	case 'H': config.history = (int)v; break;
	case 'k': config.keepalive = (int)v; break;
	case 'g': config.grace = (int)v; break;
	case 'm': config.message_max = (int)v; break;
	case 'q': config.queue_max = (size_t)v * 1024; break;
	case 'Q': config.total_queue_max = (size_t)v << 20; break;
	case 'c': config.max_conns = (int)v; break;
	case 'i': config.per_ip = (int)v; break;
	case 'l': config.lines = (int)v; break;
	}
	return 0;
}

int
config_parse(int argc, char **argv)
{
	int ch, status;

	config_defaults();
	optind = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, ":a:A:b:c:dg:GhH:i:k:l:L:m:N:O:p:P:q:Q:R:T:u:U:W")) != -1) {
		switch (ch) {
		case 'a':
			if (parse_admins(optarg) == -1)
				return bad_flag(ch, optarg, "not a list of valid names");
			break;
		case 'A': config.accounts = optarg; break;
		case 'b':
			if (!valid_address(optarg))
				return bad_flag(ch, optarg, "not a numeric IPv4 or "
				    "IPv6 address");
			if (config.naddresses == CONFIG_ADDRESSES_MAX)
				return bad_flag(ch, optarg, "at most 8 addresses");
			config.addresses[config.naddresses++] = optarg;
			break;
		case 'd': config.daemonize = 1; break;
		case 'G': config.no_guests = 1; break;
		case 'h': config_usage(stdout); return 1;
		case 'L': config.transcript = optarg; break;
		case 'O':
			if (parse_origins(optarg) == -1)
				return bad_flag(ch, optarg, "not a list of origins "
				    "(scheme://host[:port], no path)");
			break;
		case 'N':
			if (parse_instance(optarg) == -1)
				return bad_flag(ch, optarg, "not two hex digits "
				    "(00 to ff)");
			break;
		case 'P': config.pidfile = optarg; break;
		case 'R':
			if (!CONFIG_REDIS_BUILT)
				return bad_flag(ch, optarg, "this chatd was built "
				    "without Redis (make REDIS=1)");
			if (parse_redis(optarg) == -1)
				return bad_flag(ch, optarg, "not host:port");
			break;
		case 'T': config.tokenfile = optarg; break;
		case 'W': config.watchers = 1; break;
		case 'u': config.user = optarg; break;
		case 'U':
			if (!text_valid_name(optarg))
				return bad_flag(ch, optarg, "not a valid name");
			config.put_user = optarg;
			break;
		case ':':
			fprintf(stderr, "chatd: -%c needs a value\n", optopt);
			config_usage(stderr);
			return 2;
		case '?':
			fprintf(stderr, "chatd: -%c: unknown flag\n", optopt);
			config_usage(stderr);
			return 2;
		default:
			if ((status = set_number(ch, optarg)) != 0)
				return status;
		}
	}
	if (config.naddresses == 0)
		config.addresses[config.naddresses++] = "0.0.0.0";
	if (optind < argc) {
		fprintf(stderr, "chatd: %s: unexpected argument\n", argv[optind]);
		config_usage(stderr);
		return 2;
	}
	if (config.put_user != NULL && config.accounts == NULL &&
	    config.redis_host[0] == '\0')
		return bad_flag('U', config.put_user, "needs -A accounts or "
		    "-R host:port");
	/* Distinct ports behind one proxy make distinct instances. */
	if (!config.instance_set)
		config.instance = config.port % (CONFIG_INSTANCE_MAX + 1);
	return 0;
}

int
config_admin_name(const char *name)
{
	char key[TEXT_NAME_BYTES], admin[TEXT_NAME_BYTES];
	int i;

	if (text_fold_name(name, key) == -1)
		return 0;
	for (i = 0; i < config.nadmins; i++)
		if (text_fold_name(config.admins[i], admin) == 0 &&
		    strcmp(admin, key) == 0)
			return 1;
	return 0;
}

void
config_free(void)
{
	while (config.nadmins > 0)
		free(config.admins[--config.nadmins]);
	while (config.norigins > 0)
		free(config.origins[--config.norigins]);
}
