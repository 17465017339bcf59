#!/usr/bin/env bash
# Source compatibility with LibTorch 2.x: compiles every translation unit of a configured build
# (its compile_commands.json) with -fsyntax-only against the headers of Debian trixie's
# libtorch-dev 2.6, fetched from deb.debian.org into a cache folder. It proves the sources
# against the 2.x API (CPU headers; CUDA-only code paths are plain C++ here); it does not link
# (trixie's libraries need a newer glibc than bookworm's).
#   bash scripts/check-libtorch2-headers.sh [BUILD_DIR] [CACHE_DIR]
set -euo pipefail
build=${1:-build}
cache=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/xcodec-libtorch2}
deb_url=http://deb.debian.org/debian/pool/main/p/pytorch/libtorch-dev_2.6.0+dfsg-7_amd64.deb
[[ -f $build/compile_commands.json ]] || { echo "check-libtorch2: no $build/compile_commands.json" >&2; exit 1; }
inc="$cache/root/usr/include"
if [[ ! -f $inc/torch/version.h ]]; then
  mkdir -p "$cache"
  curl -fsSL --retry 3 -o "$cache/libtorch-dev.deb" "$deb_url"
  dpkg-deb -x "$cache/libtorch-dev.deb" "$cache/root"
fi
python3 - "$build/compile_commands.json" "$inc" <<'PY' > "$cache/commands.sh"
import json, shlex, sys
db, inc = json.load(open(sys.argv[1])), sys.argv[2]
api = inc + "/torch/csrc/api/include"
for e in db:
    f, out, skip = e["file"], [], False
    for a in shlex.split(e["command"]):
        if skip: skip = False; continue
        if a in ("-o", "-MF", "-MT", "-include"): skip = True; continue
        if a in ("-c", f, "/usr/bin/ccache") or "cmake_pch" in a or a.startswith("-Winvalid-pch"): continue
        if a == "/usr/include/torch/csrc/api/include": a = api
        out.append(a)
    cmd = " ".join(shlex.quote(x) for x in out)
    print(f"echo '== {f}'; cd {shlex.quote(e['directory'])} && {cmd} -isystem {api} -isystem {inc} -fsyntax-only {shlex.quote(f)}")
PY
fail=0
total=$(grep -c '^echo' "$cache/commands.sh")
while IFS= read -r line; do
  if ! out=$(bash -c "$line" 2>&1); then
    echo "$out" | grep -E '^==|error' | head -8
    fail=$((fail + 1))
  fi
done < "$cache/commands.sh"
echo "check-libtorch2: $((total - fail))/$total translation units compile against LibTorch 2.6 headers"
[[ $fail -eq 0 ]]
