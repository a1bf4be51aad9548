"""A real browser for the console tests: Debian's `chromium`, headless, driven through the
DevTools protocol (websocket-client). One browser per test module; pages are loaded, read
(DOM, JavaScript values), clicked and photographed like a user would."""
from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import websocket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Browser:
    def __init__(self, workdir: Path, width: int = 1280, height: int = 900):
        self.profile = Path(workdir) / "chromium-profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        self.log = open(Path(workdir) / "chromium.log", "ab")
        # --no-sandbox: the tests run as root, where Chromium's sandbox cannot start;
        # --disable-dev-shm-usage: containers often have a tiny /dev/shm.
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--hide-scrollbars", "--disable-extensions", "--disable-background-networking", "--remote-debugging-port=0",
             "--remote-allow-origins=*", f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"chromium did not start (exit {self.proc.poll()})")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        self.call("Page.enable")
        self.call("Network.enable")
        self.viewport(width, height)

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()

    def call(self, method: str, **params):
        """Sends one DevTools command and returns its result (events in between are skipped)."""
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == i:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def viewport(self, width: int, height: int):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def headers(self, headers: dict[str, str]):
        """Extra request headers for every later request (e.g. Authorization)."""
        self.call("Network.setExtraHTTPHeaders", headers=headers)

    def eval(self, expression: str):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise AssertionError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def _wait_loaded(self, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.eval("window.__autosegOld === undefined && document.readyState === 'complete'"):
                    return
            except AssertionError:
                pass  # the context went away during navigation
            time.sleep(0.05)
        raise AssertionError("page did not load")

    def open(self, url: str, timeout: float = 30) -> dict:
        """Loads `url`; returns {status, html, text} of the page shown."""
        self.eval("window.__autosegOld = true")
        self.events.clear()
        self.call("Page.navigate", url=url)
        self._wait_loaded(timeout)
        return self.page()

    def click(self, selector: str, timeout: float = 30) -> dict:
        """Clicks the element (a form's button) and waits for the page it leads to."""
        self.eval("window.__autosegOld = true")
        self.events.clear()
        found = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                          f"if (!e) return false; e.click(); return true; }})()")
        assert found, f"no element {selector} on {self.eval('location.href')}"
        self._wait_loaded(timeout)
        return self.page()

    def page(self) -> dict:
        """The page shown: url, html, text, and the HTTP status of its document (the last
        document response since the navigation began; None if none was seen)."""
        statuses = [e["params"]["response"]["status"] for e in self.events
                    if e["method"] == "Network.responseReceived" and e["params"].get("type") == "Document"]
        return {"url": self.eval("location.href"), "html": self.eval("document.documentElement.outerHTML"),
                "text": self.eval("document.body ? document.body.innerText : ''"),
                "status": statuses[-1] if statuses else None}

    def screenshot(self, path: Path | None = None, full_page: bool = False) -> bytes:
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        png = base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])
        if path:
            Path(path).write_bytes(png)
        return png


def dump_dom(url: str, workdir: Path, timeout: float = 60) -> str:
    """`chromium --headless --dump-dom URL`: the DOM after load, as a one-shot browser sees it."""
    profile = Path(workdir) / "chromium-dump"
    res = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


# Plain HTTP, for what a browser cannot show (status codes, headers, forged POSTs).

def head(url: str, auth: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Authorization": auth} if auth else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)


def status_of(url: str) -> int | None:
    try:
        return head(url)[0]
    except OSError:
        return None


def post(url: str, data: bytes, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
