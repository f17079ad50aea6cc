/* accounts.h: registered accounts, kept in a file that survives crashes. */
#ifndef ACCOUNTS_H
#define ACCOUNTS_H

#include "text.h"

#define ACCOUNTS_HASH_BYTES	256
#define ACCOUNTS_LINE_MAX	1024	/* longest line read from the file */
#define ACCOUNTS_PASSWORD_MAX	256	/* bytes; longer passwords are refused */

enum accounts_result {
	ACCOUNTS_DONE = 0,
	ACCOUNTS_EXISTS,	/* register: the name is taken */
	ACCOUNTS_UNKNOWN,	/* no such account */
	ACCOUNTS_BAD_PASSWORD,	/* wrong password, or empty / too long */
	ACCOUNTS_IO_ERROR	/* the file could not be written; nothing changed */
};

struct account {
	char	name[TEXT_NAME_BYTES];	/* as registered */
	char	key[TEXT_NAME_BYTES];	/* text_fold_name() of name */
	char	hash[ACCOUNTS_HASH_BYTES];	/* crypt() output */
	int	admin;			/* role "admin" in the file */
	char	color[TEXT_COLOR_BYTES];	/* "" if none */
};

/*
 * Loads the accounts file (one "name:hash:role:colour" line each), or
 * keeps accounts in memory only when path is NULL.  A missing file is an
 * empty one.  A malformed line is logged with its line number, skipped and
 * kept verbatim for the next save.  Returns 0, or -1 (logged) if the file
 * exists but cannot be read.
 */
int	accounts_open(const char *path);

/* Rereads the file (SIGHUP).  On failure the accounts in memory stay. */
int	accounts_reload(void);

/* Frees everything. */
void	accounts_close(void);

/* The account of a name (any case), or NULL. */
const struct account *accounts_find(const char *name);

/*
 * Creates an account with a crypt() hash of password under a fresh random
 * salt and the strongest method crypt() offers here, and rewrites the file
 * atomically (temporary file in the same directory, fsync, rename, fsync
 * of the directory) before returning ACCOUNTS_DONE.  A valid name is the
 * caller's check.
 */
enum accounts_result accounts_register(const char *name, const char *password);

/* ACCOUNTS_DONE if password is the account's, else UNKNOWN or BAD_PASSWORD. */
enum accounts_result accounts_verify(const char *name, const char *password);

/* Changes a password after checking the old one; saved like register. */
enum accounts_result accounts_set_password(const char *name, const char *old,
	    const char *new);

/* Saves an account's colour (a canonical text_color() form). */
enum accounts_result accounts_set_color(const char *name, const char *color);

/* The crypt() method prefix in use ("$y$", "$6$", ...; "" for DES). */
const char *accounts_method(void);

#endif
