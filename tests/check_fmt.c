/* check_fmt.c: unit tests for events, their numbers and the HTML and text formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fmt.h"
#include "suites.h"

/* An event from alice (to bob where it applies) with text, in room lobby. */
static struct event *
make(enum event_kind kind, const char *text)
{
	struct event_source a, b;
	struct event *ev;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	strcpy(a.name, "alice");
	strcpy(a.key, "alice");
	strcpy(a.color, "navy");
	strcpy(b.name, "bob");
	strcpy(b.key, "bob");
	ev = event_new(kind, &a, text);
	ck_assert_ptr_nonnull(ev);
	ev->to = b;
	strcpy(ev->room, "lobby");
	return ev;
}

/* The bytes of an event in a format, as a string (static storage). */
static const char *
render(const struct fmt *f, struct event *ev, int marked, const char *sid)
{
	static char out[4096];
	struct chunk *c = event_bytes(ev, f, 0, marked, sid);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_lt(c->len, sizeof out);
	memcpy(out, c->data, c->len);
	out[c->len] = '\0';
	chunk_unref(c);
	return out;
}

/* A chunk's bytes as a string (chunks hold no NUL); static storage. */
static const char *
str_of(const struct chunk *c)
{
	static char out[8192];

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_lt(c->len, sizeof out);
	memcpy(out, c->data, c->len);
	out[c->len] = '\0';
	return out;
}

/* The text line after its "HH:MM " stamp. */
static const char *
text_of(enum event_kind kind, const char *text)
{
	struct event *ev = make(kind, text);
	const char *line = render(&fmt_text, ev, 0, NULL);

	event_unref(ev);
	ck_assert_int_eq(line[2], ':');
	ck_assert_int_eq(line[5], ' ');
	return line + 6;
}

START_TEST(text_says_what_the_frame_says)
{
	ck_assert_str_eq(text_of(EVENT_MSG, "hello"), "<alice> hello\n");
	ck_assert_str_eq(text_of(EVENT_ACTION, "waves"), "* alice waves\n");
	ck_assert_str_eq(text_of(EVENT_WHISPER, "psst"),
	    "alice -> bob (whisper): psst\n");
	ck_assert_str_eq(text_of(EVENT_JOIN, ""), "-> alice joined lobby\n");
	ck_assert_str_eq(text_of(EVENT_LEAVE, "bye"),
	    "<- alice left lobby (bye)\n");
	ck_assert_str_eq(text_of(EVENT_KICK, "spam"),
	    "bob was kicked by alice: spam\n");
	ck_assert_str_eq(text_of(EVENT_KICK, ""), "bob was kicked by alice\n");
	ck_assert_str_eq(text_of(EVENT_TOPIC, "tea"),
	    "alice set the topic: tea\n");
	ck_assert_str_eq(text_of(EVENT_NICK, "al"), "al is now known as alice\n");
	ck_assert_str_eq(text_of(EVENT_COLOR, ""), "alice changed colour\n");
	ck_assert_str_eq(text_of(EVENT_NOTICE, "Hi."), "*** Hi.\n");
	ck_assert_str_eq(text_of(EVENT_ROOM, "Now in den."), "=== Now in den.\n");
	ck_assert_str_eq(text_of(EVENT_MISSED, "Earlier events were missed."),
	    "*** Earlier events were missed.\n");
	ck_assert_str_eq(text_of(EVENT_END, "Goodbye!"), "*** Goodbye!\n");
}
END_TEST

START_TEST(text_is_raw_without_controls)
{
	/* HTML stays as typed; C0, DEL and C1 (U+0085) go; tab is a space. */
	ck_assert_str_eq(text_of(EVENT_MSG, "<b>&amp;</b>"),
	    "<alice> <b>&amp;</b>\n");
	ck_assert_str_eq(text_of(EVENT_MSG, "a\x1b[31mb\x7f" "c\xc2\x85" "d\te\r"),
	    "<alice> a[31mbcd e\n");
	ck_assert_str_eq(text_of(EVENT_MSG, "\xc3\xa9t\xc3\xa9"),
	    "<alice> \xc3\xa9t\xc3\xa9\n");
	/* Bytes that are not UTF-8 are dropped, not passed on. */
	ck_assert_str_eq(text_of(EVENT_MSG, "x\xff" "y"), "<alice> xy\n");
}
END_TEST

START_TEST(text_newline_continues_indented)
{
	ck_assert_str_eq(text_of(EVENT_MSG, "one\ntwo\nthree"),
	    "<alice> one\n      two\n      three\n");
}
END_TEST

START_TEST(text_marks_mentions_and_shows_hints)
{
	struct event *ev = make(EVENT_MSG, "hi bob");

	ck_assert_ptr_nonnull(strstr(render(&fmt_text, ev, 1, NULL),
	    "<alice> hi bob  [mentions you]\n"));
	ck_assert_ptr_null(strstr(render(&fmt_text, ev, 0, NULL), "mentions"));
	event_unref(ev);
	ev = make(EVENT_NOTICE, "The stranger left.");
	ev->hint = "/join random";
	ck_assert_ptr_nonnull(strstr(render(&fmt_text, ev, 0, "abc"),
	    "*** The stranger left. (type /join random)\n"));
	event_unref(ev);
}
END_TEST

START_TEST(text_head_keepalive_and_no_reload)
{
	struct chunk *c = fmt_text.head(0);

	ck_assert_ptr_nonnull(strstr(str_of(c), "text/plain; charset=utf-8"));
	ck_assert_ptr_null(strstr(str_of(c), "Content-Length"));
	chunk_unref(c);
	c = fmt_text.keepalive(0);
	ck_assert_uint_eq(c->len, 1);
	ck_assert_int_eq(c->data[0], '\n');
	chunk_unref(c);
	ck_assert(fmt_text.reload == NULL);
	ck_assert(fmt_html.reload != NULL);
}
END_TEST

START_TEST(html_escapes_numbers_and_marks)
{
	struct event *ev = make(EVENT_MSG, "<b>&\"x\"\nline");
	const char *s;

	ev->id = 4503599627370497ULL;
	s = render(&fmt_html, ev, 0, NULL);
	ck_assert_ptr_nonnull(strstr(s, "<div class=\"ev msg\" id=\"e4503599627370497\">"));
	ck_assert_ptr_nonnull(strstr(s, "&lt;b&gt;&amp;&quot;x&quot;<br>line"));
	ck_assert_ptr_nonnull(strstr(s, "style=\"color:navy\""));
	ck_assert_ptr_null(strstr(s, "<b>"));
	ck_assert(s[strlen(s) - 1] == '\n');
	s = render(&fmt_html, ev, 1, NULL);
	ck_assert_ptr_nonnull(strstr(s, "class=\"ev msg mention\""));
	event_unref(ev);
}
END_TEST

START_TEST(html_kinds_and_hint_links)
{
	struct event *ev = make(EVENT_ROOM, "Now in den.");

	ck_assert_ptr_nonnull(strstr(render(&fmt_html, ev, 0, NULL),
	    "class=\"ev notice divider\""));
	ck_assert_ptr_null(strstr(render(&fmt_html, ev, 0, NULL), " id="));
	event_unref(ev);
	ev = make(EVENT_NOTICE, "The stranger left.");
	ev->hint = "/join random";
	ck_assert_ptr_nonnull(strstr(render(&fmt_html, ev, 0, "abc"),
	    "<a href=\"/dotalk?sid=abc&amp;message=%2Fjoin+random\" "
	    "target=\"talk\">/join random</a>"));
	event_unref(ev);
	ev = make(EVENT_END, "Goodbye & <so long>");
	ck_assert_ptr_nonnull(strstr(render(&fmt_html, ev, 0, NULL),
	    "class=\"ev notice\""));
	ck_assert_ptr_nonnull(strstr(render(&fmt_html, ev, 0, NULL),
	    "Goodbye &amp; &lt;so long&gt;"));
	/* chat.js reconnects after any end but one marked so. */
	ck_assert_ptr_nonnull(strstr(render(&fmt_html, ev, 0, NULL),
	    " data-end=\"\""));
	event_unref(ev);
	ev = make(EVENT_NOTICE, "x");
	ev->time = 1796126645;	/* 2026-12-01 12:04:05 UTC */
	ck_assert_ptr_null(strstr(render(&fmt_html, ev, 0, NULL), "data-end"));
	ck_assert_ptr_nonnull(strstr(render(&fmt_html, ev, 0, NULL),
	    "<time class=\"ts\" datetime=\"2026-12-01T12:04:05Z\">"));
	event_unref(ev);
}
END_TEST

START_TEST(html_head_is_a_kilobyte_and_shared)
{
	struct chunk *a = fmt_html.head(0), *b = fmt_html.head(0);
	const char *head, *body;

	ck_assert_ptr_eq(a, b);
	head = str_of(a);
	body = strstr(head, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_uint_ge(a->len - (size_t)(body + 4 - head), 1024);
	chunk_unref(a);
	chunk_unref(b);
	a = fmt_html.keepalive(0);
	ck_assert_int_eq(strncmp(a->data, "<!-- keepalive -->\n", a->len), 0);
	chunk_unref(a);
}
END_TEST

/* Each format renders an event once; an event with a hint each time. */
START_TEST(bytes_are_rendered_once_per_format)
{
	struct event *ev = make(EVENT_MSG, "hi");
	struct chunk *h1, *h2, *t1, *m1;

	h1 = event_bytes(ev, &fmt_html, 0, 0, NULL);
	h2 = event_bytes(ev, &fmt_html, 0, 0, "other");
	t1 = event_bytes(ev, &fmt_text, 0, 0, NULL);
	m1 = event_bytes(ev, &fmt_html, 0, 1, NULL);
	ck_assert_ptr_eq(h1, h2);
	ck_assert_ptr_ne(h1, t1);
	ck_assert_ptr_ne(h1, m1);
	ck_assert_uint_eq(h1->refs, 3);		/* two callers and the cache */
	chunk_unref(h1);
	chunk_unref(h2);
	chunk_unref(t1);
	chunk_unref(m1);
	event_unref(ev);
	ev = make(EVENT_NOTICE, "x");
	ev->hint = "/join random";
	h1 = event_bytes(ev, &fmt_html, 0, 0, "a");
	h2 = event_bytes(ev, &fmt_html, 0, 0, "b");
	ck_assert_ptr_ne(h1, h2);
	ck_assert_uint_eq(h1->refs, 1);
	chunk_unref(h1);
	chunk_unref(h2);
	event_unref(ev);
}
END_TEST

START_TEST(numbers_start_from_the_clock)
{
	unsigned long long a, b;

	/* 2026-12-01 in ms since the epoch. */
	event_ids_start(1796083200000ULL);
	a = event_next_id();
	b = event_next_id();
	ck_assert(a > 1796083200000000ULL);
	ck_assert(b == a + 1);
	ck_assert(b < EVENT_ID_LIMIT);
	ck_assert(event_last_id() == b);
	/* A clock that went back never makes numbers go back. */
	event_ids_start(1000ULL);
	ck_assert(event_next_id() == b + 1);
}
END_TEST

START_TEST(rekey_follows_renames)
{
	struct event *ev = make(EVENT_WHISPER, "x");

	ck_assert_int_eq(event_add_mention(ev, "carl"), 0);
	ck_assert_int_eq(event_add_mention(ev, "carl"), 0);
	ck_assert_int_eq(ev->nmentions, 1);
	event_rekey(ev, "bob", "robert", 1);
	event_rekey(ev, "carl", "carlos", 1);
	ck_assert_str_eq(ev->to.key, "robert");
	ck_assert(event_mentions(ev, "carlos"));
	ck_assert(!event_mentions(ev, "carl"));
	event_unref(ev);
}
END_TEST

/* The object in a WebSocket frame of an event; checks the frame's head. */
static const char *
ws_object(struct event *ev, int marked)
{
	static char out[4096];
	struct chunk *c = event_bytes(ev, &fmt_ws, 0, marked, NULL);
	size_t n, head;

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_lt(c->len, sizeof out);
	ck_assert_int_eq((unsigned char)c->data[0], 0x81);	/* FIN, text */
	n = (unsigned char)c->data[1];	/* unmasked: no top bit */
	head = n == 126 ? 4 : 2;
	if (n == 126)
		n = (size_t)((unsigned char)c->data[2] << 8 |
		    (unsigned char)c->data[3]);
	ck_assert_uint_eq(n, c->len - head);
	memcpy(out, c->data + head, n);
	out[n] = '\0';
	chunk_unref(c);
	return out;
}

START_TEST(ws_frames_hold_event_objects)
{
	struct event *ev = make(EVENT_MSG, "hi \"you\"");

	ev->id = 42;
	ev->time = 0;
	ck_assert_str_eq(ws_object(ev, 0), "{\"id\":42,\"type\":\"msg\","
	    "\"time\":\"1970-01-01T00:00:00Z\",\"room\":\"lobby\","
	    "\"from\":\"alice\",\"color\":\"navy\",\"to\":\"bob\","
	    "\"text\":\"hi \\\"you\\\"\",\"mention\":false}");
	ck_assert_ptr_nonnull(strstr(ws_object(ev, 1), "\"mention\":true}"));
	event_unref(ev);

	/* A notice: no id, no sender, no mention. */
	ev = event_new(EVENT_NOTICE, NULL, "Slow down.");
	ev->time = 0;
	ck_assert_str_eq(ws_object(ev, 0), "{\"type\":\"notice\","
	    "\"time\":\"1970-01-01T00:00:00Z\",\"text\":\"Slow down.\"}");
	event_unref(ev);

	ev = event_new(EVENT_END, NULL, "Replaced.");
	ck_assert_ptr_nonnull(strstr(ws_object(ev, 0), "{\"type\":\"end\","));
	event_unref(ev);
}
END_TEST

/* A long object gets the 16-bit length form; the keepalive is a ping. */
START_TEST(ws_long_frames_and_pings)
{
	static char text[1000];
	struct event *ev;
	struct chunk *c;

	memset(text, 'x', sizeof text - 1);
	ev = make(EVENT_MSG, text);
	c = event_bytes(ev, &fmt_ws, 0, 0, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq((unsigned char)c->data[1], 126);
	ck_assert_uint_eq(((unsigned char)c->data[2] << 8 |
	    (unsigned char)c->data[3]), c->len - 4);
	ck_assert_int_eq(c->data[4], '{');
	/* Rendered once: a second reader shares the chunk. */
	ck_assert_ptr_eq(event_bytes(ev, &fmt_ws, 0, 0, NULL), c);
	chunk_unref(c);
	chunk_unref(c);
	event_unref(ev);

	c = fmt_ws.keepalive(0);
	ck_assert_uint_eq(c->len, 2);
	ck_assert_int_eq((unsigned char)c->data[0], 0x89);
	ck_assert_int_eq(c->data[1], 0);
	chunk_unref(c);
	ck_assert(fmt_ws.head == NULL && fmt_ws.reload == NULL);
}
END_TEST

Suite *
fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("fmt");

	tcase_add_test(tc, text_says_what_the_frame_says);
	tcase_add_test(tc, text_is_raw_without_controls);
	tcase_add_test(tc, text_newline_continues_indented);
	tcase_add_test(tc, text_marks_mentions_and_shows_hints);
	tcase_add_test(tc, text_head_keepalive_and_no_reload);
	tcase_add_test(tc, html_escapes_numbers_and_marks);
	tcase_add_test(tc, html_kinds_and_hint_links);
	tcase_add_test(tc, html_head_is_a_kilobyte_and_shared);
	tcase_add_test(tc, bytes_are_rendered_once_per_format);
	tcase_add_test(tc, numbers_start_from_the_clock);
	tcase_add_test(tc, rekey_follows_renames);
	tcase_add_test(tc, ws_frames_hold_event_objects);
	tcase_add_test(tc, ws_long_frames_and_pings);
	suite_add_tcase(s, tc);
	return s;
}
