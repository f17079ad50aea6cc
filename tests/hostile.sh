#!/bin/sh
# hostile.sh: slowloris and slow-read attacks (slowhttptest) on a local chatd
# while a normal user, from another loopback address, measures delivery.
#
#   sh tests/hostile.sh            (or: make check-hostile)
#
# Everything stays on 127.0.0.1; each attack is bounded by ATTACK_S seconds.
# Exit 0 when the user never lost a message nor waited past MAX_MS.
# Without slowhttptest (Debian: apt-get install slowhttptest) it says so and
# exits 0.

ATTACK_S=${ATTACK_S:-20}
CONNS=${CONNS:-500}
MAX_MS=${MAX_MS:-500}
CHATD=${CHATD:-./chatd}
PROBE=${PROBE:-tests/out/hostile_probe}
OUT=tests/out/hostile
chatd_pid=
chatd_status=0

if ! command -v slowhttptest >/dev/null 2>&1; then
	echo "hostile: slowhttptest is not installed (apt-get install slowhttptest): skipped"
	exit 0
fi
for f in "$CHATD" "$PROBE"; do
	if [ ! -x "$f" ]; then
		echo "hostile: $f is missing: run make check-hostile" >&2
		exit 2
	fi
done
mkdir -p "$OUT"

stop_chatd() {
	if [ -n "$chatd_pid" ]; then
		kill -TERM "$chatd_pid" 2>/dev/null
		wait "$chatd_pid" 2>/dev/null
		chatd_status=$?
		chatd_pid=
	fi
}
trap 'stop_chatd' EXIT
trap 'stop_chatd; exit 130' INT TERM

# start_chatd NAME ARGS...: starts chatd on a free port; sets port and chatd_pid.
start_chatd() {
	name=$1
	shift
	"$CHATD" -b 127.0.0.1 -p 0 "$@" 2>"$OUT/$name.log" &
	chatd_pid=$!
	port=
	i=0
	while [ $i -lt 50 ] && [ -z "$port" ]; do
		port=$(sed -n 's|^chatd: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' \
		    "$OUT/$name.log")
		[ -z "$port" ] && sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$port" ]; then
		echo "hostile: chatd did not start:" >&2
		cat "$OUT/$name.log" >&2
		exit 2
	fi
}

# cpu_ticks PID: user + system clock ticks so far (0 without /proc).
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

failed=0
summary=

# attack NAME "CHATD ARGS" "SLOWHTTPTEST ARGS"
attack() {
	name=$1
	# shellcheck disable=SC2086
	start_chatd "$name" $2
	cpu0=$(cpu_ticks "$chatd_pid")
	echo "== $name: chatd ${2:-(default limits)} on port $port; slowhttptest $3"
	# shellcheck disable=SC2086
	timeout $((ATTACK_S + 30)) slowhttptest $3 -c "$CONNS" -r 200 \
	    -l "$ATTACK_S" -p 3 -u "http://127.0.0.1:$port/" \
	    -g -o "$OUT/$name" >"$OUT/$name.sht" 2>&1 &
	sht=$!
	# chatd's open descriptors, once a second: the most it held.
	(
		peak=0
		while kill -0 "$sht" 2>/dev/null; do
			n=$(ls "/proc/$chatd_pid/fd" 2>/dev/null | wc -l)
			[ "$n" -gt "$peak" ] && peak=$n && echo "$peak" >"$OUT/$name.fds"
			sleep 1
		done
	) &
	sampler=$!
	sleep 2	# let the attack build up first
	"$PROBE" "$port" $((ATTACK_S - 4)) 127.0.0.2 "$MAX_MS" \
	    >"$OUT/$name.probe" 2>&1
	probe_rc=$?
	wait "$sht"
	wait "$sampler"
	fds=$(cat "$OUT/$name.fds" 2>/dev/null)
	cpu1=$(cpu_ticks "$chatd_pid")
	alive=yes
	kill -0 "$chatd_pid" 2>/dev/null || alive=no
	rss=$(awk '/^VmHWM/ { print $2 " " $3 }' "/proc/$chatd_pid/status" 2>/dev/null)
	stop_chatd
	cat "$OUT/$name.probe"
	# slowhttptest's own view, from its per-second statistics.
	awk -F, 'NR > 1 {
		if ($4 > peak) peak = $4
		if ($5 == 0) down++
		secs = $1; closed = $2; open = $4
	}
	END {
		printf "  slowhttptest: %d s, at most %d connections open at once, " \
		    "%d closed by chatd, %d open in its last sample, service " \
		    "unavailable %d s\n", secs, peak, closed, open, down
	}' "$OUT/$name.csv"
	sed 's/\x1b\[[0-9;]*m//g' "$OUT/$name.sht" |
	    sed -n 's/^\(Test ended.*\|Exit status: .*\)$/  slowhttptest: \1/p'
	refused=$(grep -c ': refused:' "$OUT/$name.log")
	cut=$(grep -c ': cut off:' "$OUT/$name.log")
	echo "  chatd: alive $alive, exit $chatd_status, CPU $((cpu1 - cpu0)) ticks, peak RSS ${rss:-?}, at most ${fds:-?} descriptors, $refused refused, $cut cut off"
	verdict=ok
	if [ $probe_rc -ne 0 ] || [ $alive = no ] || [ "$chatd_status" -ne 0 ]; then
		verdict=FAILED
		failed=1
	fi
	summary="$summary
  $name: $verdict: $(sed -n 's/^probe: //p' "$OUT/$name.probe")"
}

# Slowloris with the default per-address limit (-i 64): most of the attack
# is refused at once.
attack slowloris-default "" "-H -i 1 -x 10"
# The same with no per-address limit to speak of: chatd holds every
# connection and drops each when its head is not complete after 10 s.
attack slowloris-open "-i 10000" "-H -i 1 -x 10"
# Slow read: tiny windows, a few bytes read every 2 s.
attack slowread "-i 10000" "-X -w 1 -y 16 -n 2 -z 4 -k 3"

echo "== summary (a user from 127.0.0.2, every message within $MAX_MS ms):$summary"
[ $failed -eq 0 ] && echo "hostile: PASS" || echo "hostile: FAIL"
exit $failed
