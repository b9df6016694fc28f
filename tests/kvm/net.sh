# mica run --backend kvm --net inside the test VM: netback on a TAP serving a hardware-VM guest.

# kvm_tap NAME ADDR/PREFIX: a persistent TAP with the host side's address, removed when the test ends.
kvm_tap() {
	tunctl -t "$1" >/dev/null
	trap "tunctl -d $1 >/dev/null 2>&1 || true" EXIT
	ip addr add "$2" dev "$1"
	ip link set "$1" up
}

test_kvm_net_guest_answers_ping() {
	local pid rc=0
	kvm_tap mk0 10.0.7.1/24
	"$MICA" run --stats --net tap=mk0,ip=10.0.7.2/24 "$(kvm_image netping)" 20 >"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 2000); do grep -q "up 10.0.7.2" "$T/out" && break; sleep 0.01; done
	assert_file_contains "$T/out" "netping: vif0 up 10.0.7.2"
	ping -c 5 -i 0.2 -W 2 10.0.7.2 >"$T/ping" 2>&1 || { cat "$T/ping" >&2; kill "$pid"; wait "$pid" || true; return 1; }
	assert_file_contains "$T/ping" "5 packets received"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq 143 "$rc" "exit status after SIGTERM"
	assert_file_contains "$T/err" "stats: vif0: tx "
}

test_kvm_net_httpd_serves_a_file() {
	local pid rc=0
	kvm_tap mk1 10.0.8.1/24
	mkdir -p "$T/root/www" && head -c 100000 /dev/urandom >"$T/root/www/blob"
	(cd "$T/root" && find . | cpio -o -H newc 2>/dev/null) >"$T/www.cpio"
	"$MICA" run --net tap=mk1,ip=10.0.8.2/24 --initrd "$T/www.cpio" "$(kvm_image httpd)" --quiet >"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 3000); do grep -q "listening" "$T/out" && break; sleep 0.01; done
	assert_file_contains "$T/out" "httpd: listening on :80"
	wget -q -O "$T/got" http://10.0.8.2/blob || { cat "$T/err" >&2; kill "$pid"; wait "$pid" || true; return 1; }
	assert_eq "$(md5sum <"$T/root/www/blob")" "$(md5sum <"$T/got")" "file fetched from the kvm guest"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq 143 "$rc" "exit status after SIGTERM"
}
