/*
 * chatd chat frame.  All of this is an extra: without scripts the frame is a
 * plain never-ending page and works the same.
 *
 *  - Follow the newest line unless the reader has scrolled up.
 *  - While the tab is hidden, show the number of unread lines in the title
 *    of the top window.
 *  - A browser opens at most 6 connections to one host and port, and each
 *    chat frame holds one for as long as it is open.  So the chat frames of
 *    one browser count themselves over a BroadcastChannel, and when more than
 *    STREAMS_MAX of them hold a stream, those hidden longest let theirs go.
 *    A frame that let go looks in every POLL_MS through a hidden pipe frame
 *    (/chat?since=LAST, closed once the replay is over), which fetches the
 *    lines it missed and keeps its user in the room; when its tab is shown
 *    again it opens a pipe that stays.  The page itself is never replaced,
 *    so the reader keeps every line and the scroll position.
 */
(function () {
	"use strict";
	var STREAMS_MAX = 4;	/* streams one browser keeps; 2 stay for the rest */
	var POLL_MS = 8000;	/* a released frame looks in this often */
	var QUIET_MS = 400;	/* a look-in ends after this long without a line */
	var PROBE_MS = 6000;	/* ... or after this long in all */
	var CENSUS_MS = 300;	/* how long a count waits for answers */
	var REPLAY_MS = 1500;	/* lines this early are history, not unread */
	var RETRY_MAX_S = 30;	/* reconnecting backs off 1, 2, 4 ... this */
	var NAMES_MS = 150;	/* names refresh this soon after a change */
	var host = window.frameElement;

	/* A pipe frame: hand each new line to the chat frame that opened it. */
	if (host && host.hasAttribute("data-pipe")) {
		new MutationObserver(function () {
			if (typeof window.parent.chatdTake === "function")
				window.parent.chatdTake(host, document, false);
		}).observe(document, { childList: true, subtree: true });
		return;
	}

	var doc = document, body = null, started = Date.now();
	var sid = (/[?&]sid=([0-9a-f]+)/.exec(location.search) || [])[1];
	var pinned = true, last = "", unread = 0, marked = false, title = null;
	var live = true;	/* this frame holds a stream */
	var own = true;		/* ... and it is the page's own load */
	var dead = false;	/* the session or its stream has ended */
	var pipe = null, pipeKeep = false, quiet = 0, poller = 0;
	var hiddenAt = doc.hidden ? Date.now() : 0;
	var me = Math.random().toString(36).slice(2);
	var channel = null, census = null;
	var retry = 0, retryTimer = 0, lost = false, namesTimer = 0;

	/* Says on the page how this frame gets its lines (for tests and curious people). */
	function mark(state) {
		doc.documentElement.setAttribute("data-stream", state);
	}
	mark("own");

	function isLine(n) {
		return n.nodeType === 1 && /(^| )ev( |$)/.test(n.className);
	}

	function scroller() {
		return doc.scrollingElement || doc.documentElement;
	}

	function follow() {
		var el = scroller();

		if (pinned)
			el.scrollTop = el.scrollHeight;
	}

	window.addEventListener("scroll", function () {
		var el = scroller();

		pinned = el.scrollTop + window.innerHeight >= el.scrollHeight - 40;
	});
	window.addEventListener("resize", follow);

	/* The top window's document, or null if it is not ours to touch. */
	function topDoc() {
		try {
			return window.top.document;
		} catch (e) {
			return null;
		}
	}

	function showUnread() {
		var t = topDoc();

		if (t === null)
			return;
		if (unread === 0) {
			if (title !== null)
				t.title = title;
			title = null;
			return;
		}
		if (title === null)
			title = t.title.replace(/^\(\d+!?\) /, "");
		t.title = "(" + unread + (marked ? "!" : "") + ") " + title;
	}

	/* A line has arrived: remember its number, count it if nobody saw it. */
	/* Shows a line's time (UTC in its datetime) in the browser's zone. */
	function localTime(t) {
		var d = new Date(t.getAttribute("datetime"));

		if (!isNaN(d.getTime()))
			t.textContent = ("0" + d.getHours()).slice(-2) + ":" +
			    ("0" + d.getMinutes()).slice(-2);
	}

	function arrived(n) {
		var t = n.querySelector("time[datetime]");

		if (n.id && /^e\d+$/.test(n.id))
			last = n.id.slice(1);
		if (t !== null)
			localTime(t);
		if (/(^| )(join|leave|kick|nick|color)( |$)/.test(n.className))
			namesSoon();	/* one fetch for a burst of them */
		if ((!doc.hidden && focused()) ||
		    (!n.chatdPiped && Date.now() - started < REPLAY_MS))
			return;
		if (!/(^| )(msg|action|whisper)( |$)/.test(n.className))
			return;
		unread++;
		if (/(^| )(mention|whisper)( |$)/.test(n.className)) {
			if (!marked)
				beep();
			marked = true;
		}
		showUnread();
	}

	/* Whether the top window has the keyboard (not just whether it shows). */
	function focused() {
		try {
			return window.top.document.hasFocus();
		} catch (e) {
			return !doc.hidden;
		}
	}

	/* A short soft tone for a mention while nobody looks (if sound may play). */
	function beep() {
		var A = window.AudioContext || window.webkitAudioContext, ctx, o, g;

		if (!A)
			return;
		try {
			ctx = new A();
			o = ctx.createOscillator();
			g = ctx.createGain();
			g.gain.value = 0.05;
			o.frequency.value = 880;
			o.connect(g);
			g.connect(ctx.destination);
			o.start();
			o.stop(ctx.currentTime + 0.15);
			setTimeout(function () { ctx.close(); }, 400);
		} catch (e) {
			/* no sound then: the title still says it */
		}
	}

	/* The names frame next to this one, if it is ours. */
	function namesDoc() {
		try {
			var f = window.parent.frames.names;

			return f && f.document && f.document.body ? f.document : null;
		} catch (e) {
			return null;
		}
	}

	/* Fetches the names page and puts its list, count and topic in place. */
	function namesRefresh() {
		var x;

		namesTimer = 0;
		if (namesDoc() === null || !sid)
			return;
		x = new XMLHttpRequest();
		x.open("GET", "/names?sid=" + sid);
		x.responseType = "document";
		x.onload = function () {
			var nd = namesDoc(), fresh = x.response;

			if (x.status !== 200 || nd === null || !fresh || !fresh.body)
				return;
			nd.body.innerHTML = fresh.body.innerHTML;
		};
		x.send();
	}

	function namesSoon() {
		if (namesTimer === 0)
			namesTimer = setTimeout(namesRefresh, NAMES_MS);
	}
	window.chatdNames = namesSoon;

	/* A click on a name in the names frame puts it into the talk box. */
	function namesClicks() {
		var nd = namesDoc();

		if (nd === null || nd.chatdClicks)
			return;
		nd.chatdClicks = true;
		nd.addEventListener("click", function (e) {
			var n = e.target.closest && e.target.closest("ul.names .nick");
			var tf, field;

			if (!n)
				return;
			try {
				tf = window.parent.frames.talk.document;
				field = tf.getElementById("message");
			} catch (err) {
				return;
			}
			if (!field)
				return;
			field.value += (field.value && !/\s$/.test(field.value) ?
			    " " : "") + n.textContent.replace(/^@/, "") +
			    (field.value ? " " : ": ");
			field.focus();
		});
	}
	try {
		window.parent.document.querySelector("frame[name=names]")
		    .addEventListener("load", namesClicks);
	} catch (e) {
		/* not in chatd's frameset */
	}
	namesClicks();
	try {
		window.top.addEventListener("focus", function () {
			if (!doc.hidden) {
				unread = 0;
				marked = false;
				showUnread();
			}
		});
	} catch (e) {
		/* not ours */
	}

	function watchBody() {
		new MutationObserver(function (records) {
			var i, j, added;

			for (i = 0; i < records.length; i++) {
				added = records[i].addedNodes;
				for (j = 0; j < added.length; j++)
					if (records[i].target === body && isLine(added[j]))
						arrived(added[j]);
					else if (added[j].nodeName === "TIME" &&
					    added[j].hasAttribute("datetime"))
						localTime(added[j]);	/* parsed after its line */
			}
			follow();
		}).observe(body, { childList: true, subtree: true });
		Array.prototype.forEach.call(body.childNodes, function (n) {
			if (isLine(n))
				arrived(n);
		});
		follow();
	}

	if (doc.body) {
		body = doc.body;
		watchBody();
	} else {
		new MutationObserver(function (records, self) {
			if (doc.body) {
				self.disconnect();
				body = doc.body;
				watchBody();
			}
		}).observe(doc.documentElement, { childList: true });
	}

	/*
	 * Moves the finished lines of a pipe's page into this one.  A line is
	 * finished once the parser has gone past it (it has a next sibling),
	 * or when the pipe is done.
	 */
	window.chatdTake = function (el, pdoc, done) {
		var n, next, copy;

		if (el !== pipe || !pdoc.body || body === null)
			return;
		if (/(^| )chat( |$)/.test(pdoc.body.className))
			back();
		for (n = pdoc.body.firstChild; n !== null; n = next) {
			next = n.nextSibling;
			if (!isLine(n) || (next === null && !done))
				continue;
			copy = doc.importNode(n, true);
			copy.chatdPiped = true;
			body.insertBefore(copy, pipe);
			pdoc.body.removeChild(n);
		}
		if (!pipeKeep) {
			clearTimeout(quiet);
			quiet = setTimeout(endLook, QUIET_MS);
		}
	};

	function pipeDoc() {
		try {
			return pipe.contentDocument;
		} catch (e) {
			return null;
		}
	}

	function openPipe(keep) {
		pipe = doc.createElement("iframe");
		pipe.setAttribute("data-pipe", "");
		pipe.setAttribute("aria-hidden", "true");
		pipe.setAttribute("tabindex", "-1");
		pipe.style.display = "none";
		pipe.addEventListener("load", pipeEnded);
		pipe.src = "/chat?sid=" + sid + (last ? "&since=" + last : "");
		pipeKeep = keep;
		if (!keep)
			quiet = setTimeout(endLook, PROBE_MS);
		body.appendChild(pipe);
	}

	function closePipe() {
		var pdoc;

		clearTimeout(quiet);
		if (pipe === null)
			return;
		if ((pdoc = pipeDoc()) !== null)
			window.chatdTake(pipe, pdoc, true);
		clearTimeout(quiet);
		pipe.removeEventListener("load", pipeEnded);
		body.removeChild(pipe);
		pipe = null;
	}

	/* A short look-in is over: let the stream go and come back later. */
	function endLook() {
		closePipe();
		if (!live && !dead)
			poller = setTimeout(look, POLL_MS);
	}

	function look() {
		if (!live && !dead && pipe === null)
			openPipe(false);
	}

	function notice(text, login, cls) {
		var div = doc.createElement("div"), tx = doc.createElement("bdi");
		var a = doc.createElement("a");

		div.className = "ev notice" + (cls ? " " + cls : "");
		tx.className = "tx";
		tx.appendChild(doc.createTextNode(text + " "));
		if (login) {
			a.href = "/";
			a.target = "_top";
			a.appendChild(doc.createTextNode("Log in again"));
			tx.appendChild(a);
		}
		div.appendChild(tx);
		body.appendChild(div);
		follow();
	}

	/* Whether the last line is the server's goodbye (kick, leave, replaced, shutdown). */
	function endedByServer(d) {
		var lines = d && d.body ? d.body.querySelectorAll("div.ev") : [];

		return lines.length > 0 &&
		    lines[lines.length - 1].hasAttribute("data-end");
	}

	/*
	 * The stream broke without a goodbye: open it again from the last line
	 * shown, waiting 1, 2, 4 ... RETRY_MAX_S seconds between tries.  One
	 * line says so, one more says when it is back.
	 */
	function reconnect() {
		var wait = Math.min(RETRY_MAX_S, 1 << Math.min(retry, 5));

		if (dead || retryTimer !== 0)
			return;
		if (!lost)
			notice("Connection lost; reconnecting\u2026", false,
			    "reconnecting");
		lost = true;
		mark("reconnecting");
		retry++;
		retryTimer = setTimeout(function () {
			retryTimer = 0;
			if (dead || pipe !== null)
				return;
			if (live)
				openPipe(true);
			else
				look();
		}, wait * 1000);
	}

	/* A pipe's page is a chat stream again: say so once. */
	function back() {
		retry = 0;
		if (!lost)
			return;
		lost = false;
		notice("Connected again.", false, "back");
		mark(live ? "pipe" : "released");
		namesSoon();
	}

	/*
	 * A pipe's page has ended: with the server's goodbye (the session is
	 * over or moved), with another page (the server no longer knows this
	 * session, say after a restart), or broken (network, proxy, server down).
	 */
	function pipeEnded() {
		var pdoc = pipeDoc();

		if (pdoc !== null && pdoc.location.href === "about:blank")
			return;
		if (pdoc !== null && pdoc.querySelector("meta[http-equiv=refresh]"))
			return;		/* a long stream reloads itself */
		if (pdoc !== null && pdoc.body && /(^| )chat( |$)/.test(pdoc.body.className)) {
			window.chatdTake(pipe, pdoc, true);
			if (!endedByServer(pdoc)) {
				closePipe();
				if (live)
					reconnect();
				else
					endLook();
				return;
			}
		} else if (pdoc === null) {
			closePipe();	/* no answer at all: try again */
			reconnect();
			return;
		} else {
			notice("This session has ended; the server may have " +
			    "restarted.", true, "gone");
		}
		dead = true;
		live = false;
		mark("ended");
		clearTimeout(poller);
		closePipe();
	}

	/* Gives this frame's stream back to the browser. */
	function release() {
		if (!live || dead || !sid || body === null)
			return;
		live = false;
		if (own) {
			own = false;
			window.stop();
		} else {
			closePipe();
		}
		mark("released");
		poller = setTimeout(look, POLL_MS);
	}

	function resume() {
		if (live || dead)
			return;
		clearTimeout(poller);
		live = true;
		mark("pipe");
		if (pipe !== null) {
			pipeKeep = true;	/* the look-in under way stays */
			clearTimeout(quiet);
		} else {
			openPipe(true);
		}
		if (channel !== null)
			channel.postMessage({ type: "hello" });
	}

	/*
	 * Counts the frames of this browser that hold a stream.  The visible
	 * ones come first, then the hidden ones, most recently hidden first;
	 * this frame lets its stream go when it ranks past STREAMS_MAX.  Every
	 * frame that counts at the same time sees the same answers, so they
	 * agree on who goes.
	 */
	function count() {
		if (census !== null || !live || channel === null)
			return;
		census = [{ id: me, hiddenAt: hiddenAt }];
		channel.postMessage({ type: "count" });
		setTimeout(function () {
			var rank;

			census.sort(function (a, b) {
				if ((a.hiddenAt === 0) !== (b.hiddenAt === 0))
					return a.hiddenAt === 0 ? -1 : 1;
				if (a.hiddenAt !== b.hiddenAt)
					return b.hiddenAt - a.hiddenAt;
				return a.id < b.id ? -1 : 1;
			});
			for (rank = 0; census[rank].id !== me; rank++)
				;
			census = null;
			if (rank >= STREAMS_MAX && hiddenAt !== 0)
				release();
		}, CENSUS_MS);
	}

	if (typeof BroadcastChannel === "function" && sid) {
		channel = new BroadcastChannel("chatd-streams");
		channel.onmessage = function (e) {
			var m = e.data || {};

			if (m.type === "hello" && live && hiddenAt !== 0)
				count();
			else if (m.type === "count" && live)
				channel.postMessage({ type: "here", id: me,
				    hiddenAt: hiddenAt });
			else if (m.type === "here" && census !== null &&
			    !census.some(function (c) { return c.id === m.id; }))
				census.push({ id: String(m.id),
				    hiddenAt: Number(m.hiddenAt) || 0 });
		};
		channel.postMessage({ type: "hello" });
		if (hiddenAt !== 0)
			count();
	}

	/*
	 * The page's own stream has ended: for good after the server's goodbye
	 * (kicked, left, replaced, shutdown), else it broke and comes back.
	 */
	window.addEventListener("load", function () {
		if (!own)
			return;
		own = false;
		if (doc.querySelector("meta[http-equiv=refresh]"))
			return;		/* a long stream reloads itself */
		if (endedByServer(doc) || !sid || body === null) {
			live = false;
			dead = true;
			mark("ended");
			return;
		}
		reconnect();
	});

	doc.addEventListener("visibilitychange", function () {
		if (doc.hidden) {
			hiddenAt = Date.now();
			count();
			return;
		}
		hiddenAt = 0;
		unread = 0;
		marked = false;
		showUnread();
		resume();
		follow();
	});
}());
