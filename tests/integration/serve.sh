# `mica serve`: the function gateway with apps/lua-fn handlers, a fresh instance per request, and its limits.

# fn_initrd NAME LUA: $T/NAME.cpio holding LUA as /handler.lua.
fn_initrd() {
	mkdir -p "$T/$1"
	printf '%s\n' "$2" >"$T/$1/handler.lua"
	(cd "$T/$1" && printf 'handler.lua\n' | cpio -o -H newc --quiet) >"$T/$1.cpio"
}

# example_initrd NAME: the initrd of examples/NAME.
example_initrd() {
	mkdir -p "$T/$1"
	cp "$SRC/examples/$1/handler.lua" "$T/$1/"
	(cd "$T/$1" && printf 'handler.lua\n' | cpio -o -H newc --quiet) >"$T/$1.cpio"
}

# fn NAME [OPTIONS]: a --function value running lua-fn with $T/NAME.cpio.
fn() { printf '%s=%s,initrd=%s%s' "$1" "$(image lua-fn)" "$T/$1.cpio" "${2:+,$2}"; }

# serve_start ARGS...: starts the gateway on a free port of 127.0.0.1; sets SERVE_PID and URL.
serve_start() {
	"$MICA" serve --listen 127.0.0.1:0 "$@" 2>"$T/serve.err" &
	SERVE_PID=$!
	local i port=
	for ((i = 0; i < 200; i++)); do
		port=$(sed -n 's|^mica serve: listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/serve.err")
		[[ -n $port ]] && break
		if ! kill -0 "$SERVE_PID" 2>/dev/null; then
			_mica_say "mica serve did not start:" stderr "$(cat "$T/serve.err")"
			return 1
		fi
		sleep 0.05
	done
	[[ -n $port ]] || { _mica_say "mica serve printed no address in 10 s"; return 1; }
	URL=http://127.0.0.1:$port
}

# serve_stop: SIGTERM, then the gateway must exit 0.
serve_stop() {
	local rc=0
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID" || rc=$?
	assert_eq 0 "$rc" "mica serve's exit status after SIGTERM"
}

# get PATH [CURL ARGS...]: "STATUS" on the first line, then the body; the headers in $T/headers.
get() {
	local path=$1
	shift
	curl -s --max-time 30 -D "$T/headers" -o "$T/body" -w '%{http_code}\n' "$@" "$URL$path"
	cat "$T/body"
}

test_serve_get_query_and_status() {
	example_initrd hello
	serve_start --function "$(fn hello)"
	assert_eq $'200\nHello, Ada L!' "$(get '/hello?name=Ada%20L')" "GET with a query"
	assert_eq $'200\nHello, world!' "$(get /hello/sub/path)" "a path below the function"
	serve_stop
	assert_eq 1 "$(wc -l <"$T/serve.err")" "stderr lines without --verbose (the address only)"
}

test_serve_verbose_logs_one_line_per_request() {
	example_initrd hello
	serve_start --verbose --function "$(fn hello)"
	get /hello >/dev/null
	get /nothere >/dev/null
	serve_stop
	assert_file_contains "$T/serve.err" "mica serve: GET /hello -> 200 in "
	assert_file_contains "$T/serve.err" "mica serve: GET /nothere -> 404"
	assert_eq 2 "$(grep -c -- ' -> ' "$T/serve.err")" "request lines"
}

test_serve_post_headers_and_binary_body() {
	example_initrd echo
	serve_start --function "$(fn echo)"
	printf 'line1\nwith\0nul\r\nend' >"$T/payload"
	local out
	out=$(get '/echo/a%20b?x=1&y' -X POST --data-binary "@$T/payload" -H 'X-Mixed-Case: Yes' -H 'Content-Type: app/x')
	assert_contains "$out" $'200\nPOST /echo/a b\nquery: x=1&y\n' "method, decoded path and raw query"
	assert_contains "$out" $'\nx-mixed-case: Yes\n' "header keys are lower-case"
	assert_contains "$out" $'\ncontent-type: app/x\n' "content-type is passed on"
	assert_file_contains "$T/headers" "X-Body-Length: 19"
	assert_file_contains "$T/headers" "Content-Type: text/plain"
	# The echoed body is the payload byte for byte, after the blank line the handler writes.
	tail -c 19 "$T/body" >"$T/echoed"
	cmp "$T/payload" "$T/echoed" || { _mica_say "the body did not come back byte for byte"; return 1; }
	serve_stop
}

test_serve_handler_status_and_headers() {
	fn_initrd teapot 'return function(req) return {status = 418, headers = {["X-Kind"] = "tea", ["X-N"] = 3}, body = req.method} end'
	serve_start --function "$(fn teapot)"
	assert_eq $'418\nDELETE' "$(get /teapot -X DELETE)" "status and body from the handler's table"
	assert_file_contains "$T/headers" "X-Kind: tea"
	assert_file_contains "$T/headers" "X-N: 3"
	serve_stop
}

test_serve_concurrent_requests_each_get_a_fresh_instance() {
	# A per-instance counter: an instance that served a second request would answer 2.
	fn_initrd counter 'local n = 0
return function(req) n = n + 1; return tostring(n) end'
	serve_start --function "$(fn counter max=4,queue=64)"
	local i pids=()
	for ((i = 0; i < 20; i++)); do
		curl -s --max-time 50 -o "$T/c$i" -w '%{http_code}' "$URL/counter" >"$T/s$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for ((i = 0; i < 20; i++)); do
		assert_eq 200 "$(cat "$T/s$i")" "status of parallel request $i"
		assert_eq 1 "$(cat "$T/c$i")" "the counter of request $i's instance"
	done
	serve_stop
}

test_serve_timeout_gives_504_and_kills_the_instance() {
	fn_initrd spin 'return function(req) while true do end end'
	serve_start --function "$(fn spin timeout=1)"
	local out
	out=$(get /spin)
	assert_contains "$out" "504" "status after the timeout"
	assert_contains "$out" "ran longer than its timeout of 1 s" "the 504's body"
	serve_stop
}

test_serve_failing_function_gives_502_and_the_gateway_goes_on() {
	fn_initrd boom 'return function(req) if req.query.die then error("boom") end return "alive" end'
	fn_initrd quit 'return function(req) os.exit(7) end'
	serve_start --function "$(fn boom)" --function "$(fn quit)"
	local out
	out=$(get '/boom?die=1')
	assert_contains "$out" "502" "a handler error"
	assert_contains "$out" "function boom failed: exit status 1" "its body"
	out=$(get /quit)
	assert_contains "$out" "function quit failed: exit status 7" "a handler that exits 7"
	assert_eq $'200\nalive' "$(get /boom)" "the next request"
	serve_stop
}

test_serve_malformed_response_gives_502() {
	fn_initrd liar 'return function(req) io.write("no framing at all") os.exit(0) end'
	serve_start --function "$(fn liar)"
	local out
	out=$(get /liar)
	assert_contains "$out" "502" "status"
	assert_contains "$out" "malformed response: the response has no blank line" "body"
	serve_stop
}

test_serve_oversize_response_gives_502() {
	fn_initrd big 'return function(req) return string.rep("x", 1 << 20) end'
	serve_start --function "$(fn big response=64K)"
	local out
	out=$(get /big)
	assert_contains "$out" $'502\nfunction big wrote more than its response limit of 65536 bytes' "oversize"
	serve_stop
}

test_serve_queue_full_gives_503() {
	# Busy for 2 to 3 s: one runs, one waits in the queue of 1, the third finds the queue full.
	fn_initrd slow 'return function(req) local t = os.time() while os.time() - t < 3 do end return "done" end'
	serve_start --function "$(fn slow max=1,queue=1,timeout=30)"
	local i pids=()
	for ((i = 0; i < 3; i++)); do
		curl -s --max-time 50 -o "$T/b$i" -w '%{http_code}\n' "$URL/slow" >"$T/s$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	assert_eq $'200\n200\n503' "$(cat "$T"/s? | sort)" "statuses of three requests with max=1,queue=1"
	assert_contains "$(cat "$T"/b?)" "function slow is busy: 1 instances running and 1 requests queued" "the 503's body"
	serve_stop
}

test_serve_unknown_function_gives_404() {
	example_initrd hello
	serve_start --function "$(fn hello)"
	assert_eq $'404\nno function at this path' "$(get /nothere)" "unknown function"
	assert_eq $'404\nno function at this path' "$(get /)" "the root"
	assert_eq $'404\nno function at this path' "$(get /hellox)" "a name that only starts like a function's"
	head -c $((1024 * 1024 + 1)) /dev/zero >"$T/big"
	assert_eq $'413\nrequest body over 1 MiB' "$(get /hello --data-binary "@$T/big")" "a body over 1 MiB"
	serve_stop
}

test_serve_cli_errors() {
	assert_exit 0 "$MICA" serve --help
	assert_file_contains "$T/out" "--function NAME=FILE"
	assert_exit 125 "$MICA" serve --listen 127.0.0.1:0
	assert_file_contains "$T/err" "at least one --function"
	assert_exit 125 "$MICA" serve --listen 127.0.0.1:0 --function 'a=/x,mem=lots'
	assert_file_contains "$T/err" "mem=lots: expected a size"
	assert_eq 1 "$(wc -l <"$T/err")" "a bad option is one line"
	assert_exit 125 "$MICA" serve --listen 127.0.0.1:0 --function "a=$T/missing"
	assert_file_contains "$T/err" "missing: cannot open"
	printf 'not an image' >"$T/junk"
	assert_exit 125 "$MICA" serve --listen 127.0.0.1:0 --function "a=$T/junk"
	assert_file_contains "$T/err" "neither a mica image nor a snapshot"
	assert_exit 125 "$MICA" serve --listen 127.0.0.1:0 --function "a=$(image lua-fn),initrd=$T/missing"
	assert_file_contains "$T/err" "initrd"
	# A port in use: another gateway holds it.
	example_initrd hello
	serve_start --function "$(fn hello)"
	assert_exit 125 "$MICA" serve --listen "${URL#http://}" --function "$(fn hello)"
	assert_file_contains "$T/err" "Address in use"
	serve_stop
}

# guests_of PID: the gateway's child processes (its instances' guests), one pid a line.
guests_of() { pgrep -P "$1" || true; }

# assert_gone PIDS...: each process has ended (or is a zombie of an init reaping it) within 10 s.
assert_gone() {
	local pid i state
	for pid in "$@"; do
		for ((i = 0; i < 200; i++)); do
			state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)
			[[ -z $state || $state == Z ]] && break
			sleep 0.05
		done
		[[ -z $state || $state == Z ]] || { _mica_say "process $pid outlived the gateway:" ps "$(ps -o pid,ppid,stat,comm -p "$pid")"; return 1; }
	done
}

# serve_kill_test SIGNAL: a gateway with a spinning request, warm guests and parked ones gets
# SIGNAL; every guest must end.
serve_kill_test() {
	fn_initrd spin 'return function(req) while true do end end'
	snapshot spin
	serve_start --function "$(fn spin timeout=100,warm=2)" --function "parked=$T/spin.snap,warm=2"
	curl -s --max-time 50 -o /dev/null "$URL/spin" &
	local curl_pid=$! i guests
	# Two warm guests, two parked ones and the request's: five guest processes, children of the gateway.
	for ((i = 0; i < 200; i++)); do
		guests=$(guests_of "$SERVE_PID")
		(($(wc -w <<<"$guests") >= 5)) && break
		sleep 0.05
	done
	(($(wc -w <<<"$guests") >= 5)) || { _mica_say "fewer than 5 guests started:" guests "$guests"; return 1; }
	assert_eq "$(wc -w <<<"$guests")" "$(grep -lx mica-guest $(sed 's|.*|/proc/&/comm|' <<<"$guests") 2>/dev/null | wc -l)" \
		"children of the gateway that are guest processes"
	if [[ $1 == TERM ]]; then
		serve_stop
	else
		kill -KILL "$SERVE_PID"
		wait "$SERVE_PID" || true
	fi
	wait "$curl_pid" || true
	# shellcheck disable=SC2086
	assert_gone $guests
}

test_serve_sigterm_stops_running_instances() {
	serve_kill_test TERM
}

test_serve_sigkill_leaves_no_guest_behind() {
	serve_kill_test KILL
}

# proc_count PID: "FDS THREADS" of the process.
proc_count() { printf '%s %s' "$(ls "/proc/$1/fd" | wc -l)" "$(awk '/^Threads:/ { print $2 }' "/proc/$1/status")"; }

# settled PID: proc_count once it has not changed for 1.5 s (within 20 s): warm instances topped
# up, connection threads gone after their client, idle monitor threads ended (after 1 s).
settled() {
	local last= now stable=0 i
	for ((i = 0; i < 200; i++)); do
		now=$(proc_count "$1")
		if [[ $now == "$last" ]]; then
			((++stable >= 15)) && break
		else
			stable=0
			last=$now
		fi
		sleep 0.1
	done
	printf '%s' "$now"
}

# requests_config FILE PATH COUNT: appends COUNT requests of $URL/PATH to a curl config.
requests_config() {
	local i
	for ((i = 0; i < $3; i++)); do
		printf 'url = "%s/%s"\noutput = "/dev/null"\n' "$URL" "$2" >>"$1"
	done
}

test_serve_300_requests_leak_no_fd_thread_or_memory() {
	example_initrd hello
	fn_initrd boom 'return function(req) error("boom") end'
	fn_initrd spin 'return function(req) while true do end end'
	fn_initrd big 'return function(req) return string.rep("x", 1 << 16) end'
	snapshot hello
	snapshot boom
	serve_start --function "snap=$T/hello.snap,warm=1,max=2" --function "$(fn hello warm=1)" \
		--function "$(fn boom warm=0)" \
		--function "$(fn spin timeout=0.2,warm=1)" --function "$(fn big response=4K,warm=0)" \
		--function "crash=$T/boom.snap,warm=1,max=2"
	# Every kind once, so what the gateway allocates for good (libmicrohttpd, malloc's arenas) is there before counting.
	local kind
	for kind in snap hello boom spin big crash; do
		get "/$kind" >/dev/null
	done
	# And the snapshots' parked guests grown to their max=2, as two requests at a time grow them.
	: >"$T/warmup"
	requests_config "$T/warmup" snap 20
	requests_config "$T/warmup" crash 20
	curl -s --no-progress-meter --max-time 50 --parallel --parallel-max 4 -K "$T/warmup" -o /dev/null
	local before rss_before
	before=$(settled "$SERVE_PID")
	rss_before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE_PID/status")
	: >"$T/requests"
	requests_config "$T/requests" snap 120
	requests_config "$T/requests" hello 120
	requests_config "$T/requests" boom 15
	requests_config "$T/requests" crash 15
	requests_config "$T/requests" spin 15
	requests_config "$T/requests" big 15
	curl -s --no-progress-meter --max-time 50 --parallel --parallel-max 4 -K "$T/requests" -w '%{http_code}\n' >"$T/statuses"
	assert_eq $'240 200\n45 502\n15 504' "$(sort "$T/statuses" | uniq -c | sed 's/^ *//')" "statuses of 300 requests"
	local after
	after=$(settled "$SERVE_PID")
	assert_eq "$before" "$after" "the gateway's open fds and threads before and after 300 requests"
	local rss_after
	rss_after=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE_PID/status")
	((rss_after - rss_before < 4096)) || { _mica_say "the gateway's RSS grew by $((rss_after - rss_before)) KiB over 300 requests"; return 1; }
	serve_stop
}

# snapshot NAME: $T/NAME.snap, lua-fn with $T/NAME.cpio saved at its ready point (handler loaded).
snapshot() {
	assert_exit 0 "$MICA" run --snapshot "$T/$1.snap" --mem 16M --initrd "$T/$1.cpio" "$(image lua-fn)" </dev/null
}

test_serve_snapshot_answers_like_a_cold_boot() {
	example_initrd echo
	snapshot echo
	serve_start --function "$(fn echo)" --function "snap=$T/echo.snap"
	local cold warm
	cold=$(get '/echo/p?q=1' -X PUT --data-binary 'same body' -H 'X-A: b' -H 'Host: h')
	warm=$(get '/snap/p?q=1' -X PUT --data-binary 'same body' -H 'X-A: b' -H 'Host: h')
	assert_eq "${cold/\/echo\/p//snap/p}" "$warm" "the restored instance's answer (path aside)"
	assert_contains "$warm" $'200\nPUT /snap/p\nquery: q=1\n' "request line"
	serve_stop
}

test_serve_snapshot_restores_into_a_parked_guest() {
	example_initrd hello
	snapshot hello
	serve_start --verbose --function "parked=$T/hello.snap,warm=1" --function "fresh=$T/hello.snap,warm=0"
	# The parked guest process is the gateway's only child until a request comes.
	local i
	for ((i = 0; i < 200; i++)); do
		[[ -n $(guests_of "$SERVE_PID") ]] && break
		sleep 0.05
	done
	assert_eq "mica-guest" "$(cat "/proc/$(guests_of "$SERVE_PID")/comm")" "the parked guest process"
	assert_eq $'200\nHello, p!' "$(get '/parked?name=p')" "an instance restored into the parked guest"
	assert_eq $'200\nHello, f!' "$(get '/fresh?name=f')" "an instance restored into a new guest process"
	serve_stop
	[[ $(grep -c 'GET /parked -> 200 in [0-9.]* ms (restore to ready [0-9.]* us, parked): exit 0' "$T/serve.err") == 1 ]] ||
		{ _mica_say "no parked restore logged:" log "$(cat "$T/serve.err")"; return 1; }
	[[ $(grep -c 'GET /fresh -> 200 in [0-9.]* ms (restore to ready [0-9.]* us): exit 0' "$T/serve.err") == 1 ]] ||
		{ _mica_say "no unparked restore logged:" log "$(cat "$T/serve.err")"; return 1; }
}

test_serve_snapshot_instances_are_fresh_and_random() {
	fn_initrd counter 'local n = 0
return function(req) n = n + 1; return tostring(n) end'
	example_initrd dice
	snapshot counter
	snapshot dice
	serve_start --function "counter=$T/counter.snap" --function "dice=$T/dice.snap"
	assert_eq $'200\n1' "$(get /counter)" "first restored instance's counter"
	assert_eq $'200\n1' "$(get /counter)" "second restored instance's counter"
	local a b
	a=$(get '/dice?n=30')
	b=$(get '/dice?n=30')
	assert_contains "$a" $'200\n{"dice":[' "a dice roll"
	[[ $a != "$b" ]] || { _mica_say "two restored instances rolled the same 30 dice:" roll "$a"; return 1; }
	serve_stop
}

test_serve_snapshot_errors() {
	fn_initrd hello 'return function(req) return "hi" end'
	snapshot hello
	assert_exit 125 "$MICA" serve --listen 127.0.0.1:0 --function "a=$T/hello.snap,initrd=$T/hello.cpio"
	assert_file_contains "$T/err" "initrd= does not apply to a snapshot"
	head -c 4096 "$T/hello.snap" >"$T/short.snap"
	assert_exit 125 "$MICA" serve --listen 127.0.0.1:0 --function "a=$T/short.snap"
	assert_file_contains "$T/err" "--function a: $T/short.snap:"
	assert_eq 1 "$(wc -l <"$T/err")" "a corrupt snapshot is one line"
}

# recycle_snapshot: $T/rc.snap, tests/apps/recycle saved at its ready point.
recycle_snapshot() {
	assert_exit 0 "$MICA" run --snapshot "$T/rc.snap" --mem 16M "$(image recycle)" </dev/null
}

# What tests/apps/recycle reports in a fresh instance: nothing of any earlier one.
RC_FRESH=$'200\ndata=1 bss=0 heap=0\nxmm15=0 ymm15hi=0 zmm31hi=0 k7=0 x87=0\nmxcsr=1f80 fcw=37f df=0 ac=0\ngs=0 ds=0 es=0 fs=0'

test_serve_recycled_guest_process_keeps_nothing_of_the_previous_instance() {
	recycle_snapshot
	serve_start --verbose --function "rc=$T/rc.snap,warm=1"
	# Each instance marks RAM, vector, x87 and mask registers, MXCSR, RFLAGS and selectors, and powers off.
	local i
	for ((i = 1; i <= 4; i++)); do
		assert_eq "$RC_FRESH" "$(get "/rc?n=$i")" "instance $i's view of what the instance before it left"
	done
	serve_stop
	assert_eq 4 "$(grep -c 'GET /rc -> 200 in ' "$T/serve.err")" "requests answered"
	[[ $(grep -c 'recycled: run [0-9]* of its process): exit 0' "$T/serve.err") -ge 2 ]] ||
		{ _mica_say "no instance ran in a recycled guest process:" log "$(cat "$T/serve.err")"; return 1; }
}

test_serve_failed_crashed_or_timed_out_guest_process_is_not_recycled() {
	recycle_snapshot
	fn_initrd boom 'return function(req) error("boom") end'
	fn_initrd spin 'return function(req) while true do end end'
	snapshot boom
	snapshot spin
	serve_start --verbose --function "rc=$T/rc.snap,warm=1" --function "boom=$T/boom.snap,warm=1" \
		--function "spin=$T/spin.snap,warm=1,timeout=0.2"
	assert_eq 502 "$(get /boom | head -n 1)" "a failing function"
	assert_eq 502 "$(get /boom | head -n 1)" "a failing function, again"
	assert_eq 504 "$(get /spin | head -n 1)" "a function past its timeout"
	assert_eq 504 "$(get /spin | head -n 1)" "a function past its timeout, again"
	assert_eq 502 "$(get '/rc?crash' | head -n 1)" "a crashing instance"
	assert_eq "$RC_FRESH" "$(get /rc)" "the instance after the crash"
	serve_stop
	if grep -E 'GET /(boom|spin|rc) .*recycled' "$T/serve.err"; then
		_mica_say "an instance ran in the guest process of a failed, timed-out or crashed one:" log "$(cat "$T/serve.err")"
		return 1
	fi
}

test_serve_recycling_keeps_the_guest_processes_bounded() {
	example_initrd hello
	snapshot hello
	serve_start --function "snap=$T/hello.snap,warm=2,max=4"
	: >"$T/requests"
	requests_config "$T/requests" 'snap?name=r' 60
	curl -s --no-progress-meter --max-time 50 --parallel --parallel-max 6 -K "$T/requests" -w '%{http_code}\n' >"$T/statuses"
	assert_eq '60 200' "$(sort "$T/statuses" | uniq -c | sed 's/^ *//')" "statuses of 60 requests, 6 at a time"
	settled "$SERVE_PID" >/dev/null
	# Parked guests: warm=2, grown toward max=4 by requests that found none, never beyond.
	local guests
	guests=$(guests_of "$SERVE_PID" | wc -l)
	((guests >= 2 && guests <= 4)) || { _mica_say "$guests guest processes left after 60 requests (warm=2, max=4)"; return 1; }
	serve_stop
}
