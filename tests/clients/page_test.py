"""The web page of `hipscut serve` in headless Chromium, driven over the DevTools protocol.

Usage: python page_test.py http://127.0.0.1:PORT SCREENSHOT.png

Loads the page, finds a target by name (the server's built-in table answers: its Sesame is a
closed local port), fills the form, submits it, and checks that an image of the requested size
is shown and that the URL shown is the API call that made it. Then saves a screenshot.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1280,900",
]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no Chromium found (Debian: apt-get install chromium)")


class Browser:
    """One page of a headless Chromium, spoken to over its DevTools websocket."""

    def __init__(self, profile):
        self.process = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = os.path.join(profile, "DevToolsActivePort")
        port = wait_for(lambda: open(port_file).readline().strip() if os.path.exists(port_file) else None, 30, "Chromium's DevTools port")
        targets = wait_for(lambda: [t for t in fetch_json(f"http://127.0.0.1:{port}/json/list") if t["type"] == "page"], 10, "a page")
        self.socket = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def fetch_json(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except OSError:
        return None


def wait_for(probe, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, RuntimeError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def set_value(browser, element, value):
    browser.evaluate(f"document.getElementById({json.dumps(element)}).value = {json.dumps(value)}")


def main():
    server, screenshot = sys.argv[1].rstrip("/"), sys.argv[2]
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(profile)
        try:
            run(browser, server, screenshot)
        finally:
            browser.close()


def run(browser, server, screenshot):
    browser.call("Page.enable")
    browser.call("Page.navigate", url=server + "/")
    surveys = wait_for(lambda: browser.evaluate("document.getElementById('hips').options.length"), 20, "the survey list")
    assert surveys >= 2, surveys
    # A name found by the server fills the coordinates and the field of view.
    set_value(browser, "name", "M31")
    browser.evaluate("document.getElementById('find').click()")
    wait_for(lambda: browser.evaluate("document.getElementById('status').textContent.includes('found')"), 20, "M31 found")
    ra = float(browser.evaluate("document.getElementById('ra').value"))
    dec = float(browser.evaluate("document.getElementById('dec').value"))
    assert abs(ra - 10.6847) < 0.01 and abs(dec - 41.269) < 0.01, (ra, dec)
    for element, value in [("hips", "embedded:Mellinger"), ("fov", "60"), ("width", "640"), ("height", "400"),
                           ("projection", "AIT"), ("format", "jpg")]:
        set_value(browser, element, value)
    browser.evaluate("document.getElementById('render').click()")
    shown = wait_for(lambda: browser.evaluate("document.getElementById('image').dataset.shown"), 30, "the image")
    assert shown == "640x400", shown
    url = browser.evaluate("document.getElementById('url').value")
    assert url.startswith(server + "/hips2fits?"), url
    for part in ("hips=embedded%3AMellinger", "width=640", "height=400", "projection=AIT", "format=jpg"):
        assert part in url, (part, url)
    # The URL is the API call itself: fetched on its own, it gives the same image.
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.headers["Content-Type"] == "image/jpeg"
    # A refused request shows the server's title and description.
    set_value(browser, "width", "100000")
    browser.evaluate("document.getElementById('render').click()")
    wait_for(lambda: browser.evaluate("document.getElementById('status').className === 'error'"), 20, "the error")
    message = browser.evaluate("document.getElementById('status').textContent")
    assert message.startswith("Bad number: `width`"), message
    set_value(browser, "width", "640")
    browser.evaluate("document.getElementById('render').click()")
    wait_for(lambda: browser.evaluate("document.getElementById('image').dataset.shown === '640x400'"), 30, "the image again")
    capture = browser.call("Page.captureScreenshot", format="png")
    with open(screenshot, "wb") as out:
        out.write(base64.b64decode(capture["data"]))
    print(f"page: {shown} image shown from {url}; screenshot {screenshot}")


if __name__ == "__main__":
    main()
