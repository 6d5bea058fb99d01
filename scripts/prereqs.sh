#!/usr/bin/env bash
# Installs what Aetherium needs to run and test on Debian/Ubuntu when it is missing:
# PostgreSQL server binaries, RabbitMQ, setpriv/setsid (util-linux), kubectl (the manifest tests run
# `kubectl kustomize`), Chromium (the dashboard's and the portal's browser tests), Node.js and npm (the
# web portal's build, portal/, run by the gateway's build; the gateway tests' OpenAPI validator,
# tools/openapi-validator). The .NET 10 SDK is assumed.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null 2>&1 || { echo "The .NET 10 SDK is required: https://dot.net/download (or: apt-get install dotnet-sdk-10.0)"; exit 1; }
