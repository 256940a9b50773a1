#!/usr/bin/env bash
# Installs the system libraries swift-fer builds against (Debian/Ubuntu): OpenBLAS, the OpenCL ICD
# loader and headers, PoCL (OpenCL on the CPU, so the OpenCL backend runs without a GPU),
# libjpeg-turbo and libpng. Swift itself (6.x) must already be on the PATH.
set -euo pipefail
packages=(libopenblas-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libturbojpeg0-dev libpng-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on the PATH; install Swift 6.x from swift.org first" >&2; exit 1; }
