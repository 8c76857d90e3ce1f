// `vcf-cds serve` configuration: command-line flags and an optional INI-style `--config` file.
//
// Precedence: command-line flags over the `--config` file (`key = value`, keys are the long flag
// names without dashes) over defaults. docs/operations.md lists every key.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "app/cli.hpp"

namespace vcf_cds::app {

struct ServeConfig {
  std::string listen;
  std::string data_dir;
  std::string public_base_url;
  std::string knowledge;
  std::string profiles;
  std::string card_text;
  std::string cors_origin;
  std::string log_level;
  std::string log_format;
  unsigned threads = 1;
  unsigned worker_threads = 64;
  unsigned compute_threads = 0;  // 0: as many as `threads`
  std::size_t body_limit = 0;
  std::size_t max_connections = 1000;         // 0: no cap
  std::size_t trim_after_bytes = 256 * 1024;  // 0: never trim the heap after a call
  int new_window_days = 90;
  int repeat_window_hours = 24;
  int fhir_timeout_ms = 3000;
  std::vector<std::string> fhir_server_allow;  // origins; empty: no prefetch fallback
  int fhir_budget_ms = 5000;
  std::size_t fhir_budget_bytes = 32 * 1024 * 1024;
  unsigned fhir_origin_concurrency = 8;
  int header_timeout_ms = 10'000;
  int read_timeout_ms = 30'000;
  int idle_timeout_ms = 60'000;
  bool allow_unauthenticated = false;
  std::vector<std::string> trust_issuers;  // ISS=JWKS_FILE_OR_URL
  int jwt_skew_seconds = 60;
  int jwt_max_lifetime_seconds = 900;
  std::size_t jwt_replay_capacity = 0;  // 0: sized from the lifetime (auth::replay_capacity)
  bool jwt_replay_durable = false;      // PostgreSQL jti ledger: synchronous_commit on
  std::string database_url;
  bool hash_identifiers = false;
  std::string identifier_secret_file;
  std::string qcdsm_id;
  std::string canonical_base;
  std::string evidence_base_url;  // default: public_base_url
  bool quiet_when_appropriate = false;
  std::string tls_cert;
  std::string tls_key;
  std::string console_token;  // "auto": a random token printed at start-up
  std::string console_dir;
  std::string console_js_dir;  // Debian's libjs-* packages: markdown-it for the pages
};

// Reads flags, then the config file for what the flags left unset, and checks the combination.
// Returns false after printing --help. Throws UsageError (or Boost.Program_options' errors).
bool parse_config(int argc, char** argv, ServeConfig& config);

// Splits HOST:PORT ("[::1]:8080" for IPv6); throws UsageError.
std::pair<std::string, unsigned short> split_listen(const std::string& listen);

}  // namespace vcf_cds::app
