#!/usr/bin/env bash
# Installs what Aetherium needs to run and test on Debian/Ubuntu when it is missing:
# PostgreSQL server binaries, RabbitMQ, setpriv/setsid (util-linux), kubectl (the manifest tests run
# `kubectl kustomize`), Chromium (the dashboard's and the portal's browser tests), Node.js and npm (the
# web portal's build, portal/, run by the gateway's build; the gateway tests' OpenAPI validator,
# tools/openapi-validator), and for the agent's qemu runtime: qemu, the Debian kernel, a static busybox,
# dropbear, genisoimage, cpio and kmod (scripts/build-image.sh builds the VM image from them), ssh and
# sshpass (the qemu driver tests log in to their VMs). The .NET 10 SDK is assumed.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
command -v qemu-img >/dev/null 2>&1 || missing+=(qemu-utils)
ls /boot/vmlinuz-* >/dev/null 2>&1 || missing+=(linux-image-amd64)
# The image needs a static busybox (busybox-static replaces the dynamic one).
{ command -v busybox >/dev/null 2>&1 && ! ldd "$(command -v busybox)" >/dev/null 2>&1; } || missing+=(busybox-static)
[ -x /usr/sbin/dropbear ] || missing+=(dropbear-bin)
command -v genisoimage >/dev/null 2>&1 || missing+=(genisoimage)
command -v cpio >/dev/null 2>&1 || missing+=(cpio)
[ -x /usr/sbin/modinfo ] || command -v modinfo >/dev/null 2>&1 || missing+=(kmod)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v sshpass >/dev/null 2>&1 || missing+=(sshpass)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null 2>&1 || { echo "The .NET 10 SDK is required: https://dot.net/download (or: apt-get install dotnet-sdk-10.0)"; exit 1; }
