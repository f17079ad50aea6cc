/* later.c: requests that wait for the accounts helper, and how they resume. */
#include <stdio.h>
#include <stdlib.h>

#include "later.h"

static later_resume *resume_fn;

void
later_init(later_resume *fn)
{
	resume_fn = fn;
}

struct later *
later_new(int conn, unsigned long gen)
{
	struct later *l;

	if ((l = calloc(1, sizeof *l)) == NULL)
		return NULL;
	l->conn = conn;
	l->gen = gen;
	return l;
}

/* The helper answered: the request runs again, if its client is still there. */
static void
resume(struct later *l)
{
	if (resume_fn != NULL)
		resume_fn(l->conn, l->gen, l);
	free(l);
}

void
later_accounts(void *token, enum accounts_result r)
{
	struct later *l = token;

	l->result = r;
	resume(l);
}

void
later_talk(void *token, int status, const char *reply)
{
	struct later *l = token;

	l->status = status;
	snprintf(l->reply, sizeof l->reply, "%s", reply);
	resume(l);
}

void
later_claim(void *token, int held)
{
	struct later *l = token;

	l->claimed = 1;
	l->held = held;
	resume(l);
}
