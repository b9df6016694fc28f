# The guest as a TCP client (tests/apps/tcpclient) of a python3 server on the host side of a TAP (root).
# shellcheck shell=bash
source "$SRC/tests/netns.sh"

tcp_ns=
tcp_server=

# tcp_setup: a namespace with TAP mtap0 at 10.0.0.1/24, where the guest will be 10.0.0.2.
tcp_setup() {
	netns_new tcp_ns
	netns_tap "$tcp_ns" mtap0 10.0.0.1/24
}

# tcp_server_start PORT: a one-connection server on 10.0.0.1:PORT that records the line it gets in
# $T/server.got and answers "echo: LINE"; ready once $T/server.out says so.
tcp_server_start() {
	netns_start "$tcp_ns" "$T/server.out" "$netns_python" -c '
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.0.0.1", int(sys.argv[1])))
srv.listen(1)
srv.settimeout(30)
print("server: ready", flush=True)
conn, peer = srv.accept()
conn.settimeout(30)
line = b""
while not line.endswith(b"\n"):
    chunk = conn.recv(1024)
    if not chunk:
        break
    line += chunk
open(sys.argv[2], "wb").write(line)
conn.sendall(b"echo: " + line)
conn.close()
print("server: peer %s" % peer[0], flush=True)
' "$1" "$T/server.got"
	tcp_server=$netns_pid
	netns_wait_for "$T/server.out" "server: ready" 10 "$tcp_server"
}

# tcp_guest ARGS...: tcpclient in a guest on mtap0 with address 10.0.0.2, under assert_exit's capture.
tcp_guest() {
	netns_exec "$tcp_ns" "$MICA" run --net tap=mtap0,ip=10.0.0.2/24,gw=10.0.0.1 "$(image tcpclient)" -- "$@"
}

test_guest_tcp_client_talks_to_a_host_server() {
	tcp_setup
	tcp_server_start 7007
	assert_exit 0 tcp_guest 10.0.0.1 7007 "hello from the guest"
	assert_file_contains "$T/out" "tcpclient: reply: echo: hello from the guest"
	wait "$tcp_server"
	assert_eq "hello from the guest" "$(cat "$T/server.got")" "what the server received"
	assert_file_contains "$T/server.out" "server: peer 10.0.0.2"
}

test_guest_tcp_client_reports_a_refused_connection() {
	tcp_setup
	assert_exit 1 tcp_guest 10.0.0.1 7008
	# The guest's stderr shares its console with stdout.
	assert_file_contains "$T/out" "tcpclient: connect: Connection refused"
}

test_guest_tcp_client_reaches_a_server_beyond_the_gateway() {
	tcp_setup
	# A second address on the TAP outside the guest's /24: reachable only through the gateway route.
	ip -n "$tcp_ns" addr add 192.168.77.1/24 dev mtap0
	netns_start "$tcp_ns" "$T/server.out" "$netns_python" -c '
import socket, sys
srv = socket.socket()
srv.bind(("192.168.77.1", 7009))
srv.listen(1)
srv.settimeout(30)
print("server: ready", flush=True)
conn, _ = srv.accept()
conn.sendall(b"routed\n")
conn.close()
'
	tcp_server=$netns_pid
	netns_wait_for "$T/server.out" "server: ready" 10 "$tcp_server"
	assert_exit 0 tcp_guest 192.168.77.1 7009
	assert_file_contains "$T/out" "tcpclient: reply: routed"
	wait "$tcp_server"
}
