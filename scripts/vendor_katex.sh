#!/usr/bin/env bash
# Reproduce docs/vendor/katex/: the KaTeX files the documentation site loads, so that math renders
# with no network access and no asset from any CDN.
#
# What it does: `npm pack katex@$KATEX_VERSION` into a temporary directory (npm checks the tarball
# against the registry's integrity hash; we also check it against the sha256 pinned below), then
# copies only what the site needs:
#     dist/katex.min.js, dist/katex.min.css, dist/contrib/auto-render.min.js,
#     dist/fonts/*.woff2 (the .woff/.ttf fallbacks are not shipped), and LICENSE.
# katex.min.css lists woff2 first in every @font-face src, so browsers never ask for the missing
# woff/ttf files; the script checks that this is still so.
#
# Usage (from anywhere; needs npm and the npm registry):  bash scripts/vendor_katex.sh
# To move to another KaTeX version, change KATEX_VERSION and KATEX_SHA256 together.
set -euo pipefail

KATEX_VERSION=0.19.1
KATEX_SHA256=24da5a599eb2fcede2e270b99a6ff48bca816beecc95feeb84e8cccbd1bb34fd

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/docs/vendor/katex"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "vendor_katex: npm pack katex@$KATEX_VERSION in $work"
(cd "$work" && npm pack --silent "katex@$KATEX_VERSION" >/dev/null)
tarball="$work/katex-$KATEX_VERSION.tgz"
echo "$KATEX_SHA256  $tarball" | sha256sum --check --quiet
tar -xzf "$tarball" -C "$work"
src="$work/package"

if grep -oE 'src:url\([^)]*\)' "$src/dist/katex.min.css" | grep -vq '\.woff2)'; then
    echo "vendor_katex: katex.min.css no longer lists woff2 first in every @font-face" >&2
    exit 1
fi

echo "vendor_katex: replacing $dest"
rm -rf "$dest"
mkdir -p "$dest/contrib" "$dest/fonts"
cp "$src/LICENSE" "$dest/LICENSE"
cp "$src/dist/katex.min.js" "$src/dist/katex.min.css" "$dest/"
cp "$src/dist/contrib/auto-render.min.js" "$dest/contrib/"
cp "$src/dist/fonts/"*.woff2 "$dest/fonts/"
echo "vendor_katex: done, $(find "$dest" -type f | wc -l) files, $(du -sh "$dest" | cut -f1)"
