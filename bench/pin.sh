# pin.sh: sourced by run.sh and cluster.sh: sets pin_srv and pin_load, the
# command prefixes that pin the servers to $CHATD_CPU and the load to
# $LOAD_CPU (with two cores), niced by $NICE when it is set.  $1 names the
# script in messages.

# 10,000 streams on each side of the loopback, and the posts in flight.
ulimit -n 20000 2>/dev/null || ulimit -n 4096 2>/dev/null || true

pin_srv= pin_load=
if command -v taskset >/dev/null 2>&1 &&
    [ "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" -ge 2 ]; then
	pin_srv="taskset -c $CHATD_CPU"
	pin_load="taskset -c $LOAD_CPU"
else
	echo "$1: no taskset or one core: servers and load share the CPU" >&2
fi
if [ -n "${NICE:-}" ]; then
	pin_srv="nice -n $NICE $pin_srv"
	pin_load="nice -n $NICE $pin_load"
	# With autogroups (Linux), niceness counts only inside this session's
	# group; the group's own niceness sets its share against other sessions.
	if [ -w /proc/$$/autogroup ]; then
		echo "$NICE" >/proc/$$/autogroup 2>/dev/null ||
		    echo "$1: could not renice this session's autogroup" >&2
	fi
fi
