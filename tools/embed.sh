#!/bin/sh
# embed.sh: turns the files of frames/ into C byte arrays so the daemon needs
# no files at run time.  Byte arrays, not string literals: C99 compilers need
# not take literals over 4095 characters.  Usage: embed.sh out.c out.h file...
set -e
outc=$1 outh=$2
shift 2
{
	echo '/* frames.c: the pages of frames/, built into the binary (generated). */'
	echo '#include "frames.h"'
	for f in "$@"; do
		v=frame_$(basename "$f" | tr '.-' '__')
		echo "const char ${v}[] = {"
		od -An -v -tu1 "$f" | sed 's/^ *//; s/  */,/g; s/$/,/'
		echo '0 };'
		echo "const size_t ${v}_len = sizeof ${v} - 1;"
	done
} > "$outc.tmp"
# The header last, so that make never finds it older than frames.c.
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
mv "$outc.tmp" "$outc"
mv "$outh.tmp" "$outh"
