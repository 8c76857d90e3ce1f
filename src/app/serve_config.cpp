#include "app/serve_config.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <thread>

#include "vcf_cds/console.hpp"

namespace vcf_cds::app {
namespace {

namespace po = boost::program_options;

po::options_description describe_options(ServeConfig& c) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  po::options_description options("vcf-cds serve options");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("config", po::value<std::string>(), "INI-style file of `key = value` lines (flag names)")
      ("listen", po::value(&c.listen)->default_value("127.0.0.1:8080"), "HOST:PORT to listen on")
      ("data-dir", po::value(&c.data_dir)->default_value("./data"), "state folder (audit store)")
      ("public-base-url", po::value(&c.public_base_url), "URL clients use (default http://<listen>)")
      ("threads", po::value(&c.threads)->default_value(cores), "I/O threads (default: cores)")
      ("compute-threads", po::value(&c.compute_threads)->default_value(0),
       "threads that decide consults whose data is all prefetched (0: as many as --threads)")
      ("worker-threads", po::value(&c.worker_threads)->default_value(64),
       "threads that may wait: a consult whose prefetch is missing waits here for the FHIR "
       "server (on at most three quarters of them), so many more than cores keep such waits "
       "from queueing each other; also feedback, the console and order-sign's trail reads")
      ("body-limit", po::value(&c.body_limit)->default_value(1024 * 1024), "max request body, bytes")
      ("max-connections", po::value(&c.max_connections)->default_value(1000),
       "open connections at most; one more gets 503 and is closed (0: no cap)")
      ("trim-after-bytes", po::value(&c.trim_after_bytes)->default_value(256 * 1024),
       "after answering a call whose request body or response had at least this many bytes, "
       "give free heap memory back to the OS (malloc_trim; one at a time, on a worker thread; "
       "0: never)")
      ("knowledge", po::value(&c.knowledge)->default_value("cards/criteria.json"), "criteria file")
      ("profiles", po::value(&c.profiles)->default_value("fhir-profiles"), "FHIR profiles folder")
      ("card-text", po::value(&c.card_text)->default_value("cards/templates"), "card wording folder")
      ("cors-origin", po::value(&c.cors_origin)->default_value("*"), "Access-Control-Allow-Origin")
      ("log-level", po::value(&c.log_level)->default_value("info"), "trace|debug|info|warn|error")
      ("log-format", po::value(&c.log_format)->default_value("auto"),
       "json|text|auto (auto: JSON lines unless stderr is a terminal)")
      ("new-window-days", po::value(&c.new_window_days)->default_value(90), "\"new\" VCF window")
      ("repeat-window-hours", po::value(&c.repeat_window_hours)->default_value(24),
       "order-sign shows no second card for an order order-select rated the same way this "
       "recently (0: off)")
      ("fhir-timeout-ms", po::value(&c.fhir_timeout_ms)->default_value(3000), "per FHIR GET")
      ("fhir-server-allow", po::value(&c.fhir_server_allow)->composing(),
       "ORIGIN (http[s]://host[:port], or host:* for any port) a call's fhirServer may name for "
       "the prefetch fallback (repeatable); none: missing prefetch is never fetched")
      ("fhir-budget-ms", po::value(&c.fhir_budget_ms)->default_value(5000),
       "total time one call may spend fetching from the FHIR server (all pages and keys)")
      ("fhir-budget-bytes", po::value(&c.fhir_budget_bytes)->default_value(32 * 1024 * 1024),
       "total FHIR response bytes one call may read (all pages and keys)")
      ("fhir-origin-concurrency", po::value(&c.fhir_origin_concurrency)->default_value(8),
       "calls that may read from one FHIR server (origin) at once for the prefetch fallback; "
       "one more is answered 503 at once")
      ("header-timeout-ms", po::value(&c.header_timeout_ms)->default_value(10'000),
       "first byte to end of request headers")
      ("read-timeout-ms", po::value(&c.read_timeout_ms)->default_value(30'000),
       "request body read, and each response write")
      ("idle-timeout-ms", po::value(&c.idle_timeout_ms)->default_value(60'000),
       "keep-alive wait for the next request")
      ("allow-unauthenticated", po::bool_switch(&c.allow_unauthenticated),
       "accept calls without a JWT (local experiments only)")
      ("trust-issuer", po::value(&c.trust_issuers)->composing(),
       "ISS=JWKS_FILE_OR_URL: a trusted CDS client (repeatable)")
      ("jwt-skew-seconds", po::value(&c.jwt_skew_seconds)->default_value(60),
       "clock skew allowed for exp/iat/nbf")
      ("jwt-max-lifetime-seconds", po::value(&c.jwt_max_lifetime_seconds)->default_value(900),
       "longest exp - iat accepted; bounds how long a jti is remembered")
      ("jwt-replay-capacity", po::value(&c.jwt_replay_capacity)->default_value(0),
       "jti entries kept in memory without PostgreSQL (0: 200 tokens/s over the replay window); "
       "when full, valid tokens are answered 503")
      ("jwt-replay-durable", po::bool_switch(&c.jwt_replay_durable),
       "PostgreSQL jti ledger: flush each accepted jti to disk before answering (a database crash "
       "then forgets none; costs one WAL flush per call)")
      ("database-url", po::value(&c.database_url),
       "PostgreSQL audit store (postgresql://… or \"host=… dbname=…\"); default SQLite in data-dir")
      ("hash-identifiers", po::bool_switch(&c.hash_identifiers),
       "store patient and user ids as HMAC-SHA-256 in the audit trail")
      ("identifier-secret-file", po::value(&c.identifier_secret_file),
       "file holding the HMAC secret for --hash-identifiers")
      ("qcdsm-id", po::value(&c.qcdsm_id)->default_value("vcf-cds"),
       "pama-rating-qcdsm-consulted value (a site's CMS G-code)")
      ("canonical-base", po::value(&c.canonical_base)->default_value("https://vcf-cds.example.org/fhir"),
       "canonical base of the project's FHIR CodeSystem")
      ("evidence-base-url", po::value(&c.evidence_base_url),
       "base URL of the evidence pages named by cards' links and pama-rating-auc-applied "
       "(default: --public-base-url, which serves them)")
      ("quiet-when-appropriate", po::bool_switch(&c.quiet_when_appropriate),
       "no card for a firm Usually appropriate answer (its PAMA rating is still sent)")
      ("console-token", po::value(&c.console_token),
       "bearer token for the review console at /console/ (off when unset; 'auto' prints a "
       "random one at start-up)")
      ("console-dir", po::value(&c.console_dir)->default_value("deploy/console"),
       "the console's static files")
      ("console-js-dir", po::value(&c.console_js_dir)->default_value(console::kDebianJavascriptDir),
       "where Debian's libjs-markdown-it is installed (the console renders card Markdown with it)")
      ("tls-cert", po::value(&c.tls_cert), "PEM certificate chain: serve HTTPS (with --tls-key)")
      ("tls-key", po::value(&c.tls_key), "PEM private key for --tls-cert");
  // clang-format on
  return options;
}

}  // namespace

std::pair<std::string, unsigned short> split_listen(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    throw UsageError("--listen must be HOST:PORT, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535 || host.empty()) {
    throw UsageError("--listen must be HOST:PORT, got '" + listen + "'");
  }
  return {host, static_cast<unsigned short>(std::stoul(port))};
}

bool parse_config(int argc, char** argv, ServeConfig& config) {
  po::options_description options = describe_options(config);
  po::variables_map vars;
  po::store(po::parse_command_line(argc, argv, options), vars);
  if (vars.count("help")) {
    std::cout << "usage: vcf-cds [serve] [flags]\n" << options << '\n';
    return false;
  }
  if (vars.count("config")) {
    const std::string file = vars["config"].as<std::string>();
    std::ifstream in(file);
    if (!in) throw UsageError("cannot read config file " + file);
    po::store(po::parse_config_file(in, options), vars);  // earlier (command-line) values win
  }
  po::notify(vars);
  if (spdlog::level::from_str(config.log_level) == spdlog::level::off &&
      config.log_level != "off") {
    throw UsageError("--log-level must be trace, debug, info, warn, error, critical or off");
  }
  if (config.log_format != "json" && config.log_format != "text" && config.log_format != "auto") {
    throw UsageError("--log-format must be json, text or auto");
  }
  if (config.threads == 0 || config.worker_threads == 0 || config.body_limit == 0 ||
      config.fhir_timeout_ms <= 0 || config.fhir_budget_ms <= 0 || config.fhir_budget_bytes == 0 ||
      config.fhir_origin_concurrency == 0 || config.header_timeout_ms <= 0 ||
      config.read_timeout_ms <= 0 || config.idle_timeout_ms <= 0 || config.new_window_days <= 0 ||
      config.jwt_skew_seconds < 0 || config.jwt_max_lifetime_seconds <= 0) {
    throw UsageError(
        "--threads, --body-limit, --new-window-days, --fhir-origin-concurrency and timeouts "
        "must be positive");
  }
  if (config.repeat_window_hours < 0) throw UsageError("--repeat-window-hours must be 0 or more");
  if (config.trust_issuers.empty() && !config.allow_unauthenticated) {
    throw UsageError(
        "authentication is on by default: give --trust-issuer ISS=JWKS for each EHR, or "
        "--allow-unauthenticated for local experiments");
  }
  if (config.hash_identifiers && config.identifier_secret_file.empty()) {
    throw UsageError("--hash-identifiers needs --identifier-secret-file");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    throw UsageError("--tls-cert and --tls-key go together: give both, or neither for plain HTTP");
  }
  if (config.public_base_url.empty()) {
    config.public_base_url = (config.tls_cert.empty() ? "http://" : "https://") + config.listen;
  }
  while (config.public_base_url.ends_with('/')) config.public_base_url.pop_back();
  if (config.evidence_base_url.empty()) config.evidence_base_url = config.public_base_url;
  while (config.evidence_base_url.ends_with('/')) config.evidence_base_url.pop_back();
  return true;
}

}  // namespace vcf_cds::app
