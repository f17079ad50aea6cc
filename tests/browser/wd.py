"""wd.py: a small W3C WebDriver client over HTTP, Python 3 standard library only."""
import json
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    """A WebDriver command failed; .error is the W3C error code."""

    def __init__(self, error, message):
        super().__init__("%s: %s" % (error, message))
        self.error = error


class Session:
    """One browser session of a running chromedriver at base (http://host:port)."""

    def __init__(self, base, chrome_args, binary=None, prefs=None, timeout=30):
        self.id = None
        self.base = base.rstrip("/")
        self.timeout = timeout
        opts = {"args": list(chrome_args)}
        if binary:
            opts["binary"] = binary
        if prefs:
            opts["prefs"] = prefs
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "none",
            "goog:chromeOptions": opts,
        }}}
        value = self._call("POST", "/session", caps, prefix=False)
        self.id = value["sessionId"]

    def _call(self, method, path, body=None, prefix=True):
        url = self.base + (("/session/" + self.id) if prefix else "") + path
        data = None
        if body is not None or method == "POST":
            data = json.dumps(body if body is not None else {}).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                payload = json.loads(r.read().decode() or "{}")
        except urllib.error.HTTPError as e:
            payload = json.loads(e.read().decode() or "{}")
            v = payload.get("value", {})
            raise WebDriverError(v.get("error", str(e.code)),
                                 v.get("message", "")[:300]) from None
        return payload.get("value")

    # Navigation and windows.
    def get(self, url):
        self._call("POST", "/url", {"url": url})

    def url(self):
        return self._call("GET", "/url")

    def title(self):
        return self._call("GET", "/title")

    def window_handle(self):
        return self._call("GET", "/window")

    def window_handles(self):
        return self._call("GET", "/window/handles")

    def new_window(self, kind="tab"):
        return self._call("POST", "/window/new", {"type": kind})["handle"]

    def switch_window(self, handle):
        self._call("POST", "/window", {"handle": handle})

    def set_window_rect(self, width, height):
        self._call("POST", "/window/rect", {"width": width, "height": height})

    def minimize(self):
        self._call("POST", "/window/minimize")

    def maximize(self):
        self._call("POST", "/window/maximize")

    # Frames: name is a frame's name attribute, None is the top.
    def frame(self, name=None):
        if name is None:
            self._call("POST", "/frame", {"id": None})
            return
        el = self.find("css selector", 'frame[name="%s"], iframe[name="%s"]'
                       % (name, name))
        self._call("POST", "/frame", {"id": el})

    def parent_frame(self):
        self._call("POST", "/frame/parent")

    # Elements.
    def find(self, using, value):
        v = self._call("POST", "/element", {"using": using, "value": value})
        return {ELEMENT: v[ELEMENT]}

    def find_all(self, using, value):
        v = self._call("POST", "/elements", {"using": using, "value": value})
        return [{ELEMENT: e[ELEMENT]} for e in v]

    def css(self, selector):
        return self.find("css selector", selector)

    def _el(self, el, path, method="GET", body=None):
        return self._call(method, "/element/%s%s" % (el[ELEMENT], path), body)

    def click(self, el):
        self._el(el, "/click", "POST")

    def clear(self, el):
        self._el(el, "/clear", "POST")

    def send_keys(self, el, text):
        self._el(el, "/value", "POST", {"text": text})

    def text(self, el):
        return self._el(el, "/text")

    def attr(self, el, name):
        return self._el(el, "/attribute/" + name)

    def prop(self, el, name):
        return self._el(el, "/property/" + name)

    def execute(self, script, *args):
        return self._call("POST", "/execute/sync",
                          {"script": script, "args": list(args)})

    def screenshot(self):
        """The viewport as PNG bytes."""
        import base64
        return base64.b64decode(self._call("GET", "/screenshot"))

    def quit(self):
        if self.id is None:
            return
        try:
            self._call("DELETE", "", prefix=True)
        except (WebDriverError, OSError):
            pass
