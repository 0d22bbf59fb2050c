#!/usr/bin/env bash
# The app's resident set with many idle keep-alive connections: after start, after opening
# CONNS (default 1024) connections, and after one GET of PATH (default /api/tracks/1/) on each,
# the connections then idle. The app at BIN serves a fresh SQLite file with 1,000 tracks:
#   bench/example-app/idle.sh target/release/example-app
set -euo pipefail
. "$(dirname "$0")/app.sh"
ulimit -n 20000 2>/dev/null || true
app_start "$1" 1000
python3 - "${base##*:}" "${CONNS:-1024}" "${PATH_TO_GET:-/api/tracks/1/}" "$pid" <<'PY'
import socket, sys, time
port, n, path, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def rss(when):
    fields = [l.split() for l in open(f"/proc/{pid}/status") if l.startswith(("VmRSS", "RssAnon"))]
    print(f"{when:<26}" + "  ".join(f"{k} {v} kB" for k, v, *_ in fields))
rss("after start")
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
time.sleep(0.5)
rss(f"{n} connected")
for s in socks:
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
for s in socks:
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(65536)
time.sleep(1.5)
rss("after one request each")
PY
