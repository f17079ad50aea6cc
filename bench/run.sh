#!/bin/sh
# run.sh: chatd and nginx+nchan under the same load, size after size; a table at the end.
#
# Usage, from the top of the tree after make:  sh bench/run.sh [load options]
# Environment:
#   STREAMS       the sizes, streams held ("1000 5000 10000")
#   SERVERS       "chatd nchan"; nchan runs only if nginx and its module are here
#   TRANSPORTS    chatd's streams, each a run of its own: html (the chat
#                 frame), sse (/api/events), ws (/api/ws); "html" by default
#   FLOOD         1: also the login flood (bench/flood) on chatd; 0: not
#   PUBLISH       events a second: instead of user posts, a backend
#                 publishes through POST /api/publish (chatd -T, a token
#                 file in the scratch directory) for -d seconds
#   CHATD, LOAD, FLOODER   ./chatd, bench/load, bench/flood
#   FLOOR         bench/floor: before each size, the time one send() to
#                 each of N loopback streams takes on the server's core
#                 with no server at all ("": skip it)
#   CHATD_ARGS    more chatd flags
#   NGINX, NCHAN_MODULE    nginx, /usr/lib/nginx/modules/ngx_nchan_module.so
#   CHATD_CPU, LOAD_CPU    the server's core and the generator's (0 and 1)
#   PERF_DIR      if set, perf record -g each server's run into DIR/SERVER-N.data
#   NICE          if set, the niceness of server and generator, and of this
#                 session's autogroup (-10 as root: other work on the
#                 machine then disturbs the run less)
# Only what this script started is stopped, by its PID.

set -u

CHATD=${CHATD:-./chatd}
LOAD=${LOAD:-bench/load}
FLOODER=${FLOODER:-bench/flood}
FLOOR=${FLOOR-bench/floor}
STREAMS=${STREAMS-1000 5000 10000}
SERVERS=${SERVERS:-chatd nchan}
TRANSPORTS=${TRANSPORTS:-html}
FLOOD=${FLOOD:-1}
NGINX=${NGINX:-nginx}
NCHAN_MODULE=${NCHAN_MODULE:-/usr/lib/nginx/modules/ngx_nchan_module.so}
CHATD_CPU=${CHATD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CHATD_ARGS=${CHATD_ARGS:-}
PERF_DIR=${PERF_DIR:-}
NICE=${NICE:-}
PUBLISH=${PUBLISH:-}
CHATD_MAXCONN=19000	# under the hard descriptor limit of 20,000 here
STOP_TENTHS=50		# chatd drains for at most 2 s on SIGTERM
HERE=$(cd "$(dirname "$0")" && pwd)

for f in "$CHATD" "$LOAD"; do
	[ -x "$f" ] || { echo "run.sh: $f is missing: run make first" >&2; exit 1; }
done

. "$HERE/pin.sh" run.sh

have_nchan=0
if command -v "$NGINX" >/dev/null 2>&1 && [ -r "$NCHAN_MODULE" ]; then
	have_nchan=1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/chatd-bench.XXXXXX") || exit 1
results=$dir/results
: >"$results" || exit 1
srv_pid=	# the process we started: chatd, or nginx's master
# PUBLISH: a token only chatd and bench/load read (chatd wants the file 0600).
if [ -n "$PUBLISH" ]; then
	(umask 077 && od -An -N 24 -tx1 /dev/urandom | tr -d ' \n' >"$dir/tokens" &&
	    echo >>"$dir/tokens") || exit 1
	CHATD_ARGS="$CHATD_ARGS -T $dir/tokens"
	SERVERS=chatd
	FLOOD=0
fi
status=0

# Stops the server we started: SIGTERM, then SIGKILL after 5 s.
stop_server() {
	[ -n "$srv_pid" ] || return 0
	kill -TERM "$srv_pid" 2>/dev/null
	tick=0
	while kill -0 "$srv_pid" 2>/dev/null && [ $tick -lt $STOP_TENTHS ]; do
		sleep 0.1; tick=$((tick + 1))
	done
	if kill -0 "$srv_pid" 2>/dev/null; then
		echo "run.sh: server did not stop on SIGTERM: killed" >&2
		kill -KILL "$srv_pid" 2>/dev/null
	fi
	wait "$srv_pid" 2>/dev/null
	srv_status=$?
	srv_pid=
}
trap 'stop_server; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

# Starts chatd on core 0; sets srv_pid, port, measured (the PID to watch),
# limit (its connection limit, if it clamped -c).  Its log: $log.
start_chatd() {
	log=$dir/chatd.log
	: >"$log"
	# -i: one address may hold them all if 127.1.x.y cannot be bound.
	# -l: a stream reloads itself after -l lines; the saturation phase
	# sends thousands, and a reload would end it in the middle of a count.
	# shellcheck disable=SC2086
	$pin_srv "$CHATD" -p 0 -b 127.0.0.1 -i 100000 -c $CHATD_MAXCONN \
	    -l 1000000 $CHATD_ARGS 2>"$log" &
	srv_pid=$!
	port=
	tick=0
	while [ $tick -lt 50 ]; do
		port=$(sed -n '1s|^chatd: listening on http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' \
		    "$log")
		[ -n "$port" ] && break
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1; tick=$((tick + 1))
	done
	if [ -z "$port" ]; then
		echo "run.sh: chatd did not start:" >&2
		cat "$log" >&2
		return 1
	fi
	measured=$srv_pid
	# "chatd: using epoll, at most N connections", or an older chatd's
	# "-c 19000: clamped to N".
	sleep 0.2
	backend=$(sed -n 's|^chatd: using \([a-z]*\),.*|\1|p' "$log" | head -n 1)
	limit=$(sed -n -e 's|.*at most \([0-9]*\) connections.*|\1|p' \
	    -e 's|.*clamped to \([0-9]*\).*|\1|p' "$log" | head -n 1)
	limit=${limit:-$CHATD_MAXCONN}
	echo "chatd $srv_pid on 127.0.0.1:$port, ${backend:-backend not logged}, at most $limit connections${pin_srv:+, $pin_srv}"
}

# Starts nginx+nchan (bench/nginx-nchan.conf) with a prefix of its own under
# $dir and a free port; sets srv_pid (the master), port, measured (the one
# worker, which does the work).
start_nchan() {
	ndir=$dir/nginx
	rm -rf "$ndir"
	mkdir -p "$ndir" || return 1
	# A worker run as nobody (nginx started by root) must reach its files.
	chmod 755 "$dir" "$ndir"
	try=0
	while [ $try -lt 10 ]; do
		port=$((20000 + ($$ * 7 + try * 997) % 30000))
		sed -e "s|@MODULE@|$NCHAN_MODULE|" -e "s|@PREFIX@|$ndir|g" \
		    -e "s|@PORT@|$port|" "$HERE/nginx-nchan.conf" >"$ndir/nginx.conf"
		: >"$ndir/error.log"
		$pin_srv "$NGINX" -p "$ndir/" -c "$ndir/nginx.conf" \
		    -e "$ndir/error.log" 2>>"$ndir/error.log" &
		srv_pid=$!
		measured=
		tick=0
		while [ $tick -lt 50 ] && kill -0 "$srv_pid" 2>/dev/null; do
			measured=$(pgrep -P "$srv_pid" | head -n 1)
			[ -n "$measured" ] && [ -s "$ndir/nginx.pid" ] && break
			sleep 0.1; tick=$((tick + 1))
		done
		if [ -n "$measured" ] && kill -0 "$srv_pid" 2>/dev/null; then
			echo "nginx+nchan $srv_pid (worker $measured) on 127.0.0.1:$port${pin_srv:+, $pin_srv}"
			return 0
		fi
		wait "$srv_pid" 2>/dev/null
		srv_pid=
		grep -q 'Address already in use' "$ndir/error.log" || break
		try=$((try + 1))
	done
	echo "run.sh: nginx did not start:" >&2
	cat "$ndir/error.log" >&2
	return 1
}

# One size on one server (chatd: with one kind of stream): start it, run
# the load, stop it, check its log.
run_one() {
	server=$1 size=$2 transport=$3
	shift 3
	out=$dir/out-$server-$transport-$size
	extra_args=
	# As bench/load names it in its result line.
	label=$server
	case $transport in sse|ws) label=$server-$transport ;; esac
	echo
	echo "=== $server${transport:+ ($transport)}, $size streams ($(uptime | sed 's/.*load/load/'))"
	if [ "$server" = chatd ]; then
		start_chatd || { status=1; return; }
		# The select() build holds about 1,000: skip sizes past its limit,
		# and leave its last few connections to the posts.
		room=$((limit - size - 1))
		if [ $room -lt 1 ]; then
			echo "chatd: skipped: $size streams are past its limit of $limit"
			echo "result: server=$label streams=$size skipped limit=$limit" >>"$results"
			stop_server
			return
		fi
		# Half of them: a connection counts until chatd has seen the
		# client close it, a little after the answer.
		if [ $room -lt 66 ]; then
			extra_args="-x 0 -c $(((room + 1) / 2))"
		fi
		extra_args="$extra_args -t $transport"
		[ -n "$PUBLISH" ] && label=chatd-pub &&
		    extra_args="$extra_args -B $PUBLISH -k $dir/tokens"
	else
		start_nchan || { status=1; return; }
		extra_args=-N
	fi
	perf_pid=
	if [ -n "$PERF_DIR" ]; then
		mkdir -p "$PERF_DIR"
		perf record -g -p "$measured" \
		    -o "$PERF_DIR/$server${transport:+-$transport}-$size.data" \
		    >/dev/null 2>&1 &
		perf_pid=$!
	fi
	# shellcheck disable=SC2086
	$pin_load "$LOAD" -p "$port" -P "$measured" -n "$size" $extra_args "$@" |
	    tee "$out"
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" 2>/dev/null
		wait "$perf_pid" 2>/dev/null
	fi
	if ! kill -0 "$srv_pid" 2>/dev/null; then
		echo "run.sh: $server died during the run" >&2
		status=1
	fi
	# Cut off while the load ran, not by the shutdown after it.
	[ "$server" = chatd ] && cut=$(grep -c 'cut off' "$log")
	srv_status=0
	stop_server
	grep '^result:' "$out" >>"$results" ||
	    echo "result: server=$label streams=$size failed" >>"$results"
	grep -q '^result:.* lost=0 gaps=0 repeats=0 ' "$out" || status=1
	if [ "$server" = chatd ]; then
		if [ "$srv_status" -ne 0 ]; then
			echo "run.sh: chatd exited with status $srv_status" >&2
			status=1
		fi
		# A chatd built with sanitizers reports here.
		if grep -q -e 'Sanitizer' -e 'runtime error' "$log"; then
			echo "run.sh: sanitizer report in chatd's log:" >&2
			grep -A 20 -e 'Sanitizer' -e 'runtime error' "$log" |
			    head -n 40 >&2
			status=1
		fi
		echo "chatd log: $cut streams cut off for a full queue during the run, $(($(grep -c 'cut off' "$log") - cut)) at shutdown; $(grep -c 'refused' "$log") connections refused"
		# Which limit cut them: -q (one stream's queue) or -Q (all of them).
		[ "$cut" -gt 0 ] && grep -m 2 'cut off' "$log"
	else
		echo "nginx error log: $(grep -c '\[error\]\|\[crit\]\|\[alert\]' "$ndir/error.log") errors"
		grep -m 3 '\[error\]\|\[crit\]\|\[alert\]' "$ndir/error.log"
	fi
}

# The least a broadcast to n streams costs here, no server involved: one
# send() to each, 20 rounds a second for 5 s, pinned as the servers are.
run_floor() {
	[ -n "$FLOOR" ] && [ -x "$FLOOR" ] && [ -n "$pin_srv" ] || return 0
	echo
	echo "=== floor, $1 streams ($(uptime | sed 's/.*load/load/'))"
	# shellcheck disable=SC2086
	fl=$(${NICE:+nice -n $NICE} "$FLOOR" -n "$1" -w "$CHATD_CPU" \
	    -R "$LOAD_CPU") || return 0
	echo "$fl"
	echo "$fl" | sed -n 's|.*one round p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*|result: server=floor streams='"$1"' p50=\1 p99=\2|p' \
	    >>"$results"
}

echo "bench: $(uname -sr), $(getconf _NPROCESSORS_ONLN) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
for n in $STREAMS; do
	[ -z "$PUBLISH" ] && run_floor "$n"
	for server in $SERVERS; do
		if [ "$server" = nchan ] && [ $have_nchan -eq 0 ]; then
			echo "nchan: not installed ($NGINX, $NCHAN_MODULE): skipped"
			continue
		fi
		if [ "$server" = chatd ]; then
			for t in $TRANSPORTS; do
				run_one chatd "$n" "$t" "$@"
			done
		else
			run_one "$server" "$n" "" "$@"
		fi
	done
done

if [ "$FLOOD" = 1 ] && [ -x "$FLOODER" ]; then
	echo
	echo "=== chatd, login flood ($(uptime | sed 's/.*load/load/'))"
	if start_chatd; then
		$pin_load "$FLOODER" -p "$port" || status=1
		srv_status=0
		stop_server
		[ "$srv_status" -eq 0 ] || status=1
	else
		status=1
	fi
fi

# The table: one row a size, chatd and nchan side by side.
echo
echo "summary ($(uptime | sed 's/.*load/load/')):"
awk '
function f(k,   i, kv) {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == k)
			return kv[2]
	}
	return ""
}
{
	s = f("server"); n = f("streams")
	if ($0 ~ /skipped/)
		line = sprintf("%-9s %6s  skipped: its limit is %s connections",
		    s, n, f("limit"))
	else if ($0 ~ /failed/)
		line = sprintf("%-9s %6s  failed", s, n)
	else if (s == "floor")
		line = sprintf("%-9s %6s %6s %5s %9s %9s  one send() to each, no server",
		    s, n, "", "", f("p50"), f("p99"))
	else
		line = sprintf("%-9s %6s %6s %5s %9s %9s %11s %11s %8s %7s", s, n,
		    f("held"), f("lost") + f("gaps") + f("repeats") + f("pubbad"),
		    f("p50"), f("p99"), f("rate"), f("cpurate"), f("kib"),
		    f("wait1") "/" f("wait2"))
	if (f("pub") != "")
		line = line sprintf("  published %s/s, server CPU %s%%",
		    f("pub"), f("cpu1"))
	print line
	rate[s, n] = f("rate")
	p50[s, n] = f("p50")
	p99[s, n] = f("p99")
	sizes[n] = 1
}
BEGIN {
	printf("%-9s %6s %6s %5s %9s %9s %11s %11s %8s %7s\n", "server",
	    "N", "held", "bad", "p50 ms", "p99 ms", "deliv/s",
	    "per CPU s", "KiB/str", "waited%")
}
END {
	print "bad: streams lost, gaps, repeats; p50, p99: fan-out at 20 messages/s"
	print "until the last stream; deliv/s: at saturation, and per CPU second of"
	print "the server; waited%: share of phase 1 / phase 2 the server was ready"
	print "to run but its core was busy with other work"
	print "chatd-pub: p50, p99 at the publish rate (PUBLISH), deliv/s during it"
	print "floor: one round of send() calls, one to each stream, on the"
	print "server core with no server (bench/floor): below it no server goes"
	for (n in sizes) {
		if (rate["chatd", n] > 0 && rate["nchan", n] > 0)
			printf("%6s streams: chatd delivers %.2fx what nchan does\n",
			    n, rate["chatd", n] / rate["nchan", n])
		# Issue 11: SSE and WebSocket fan-out within 20% of the chat frame.
		split("chatd-sse chatd-ws", kinds, " ")
		for (t = 1; t <= 2; t++) {
			k = kinds[t]
			if (p50["chatd", n] > 0 && p50[k, n] > 0)
				printf("%6s streams: %s, fan-out p50 %.2fx, p99 %.2fx, " \
				    "deliveries %.2fx those of the chat frame (html)\n", \
				    n, k, p50[k, n] / p50["chatd", n],
				    p99[k, n] / p99["chatd", n],
				    rate[k, n] / rate["chatd", n])
		}
	}
}' "$results"
exit $status
