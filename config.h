/* config.h: chatd's settings, their defaults and the command line that sets them. */
#ifndef CONFIG_H
#define CONFIG_H

#include <limits.h>
#include <stddef.h>

#define CONFIG_PORT_DEFAULT		9148
#define CONFIG_HISTORY_DEFAULT		50	/* -H */
#define CONFIG_KEEPALIVE_DEFAULT	30	/* -k, seconds */
#define CONFIG_GRACE_DEFAULT		20	/* -g, seconds */
#define CONFIG_QUEUE_DEFAULT		256	/* -q, KiB */
#define CONFIG_PER_IP_DEFAULT		256	/* -i, connections (and sessions) from one address */
#define CONFIG_TOTAL_QUEUE_DEFAULT	64	/* -Q, MiB queued for all connections */
#define CONFIG_TOTAL_QUEUE_MAX		4095	/* largest -Q: fits a 32-bit size_t */
#define CONFIG_LINES_DEFAULT		5000	/* -l, lines before a chat frame reloads */
#define CONFIG_PORT_MAX			65535	/* largest -p */
#define CONFIG_HISTORY_MAX		10000	/* largest -H */
#define CONFIG_SECONDS_MAX		86400	/* largest -k and -g */
#define CONFIG_KEEPALIVE_MIN		1	/* smallest -k, seconds */
#define CONFIG_MESSAGE_MAX		10000	/* largest -m, code points */
#define CONFIG_QUEUE_MAX		(1024 * 1024)	/* largest -q, KiB: 1 GiB */
#define CONFIG_LINES_MIN		10	/* smallest -l */
#define CONFIG_COUNT_MAX		INT_MAX	/* largest -c, -i and -l */
#define CONFIG_ADMINS_MAX		32
#define CONFIG_ADDRESSES_MAX		8	/* -b given this often at most */
#define CONFIG_ORIGINS_MAX		16	/* -O origins */
#define CONFIG_ORIGIN_MAX		271	/* bytes in one: scheme://host:port */
#define CONFIG_HOST_MAX			255	/* bytes in -R's host */
#define CONFIG_INSTANCE_MAX		255	/* largest -N: two hex digits */

/* Whether -R can be used: hiredis was found at build time (make REDIS=). */
#ifdef CHATD_REDIS_MISSING
#error "make REDIS=1 needs hiredis: apt-get install libhiredis-dev (or make REDIS=0)"
#endif
#ifdef CHATD_REDIS
#define CONFIG_REDIS_BUILT		1
#else
#define CONFIG_REDIS_BUILT		0
#endif

struct config {
	int		 daemonize;		/* -d */
	const char	*addresses[CONFIG_ADDRESSES_MAX];	/* -b */
	int		 naddresses;
	int		 port;			/* -p */
	const char	*user;			/* -u */
	const char	*pidfile;		/* -P */
	const char	*accounts;		/* -A */
	const char	*transcript;		/* -L */
	int		 history;		/* -H */
	int		 keepalive;		/* -k, seconds */
	int		 grace;			/* -g, seconds */
	int		 message_max;		/* -m, code points */
	size_t		 queue_max;		/* -q, bytes */
	size_t		 total_queue_max;	/* -Q, bytes */
	int		 max_conns;		/* -c, 0 = as many as the loop allows */
	int		 per_ip;		/* -i */
	int		 lines;			/* -l */
	int		 no_guests;		/* -G */
	int		 nadmins;
	char		*admins[CONFIG_ADMINS_MAX];	/* -a */
	const char	*put_user;		/* -U: write this account, exit */
	const char	*tokenfile;		/* -T */
	int		 watchers;		/* -W */
	int		 norigins;
	char		*origins[CONFIG_ORIGINS_MAX];	/* -O, lower case */
	char		 redis_host[CONFIG_HOST_MAX + 1];	/* -R; "" without */
	int		 redis_port;
	int		 instance;		/* -N, or derived from -p */
	int		 instance_set;		/* -N was given */
};

extern struct config config;

/* Puts every setting back to its default. */
void	config_defaults(void);

/*
 * Parses the command line into `config`.  Returns 0 to run, 1 when -h asked
 * for usage (printed on stdout), 2 after a one-line error naming the flag
 * and the usage on stderr.
 */
int	config_parse(int argc, char **argv);

/* Prints the usage line on the stream. */
void	config_usage(void *stream);

/* 1 if the name (any case) is listed in -a. */
int	config_admin_name(const char *name);

/* Frees what config_parse() allocated. */
void	config_free(void);

#endif
