#!/usr/bin/env bash
# Real clients against `hipscut serve` on loopback: astroquery's hips2fits client, unmodified,
# and the web page in headless Chromium (a screenshot lands in target/serve-page.png).
# Installs Chromium (Debian) and a Python venv with tests/clients/requirements.txt if absent.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${HIPSCUT:-target/release/hipscut}
VENV=${CLIENT_VENV:-target/client-venv}
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

if ! command -v chromium >/dev/null; then
    $SUDO apt-get update -q >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || {
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
        python3 -m venv "$VENV"
    }
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r tests/clients/requirements.txt

# The server: the DSS2Red sample and the embedded survey; its Sesame is a closed local port, so
# names come from the built-in table and nothing leaves the machine.
LOG=$(mktemp)
"$BIN" serve --listen 127.0.0.1:0 --survey DSS2=tests/data/DSS2Red --no-cache \
    --sesame http://127.0.0.1:9/ 2>"$LOG" &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
URL=""
for _ in $(seq 100); do
    URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$LOG" | head -1 || true)
    if [ -n "$URL" ]; then break; fi
    sleep 0.1
done
if [ -z "$URL" ]; then
    cat "$LOG"
    echo "the server did not start" >&2
    exit 1
fi

"$VENV/bin/python" tests/clients/astroquery_client.py "$URL"
"$VENV/bin/python" tests/clients/page_test.py "$URL" target/serve-page.png

# SIGTERM: the server finishes and exits 0.
kill -TERM "$PID"
wait "$PID"
echo "clients: astroquery and the page passed; the server stopped cleanly"
