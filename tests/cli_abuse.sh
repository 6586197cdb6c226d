#!/bin/sh
# Service abuse (issue 6): a real `celeb serve` on 127.0.0.1 (free port) fed
# a slow client (one body byte a second), 200 idle connections, a request
# claiming a 10 GB body, and a multipart form of 10,000 parts, all at once;
# meanwhile other clients are answered (healthz, a detection), memory stays
# bounded, idle connections are closed after --idle-timeout, and the server
# stops cleanly with no sanitizer report. "ok"/"not ok" lines for tests/run.sh.
set -u
. "$(dirname "$0")/lib.sh"
M=$SHARED/data/media
PID=
trap 'kill $PID 2>/dev/null; rm -rf "$T"' EXIT
"$CELEB" serve --port 0 --gallery "$T/g.db" --api-key abuse-key-123 --workers 1 --threads 1 --queue 4 \
    --idle-timeout 5 --max-connections 300 >"$T/log" 2>&1 &
PID=$!
PORT=$(listening_port "$T/log" $PID)
check "server started on 127.0.0.1:${PORT:-?}" "[ -n '$PORT' ]"
$PY -c "from PIL import Image; Image.open('$M/fr_two_people.jpg').resize((300, 250)).save('$T/small.jpg')"

$PY - "$PORT" "$PID" "$T/small.jpg" >"$T/abuse.out" 2>&1 <<'PYEOF'
import socket, sys, threading, time, urllib.request
port, pid, small = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def rss_mb():
    for line in open('/proc/%s/status' % pid):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
def conn():
    return socket.create_connection(('127.0.0.1', port), timeout=30)
def request(method, path, body=b'', headers=()):
    s = conn()
    s.sendall(('%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n%s\r\n'
               % (method, path, len(body), ''.join(h + '\r\n' for h in headers))).encode() + body)
    data = b''
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return int(data.split(b' ', 2)[1]) if data.startswith(b'HTTP/') else 0, data

request('POST', '/v1/detect', open(small, 'rb').read(), ['Content-Type: image/jpeg'])   # warm: the nets load
base = rss_mb()
# 1. a slow client: headers, then one body byte a second (it stays under the idle timeout)
slow = conn()
slow.sendall(b'POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n')
slow_sent = [0]
def drip():
    for _ in range(12):
        try:
            slow.sendall(b'\xff')
            slow_sent[0] += 1
        except OSError:
            return
        time.sleep(1)
threading.Thread(target=drip, daemon=True).start()
# 2. 200 idle connections that send nothing
idle = [conn() for _ in range(200)]
time.sleep(1)
# 3. meanwhile: others are answered
t0 = time.time()
st, _ = request('GET', '/healthz')
print('healthz', st, '%.2f' % (time.time() - t0))
t0 = time.time()
st, _ = request('POST', '/v1/detect', open(small, 'rb').read(), ['Content-Type: image/jpeg'])
print('detect', st, '%.2f' % (time.time() - t0))
# 4. a 10 GB Content-Length: refused at once, nothing read
s = conn()
t0 = time.time()
s.sendall(b'POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/gif\r\nContent-Length: 10737418240\r\n\r\n')
resp = s.recv(4096)
print('huge', int(resp.split(b' ', 2)[1]) if resp.startswith(b'HTTP/') else 0, '%.2f' % (time.time() - t0))
s.close()
# 5. a multipart form of 10,000 parts (no file among them)
parts = b''.join(b'--abuse-boundary-7\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(10000)) + b'--abuse-boundary-7--\r\n'
t0 = time.time()
st, body = request('POST', '/v1/detect', parts, ['Content-Type: multipart/form-data; boundary=abuse-boundary-7'])
print('parts', st, '%.2f' % (time.time() - t0), body.split(b'\r\n\r\n', 1)[-1][:120].decode(errors='replace'))
print('rss', '%.0f' % base, '%.0f' % rss_mb())
# 6. the idle connections are closed by the server after --idle-timeout (5 s)
time.sleep(8)
closed = 0
for c in idle:
    c.settimeout(0.5)
    try:
        closed += c.recv(1) == b''
    except (socket.timeout, OSError):
        pass
print('idle_closed', closed, len(idle))
print('slow_sent', slow_sent[0])
st, _ = request('GET', '/healthz')
print('healthz_after', st)
PYEOF
sed 's/^/# abuse: /' "$T/abuse.out"
val() { sed -n "s/^$1 //p" "$T/abuse.out"; }
# field N of a result line (1 = status or first number)
f() { val "$1" | cut -d' ' -f"$2"; }
HZ=$(f healthz 1); HZT=$(f healthz 2); DT=$(f detect 1); DTT=$(f detect 2); HG=$(f huge 1); HGT=$(f huge 2)
PS=$(f parts 1); PST=$(f parts 2); R0=$(f rss 1); R1=$(f rss 2)
lt() { $PY -c "import sys; sys.exit(0 if float('${1:-99999}') < float('$2') else 1)"; }
check "with a slow client and 200 idle connections open, /healthz answers 200 within 2 s (${HZT:-?} s)" \
    "[ '${HZ:-}' = 200 ] && lt '$HZT' 2"
check "... and a detection answers 200 within 30 s (${DTT:-?} s)" "[ '${DT:-}' = 200 ] && lt '$DTT' 30"
check "a 10 GB Content-Length: 413 within 2 s, no body read (${HGT:-?} s)" "[ '${HG:-}' = 413 ] && lt '$HGT' 2"
check "a multipart of 10,000 parts without a file: a 4xx JSON error within 10 s (${PS:-?} in ${PST:-?} s)" \
    "lt '${PS:-0}' 500 && ! lt '${PS:-0}' 400 && lt '$PST' 10"
check "memory bounded: RSS grew by less than 200 MB through all of it (${R0:-?} -> ${R1:-?} MB)" \
    "lt \$(( ${R1:-99999} - ${R0:-0} )) 200"
check "the 200 idle connections were closed by the server after --idle-timeout 5" "[ \"\$(val idle_closed)\" = '200 200' ]"
check "the slow client kept dripping (not cut off while it sent), the server still answers" \
    "[ \"\$(val slow_sent)\" -ge 10 ] && [ \"\$(val healthz_after)\" = 200 ]"
kill -TERM $PID
wait $PID
rc=$?
PID=
check "SIGTERM: exit 0, no sanitizer or leak report" "[ $rc -eq 0 ] && ! grep -q 'ERROR: \\(Address\\|Leak\\)Sanitizer\\|runtime error' '$T/log'"
