/* fmt_text.c: the bytes of /chat.txt: one plain text line per event, for curl -N and telnet. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "event.h"
#include "fmt.h"
#include "http.h"
#include "text.h"

#define FMT_TEXT_STAMP_BYTES	8	/* "HH:MM" and NUL, with room to spare */
#define FMT_TEXT_INDENT		"      "	/* continuation lines: under the text */

static struct chunk *
text_head(int framing)
{
	static struct chunk *head;
	struct buf b;

	(void)framing;
	if (head == NULL) {
		buf_init(&b);
		http_response_head(&b, HTTP_OK, "text/plain; charset=utf-8", -1,
		    HTTP_NO_STORE);
		head = chunk_from_buf(&b);
	}
	return head ? chunk_ref(head) : NULL;
}

/*
 * Appends text raw, without its control characters (C0, DEL, C1), so no
 * line can move a terminal's cursor or colour it.  A newline starts a
 * continuation line, indented, so that one event stays one line to a
 * reader and a script can tell where the next begins.  Bytes that are
 * not UTF-8 (none pass the checks upstream) are dropped too.
 */
static void
put_clean(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	uint32_t cp;
	int len;

	while (n > 0) {
		if ((len = text_utf8_decode(s, n, &cp)) == -1) {
			s++, n--;
			continue;
		}
		if (cp == '\n')
			buf_adds(b, "\n" FMT_TEXT_INDENT);
		else if (cp == '\t')
			buf_addc(b, ' ');
		else if (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f))
			buf_add(b, s, (size_t)len);
		s += len;
		n -= (size_t)len;
	}
}

/* After a backend's name: no user name can hold it (no spaces, no brackets). */
#define FMT_TEXT_BACKEND	" [backend]"

static struct chunk *
text_event(const struct event *ev, int marked, int framing, const char *sid)
{
	char stamp[FMT_TEXT_STAMP_BYTES];
	struct buf b;

	(void)framing;
	(void)sid;
	buf_init(&b);
	strftime(stamp, sizeof stamp, "%H:%M", localtime(&ev->time));
	buf_printf(&b, "%s ", stamp);
	switch (ev->kind) {
	case EVENT_MSG:
		buf_addc(&b, '<');
		put_clean(&b, ev->from.name);
		if (ev->from.backend)
			buf_adds(&b, FMT_TEXT_BACKEND);
		buf_adds(&b, "> ");
		put_clean(&b, ev->text);
		break;
	case EVENT_ACTION:
		buf_adds(&b, "* ");
		put_clean(&b, ev->from.name);
		if (ev->from.backend)
			buf_adds(&b, FMT_TEXT_BACKEND);
		buf_addc(&b, ' ');
		put_clean(&b, ev->text);
		break;
	case EVENT_WHISPER:
		put_clean(&b, ev->from.name);
		buf_adds(&b, " -> ");
		put_clean(&b, ev->to.name);
		buf_adds(&b, " (whisper): ");
		put_clean(&b, ev->text);
		break;
	case EVENT_JOIN:
		buf_adds(&b, "-> ");
		put_clean(&b, ev->from.name);
		buf_adds(&b, " joined ");
		put_clean(&b, ev->room);
		break;
	case EVENT_LEAVE:
		buf_adds(&b, "<- ");
		put_clean(&b, ev->from.name);
		buf_adds(&b, " left ");
		put_clean(&b, ev->room);
		buf_adds(&b, " (");
		put_clean(&b, ev->text);
		buf_addc(&b, ')');
		break;
	case EVENT_KICK:
		put_clean(&b, ev->to.name);
		buf_adds(&b, " was kicked by ");
		put_clean(&b, ev->from.name);
		if (*ev->text) {
			buf_adds(&b, ": ");
			put_clean(&b, ev->text);
		}
		break;
	case EVENT_TOPIC:
		put_clean(&b, ev->from.name);
		buf_adds(&b, " set the topic: ");
		put_clean(&b, ev->text);
		break;
	case EVENT_NICK:
		put_clean(&b, ev->text);
		buf_adds(&b, " is now known as ");
		put_clean(&b, ev->from.name);
		break;
	case EVENT_COLOR:
		put_clean(&b, ev->from.name);
		buf_adds(&b, " changed colour");
		break;
	case EVENT_ROOM:
		buf_adds(&b, "=== ");
		put_clean(&b, ev->text);
		break;
	case EVENT_NOTICE:
	case EVENT_MISSED:
	case EVENT_END:
		buf_adds(&b, "*** ");
		if (ev->from.backend) {
			put_clean(&b, ev->from.name);
			buf_adds(&b, FMT_TEXT_BACKEND ": ");
		}
		put_clean(&b, ev->text);
		if (ev->hint != NULL) {
			buf_adds(&b, " (type ");
			put_clean(&b, ev->hint);
			buf_addc(&b, ')');
		}
		break;
	}
	if (marked)
		buf_adds(&b, "  [mentions you]");
	buf_addc(&b, '\n');
	return chunk_from_buf(&b);
}

static struct chunk *
text_keepalive(int framing)
{
	(void)framing;
	return chunk_new("\n", 1);
}

/*
 * No reload entry: a terminal or a script keeps no page that grows, so a
 * text stream has no line budget (its output queue is still bounded).
 */
const struct fmt fmt_text = {
	"text", EVENT_SLOT_TEXT, 1,
	text_head, text_event, text_keepalive, NULL
};
