#!/bin/sh
# redis.sh: the compiler or linker flags for -R's Redis link (hiredis).
# usage: redis.sh cflags|libs [REDIS], where REDIS is 1 (hiredis must be
# there), 0 (leave Redis out) or empty (use hiredis when installed).
what=$1
want=${2:-}
have=0
pkg-config --exists hiredis 2>/dev/null && have=1
case $want in
0)	exit 0 ;;
1)	if [ $have = 0 ]; then
		# The define makes config.h stop the build with a clear #error.
		[ "$what" = cflags ] && echo -DCHATD_REDIS_MISSING
		exit 0
	fi ;;
'')	[ $have = 1 ] || exit 0 ;;
*)	echo "REDIS=$want: 0, 1 or nothing" >&2
	[ "$what" = cflags ] && echo -DCHATD_REDIS_MISSING
	exit 0 ;;
esac
case $what in
cflags)	echo -DCHATD_REDIS $(pkg-config --cflags hiredis) ;;
libs)	pkg-config --libs hiredis ;;
esac
