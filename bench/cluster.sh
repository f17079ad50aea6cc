#!/bin/sh
# cluster.sh: cross-instance fan-out.  Three chatd -R sharing rooms through
# one redis-server, bench/load's streams spread over the three, its posts
# all on the first: each message reaches two thirds of the streams through
# Redis.  Issue 14's target: p99 <= 20 ms at 1,000 streams, 20 messages/s.
#
# Usage, from the top of the tree after make (with hiredis) and
# make bench/load:  sh bench/cluster.sh
# Environment:
#   STREAMS       streams held, over all instances (1000)
#   RATE          phase 1 messages a second (20); SECS each phase (10)
#   RUNS          how many runs, each with fresh servers (1)
#   TRANSPORT     html (the chat frame), sse or ws
#   CHATD, LOAD, REDIS_SERVER   ./chatd, bench/load, redis-server
#   CHATD_CPU, LOAD_CPU   the servers' core (chatd x3 and Redis) and the
#                 generator's (0 and 1), as bench/run.sh pins them
#   KEEP          if set, the logs stay (each run's chatd-NN.log, load.out)
#   NICE          if set, the niceness of servers and generator and of this
#                 session's autogroup, as in bench/run.sh (-10 as root)
# Only what this script started is stopped, by its PID.

set -u

CHATD=${CHATD:-./chatd}
LOAD=${LOAD:-bench/load}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
STREAMS=${STREAMS:-1000}
RATE=${RATE:-20}
SECS=${SECS:-10}
RUNS=${RUNS:-1}
TRANSPORT=${TRANSPORT:-html}
CHATD_CPU=${CHATD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
INSTANCES="01 02 03"

for f in "$CHATD" "$LOAD"; do
	[ -x "$f" ] || { echo "cluster.sh: $f is missing: run make first" >&2; exit 1; }
done
if ! "$CHATD" -h | grep -q '^redis: built'; then
	echo "cluster.sh: $CHATD was built without Redis (apt-get install" \
	    "libhiredis-dev; make clean; make)" >&2
	exit 1
fi
command -v "$REDIS_SERVER" >/dev/null 2>&1 ||
    { echo "cluster.sh: $REDIS_SERVER is missing (apt-get install redis-server)" >&2; exit 1; }

. "$(dirname "$0")/pin.sh" cluster.sh

dir=$(mktemp -d "${TMPDIR:-/tmp}/chatd-cluster-bench.XXXXXX") || exit 1
pids=		# every server this script started
trap 'stop_all; if [ -n "${KEEP:-}" ]; then echo "logs in $dir"; else rm -rf "$dir"; fi' EXIT
trap 'exit 130' INT TERM

stop_all() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pids; do
		tick=0
		while kill -0 "$p" 2>/dev/null && [ $tick -lt 50 ]; do
			sleep 0.1; tick=$((tick + 1))
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pids=
}

# CPU time (user + system) of a process, in clock ticks.
ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null ||
	    echo 0
}

redis_ping() {
	python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
s.sendall(b"PING\r\n")
print(s.recv(16).decode().strip())' "$1" 2>/dev/null
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One run: Redis and three chatd, then bench/load across them.
run_once() {
	rport=$(free_port)
	mkdir -p "$dir/redis"
	$pin_srv "$REDIS_SERVER" --bind 127.0.0.1 --port "$rport" --save "" \
	    --appendonly no --dir "$dir/redis" --daemonize no \
	    >"$dir/redis.log" 2>&1 &
	rpid=$!
	pids="$rpid"
	tick=0
	until [ "$(redis_ping "$rport")" = +PONG ]; do
		tick=$((tick + 1))
		[ $tick -lt 50 ] || { echo "cluster.sh: redis-server did not start" >&2; return 1; }
		sleep 0.1
	done
	ports= cpids=
	for n in $INSTANCES; do
		log=$dir/chatd-$n.log
		[ ! -e "$log" ] || mv "$log" "$log.$(date +%s%N)"
		# A port of an earlier run would meet the generator's connections
		# of then, in TIME_WAIT from the same source addresses and ports:
		# whole instances would refuse every connection.
		port=$(free_port)
		while echo " $used " | grep -q " $port "; do
			port=$(free_port)
		done
		used="$used $port"
		# shellcheck disable=SC2086
		$pin_srv "$CHATD" -p "$port" -b 127.0.0.1 -i 100000 -c 19000 \
		    -l 1000000 -R "127.0.0.1:$rport" -N "$n" 2>"$log" &
		cpids="$cpids $!"
		pids="$pids $!"
		tick=0 ready=
		while [ -z "$ready" ] && [ $tick -lt 50 ]; do
			ready=$(sed -n "1s|^chatd: listening on http://127\.0\.0\.1:$port/\$|yes|p" "$log")
			sleep 0.1; tick=$((tick + 1))
		done
		[ -n "$ready" ] || { echo "cluster.sh: chatd -N $n did not start:" >&2; cat "$log" >&2; return 1; }
		ports="${ports:+$ports,}$port"
	done
	# Every link up before the first login.
	for n in $INSTANCES; do
		tick=0
		until grep -q 'redis: connected to' "$dir/chatd-$n.log"; do
			tick=$((tick + 1))
			[ $tick -lt 50 ] || { echo "cluster.sh: chatd -N $n has no Redis link" >&2; return 1; }
			sleep 0.1
		done
	done
	first=$(echo $cpids | cut -d' ' -f1)
	echo "redis-server $rpid on $rport; chatd $cpids on $ports (-N $INSTANCES)${pin_srv:+, $pin_srv}"
	before=
	for p in $pids; do before="$before $(ticks "$p")"; done
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	$pin_load "$LOAD" -p "$ports" -n "$STREAMS" -r "$RATE" -d "$SECS" \
	    -t "$TRANSPORT" -P "$first" >"$dir/load.out" 2>&1
	lstatus=$?
	t1=$(date +%s.%N)
	cat "$dir/load.out"
	# Where the CPU went: Redis, then the three instances.
	set -- $before
	hz=$(getconf CLK_TCK)
	line="cpu over the run:"
	for p in $pids; do
		used=$(( $(ticks "$p") - $1 ))
		shift
		line="$line $p $(awk -v u="$used" -v hz="$hz" -v a="$t0" -v b="$t1" \
		    'BEGIN { printf "%.0f%%", 100 * u / hz / (b - a) }')"
	done
	echo "$line (redis-server, then chatd -N $INSTANCES)"
	set -- $cpids
	for n in $INSTANCES; do
		grep -i 'redis:' "$dir/chatd-$n.log" | grep -v 'connected to' |
		    sed "s|^|chatd -N $n: |"
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			echo "chatd -N $n ($1) is gone, status $?; its log ends:"
			grep -v '^chatd: 127' "$dir/chatd-$n.log" | tail -n 5
			lstatus=1
		fi
		shift
	done
	stop_all
	return $lstatus
}

status=0
used=		# chatd's ports in earlier runs
i=1
while [ $i -le "$RUNS" ]; do
	echo "== run $i of $RUNS: $STREAMS $TRANSPORT streams over 3 instances, $RATE messages/s posted on the first"
	run_once || status=1
	i=$((i + 1))
done
exit $status
