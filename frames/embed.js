/*
 * embed.js: a chatd room in another site's page (chatd runs with -O that
 * site).  <script src="http://chatd.example/embed.js" data-room="lobby">
 * puts the room after the script tag; chatdEmbed(element, {room: "x"})
 * puts it into an element.  The reader picks a name, logs in through
 * /api/login, reads the room live over Server-Sent Events and posts
 * through /api/say; with data-watch (chatd -W) the room is only read,
 * without a session.  Plain DOM; text goes in with textContent only.
 */
(function () {
	"use strict";

	var me = document.currentScript;
	var base = me ? new URL(me.src).origin : "";
	var KINDS = ["msg", "action", "whisper", "join", "leave", "kick",
	    "topic", "nick", "notice", "room", "missed", "end"];

	function el(tag, cls, text) {
		var e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function form(fields) {
		var p = new URLSearchParams(), k;

		for (k in fields)
			if (fields[k] !== undefined)
				p.append(k, fields[k]);
		return p;
	}

	function post(path, fields) {
		return fetch(base + path, { method: "POST", body: form(fields) })
		    .then(function (r) {
			return r.json().then(function (j) {
				if (!r.ok)
					throw new Error(j.error || r.statusText);
				return j;
			});
		});
	}

	/* Who said it: a backend's name carries a mark no user can fake. */
	function who(ev) {
		var n = el("span", "chatd-nick" + (ev.backend ? " chatd-backend" :
		    ""), ev.from || "");

		if (ev.color && !ev.backend)
			n.style.color = ev.color;
		if (ev.backend)
			n.textContent += " [backend]";
		return n;
	}

	function line(ev) {
		var d = el("div", "chatd-ev chatd-" + ev.type), t = ev.time ?
		    ev.time.substr(11, 5) + " " : "";

		d.appendChild(el("span", "chatd-ts", t));
		switch (ev.type) {
		case "msg":
			d.appendChild(who(ev));
			d.appendChild(document.createTextNode(": " + ev.text));
			break;
		case "action":
			d.appendChild(document.createTextNode("* "));
			d.appendChild(who(ev));
			d.appendChild(document.createTextNode(" " + ev.text));
			break;
		case "whisper":
			d.appendChild(who(ev));
			d.appendChild(document.createTextNode(" -> " + ev.to +
			    " (whisper): " + ev.text));
			break;
		case "join":
		case "leave":
			d.appendChild(document.createTextNode(ev.type === "join" ?
			    "-> " : "<- "));
			d.appendChild(who(ev));
			d.appendChild(document.createTextNode(ev.type === "join" ?
			    " joined " + ev.room : " left " + ev.room));
			break;
		default:
			if (ev.from) {
				d.appendChild(who(ev));
				d.appendChild(document.createTextNode(": "));
			}
			d.appendChild(document.createTextNode(ev.text || ev.type));
		}
		return d;
	}

	function mount(root, opt) {
		var room = (opt && opt.room) || "lobby";
		var log = el("div", "chatd-log"), bar = el("form", "chatd-bar");
		var input = el("input"), button = el("button", "", "Enter");
		var status = el("div", "chatd-status"), sid = null, es = null;

		root.classList.add("chatd");
		log.setAttribute("aria-live", "polite");
		input.placeholder = "Your name";
		input.maxLength = 300;
		bar.appendChild(input);
		bar.appendChild(button);
		root.appendChild(log);
		root.appendChild(status);
		if (opt && opt.watch) {
			listen();
			return root;
		}
		root.insertBefore(bar, status);

		function show(ev) {
			var atEnd = log.scrollTop + log.clientHeight >=
			    log.scrollHeight - 4;

			log.appendChild(line(ev));
			if (atEnd)
				log.scrollTop = log.scrollHeight;
		}

		function listen() {
			es = new EventSource(base + "/api/events?" + (sid === null ?
			    "room=" + encodeURIComponent(room) : "sid=" +
			    encodeURIComponent(sid)));
			es.onerror = function () {
				if (es.readyState === EventSource.CLOSED)
					status.textContent = "The room cannot be read.";
			};
			KINDS.forEach(function (k) {
				es.addEventListener(k, function (m) {
					var ev = JSON.parse(m.data);

					show(ev);
					if (ev.type === "end") {
						es.close();
						sid = null;
						input.placeholder = "Your name";
						button.textContent = "Enter";
					}
				});
			});
		}

		bar.addEventListener("submit", function (e) {
			var v = input.value;

			e.preventDefault();
			if (v === "")
				return;
			status.textContent = "";
			if (sid === null) {
				post("/api/login", { name: v, room: room })
				    .then(function (j) {
					sid = j.sid;
					input.value = "";
					input.placeholder = "Say something";
					button.textContent = "Say";
					listen();
				}).catch(function (err) {
					status.textContent = err.message;
				});
				return;
			}
			/* The sid in the query: a proxy routes by it (-N). */
			post("/api/say?sid=" + encodeURIComponent(sid),
			    { message: v }).then(function () {
				input.value = "";
			}).catch(function (err) {
				status.textContent = err.message;
			});
		});
		return root;
	}

	window.chatdEmbed = mount;
	if (me && me.dataset.room !== undefined) {
		var box = document.createElement("div");

		me.parentNode.insertBefore(box, me.nextSibling);
		mount(box, { room: me.dataset.room,
		    watch: me.dataset.watch !== undefined });
	}
})();
