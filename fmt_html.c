/* fmt_html.c: the bytes of the HTML chat frame: head and padding, fragments, keepalive, reload. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "event.h"
#include "fmt.h"
#include "frames.h"
#include "http.h"

#define FMT_HTML_PAD_LINES	24	/* 49-byte lines: a stream opens with 1 KiB */
#define FMT_HTML_STAMP_BYTES	8	/* "HH:MM" and NUL, with room to spare */
#define FMT_HTML_UTC_BYTES	24	/* "YYYY-MM-DDTHH:MM:SSZ" and NUL */

/* The response head and the start of the chat page, shared by all streams. */
static struct chunk *
html_head(int framing)
{
	static struct chunk *head;
	struct buf b;
	int i;

	(void)framing;
	if (head == NULL) {
		buf_init(&b);
		http_response_head(&b, HTTP_OK, "text/html; charset=utf-8", -1,
		    HTTP_NO_STORE);
		buf_add(&b, frame_chat_html, frame_chat_html_len);
		/* Browsers wait for about 1 KiB before they render a page in part. */
		buf_adds(&b, "<!--");
		for (i = 0; i < FMT_HTML_PAD_LINES; i++)
			buf_adds(&b, " padding so that browsers render at "
			    "once.........");
		buf_adds(&b, " -->\n");
		/* Without scripts nothing reconnects: offer a link to this URL. */
		buf_adds(&b, "<noscript><p class=\"redo\"><a href=\"\">"
		    "Reconnect</a></p></noscript>\n");
		head = chunk_from_buf(&b);
	}
	return head ? chunk_ref(head) : NULL;
}

/* Appends "<span class="nick" style="color:C"><bdi>NAME</bdi></span>". */
static void
render_nick(struct buf *b, const struct event_source *who)
{
	/* A backend's name has no colour and a mark no user name can hold. */
	if (who->backend) {
		buf_adds(b, "<span class=\"nick backend\"><bdi>");
		http_html_escape(b, who->name, strlen(who->name));
		buf_adds(b, "</bdi> [backend]</span>");
		return;
	}
	buf_printf(b, "<span class=\"nick\"%s%s%s><bdi>", *who->color ?
	    " style=\"color:" : "", who->color, *who->color ? "\"" : "");
	http_html_escape(b, who->name, strlen(who->name));
	buf_adds(b, "</bdi></span>");
}

/* Appends user text, escaped, inside <bdi>; newlines become line breaks. */
static void
render_text(struct buf *b, const char *text)
{
	const char *nl;

	buf_adds(b, "<bdi class=\"tx\">");
	while ((nl = strchr(text, '\n')) != NULL) {
		http_html_escape(b, text, (size_t)(nl - text));
		buf_adds(b, "<br>");
		text = nl + 1;
	}
	http_html_escape(b, text, strlen(text));
	buf_adds(b, "</bdi>");
}

/* Appends a command as a query value: letters and digits as they are, space as '+'. */
static void
render_query(struct buf *b, const char *s)
{
	for (; *s; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9'))
			buf_addc(b, *s);
		else if (*s == ' ')
			buf_addc(b, '+');
		else
			buf_printf(b, "%%%02X", (unsigned char)*s);
}

static const char *
html_class(enum event_kind kind)
{
	switch (kind) {
	case EVENT_ROOM:
		return "notice divider";
	case EVENT_MISSED:
	case EVENT_END:
		return "notice";
	default:
		return event_kind_name(kind);
	}
}

static struct chunk *
html_event(const struct event *ev, int marked, int framing, const char *sid)
{
	char stamp[FMT_HTML_STAMP_BYTES], utc[FMT_HTML_UTC_BYTES];
	struct buf b;

	(void)framing;
	buf_init(&b);
	strftime(stamp, sizeof stamp, "%H:%M", localtime(&ev->time));
	strftime(utc, sizeof utc, "%Y-%m-%dT%H:%M:%SZ", gmtime(&ev->time));
	buf_printf(&b, "<div class=\"ev %s%s%s\"", html_class(ev->kind),
	    ev->from.backend ? " backend" : "", marked ? " mention" : "");
	if (ev->id != 0)
		buf_printf(&b, " id=\"e%llu\"", ev->id);
	if (ev->kind == EVENT_END)	/* scripts must not reconnect after it */
		buf_adds(&b, " data-end=\"\"");
	buf_printf(&b, "><time class=\"ts\" datetime=\"%s\">%s</time> ",
	    utc, stamp);
	switch (ev->kind) {
	case EVENT_MSG:
		render_nick(&b, &ev->from);
		buf_adds(&b, "<span class=\"sep\">:</span> ");
		render_text(&b, ev->text);
		break;
	case EVENT_ACTION:
		buf_adds(&b, "* ");
		render_nick(&b, &ev->from);
		buf_addc(&b, ' ');
		render_text(&b, ev->text);
		break;
	case EVENT_WHISPER:
		render_nick(&b, &ev->from);
		buf_adds(&b, " &rarr; ");
		render_nick(&b, &ev->to);
		buf_adds(&b, " <span class=\"sep\">(whisper):</span> ");
		render_text(&b, ev->text);
		break;
	case EVENT_JOIN:
		buf_adds(&b, "&rarr; ");
		render_nick(&b, &ev->from);
		buf_printf(&b, " joined %s", ev->room);
		break;
	case EVENT_LEAVE:
		buf_adds(&b, "&larr; ");
		render_nick(&b, &ev->from);
		buf_printf(&b, " left %s (", ev->room);
		render_text(&b, ev->text);
		buf_addc(&b, ')');
		break;
	case EVENT_KICK:
		render_nick(&b, &ev->to);
		buf_adds(&b, " was kicked by ");
		render_nick(&b, &ev->from);
		if (*ev->text) {
			buf_adds(&b, ": ");
			render_text(&b, ev->text);
		}
		break;
	case EVENT_TOPIC:
		render_nick(&b, &ev->from);
		buf_adds(&b, " set the topic: ");
		render_text(&b, ev->text);
		break;
	case EVENT_NICK:
		buf_adds(&b, "<bdi>");
		http_html_escape(&b, ev->text, strlen(ev->text));
		buf_adds(&b, "</bdi> is now known as ");
		render_nick(&b, &ev->from);
		break;
	case EVENT_COLOR:
		render_nick(&b, &ev->from);
		buf_adds(&b, " changed colour");
		break;
	case EVENT_NOTICE:
	case EVENT_ROOM:
	case EVENT_MISSED:
	case EVENT_END:
		if (ev->from.backend) {
			render_nick(&b, &ev->from);
			buf_adds(&b, "<span class=\"sep\">:</span> ");
		}
		render_text(&b, ev->text);
		if (ev->hint != NULL && sid != NULL) {
			buf_printf(&b, " <a href=\"/dotalk?sid=%s&amp;message=",
			    sid);
			render_query(&b, ev->hint);
			buf_adds(&b, "\" target=\"talk\">");
			http_html_escape(&b, ev->hint, strlen(ev->hint));
			buf_adds(&b, "</a>");
		}
		break;
	}
	buf_adds(&b, "</div>\n");
	return chunk_from_buf(&b);
}

static struct chunk *
html_keepalive(int framing)
{
	static const char line[] = "<!-- keepalive -->\n";

	(void)framing;
	return chunk_new(line, sizeof line - 1);
}

/*
 * A chat frame open for days would grow without end: past its line budget
 * the stream asks the browser to reload it from the last event it got.
 */
static struct chunk *
html_reload(const char *sid, unsigned long long cursor)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "<meta http-equiv=\"refresh\" content=\"0; url=/chat?"
	    "sid=%s&amp;since=%llu\">\n<p class=\"reload\"><a href=\"/chat?"
	    "sid=%s&amp;since=%llu\">Continue</a></p>\n",
	    sid, cursor, sid, cursor);
	return chunk_from_buf(&b);
}

const struct fmt fmt_html = {
	"html", EVENT_SLOT_HTML, 1,
	html_head, html_event, html_keepalive, html_reload
};
