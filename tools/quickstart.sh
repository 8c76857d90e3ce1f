#!/usr/bin/env bash
# Quick start: install what is needed (Debian 12), build the release binary and run the service
# on http://127.0.0.1:8080 with deploy/quickstart.conf. Extra arguments go to `vcf-cds serve`
# and win over the config file, e.g. `tools/quickstart.sh --listen 127.0.0.1:9090`.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target vcf-cds

echo "quickstart: starting vcf-cds on http://127.0.0.1:8080 with deploy/quickstart.conf (audit store in ./data); it trusts the public CDS Hooks Sandbox signing key, which is fine for local testing only."
exec build/release/vcf-cds serve --config deploy/quickstart.conf "$@"
