/* check_fmt_json.c: the JSON event formats: the object, SSE and long-poll framings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fmt_json.h"
#include "json_decode.h"
#include "suites.h"

/* An event at a known time, from alice unless from is NULL. */
static struct event *
make(enum event_kind kind, unsigned long long id, const char *text,
    int from)
{
	struct event_source src;
	struct event *ev;

	memset(&src, 0, sizeof src);
	strcpy(src.name, "alice");
	strcpy(src.key, "alice");
	strcpy(src.color, "#2e8b57");
	ck_assert_ptr_nonnull(ev = event_new(kind, from ? &src : NULL, text));
	ev->id = id;
	ev->time = 1796083445;	/* 2026-12-01T00:04:05Z */
	if (from)
		strcpy(ev->room, "lobby");
	return ev;
}

/* The object of an event, as a string the caller frees. */
static char *
object(const struct event *ev, int marked)
{
	struct buf b;
	char *s;

	buf_init(&b);
	fmt_json_object(&b, ev, marked);
	ck_assert(!b.failed);
	ck_assert_msg(jd_parse(b.data, b.len, JD_CHATD, NULL, NULL) == 0,
	    "%s", buf_str(&b));
	s = strdup(buf_str(&b));
	buf_free(&b);
	return s;
}

START_TEST(test_object_members)
{
	struct event *ev;
	char *s;

	ev = make(EVENT_MSG, 42, "hi \"you\"\xe2\x80\xa8", 1);
	s = object(ev, 1);
	ck_assert_str_eq(s, "{\"id\":42,\"type\":\"msg\",\"time\":"
	    "\"2026-12-01T00:04:05Z\",\"room\":\"lobby\",\"from\":\"alice\","
	    "\"color\":\"#2e8b57\",\"text\":\"hi \\\"you\\\"\\u2028\","
	    "\"mention\":true}");
	free(s);
	event_unref(ev);
	/* A whisper names its target; a notice has no id, room or sender. */
	ev = make(EVENT_WHISPER, 43, "psst", 1);
	strcpy(ev->to.name, "Bob");
	s = object(ev, 0);
	ck_assert_ptr_nonnull(strstr(s, ",\"to\":\"Bob\",\"text\":\"psst\","
	    "\"mention\":false}"));
	free(s);
	event_unref(ev);
	ev = make(EVENT_NOTICE, 0, "Unknown command.", 0);
	s = object(ev, 0);
	ck_assert_str_eq(s, "{\"type\":\"notice\",\"time\":"
	    "\"2026-12-01T00:04:05Z\",\"text\":\"Unknown command.\"}");
	free(s);
	event_unref(ev);
	/* A join has no text; a cleared topic has an empty one. */
	ev = make(EVENT_JOIN, 44, NULL, 1);
	s = object(ev, 0);
	ck_assert_ptr_null(strstr(s, "\"text\""));
	ck_assert_ptr_null(strstr(s, "\"mention\""));
	free(s);
	event_unref(ev);
	ev = make(EVENT_TOPIC, 45, "", 1);
	s = object(ev, 0);
	ck_assert_ptr_nonnull(strstr(s, "\"text\":\"\"}"));
	free(s);
	event_unref(ev);
}
END_TEST

/* 1 if the chunk starts with s. */
static int
starts(const struct chunk *c, const char *s)
{
	return c->len >= strlen(s) && memcmp(c->data, s, strlen(s)) == 0;
}

/* 1 if the chunk holds s (its bytes end without a NUL). */
static int
contains(const struct chunk *c, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i + n <= c->len; i++)
		if (memcmp(c->data + i, s, n) == 0)
			return 1;
	return 0;
}

START_TEST(test_sse_framing)
{
	struct event *ev;
	struct chunk *c, *again;

	ev = make(EVENT_ACTION, 7, "waves", 1);
	c = event_bytes(ev, &fmt_json_sse, 0, 0, "sid");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_gt(c->len, 40);
	ck_assert(starts(c, "id: 7\nevent: action\ndata: {\"id\":7,"));
	ck_assert(memcmp(c->data + c->len - 3, "}\n\n", 3) == 0);
	/* Rendered once: every reader shares the bytes. */
	again = event_bytes(ev, &fmt_json_sse, 0, 0, "other");
	ck_assert_ptr_eq(c, again);
	chunk_unref(again);
	chunk_unref(c);
	event_unref(ev);
	ev = make(EVENT_END, 0, "bye", 0);
	c = event_bytes(ev, &fmt_json_sse, 0, 0, "sid");
	ck_assert(starts(c, "event: end\ndata: {\"type\":\"end\""));
	chunk_unref(c);
	event_unref(ev);
	c = fmt_json_sse.keepalive(0);
	ck_assert_uint_eq(c->len, 3);
	ck_assert(memcmp(c->data, ":\n\n", 3) == 0);
	chunk_unref(c);
	c = fmt_json_sse.head(0);
	ck_assert(contains(c, "\r\nContent-Type: text/event-stream"));
	ck_assert(!contains(c, "Content-Length"));
	chunk_unref(c);
	ck_assert(fmt_json_sse.reload == NULL);
}
END_TEST

/* The bytes of one waiting poll make one JSON text, however it ends. */
START_TEST(test_poll_framing)
{
	struct event *ev, *end;
	struct chunk *head, *c, *r;
	char body[4096];
	size_t n;

	head = fmt_json_poll.head(0);
	ck_assert_ptr_nonnull(head);
	ck_assert(memcmp(head->data + head->len - 11, "{\"events\":[", 11) ==
	    0);
	/* An event, then the reload bytes. */
	ev = make(EVENT_MSG, 9, "x", 1);
	c = event_bytes(ev, &fmt_json_poll, 0, 0, "sid");
	r = fmt_json_poll.reload("sid", 9);
	n = (size_t)snprintf(body, sizeof body, "{\"events\":[%.*s%.*s",
	    (int)c->len, c->data, (int)r->len, r->data);
	ck_assert_msg(jd_parse(body, n, JD_CHATD, NULL, NULL) == 0, "%s", body);
	ck_assert_ptr_nonnull(strstr(body, "}],\"next\":9}"));
	chunk_unref(c);
	/* No event: an empty list. */
	n = (size_t)snprintf(body, sizeof body, "{\"events\":[%.*s",
	    (int)r->len, r->data);
	ck_assert_str_eq(body, "{\"events\":[],\"next\":9}");
	chunk_unref(r);
	/* Ended by an end line. */
	end = make(EVENT_END, 0, "The server is shutting down.", 0);
	c = event_bytes(end, &fmt_json_poll, 0, 0, "sid");
	n = (size_t)snprintf(body, sizeof body, "{\"events\":[%.*s",
	    (int)c->len, c->data);
	ck_assert_msg(jd_parse(body, n, JD_CHATD, NULL, NULL) == 0, "%s", body);
	chunk_unref(c);
	ck_assert_ptr_null(fmt_json_poll.keepalive(0));
	chunk_unref(head);
	event_unref(ev);
	event_unref(end);
}
END_TEST

Suite *
fmt_json_suite(void)
{
	Suite *s = suite_create("fmt_json");
	TCase *tc = tcase_create("formats");

	tcase_add_test(tc, test_object_members);
	tcase_add_test(tc, test_sse_framing);
	tcase_add_test(tc, test_poll_framing);
	suite_add_tcase(s, tc);
	return s;
}
