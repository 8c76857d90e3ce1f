"""A minimal W3C WebDriver client (Python standard library only) for chromedriver + Chromium.

Enough for the console browser test: sessions, navigation, elements, clicks, keys, scripts,
screenshots. Debian packages `chromium` and `chromium-driver` are all it needs at run time.
"""

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
TAB = "\ue004"


class WebDriverError(RuntimeError):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromeDriver:
    """Starts chromedriver on a free loopback port; stop() ends exactly that process."""

    def __init__(self, driver="chromedriver", log_file=None):
        self.port = free_port()
        self.log = open(log_file, "w") if log_file else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [driver, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/status", timeout=2) as r:
                    if json.load(r)["value"].get("ready"):
                        return
            except (OSError, ValueError, KeyError):
                pass
            if self.process.poll() is not None:
                raise WebDriverError(f"chromedriver exited with {self.process.returncode}")
            time.sleep(0.2)
        self.stop()
        raise WebDriverError("chromedriver did not become ready")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


class Session:
    def __init__(self, driver_url, chromium="/usr/bin/chromium", profile_dir=None,
                 width=1400, height=1800):
        self.base = driver_url
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                f"--window-size={width},{height}", "--force-device-scale-factor=1"]
        if profile_dir:
            args.append(f"--user-data-dir={profile_dir}")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}}
        value = self._call("POST", "/session", caps)
        self.id = value["sessionId"]
        self._call("POST", f"/session/{self.id}/timeouts", {"script": 30000, "pageLoad": 30000})

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                payload = json.load(r)
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise WebDriverError(f"{method} {path}: {e.code} {detail[:500]}") from None
        return payload.get("value")

    def s(self, method, path, body=None):
        return self._call(method, f"/session/{self.id}{path}", body)

    # navigation and scripts
    def get(self, url):
        self.s("POST", "/url", {"url": url})

    def run(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def run_async(self, script, *args):
        return self.s("POST", "/execute/async", {"script": script, "args": list(args)})

    def wait_for(self, script, *args, timeout=20, what="condition"):
        """Polls `script` (a function body returning a value) until it is truthy."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.run(script, *args)
            if last:
                return last
            time.sleep(0.15)
        raise WebDriverError(f"timed out waiting for {what} (last value {last!r})")

    # elements
    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def find_all(self, css):
        return [e[ELEMENT] for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        element = self.find(css)
        self.s("POST", f"/element/{element}/clear", {})
        self.s("POST", f"/element/{element}/value", {"text": text})

    def text(self, css):
        return self.s("GET", f"/element/{self.find(css)}/text")

    def press(self, key):
        self.s("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]})
        self.s("DELETE", "/actions")

    # screenshots
    def screenshot(self, path, css=None, full=True):
        """The page (or one element), with the window grown to the page's height so nothing
        below the fold is cut off; the window size is restored afterwards."""
        rect = self.s("GET", "/window/rect")
        if full:
            height = self.run("return Math.max(document.documentElement.scrollHeight,"
                              " document.body.scrollHeight)")
            self.s("POST", "/window/rect", {"width": rect["width"], "height": min(int(height) + 200, 12000)})
        try:
            if css:
                data = self.s("GET", f"/element/{self.find(css)}/screenshot")
            else:
                data = self.s("GET", "/screenshot")
        finally:
            if full:
                self.s("POST", "/window/rect", {"width": rect["width"], "height": rect["height"]})
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def browser_log(self):
        try:
            return self._call("POST", f"/session/{self.id}/se/log", {"type": "browser"}) or []
        except WebDriverError:
            return []

    def quit(self):
        try:
            self._call("DELETE", f"/session/{self.id}")
        except (WebDriverError, OSError):
            pass


def artifacts_dir(path):
    os.makedirs(path, exist_ok=True)
    return path
