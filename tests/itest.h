/* itest.h: the integration harness: start the real chatd, talk HTTP to it over sockets. */
#ifndef ITEST_H
#define ITEST_H

#include <stddef.h>
#include <sys/types.h>

#define ITEST_TIMEOUT_MS	5000	/* longest wait for any answer */

struct server {
	pid_t	 keeper;	/* stops chatd when the test ends, however it ends */
	pid_t	 pid;		/* chatd itself */
	int	 ctl;		/* closing it tells the keeper to stop chatd */
	int	 status_fd;	/* the keeper reports chatd's wait status here */
	int	 port;
	char	 errpath[300];	/* chatd's stderr */
	char	 dir[256];	/* a scratch directory for its files */
};

/*
 * Starts ./chatd (or $CHATD) on 127.0.0.1 -p 0 with the extra arguments
 * (NULL-terminated) and waits for its ready line.  Fails the test if it
 * does not come up.  "@DIR@" in an argument becomes the scratch directory.
 */
void	srv_start(struct server *, ...);

/*
 * Stops chatd with SIGTERM and returns its wait status; fails the test if
 * its stderr holds a sanitizer report.
 */
int	srv_stop(struct server *);

/* srv_stop(), and fails the test unless chatd exited 0. */
void	srv_stop_clean(struct server *);

/*
 * A redis-server of the test's own on a free loopback port, without
 * persistence, stopped when the test ends however it ends.
 */
struct redis {
	struct server	 srv;
	int		 port;
};
void	rds_start(struct redis *);
/* The same on a given port (0: a free one), to bring a stopped one back. */
void	rds_start_port(struct redis *, int port);
void	rds_stop(struct redis *);
/*
 * Sends one inline command ("GET key") and copies the answer's first
 * line ("$3", "+OK", ":1") to out.  0, or -1 if Redis did not answer.
 */
int	rds_command(int port, const char *command, char *out, size_t size);

/* 1 if chatd's stderr contains the text (waits up to ms). */
int	srv_logged(const struct server *, const char *text, int ms);

struct reply {
	int	 status;
	char	*head;		/* the response head, NUL-terminated */
	char	*body;		/* the body, NUL-terminated */
	size_t	 body_len;
};

/* A TCP connection to 127.0.0.1:port; fails the test if it cannot connect. */
int	cl_connect(int port);

/* Sends raw bytes, reads the whole answer until EOF. */
void	cl_raw(int port, const char *request, size_t len, struct reply *);
void	cl_get(int port, const char *target, struct reply *);
void	cl_post(int port, const char *path, const char *body, struct reply *);
void	reply_free(struct reply *);

/*
 * Logs in with a form body such as "name=alice&room=x"; returns the sid
 * (static storage, one of a few rotating buffers) or NULL, and the status.
 */
const char *cl_login(int port, const char *form, int *status);

/* A urlencoded message of n '<' (at most 3000), 4 bytes each once escaped. */
const char *cl_angles(int n);
/* Percent-encodes text as a form value (letters, digits, - _ . as they are). */
void	cl_form_enc(char *out, size_t size, const char *text);
/* Types text into the talk frame, waiting out the rate limit; wants 200. */
void	cl_say_text(int port, const char *sid, const char *text);

/* Posts a message (already urlencoded) to /dotalk; returns the status. */
int	cl_say(int port, const char *sid, const char *message_enc);

/* A chat frame being read. */
struct stream {
	int	 fd;
	int	 eof;
	char	*data;
	size_t	 len;
	size_t	 cap;
};

/* Opens /chat?sid=..(&since=..) and reads its head; returns the status. */
int	stream_open(struct stream *, int port, const char *sid, const char *since);

/* The same on a connection made by the caller (for socket options). */
int	stream_open_fd(struct stream *, int fd, const char *sid, const char *since);

/* A connection whose receive buffer is set small before it connects. */
int	cl_connect_small(int port, int rcvbuf);

/* Reads until the text has arrived: 1, or 0 after ms (or at EOF without it). */
int	stream_wait(struct stream *, const char *text, int ms);

/* 1 if the server closes the stream within ms. */
int	stream_wait_eof(struct stream *, int ms);

/* How many times text occurs in what was read so far. */
int	stream_count(const struct stream *, const char *text);

void	stream_close(struct stream *);

/* Milliseconds on a monotonic clock. */
long long itest_now(void);

/*
 * Makes an empty scratch directory tests/out/PREFIX-PID-N and writes its
 * path into dir.  srv_start() makes one for each server.
 */
void	itest_scratch(char *dir, size_t size, const char *prefix);

/*
 * The checked teardown of every integration test case: removes the scratch
 * directories the test made.  Check skips it when the test fails, so a
 * failed test's files stay in tests/out for a look.
 */
void	itest_scratch_remove(void);

/* The whole file at path, NUL-terminated; "" if it is missing.  Caller frees. */
char	*itest_read_file(const char *path);

#endif
