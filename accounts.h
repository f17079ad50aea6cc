/* accounts.h: registered accounts, kept in a file that survives crashes. */
#ifndef ACCOUNTS_H
#define ACCOUNTS_H

#include "text.h"

#define ACCOUNTS_MAX		100000	/* accounts held; past it registration is refused */
#define ACCOUNTS_HASH_BYTES	256
#define ACCOUNTS_LINE_MAX	1024	/* longest line read from the file */
#define ACCOUNTS_PASSWORD_MAX	256	/* bytes; longer passwords are refused */

enum accounts_result {
	ACCOUNTS_DONE = 0,
	ACCOUNTS_EXISTS,	/* register: the name is taken */
	ACCOUNTS_UNKNOWN,	/* no such account */
	ACCOUNTS_BAD_PASSWORD,	/* wrong password, or empty / too long */
	ACCOUNTS_IO_ERROR,	/* the file could not be written; nothing changed */
	ACCOUNTS_FULL,		/* register: ACCOUNTS_MAX accounts exist */
	ACCOUNTS_PENDING,	/* started: the answer comes through the callback */
	ACCOUNTS_UNAVAILABLE	/* -R: the store (Redis) is away; nothing changed */
};

struct account {
	char	name[TEXT_NAME_BYTES];	/* as registered */
	char	key[TEXT_NAME_BYTES];	/* text_fold_name() of name */
	char	*hash;			/* crypt() output */
	int	admin;			/* role "admin" in the file */
	char	color[TEXT_COLOR_BYTES];	/* "" if none */
};

/*
 * Called from accounts_collect() (or accounts_close()) with the result
 * of a job that a *_start() function answered ACCOUNTS_PENDING for.
 */
typedef void accounts_done(void *arg, enum accounts_result);

/*
 * Loads the accounts file (one "name:hash:role:colour" line each), or
 * keeps accounts in memory only when path is NULL, and starts the helper
 * thread that hashes passwords and saves the file.  A missing file is an
 * empty one.  A malformed line, or an account past ACCOUNTS_MAX, is logged
 * with its line number, skipped and kept verbatim for the next save.
 * Returns 0, or -1 (logged) if the file exists but cannot be read.
 */
int	accounts_open(const char *path);

/*
 * Rereads the file (SIGHUP) in the helper thread; the new table replaces
 * the old one when accounts_collect() sees it done.  If the file cannot
 * be read the accounts in memory stay.  A save being written finishes
 * first, and changes asked for meanwhile are saved after the reread.
 * Pointers from accounts_find() are good until the table is replaced.
 */
void	accounts_reload_start(void);

/* The same, waiting for it (tests).  0, or -1 if memory stayed. */
int	accounts_reload(void);

/*
 * Lets a save being written finish, answers the jobs still waiting
 * (ACCOUNTS_IO_ERROR for those never started), saves what is left to
 * save, stops the helper and frees everything.
 */
void	accounts_close(void);

/*
 * The account of a name (any case), or NULL.  Saved accounts only.  The
 * pointer is good until the next accounts_collect() or reload.
 */
const struct account *accounts_find(const char *name);

/* Accounts held, saved or being saved. */
int	accounts_count(void);
/*
 * Warns of each -a name without an account: it stays reserved until
 * `chatd WRITER -U name` gives it a password.
 */
void	accounts_warn_unregistered(const char *const *names, int n,
	    const char *writer);

/*
 * The loop watches this descriptor for reading and then calls
 * accounts_collect(), which runs the callbacks of finished jobs and
 * returns 1 if a reread of the file took effect.  -1 when no helper
 * thread runs (then jobs finish at once, in the caller).
 */
int	accounts_worker_fd(void);
int	accounts_collect(void);

/*
 * Jobs that leave the loop: each returns a final result at once (the
 * callback is then never called) or ACCOUNTS_PENDING, and then done(arg,
 * result) is called exactly once, later, from accounts_collect().
 *
 * verify: ACCOUNTS_DONE if password is the account's, else UNKNOWN or
 * BAD_PASSWORD.
 *
 * register: hashes password with crypt() under a fresh random salt and
 * the strongest method crypt() offers here, then rewrites the file
 * atomically (temporary file in the same directory, fsync, rename, fsync
 * of the directory): DONE only once the account is on disk.  EXISTS,
 * FULL, BAD_PASSWORD or IO_ERROR otherwise.  A valid name is the caller's
 * check.  Changes that come together are saved together.
 *
 * passwd: checks old (skipped when old is NULL: the operator's -U), then
 * saves a hash of new like register.
 *
 * color: saves an account's colour (a canonical text_color() form, or ""
 * for none); done may be NULL.
 */
enum accounts_result accounts_verify_start(const char *name,
	    const char *password, accounts_done *, void *arg);
enum accounts_result accounts_register_start(const char *name,
	    const char *password, accounts_done *, void *arg);
enum accounts_result accounts_passwd_start(const char *name, const char *old,
	    const char *new, accounts_done *, void *arg);
enum accounts_result accounts_color_start(const char *name,
	    const char *color, accounts_done *, void *arg);

/*
 * The same, waiting for the result (for tests and the -U tool, never
 * for the loop).
 */
enum accounts_result accounts_verify(const char *name, const char *password);
enum accounts_result accounts_register(const char *name, const char *password);
enum accounts_result accounts_set_password(const char *name, const char *old,
	    const char *new);
enum accounts_result accounts_set_color(const char *name, const char *color);

/*
 * The operator's -U: creates the account, or gives an existing one a new
 * password (its role and colour stay).  *created tells which.
 */
enum accounts_result accounts_put(const char *name, const char *password,
	    int *created);

/*
 * -R: accounts live in a store (accounts_redis.c) and the table is its
 * mirror.  A change, once hashed, goes to store(token, kind, key, value)
 * instead of the file: ACCOUNTS_STORE_NEW with the whole line (no
 * newline) of a registration, which must not exist yet; _HASH or _COLOR
 * with the new hash or colour of an existing account.  store() returns
 * -1 if it cannot start (the change then answers UNAVAILABLE), else it
 * calls accounts_stored() exactly once, later (never from inside store()),
 * with DONE and the account's line as stored, or EXISTS, UNKNOWN,
 * UNAVAILABLE or IO_ERROR.  While the store is down (accounts_store_up(0),
 * the state set_store() starts in) changes answer UNAVAILABLE at once;
 * logins go on from the mirror.
 *
 * With a store the file (-A), if any, is a copy of the mirror: rewritten
 * atomically off the loop after the mirror changes (the answer never
 * waits for it), never reread (SIGHUP rereads nothing).
 */
enum accounts_store_kind {
	ACCOUNTS_STORE_NEW,
	ACCOUNTS_STORE_HASH,
	ACCOUNTS_STORE_COLOR
};
typedef int accounts_store_fn(void *token, enum accounts_store_kind,
	    const char *key, const char *value);
void	accounts_set_store(accounts_store_fn *);
void	accounts_store_up(int up);
void	accounts_stored(void *token, enum accounts_result, const char *line);

/*
 * The mirror, kept by the store's module.  put: an account's line (no
 * newline) adds it or replaces the one of the same name: 1 if that
 * changed the table, 0 if it held that line already, -1 if the line is
 * malformed or ACCOUNTS_MAX is reached (logged, the table unchanged).
 * drop: takes the account of a key out; 1 if there was one.  A full
 * reread brackets its puts with mark() and sweep(), which drops every
 * account not put since the mark and returns how many.  Pointers from
 * accounts_find() are good until the next of these calls.
 */
int	accounts_mirror_put(const char *line, size_t len);
int	accounts_mirror_drop(const char *key);
void	accounts_mirror_mark(void);
int	accounts_mirror_sweep(void);
/* Calls fn(arg, key, line without its newline, len) for each account. */
void	accounts_each(void (*fn)(void *, const char *, const char *, size_t),
	    void *arg);

/*
 * A hash of password under a fresh salt, as registration makes it, in
 * the caller (the -U tool).  0, or -1 (logged).
 */
int	accounts_make_hash(const char *password,
	    char hash[ACCOUNTS_HASH_BYTES]);

/* The crypt() method prefix in use ("$y$", "$6$", ...; "" for DES). */
const char *accounts_method(void);

#endif
