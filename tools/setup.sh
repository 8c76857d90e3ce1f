#!/usr/bin/env bash
# Installs every Debian 12 package vcf-cds needs to build, test and run.
# Idempotent: packages already present are skipped, so CI and developers can call it every time.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libboost-program-options-dev   # Beast/Asio (header-only) + CLI parsing
  rapidjson-dev doctest-dev
  libssl-dev openssl                          # TLS, JWT; the openssl CLI mints test tokens
  libsqlite3-dev sqlite3                      # embedded audit store
  libpq-dev postgresql                        # shared audit store; server for integration tests
  libspdlog-dev libfmt-dev                    # structured logging
  python3 python3-yaml                        # tools/import_criteria.py, test helpers; YAML for deploy_lint
  curl wrk                                    # wrk: bench/run.sh load generator
  libbenchmark-dev valgrind                   # bench/: decision micro benchmark; instructions.sh
  libjs-markdown-it                           # review console: card Markdown (served from /usr/share/javascript)
  chromium chromium-driver                    # tests/scripts/console_browser.sh: headless browser + WebDriver
  clang-14 libclang-rt-14-dev                 # tools/fuzz.sh: libFuzzer + sanitizers (clang only)
  nodejs                                      # tests/fhir: FHIR.js validator (npm below)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

# FHIR.js (npm "fhir", version pinned in tests/fhir/package.json and package-lock.json) for
# tests/scripts/fhir_validate.sh, installed into the gitignored tests/fhir/node_modules. Skipped
# when the pinned version is already there; Debian packages npm apart from nodejs.
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing npm"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends npm
fi
fhir_pin=$(node -p "require('$root/tests/fhir/package.json').dependencies.fhir")
fhir_have=$(node -p "try { require('$root/tests/fhir/node_modules/fhir/package.json').version } catch (e) { '' }")
if [ "$fhir_have" != "$fhir_pin" ]; then
  echo "setup: installing FHIR.js $fhir_pin into tests/fhir/node_modules"
  (cd "$root/tests/fhir" && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "setup: FHIR.js $fhir_pin present"
fi
