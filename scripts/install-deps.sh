#!/usr/bin/env bash
# Installs every Debian package xcodec needs to build, test and run. Idempotent.
#   --bench  also the optional tools of bench/codec_compare.sh (codec2, opus-tools, sox): the
#            classic codecs our model is compared with. The build never needs them.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libgloo-dev libopenblas-dev
  libsndfile1-dev libavformat-dev libavcodec-dev libavutil-dev libswresample-dev libsoxr-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libcurl4-openssl-dev libarchive-dev libpng-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  sox espeak-ng ffmpeg python3 clang-format
)

# Optional: reference codecs for bench/codec_compare.sh and the last stage of scripts/demo.sh.
bench_packages() {
  packages+=(codec2 opus-tools sox)
}
for arg in "$@"; do
  case "$arg" in
    --bench) bench_packages ;;
    *) echo "install-deps.sh: unknown option $arg (--bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "[deps] all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "[deps] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
