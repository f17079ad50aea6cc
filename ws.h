/* ws.h: WebSocket (RFC 6455) handshake, frame parser and frame writers, over caller-owned buffers. */
#ifndef WS_H
#define WS_H

#include <stddef.h>

#define WS_MESSAGE_MAX		8192	/* a client message, reassembled, bytes */
#define WS_CONTROL_MAX		125	/* a control frame's payload (RFC 6455 5.5) */
#define WS_HEAD_MAX		14	/* a frame head: 2 + 8 length + 4 mask */
#define WS_SERVER_HEAD_MAX	10	/* a server frame's head, never masked */
#define WS_CONTROL_FRAME_MAX	(2 + WS_CONTROL_MAX)	/* a whole server control frame */
#define WS_CLOSE_REASON_MAX	(WS_CONTROL_MAX - 2)	/* after the 2-byte code */
#define WS_KEY_LEN		24	/* Sec-WebSocket-Key: 16 bytes in base64 */
#define WS_ACCEPT_LEN		28	/* Sec-WebSocket-Accept: 20 bytes in base64 */
#define WS_VERSION		"13"	/* the only Sec-WebSocket-Version */
#define WS_RESPONSE_MAX		160	/* the 101 head of ws_handshake_response() */

/* Bytes of base64 (with '=' padding, no NUL) for n bytes. */
#define WS_BASE64_LEN(n)	(((n) + 2) / 3 * 4)

/* Close codes (RFC 6455 7.4.1). */
enum ws_close {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,	/* server shutting down */
	WS_CLOSE_PROTOCOL = 1002,	/* malformed or unmasked frame */
	WS_CLOSE_UNSUPPORTED = 1003,	/* a kind of message not accepted (binary) */
	WS_CLOSE_NO_STATUS = 1005,	/* a close came without a code; never sent */
	WS_CLOSE_INVALID_DATA = 1007,	/* a text message that is not UTF-8 */
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,	/* a frame or message over WS_MESSAGE_MAX */
	WS_CLOSE_INTERNAL = 1011	/* the server failed (out of memory) */
};

/* Frame opcodes (RFC 6455 5.2). */
enum ws_opcode {
	WS_OP_CONTINUATION = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa
};

/* What ws_parse() found. */
enum ws_event {
	WS_EV_MORE = 0,		/* every byte taken; feed more */
	WS_EV_TEXT,		/* a whole text message, valid UTF-8 */
	WS_EV_BINARY,		/* a whole binary message */
	WS_EV_PING,		/* answer with ws_pong_frame() of the same payload */
	WS_EV_PONG,
	WS_EV_CLOSE,		/* the peer closes: code, and reason in data */
	WS_EV_FAIL		/* a bad stream: close with code, then hang up */
};

/*
 * Why a handshake is refused.  Each is answered with 400 (PROTOCOL 8);
 * RFC 6455 4.4 suggests 426 for a wrong version, but what it requires is
 * a Sec-WebSocket-Version: 13 header in that answer: the 400 for
 * WS_HS_BAD_VERSION must carry it.
 */
enum ws_handshake {
	WS_HS_OK = 0,
	WS_HS_NO_UPGRADE,	/* Upgrade lacks "websocket" */
	WS_HS_NO_CONNECTION,	/* Connection lacks "Upgrade" */
	WS_HS_BAD_KEY,		/* Sec-WebSocket-Key absent or not 16 bytes */
	WS_HS_BAD_VERSION	/* Sec-WebSocket-Version absent or not 13 */
};

/*
 * The frame parser of one connection, fed the bytes a client sends.  The
 * caller owns it (about WS_MESSAGE_MAX + WS_CONTROL_MAX bytes) and readies
 * it with ws_parser_init(); it is never copied while in use.  It holds at
 * most one message (WS_MESSAGE_MAX), one control payload and one head.
 */
struct ws_parser {
	/* private */
	int		 state;
	enum ws_event	 final;		/* set once closed or failed */
	unsigned char	 head[WS_HEAD_MAX];
	size_t		 head_len;	/* head bytes read */
	size_t		 head_need;	/* head bytes in all, once known */
	int		 op;		/* the frame's opcode */
	int		 fin;
	size_t		 frame_len;	/* the frame's payload length */
	size_t		 frame_got;	/* payload bytes read */
	int		 msg_op;	/* TEXT or BINARY while a message is open */
	size_t		 msg_len;
	size_t		 ctl_len;
	unsigned	 utf8_need;	/* continuation bytes still due */
	unsigned char	 utf8_lo, utf8_hi;	/* range of the next one */
	char		 msg[WS_MESSAGE_MAX + 1];
	char		 ctl[WS_CONTROL_MAX + 1];

	/* results of the last ws_parse(), valid until the next call */
	const char	*data;		/* payload, NUL-terminated; "" if none */
	size_t		 len;
	unsigned	 code;		/* CLOSE: the peer's code; FAIL: ours */
	const char	*reason;	/* FAIL: what was wrong, in words */
};

void	ws_parser_init(struct ws_parser *);

/*
 * 1 when the parser stands between frames with no message open and has
 * not ended: a fresh ws_parser_init() would carry on exactly the same.
 */
int	ws_parser_idle(const struct ws_parser *);

/*
 * Feeds `len` bytes; the parser resumes where the previous call stopped,
 * so a stream split anywhere parses the same.  Sets *used to the bytes
 * taken and returns at the first complete message or control frame; the
 * caller calls again with the rest.  WS_EV_MORE means all `len` bytes were
 * taken.  TEXT, BINARY, PING, PONG and CLOSE leave the payload in
 * data/len; CLOSE also sets code (WS_CLOSE_NO_STATUS if the frame had
 * none).  FAIL sets code to the close code to send and reason, and *used
 * ends at the byte that decided it:
 *   1002 unmasked frame, reserved bit or opcode, fragmented or over-long
 *        control frame, continuation with no message open or a new
 *        message inside one, 64-bit length with the top bit set, close
 *        payload of 1 byte or a close code other than 1000-1003,
 *        1007-1014 and 3000-4999;
 *   1009 a frame or message over WS_MESSAGE_MAX, judged by the declared
 *        length before any of the payload is kept;
 *   1007 a text message or close reason that is not UTF-8 (overlong
 *        forms, surrogates and code points above U+10FFFF refused), found
 *        at the first byte that cannot be part of valid UTF-8.
 * CLOSE and FAIL are final: later calls return them again and take nothing.
 * A length written in more bytes than it needs is accepted.
 */
enum ws_event ws_parse(struct ws_parser *, const char *, size_t, size_t *used);

/*
 * Checks an upgrade request's header values, as the HTTP parser keeps them
 * (NULL when absent): Upgrade holds the token "websocket" and Connection
 * the token "Upgrade" (both lists, any case), Sec-WebSocket-Key is 16
 * bytes in base64 (24 characters), Sec-WebSocket-Version is 13.  The
 * method (GET) and version (HTTP/1.1) are the caller's to check.
 */
enum ws_handshake ws_handshake_check(const char *upgrade,
	    const char *connection, const char *key, const char *version);

/* A refusal in words, for the 400 page ("Sec-WebSocket-Version must be 13"). */
const char *ws_handshake_reason(enum ws_handshake);

/* Writes Sec-WebSocket-Accept for a client's key into out, NUL-terminated. */
void	ws_accept_key(const char *client_key, char out[WS_ACCEPT_LEN + 1]);

/*
 * Writes the whole head of the 101 answer (status line, Upgrade,
 * Connection, Sec-WebSocket-Accept, blank line) into out (WS_RESPONSE_MAX
 * bytes), NUL-terminated; returns its length.  The key must have passed
 * ws_handshake_check().
 */
size_t	ws_handshake_response(char *out, const char *client_key);

/* Writes n bytes in base64 (RFC 4648, padded) into out, NUL-terminated. */
void	ws_base64(const void *in, size_t n, char *out);

/*
 * XORs n bytes with the masking key, starting `off` bytes into the payload
 * (RFC 6455 5.3); the same call masks and unmasks.
 */
void	ws_mask(char *p, size_t n, const unsigned char key[4], size_t off);

/*
 * Writes a frame head for an n-byte payload into out (WS_HEAD_MAX bytes;
 * WS_SERVER_HEAD_MAX when key is NULL) and returns its length.  With a key
 * the mask bit is set and the key follows; the payload is the caller's to
 * mask.  Servers send unmasked frames (key NULL).
 */
size_t	ws_frame_head(char *out, enum ws_opcode, int fin, size_t n,
	    const unsigned char *key);

/* The head of a server's whole text frame of n bytes; the payload follows it. */
size_t	ws_text_head(char *out, size_t n);

/*
 * Whole server control frames, written into out (WS_CONTROL_FRAME_MAX
 * bytes); each returns its length.  A ping or pong payload over
 * WS_CONTROL_MAX is refused: nothing is written and 0 returned.
 */
size_t	ws_ping_frame(char *out, const char *payload, size_t n);
size_t	ws_pong_frame(char *out, const char *payload, size_t n);

/*
 * A close frame with a code and a reason (NULL for none), the reason cut
 * to WS_CLOSE_REASON_MAX bytes at a UTF-8 character boundary.  A code
 * that may not be sent (WS_CLOSE_NO_STATUS, the answer to a close without
 * one, among them) writes a close with no payload at all.
 */
size_t	ws_close_frame(char *out, unsigned code, const char *reason);

#endif
