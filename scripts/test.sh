#!/usr/bin/env bash
# Install what the test suite needs (Debian packages for the OpenGL reference renders and
# the preview window under Xvfb; the Python packages), then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v Xvfb >/dev/null 2>&1 || need_apt+=(xvfb)
ldconfig -p | grep -q 'libEGL_mesa' || need_apt+=(libegl-mesa0 libegl1)
ldconfig -p | grep -q 'libGL.so.1' || need_apt+=(libgl1)
[ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || [ -e /usr/lib/aarch64-linux-gnu/dri/swrast_dri.so ] \
  || ls /usr/lib/*/dri/*swrast* >/dev/null 2>&1 || need_apt+=(libgl1-mesa-dri)
command -v xdotool >/dev/null 2>&1 || need_apt+=(xdotool)
# the meshoptimizer package (the 'compressed' extra, in 'test') builds its C++ codec on install
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# 'segment' too: the person segmenter's own tests need its model (docs/video.md, "Segmentation")
python3 -m pip install -q --root-user-action=ignore -e '.[test,segment]'
exec python3 -m pytest -q -p no:cacheprovider "$@"
