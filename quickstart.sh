#!/usr/bin/env bash
# The driver behind README's two quick-start commands.
#   ./quickstart.sh main   install what is missing, build Release, train LeNet-5 with PReLU on
#                          Fashion-MNIST (extra arguments go to train_cnn)
#   ./quickstart.sh test   install what is missing, build Release, run every test
# Packages are installed with apt-get (as root, or through sudo). Nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake libfmt-dev catch2 libcli11-dev zlib1g-dev libstb-dev
          nlohmann-json3-dev libboost-math-dev libsqlite3-dev libtomlplusplus-dev
          libonnx-dev libprotobuf-dev dataset-fashion-mnist)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "quickstart: installing ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "quickstart: missing packages (${missing[*]}); run as root or install sudo" >&2
      exit 1
    fi
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  cmake --preset release
  cmake --build --preset release "$@"
}

case "${1:-}" in
  main)
    install_missing
    shift
    build --target train_cnn
    ./build/release/examples/train_cnn --act prelu --save lenet5_prelu.safetensors "$@"
    ;;
  test)
    install_missing
    build
    ctest --preset release
    ;;
  *)
    echo "usage: $0 main|test" >&2
    exit 2
    ;;
esac
