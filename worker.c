/* worker.c: one helper thread for slow work (password hashing, file saves), off the loop. */

/*
 * Why a thread and not a helper process: an account save needs the whole
 * table, which a thread reads in place (the loop hands it a list of line
 * pointers that stay untouched until the save is collected), while a
 * process would need the file sent down a pipe on every save or a second
 * copy of the table kept in step across reloads.  crypt() keeps its result
 * in static storage, so exactly one thread, this one, calls it while the
 * helper runs: that is why there is one helper and not a pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

static pthread_t	 thread;
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 wake = PTHREAD_COND_INITIALIZER;
static struct worker_job *todo, **todo_tail = &todo;	/* under lock */
static struct worker_job *finished, **finished_tail = &finished; /* under lock */
static int		 stopping;	/* under lock */
static int		 running;
static int		 pipefd[2] = { -1, -1 };
static int		 busy;		/* loop thread only */

/* Appends j to a list given by its tail pointer. */
static void
append(struct worker_job ***tail, struct worker_job *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

static void *
work(void *arg)
{
	struct worker_job *j;
	char byte = 0;
	ssize_t n;

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (todo == NULL && !stopping)
			pthread_cond_wait(&wake, &lock);
		if (stopping)
			break;
		j = todo;
		if ((todo = j->next) == NULL)
			todo_tail = &todo;
		pthread_mutex_unlock(&lock);
		j->run(j);
		j->ran = 1;
		pthread_mutex_lock(&lock);
		append(&finished_tail, j);
		/* A full pipe already tells the loop to look: no need to block. */
		n = write(pipefd[1], &byte, 1);
		(void)n;
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static int
nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ? -1 : 0;
}

int
worker_start(void)
{
	sigset_t all, old;
	int rc;

	if (running)
		return 0;
	if (pipe(pipefd) == -1) {
		log_warn("worker: pipe");
		return -1;
	}
	if (nonblocking(pipefd[0]) == -1 || nonblocking(pipefd[1]) == -1) {
		log_warn("worker: pipe");
		goto fail;
	}
	stopping = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&thread, NULL, work, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		log_warn("worker: pthread_create");
		goto fail;
	}
	running = 1;
	return 0;
fail:
	close(pipefd[0]);
	close(pipefd[1]);
	pipefd[0] = pipefd[1] = -1;
	return -1;
}

int
worker_fd(void)
{
	return running ? pipefd[0] : -1;
}

/* Without a helper (none started, or stopped) the job runs here and now. */
void
worker_submit(struct worker_job *j)
{
	j->ran = 0;
	busy++;
	pthread_mutex_lock(&lock);
	if (!running) {
		pthread_mutex_unlock(&lock);
		j->run(j);
		j->ran = 1;
		pthread_mutex_lock(&lock);
		append(&finished_tail, j);
		pthread_mutex_unlock(&lock);
		return;
	}
	append(&todo_tail, j);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
}

int
worker_collect(void)
{
	struct worker_job *j, *next;
	char drain[64];
	int n = 0;

	if (pipefd[0] != -1)
		while (read(pipefd[0], drain, sizeof drain) > 0)
			;
	pthread_mutex_lock(&lock);
	j = finished;
	finished = NULL;
	finished_tail = &finished;
	pthread_mutex_unlock(&lock);
	for (; j != NULL; j = next, n++) {
		next = j->next;
		busy--;
		j->done(j);
	}
	return n;
}

void
worker_wait(void)
{
	struct pollfd pfd;
	int found;

	pthread_mutex_lock(&lock);
	found = finished != NULL;
	pthread_mutex_unlock(&lock);
	if (found || pipefd[0] == -1)
		return;
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	while (poll(&pfd, 1, -1) == -1 && errno == EINTR)
		;
}

int
worker_busy(void)
{
	return busy;
}

void
worker_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	running = 0;
	/* What never ran is handed back as finished, unrun. */
	if (todo != NULL) {
		*finished_tail = todo;
		finished_tail = todo_tail;
	}
	todo = NULL;
	todo_tail = &todo;
	close(pipefd[0]);
	close(pipefd[1]);
	pipefd[0] = pipefd[1] = -1;
}
