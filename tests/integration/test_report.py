"""The HTML report of a finished test run, opened in a real headless browser.

The report is built with ``snakemake --report`` from the shared ``finished_workflow`` and
loaded in Debian's chromium (``tests/integration/install_chromium.sh``), driven over the
Chrome DevTools protocol. Console errors are detected from protocol events, not from log
text: ``Runtime.exceptionThrown`` (uncaught exceptions), ``Runtime.consoleAPICalled`` of
type error/assert, and ``Log.entryAdded`` at level error (failed loads, CSP violations).
A screenshot of the report and of one figure is kept under test-artifacts/ (gitignored).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inforidge.config import load_config
from inforidge.figures.report import wanted_figures

from .conftest import REPO, TEST_CONFIG, snakemake

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--no-default-browser-check", "--window-size=1400,1000",
    "--remote-debugging-port=0",  # the chosen port is written to DevToolsActivePort
)


class DevTools:
    """A minimal Chrome DevTools protocol client over one WebSocket (RFC 6455, text frames).

    Small on purpose: the test environment has no websocket package, and the protocol
    needs only masked client text frames, unmasked server frames and ping/pong.
    """

    def __init__(self, ws_url: str, timeout: float = 60.0) -> None:
        host_port, path = ws_url.removeprefix("ws://").split("/", 1)
        host, port = host_port.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)
        assert response.startswith(b"HTTP/1.1 101"), response
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        """Close the socket (the browser process is ended by its owner)."""
        self.sock.close()

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools connection closed")
            data += chunk
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)  # clients must mask every frame
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _receive(self) -> dict[str, Any]:
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            opcode = first & 0x0F
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools connection closed by the browser")
            message += payload
            if first & 0x80:  # FIN: the last fragment
                return json.loads(message)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result; events arriving meanwhile are recorded."""
        self.next_id += 1
        self._send_frame(0x1, json.dumps({"id": self.next_id, "method": method, "params": params}).encode())
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, method: str, timeout: float) -> None:
        """Record events until ``method`` arrives (or fail after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} event within {timeout} s")
            self.events.append(self._receive())

    def evaluate(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the page (promises awaited) and return its value."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def console_errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert calls and error-level log entries so far."""
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append(f"exception: {details.get('exception', {}).get('description', details.get('text'))}")
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                errors.append(f"console.{params['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                                      for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
        return errors

    def screenshot(self, path: Path) -> None:
        """Save a PNG screenshot of the full page."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium not installed (run tests/integration/install_chromium.sh)")
    return path


@pytest.fixture(scope="module")
def report(finished_workflow: Path, tmp_path_factory) -> Path:
    """The self-contained HTML report of the finished test run (written outside its workdir)."""
    html = tmp_path_factory.mktemp("report") / "report.html"
    snakemake(finished_workflow, "--report", str(html))
    return html


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[DevTools]:
    """A fresh headless chromium (own profile directory) with a DevTools session on one page."""
    profile = tmp_path / "profile"
    log = (tmp_path / "chromium.log").open("w")
    process = subprocess.Popen([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start: {(tmp_path / 'chromium.log').read_text()[-2000:]}")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(t for t in json.load(response) if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            tools.call(f"{domain}.enable")
        yield tools
        tools.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def open_report(browser: DevTools, html: Path) -> None:
    browser.call("Page.navigate", url=html.as_uri())
    browser.wait_for("Page.loadEventFired", timeout=60)


def wait_until(browser: DevTools, expression: str, timeout: float = 30) -> Any:
    """Poll a JavaScript expression until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.evaluate(expression)
        if value:
            return value
        time.sleep(0.25)
    raise TimeoutError(f"page never satisfied: {expression}")


# What the report of configs/test.yaml files under each category: the figures that config asks
# for, from the figure registry (inforidge.figures.report), so a new figure or probe needs no edit here.
REPORTED: dict[str, set[str]] = {}
for _spec in wanted_figures(load_config(TEST_CONFIG)):
    REPORTED.setdefault(_spec.category, set()).add(_spec.name)


def report_figures(html: Path) -> dict[str, dict[str, Any]]:
    """{figure stem: category, label, caption, PNG bytes} read from the report's embedded data (no browser)."""
    text = html.read_text()

    def embedded(name: str) -> Any:
        match = re.search(rf'<script id="{name}">\s*var {name} = (.*?);\s*</script>', text, re.S)
        assert match, f"the report embeds no {name}"
        return json.loads(match.group(1))

    category = {path: name for name, groups in embedded("categories").items()
                for paths in groups.values() for path in paths}
    return {
        Path(path).stem: {"category": category[path], "label": result["labels"]["figure"],
                          "caption": result["caption"], "png": base64.b64decode(result["data_uri"].split("base64,")[1])}
        for path, result in embedded("results").items()
    }


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    return struct.unpack(">II", data[16:24])


def test_report_files_every_figure_with_category_label_and_caption(report: Path, finished_workflow: Path):
    figures = report_figures(report)
    assert set(figures) == {p.stem for p in (finished_workflow / "results/figures").glob("*.png")}
    assert {name: fig["category"] for name, fig in figures.items()} == {
        name: category for category, names in REPORTED.items() for name in names
    }
    for name, fig in figures.items():
        assert fig["label"] and len(fig["caption"]) > 100, name
        assert min(png_size(fig["png"])) > 100, name


def test_report_is_self_contained(report: Path):
    text = report.read_text()
    assert "data:image/png" in text  # figures are embedded, not linked
    # No network at report-viewing time: nothing may be fetched from another host.
    assert "src=\"http" not in text and "href=\"http" not in text.replace('href="https://snakemake', "")


def test_report_loads_without_console_errors_and_shows_figures(browser: DevTools, report: Path, finished_workflow):
    open_report(browser, report)
    # The report is a single-page app: wait until it has rendered its navigation.
    wait_until(browser, "document.body.innerText.includes('Mutual information')")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "report.png")

    # Every PNG figure of the run is embedded and decodes to a real image in the browser.
    figures = sorted(p.stem for p in (finished_workflow / "results/figures").glob("*.png"))
    assert {"mi_by_layer", "training", "mi_heatmap"} <= set(figures)
    sizes = browser.evaluate(FIGURE_SIZES_JS)
    assert sorted(sizes) == figures, sizes
    assert all(width > 100 and height > 100 for width, height in sizes.values()), sizes

    # The figures are grouped by category; open two of them as a reader would and keep those views.
    for category in REPORTED:
        assert browser.evaluate(f"document.body.innerText.includes({json.dumps(category)})"), category
    show_figure(browser, "Mutual information", "MI excess over the null vs layer (ridge curves)", "mi_by_layer")
    browser.screenshot(ARTIFACTS / "report-figure.png")
    show_figure(browser, "Probes", "residual scaling accuracy (before vs after)", "residual_scaling_accuracy")
    browser.screenshot(ARTIFACTS / "report-residual-scaling-accuracy.png")

    assert browser.console_errors() == []


# Decode each embedded result image (data: URI) in the page; {file stem: [width, height]}.
FIGURE_SIZES_JS = """
(async () => {
  const sizes = {};
  for (const [name, result] of Object.entries(results)) {
    if (!result.mime_type || !result.mime_type.startsWith('image/png')) continue;
    const img = new Image();
    img.src = result.data_uri;
    await img.decode();
    sizes[name.split('/').pop().replace('.png', '')] = [img.naturalWidth, img.naturalHeight];
  }
  return sizes;
})()
"""


def click(browser: DevTools, selector: str, text: str) -> bool:
    """Click the first element matching ``selector`` whose text contains ``text``."""
    return browser.evaluate(
        f"(() => {{ const el = [...document.querySelectorAll({json.dumps(selector)})]"
        f".find(e => e.textContent.trim().includes({json.dumps(text)})); if (el) el.click(); return !!el; }})()"
    )


def show_figure(browser: DevTools, category: str, label: str, name: str) -> None:
    """Open a result category, then the figure with ``label`` (its row's eye button), as a reader would.

    Waits until the page shows the image of figure ``name`` (its data URI names the file).
    """
    click(browser, "a", "Results")  # the breadcrumb back to the categories, once a figure is open
    wait_until(browser, f"[...document.querySelectorAll('a')].some(a => a.textContent.includes({json.dumps(category)}))")
    assert click(browser, "a", category), category
    row = f"[...document.querySelectorAll('tr')].find(r => r.textContent.includes({json.dumps(label)}))"
    wait_until(browser, f"!!{row}")
    assert browser.evaluate(f"(() => {{ const b = {row}.querySelector('a[iconname=eye]'); b.click(); return !!b; }})()")
    src = json.dumps(f"filename={name}.png;")
    wait_until(browser, f"[...document.querySelectorAll('img')].some(i => i.src.includes({src}) && i.complete "
                        "&& i.naturalWidth > 100)")
