# apps/httpd in a guest on a TAP, served to curl and python3 clients in a network namespace (root).
# shellcheck shell=bash
source "$SRC/tests/netns.sh"

# The guest's address, the TAP's (host side), and the guest's console output.
httpd_ip=10.0.0.2
httpd_url=http://10.0.0.2
httpd_pid=
httpd_ns=

# httpd_www: $T/www.cpio with www/index.html, www/notes.txt and a 5 MB random www/big.bin.
httpd_www() {
	mkdir -p "$T/root/www/docs"
	printf '<!doctype html>\n<title>mica</title>\n<p>Served by Mica.</p>\n' >"$T/root/www/index.html"
	printf 'plain notes\n' >"$T/root/www/notes.txt"
	printf 'docs index\n' >"$T/root/www/docs/index.html"
	head -c 5000000 /dev/urandom >"$T/root/www/big.bin"
	(cd "$T/root" && find www | cpio -o -H newc --quiet) >"$T/www.cpio"
}

# httpd_start: a namespace with TAP mtap0 (10.0.0.1/24) and the httpd guest on it, ready to serve.
httpd_start() {
	httpd_www
	netns_new httpd_ns
	netns_tap "$httpd_ns" mtap0 10.0.0.1/24
	netns_start "$httpd_ns" "$T/guest.out" "$MICA" run --net "tap=mtap0,ip=$httpd_ip/24,gw=10.0.0.1" \
		--initrd "$T/www.cpio" "$(image httpd)"
	httpd_pid=$netns_pid
	netns_wait_for "$T/guest.out" "httpd: listening on :80" 20 "$httpd_pid"
}

# httpd_stop: ends the guest; it must still have been running (a crash is a failure).
httpd_stop() {
	if ! kill -0 "$httpd_pid" 2>/dev/null; then
		echo "error: the httpd guest exited during the test; its output:" >&2
		tail -n 20 "$T/guest.out" >&2
		return 1
	fi
	netns_stop "$httpd_pid"
	assert_not_contains "$(cat "$T/guest.out")" "panic" "guest output"
}

# in_ns CMD...: CMD in the test's namespace, where the guest is reachable.
in_ns() { netns_exec "$httpd_ns" "$@"; }

# httpd_raw: sends stdin as is on one connection to the guest and prints all it answers until it
# closes, CRs removed: for what curl will not send (pipelining, odd versions).
httpd_raw() {
	in_ns "$netns_python" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=10)
s.sendall(sys.stdin.buffer.read())
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("latin-1"))
' "$httpd_ip" | tr -d '\r'
}

test_httpd_guest_answers_ping() {
	httpd_start
	in_ns ping -c 3 -i 0.2 -W 2 "$httpd_ip" >"$T/ping" 2>&1 || { cat "$T/ping" >&2; false; }
	assert_file_contains "$T/ping" "3 received"
	httpd_stop
}

test_httpd_get_serves_the_file_with_its_type() {
	httpd_start
	in_ns curl -sS -D "$T/headers" -o "$T/body" "$httpd_url/"
	assert_eq "$(cat "$T/root/www/index.html")" "$(cat "$T/body")" "body of /"
	assert_contains "$(tr -d '\r' <"$T/headers")" $'HTTP/1.1 200 OK\n' "status line"
	assert_contains "$(tr -d '\r' <"$T/headers")" "Content-Type: text/html; charset=utf-8" "type of .html"
	assert_contains "$(tr -d '\r' <"$T/headers")" "Content-Length: $(stat -c %s "$T/root/www/index.html")"
	assert_eq "text/plain; charset=utf-8" "$(in_ns curl -sS -o /dev/null -w '%{content_type}' "$httpd_url/notes.txt")"
	assert_eq "docs index" "$(in_ns curl -sS "$httpd_url/docs/")" "a directory's index.html"
	httpd_stop
}

test_httpd_head_sends_the_get_headers_without_a_body() {
	httpd_start
	in_ns curl -sS -D "$T/get" -o /dev/null "$httpd_url/notes.txt"
	# --head makes curl expect no body; had one come, it would show up as trailing output.
	in_ns curl -sS --head "$httpd_url/notes.txt" >"$T/head"
	assert_eq "$(cat "$T/get")" "$(cat "$T/head")" "HEAD response against GET headers"
	# On a raw connection: the HEAD response is followed directly by the next response.
	printf 'HEAD /notes.txt HTTP/1.1\r\nHost: g\r\n\r\nGET /notes.txt HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n' |
		httpd_raw >"$T/raw"
	assert_eq 2 "$(grep -c '^HTTP/1.1 200 OK$' "$T/raw")" "responses on one connection"
	assert_eq 1 "$(grep -c '^plain notes$' "$T/raw")" "bodies (only GET has one)"
	httpd_stop
}

test_httpd_keep_alive_and_connection_close() {
	httpd_start
	assert_eq $'1\n0' "$(in_ns curl -sS -w '%{num_connects}\n' -o /dev/null "$httpd_url/hello" -o /dev/null "$httpd_url/notes.txt")" \
		"new connections for two URLs (HTTP/1.1 keeps the first)"
	assert_eq $'1\n1' "$(in_ns curl -sS -H 'Connection: close' -w '%{num_connects}\n' \
		-o /dev/null "$httpd_url/hello" -o /dev/null "$httpd_url/notes.txt")" "new connections with Connection: close"
	assert_eq $'1\n1' "$(in_ns curl -sS --http1.0 -w '%{num_connects}\n' \
		-o /dev/null "$httpd_url/hello" -o /dev/null "$httpd_url/notes.txt")" "new connections for HTTP/1.0"
	assert_contains "$(in_ns curl -sS -D - -o /dev/null -H 'Connection: close' "$httpd_url/hello" | tr -d '\r')" \
		"Connection: close" "the close is announced"
	httpd_stop
}

test_httpd_pipelined_requests_are_answered_in_order() {
	httpd_start
	{
		printf 'GET /%s HTTP/1.1\r\nHost: g\r\n\r\n' notes.txt missing hello
		printf 'GET /docs/ HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n'
	} | httpd_raw >"$T/raw"
	assert_eq $'HTTP/1.1 200 OK\nHTTP/1.1 404 Not Found\nHTTP/1.1 200 OK\nHTTP/1.1 200 OK' \
		"$(grep '^HTTP/' "$T/raw")" "status lines, in request order"
	assert_eq $'plain notes\n404 Not Found\ndocs index' "$(grep -E '^(plain|404 |docs)' "$T/raw")" "bodies, in order"
	httpd_stop
}

test_httpd_errors_404_405_400_and_traversal() {
	httpd_start
	assert_eq 404 "$(in_ns curl -sS -o "$T/body" -w '%{http_code}' "$httpd_url/no/such/file")" "missing file"
	assert_eq "404 Not Found" "$(cat "$T/body")" "404 body"
	assert_eq 405 "$(in_ns curl -sS -o /dev/null -X DELETE -w '%{http_code}' "$httpd_url/notes.txt")" "DELETE"
	assert_eq 405 "$(in_ns curl -sS -o /dev/null -w '%{http_code}' "$httpd_url/echo")" "GET /echo"
	assert_eq 400 "$(in_ns curl -sS -o /dev/null --path-as-is -w '%{http_code}' "$httpd_url/../../etc/passwd")" ".."
	assert_eq 400 "$(in_ns curl -sS -o /dev/null --path-as-is -w '%{http_code}' "$httpd_url/docs/%2e%2e/%2e%2e/x")" \
		"encoded .."
	assert_eq "HTTP/1.1 505 HTTP Version Not Supported" \
		"$(printf 'GET / HTTP/3.0\r\nHost: g\r\n\r\n' | httpd_raw | head -n 1)" "HTTP/3.0"
	assert_eq "HTTP/1.1 400 Bad Request" "$(printf 'GET / HTTP/1.1\r\nHost : g\r\n\r\n' | httpd_raw | head -n 1)" \
		"space before a colon"
	assert_eq 414 "$(in_ns curl -sS -o /dev/null -w '%{http_code}' "$httpd_url/$(head -c 3000 /dev/zero | tr '\0' a)")" \
		"a 3000-byte target"
	assert_eq 413 "$(in_ns curl -sS -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)" \
		"$httpd_url/")" "a 9 KB header"
	# Still serving after all of that.
	assert_eq 200 "$(in_ns curl -sS -o /dev/null -w '%{http_code}' "$httpd_url/")" "a request after the errors"
	httpd_stop
}

test_httpd_serves_a_5mb_file_intact() {
	httpd_start
	in_ns curl -sS -o "$T/big.got" "$httpd_url/big.bin"
	assert_eq "$(sha256sum <"$T/root/www/big.bin")" "$(sha256sum <"$T/big.got")" "sha256 of big.bin"
	httpd_stop
}

test_httpd_serves_100_concurrent_connections() {
	httpd_start
	# All 100 connections are open before any request is sent, so the guest holds them at once.
	in_ns "$netns_python" -c '
import socket, sys
socks = [socket.create_connection((sys.argv[1], 80), timeout=20) for _ in range(100)]
for s in socks:
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n")
counts = set()
for s in socks:
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 OK"):
        sys.exit("bad response: %r" % data[:200])
    counts.add(body.split()[-1])
print("%d responses, %d distinct counters" % (len(socks), len(counts)))
' "$httpd_ip" >"$T/concurrent"
	assert_eq "100 responses, 100 distinct counters" "$(cat "$T/concurrent")"
	# And curl's own parallel transfers, each on a new connection (curl shows their progress on
	# stderr even when silent).
	local transfers=() i
	for i in $(seq 100); do transfers+=(-o /dev/null "$httpd_url/notes.txt?$i"); done
	in_ns curl -sS --parallel --parallel-immediate --parallel-max 100 -w '%{http_code}\n' "${transfers[@]}" \
		>"$T/codes" 2>"$T/curl.err" || { cat "$T/curl.err" >&2; false; }
	assert_eq 100 "$(grep -cx 200 "$T/codes")" "200s among curl's 100 parallel transfers"
	httpd_stop
}

test_httpd_echo_returns_the_posted_body() {
	httpd_start
	head -c 20000 /dev/urandom >"$T/post"
	in_ns curl -sS --data-binary @"$T/post" -H 'Content-Type: application/octet-stream' -o "$T/echoed" "$httpd_url/echo"
	assert_eq "$(sha256sum <"$T/post")" "$(sha256sum <"$T/echoed")" "the echoed body"
	assert_eq 413 "$(head -c 70000 /dev/zero | in_ns curl -sS --data-binary @- -o /dev/null -w '%{http_code}' \
		"$httpd_url/echo")" "a 70 KB body"
	assert_contains "$(in_ns curl -sS "$httpd_url/hello")" "Hello from Mica httpd, request " "/hello"
	httpd_stop
}

# The guest's socket layer caps connections below this (lwIP's pools, the fd table): the server's
# own limit is checked on its native build, the benchmark baseline, from the same source.
test_httpd_native_build_holds_1100_connections() {
	cc -O2 -Wall -Wextra -Werror "$SRC"/apps/httpd/*.c -o "$T/httpd-native"
	mkdir -p "$T/www"
	printf 'native\n' >"$T/www/index.html"
	netns_new httpd_ns
	ip -n "$httpd_ns" addr add 10.0.0.2/24 dev lo
	ulimit -n 4096
	netns_start "$httpd_ns" "$T/native.out" "$T/httpd-native" --quiet --root "$T/www"
	httpd_pid=$netns_pid
	netns_wait_for "$T/native.out" "httpd: listening on :80" 10 "$httpd_pid"
	in_ns "$netns_python" -c '
import socket, sys
socks = [socket.create_connection((sys.argv[1], 80), timeout=20) for _ in range(1100)]
for s in socks:
    s.sendall(b"GET / HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n")
ok = 0
for s in socks:
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    ok += data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"\r\n\r\nnative\n")
print("%d of %d answered" % (ok, len(socks)))
' "$httpd_ip" >"$T/many"
	assert_eq "1100 of 1100 answered" "$(cat "$T/many")"
	netns_stop "$httpd_pid"
}
