#!/usr/bin/env python3
"""check_cluster.py: three chatd instances behind the shipped nginx
configuration, sharing their rooms through Redis, driven from Chromium.

Starts a redis-server of its own (no persistence) on a free loopback port,
three ./chatd with -R and -N 01, 02 and 03, and nginx with
contrib/nginx-cluster.conf (only its listen port and the instances' ports
changed, under a prefix of its own: never the system service), then
chromedriver.  Through nginx alone: alice and bob log in with the login
form until they sit on different instances (their sids' first two digits
differ), talk, and each must see the other's lines and name; a page on the
same origin logs dora and erin in over /api/login and opens an EventSource
and a WebSocket through nginx; frida embeds the room with /embed.js and
posts through /api/say, which nginx must route by the sid in its query.
Then Redis is killed: alice must still see a line from her own instance,
and once a fresh Redis is back, lines and names from the others again.
Then bob's instance is killed (-9): he must leave alice's room within
twice the grace period, and logins through nginx must go to live
instances only.  Last, nginx's own limits: /status for this host only,
and logins per client.

Usage: check_cluster.py [-v]     (-v: every process's log at the end)

CHATD, NGINX, REDIS_SERVER, CHROMIUM and CHROMEDRIVER name the programs.
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
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_browser as cb  # noqa: E402

ROOT = cb.ROOT
CONF = os.path.join(ROOT, "contrib", "nginx-cluster.conf")
TOTAL_S = 240           # the whole run, whatever happens
LIVE_S = 3.0            # a line must reach the other instances this fast
NAMES_S = 12            # the names frame refreshes itself every 10 s
GRACE_S = 6             # chatd -g: a dead instance's people leave within 2x
TRIES = 8               # logins until bob sits on another instance than alice
ROOM = "cluster"
INSTANCES = ("01", "02", "03")
SHIPPED_PORTS = ("9148", "9149", "9150")   # the instances in the shipped file
Fail = cb.Fail
wait_for = cb.wait_for


class Redis:
    """The test's redis-server; stop() and start() again on the same port."""
    port = None
    proc = None


def start_redis(run, scratch, redis=None):
    """redis-server on a free loopback port (or redis's), without persistence."""
    binary = cb.find_program("REDIS_SERVER", ["redis-server"])
    if not binary:
        raise Fail("redis-server is not installed (apt-get install redis-server)")
    if redis is None:
        redis = Redis()
        redis.port = cb.free_port()
    port = redis.port
    d = os.path.join(scratch, "redis")
    os.makedirs(d, exist_ok=True)
    proc = redis.proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", d, "--daemonize", "no"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    run.at_end(stop)

    def pong():
        with socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    wait_for("redis-server", pong, 10)
    return redis


def nginx_conf(prefix, listen, ports):
    """The shipped file with its listen and instance ports changed."""
    with open(CONF) as f:
        text = f.read()
    for shipped, port in zip(SHIPPED_PORTS, ports):
        text = text.replace("127.0.0.1:%s;" % shipped, "127.0.0.1:%d;" % port)
    text, n = re.subn(r"\n\tlisten 80;", "\n\tlisten 127.0.0.1:%d;" % listen, text)
    if n != 1:
        raise Fail("%s: no 'listen 80;' line to move to a free port" % CONF)
    site = os.path.join(prefix, "chatd-cluster.conf")
    with open(site, "w") as f:
        f.write(text)
    main = os.path.join(prefix, "nginx.conf")
    with open(main, "w") as f:
        f.write("daemon off;\nmaster_process on;\nworker_processes 1;\n"
                "pid %(p)s/nginx.pid;\nerror_log %(p)s/error.log;\n"
                "events {\n}\nhttp {\n\taccess_log %(p)s/access.log;\n"
                "\tclient_body_temp_path %(p)s/body;\n"
                "\tproxy_temp_path %(p)s/proxy;\n"
                "\tfastcgi_temp_path %(p)s/fastcgi;\n"
                "\tuwsgi_temp_path %(p)s/uwsgi;\n"
                "\tscgi_temp_path %(p)s/scgi;\n"
                "\tinclude %(site)s;\n}\n" % {"p": prefix, "site": site})
    return main


def start_nginx(run, scratch, ports):
    binary = cb.find_program("NGINX", ["nginx"])
    if not binary:
        raise Fail("nginx is not installed (apt-get install nginx)")
    prefix = os.path.join(scratch, "nginx")
    os.mkdir(prefix)
    # A worker started by root runs as nobody: it must reach its files.
    for d in (scratch, prefix):
        os.chmod(d, 0o755)
    listen = cb.free_port()
    main = nginx_conf(prefix, listen, ports)
    proc = subprocess.Popen(
        [binary, "-p", prefix + "/", "-e", prefix + "/error.log", "-c", main],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, start_new_session=True)

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    run.at_end(stop)
    url = "http://127.0.0.1:%d/" % listen

    def up():
        if proc.poll() is not None:
            raise Fail("nginx exited: %s" % proc.stderr.read())
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    wait_for("nginx", up, 10)
    return url, prefix


def post(url, path, form):
    """A POST through nginx; (status, final URL, body)."""
    req = urllib.request.Request(url.rstrip("/") + path, method="POST",
                                 data=urllib.parse.urlencode(form).encode())
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.geturl(), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, url, e.read().decode("utf-8", "replace")


def frame_sid(b):
    """The sid in the frameset's chat frame address."""
    b.into(None)
    src = b.execute("var f = document.querySelector('frame[name=chat]');"
                    " return f ? f.src : null;") or ""
    m = re.search(r"[?&]sid=([0-9a-f]{32})", src)
    if not m:
        raise Fail("no sid in the chat frame's address %r" % src)
    return m.group(1)


def cluster_checks(run, url, driver, chromium, chatds, redis, scratch):
    def no_sid_spreads():
        seen = {}
        for i in range(6):
            status, where, body = post(url, "/login", {"name": "probe%d" % i})
            m = re.search(r"sid=([0-9a-f]{32})", where + body)
            if status != 200 or not m:
                raise Fail("login %d through nginx: %d %s" % (i, status, body[:200]))
            sid = m.group(1)
            seen.setdefault(sid[:2], 0)
            seen[sid[:2]] += 1
            # The names frame asks by the sid: nginx routes it home.
            page = urllib.request.urlopen(url + "names?sid=" + sid, timeout=5).read()
            if ("probe%d" % i).encode() not in page:
                raise Fail("/names?sid=%s.. did not reach its instance" % sid[:6])
            urllib.request.urlopen(url + "leave?sid=" + sid, timeout=5).read()
        if set(seen) - set(INSTANCES) or len(seen) < 2:
            raise Fail("sid prefixes of 6 logins: %r" % seen)
        return "sid prefixes %s" % ", ".join("%s x%d" % kv for kv in sorted(seen.items()))
    run.check("logins without a sid spread over the instances; ?sid= "
              "requests reach their own", no_sid_spreads)

    alice = cb.Browser(driver, "alice", chromium)
    run.at_end(alice.close)
    bob = cb.Browser(driver, "bob", chromium)
    run.at_end(bob.close)
    who = {}

    def login_apart():
        alice.login(url, "alice", color="navy", room=ROOM)
        who["alice"] = frame_sid(alice)
        for i in range(TRIES):
            name = "bob" if i == 0 else "bob%d" % i
            bob.login(url, name, room=ROOM)
            sid = frame_sid(bob)
            if sid[:2] != who["alice"][:2]:
                who["bob"], who["bobname"] = sid, name
                return "alice on %s, %s on %s (try %d)" % (
                    who["alice"][:2], name, sid[:2], i + 1)
            bob.get(url + "leave?sid=" + sid)
            time.sleep(0.2)
        raise Fail("bob landed on alice's instance %s %d times" % (
            who["alice"][:2], TRIES))
    if not run.check("alice and bob log in through nginx onto different "
                     "instances", login_apart):
        return
    bobname = who["bobname"]

    def line_reaches(sender, receivers, text):
        start = sender.say(text)
        for r in receivers:
            wait_for("%r in %s's chat frame" % (text, r.name),
                     lambda: r.has_line(text), LIVE_S)
        return "%.2f s" % (time.monotonic() - start)
    run.check("alice's line reaches bob on the other instance",
              line_reaches, alice, [alice, bob], "Hello from instance %s" % who["alice"][:2])
    run.check("bob's line reaches alice on the other instance",
              line_reaches, bob, [bob, alice], "Hi back from instance %s" % who["bob"][:2])

    def names():
        wait_for("%s in alice's names frame" % bobname,
                 lambda: bobname in alice.names(), NAMES_S, 0.5)
        wait_for("alice in %s's names frame" % bobname,
                 lambda: "alice" in bob.names(), NAMES_S, 0.5)
    run.check("each names frame lists the other instance's user", names)

    def name_unique():
        """Refused at once, or ended as soon as the claim is answered."""
        how = []
        for i in range(len(INSTANCES)):
            status, where, _ = post(url, "/login", {"name": "alice", "room": ROOM})
            m = re.search(r"sid=([0-9a-f]{32})", where)
            if not m:
                how.append("refused (%d)" % status)
                continue

            def ended():
                try:
                    urllib.request.urlopen(url + "names?sid=" + m.group(1),
                                           timeout=5).read()
                except urllib.error.HTTPError as e:
                    return e.code == 403
                return False
            wait_for("the second alice's session on %s to end" % m.group(1)[:2],
                     ended, 2.0)
            how.append("ended on %s" % m.group(1)[:2])
        if not alice.has_line("Hello from instance"):
            raise Fail("the first alice lost her chat frame")
        return ", ".join(how)
    run.check("alice's name is taken on every instance", name_unique)

    wire = cb.Browser(driver, "wire", chromium)
    run.at_end(wire.close)

    def state():
        return wire.execute("return window.chatdT || null;")

    def transports():
        wire.get(url)
        wait_for("the login page", lambda: wire.css("#name"), 8)
        wire.execute(cb.WIRE_JS, ROOM, ["dora", "erin"])

        def ready():
            t = state()
            if t and (t["errors"] or (t["sseOpen"] and t["wsOpen"])):
                return t
            return None
        t = wait_for("the EventSource and the WebSocket through nginx", ready, 8)
        if t["errors"]:
            raise Fail("; ".join(t["errors"]))
        who["dora"], who["erin"] = t["sids"]
        return "dora on %s, erin on %s" % (t["sids"][0][:2], t["sids"][1][:2])
    if run.check("an EventSource and a WebSocket open through nginx", transports):
        def seen(where, text):
            return any(e["text"] == text for e in state()[where])

        def to_streams():
            text = "to every stream %d" % os.getpid()
            alice.say(text)
            wait_for("alice's line in dora's EventSource", lambda: seen("sse", text), LIVE_S)
            wait_for("alice's line in erin's WebSocket", lambda: seen("ws", text), LIVE_S)
        run.check("alice's line reaches the EventSource and the WebSocket", to_streams)

        def from_ws():
            text = "typed into a websocket %d" % os.getpid()
            wire.execute("window.chatdWS.send(arguments[0]);", text)
            wait_for("erin's line in alice's chat frame", lambda: alice.has_line(text), LIVE_S)
            wait_for("erin's line in bob's chat frame", lambda: bob.has_line(text), LIVE_S)
            wait_for("erin's line in dora's EventSource", lambda: seen("sse", text), LIVE_S)
            return "%s -> %s, %s" % (who["erin"][:2], who["alice"][:2], who["bob"][:2])
        run.check("erin's WebSocket line reaches alice and bob", from_ws)
        wire.execute("window.chatdWS.close(1000, 'bye'); window.chatdES.close();")

    def embedded():
        wire.get(url)
        wait_for("the login page", lambda: wire.css("#name"), 8)
        wire.execute(
            "var room = arguments[0], s = document.createElement('script');"
            "s.src = '/embed.js';"
            "s.onload = function () { var d = document.createElement('div');"
            " d.id = 'embedded'; document.body.appendChild(d);"
            " chatdEmbed(d, {room: room}); };"
            "document.head.appendChild(s);", ROOM)
        field = wait_for("the embedded room", lambda: wire.css("#embedded .chatd-bar input"), 8)
        wire.send_keys(field, "frida" + cb.ENTER)
        wait_for("frida's join", lambda: "frida joined" in wire.text(wire.css("#embedded")), LIVE_S)
        # Three posts: round robin would send two of them astray.
        for i in range(3):
            text = "frida: embedded line %d" % i
            wire.send_keys(wire.css("#embedded .chatd-bar input"),
                           text[7:] + cb.ENTER)
            wait_for("%r in the embedded room" % text, lambda: text in
                     wire.text(wire.css("#embedded .chatd-log")), LIVE_S)
            status = wire.text(wire.css("#embedded .chatd-status"))
            if status:
                raise Fail("the embedded room says %r" % status)
    if not run.check("a room embedded with /embed.js posts through nginx "
                     "(/api/say?sid=)", embedded):
        return

    def embedded_elsewhere():
        for i in range(3):
            text = "embedded line %d" % i
            wait_for("%r in alice's chat frame" % text, lambda: alice.has_line(text), LIVE_S)
            wait_for("%r in bob's chat frame" % text, lambda: bob.has_line(text), LIVE_S)
    run.check("the embedded room's lines reach alice and bob", embedded_elsewhere)

    def shots():
        alice.shot("cluster-alice.png")
        bob.shot("cluster-bob.png")
    run.check("screenshots in tests/out/cluster-*.png", shots)

    def status_local():
        host, port = urllib.parse.urlsplit(url).netloc.split(":")
        with urllib.request.urlopen(url + "status.json", timeout=5) as r:
            if r.status != 200:
                raise Fail("/status.json from 127.0.0.1: %d" % r.status)
        # From another loopback address: outside the host, as nginx sees it.
        with socket.create_connection((host, int(port)), 5,
                                      source_address=("127.0.0.2", 0)) as c:
            c.sendall(b"GET /status HTTP/1.0\r\n\r\n")
            head = c.recv(64).decode("latin-1")
        if not head.startswith("HTTP/1.1 403"):
            raise Fail("/status from 127.0.0.2: %r" % head[:40])
    run.check("/status through nginx is for this host only", status_local)

    def redis_goes_away():
        """Local chat goes on without Redis; sharing resumes after it."""
        home = chatds[INSTANCES.index(who["alice"][:2])]
        away = chatds[INSTANCES.index(who["bob"][:2])]

        def local_login(c, name):
            page = cb.http(c, "POST", "/login", {"name": name, "room": ROOM})
            m = re.search(r"sid=([0-9a-f]{32})", page)
            if not m:
                raise Fail("%s could not log in on %s" % (name, c.url))
            return m.group(1)

        def say(c, sid, text):
            cb.http(c, "POST", "/dotalk?sid=" + sid, {"message": text})
        carla = local_login(home, "carla")     # alice's instance
        dave = local_login(away, "dave")       # bob's
        redis.proc.kill()
        redis.proc.wait()
        text = "said while Redis is away %d" % os.getpid()
        say(home, carla, text)
        wait_for("carla's line at alice, same instance, Redis gone",
                 lambda: alice.has_line(text), LIVE_S)
        time.sleep(1)
        start_redis(run, scratch, redis)
        t0 = time.monotonic()
        n = [0]

        def shared():
            n[0] += 1
            say(away, dave, "after Redis %d" % n[0])
            time.sleep(1)
            return any(alice.has_line("after Redis %d" % i)
                       for i in range(1, n[0] + 1))
        wait_for("dave's line from the other instance at alice after Redis "
                 "came back", shared, 30, 0)
        took = time.monotonic() - t0
        # A Redis that lost its data learns who is where again.
        wait_for("%s and dave in alice's names frame after Redis came back"
                 % bobname, lambda: all(n in alice.names() for n in
                                        (bobname, "dave")), NAMES_S, 0.5)
        return "local line shown; shared again %.1f s after Redis came back" % took
    run.check("Redis goes away: local chat goes on, and sharing resumes "
              "within 30 s of its return", redis_goes_away)

    def instance_dies():
        """kill -9 bob's instance: he leaves alice's room, nginx skips it."""
        dead = who["bob"][:2]
        victim = chatds[INSTANCES.index(dead)]
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait()
        t0 = time.monotonic()
        wait_for("%s gone from alice's names frame" % bobname,
                 lambda: bobname not in alice.names(), 2 * GRACE_S + 3, 0.5)
        gone = time.monotonic() - t0
        wait_for("%s's leave line in alice's chat frame" % bobname,
                 lambda: alice.has_line(bobname + " left"), 2)
        seen = set()
        for i in range(4):
            status, where, body = post(url, "/login", {"name": "after%d" % i})
            m = re.search(r"sid=([0-9a-f]{32})", where)
            if not m:
                raise Fail("login %d with instance %s dead: %d %s" % (
                    i, dead, status, body[:120]))
            seen.add(m.group(1)[:2])
            urllib.request.urlopen(url + "leave?sid=" + m.group(1), timeout=5).read()
        if dead in seen:
            raise Fail("a login landed on the dead instance %s" % dead)
        bob.login(url, bobname, room=ROOM)
        home = frame_sid(bob)[:2]
        line_reaches(bob, [bob, alice], "back on instance %s" % home)
        return "%s left after %.1f s (grace %d s); logins went to %s; " \
            "%s is back on %s" % (bobname, gone, GRACE_S,
                                  ", ".join(sorted(seen)), bobname, home)
    run.check("an instance killed: its user leaves the others' rooms within "
              "twice the grace, and logs in again on a live one", instance_dies)

    def login_limit():
        codes = [post(url, "/login", {"name": "flood%d" % i})[0]
                 for i in range(16)]
        if 429 not in codes or codes[0] != 200:
            raise Fail("16 logins at once: %r" % codes)
        return "%d of 16 refused with 429" % codes.count(429)
    run.check("nginx limits logins per client (burst of 10, 2 a second)",
              login_limit)


def main():
    verbose = "-v" in sys.argv[1:]
    run = cb.Run()
    t0 = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="chatd-cluster-")
    run.at_end(lambda: shutil.rmtree(scratch, ignore_errors=True))
    cb.PROFILES = os.path.join(scratch, "browsers")
    os.mkdir(cb.PROFILES)
    chatds = []
    nginx_dir = None

    def out_of_time(*_):
        raise cb.OutOfTime()
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TOTAL_S)
    try:
        chromium = cb.find_program("CHROMIUM", ["chromium", "chromium-browser", "google-chrome"])
        driver_bin = cb.find_program("CHROMEDRIVER", ["chromedriver"])
        if not chromium or not driver_bin:
            run.fail("find Chromium and chromedriver",
                     "not installed (apt-get install chromium chromium-driver)")
            return cb.finish(run, t0)
        if not os.access(cb.CHATD, os.X_OK):
            run.fail("find ./chatd", "build it first (make)")
            return cb.finish(run, t0)
        help_text = subprocess.run([cb.CHATD, "-h"], capture_output=True,
                                   text=True).stdout
        if "redis: built" not in help_text:
            run.fail("chatd with Redis", "this chatd was built without Redis "
                     "(apt-get install libhiredis-dev; make clean; make)")
            return cb.finish(run, t0)
        redis = start_redis(run, scratch)
        redis_port = redis.port
        for n in INSTANCES:
            c = cb.Chatd("-R", "127.0.0.1:%d" % redis_port, "-N", n,
                         "-g", str(GRACE_S), "-i", "100000")
            run.at_end(c.stop)
            chatds.append(c)
        url, nginx_dir = start_nginx(run, scratch, [c.port for c in chatds])
        print("# redis on %d, chatd %s on %s, nginx on %s" % (
            redis_port, "/".join(INSTANCES),
            "/".join(str(c.port) for c in chatds), url), flush=True)
        driver = cb.start_driver(run, driver_bin)
        cluster_checks(run, url, driver, chromium, chatds, redis, scratch)
        # A chatd built with sanitizers (make check-asan's flags) reports
        # here; the killed instance's log counts too.
        for n, c in zip(INSTANCES, chatds):
            c.stop()
            bad = [line for line in c.log if "Sanitizer" in line or
                   "runtime error:" in line]
            if bad:
                run.fail("chatd -N %s's log" % n, bad[0])
    except cb.OutOfTime:
        run.fail("the whole run", "out of time after %d s" % TOTAL_S)
    except Exception as e:  # whatever it is, it is a failure and we clean up
        run.fail("the run", "%s: %s" % (type(e).__name__, e))
    finally:
        signal.alarm(0)
        if run.failed or verbose:
            for n, c in zip(INSTANCES, chatds):
                print("# chatd -N %s log%s:" % (n, "" if verbose else ", last lines"))
                for line in c.log[0 if verbose else -10:]:
                    print("#   " + line)
            if nginx_dir:
                try:
                    with open(os.path.join(nginx_dir, "error.log")) as f:
                        lines = f.read().splitlines()
                    print("# nginx error log, last lines:")
                    for line in lines[-10:]:
                        print("#   " + line)
                except OSError:
                    pass
            sys.stdout.flush()
        run.clean()
    return cb.finish(run, t0)


if __name__ == "__main__":
    sys.exit(main())
