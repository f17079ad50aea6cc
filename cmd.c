/* cmd.c: what a line typed in the talk frame does: messages, whispers and commands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "accounts.h"
#include "cmd.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "presence.h"
#include "room.h"
#include "session.h"
#include "text.h"


struct cmd {
	struct session	*s;
	char		*arg;		/* after the command word, trimmed */
	long long	 now;
	struct buf	*reply;
	cmd_done	*done;		/* for a command that answers later */
	void		*done_arg;
	int		 pending;	/* it will */
};

/* A /passwd or /color whose work runs off the loop. */
struct passwd_job {
	char		 sid[SESSION_SID_LEN + 1];
	cmd_done	*done;
	void		*arg;
};

/* Tells the user: a notice in the chat frame, the same line in the talk frame. */
static void
tell(struct cmd *c, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void
tell(struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	buf_reset(c->reply);
	va_start(ap, fmt);
	buf_vprintf(c->reply, fmt, ap);
	va_end(ap);
	if (!c->reply->failed)
		session_notice(c->s, "%s", c->reply->data);
}

/* Splits the first word off *p (in place); "" when there is none. */
static char *
word(char **p)
{
	char *w = *p, *end;

	while (*w == ' ' || *w == '\n')
		w++;
	for (end = w; *end && *end != ' ' && *end != '\n'; end++)
		;
	*p = end;
	if (*end) {
		*end = '\0';
		*p = end + 1;
		while (**p == ' ' || **p == '\n')
			(*p)++;
	}
	return w;
}

/* The user a command names, or NULL after telling the sender. */
static struct session *
target(struct cmd *c, const char *name, int same_room)
{
	struct session *t;

	if (*name == '\0') {
		tell(c, "Whom? Give a name.");
		return NULL;
	}
	/* Only a valid name is clean enough to be shown back. */
	if (!text_valid_name(name)) {
		tell(c, "Nobody by that name is here. " TEXT_NAME_RULE);
		return NULL;
	}
	/* Strangers in a pair have no names, outside it or in. */
	if ((t = session_by_name(name)) == NULL ||
	    (t != c->s && t->room != NULL && t->room->private)) {
		tell(c, "Nobody called %s is here.", name);
		return NULL;
	}
	if (same_room && t->room != c->s->room) {
		tell(c, "%s is not in this room.", t->name);
		return NULL;
	}
	return t;
}

static int
need_op(struct cmd *c)
{
	if (room_is_op(c->s->room, c->s))
		return 1;
	tell(c, "Only operators of %s can do that.", c->s->room->name);
	return 0;
}

static void
say(struct cmd *c, enum event_kind kind, const char *text, struct session *to)
{
	struct event_source src;

	session_source(c->s, &src);
	if (room_post(c->s->room, &src, kind, text, to) == -1)
		tell(c, "The message could not be recorded; it was not sent.");
}

static void
cmd_me(struct cmd *c)
{
	if (*c->arg == '\0')
		tell(c, "Usage: /me action");
	else
		say(c, EVENT_ACTION, c->arg, NULL);
}

/*
 * A user of another instance (-R) as presence knows them, in this room if
 * same_room; NULL if the name is here, or nowhere.
 */
static const struct presence_person *
away(struct cmd *c, const char *name, int same_room)
{
	const struct presence_person *p;

	if (!text_valid_name(name) || session_by_name(name) != NULL ||
	    (p = presence_find(name)) == NULL)
		return NULL;
	if (same_room && strcmp(p->room, c->s->room->name) != 0)
		return NULL;
	return p;
}

/* A whisper or a kick for them: the instance that holds them acts. */
static int
post_away(struct cmd *c, const struct presence_person *p,
    enum event_kind kind, const char *text)
{
	char op[TEXT_LOG_BYTES], who[TEXT_LOG_BYTES];
	struct event_source from, to;

	session_source(c->s, &from);
	memset(&to, 0, sizeof to);
	snprintf(to.name, sizeof to.name, "%s", p->name);
	snprintf(to.key, sizeof to.key, "%s", p->key);
	snprintf(to.color, sizeof to.color, "%s", p->color);
	if (room_post_away(c->s->room, &from, kind, text, &to,
	    p->instance) != -1) {
		if (kind == EVENT_KICK)
			log_info("%s kicked %s from %s (on instance %02x)",
			    text_log_safe(c->s->name, op, sizeof op),
			    text_log_safe(p->name, who, sizeof who),
			    c->s->room->name, p->instance);
		return 0;
	}
	tell(c, kind == EVENT_KICK ? "The kick could not be recorded." :
	    "The message could not be sent.");
	return -1;
}

static void
whisper(struct cmd *c, const char *name, const char *text)
{
	const struct presence_person *p;
	struct session *t;

	if ((p = away(c, name, 0)) != NULL) {
		if (*text == '\0')
			tell(c, "Usage: /msg nick text");
		else
			post_away(c, p, EVENT_WHISPER, text);
		return;
	}
	if ((t = target(c, name, 0)) == NULL)
		return;
	if (*text == '\0')
		tell(c, "Usage: /msg nick text");
	else if (t == c->s)
		tell(c, "Whispering to yourself?");
	else if (session_ignores(t, c->s->key))
		tell(c, "%s is not listening to you.", t->name);
	else
		say(c, EVENT_WHISPER, text, t);
}

static void
cmd_msg(struct cmd *c)
{
	char *name = word(&c->arg);

	whisper(c, name, c->arg);
}

static void
cmd_ignore(struct cmd *c)
{
	struct session *t;

	if ((t = target(c, word(&c->arg), 0)) == NULL)
		return;
	if (t == c->s)
		tell(c, "You cannot ignore yourself.");
	else if (session_ignore(c->s, t->key) == -1)
		tell(c, "You ignore too many people already.");
	else
		tell(c, "You now ignore %s.", t->name);
}

static void
cmd_unignore(struct cmd *c)
{
	char key[TEXT_NAME_BYTES];
	char *name = word(&c->arg);

	if (text_fold_name(name, key) == -1) {
		tell(c, "You ignore nobody by that name. " TEXT_NAME_RULE);
		return;
	}
	if (!session_ignores(c->s, key)) {
		tell(c, "You do not ignore %s.", name);
		return;
	}
	session_unignore(c->s, key);
	tell(c, "You no longer ignore %s.", name);
}

/* A registered colour failed to reach the file: the user is told. */
static void
color_answered(void *arg, enum accounts_result r)
{
	struct passwd_job *p = arg;
	struct session *s;

	if (r != ACCOUNTS_DONE && (s = session_find(p->sid)) != NULL)
		session_notice(s, "Your colour could not be saved in your "
		    "account.");
	free(p);
}

/*
 * Saves a registered user's colour off the loop; the room sees the change
 * at once.  0, or -1 if it cannot even be started.
 */
static int
save_color(struct cmd *c, const char *canon)
{
	struct passwd_job *p;
	enum accounts_result r;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return -1;
	memcpy(p->sid, c->s->sid, sizeof p->sid);
	r = accounts_color_start(c->s->name, canon, color_answered, p);
	if (r != ACCOUNTS_PENDING)
		free(p);
	return r == ACCOUNTS_PENDING || r == ACCOUNTS_DONE ? 0 : -1;
}

static void
cmd_color(struct cmd *c)
{
	char canon[TEXT_COLOR_BYTES];

	if (text_color(c->arg, canon) == -1) {
		tell(c, TEXT_COLOR_RULE " Yours stays %s.", c->s->color);
		return;
	}
	if (c->s->registered && save_color(c, canon) == -1) {
		tell(c, "Your colour could not be saved; it stays %s.",
		    c->s->color);
		return;
	}
	session_set_color(c->s, canon);
	say(c, EVENT_COLOR, "", NULL);
}

/* Cuts valid UTF-8 to at most max bytes without splitting a character. */
static void
clip(char *text, size_t max)
{
	if (strlen(text) <= max)
		return;
	while (max > 0 && ((unsigned char)text[max] & 0xc0) == 0x80)
		max--;
	text[max] = '\0';
}

static void
cmd_away(struct cmd *c)
{
	clip(c->arg, SESSION_AWAY_MAX);
	if (session_set_away(c->s, c->arg) == 0)
		tell(c, "You are marked as away.");
}

static void
cmd_back(struct cmd *c)
{
	session_set_away(c->s, NULL);
	tell(c, "Welcome back.");
}

/*
 * Whoever ignored a user's old name ignores the new one: a new name is no
 * way out of an ignore.  Renames are rare and rate-limited, so walking
 * every session is cheap enough.
 */
static void
follow_ignores(const char *old, const char *new)
{
	struct session *m;

	for (m = session_first(); m != NULL; m = m->next)
		if (session_ignores(m, old)) {
			session_unignore(m, old);
			session_ignore(m, new);
		}
}

/* Renames s, whose new name is free, and the room sees it. */
static void
rename_to(struct session *s, const char *name)
{
	char old[TEXT_NAME_BYTES], old_key[TEXT_NAME_BYTES];
	struct event_source src;

	snprintf(old, sizeof old, "%s", s->name);
	snprintf(old_key, sizeof old_key, "%s", s->key);
	session_rename(s, name);
	room_rekey(s, old_key);
	follow_ignores(old_key, s->key);
	session_source(s, &src);
	room_post(s->room, &src, EVENT_NICK, old, NULL);
}

/* A /nick waiting for its name's claim across instances (-R). */
struct nick_job {
	char		 sid[SESSION_SID_LEN + 1];
	char		 name[TEXT_NAME_BYTES];
	cmd_done	*done;
	void		*arg;
};

static void
nick_claimed(void *arg, int held)
{
	struct nick_job *j = arg;
	struct session *s = session_find(j->sid), *other;
	char line[TEXT_NAME_BYTES + 64];

	*line = '\0';
	if (s != NULL) {
		other = session_by_name(j->name);
		if (held == 0 || (other != NULL && other != s))
			snprintf(line, sizeof line, "%s is in use.", j->name);
		else if (!s->registered)
			rename_to(s, j->name);
		if (*line)
			session_notice(s, "%s", line);
	}
	j->done(j->arg, HTTP_OK, line);
	free(j);
}

/* With -R the new name is claimed across instances first: the answer waits. */
static void
claim_nick(struct cmd *c, const char *name)
{
	struct nick_job *j;
	int r;

	if ((j = calloc(1, sizeof *j)) == NULL) {
		tell(c, "The server is busy; try again.");
		return;
	}
	memcpy(j->sid, c->s->sid, sizeof j->sid);
	snprintf(j->name, sizeof j->name, "%s", name);
	j->done = c->done;
	j->arg = c->done_arg;
	if (c->done != NULL &&
	    (r = presence_claim(name, nick_claimed, j)) != PRESENCE_LOCAL) {
		if (r == PRESENCE_WAIT)
			c->pending = 1;
		else {
			free(j);
			tell(c, "The server is busy; try again.");
		}
		return;
	}
	free(j);
	rename_to(c->s, name);
}

static void
cmd_nick(struct cmd *c)
{
	char *name = word(&c->arg);
	struct session *other;

	if (c->s->registered) {
		tell(c, "A registered name stays as it is.");
		return;
	}
	if (!text_valid_name(name)) {
		tell(c, TEXT_NAME_RULE);
		return;
	}
	if (strcmp(name, c->s->name) == 0) {
		tell(c, "You are %s already.", name);
		return;
	}
	if (accounts_find(name) != NULL) {
		tell(c, "%s is a registered name.", name);
		return;
	}
	if (config_admin_name(name)) {
		tell(c, "%s is reserved for a server administrator.", name);
		return;
	}
	if ((other = session_by_name(name)) != NULL && other != c->s) {
		tell(c, "%s is in use.", name);
		return;
	}
	claim_nick(c, name);
}

/* The line that opens the new room in a chat frame that switched rooms. */
static void
divider(struct session *s)
{
	struct buf text;

	buf_init(&text);
	buf_printf(&text, "Now in %s.", s->room->name);
	if (!text.failed)
		session_tell(s, EVENT_ROOM, NULL, text.data);
	buf_free(&text);
}

/* The whole argument is the room: "/join my room" is refused, not cut short. */
static void
cmd_join(struct cmd *c)
{
	char *name = c->arg;
	struct room *r = room_find(name);
	struct session *s = c->s;

	if (!text_valid_room(name))
		tell(c, TEXT_ROOM_RULE);
	else if (r == s->room)
		tell(c, "You are in %s already.", r->name);
	else if (r != NULL && r->private)
		tell(c, "That room is private.");
	else if (r != NULL && room_banned(r, s->key, s->ip, c->now))
		tell(c, "You are banned from %s for now.", r->name);
	else if (r == NULL && room_count() >= ROOM_MAX)
		tell(c, "There are %d rooms already, the most this server "
		    "keeps: join one of them (/rooms).", ROOM_MAX);
	else {
		room_exit(s, "changed rooms", 0);
		if (room_enter(s, name, c->now) != 0)
			room_enter(s, ROOM_DEFAULT, c->now);
		divider(s);
		room_replay(s, NULL);
		if (strcmp(s->room->name, ROOM_RANDOM) == 0)
			session_notice(s, "Waiting for a stranger to talk to...");
		buf_reset(c->reply);
		buf_printf(c->reply, "Now in %s.", s->room->name);
	}
}

static void
cmd_rooms(struct cmd *c)
{
	const char *name;
	struct room *r;
	struct buf b;
	int n;

	buf_init(&b);
	buf_adds(&b, "Rooms:");
	for (r = room_first(); r != NULL; r = r->next)
		if (!r->private) {
			presence_room(r->name, &n);	/* other instances' */
			buf_printf(&b, "\n%s (%d)%s%s", r->name,
			    r->nmembers + n, *r->topic ? ": " : "", r->topic);
		}
	for (name = presence_next_room(NULL, &n); name != NULL;
	    name = presence_next_room(name, &n))
		if (room_find(name) == NULL)
			buf_printf(&b, "\n%s (%d)", name, n);
	if (!b.failed)
		tell(c, "%s", b.data);
	buf_free(&b);
}

static void
cmd_who(struct cmd *c)
{
	const struct presence_person *p;
	struct session *m;
	struct buf b;
	int i, n = 0;

	buf_init(&b);
	buf_printf(&b, "In %s:", c->s->room->name);
	for (m = c->s->room->members; m != NULL; m = m->room_next)
		buf_printf(&b, " %s%s%s", room_is_op(m->room, m) ? "@" : "",
		    m->room->private && m != c->s ? ROOM_STRANGER : m->name,
		    m->away ? " (away)" : "");
	p = c->s->room->private ? NULL : presence_room(c->s->room->name, &n);
	for (i = 0; i < n && p != NULL; i++)
		buf_printf(&b, " %s%s", p[i].name, p[i].away ? " (away)" : "");
	if (!b.failed)
		tell(c, "%s", b.data);
	buf_free(&b);
}

static void
cmd_topic(struct cmd *c)
{
	size_t len = strlen(c->arg);

	if (*c->arg == '\0')
		tell(c, "The topic of %s is: %s", c->s->room->name,
		    *c->s->room->topic ? c->s->room->topic : "(none)");
	else if (!need_op(c))
		return;
	else if (text_clean_message(c->arg, &len, ROOM_TOPIC_MAX) != TEXT_OK)
		tell(c, "A topic is at most %d characters.", ROOM_TOPIC_MAX);
	else if (room_set_topic(c->s, c->arg) == -1)
		tell(c, "The topic could not be recorded.");
}

static void
cmd_quit(struct cmd *c)
{
	cmd_end(c->s, SESSION_LEAVE, *c->arg ? c->arg : "quit");
	c->s = NULL;
}

/* Ends a user's session with the kick line everybody in the room sees. */
static void
kick(struct cmd *c, struct session *t, const char *reason)
{
	char op[TEXT_LOG_BYTES], who[TEXT_LOG_BYTES];
	struct event_source src;
	int rc;

	session_source(c->s, &src);
	session_set_ending(t, 1);
	if ((rc = room_post(c->s->room, &src, EVENT_KICK, reason, t)) == -1) {
		session_set_ending(t, 0);
		tell(c, "The kick could not be recorded.");
		return;
	}
	log_info("%s kicked %s from %s", text_log_safe(c->s->name, op,
	    sizeof op), text_log_safe(t->name, who, sizeof who), t->room->name);
	/* Shared (-R): the kick ends the session when it comes back. */
	if (rc == ROOM_SHARED) {
		session_set_ending(t, 0);
		return;
	}
	if (t == c->s)
		c->s = NULL;
	cmd_end(t, SESSION_KICKED, NULL);
}

static void
cmd_kick(struct cmd *c)
{
	const struct presence_person *p;
	struct session *t;
	char *name;

	if (!need_op(c))
		return;
	name = word(&c->arg);
	if ((p = away(c, name, 1)) != NULL) {
		post_away(c, p, EVENT_KICK, c->arg);
		return;
	}
	if ((t = target(c, name, 1)) == NULL)
		return;
	if (t->admin && !c->s->admin)
		tell(c, "%s is a server administrator.", t->name);
	else
		kick(c, t, c->arg);
}

static void
cmd_ban(struct cmd *c)
{
	const struct presence_person *p;
	char *minutes, *name;
	struct session *t = NULL;
	long n = ROOM_BAN_DEFAULT_MIN;
	char *end;

	if (!need_op(c))
		return;
	name = word(&c->arg);
	if ((p = away(c, name, 1)) == NULL &&
	    (t = target(c, name, 1)) == NULL)
		return;
	minutes = word(&c->arg);
	if (*minutes && ((n = strtol(minutes, &end, 10)) < 1 || *end ||
	    n > CMD_BAN_MAX_MIN)) {
		tell(c, "Usage: /ban nick [minutes], 1 to %d minutes.",
		    CMD_BAN_MAX_MIN);
		return;
	}
	/* Of another instance: banned by name; the kick carries the ban. */
	if (p != NULL) {
		if (room_ban(c->s->room, p->key, "", c->now +
		    (long long)n * 60 * 1000) != 0)
			tell(c, "No more bans in %s for now.", c->s->room->name);
		else if (post_away(c, p, EVENT_KICK, "banned") == 0)
			tell(c, "%s is banned from %s for %ld minutes.",
			    p->name, c->s->room->name, n);
		return;
	}
	if (t->admin && !c->s->admin) {
		tell(c, "%s is a server administrator.", t->name);
		return;
	}
	/* In long long: a year of minutes in ms overflows a 32-bit long. */
	switch (room_ban(c->s->room, t->key, t->ip,
	    c->now + (long long)n * 60 * 1000)) {
	case ROOM_FULL:
		tell(c, "%s holds %d bans already; no more until one expires.",
		    c->s->room->name, ROOM_BANS_MAX);
		return;
	case -1:
		tell(c, "Out of memory.");
		return;
	}
	tell(c, "%s is banned from %s for %ld minutes.", t->name,
	    c->s->room->name, n);
	kick(c, t, "banned");
}

/* A span of time for people: 4m07s, 3h05m, 2d07h. */
static void
add_span(struct buf *b, long long ms)
{
	long s = ms < 0 ? 0 : (long)(ms / 1000);

	if (s < 3600)
		buf_printf(b, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		buf_printf(b, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else
		buf_printf(b, "%ldd%02ldh", s / 86400, s / 3600 % 24);
}

/* /whois of someone on another instance (-R): what its people list says, no address. */
static void
whois_remote(struct cmd *c, const struct presence_person *p)
{
	tell(c, "%s: %s in %s, on server %02x of this chat%s%s%s",
	    p->name, accounts_find(p->name) != NULL ? "registered" : "guest",
	    p->room, p->instance, p->away ? ", away" : "",
	    p->away && *p->reason ? ": " : "", p->away ? p->reason : "");
}

static void
cmd_whois(struct cmd *c)
{
	char stamp[CMD_STAMP_BYTES];
	const struct presence_person *p;
	const char *name = word(&c->arg);
	struct session *t;
	struct tm tm;
	struct buf b;

	if ((p = away(c, name, 0)) != NULL) {
		whois_remote(c, p);
		return;
	}
	if ((t = target(c, name, 0)) == NULL)
		return;
	if (gmtime_r(&t->login_time, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(stamp, sizeof stamp, "?");
	buf_init(&b);
	buf_printf(&b, "%s: %s in %s, idle ", t->name,
	    t->registered ? "registered" : "guest", t->room->private ?
	    "a private room" : t->room->name);
	add_span(&b, c->now - t->last_active);
	buf_printf(&b, ", logged in %s (", stamp);
	add_span(&b, c->now - t->login_ms);
	buf_adds(&b, " ago)");
	if (room_is_op(t->room, t))
		buf_adds(&b, ", operator");
	if (t->away != NULL)
		buf_printf(&b, ", away%s%s", *t->away ? ": " : "", t->away);
	if (room_is_op(c->s->room, c->s))
		buf_printf(&b, ", from %s", t->ip);
	if (!b.failed)
		tell(c, "%s", b.data);
	buf_free(&b);
}

static void
cmd_op(struct cmd *c)
{
	struct session *t;

	if (!need_op(c) || (t = target(c, word(&c->arg), 1)) == NULL)
		return;
	if (room_add_op(c->s->room, t->key) == -1)
		return;
	session_notice(t, "%s made you an operator of %s.", c->s->name,
	    t->room->name);
	tell(c, "%s is an operator of %s now.", t->name, t->room->name);
}

static void
cmd_deop(struct cmd *c)
{
	struct session *t;

	if (!need_op(c) || (t = target(c, word(&c->arg), 1)) == NULL)
		return;
	room_remove_op(c->s->room, t->key);
	tell(c, "%s is %s operator of %s.", t->name, t->admin ?
	    "a server administrator and stays" : "no longer an",
	    t->room->name);
}

static const char *
passwd_line(enum accounts_result r)
{
	switch (r) {
	case ACCOUNTS_DONE:
		return "Your password is changed.";
	case ACCOUNTS_BAD_PASSWORD:
		return "The old password is wrong.";
	case ACCOUNTS_UNAVAILABLE:
		return "Accounts are unavailable while Redis is away: your "
		    "password stays. Try again in a moment.";
	default:
		return "The password could not be saved.";
	}
}

/*
 * The helper checked the old password and saved the new one: the user
 * hears it in the chat frame, if the session lives on, and the talk frame
 * that waited gets the same line.
 */
static void
passwd_answered(void *arg, enum accounts_result r)
{
	struct passwd_job *p = arg;
	struct session *s;

	if ((s = session_find(p->sid)) != NULL)
		session_notice(s, "%s", passwd_line(r));
	p->done(p->arg, HTTP_OK, passwd_line(r));
	free(p);
}

static void
cmd_passwd(struct cmd *c)
{
	char *old = word(&c->arg), *new = word(&c->arg);
	struct passwd_job *p;
	enum accounts_result r;

	if (!c->s->registered) {
		tell(c, "Only registered names have a password.");
		return;
	}
	if (*old == '\0' || *new == '\0') {
		tell(c, "Usage: /passwd old new");
		return;
	}
	if ((p = malloc(sizeof *p)) == NULL) {
		tell(c, "%s", passwd_line(ACCOUNTS_IO_ERROR));
		return;
	}
	memcpy(p->sid, c->s->sid, sizeof p->sid);
	p->done = c->done;
	p->arg = c->done_arg;
	r = accounts_passwd_start(c->s->name, old, new, passwd_answered, p);
	if (r == ACCOUNTS_PENDING)
		c->pending = 1;
	else {
		free(p);
		tell(c, "%s", passwd_line(r));
	}
}

static void
cmd_help(struct cmd *c)
{
	tell(c, "Commands: /me action, /msg nick text, /ignore nick, "
	    "/unignore nick, /color c, /away [reason], /back, /nick name, "
	    "/join room, /rooms, /who, /topic [text], /quit [reason], "
	    "/passwd old new, //text for text starting with /. Operators: "
	    "/kick nick [reason], /ban nick [minutes], /whois nick, /op nick, "
	    "/deop nick.");
}

static const struct {
	const char	*name;
	void		 (*run)(struct cmd *);
} commands[] = {
	{ "me", cmd_me }, { "msg", cmd_msg }, { "ignore", cmd_ignore },
	{ "unignore", cmd_unignore }, { "color", cmd_color },
	{ "colour", cmd_color }, { "away", cmd_away }, { "back", cmd_back },
	{ "nick", cmd_nick }, { "join", cmd_join }, { "rooms", cmd_rooms },
	{ "who", cmd_who }, { "topic", cmd_topic }, { "quit", cmd_quit },
	{ "kick", cmd_kick }, { "ban", cmd_ban }, { "whois", cmd_whois },
	{ "op", cmd_op }, { "deop", cmd_deop }, { "passwd", cmd_passwd },
	{ "help", cmd_help },
};

/*
 * Command words ignore case (phones capitalise the first letter); the
 * argument loses its trailing blanks.
 */
static void
run_command(struct cmd *c, char *line)
{
	char *name, *end;
	size_t i;

	c->arg = line + 1;
	name = word(&c->arg);
	for (end = c->arg + strlen(c->arg); end > c->arg &&
	    (end[-1] == ' ' || end[-1] == '\n'); end--)
		end[-1] = '\0';
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcasecmp(name, commands[i].name) == 0) {
			commands[i].run(c);
			return;
		}
	tell(c, "Unknown command /%s. Type /help for the list.", name);
}

int
cmd_talk(struct session *s, char *message, size_t len, const char *to,
    long long now, struct buf *reply, cmd_done *done, void *arg)
{
	struct cmd c;
	enum text_verdict v;

	c.s = s;
	c.now = now;
	c.reply = reply;
	c.done = done;
	c.done_arg = arg;
	c.pending = 0;
	if (!session_take_token(s, now)) {
		buf_adds(reply, "You are sending too fast; wait a moment.");
		return HTTP_TOO_MANY_REQUESTS;
	}
	session_touch(s, now);
	if ((v = text_clean_message(message, &len, (size_t)config.message_max)) !=
	    TEXT_OK) {
		buf_adds(reply, text_verdict_reason(v));
		return HTTP_BAD_REQUEST;
	}
	if (message[0] == '/' && message[1] != '/') {
		run_command(&c, message);
		if (c.pending)
			return CMD_PENDING;
	} else if (to != NULL && *to)
		whisper(&c, to, message + (message[0] == '/'));
	else
		say(&c, EVENT_MSG, message + (message[0] == '/'), NULL);
	return HTTP_OK;
}

void
cmd_end(struct session *s, enum session_end why, const char *reason)
{
	/* Its own leave must not make its stream reload before the end line. */
	session_set_ending(s, 1);
	if (s->room != NULL)
		room_exit(s, reason ? reason : why == SESSION_TIMEOUT ?
		    "connection lost" : "left",
		    why == SESSION_KICKED || why == SESSION_TAKEN_OVER);
	presence_gone(s);	/* the name is free on every instance at once */
	session_end(s, why);
}

void
cmd_expired(struct session *s)
{
	cmd_end(s, SESSION_TIMEOUT, NULL);
}

void
cmd_shutdown(void)
{
	session_shutdown();
	room_init();
}
