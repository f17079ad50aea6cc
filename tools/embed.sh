#!/bin/sh
# embed.sh: turns the files of frames/ into C strings so the daemon needs no
# files at run time.  Usage: embed.sh out.c out.h file...
set -e
outc=$1 outh=$2
shift 2
{
	echo '/* frames.h: the pages of frames/, built into the binary (generated). */'
	echo '#ifndef FRAMES_H'
	echo '#define FRAMES_H'
	echo '#include <stddef.h>'
	for f in "$@"; do
		v=frame_$(basename "$f" | tr '.-' '__')
		echo "extern const char ${v}[];"
		echo "extern const size_t ${v}_len;"
	done
	echo '#endif'
} > "$outh.tmp"
{
	echo '/* frames.c: the pages of frames/, built into the binary (generated). */'
	echo '#include "frames.h"'
	for f in "$@"; do
		v=frame_$(basename "$f" | tr '.-' '__')
		echo "const char ${v}[] ="
		# One C string literal per line; escape \ and " and keep newlines.
		awk '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "\t\"%s\\n\"\n", $0 }' "$f"
		echo '	"";'
		echo "const size_t ${v}_len = sizeof ${v} - 1;"
	done
} > "$outc.tmp"
mv "$outh.tmp" "$outh"
mv "$outc.tmp" "$outc"
