#!/bin/sh
# libcrypt.sh: prints the linker flag crypt() needs here: -lcrypt where it
# lives in libcrypt (glibc, libxcrypt), nothing where libc has it (BSD, musl).
cc=${1:-cc}
dir=$(mktemp -d "${TMPDIR:-/tmp}/chatd.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
cat > "$dir/t.c" <<'C'
#define _XOPEN_SOURCE 700
#include <unistd.h>
int main(void) { return crypt("a", "ab") == 0; }
C
if $cc -o "$dir/t" "$dir/t.c" >/dev/null 2>&1; then
	:
elif $cc -o "$dir/t" "$dir/t.c" -lcrypt >/dev/null 2>&1; then
	echo -lcrypt
fi
