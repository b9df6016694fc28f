#!/usr/bin/env bash
# Fetches one exact version of a Debian source package and unpacks it into DEST: the only way
# upstream code enters a Mica build. Usage: fetch-source.sh PACKAGE VERSION DEST
set -euo pipefail
pkg=$1 version=$2 dest=$3
work=$(mktemp -d "${dest%/*}/.fetch-$pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get source --download-only -qq "$pkg=$version" >log 2>&1); then
	echo "fetch-source: cannot fetch the Debian source package $pkg $version: $(grep -E '^E:' "$work/log" | head -n 1)" \
		"(needs a deb-src entry: run scripts/setup-deps.sh)" >&2
	exit 1
fi
if ! dpkg-source --no-check -x "$work/${pkg}_${version#*:}.dsc" "$work/src" >"$work/log" 2>&1; then
	echo "fetch-source: cannot unpack $pkg $version: $(tail -n 1 "$work/log")" >&2
	exit 1
fi
rm -rf "$dest"
mv "$work/src" "$dest"
