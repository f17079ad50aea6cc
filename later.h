/* later.h: requests that wait for the accounts helper, and how they resume. */
#ifndef LATER_H
#define LATER_H

#include "accounts.h"

#define LATER_REPLY_MAX	256	/* a deferred talk reply, bytes */

/*
 * The token of a request waiting for the accounts helper (a login's
 * password check, a registration, /passwd): where its answer goes, and
 * the result it waits for.
 */
struct later {
	int			 conn;
	unsigned long		 gen;		/* the request on conn */
	enum accounts_result	 result;	/* login, register */
	int			 status;	/* /passwd: the talk status */
	int			 claimed;	/* a login's name claim was answered */
	int			 held;		/* presence_claim_fn's answer */
	char			 reply[LATER_REPLY_MAX];
};

/*
 * How a request runs again: resume(conn, gen, token) runs it with the
 * token if conn still holds request gen.  Its return value is ignored;
 * the token is freed after it returns.
 */
typedef int later_resume(int conn, unsigned long gen, void *token);

void	later_init(later_resume *);
/* A token for request gen on conn; NULL if out of memory. */
struct later *later_new(int conn, unsigned long gen);
/* Callbacks (accounts_done, cmd_done): keep the result, resume, free. */
void	later_accounts(void *token, enum accounts_result);
void	later_talk(void *token, int status, const char *reply);
void	later_claim(void *token, int held);	/* a presence_claim_fn */

#endif
