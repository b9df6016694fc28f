# mica's OCI runtime commands driven directly, as an engine would (no engine): create, start, state, kill, delete, ps, pause.

# oci_bundle DIR IMAGE [ARG...]: a bundle at DIR whose rootfs holds IMAGE as /app and whose process runs it with ARGs.
oci_bundle() {
	local dir=$1 image=$2 args='"/app"' a
	shift 2
	for a in "$@"; do args+=",\"$a\""; done
	mkdir -p "$dir/rootfs"
	cp "$image" "$dir/rootfs/app"
	cat >"$dir/config.json" <<JSON
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "args": [$args], "env": ["PATH=/", "GREETING=hi"], "cwd": "/"},
 "root": {"path": "rootfs"},
 "hostname": "mica",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}], "resources": {"memory": {"limit": 67108864}}},
 "annotations": {"org.example": "yes"}}
JSON
}

# oci COMMAND...: mica with this test's --root and --log (JSON lines).
oci() { "$MICA" --root "$T/root" --log "$T/log.json" --log-format json "$@"; }

# oci_status ID: the container's status from `mica state`.
oci_status() { oci state "$1" | sed -n 's/^ *"status": "\([a-z]*\)",*$/\1/p'; }

# oci_wait ID STATUS: waits (up to 30 s) until the container has STATUS.
oci_wait() {
	local i s
	for ((i = 0; i < 300; i++)); do
		s=$(oci_status "$1")
		[[ $s == "$2" ]] && return 0
		sleep 0.1
	done
	_mica_say "container $1 never became $2:" status "$s"
	return 1
}

# oci_create ID BUNDLE: creates with a pid file; the VMM's output goes to $T/ID.out and .err.
oci_create() {
	oci create --bundle "$2" --pid-file "$T/$1.pid" "$1" >"$T/$1.out" 2>"$T/$1.err" </dev/null
}

test_oci_hello_create_start_state_delete() {
	oci_bundle "$T/b" "$(image helloworld)" a b
	oci_create c1 "$T/b"
	local pid
	pid=$(cat "$T/c1.pid")
	[[ $pid =~ ^[0-9]+$ ]] || { echo "error: pid file holds '$pid'" >&2; return 1; }
	assert_eq created "$(oci_status c1)" "status after create"
	assert_contains "$(oci state c1)" "\"pid\": $pid," "state's pid"
	assert_contains "$(oci state c1)" '"org.example": "yes"' "state's annotations"
	assert_contains "$(oci state c1)" "\"bundle\": \"$T/b\"" "state's bundle"
	[[ -p $T/root/c1/exec.fifo ]] || { echo "error: no start fifo while created" >&2; return 1; }
	assert_contains "$(oci list)" "c1                       $pid"
	assert_contains "$(oci list --format json)" "\"id\":\"c1\",\"pid\":$pid,\"status\":\"created\""
	# The VMM waits for start: nothing booted yet.
	assert_eq "" "$(cat "$T/c1.out")" "output before start"
	oci start c1
	oci_wait c1 stopped
	assert_file_contains "$T/c1.out" "Hello from Mica"
	assert_file_contains "$T/c1.out" "arg 2: b"
	assert_eq 0 "$(cat "$T/root/c1/exit")" "the guest's exit status"
	assert_contains "$(oci state c1)" '"pid": 0,' "a stopped container's pid"
	assert_exit 1 oci start c1
	assert_contains "$(cat "$T/err")" "cannot start a container that is stopped"
	oci delete c1
	[[ ! -e $T/root/c1 ]] || { echo "error: delete left $(ls "$T/root/c1")" >&2; return 1; }
	assert_exit 1 oci state c1
	assert_contains "$(cat "$T/err")" "container does not exist"
}

test_oci_exit_status_is_the_guests() {
	oci_bundle "$T/b" "$(image guestctl)" status 7
	oci_create c7 "$T/b"
	oci start c7
	oci_wait c7 stopped
	assert_eq 7 "$(cat "$T/root/c7/exit")" "exit status"
	oci delete c7
}

test_oci_rootfs_files_reach_the_guest() {
	oci_bundle "$T/b" "$(image lua)" /scripts/hello.lua
	mkdir -p "$T/b/rootfs/scripts"
	printf 'print("from the rootfs: " .. os.getenv("GREETING"))\n' >"$T/b/rootfs/scripts/hello.lua"
	mkfifo "$T/b/rootfs/a-fifo"
	oci_create cl "$T/b"
	oci start cl
	oci_wait cl stopped
	assert_file_contains "$T/cl.out" "from the rootfs: hi"
	assert_eq 0 "$(cat "$T/root/cl/exit")" "lua's exit status"
	oci delete cl
}

test_oci_kill_stops_a_long_guest() {
	oci_bundle "$T/b" "$(image guestctl)" sleep 600000
	oci_create ck "$T/b"
	oci start ck
	assert_eq running "$(oci_status ck)"
	local pids
	pids=$(oci ps --format json ck)
	[[ $pids =~ ^\[[0-9]+,[0-9]+\]$ ]] || { echo "error: ps --format json gave '$pids', not the VMM and its guest" >&2; return 1; }
	assert_contains "$(oci ps ck)" "PID"
	oci kill ck
	oci_wait ck stopped
	assert_eq 143 "$(cat "$T/root/ck/exit")" "exit status after SIGTERM"
	local p
	for p in $(tr -d '[]' <<<"$pids" | tr , ' '); do
		if [[ -e /proc/$p ]] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
			echo "error: process $p of the container outlived it" >&2
			return 1
		fi
	done
	assert_exit 1 oci kill ck KILL
	assert_contains "$(cat "$T/err")" "container not running"
	oci delete ck
}

test_oci_kill_before_start() {
	oci_bundle "$T/b" "$(image helloworld)"
	oci_create cb "$T/b"
	oci kill cb SIGKILL
	oci_wait cb stopped
	assert_eq "" "$(cat "$T/cb.out")" "output of a container never started"
	oci delete cb
}

test_oci_pause_resume() {
	oci_bundle "$T/b" "$(image guestctl)" sleep 600000
	oci_create cp "$T/b"
	oci start cp
	oci pause cp
	assert_eq paused "$(oci_status cp)"
	local pid p
	pid=$(cat "$T/cp.pid")
	for p in $pid $(cat /proc/"$pid"/task/*/children); do
		assert_contains "$(grep State "/proc/$p/status")" "stopped" "process $p while paused"
	done
	assert_exit 1 oci pause cp
	assert_contains "$(cat "$T/err")" "container is paused, not running"
	oci resume cp
	assert_eq running "$(oci_status cp)"
	for p in $pid $(cat /proc/"$pid"/task/*/children); do
		assert_not_contains "$(grep State "/proc/$p/status")" "stopped" "process $p after resume"
	done
	oci kill cp KILL
	oci_wait cp stopped
	oci delete cp
}

test_oci_delete_needs_force_while_running() {
	oci_bundle "$T/b" "$(image guestctl)" sleep 600000
	oci_create cf "$T/b"
	oci start cf
	local pid
	pid=$(cat "$T/cf.pid")
	assert_exit 1 oci delete cf
	assert_contains "$(cat "$T/err")" "cannot delete a container that is running"
	assert_eq running "$(oci_status cf)"
	oci delete --force cf
	[[ ! -e $T/root/cf ]] || { echo "error: delete --force left the state directory" >&2; return 1; }
	if [[ -e /proc/$pid ]] && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
		echo "error: delete --force left the VMM $pid running" >&2
		return 1
	fi
	assert_exit 0 oci delete --force cf
	assert_exit 1 oci delete cf
	assert_contains "$(cat "$T/err")" "container does not exist"
}

test_oci_broken_config_is_one_line_and_logged() {
	mkdir -p "$T/b/rootfs"
	printf '{"process": {"args": ["/app"], "env": "not a list"}, "root": {"path": "rootfs"}}' >"$T/b/config.json"
	assert_exit 1 oci create --bundle "$T/b" cx
	assert_eq 1 "$(wc -l <"$T/err")" "stderr lines"
	assert_contains "$(cat "$T/err")" "process.env must be an array of strings"
	local line
	line=$(grep '"level":"error"' "$T/log.json")
	assert_contains "$line" '"msg":"create cx: config.json: process.env must be an array of strings"'
	[[ $line =~ \"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\"\}$ ]] || { echo "error: log line '$line' has no time" >&2; return 1; }
	[[ ! -e $T/root/cx ]] || { echo "error: a failed create left its state directory" >&2; return 1; }

	printf '{"process": {"args": [' >"$T/b/config.json"
	assert_exit 1 oci create --bundle "$T/b" cx
	assert_contains "$(cat "$T/err")" "config.json: line 1"
	printf '{"process": {"args": ["/missing"]}, "root": {"path": "rootfs"}}' >"$T/b/config.json"
	assert_exit 1 oci create --bundle "$T/b" cx
	assert_contains "$(cat "$T/err")" "no image '/missing' in the container's root file system"
	# Outside the root file system is out of reach, however the path is spelled.
	printf '{"process": {"args": ["../../../../..%s"]}, "root": {"path": "rootfs"}}' "$(image helloworld)" >"$T/b/config.json"
	assert_exit 1 oci create --bundle "$T/b" cx
	assert_contains "$(cat "$T/err")" "no image"
	[[ ! -e $T/root/cx ]] || { echo "error: a failed create left its state directory" >&2; return 1; }
}

test_oci_unsupported_fields_are_logged_not_fatal() {
	oci_bundle "$T/b" "$(image helloworld)"
	sed -i 's/"hostname"/"hooks": {"createContainer": [{"path": "\/bin\/true"}]}, "hostname"/' "$T/b/config.json"
	sed -i 's/"cwd": "\/"/"cwd": "\/", "capabilities": {"bounding": ["CAP_KILL"]}/' "$T/b/config.json"
	oci_create cu "$T/b"
	assert_file_contains "$T/log.json" '"level":"warning","msg":"config.json: hooks.createContainer is not supported by mica: ignored"'
	assert_file_contains "$T/log.json" '"level":"warning","msg":"config.json: process.capabilities is not supported by mica: ignored"'
	oci delete cu
}

test_oci_hooks_run_with_the_state() {
	oci_bundle "$T/b" "$(image helloworld)"
	local hook='{"path": "/bin/sh", "args": ["sh", "-c", "cat >> '"$T"'/hooks.log; echo >> '"$T"'/hooks.log; echo %s >> '"$T"'/hooks.log"]}'
	# shellcheck disable=SC2059
	sed -i "s|\"hostname\"|\"hooks\": {\"prestart\": [$(printf "$hook" pre)], \"createRuntime\": [$(printf "$hook" cr)], \"poststart\": [$(printf "$hook" post)], \"poststop\": [$(printf "$hook" stop)]}, \"hostname\"|" "$T/b/config.json"
	oci_create ch "$T/b"
	local pid
	pid=$(cat "$T/ch.pid")
	assert_eq "pre cr" "$(grep -E '^[a-z]+$' "$T/hooks.log" | tr '\n' ' ' | sed 's/ $//')" "hooks run by create"
	assert_contains "$(head -n 1 "$T/hooks.log")" "\"pid\":$pid," "the state a hook reads"
	assert_contains "$(head -n 1 "$T/hooks.log")" '"status":"created"'
	oci start ch
	assert_eq "pre cr post" "$(grep -E '^[a-z]+$' "$T/hooks.log" | tr '\n' ' ' | sed 's/ $//')" "hooks run by start"
	oci_wait ch stopped
	oci delete ch
	assert_eq "pre cr post stop" "$(grep -E '^[a-z]+$' "$T/hooks.log" | tr '\n' ' ' | sed 's/ $//')" "hooks run by delete"
}

test_oci_failing_prestart_hook_fails_create() {
	oci_bundle "$T/b" "$(image helloworld)"
	sed -i 's|"hostname"|"hooks": {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo no network for you; exit 3"]}]}, "hostname"|' "$T/b/config.json"
	assert_exit 1 oci create --bundle "$T/b" --pid-file "$T/pid" cz
	assert_contains "$(cat "$T/err")" "prestart hook /bin/sh failed with status 3: no network for you"
	[[ ! -e $T/root/cz && ! -e $T/pid ]] || { echo "error: a failed create left its state or pid file" >&2; return 1; }
}

test_oci_create_twice_is_refused() {
	oci_bundle "$T/b" "$(image helloworld)"
	oci_create cd "$T/b"
	assert_exit 1 oci create --bundle "$T/b" cd
	assert_contains "$(cat "$T/err")" "already exists"
	assert_eq created "$(oci_status cd)" "the first container"
	oci delete cd
}

test_oci_vmm_holds_no_stray_descriptors() {
	oci_bundle "$T/b" "$(image helloworld)"
	echo data >"$T/b/rootfs/file"
	oci_create cn "$T/b"
	local pid fds
	pid=$(cat "$T/cn.pid")
	# stdio, the image, the initrd's memfd and the state directory: no pipe, no socket, no rootfs.
	fds=$(for f in /proc/"$pid"/fd/*; do n=${f##*/}; ((n > 2)) && readlink "$f"; done | sort)
	assert_eq 3 "$(wc -l <<<"$fds")" "descriptors beyond stdio: $fds"
	assert_contains "$fds" "/memfd:mica-initrd"
	assert_contains "$fds" "$T/b/rootfs/app"
	assert_not_contains "$fds" "pipe:"
	oci delete cn
	[[ ! -e /proc/$pid ]] || grep -q '^State:.*Z' "/proc/$pid/status" ||
		{ echo "error: delete of a created container left its VMM" >&2; return 1; }
}

test_oci_version_features_exec() {
	assert_exit 0 "$MICA" --version
	assert_contains "$(head -n 1 "$T/out")" "mica version "
	assert_eq "spec: 1.0.2" "$(sed -n 2p "$T/out")"
	assert_exit 0 "$MICA" features
	assert_contains "$(cat "$T/out")" '"ociVersionMax": "1.0.2"'
	assert_exit 1 oci exec -t c1 /bin/sh
	assert_contains "$(cat "$T/err")" "exec is not supported"
	assert_exit 0 "$MICA" create --help
	assert_contains "$(cat "$T/out")" "--console-socket"
	assert_exit 1 "$MICA" --root "$T/root" kill c1 NOSUCHSIG
	assert_contains "$(cat "$T/err")" "not a signal"
}

test_oci_pod_sandbox_waits_without_a_guest() {
	mkdir -p "$T/b/rootfs"
	printf '{"process": {"args": ["/pause"]}, "root": {"path": "rootfs"}, "annotations": {"io.kubernetes.cri.container-type": "sandbox"}}' >"$T/b/config.json"
	oci_create sb "$T/b"
	oci start sb
	assert_eq running "$(oci_status sb)"
	assert_eq "[$(cat "$T/sb.pid")]" "$(oci ps --format json sb)" "a sandbox's processes"
	oci kill sb TERM
	oci_wait sb stopped
	oci delete sb
}

test_oci_guest_dies_with_its_vmm() {
	oci_bundle "$T/b" "$(image guestctl)" sleep 600000
	oci_create cv "$T/b"
	oci start cv
	local pids p
	pids=$(oci ps --format json cv | tr -d '[]' | tr , ' ')
	kill -KILL "$(cat "$T/cv.pid")"
	oci_wait cv stopped
	local i alive=1
	for ((i = 0; i < 100 && alive; i++)); do
		alive=0
		for p in $pids; do
			if [[ -e /proc/$p ]] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then alive=1; fi
		done
		((alive)) && sleep 0.1
	done
	assert_eq 0 "$alive" "a process of $pids still alive after the VMM was killed"
	oci delete cv
}

test_oci_new_network_namespace_is_not_the_hosts() {
	oci_bundle "$T/b" "$(image helloworld)"
	sed -i 's/{"type": "mount"}/{"type": "mount"}, {"type": "network"}/' "$T/b/config.json"
	oci_create cs "$T/b"
	local pid
	pid=$(cat "$T/cs.pid")
	[[ $(readlink /proc/"$pid"/ns/net) != "$(readlink /proc/self/ns/net)" ]] ||
		{ echo "error: the VMM of a container with its own network namespace is in the host's" >&2; return 1; }
	oci start cs
	oci_wait cs stopped
	assert_file_contains "$T/cs.out" "Hello from Mica"
	oci delete cs
}

test_oci_initrd_size_is_capped() {
	oci_bundle "$T/b" "$(image helloworld)"
	truncate -s 300M "$T/b/rootfs/big"
	assert_exit 1 oci create --bundle "$T/b" cc
	assert_contains "$(cat "$T/err")" "the container's files need more than 256 MiB as an initrd"
	[[ ! -e $T/root/cc ]] || { echo "error: a failed create left its state directory" >&2; return 1; }
}

test_oci_memory_limit_has_a_floor() {
	oci_bundle "$T/b" "$(image helloworld)"
	sed -i 's/"limit": 67108864/"limit": 1048576/' "$T/b/config.json"
	oci_create cm "$T/b"
	assert_file_contains "$T/log.json" "memory limit 1048576 bytes is below what a guest boots in: the guest gets 16 MiB"
	oci start cm
	oci_wait cm stopped
	assert_file_contains "$T/cm.out" "Hello from Mica"
	oci delete cm
}

# A console socket as engines make one: receives the pty master and copies what it reads to a file.
oci_console_receiver() {
	python3 - "$1" "$2" <<'PY'
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
msg, anc, _, _ = c.recvmsg(256, socket.CMSG_SPACE(4))
fds = array.array('i')
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[:4])
with open(sys.argv[2], 'wb') as out:
    out.write(b'name ' + msg + b'\n')
    out.flush()
    while True:
        try:
            data = os.read(fds[0], 4096)
        except OSError:
            break
        if not data:
            break
        out.write(data)
        out.flush()
PY
}

test_oci_terminal_goes_over_the_console_socket() {
	oci_bundle "$T/b" "$(image helloworld)" over the pty
	sed -i 's/"terminal": false/"terminal": true/' "$T/b/config.json"
	assert_exit 1 oci create --bundle "$T/b" ct
	assert_contains "$(cat "$T/err")" "process.terminal is true but no --console-socket was given"
	oci_console_receiver "$T/console.sock" "$T/tty.out" &
	local receiver=$! i
	for ((i = 0; i < 300; i++)); do [[ -S $T/console.sock ]] && break; sleep 0.1; done
	oci create --bundle "$T/b" --console-socket "$T/console.sock" ct </dev/null >"$T/ct.out" 2>&1
	oci start ct
	oci_wait ct stopped
	wait "$receiver"
	assert_contains "$(head -n 1 "$T/tty.out")" "name /dev/pts/"
	assert_file_contains "$T/tty.out" "Hello from Mica"
	assert_file_contains "$T/tty.out" "arg 3: pty"
	assert_eq "" "$(cat "$T/ct.out")" "output outside the pty"
	oci delete ct
}
