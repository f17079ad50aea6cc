#!/usr/bin/env python3
"""check_browser.py: chatd in real browsers.

Starts ./chatd on a free port and chromedriver, then drives headless
Chromium the way people use chatd: alice (scripts on) and bob (scripts off)
log in through the login form, talk, whisper and leave; carol, a plain HTTP
client, is the bystander who must not see the whisper.  A third browser
opens seven chatd tabs at once, past the six connections a browser keeps per
host and port.  A page on chatd's own origin (its login page, with a
script injected over WebDriver, so nothing ships in chatd for it) logs dora
and erin in over /api/login and opens an EventSource and a WebSocket:
both must see frank's line with the same event number as his chat frame,
and erin's WebSocket line must reach dora's EventSource.  Screenshots go to
tests/out/.

Usage: check_browser.py [-v] [--docs] [--six-off]
  -v         print chatd's whole log at the end
  --docs     also copy the chat screenshot to docs/screenshot.png
  --six-off  only show what seven tabs do with scripts off (no verdict)

CHATD names the binary (./chatd by default); CHROMIUM and CHROMEDRIVER
the browser and its driver.
The last line is "N passed, N failed"; the exit status is 1 on a failure.
Python 3 standard library only; everything started here is stopped here.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wd  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "out")
TOTAL_S = 240           # the whole run, whatever happens
LIVE_S = 2.0            # a line must reach the other browsers this fast
GRACE_S = 12            # chatd -g: a released tab must look in more often
TABS = 7                # one more than a browser's connections per host
STREAMS_MAX = 4         # chat.js: streams one browser keeps
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
                "--window-size=1366,768"]
ROOM = "lounge"         # alice, bob and carol meet here
WIRE = "wire"           # dora (EventSource), erin (WebSocket), frank (HTML)
CHATD = os.environ.get("CHATD") or os.path.join(ROOT, "chatd")
NO_SCRIPT = {"profile.managed_default_content_settings.javascript": 2}
ENTER = "\ue007"
PROFILES = None         # a temporary folder for the browsers' profiles


class Fail(Exception):
    pass


class OutOfTime(BaseException):
    pass


def wait_for(what, fn, timeout, interval=0.1):
    """Calls fn until it returns something true; Fail after timeout s."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except (wd.WebDriverError, OSError) as e:
            last = e
        if time.monotonic() >= end:
            raise Fail("%s: not within %.1f s%s" % (what, timeout,
                       " (%s)" % last if last else ""))
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find_program(env, names):
    if os.environ.get(env):
        return os.environ[env]
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


class Chatd:
    """./chatd on a free port; its log is kept for the report."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [CHATD, "-p", "0", "-b", "127.0.0.1"] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, start_new_session=True)
        line = self.proc.stderr.readline()
        m = re.match(r"chatd: listening on (http://127\.0\.0\.1:(\d+)/)$", line.strip())
        if not m:
            self.stop()
            raise Fail("chatd did not start: %r" % line)
        self.url, self.port = m.group(1), int(m.group(2))
        self.log = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line.rstrip("\n"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def connections(self):
        """Established TCP connections to chatd's port (Linux /proc)."""
        n = 0
        for f in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(f) as fh:
                    for row in fh.readlines()[1:]:
                        cols = row.split()
                        if cols[3] == "01" and int(cols[1].rsplit(":", 1)[1], 16) == self.port:
                            n += 1
            except OSError:
                pass
        return n


def http(chatd, method, path, form=None):
    """One request to chatd; the body of the answer, whatever its status."""
    body = urllib.parse.urlencode(form or {}).encode()
    req = urllib.request.Request(chatd.url.rstrip("/") + path, method=method,
                                 data=body if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.read().decode("utf-8", "replace")


class Carol:
    """A user on plain HTTP/1.0 sockets: logs in, reads her chat stream, talks."""

    def __init__(self, chatd, name, room="lobby"):
        self.chatd = chatd
        page = http(chatd, "POST", "/login", {"name": name, "room": room})
        m = re.search(r"/chat\?sid=([0-9a-f]{32})", page)
        if not m:
            raise Fail("%s could not log in over HTTP" % name)
        self.sid = m.group(1)
        self.data = bytearray()
        self.sock = socket.create_connection(("127.0.0.1", chatd.port), 5)
        self.sock.sendall(("GET /chat?sid=%s HTTP/1.0\r\n\r\n" % self.sid).encode())
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            self.sock.settimeout(None)
            while True:
                b = self.sock.recv(65536)
                if not b:
                    return
                self.data += b
        except OSError:
            return

    def stream(self):
        return self.data.decode("utf-8", "replace")

    def say(self, text):
        return http(self.chatd, "POST", "/dotalk", {"sid": self.sid, "message": text})

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Browser(wd.Session):
    """A headless Chromium with a fresh profile, and chatd's frames at hand."""

    def __init__(self, driver, name, binary=None, prefs=None):
        self.name = name
        self.profile = tempfile.mkdtemp(prefix=name + "-", dir=PROFILES)
        super().__init__(driver, CHROME_FLAGS + ["--user-data-dir=" + self.profile],
                         binary=binary, prefs=prefs, timeout=20)

    def close(self):
        self.quit()

    def into(self, frame):
        self.frame(None)
        if frame is not None:
            self.frame(frame)

    def login(self, url, name, color=None, room=None, timeout=8):
        """Fills in the login page's form and waits for the talk frame."""
        self.get(url)
        field = wait_for("the login page", lambda: self.css("#name"), timeout)
        self.send_keys(field, name)
        if color:
            self.send_keys(self.css("#color"), color)
        if room:
            r = self.css("#room")
            self.clear(r)
            self.send_keys(r, room)
        self.click(self.css("form.login button[type=submit]"))

        def ready():
            self.into("talk")
            return self.css("#message")
        wait_for("%s's talk frame" % name, ready, timeout)
        self.into(None)

    def lines(self):
        """The chat frame's lines: [class, id, text] each."""
        self.into("chat")
        return self.execute(
            "return Array.prototype.map.call(document.querySelectorAll('div.ev'),"
            " function (d) { return [d.className, d.id, d.textContent]; });")

    def has_line(self, text, cls=None):
        for c, _, t in self.lines():
            if text in t and (cls is None or cls in c.split()):
                return c
        return None

    def say(self, text, to=None):
        """Types into the talk frame and sends with Enter; waits for the new talk page."""
        self.into("talk")
        self.execute("window.chatdOldPage = true;")
        if to is not None:
            self.click(self.css('select[name=to] option[value="%s"]' % to))
        self.send_keys(self.css("#message"), text + ENTER)
        start = time.monotonic()

        def fresh():
            self.into("talk")
            return self.execute("return !window.chatdOldPage && "
                                "!!document.getElementById('message');")
        wait_for("a fresh talk page", fresh, 5)
        return start

    def names(self):
        self.into("names")
        return self.text(self.css("ul.names"))

    def top_title(self):
        self.into(None)
        return self.title()

    def shot(self, file):
        self.into(None)
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, file)
        with open(path, "wb") as f:
            f.write(self.screenshot())
        return path


class Run:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.cleanups = []

    def check(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            note = fn(*args)
        except OutOfTime:
            raise
        except Exception as e:  # a check fails, the run goes on
            self.failed += 1
            print("not ok - %s: %s" % (name, e), flush=True)
            return False
        self.passed += 1
        print("ok - %s (%.1f s)%s" % (name, time.monotonic() - t0,
                                     ": " + note if note else ""), flush=True)
        return True

    def fail(self, name, why):
        self.failed += 1
        print("not ok - %s: %s" % (name, why), flush=True)

    def at_end(self, fn):
        self.cleanups.append(fn)

    def clean(self):
        while self.cleanups:
            try:
                self.cleanups.pop()()
            except Exception as e:
                print("# cleanup: %s" % e, flush=True)


def start_driver(run, driver_bin):
    port = free_port()
    proc = subprocess.Popen([driver_bin, "--port=%d" % port],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        # The browsers it started are in its process group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
    run.at_end(stop)
    base = "http://127.0.0.1:%d" % port

    def up():
        with urllib.request.urlopen(base + "/status", timeout=2) as r:
            return b'"ready":true' in r.read().replace(b" ", b"")
    wait_for("chromedriver", up, 10)
    return base


def main_checks(run, chatd, driver, chromium):
    url = chatd.url
    alice = Browser(driver, "alice", chromium)
    run.at_end(alice.close)
    bob = Browser(driver, "bob", chromium, prefs=NO_SCRIPT)
    run.at_end(bob.close)

    def login_form():
        alice.get(url)
        form = wait_for("the login form", lambda: alice.css(
            'form[method=post][action="/login"][target=_top]'), 5)
        for f in ("name", "passwd", "color", "room"):
            alice.find("css selector", 'form input[name="%s"]' % f)
        alice.shot("login.png")
        return None if form else "no form"
    run.check("the login page has the login form", login_form)

    def login_both():
        # alice opens the room, so she is its operator and may set the topic.
        alice.login(url, "alice", color="navy", room=ROOM)
        bob.login(url, "bob", room=ROOM)
        alice.into(None)
        for b in (alice, bob):
            for f in ("chat", "names", "talk"):
                b.into(f)
        if alice.top_title() != ROOM + " - chatd":
            raise Fail("title %r" % alice.top_title())
    if not run.check("alice (scripts on) and bob (scripts off) log in through the form",
                     login_both):
        return
    carol = Carol(chatd, "carol", ROOM)
    run.at_end(carol.close)

    def line_reaches(sender, receivers, text, **kw):
        start = sender.say(text, **kw)
        for r in receivers:
            wait_for("%r in %s's chat frame" % (text, r.name),
                     lambda: r.has_line(text), LIVE_S)
        return "%.2f s" % (time.monotonic() - start)
    run.check("alice's line shows in bob's chat frame within 2 s",
              line_reaches, alice, [bob, alice], "Hello from alice")
    run.check("bob's line shows in alice's chat frame within 2 s",
              line_reaches, bob, [alice, bob], "Hi, bob here")

    def focus_kept():
        alice.say("focus check")
        alice.into("talk")
        state = alice.execute(
            "var f = document.getElementById('message');"
            "return [f.value, document.activeElement === f, document.hasFocus(),"
            " window.top.document.activeElement &&"
            " window.top.document.activeElement.name];")
        if state[0] != "" or not state[1] or state[3] != "talk":
            raise Fail("value %r, field focused %s, frame focused %r" %
                       (state[0], state[1], state[3]))
    run.check("the talk frame is cleared and keeps the focus after sending", focus_kept)

    def whisper():
        secret = "psst-%d" % os.getpid()
        start = alice.say(secret + " only for bob", to="bob")
        wait_for("the whisper at bob", lambda: bob.has_line(secret, "whisper"), LIVE_S)
        took = time.monotonic() - start
        wait_for("the whisper at alice", lambda: alice.has_line(secret, "whisper"), LIVE_S)
        time.sleep(0.3)
        if secret in carol.stream():
            raise Fail("carol saw the whisper")
        if "Hi, bob here" not in carol.stream():
            raise Fail("carol's stream is not live")
        alice.into("talk")
        if alice.execute("return document.querySelector('select[name=to]').value") != "bob":
            raise Fail("the whisper target was not kept")
        alice.click(alice.css('select[name=to] option[value=""]'))
        return "%.2f s, carol saw nothing" % took
    run.check("a whisper through the 'to' select reaches only bob", whisper)

    def kinds():
        bob.say("/me waves at alice")
        bob.say("alice: look at this")
        alice.say("/topic Browsers welcome, scripts optional")
        alice.say("/nosuch")
        c = wait_for("the action", lambda: alice.has_line("waves at alice", "action"), LIVE_S)
        m = wait_for("the mention", lambda: alice.has_line("look at this", "msg"), LIVE_S)
        if "mention" not in m.split():
            raise Fail("alice's name did not mark the line: %r" % m)
        wait_for("the topic line", lambda: bob.has_line("scripts optional", "topic"), LIVE_S)
        wait_for("the notice", lambda: alice.has_line("/nosuch", "notice"), LIVE_S)
        alice.into("chat")
        looks = alice.execute(
            "function bg(s) { var e = document.querySelector(s);"
            " return e ? getComputedStyle(e).backgroundColor : null; }"
            "function fg(s) { var e = document.querySelector(s);"
            " return e ? getComputedStyle(e).color : null; }"
            "return [bg('div.ev.mention'), bg('div.ev.whisper'), fg('div.ev.join'),"
            " fg('div.ev.msg'), fg('div.ev.action'), fg('div.ev.topic'),"
            " fg('div.ev.notice'), fg('div.ev .ts')];")
        clear = "rgba(0, 0, 0, 0)"
        if looks[0] in (None, clear) or looks[1] in (None, clear):
            raise Fail("mention/whisper lines are not marked: %r" % looks)
        if len(set(looks[2:])) != len(looks[2:]):
            raise Fail("join, message, action, topic, notice and time stamp "
                       "look alike: %r" % looks)
        return "action %s, mention %s" % (c, m)
    run.check("actions, mentions, whispers, topics, notices and joins each have their look", kinds)


    def names():
        def both(b):
            t = b.names()
            return all(n in t for n in ("alice", "bob", "carol"))
        # The names frame refreshes itself every 10 s.
        wait_for("alice, bob and carol in alice's names frame", lambda: both(alice), 12, 0.5)
        wait_for("alice, bob and carol in bob's names frame", lambda: both(bob), 12, 0.5)
    run.check("the names frames list everyone", names)

    # The screenshots for people: bob's whisper is in both.
    run.check("screenshots", lambda: "%s, %s" % (
        os.path.relpath(alice.shot("alice.png"), ROOT),
        os.path.relpath(bob.shot("bob-noscript.png"), ROOT)))

    def follows():
        alice.into("chat")
        carol.say("\n".join("row%02d" % i for i in range(40)))
        wait_for("the long message", lambda: alice.has_line("row39"), LIVE_S)

        def at_bottom():
            alice.into("chat")
            return alice.execute(
                "var e = document.scrollingElement;"
                "return e.scrollHeight > innerHeight + 100 &&"
                " e.scrollTop + innerHeight >= e.scrollHeight - 2;")
        wait_for("the chat frame at its newest line", at_bottom, 1)
        alice.into("chat")
        alice.execute("window.scrollTo(0, 0);")
        time.sleep(0.2)
        carol.say("while alice reads back")
        wait_for("a new line", lambda: alice.has_line("while alice reads back"), LIVE_S)
        time.sleep(0.2)
        alice.into("chat")
        top = alice.execute("return document.scrollingElement.scrollTop;")
        if top > 5:
            raise Fail("the frame jumped to %d while alice read back" % top)
        alice.execute("window.scrollTo(0, document.scrollingElement.scrollHeight);")
        time.sleep(0.2)
        carol.say("back at the bottom")
        wait_for("a new line", lambda: alice.has_line("back at the bottom"), LIVE_S)
        wait_for("the chat frame following again", at_bottom, 1)
    run.check("the chat frame follows new lines unless scrolled up", follows)

    def unread():
        alice.into(None)
        alice.minimize()
        alice.into("chat")
        wait_for("alice's window hidden", lambda: alice.execute("return document.hidden;"), 2)
        carol.say("one for the unread count")
        bob.say("alice, are you there?")
        t = wait_for("the unread count", lambda: re.match(r"\(2!\) %s - chatd$" % ROOM,
                                                           alice.top_title()), 3)
        title = t.group(0)
        alice.maximize()
        wait_for("the title back", lambda: alice.top_title() == ROOM + " - chatd", 2)
        return "%r while hidden" % title
    run.check("a hidden window's title counts unread lines", unread)

    def leave():
        alice.into("talk")
        alice.click(alice.css("a.leave"))
        wait_for("the goodbye page", lambda: alice.top_title() == "Goodbye - chatd", 5)
        alice.into(None)
        if "You left" not in alice.text(alice.css("main")):
            raise Fail("no goodbye")
        wait_for("alice's leave at bob", lambda: bob.has_line("alice", "leave"), LIVE_S)
        alice.shot("goodbye.png")
        bob.into("talk")
        bob.click(bob.css("a.leave"))
        wait_for("bob's goodbye page", lambda: bob.top_title() == "Goodbye - chatd", 5)
    run.check("leave shows the goodbye page and the room sees it", leave)


# Injected into chatd's login page: two sessions from /api/login, one
# reading an EventSource, one a WebSocket.  Everything they read goes into
# window.chatdT as plain data, which the test polls.
WIRE_JS = r"""
var room = arguments[0], names = arguments[1];
var T = window.chatdT = {sse: [], ws: [], errors: [], sseOpen: false,
                         wsOpen: false, wsClose: null, sids: null};
function login(name) {
  return fetch('/api/login', {method: 'POST', body: new URLSearchParams(
      {name: name, room: room})}).then(function (r) {
    return r.json().then(function (j) {
      if (!r.ok) throw new Error('/api/login ' + name + ': ' + r.status +
                                 ' ' + JSON.stringify(j));
      return j;
    });
  });
}
function keep(list, o, lastEventId) {
  list.push({id: o.id === undefined ? null : o.id, type: o.type,
             from: o.from || null, text: o.text || null,
             lastEventId: lastEventId === undefined ? null : lastEventId});
}
Promise.all([login(names[0]), login(names[1])]).then(function (s) {
  T.sids = [s[0].sid, s[1].sid];
  var es = window.chatdES = new EventSource('/api/events?sid=' + s[0].sid);
  es.onopen = function () { T.sseOpen = true; };
  es.onerror = function () { T.errors.push('EventSource error, readyState ' +
                                           es.readyState); };
  ['message', 'msg', 'action', 'whisper', 'join', 'leave', 'kick', 'topic',
   'nick', 'notice', 'room', 'missed', 'end'].forEach(function (k) {
    es.addEventListener(k, function (e) {
      keep(T.sse, JSON.parse(e.data), e.lastEventId);
    });
  });
  var ws = window.chatdWS = new WebSocket('ws://' + location.host +
                                          '/api/ws?sid=' + s[1].sid);
  ws.onopen = function () { T.wsOpen = true; };
  ws.onmessage = function (e) { keep(T.ws, JSON.parse(e.data)); };
  ws.onerror = function () { T.errors.push('WebSocket error'); };
  ws.onclose = function (e) { T.wsClose = [e.code, e.wasClean, e.reason]; };
}).catch(function (e) { T.errors.push(String(e)); });
"""


def transport_checks(run, chatd, driver, chromium):
    """EventSource and WebSocket in Chromium, beside frank's chat frame."""
    b = Browser(driver, "transports", chromium)
    run.at_end(b.close)
    frank = Carol(chatd, "frank", WIRE)
    run.at_end(frank.close)

    def state():
        return b.execute("return window.chatdT || null;")

    def opened():
        b.get(chatd.url)
        wait_for("chatd's login page", lambda: b.css("#name"), 8)
        b.execute(WIRE_JS, WIRE, ["dora", "erin"])

        def ready():
            t = state()
            if t and (t["errors"] or (t["sseOpen"] and t["wsOpen"])):
                return t
            return None
        t = wait_for("the EventSource and the WebSocket open", ready, 5)
        if t["errors"]:
            raise Fail("; ".join(t["errors"]))
        return "sessions %s.., %s.." % (t["sids"][0][:6], t["sids"][1][:6])
    if not run.check("a page on chatd's origin logs in over /api/login and "
                     "opens an EventSource and a WebSocket", opened):
        return

    def seen(where, text):
        for e in state()[where]:
            if e["text"] == text:
                return e
        return None

    def html_id(text):
        """The event number of text in frank's chat frame, or None."""
        m = re.search(r'id="e(\d+)"[^\n]*%s' % re.escape(text), frank.stream())
        return int(m.group(1)) if m else None

    def from_dotalk():
        line = "over the wire %d" % os.getpid()
        start = time.monotonic()
        frank.say(line)
        sse = wait_for("frank's line in the EventSource", lambda: seen("sse", line), LIVE_S)
        ws = wait_for("frank's line in the WebSocket", lambda: seen("ws", line), LIVE_S)
        took = time.monotonic() - start
        num = wait_for("frank's line in his chat frame", lambda: html_id(line), LIVE_S)
        if sse["type"] != "msg" or ws["type"] != "msg" or sse["from"] != "frank":
            raise Fail("EventSource %r, WebSocket %r" % (sse, ws))
        if not (sse["id"] == ws["id"] == num and sse["lastEventId"] == str(num)):
            raise Fail("event numbers: EventSource %s (lastEventId %r), "
                       "WebSocket %s, chat frame e%s" % (
                           sse["id"], sse["lastEventId"], ws["id"], num))
        return "event %d in all three, %.2f s" % (num, took)
    run.check("a line from /dotalk reaches the EventSource and the WebSocket "
              "with the same event number", from_dotalk)

    def ws_to_sse():
        line = "typed into a websocket %d" % os.getpid()
        start = time.monotonic()
        b.execute("window.chatdWS.send(arguments[0]);", line)
        sse = wait_for("erin's line in dora's EventSource", lambda: seen("sse", line), LIVE_S)
        took = time.monotonic() - start
        ws = wait_for("erin's line back in her WebSocket", lambda: seen("ws", line), LIVE_S)
        num = wait_for("erin's line in frank's chat frame", lambda: html_id(line), LIVE_S)
        if sse["from"] != "erin" or ws["from"] != "erin" or sse["type"] != "msg":
            raise Fail("EventSource %r, WebSocket %r" % (sse, ws))
        if not sse["id"] == ws["id"] == num:
            raise Fail("event numbers %s, %s, e%s" % (sse["id"], ws["id"], num))
        t = state()
        if t["errors"]:
            raise Fail("; ".join(t["errors"]))
        return "event %d, %.2f s" % (num, took)
    run.check("a line sent over the WebSocket reaches the EventSource and "
              "the chat frame", ws_to_sse)

    def closes():
        b.execute("window.chatdWS.close(1000, 'bye');")
        c = wait_for("the WebSocket's close", lambda: state()["wsClose"], 3)
        if c[0] != 1000 or not c[1]:
            raise Fail("closed with %r" % c)
        b.execute("window.chatdES.close();")
    run.check("the WebSocket closes cleanly (1000)", closes)
    b.close()
    frank.close()


def open_tabs(b, url, count, room, stop_when_stuck=False):
    """Logs in uN in tab N; returns [(handle, talk frame ready, seconds)]."""
    tabs = []
    for i in range(count):
        t0 = time.monotonic()
        try:
            handle = b.new_window("tab") if i else b.window_handle()
            b.switch_window(handle)
            b.login(url, "u%d" % (i + 1), room=room, timeout=6)
            ok = True
        except (Fail, wd.WebDriverError, OSError):
            ok = False
        tabs.append((handle, ok, time.monotonic() - t0))
        if not ok and stop_when_stuck:
            break
    return tabs


def tab_checks(run, chatd, driver, chromium):
    b = Browser(driver, "tabs", chromium)
    run.at_end(b.close)
    room = "tabs"
    started = time.monotonic()
    tabs = []

    def seven():
        before = chatd.connections()
        tabs.extend(open_tabs(b, chatd.url, TABS, room))
        stuck = [str(i + 1) for i, t in enumerate(tabs) if not t[1]]
        if stuck:
            raise Fail("talk frame of tab %s never loaded" % ", ".join(stuck))
        held = wait_for("at most %d streams held" % STREAMS_MAX,
                        lambda: chatd.connections() - before <= STREAMS_MAX and
                        chatd.connections() - before, 3)
        return "%d streams held for %d tabs, slowest tab %.1f s" % (
            held, TABS, max(t[2] for t in tabs))
    if not run.check("seven chatd tabs in one browser all load", seven):
        return

    def talk_last():
        start = b.say("hello from the seventh tab")
        wait_for("the line in tab 7", lambda: b.has_line("seventh tab"), LIVE_S)
        b.shot("tabs.png")
        return "%.2f s" % (time.monotonic() - start)
    run.check("the seventh tab talks and sees its line", talk_last)

    def first_tab():
        b.switch_window(tabs[0][0])
        wait_for("the line in tab 1", lambda: b.has_line("seventh tab"), 3)
        how = b.execute("return document.documentElement.getAttribute('data-stream');")
        if how != "pipe":
            raise Fail("tab 1 never let its stream go (%s)" % how)
        ids = [i for _, i, _ in b.lines() if i]
        nums = [int(i[1:]) for i in ids]
        if len(set(ids)) != len(ids) or nums != sorted(nums):
            raise Fail("lines repeated or out of order: %s" % ids)
        if not b.has_line("u7", "join"):
            raise Fail("tab 1 missed u7's join")
    run.check("tab 1 catches up with what it missed while hidden", first_tab)

    def present():
        # Three tabs have let their streams go; twice chatd's grace period
        # later they must still be in the room, having looked in each time.
        time.sleep(max(0, started + 2 * GRACE_S + 6 - time.monotonic()))
        looks = sum(1 for l in chatd.log if "GET /chat?sid=-&since=" in l)
        b.into(None)
        src = b.execute("return document.querySelector('frame[name=names]').src;")
        sid = re.search(r"sid=([0-9a-f]{32})", src).group(1)
        page = http(chatd, "GET", "/names?sid=" + sid)
        missing = [u for u in ("u%d" % (i + 1) for i in range(TABS))
                   if ">%s<" % u not in page]
        if missing:
            raise Fail("%s left the room" % ", ".join(missing))
        left = [l for l in chatd.log if " left " in l and re.search(r"\bu\d\b", l)]
        if left:
            raise Fail("chatd logged: %s" % left[0])
        if looks < 2 * (TABS - STREAMS_MAX):
            raise Fail("only %d look-ins" % looks)
        return "all %d there after %.0f s, %d look-ins" % (
            TABS, time.monotonic() - started, looks)
    run.check("hidden tabs stay in the room past the grace period", present)


def embed_checks(run, driver, chromium):
    """Another site (a second loopback port) embeds embed.js from chatd -O."""
    import functools
    import http.server
    site_dir = tempfile.mkdtemp(prefix="chatd-site-", dir=PROFILES)
    site_port = free_port()
    site = "http://127.0.0.1:%d" % site_port
    token = "embed-check-token"
    tokens = os.path.join(site_dir, "tokens")
    with open(tokens, "w") as f:
        f.write(token + "\n")
    os.chmod(tokens, 0o600)
    chatd = Chatd("-O", site, "-T", tokens, "-W")
    run.at_end(chatd.stop)
    with open(os.path.join(site_dir, "index.html"), "w") as f:
        f.write("<!DOCTYPE html><title>another site</title><h1>News</h1>\n"
                "<script src=\"%sembed.js\" data-room=\"news\"></script>\n"
                "<div id=\"watch\"><script src=\"%sembed.js\" data-room=\"news\""
                " data-watch></script></div>\n" % (chatd.url, chatd.url))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", site_port), functools.partial(Quiet, directory=site_dir))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    run.at_end(server.shutdown)
    b = Browser(driver, "embed", chromium)
    run.at_end(b.close)

    def lines():
        return b.execute("return Array.prototype.map.call(document."
                         "querySelectorAll('.chatd-ev'), function (d) {"
                         " return [d.className, d.textContent]; });")

    def publish(text):
        req = urllib.request.Request(
            chatd.url + "api/publish", method="POST",
            data=urllib.parse.urlencode({"room": "news", "from": "dana",
                                         "text": text}).encode(),
            headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=5) as r:
            if b'"id":' not in r.read():
                raise Fail("publish gave no id")

    def shows():
        publish("the room opens")   # a watcher needs the room to exist
        b.get(site + "/")
        field = wait_for("the embedded room", lambda: b.css(".chatd-bar input"), 8)
        b.send_keys(field, "dana" + ENTER)
        wait_for("dana's join", lambda: any("dana joined news" in t
                                            for _, t in lines()), 5)
        publish("<b>deploy</b> done")
        start = time.monotonic()
        got = wait_for("the published line", lambda: [
            c for c, t in lines() if "dana [backend]: <b>deploy</b> done" in t], LIVE_S)
        if "chatd-msg" not in got[0]:
            raise Fail("published line has class %s" % got[0])
        if b.execute("return document.querySelectorAll('.chatd-log b').length;"):
            raise Fail("user text became markup")
        watched = b.execute("return document.getElementById('watch')"
                            ".textContent;")
        if "dana [backend]: <b>deploy</b> done" not in watched:
            wait_for("the line in the read-only room", lambda: "deploy" in b.execute(
                "return document.getElementById('watch').textContent;"), LIVE_S)
        if b.execute("return document.querySelectorAll('#watch form').length;"):
            raise Fail("the read-only room has a form")
        b.send_keys(b.css(".chatd-bar input"), "hi from the page" + ENTER)
        wait_for("dana's own line", lambda: any(
            "dana: hi from the page" in t for _, t in lines()), LIVE_S)
        b.shot("embed.png")
        return "published line shown in %.2f s" % (time.monotonic() - start)
    run.check("a page on another site embeds a room and shows a published line",
              shows)
class CutProxy:
    """A TCP proxy on another loopback port in front of chatd: the browser
    reaches chatd through it, and cut() drops every connection at once, as
    a Wi-Fi change or a proxy timeout would."""

    def __init__(self, target_port):
        self.target = target_port
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.url = "http://127.0.0.1:%d/" % self.port
        self.lock = threading.Lock()
        self.pairs = []
        self.refused = 0    # connections chatd was not there for
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.target), 5)
            except OSError:
                self.refused += 1
                c.close()
                continue
            with self.lock:
                self.pairs.append((c, u))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def cut(self):
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
        return len(pairs)

    def close(self):
        self.lsock.close()
        self.cut()


def room_checks(run, chatd, driver, chromium):
    """Login answers 303 to /room?sid=, and a reload keeps the session."""
    b = Browser(driver, "reload", chromium)
    run.at_end(b.close)

    def lands():
        b.login(chatd.url, "rita", room="reload")
        b.into(None)
        if not re.search(r"/room\?sid=[0-9a-f]{32}$", b.url()):
            raise Fail("landed on %s" % b.url())
        return b.url().split("?")[0]
    if not run.check("login lands on /room?sid=", lands):
        return

    def reload():
        b.say("before the reload")
        wait_for("the line", lambda: b.has_line("before the reload"), LIVE_S)
        b.into(None)
        b.execute("window.chatdOld = true; location.reload();")
        wait_for("the reloaded page", lambda: (b.into(None), b.execute(
            "return !window.chatdOld && !!document.querySelector('frame[name=talk]');"))[1], 5)
        wait_for("the talk frame", lambda: (b.into("talk"), b.css("#message"))[1], 5)
        wait_for("the old line", lambda: b.has_line("before the reload"), 3)
        b.say("after the reload")
        wait_for("a new line", lambda: b.has_line("after the reload"), LIVE_S)
        if b.top_title() != "reload - chatd":
            raise Fail("title %r" % b.top_title())
    run.check("a reload of /room keeps the session", reload)


def reconnect_checks(run, chatd, driver, chromium):
    """Through a proxy that cuts every connection: the chat frame comes back
    by itself, misses nothing and repeats nothing; joins show in the names
    frame at once; after a server restart the page says the session is gone."""
    proxy = CutProxy(chatd.port)
    run.at_end(proxy.close)
    dave = Browser(driver, "dave", chromium)
    run.at_end(dave.close)
    room = "wires"

    def login():
        dave.login(proxy.url, "dave", room=room)
        wait_for("dave's join", lambda: dave.has_line("dave", "join"), LIVE_S)
    if not run.check("dave logs in through a TCP proxy", login):
        return
    erin = Carol(chatd, "erin", room)
    run.at_end(erin.close)

    def names():
        wait_for("erin in the names frame", lambda: "erin" in dave.names(), 3)
        t0 = time.monotonic()
        frank = Carol(chatd, "frank", room)
        run.at_end(frank.close)
        wait_for("frank in dave's names frame", lambda: "frank" in dave.names(), 3)
        took = time.monotonic() - t0
        frank.say("/nick franky")
        wait_for("franky in dave's names frame", lambda: "franky" in dave.names(), 3)
        return "%.2f s" % took
    run.check("a join and a nick change show in the names frame within 3 s", names)

    def cut():
        erin.say("before the cut")
        wait_for("the line before", lambda: dave.has_line("before the cut"), LIVE_S)
        n = proxy.cut()
        t0 = time.monotonic()
        erin.say("during the cut")
        time.sleep(0.5)
        erin.say("after the cut")
        wait_for("the line after the cut", lambda: dave.has_line("after the cut"), 15, 0.25)
        took = time.monotonic() - t0
        lines = dave.lines()
        ids = [i for _, i, _ in lines if i]
        if len(set(ids)) != len(ids):
            raise Fail("a line shown twice: %s" % ids)
        for t in ("before the cut", "during the cut", "after the cut"):
            k = sum(1 for _, _, x in lines if t in x)
            if k != 1:
                raise Fail("%r shown %d times" % (t, k))
        for cls in ("reconnecting", "back"):
            k = sum(1 for c, _, _ in lines if cls in c.split())
            if k != 1:
                raise Fail("%d %r lines" % (k, cls))
        dave.say("dave talks again")
        wait_for("dave's line at erin", lambda: "dave talks again" in erin.stream(), LIVE_S)
        return "%d connections cut, back after %.1f s" % (n, took)
    if not run.check("after the proxy cuts every connection the chat frame "
                     "comes back within 15 s, nothing twice", cut):
        return

    def outage():
        # chatd out of reach for 5 s: the frame tries after 1 and 3 s and
        # says so once, then at 7 s finds chatd again (within -g 12).
        proxy.target = free_port()
        proxy.refused = 0
        proxy.cut()
        time.sleep(5)
        tries = proxy.refused
        proxy.target = chatd.port
        erin.say("after the outage")
        wait_for("the line after the outage", lambda: dave.has_line("after the outage"), 6, 0.25)
        lines = dave.lines()
        k = [sum(1 for c, _, _ in lines if cls in c.split()) for cls in ("reconnecting", "back")]
        if k != [2, 2]:
            raise Fail("%d reconnecting and %d back lines for two outages" % tuple(k))
        if not 2 <= tries <= 5:
            raise Fail("%d tries in 5 s" % tries)
        return "%d tries in 5 s" % tries
    run.check("a longer outage: the chat frame backs off and says so once", outage)

    def restart():
        # A new chatd behind the same proxy knows no session.
        other = Chatd("-g", str(GRACE_S))
        run.at_end(other.stop)
        proxy.target = other.port
        proxy.cut()
        wait_for("the session-gone line", lambda: dave.has_line(
            "server may have restarted", "gone"), 15, 0.25)
        dave.into("chat")
        href = dave.execute("var a = document.querySelector('div.gone a');"
                            " return a && a.getAttribute('href');")
        if href != "/":
            raise Fail("no log-in link (%r)" % href)
    run.check("after a server restart the chat frame says the session is gone", restart)


def timezone_checks(run, chatd, driver_bin, chromium):
    """A browser in Asia/Tokyo shows times in Tokyo time, whatever chatd's zone."""
    zone = "Asia/Tokyo"
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone    # for chromedriver and the browser it starts
    try:
        driver = start_driver(run, driver_bin)
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
    b = Browser(driver, "tokyo", chromium)
    run.at_end(b.close)

    def shown():
        import datetime
        import zoneinfo
        b.login(chatd.url, "kenji", room="tz")
        b.say("konnichiwa")
        wait_for("the line", lambda: b.has_line("konnichiwa"), LIVE_S)
        b.into("chat")
        got = b.execute(
            "var t = document.querySelectorAll('div.ev time[datetime]');"
            "t = t[t.length - 1];"
            "return [t.getAttribute('datetime'), t.textContent,"
            " Intl.DateTimeFormat().resolvedOptions().timeZone];")
        when = datetime.datetime.strptime(got[0], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        want = when.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%H:%M")
        server = time.strftime("%H:%M", time.localtime(when.timestamp()))
        if got[2] != zone:
            raise Fail("the browser is in %r" % got[2])
        if got[1] != want:
            raise Fail("%s shown as %s, not %s" % (got[0], got[1], want))
        return "%s shown as %s (chatd's zone: %s)" % (got[0], got[1], server)
    run.check("with the browser in Asia/Tokyo the shown time is the browser's", shown)


def phone_checks(run, chatd, driver, chromium, docs):
    """At 390 px the names frame takes at most a quarter of the width."""
    p = Browser(driver, "phone", chromium)
    run.at_end(p.close)
    sam = Carol(chatd, "sam", "phone")
    run.at_end(sam.close)

    def narrow():
        p.set_window_rect(390, 844)
        p.login(chatd.url, "pat", color="teal", room="phone")
        sam.say("Hi pat, how is the small screen?")
        p.say("Readable, and the names fit.")
        sam.say("/me waves")
        wait_for("sam's wave", lambda: p.has_line("waves", "action"), LIVE_S)
        p.into(None)
        top = p.execute("return window.innerWidth;")
        p.into("names")
        names = p.execute("return window.innerWidth;")
        p.into("chat")
        size = p.execute("return parseFloat(getComputedStyle(document.body).fontSize);")
        p.into("talk")
        field = p.execute("var r = document.getElementById('message')"
                          ".getBoundingClientRect(); return [r.width, r.height];")
        if top > 400:
            raise Fail("the window is %d px wide" % top)
        if names > top / 4:
            raise Fail("names frame %d px of %d" % (names, top))
        if size < 12:
            raise Fail("chat text %.0f px" % size)
        if field[0] < 100 or field[1] < 18:
            raise Fail("talk box %dx%d px" % tuple(field))
        shot = p.shot("phone.png")
        if docs:
            shutil.copy(shot, os.path.join(ROOT, "docs", "phone.png"))
        return "names %d of %d px, text %.0f px, talk box %dx%d" % (
            names, top, size, field[0], field[1])
    run.check("at 390 px the names frame is at most a quarter of the width", narrow)


def touch_checks(run, chatd, driver, chromium):
    """Shift+Enter, a click on a name, a mention while the window is visible
    but unfocused, and the no-script Reconnect link."""
    b = Browser(driver, "tess", chromium)
    run.at_end(b.close)
    uma = Carol(chatd, "uma", "touch")
    run.at_end(uma.close)

    def shift_enter():
        b.login(chatd.url, "tess", room="touch")
        b.say("line one\ue008\ue007\ue000line two")
        wait_for("the two-line message", lambda: b.has_line("line oneline two"), LIVE_S)
        b.into("chat")
        html = b.execute("var d = document.querySelectorAll('div.ev.msg');"
                         " return d[d.length - 1].innerHTML;")
        if "line one<br>line two" not in html:
            raise Fail("sent as %r" % html)
    if not run.check("Shift+Enter starts a new line, Enter sends", shift_enter):
        return

    def click_name():
        wait_for("uma in the names frame", lambda: "uma" in b.names(), 3)

        def click():    # the list may be replaced under the click: try again
            b.into("names")
            for el in b.find_all("css selector", "ul.names .nick"):
                if b.text(el) == "uma":
                    b.click(el)
                    return True
            return False
        wait_for("a click on uma", click, 3)
        b.into("talk")
        v = b.execute("return document.getElementById('message').value;")
        if v != "uma: ":
            raise Fail("talk box holds %r" % v)
        b.execute("document.getElementById('message').value = '';")
    run.check("a click on a name puts it into the talk box", click_name)

    def unfocused():
        # Headless Chromium keeps its one window focused, so the page is
        # told it has lost the focus, as it would be behind another window.
        b.into(None)
        b.execute("document.hasFocus = function () { return false; };")
        b.into("chat")
        if b.execute("return document.hidden;"):
            raise Fail("the window is hidden")
        # chat.js counts lines in the frame's first 1.5 s as history.
        time.sleep(max(0, 2.0 - b.execute("return performance.now();") / 1000))
        uma.say("tess, look here")
        t = wait_for("the title alert", lambda: re.match(
            r"\(1!\) touch - chatd$", b.top_title()), 3)
        b.into(None)
        b.execute("delete document.hasFocus; window.dispatchEvent(new Event('focus'));")
        wait_for("the title back", lambda: b.top_title() == "touch - chatd", 2)
        return "%r while visible and unfocused" % t.group(0)
    run.check("a mention while the window is unfocused shows in the title", unfocused)

    def noscript_link():
        proxy = CutProxy(chatd.port)
        run.at_end(proxy.close)
        n = Browser(driver, "vic", chromium, prefs=NO_SCRIPT)
        run.at_end(n.close)
        n.login(proxy.url, "vic", room="touch")
        wait_for("vic's join", lambda: n.has_line("vic", "join"), LIVE_S)
        proxy.cut()
        n.into("chat")
        a = wait_for("the Reconnect link", lambda: n.css("p.redo a"), 3)
        n.click(a)
        n.into("talk")
        n.say("vic is back")
        wait_for("vic's line after following the link", lambda: n.has_line("vic is back"), LIVE_S)
    run.check("without scripts the chat frame offers a Reconnect link that works", noscript_link)


def six_off(chatd, driver, chromium):
    """What many tabs do with scripts off: the issue as users meet it."""
    b = Browser(driver, "tabs-noscript", chromium, prefs=NO_SCRIPT)
    b.timeout = 8
    try:
        tabs = open_tabs(b, chatd.url, TABS, "noscript", stop_when_stuck=True)
        for i, (_, ok, secs) in enumerate(tabs):
            print("# scripts off, tab %d: %s after %.1f s" % (
                i + 1, "talk frame ready" if ok else "STUCK", secs), flush=True)
        print("# %d connections to chatd; people in the room: %s" % (
            chatd.connections(), ", ".join(re.findall(
                r"u\d+ joined", "\n".join(chatd.log)))), flush=True)
        try:
            b.shot("tabs-noscript.png")
        except (wd.WebDriverError, OSError) as e:
            print("# no screenshot: %s" % e, flush=True)
    finally:
        b.close()


def main():
    docs = "--docs" in sys.argv[1:]
    only_six_off = "--six-off" in sys.argv[1:]
    verbose = "-v" in sys.argv[1:]
    run = Run()
    t0 = time.monotonic()
    global PROFILES
    PROFILES = tempfile.mkdtemp(prefix="chatd-browsers-")
    # Registered first, so removed last: after chromedriver and its browsers.
    run.at_end(lambda: shutil.rmtree(PROFILES, ignore_errors=True))

    def out_of_time(*_):
        raise OutOfTime()
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TOTAL_S)
    try:
        chromium = find_program("CHROMIUM", ["chromium", "chromium-browser", "google-chrome"])
        driver_bin = find_program("CHROMEDRIVER", ["chromedriver"])
        if not chromium or not driver_bin:
            run.fail("find Chromium and chromedriver",
                     "not installed (apt-get install chromium chromium-driver)")
            return finish(run, t0)
        if not os.access(CHATD, os.X_OK):
            run.fail("find ./chatd", "build it first (make)")
            return finish(run, t0)
        chatd = Chatd("-g", str(GRACE_S))
        run.at_end(chatd.stop)
        driver = start_driver(run, driver_bin)
        if only_six_off:
            six_off(chatd, driver, chromium)
            run.clean()
            return 0
        main_checks(run, chatd, driver, chromium)
        transport_checks(run, chatd, driver, chromium)
        tab_checks(run, chatd, driver, chromium)
        embed_checks(run, driver, chromium)
        room_checks(run, chatd, driver, chromium)
        reconnect_checks(run, chatd, driver, chromium)
        timezone_checks(run, chatd, driver_bin, chromium)
        phone_checks(run, chatd, driver, chromium, docs)
        touch_checks(run, chatd, driver, chromium)
        if docs and os.path.exists(os.path.join(OUT, "alice.png")):
            os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
            shutil.copy(os.path.join(OUT, "alice.png"),
                        os.path.join(ROOT, "docs", "screenshot.png"))
        if run.failed or verbose:
            print("# chatd log%s:" % ("" if verbose else ", last lines"), flush=True)
            for line in chatd.log[0 if verbose else -15:]:
                print("#   " + line, flush=True)
    except OutOfTime:
        run.fail("the whole run", "out of time after %d s" % TOTAL_S)
    except Exception as e:  # whatever it is, it is a failure and we clean up
        run.fail("the run", "%s: %s" % (type(e).__name__, e))
    finally:
        signal.alarm(0)
        run.clean()
    return finish(run, t0)


def finish(run, t0):
    print("# %.0f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (run.passed, run.failed), flush=True)
    return 1 if run.failed or not run.passed else 0


if __name__ == "__main__":
    sys.exit(main())
