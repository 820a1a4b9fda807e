"""Fixtures of the Python package's tests: the repository's sample surveys, the CLI built by
`cargo test --release`, an engine that never leaves the machine, and an HTTP server of the
samples on 127.0.0.1 that logs every request."""

import os
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import hipscut

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
#: A closed port: a name lookup fails at once instead of reaching CDS.
NOWHERE = "http://127.0.0.1:9/"


def cli() -> Path:
    path = Path(os.environ.get("HIPSCUT_BIN", REPO / "target" / "release" / "hipscut"))
    if not path.is_file():
        raise RuntimeError(f"no hipscut binary at {path}: run `cargo build --release` first")
    return path


def run_cli(*args: str) -> None:
    """Runs the CLI, offline; fails the test with its message if it fails."""
    done = subprocess.run(
        [str(cli()), "-q", *args, "--no-cache", "--sesame", NOWHERE],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session", autouse=True)
def offline_engine(tmp_path_factory):
    """Every test's engine: its own disk cache, names resolved nowhere but the built-in table."""
    hipscut.configure(cache_dir=tmp_path_factory.mktemp("cache"), sesame=NOWHERE)


class Server(ThreadingHTTPServer):
    # socketserver's backlog of 5 drops the SYNs of a client that opens 16 connections at
    # once, and TCP sends them again a second later.
    request_queue_size = 128


class LoggingHandler(SimpleHTTPRequestHandler):
    """Serves the sample folder and notes each request's path and User-Agent."""

    def __init__(self, *args, log, **kwargs):
        self.log = log
        super().__init__(*args, **kwargs)

    def do_GET(self):
        with self.log["lock"]:
            self.log["requests"].append((self.path, self.headers.get("User-Agent", "")))
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture()
def sample_server():
    """The samples over HTTP on 127.0.0.1: (base URL, request log)."""
    log = {"lock": threading.Lock(), "requests": []}
    handler = partial(LoggingHandler, directory=str(DATA), log=log)
    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", log
    finally:
        server.shutdown()
        server.server_close()
