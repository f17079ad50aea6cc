/* worker.h: one helper thread for slow work (password hashing, file saves), off the loop. */
#ifndef WORKER_H
#define WORKER_H

/*
 * A job: run() is called in the helper thread, then done() in the thread
 * that calls worker_collect(), which is the loop's.  The caller embeds
 * the job in its own struct and owns its memory.  A job that the helper
 * never ran (worker_stop()) gets done() with ran set to 0.
 */
struct worker_job {
	void		(*run)(struct worker_job *);
	void		(*done)(struct worker_job *);
	int		 ran;
	struct worker_job *next;
};

/*
 * Starts the helper thread with every signal blocked in it, so signals
 * keep reaching the loop.  0, or -1 (logged).
 */
int	worker_start(void);

/*
 * The descriptor the loop watches for reading: it becomes readable when
 * a job is finished.  -1 when no helper runs.
 */
int	worker_fd(void);

/*
 * Queues a job behind the others (first in, first out).  Without a helper
 * thread (none started, or stopped) it runs at once, in the caller.
 */
void	worker_submit(struct worker_job *);

/* Calls done() for each finished job, in order; returns how many. */
int	worker_collect(void);

/* Sleeps until a job is finished (for callers without a loop). */
void	worker_wait(void);

/* Jobs submitted and not yet collected. */
int	worker_busy(void);

/*
 * Lets the running job finish, stops the thread, and hands back the jobs
 * it never started as finished with ran == 0 (collect them next).
 */
void	worker_stop(void);

#endif
