"""Drive headless Chromium through the DevTools protocol, for tests that click, type and wait.

``run_chromium`` (docs_support) loads a page once and dumps its DOM or a screenshot under
virtual time, which runs ahead of a Web Worker such as Material's search. This talks to the
browser over ``--remote-debugging-pipe`` (JSON messages ending in a NUL byte on file
descriptors 3 and 4), so a test can wait in real time for what a reader would wait for. It
needs nothing but the standard library; like ``run_chromium`` it resolves no host but 127.0.0.1.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
)


def _above_nine(fd: int) -> int:
    """Move descriptor ``fd`` to a number above 9 (closing the old one); return the new one."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, or not in time."""


class Page:
    """One tab, sized and coloured as a reader's window, attached by a flat session."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, session=self.session, **params)

    def goto(self, url: str, timeout: float = 60) -> None:
        """Open ``url`` and return once its load event fired."""
        self.browser.events.clear()
        self.send("Page.navigate", url=url)
        self.browser.wait_for_event("Page.loadEventFired", self.session, timeout)

    def evaluate(self, expression: str, timeout: float = 60) -> Any:
        """The JSON value of a JavaScript expression; a promise is awaited."""
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
            timeout=timeout * 1000,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            message = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"{message}\nin: {expression[:300]}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """Poll a JavaScript expression every 100 ms until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout} s waiting for: {expression}")
            time.sleep(0.1)

    def type(self, text: str) -> None:
        """Type ``text`` into the focused element, one key press per character."""
        for character in text:
            self.send("Input.dispatchKeyEvent", type="keyDown", text=character, key=character)
            self.send("Input.dispatchKeyEvent", type="keyUp", key=character)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """Save what the window shows (or the whole page's height) as a PNG at ``path``."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.clientWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def screenshot_of(self, selector: str, path: Path, index: int = 0) -> Path:
        """Save the ``index``-th element ``selector`` finds, as rendered and scrolled into view,
        as a PNG at ``path``."""
        box = self.evaluate(
            f"(() => {{ const element = document.querySelectorAll({json.dumps(selector)})[{index}];"
            " element.scrollIntoView({block: 'center'});"
            " const box = element.getBoundingClientRect();"
            " return {x: box.left + scrollX, y: box.top + scrollY, width: box.width,"
            " height: box.height}; })()"
        )
        clip = {**box, "scale": 1}
        data = self.send("Page.captureScreenshot", format="png", clip=clip)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


class Browser:
    """A headless Chromium with a fresh profile; open pages with `Browser.page`."""

    def __init__(self, chromium: Path, profile: str) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # Above 9, so that neither end is 3 or 4 itself when the shell below moves them there.
        to_browser_read, from_browser_write = (
            _above_nine(to_browser_read),
            _above_nine(from_browser_write),
        )
        # The browser reads commands on descriptor 3 and writes replies to 4; bash moves the
        # pipes there (dash's redirections take one digit only).
        command = (
            f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write} '
            f"{to_browser_read}<&- {from_browser_write}>&-"
        )
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", command, str(chromium), *_FLAGS, f"--user-data-dir={profile}"],
            pass_fds=(to_browser_read, from_browser_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (BrowserError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_browser], [], [], remaining)[0]:
                raise BrowserError("chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed the DevTools pipe (did it crash?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(
        self, method: str, session: str | None = None, timeout: float = 90, **params: Any
    ) -> dict[str, Any]:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for_event(self, method: str, session: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            self.events.append(self._read_message(deadline))

    def page(self, width: int = 1280, height: int = 900, dark: bool = False) -> Page:
        """A new tab ``width`` × ``height`` CSS pixels, preferring the dark scheme if ``dark``.

        Each tab has a context of its own, as a fresh profile: no storage is shared, so one
        page's remembered colour scheme (Material keeps it in localStorage) is not another's.
        """
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", url="about:blank", browserContextId=context)
        target = target["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        scheme = "dark" if dark else "light"
        page.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )
        return page


@contextmanager
def open_browser(chromium: Path) -> Iterator[Browser]:
    """Start Chromium with a temporary profile; close it (and the profile) afterwards."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        browser = Browser(chromium, profile)
        try:
            browser.send("Target.getTargets", timeout=60)  # the pipe is up
            yield browser
        finally:
            browser.close()
