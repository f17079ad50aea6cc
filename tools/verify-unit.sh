#!/bin/sh
# verify-unit.sh: checks a systemd unit with systemd-analyze verify, where
# that exists.  It wants ExecStart='s binary to exist, so the copy it checks
# names the chatd just built.  Any complaint about the unit fails, warnings
# too (an unknown key is only a warning to systemd).  Usage: verify-unit.sh UNIT
set -eu
unit=$1
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "verify-unit: no systemd-analyze here: $unit not verified"
	exit 0
fi
dir=tests/out/contrib
mkdir -p "$dir"
copy=$dir/$(basename "$unit")
sed "s|/usr/local/sbin/chatd|$(pwd)/chatd|g" "$unit" >"$copy"
out=$(systemd-analyze verify --man=no "$copy" 2>&1) || {
	printf '%s\n' "$out" >&2
	exit 1
}
if printf '%s\n' "$out" | grep "$(basename "$unit")" >&2; then
	exit 1
fi
echo "verify-unit: $unit: systemd-analyze finds nothing wrong"
