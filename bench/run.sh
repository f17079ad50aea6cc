#!/bin/sh
# run.sh: start chatd and bench/load on separate cores; print what load measured.
#
# Usage, from the top of the tree after make:  sh bench/run.sh [load options]
# Environment: CHATD (./chatd), LOAD (bench/load), CHATD_ARGS (more chatd
# flags), CHATD_CPU and LOAD_CPU (the cores, 0 and 1).
# Only the chatd this script started is stopped, by its PID.

set -u

CHATD=${CHATD:-./chatd}
LOAD=${LOAD:-bench/load}
CHATD_CPU=${CHATD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CHATD_ARGS=${CHATD_ARGS:-}
STOP_TENTHS=50		# chatd drains for at most 2 s on SIGTERM

for f in "$CHATD" "$LOAD"; do
	[ -x "$f" ] || { echo "run.sh: $f is missing: run make first" >&2; exit 1; }
done

# 900 streams and the posts in flight, on both sides of the loopback.
ulimit -n 4096 2>/dev/null || ulimit -n 2048 2>/dev/null || true

# Pin only when there are two cores to pin to.
pin_chatd= pin_load=
if command -v taskset >/dev/null 2>&1 &&
    [ "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" -ge 2 ]; then
	pin_chatd="taskset -c $CHATD_CPU"
	pin_load="taskset -c $LOAD_CPU"
else
	echo "run.sh: no taskset or one core: chatd and load share the CPU" >&2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/chatd-bench.XXXXXX") || exit 1
log=$dir/chatd.log
: >"$log" || exit 1
pid=

# Stops our chatd: SIGTERM, then SIGKILL if it has not exited in 5 s.
stop_chatd() {
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt $STOP_TENTHS ]; do
		sleep 0.1; n=$((n + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "run.sh: chatd did not stop on SIGTERM: killed" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	chatd_status=$?
	pid=
}
trap 'stop_chatd; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

# -i: in case load cannot bind 127.0.0.x here and all comes from 127.0.0.1.
# -l: a stream reloads itself after -l lines; the saturation phase sends
# thousands, and a reload would end the stream in the middle of a count.
# shellcheck disable=SC2086
$pin_chatd "$CHATD" -p 0 -b 127.0.0.1 -i 100000 -l 1000000 $CHATD_ARGS \
    2>"$log" &
pid=$!

port=
n=0
while [ $n -lt 50 ]; do
	port=$(sed -n \
	    '1s|^chatd: listening on http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$log")
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1; n=$((n + 1))
done
if [ -z "$port" ]; then
	echo "run.sh: chatd did not start:" >&2
	cat "$log" >&2
	exit 1
fi
echo "chatd $pid on 127.0.0.1:$port${pin_chatd:+, $pin_chatd}; load${pin_load:+ $pin_load}"

# shellcheck disable=SC2086
$pin_load "$LOAD" -p "$port" -P "$pid" "$@"
status=$?

if ! kill -0 "$pid" 2>/dev/null; then
	echo "run.sh: chatd died during the run; its log ends:" >&2
	tail -n 20 "$log" >&2
	status=1
fi
chatd_status=0
stop_chatd
if [ "$chatd_status" -ne 0 ]; then
	echo "run.sh: chatd exited with status $chatd_status" >&2
	status=1
fi
# A chatd built with sanitizers reports here.
if grep -q -e 'Sanitizer' -e 'runtime error' "$log"; then
	echo "run.sh: sanitizer report in chatd's log:" >&2
	grep -A 20 -e 'Sanitizer' -e 'runtime error' "$log" | head -n 40 >&2
	status=1
fi
cut=$(grep -c 'cut off' "$log")
refused=$(grep -c 'refused' "$log")
echo "chatd log: $cut streams cut off for a full queue, $refused connections refused"
exit $status
