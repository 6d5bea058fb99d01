#!/usr/bin/env bash
# Runs the whole system (PostgreSQL, RabbitMQ, the services, the gateway at http://localhost:8080)
# through the AppHost. Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")"
scripts/prereqs.sh
exec dotnet run --project AppHost -- "$@"
