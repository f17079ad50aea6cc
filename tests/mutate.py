#!/usr/bin/env python3
"""mutate.py: a mutation fuzzer of the live chatd, over real sockets.

Starts CHATD (./chatd by default; build it with ASan and UBSan to have them
watch) on 127.0.0.1 -p 0 with an accounts file and a transcript in a
scratch folder, logs in a few users, then sends mutated requests: valid
requests to every route with random parameters, then bit flips,
truncations, duplicated headers, huge and negative Content-Length, bad
%-escapes, overlong lines, random methods and paths, pipelining, and slow
writes interleaved with the rest, several connections at a time, each
from one of a few loopback addresses.

Every answer must be a well-formed HTTP/1.0 status line; a finished one
must have as many body bytes as its Content-Length says, and none if the
request was HEAD.  After each batch, with nothing else in flight, chatd
must be alive and a user kept out of the fuzz must still post with
/dotalk and read the line back in a chat stream.  At the end chatd must
exit 0 on SIGTERM and its stderr must hold no sanitizer report.

Usage: mutate.py [-n COUNT] [-s SEED] [-t SECONDS] [-b BATCH] [-j CONNS]
                 [-l LINES] [-v] [CHATD]
  -n  requests to send (default 5000)       -s  random seed (default: time)
  -t  stop after this long (default 1800)    -b  requests per batch (500)
  -j  connections in flight (default 32)     -l  chatd -l (default: chatd's)
  -v  print every finding and chatd's log tail

The last line is "mutate: PASS ..." or "mutate: FAIL ..."; exit status 0 or
1.  A failing batch's requests are written to tests/out/mutate-fail.txt,
one Python bytes literal a line, with the seed to replay the whole run;
chatd's scratch folder (log, accounts, transcript) is kept then.
Python 3 standard library only; everything started here is stopped here.
"""
import argparse
import errno
import os
import random
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "out")
SANITIZER = ("Sanitizer", "runtime error")
READY = re.compile(rb"chatd: listening on http://127\.0\.0\.1:(\d+)/")
STATUS_LINE = re.compile(rb"HTTP/1\.0 (\d{3}) [^\r\n]*\r\n")
SID = re.compile(rb"sid=([0-9a-f]{32})")
RELOAD = re.compile(rb'url=(/chat\?sid=[0-9a-f]{32}&amp;since=\d+)"')
SOURCES = ["127.0.0.%d" % i for i in range(2, 10)]   # the fuzz's addresses
HEALTH_SRC = "127.0.0.1"                             # the watcher's
STREAM_READ_S = 0.4     # how long a /chat answer is read before hanging up
ANSWER_S = 3.0          # a finished request must be answered by then
SILENT_S = 0.5          # an unfinished one may get no answer: give up then

ROUTES = ["/", "/login", "/register", "/chat", "/talk", "/dotalk",
          "/names", "/leave", "/style.css", "/chat.js", "/talk.js", "/room",
          "/lite", "/api/", "/api/events", "/api/say", "/favicon.ico",
          "/nowhere", "/login/", "//login", "/%2e%2e/etc/passwd",
          "/chat%00", "/LOGIN"]
REAL_ROUTES = ["/", "/login", "/register", "/chat", "/talk", "/dotalk",
               "/dotalk", "/dotalk", "/names", "/leave"]
PARAMS = {
    "/": ["room", "name"],
    "/login": ["name", "passwd", "color", "room"],
    "/register": ["name", "passwd", "old", "new"],
    "/chat": ["sid", "since"],
    "/talk": ["sid", "to"],
    "/dotalk": ["sid", "message", "to"],
    "/names": ["sid"],
    "/leave": ["sid"],
    "/room": ["sid"],
    "/lite": ["sid", "message"],
    "/api/events": ["sid", "since"],
    "/api/say": ["sid", "message"],
}
ALL_KEYS = ["sid", "name", "passwd", "color", "room", "message", "to",
            "since", "old", "new", "x", ""]
COLORS = ["black", "silver", "gray", "white", "maroon", "red", "purple",
          "fuchsia", "green", "lime", "olive", "yellow", "navy", "blue",
          "teal", "aqua", "RED", "#123456", "#fff", "rgb(1,2,3)", "",
          "red;x:y", "\"><script>"]
COMMANDS = ["/me waves", "/msg ", "/join ", "/nick ", "/away", "/away lunch",
            "/back", "/topic ", "/kick ", "/ban ", "/whois ", "/ignore ",
            "/unignore ", "/quit bye", "/leave", "/help", "/color ",
            "/list", "/who", "/names", "/op ", "/deop ", "/", "//", "/ban ",
            "/register", "/passwd "]
WORDS = ["hello", "<b>bold</b>", "&amp;", "é", "日本語", "\u202e", "\u200f",
         "\x00", "\x01", "\r\n", "\n", "\t", "\x1b[31m", "\u0085", "\x7f",
         "'", "\"", "%", "+", "😀", "\ufeff", "\ud7ff", " ", "a" * 50]
INTERESTING = [0, 0x0a, 0x0d, 0x20, 0x25, 0x2b, 0x3d, 0x26, 0x3f, 0x3a,
               0x7f, 0x80, 0xc0, 0xff, 0x09, 0x2f]


class Fail(Exception):
    pass


# ---------------------------------------------------------------- chatd

class Chatd:
    def __init__(self, binary, lines):
        self.dir = tempfile.mkdtemp(prefix="chatd-mutate-")
        self.errpath = os.path.join(self.dir, "stderr")
        self.err = open(self.errpath, "wb")
        argv = [binary, "-b", "127.0.0.1", "-p", "0", "-g", "3600",
                "-i", "100000", "-A", os.path.join(self.dir, "accounts"),
                "-L", os.path.join(self.dir, "transcript"), "-H", "20"]
        if lines:
            argv += ["-l", str(lines)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        self.seen = 0           # stderr bytes scanned for reports
        end = time.monotonic() + 30
        while True:
            m = READY.search(self.log())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None or time.monotonic() > end:
                raise Fail("chatd did not start:\n" + self.tail())
            time.sleep(0.05)

    def log(self):
        with open(self.errpath, "rb") as f:
            return f.read()

    def tail(self, n=30):
        lines = self.log().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])

    def alive(self):
        return self.proc.poll() is None

    def new_reports(self):
        """Sanitizer lines written since the last call."""
        with open(self.errpath, "rb") as f:
            f.seek(max(0, self.seen - 64))
            data = f.read()
        self.seen += max(0, len(data) - min(64, self.seen))
        text = data.decode("utf-8", "replace")
        return [ln for ln in text.splitlines()
                if any(s in ln for s in SANITIZER)]

    def stop(self):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        self.err.close()
        return self.proc.returncode


# ------------------------------------------------------- plain requests

def exchange(port, data, src=HEALTH_SRC, timeout=5.0):
    """Sends data on a fresh connection and reads to EOF: the raw answer."""
    s = socket.socket()
    s.settimeout(timeout)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(data)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        s.close()


def post(port, path, form, src=HEALTH_SRC):
    body = form.encode()
    return exchange(port, b"POST %s HTTP/1.0\r\nContent-Type: application/"
                    b"x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                    % (path.encode(), len(body), body), src)


def status_of(answer):
    m = STATUS_LINE.match(answer)
    return int(m.group(1)) if m else 0


def login(port, name, room, src, passwd=""):
    a = post(port, "/login", "name=%s&room=%s&passwd=%s" % (name, room,
             passwd), src)
    m = SID.search(a)
    return m.group(1).decode() if m and status_of(a) in (200, 303) else None


def session_alive(port, sid, src):
    a = exchange(port, b"GET /talk?sid=%s HTTP/1.0\r\n\r\n" % sid.encode(),
                 src)
    return status_of(a) == 200


def read_stream(port, target, text):
    """Reads a chat stream until text shows or it ends: what came."""
    s = socket.socket()
    s.settimeout(1.0)
    got = b""
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET %s HTTP/1.0\r\n\r\n" % target)
        end = time.monotonic() + 5
        while text not in got and time.monotonic() < end:
            try:
                b = s.recv(65536)
            except socket.timeout:
                continue
            if not b:
                break
            got += b
    finally:
        s.close()
    return got


def health(chatd, sid, k):
    """A /dotalk and a chat stream that shows it; Fail if not."""
    if not chatd.alive():
        raise Fail("chatd died (status %s)" % chatd.proc.returncode)
    text = "health-check-%d" % k
    a = post(chatd.port, "/dotalk", "sid=%s&message=%s" % (sid, text))
    if status_of(a) != 200:
        raise Fail("/dotalk answered %r" % a[:120])
    target = b"/chat?sid=%s" % sid.encode()
    for _ in range(10):     # a small -l reloads the stream: follow it
        got = read_stream(chatd.port, target, text.encode())
        if status_of(got) != 200:
            raise Fail("the chat stream answered %r" % got[:120])
        if text.encode() in got:
            return
        m = RELOAD.search(got)
        if m is None:
            break
        target = m.group(1).replace(b"&amp;", b"&")
    raise Fail("the chat stream did not show %s: %r" % (text, got[-200:]))


# --------------------------------------------------------- generation

def rnd_text(r, n=None):
    n = r.randint(0, 6) if n is None else n
    return "".join(r.choice(WORDS + ["x", "y", "z", " "]) for _ in range(n))


def rnd_name(r, names):
    c = r.random()
    if c < 0.4 and names:
        return r.choice(names)
    if c < 0.6:
        return "u%d" % r.randint(0, 200)
    if c < 0.7:
        return r.choice(["é" * r.randint(1, 30), "日本", "a b", "", "a" * 25,
                         "a" * 24, "-x", "_", "Ünïcode", "a\u0301", "ǅ"])
    return rnd_text(r, r.randint(0, 3))


def rnd_value(r, key, ctx):
    if key == "sid":
        c = r.random()
        if c < 0.75 and ctx["sids"]:
            return r.choice(ctx["sids"])
        return r.choice(["", "0" * 32, "%032x" % r.getrandbits(128),
                         "%031x" % r.getrandbits(124), "A" * 32, "g" * 32,
                         (ctx["sids"] or ["x"])[0].upper(),
                         ((ctx["sids"] or ["x"])[0] + "0")])
    if key in ("name", "to"):
        return rnd_name(r, ctx["names"])
    if key in ("passwd", "old", "new"):
        return r.choice(["", "pw", "secret", "x" * 300, rnd_text(r)])
    if key == "color":
        return r.choice(COLORS)
    if key == "room":
        return r.choice(["lobby", "fuzz", "Fuzz", "random", "x" * 24,
                         "x" * 25, "a b", "", "é", "r%d" % r.randint(0, 30)])
    if key == "since":
        return r.choice(["0", "1", str(r.randint(0, 10 ** 6)),
                         str(r.getrandbits(64)), "9" * 19, "9" * 20,
                         "-1", "abc", "", "1e3", " 1", "0x10",
                         str(int(time.time() * 1000))])
    if key == "message":
        c = r.random()
        if c < 0.45:
            cmd = r.choice(COMMANDS)
            if cmd.endswith(" "):
                cmd += r.choice([rnd_name(r, ctx["names"]), "fuzz",
                                 "lobby", "r%d" % r.randint(0, 9), "red",
                                 rnd_text(r)])
                if r.random() < 0.3:
                    cmd += " " + r.choice(["5", "-1", "99999999999",
                                           rnd_text(r)])
            return cmd
        if c < 0.9:
            return rnd_text(r)
        return "m" * r.choice([299, 300, 301, 1000, 4000, 8200])
    return rnd_text(r)


def encode(r, v):
    c = r.random()
    if c < 0.9:
        return urllib.parse.quote_plus(v.encode("utf-8", "surrogatepass"),
                                       safe="")
    if c < 0.96:
        return urllib.parse.quote(v.encode("utf-8", "surrogatepass"),
                                  safe="/")
    return v.encode("utf-8", "surrogatepass").decode("latin-1")


def rnd_form(r, path, ctx):
    keys = list(PARAMS.get(path, []))
    if r.random() < 0.3:
        keys.append(r.choice(ALL_KEYS))
    if r.random() < 0.1:
        keys += keys            # a key given twice
    r.shuffle(keys)
    pairs = []
    for k in keys:
        if r.random() < 0.12:
            continue
        v = rnd_value(r, k, ctx)
        pairs.append(encode(r, k) + ("" if r.random() < 0.03 else "=") +
                     encode(r, v))
    return "&".join(pairs)


def rnd_method(r):
    c = r.random()
    if c < 0.42:
        return "GET"
    if c < 0.8:
        return "POST"
    if c < 0.92:
        return "HEAD"
    return r.choice(["PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT",
                     "PATCH", "get", "Get", "HEADX", "POSTS", "PRI", "X",
                     "G\x00T", "GET\t", "M" * r.randint(1, 40)])


def rnd_request(r, ctx):
    """A well-formed request (most of the time) to a random route."""
    method = rnd_method(r)
    path = r.choice(ROUTES if r.random() < 0.3 else REAL_ROUTES)
    form = rnd_form(r, path.rstrip("/") or "/", ctx)
    query, body = "", ""
    if method == "POST" and r.random() < 0.85:
        body = form
        if r.random() < 0.2:
            query = rnd_form(r, path, ctx)
    else:
        query = form
    target = path + ("?" + query if query or r.random() < 0.05 else "")
    head = ["%s %s HTTP/1.%d" % (method, target, r.choice((0, 1, 1)))]
    own = "127.0.0.1:%d" % ctx["port"]
    if r.random() < 0.6:
        head.append("Host: " + r.choice([own] * 8 + ["localhost", "",
                                         "x" * 300, "a b", "[::1]:1"]))
    if r.random() < 0.35:
        head.append("Origin: " + r.choice(["http://" + own] * 4 + [
            "null", "http://evil.example", "https://" + own, "",
            "x" * 300]))
    if method == "POST" or r.random() < 0.05:
        if r.random() < 0.9:
            head.append("Content-Type: application/x-www-form-urlencoded" +
                        r.choice(["", "; charset=utf-8", "x"]))
        if r.random() < 0.95:
            head.append("Content-Length: %d" % len(body.encode("latin-1",
                        "replace")))
    if r.random() < 0.3:
        head.append(r.choice(["User-Agent: mutate", "Accept: */*",
                              "Connection: keep-alive", "Cookie: a=b",
                              "X-Forwarded-For: 1.2.3.4", "Expect: 100-continue",
                              "Upgrade: websocket", "Range: bytes=0-1"]))
    eol = "\r\n" if r.random() < 0.85 else "\n"
    text = eol.join(head) + eol + eol + body
    return text.encode("latin-1", "replace")


def mutate(r, data, ctx):
    """Applies 0 to 3 random mutations to a request's bytes."""
    data = bytearray(data)
    for _ in range(r.choice((0, 0, 0, 0, 1, 1, 1, 2, 2, 3))):
        op = r.randrange(17)
        n = len(data)
        if op == 0 and n:                               # bit flips
            for _ in range(r.randint(1, 8)):
                i = r.randrange(n)
                data[i] ^= 1 << r.randrange(8)
        elif op == 1 and n:                             # interesting bytes
            for _ in range(r.randint(1, 4)):
                data[r.randrange(n)] = r.choice(INTERESTING)
        elif op == 2 and n:                             # truncation
            del data[r.randrange(n):]
        elif op == 3:                                   # a header twice
            lines = bytes(data).split(b"\n")
            if len(lines) > 2:
                i = r.randrange(1, len(lines) - 1)
                dup = lines[i]
                if r.random() < 0.5 and b":" in dup:
                    dup = dup.split(b":")[0] + b": " + r.choice(
                        [b"1", b"x", b"", b"http://evil", b"99"])
                lines.insert(i + r.choice((0, 1)), dup)
                data = bytearray(b"\n".join(lines))
        elif op == 4:                                   # Content-Length
            cl = r.choice([b"99999999999999999999999", b"-1", b"-99999",
                           b"+5", b"0x10", b"", b"1 2", b"8192", b"8193",
                           b"4294967296", b"18446744073709551617", b"0",
                           b"%d" % r.randint(0, 20000), b"1,1", b"\t7"])
            new, k = re.subn(rb"(?i)content-length:[^\r\n]*",
                             b"Content-Length: " + cl, bytes(data), count=1)
            if not k:
                new = bytes(data).replace(b"\n", b"\nContent-Length: " +
                                          cl + b"\r\n", 1)
            data = bytearray(new)
        elif op == 5:                                   # bad %-escapes
            bad = r.choice([b"%", b"%z", b"%4", b"%%", b"%zz", b"%G0",
                            b"%00", b"%ff", b"%c3", b"%e2%80", b"%25%"])
            i = r.randrange(n + 1)
            data[i:i] = bad
        elif op == 6:                                   # an overlong line
            size = r.choice((4000, 8100, 8185, 8192, 8193, 9000, 20000))
            fill = bytes([r.choice(b"aA%=&/ \t")]) * size
            if r.random() < 0.5:
                data[0:0] = b"GET /" + fill + b" HTTP/1.0\r\n"
            else:
                i = bytes(data).find(b"\n") + 1
                data[i:i] = b"X-Long: " + fill + b"\r\n"
        elif op == 7:                                   # many headers
            i = bytes(data).find(b"\n") + 1
            data[i:i] = b"".join(b"H%d: v\r\n" % k
                                 for k in range(r.randint(50, 900)))
        elif op == 8:                                   # line ends
            data = bytearray(bytes(data).replace(
                b"\r\n", r.choice([b"\n", b"\r", b"\n\r", b"\r\r\n"])))
        elif op == 9:                                   # random bytes
            i = r.randrange(n + 1)
            data[i:i] = bytes(r.randrange(256)
                              for _ in range(r.randint(1, 16)))
        elif op == 10 and n:                            # a slice gone
            i = r.randrange(n)
            del data[i:i + r.randint(1, 20)]
        elif op == 11:                                  # pipelining
            data += rnd_request(r, ctx)
        elif op == 12:                                  # chunked
            data = bytearray(bytes(data).replace(
                b"\n", b"\nTransfer-Encoding: chunked\r\n", 1))
        elif op == 13:                                  # leading junk
            data[0:0] = r.choice([b"\r\n" * r.randint(1, 3000), b" ",
                                  b"\x16\x03\x01\x00", b"\x00"])
        elif op == 14:                                  # a NUL or CR inside
            i = r.randrange(n + 1)
            data[i:i] = r.choice([b"\x00", b"\r", b"\x0b", b"\x7f"])
        elif op == 15:                                  # the version
            data = bytearray(re.sub(rb"HTTP/1\.[01]", r.choice(
                [b"HTTP/2.0", b"HTTP/1.2", b"HTTP/0.9", b"HTTP/1", b"HTTP/",
                 b"http/1.0", b"HTTP/1.10", b""]), bytes(data), count=1))
        elif op == 16:                                  # a huge body
            data += b"message=" + b"%3C" * r.randint(1000, 4000)
    return bytes(data)


# ---------------------------------------------------------- delivery

class Job:
    """One connection: bytes to send in chunks at times, then the answer."""

    def __init__(self, r, data, now):
        self.data = data
        self.sock = None
        self.src = r.choice(SOURCES)
        self.head_req = head_request(data)
        c = r.random()
        if c < 0.8 or len(data) == 0:
            self.chunks = [len(data)]
            self.delays = [0.0]
        else:                           # slow: pieces with pauses between
            k = r.randint(2, min(12, max(2, len(data))))
            cuts = sorted(r.sample(range(1, max(2, len(data))),
                                   min(k - 1, max(1, len(data) - 1))))
            sizes, last = [], 0
            for cut in cuts + [len(data)]:
                sizes.append(cut - last)
                last = cut
            self.chunks = [s for s in sizes if s > 0] or [len(data)]
            self.delays = [r.uniform(0, 0.2) for _ in self.chunks]
        self.half_close = r.random() < 0.25     # shutdown(SHUT_WR) after
        self.abort = r.random() < 0.06          # close (or reset) mid-way
        self.abort_left = r.randrange(len(self.chunks))   # chunks unsent
        self.reset = r.random() < 0.5
        self.no_read = r.random() < 0.04        # never read the answer
        self.next_at = now + self.delays[0]
        self.sent = 0
        self.answer = bytearray()
        self.sent_all_at = None
        self.done = False
        self.eof = False


def open_job(job, port, sel):
    s = socket.socket()
    s.setblocking(False)
    s.bind((job.src, 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    job.sock = s
    sel.register(s, selectors.EVENT_READ, job)


def close_job(job, sel):
    if job.sock is None:
        return
    try:
        sel.unregister(job.sock)
    except (KeyError, ValueError):
        pass
    if job.reset and job.abort:
        try:
            job.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
    job.sock.close()
    job.sock = None
    job.done = True


def step_send(job, now, sel):
    """Sends the next chunk if it is due."""
    if job.sent_all_at is not None or now < job.next_at:
        return
    size = job.chunks[0]
    piece = job.data[job.sent:job.sent + size]
    try:
        n = job.sock.send(piece) if piece else 0
    except (BlockingIOError, InterruptedError):
        n = -1
    except OSError as e:
        if e.errno not in (errno.ENOTCONN, errno.EINPROGRESS):
            job.sent_all_at = now   # closed early: read what it said
            return
        n = -1
    if n < 0:                       # not connected yet, or buffer full
        job.next_at = now + 0.005
        return
    job.sent += n
    if n < size:
        job.chunks[0] = size - n
        job.next_at = now + 0.005
        return
    job.chunks.pop(0)
    job.delays.pop(0)
    if job.abort and len(job.chunks) <= job.abort_left:
        close_job(job, sel)
        return
    if job.chunks:
        job.next_at = now + job.delays[0]
        return
    job.sent_all_at = now
    if job.no_read:
        close_job(job, sel)
    elif job.half_close:
        try:
            job.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def stream_answer(a):
    """A 200 whose head is in and has no length: a chat stream."""
    end = a.find(b"\r\n\r\n")
    return end >= 0 and a.startswith(b"HTTP/1.0 200 ") and \
        b"\r\nContent-Length: " not in a[:end + 2]


def head_request(data):
    """Does chatd's parser see a HEAD (blank lines before it skipped)?"""
    while True:
        if data.startswith(b"\n"):
            data = data[1:]
        elif data.startswith(b"\r\n"):
            data = data[2:]
        else:
            return data.startswith(b"HEAD ")


def check_answer(job, findings):
    """The answer must be HTTP/1.0 and, when finished, as long as it says."""
    a = bytes(job.answer)
    if not a:
        return None
    m = STATUS_LINE.match(a)
    if not m:
        findings.append(("not an HTTP/1.0 answer", job.data, a[:200]))
        return None
    status = int(m.group(1))
    end = a.find(b"\r\n\r\n")
    if end < 0:
        if job.eof:
            findings.append(("a head cut short", job.data, a[:200]))
        return status
    head, body = a[:end + 4], a[end + 4:]
    cl = re.search(rb"\r\nContent-Length: (\d+)\r\n", head)
    if job.eof and cl:
        want = 0 if job.head_req else int(cl.group(1))
        if len(body) != want:
            findings.append(("body of %d bytes, want %d%s" % (
                len(body), want, " (HEAD)" if job.head_req else ""),
                job.data, a[:200]))
    if job.eof and not cl and not stream_answer(a):
        findings.append(("no Content-Length", job.data, a[:200]))
    return status


def run_batch(r, ctx, count, conns, findings, stats):
    """Sends count mutated requests, conns at a time; returns their bytes."""
    sel = selectors.DefaultSelector()
    jobs, sent = [], []
    started = 0
    while started < count or jobs:
        now = time.monotonic()
        while started < count and len(jobs) < conns:
            data = mutate(r, rnd_request(r, ctx), ctx)
            sent.append(data)
            job = Job(r, data, now)
            try:
                open_job(job, ctx["port"], sel)
            except OSError as e:
                findings.append(("connect: %s" % e, data, b""))
                started += 1
                continue
            jobs.append(job)
            started += 1
        for job in jobs:
            if job.sock is not None:
                step_send(job, now, sel)
        wait = 0.05
        for key, _ in sel.select(timeout=wait):
            job = key.data
            try:
                b = job.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                b = b""
            if b:
                job.answer += b
            else:
                job.eof = True
                close_job(job, sel)
        now = time.monotonic()
        for job in jobs:
            if job.done or job.sent_all_at is None:
                continue
            waited = now - job.sent_all_at
            stream = stream_answer(job.answer)
            if stream and waited > STREAM_READ_S:
                close_job(job, sel)
            elif not job.answer and waited > SILENT_S:
                close_job(job, sel)     # chatd may wait for more: fine
            elif job.answer and waited > ANSWER_S:
                if not stream:
                    findings.append(("answer not finished in %.0f s"
                                     % ANSWER_S, job.data,
                                     bytes(job.answer[:200])))
                close_job(job, sel)
        for job in [j for j in jobs if j.done]:
            st = check_answer(job, findings)
            stats[st] = stats.get(st, 0) + 1
        jobs = [j for j in jobs if not j.done]
    sel.close()
    return sent


# --------------------------------------------------------------- main

def refresh_pool(ctx, port, r):
    """Keeps a few fuzz sessions alive: they come and go with the fuzz."""
    alive = []
    for sid in ctx["sids"]:
        try:
            if session_alive(port, sid, SOURCES[0]):
                alive.append(sid)
        except OSError:
            pass
    tries = 0
    while len(alive) < 4 and tries < 8:
        tries += 1
        name = "fz%d" % r.randint(0, 99999)
        sid = login(port, name, r.choice(["fuzz", "lobby", "r1"]),
                    r.choice(SOURCES))
        if sid:
            alive.append(sid)
            ctx["names"].append(name)
    ctx["sids"] = alive
    del ctx["names"][:-40]


def main():
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("-n", type=int, default=5000)
    ap.add_argument("-s", type=int, default=None)
    ap.add_argument("-t", type=float, default=1800)
    ap.add_argument("-b", type=int, default=500)
    ap.add_argument("-j", type=int, default=32)
    ap.add_argument("-l", type=int, default=0)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("chatd", nargs="?", default=os.path.join(ROOT, "chatd"))
    args = ap.parse_args()
    seed = args.s if args.s is not None else int(time.time())
    r = random.Random(seed)
    random.seed(seed)
    t0 = time.monotonic()
    chatd = Chatd(args.chatd, args.l)
    findings, stats = [], {}
    done, batch, failed = 0, 0, None
    try:
        port = chatd.port
        ctx = {"port": port, "sids": [], "names": ["watcher", "reg1"]}
        # The watcher: alone in its room, under a registered name whose
        # password and sid the fuzz never sees (a guest name could be
        # registered by the fuzz and claimed from under it).
        wpass = "%032x" % random.SystemRandom().getrandbits(128)
        if status_of(post(port, "/register", "name=watcher&passwd=" + wpass,
                          HEALTH_SRC)) != 200:
            raise Fail("could not register the watcher")
        hsid = login(port, "watcher", "watchroom", HEALTH_SRC, wpass)
        if not hsid:
            raise Fail("the watcher could not log in")
        if status_of(post(port, "/register", "name=reg1&passwd=pw",
                          SOURCES[0])) != 200:
            raise Fail("could not register reg1")
        reg = login(port, "reg1", "fuzz", SOURCES[0], "pw")
        if reg:
            ctx["sids"].append(reg)
        refresh_pool(ctx, port, r)
        health(chatd, hsid, 0)
        while done < args.n and time.monotonic() - t0 < args.t:
            batch += 1
            count = min(args.b, args.n - done)
            nfound = len(findings)
            sent = run_batch(r, ctx, count, args.j, findings, stats)
            done += count
            try:
                health(chatd, hsid, batch)
                reports = chatd.new_reports()
                if reports:
                    raise Fail("sanitizer report:\n" + "\n".join(reports[:20]))
            except (Fail, OSError) as e:
                failed = "after batch %d (%d requests): %s" % (batch, done, e)
                save(sent, seed, failed)
                break
            if len(findings) > nfound:
                save(sent, seed, "findings in batch %d" % batch)
            refresh_pool(ctx, port, r)
            if args.verbose:
                print("batch %d: %d requests, %.0f s, statuses %s" % (
                    batch, done, time.monotonic() - t0,
                    dict(sorted(stats.items(), key=lambda kv: -kv[1])[:8])),
                    flush=True)
    except Fail as e:
        failed = str(e)
    finally:
        status = chatd.stop()
    reports = [ln for ln in chatd.log().decode("utf-8", "replace").splitlines()
               if any(s in ln for s in SANITIZER)]
    if failed is None and status != 0:
        failed = "chatd exited with status %s on SIGTERM" % status
    if failed is None and reports:
        failed = "sanitizer report:\n" + "\n".join(reports[:20])
    for what, data, answer in findings[:20]:
        print("finding: %s\n  request %r\n  answer  %r" % (what, data[:300],
              answer[:200]))
    if findings and failed is None:
        failed = "%d findings" % len(findings)
    if failed is not None or args.verbose:
        print(chatd.tail(40 if failed else 5))
    elapsed = time.monotonic() - t0
    summary = "%d requests in %.0f s (seed %d), statuses %s" % (
        done, elapsed, seed, " ".join("%s:%d" % kv for kv in
                                      sorted(stats.items(),
                                             key=lambda kv: str(kv[0]))))
    if failed is not None:
        print("mutate: chatd's files and log are in %s" % chatd.dir)
        print("mutate: FAIL %s: %s" % (summary, failed))
        return 1
    shutil.rmtree(chatd.dir, ignore_errors=True)
    print("mutate: PASS %s" % summary)
    return 0


def save(sent, seed, why):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "mutate-fail.txt")
    with open(path, "w") as f:
        f.write("# %s; seed %d\n" % (why, seed))
        for data in sent:
            f.write(repr(data) + "\n")
    print("mutate: the batch's requests are in %s" % path, flush=True)


if __name__ == "__main__":
    sys.exit(main())
