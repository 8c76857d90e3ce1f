// `vcf-cds serve`: flags and config file -> knowledge -> HTTP server wired to hooks + pipeline.
//
// Precedence: command-line flags over the `--config` file (INI-style `key = value`, keys are the
// long flag names without dashes) over defaults. Start-up problems stop the process (exit 2).
#include "app/serve.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/audit_records.hpp"
#include "app/json_log.hpp"
#include "app/pipeline.hpp"
#include "common/json_file.hpp"
#include "vcf_cds/auth.hpp"
#include "vcf_cds/criteria.hpp"
#include "vcf_cds/facts.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"

namespace vcf_cds::app {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

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
  std::size_t body_limit = 0;
  int new_window_days = 90;
  int fhir_timeout_ms = 3000;
  int header_timeout_ms = 10'000;
  int read_timeout_ms = 30'000;
  int idle_timeout_ms = 60'000;
  bool allow_unauthenticated = false;
  std::vector<std::string> trust_issuers;  // ISS=JWKS_FILE_OR_URL
  int jwt_skew_seconds = 60;
  std::string database_url;
  bool hash_identifiers = false;
  std::string identifier_secret_file;
  std::string qcdsm_id;
  std::string canonical_base;
  std::string tls_cert;
  std::string tls_key;
  std::string console_token;  // "auto": a random token printed at start-up
  std::string console_dir;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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
      ("worker-threads", po::value(&c.worker_threads)->default_value(64),
       "threads that run consults; most of their time is spent waiting for the audit commit, "
       "so many more than cores let group commit batch more records per fsync")
      ("body-limit", po::value(&c.body_limit)->default_value(1024 * 1024), "max request body, bytes")
      ("knowledge", po::value(&c.knowledge)->default_value("cards/criteria.json"), "criteria file")
      ("profiles", po::value(&c.profiles)->default_value("fhir-profiles"), "FHIR profiles folder")
      ("card-text", po::value(&c.card_text)->default_value("cards/templates"), "card wording folder")
      ("cors-origin", po::value(&c.cors_origin)->default_value("*"), "Access-Control-Allow-Origin")
      ("log-level", po::value(&c.log_level)->default_value("info"), "trace|debug|info|warn|error")
      ("log-format", po::value(&c.log_format)->default_value("auto"),
       "json|text|auto (auto: JSON lines unless stderr is a terminal)")
      ("new-window-days", po::value(&c.new_window_days)->default_value(90), "\"new\" VCF window")
      ("fhir-timeout-ms", po::value(&c.fhir_timeout_ms)->default_value(3000), "per FHIR GET")
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
      ("database-url", po::value(&c.database_url),
       "PostgreSQL audit store (postgresql://… or \"host=… dbname=…\"); default SQLite in data-dir")
      ("hash-identifiers", po::bool_switch(&c.hash_identifiers),
       "store patient and user ids as HMAC-SHA-256 in the audit trail")
      ("identifier-secret-file", po::value(&c.identifier_secret_file),
       "file holding the HMAC secret for --hash-identifiers")
      ("qcdsm-id", po::value(&c.qcdsm_id)->default_value("vcf-cds"),
       "pama-rating-qcdsm-consulted value (a site's CMS G-code)")
      ("canonical-base", po::value(&c.canonical_base)->default_value("https://vcf-cds.example.org/fhir"),
       "canonical base of the project's FHIR CodeSystem and AUC identifiers")
      ("console-token", po::value(&c.console_token),
       "bearer token for the review console at /console/ (off when unset; 'auto' prints a "
       "random one at start-up)")
      ("console-dir", po::value(&c.console_dir)->default_value("deploy/console"),
       "the console's static files")
      ("tls-cert", po::value(&c.tls_cert), "PEM certificate chain: serve HTTPS (with --tls-key)")
      ("tls-key", po::value(&c.tls_key), "PEM private key for --tls-cert");
  // clang-format on
  return options;
}

// Splits HOST:PORT ("[::1]:8080" for IPv6).
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

// Reads flags, then the config file for what the flags left unset. Returns false for --help.
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
      config.fhir_timeout_ms <= 0 || config.header_timeout_ms <= 0 || config.read_timeout_ms <= 0 ||
      config.idle_timeout_ms <= 0 || config.new_window_days <= 0 || config.jwt_skew_seconds < 0) {
    throw UsageError("--threads, --body-limit, --new-window-days and timeouts must be positive");
  }
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
  return true;
}

// JWKS URLs are fetched with the same verified-TLS client as FHIR data.
auth::JwksFetcher jwks_fetcher(std::shared_ptr<http::FhirClient> client) {
  return [client](const std::string& url) -> Result<std::string> {
    auto response = client->get(url, {});
    if (!response) return std::move(response).error();
    if (response->status != 200) {
      return make_error(ErrorCode::unavailable, "jwks",
                        url + " answered HTTP " + std::to_string(response->status));
    }
    return std::move(response->body);
  };
}

std::shared_ptr<auth::Verifier> make_verifier(const ServeConfig& config,
                                              std::shared_ptr<http::FhirClient> client) {
  if (config.trust_issuers.empty()) return nullptr;
  auth::AuthConfig auth_config;
  auth_config.skew = std::chrono::seconds(config.jwt_skew_seconds);
  for (const auto& flag : config.trust_issuers) {
    auto issuer = auth::parse_trust_issuer(flag);
    if (!issuer) throw UsageError("--trust-issuer " + flag + ": " + issuer.error().message);
    auth_config.issuers.push_back(std::move(issuer).value());
  }
  return std::make_shared<auth::Verifier>(std::move(auth_config), auth::Clock{},
                                          jwks_fetcher(std::move(client)));
}

std::shared_ptr<audit::Store> open_audit_store(const ServeConfig& config) {
  audit::StoreConfig store_config;
  store_config.data_dir = config.data_dir;
  store_config.database_url = config.database_url;
  store_config.hash_identifiers = config.hash_identifiers;
  if (config.hash_identifiers) {
    std::string secret = common::read_file(config.identifier_secret_file);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) throw UsageError(config.identifier_secret_file + ": empty secret");
    store_config.identifier_secret = std::move(secret);
  }
  return audit::open_store(store_config);
}

void warn_about_trust(const ServeConfig& config) {
  if (config.allow_unauthenticated) {
    spdlog::warn(
        "--allow-unauthenticated: calls without a JWT are answered (a JWT that is sent is still "
        "verified); local experiments only");
  }
  for (const auto& flag : config.trust_issuers) {
    if (flag.rfind("https://sandbox.cds-hooks.org=", 0) == 0) {
      spdlog::warn(
          "trusting the public CDS Hooks Sandbox key: its private key is published, so anyone can "
          "sign as it. Quick start and local testing only; never in production.");
    }
  }
}

}  // namespace

std::string audience(const ServiceWiring& wiring, http::RouteKind kind,
                     std::string_view service_id) {
  std::string url = wiring.public_base_url + "/cds-services";
  if (kind == http::RouteKind::call || kind == http::RouteKind::feedback) {
    url += '/';
    url += service_id;
  }
  if (kind == http::RouteKind::feedback) url += "/feedback";
  return url;
}

http::Handlers make_handlers(ServiceWiring wiring) {
  if (!wiring.metrics) wiring.metrics = std::make_shared<Metrics>();
  if (wiring.fetcher) {
    wiring.fetcher = std::make_shared<CountingFetcher>(wiring.fetcher, wiring.metrics);
  }
  auto shared = std::make_shared<const ServiceWiring>(std::move(wiring));
  http::Handlers handlers;
  if (shared->verifier) {
    handlers.authenticate = [shared](http::RouteKind kind, std::string_view id,
                                     std::string_view authorization) -> Result<http::Caller> {
      // --allow-unauthenticated: no token is accepted as anonymous; a token is still verified.
      if (authorization.empty() && shared->allow_anonymous) return http::Caller{};
      const std::string aud = audience(*shared, kind, id);
      auto identity = shared->verifier->verify(authorization, aud);
      if (!identity) {
        // The reason, never the token (CDS Hooks best practice: 401 with no detail).
        spdlog::warn("401 for {}: {} ({})", aud, identity.error().field, identity.error().message);
        shared->metrics->count_jwt_failure(identity.error().field);
        return std::move(identity).error();
      }
      return http::Caller{identity->iss, identity->sub, identity->tenant};
    };
  }
  handlers.discovery = [document = hooks::discovery_json()] { return document; };
  handlers.call = [shared](std::string_view id, std::string&& body, const http::Caller& caller) {
    const ScopedLogContext log_context(next_request_id(), std::string(id));
    const auto start = std::chrono::steady_clock::now();
    // One snapshot for the whole call: a reload mid-call cannot mix two knowledge versions.
    const auto knowledge = shared->knowledge->load();
    const hooks::Decide decide = [&](const hooks::HookRequest& request,
                                     const std::function<Status()>& ensure) {
      PipelineInput input;
      input.request = &request;
      input.now = std::chrono::system_clock::now();
      input.ensure_clinical_data = ensure;
      input.fact_options = shared->fact_options;
      input.card_settings = shared->card_settings;
      input.record = [&](const ConsultOutcome& outcome) -> Status {
        if (shared->store) {
          // CONTRACT §6: the consult is durable before its response is sent.
          auto status = shared->store->record_consults(
              consult_records(outcome, caller, std::chrono::system_clock::now()));
          if (!status) return status;
        }
        // Counted once recorded: a decision whose card was never sent is not a decision made.
        for (const auto& decision : *outcome.decisions) shared->metrics->count_decision(decision);
        return Ok{};
      };
      return run_pipeline(*knowledge, input);
    };
    auto result =
        hooks::call_service(id, std::move(body), *shared->fetcher, shared->call_options, decide);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (result) {
      spdlog::info("call {}: 200 in {} ms", id, ms);
    } else {
      spdlog::info("call {}: {} ({}) in {} ms", id, http::to_http_status(result.error().code),
                   result.error().message, ms);
    }
    return result;
  };
  handlers.feedback = [shared](std::string_view id, std::string&& body,
                               const http::Caller& caller) {
    const ScopedLogContext log_context(next_request_id(), std::string(id));
    const hooks::FeedbackSink sink = [&](const hooks::Feedback& feedback) -> Status {
      spdlog::info("feedback for {}: {} item(s)", feedback.service_id, feedback.items.size());
      if (!shared->store) return Ok{};
      return shared->store->record_feedback(
          feedback_records(feedback, caller, std::chrono::system_clock::now()));
    };
    return hooks::receive_feedback(id, std::move(body), shared->call_options.limits, sink);
  };
  if (!shared->console_token.empty()) {
    handlers.console = [shared](std::string_view method, std::string_view target,
                                std::string_view authorization, std::string&& body) {
      const auto knowledge = shared->knowledge->load();  // one version for the whole request
      ConsoleContext context;
      context.root = shared->console_dir;
      context.token = shared->console_token;
      context.knowledge = knowledge.get();
      context.examples = shared->console_examples.get();
      context.store = shared->store.get();
      context.fact_options = shared->fact_options;
      auto answer = console_handle(context, method, target, authorization, body,
                                   std::chrono::system_clock::now());
      http::Response response{static_cast<unsigned>(answer.status), std::move(answer.content_type),
                              std::move(answer.body), {}, {}};
      for (auto& [name, value] : answer.headers) {
        if (name == "Allow") {
          response.allow = value;
        } else {
          response.headers.emplace_back(std::move(name), std::move(value));
        }
      }
      return response;
    };
  }
  handlers.ready = [shared]() -> Status {
    if (!shared->knowledge || !shared->knowledge->load())
      return make_error(ErrorCode::unavailable, "", "knowledge not loaded");
    if (shared->store) {
      const auto health = shared->store->health();
      if (!health.writable) {
        return make_error(ErrorCode::unavailable, "audit",
                          "audit store not writable: " + health.last_error);
      }
    }
    return Ok{};
  };
  handlers.metrics = [shared] {
    ScrapeSources sources;
    sources.knowledge_version = [&] {
      const auto knowledge = shared->knowledge ? shared->knowledge->load() : nullptr;
      return knowledge ? knowledge->version : std::string();
    };
    if (shared->store) sources.audit_health = [&] { return shared->store->health(); };
    return shared->metrics->render(sources);
  };
  handlers.observe = [metrics = shared->metrics](http::RouteKind kind, std::string_view id,
                                                 unsigned status,
                                                 std::chrono::steady_clock::duration duration) {
    metrics->observe_request(kind, id, status, duration);
  };
  // "Flush audit": runs after the last in-flight request finished.
  handlers.drain = [shared] {
    if (shared->store) shared->store->flush();
    if (shared->drain) shared->drain();
    spdlog::default_logger()->flush();
  };
  return handlers;
}

int run_serve(int argc, char** argv) {
  ServeConfig config;
  try {
    if (!parse_config(argc, argv, config)) return 0;
  } catch (const std::exception& e) {  // po::error, UsageError, bad numbers
    std::cerr << "vcf-cds serve: " << e.what() << "\n(see vcf-cds serve --help)\n";
    return 1;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  configure_logging(config.log_format);  // validated by parse_config

  http::ServerOptions server_options;
  std::shared_ptr<const Knowledge> knowledge;
  try {
    std::tie(server_options.address, server_options.port) = split_listen(config.listen);
    fs::create_directories(config.data_dir);
    if (!fs::is_directory(config.profiles)) {
      throw std::runtime_error(config.profiles + ": not a folder of FHIR profiles");
    }
    knowledge = std::make_shared<const Knowledge>(
        load_knowledge(config.knowledge, config.profiles, config.card_text));
  } catch (const UsageError& e) {
    std::cerr << "vcf-cds serve: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {  // KnowledgeError, ProfileError, TemplateError, I/O
    spdlog::critical("start-up failed: {}", e.what());
    return 2;
  }
  server_options.threads = config.threads;
  server_options.worker_threads = config.worker_threads;
  server_options.body_limit = config.body_limit;
  server_options.cors_origin = config.cors_origin;
  server_options.tls_cert_file = config.tls_cert;
  server_options.tls_key_file = config.tls_key;
  server_options.header_timeout = std::chrono::milliseconds(config.header_timeout_ms);
  server_options.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  server_options.idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms);

  auto fetcher = std::make_shared<http::FhirClient>(
      http::FhirClientOptions{std::chrono::milliseconds(config.fhir_timeout_ms)});
  ServiceWiring wiring;
  const KnowledgeSources sources{config.knowledge, config.profiles, config.card_text};
  const auto holder = std::make_shared<KnowledgeHolder>(knowledge);
  const auto metrics = std::make_shared<Metrics>();
  wiring.knowledge = holder;
  wiring.metrics = metrics;
  wiring.fetcher = fetcher;
  wiring.fact_options.new_window = std::chrono::days(config.new_window_days);
  wiring.card_settings.qcdsm_id = config.qcdsm_id;
  wiring.card_settings.canonical_base = config.canonical_base;
  wiring.public_base_url = config.public_base_url;
  wiring.allow_anonymous = config.allow_unauthenticated;
  if (!config.console_token.empty()) {
    wiring.console_token =
        config.console_token == "auto" ? cards::random_uuid() : config.console_token;
    wiring.console_dir = config.console_dir;
    try {
      wiring.console_examples = load_example_codes(wiring.console_dir / "example-codes.json");
      if (auto checked = check_example_codes(*wiring.console_examples, *knowledge->terminology);
          !checked) {
        throw std::runtime_error(checked.error().message);
      }
    } catch (const std::exception& e) {
      spdlog::critical("start-up failed: console: {}", e.what());
      return 2;
    }
    if (config.console_token == "auto") {
      // Printed once so the person who started the quick start can open the console.
      // The token rides in the fragment, which browsers never send to the server.
      std::cerr << "review console: " << config.public_base_url << "/console/#token="
                << wiring.console_token << "\n";
    }
  }
  try {
    wiring.verifier = make_verifier(config, fetcher);
    wiring.store = open_audit_store(config);
  } catch (const UsageError& e) {
    std::cerr << "vcf-cds serve: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {  // bad JWKS file, audit store cannot be opened
    spdlog::critical("start-up failed: {}", e.what());
    return 2;
  }
  const auto store = wiring.store;
  http::Server server(server_options, make_handlers(std::move(wiring)));
  try {
    server.start();
  } catch (const std::exception& e) {
    // Bind failures, and a TLS certificate or key that cannot be used (the message names it).
    spdlog::critical("cannot listen on {}: {}", config.listen, e.what());
    return 2;
  }
  // SIGHUP (systemd ExecReload) reloads the knowledge on a thread of its own, so a slow load
  // never holds an I/O thread; the server's own signal_set keeps SIGINT/SIGTERM.
  boost::asio::io_context reload_context;
  boost::asio::signal_set hangup(reload_context, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;  // cancelled at shutdown
      spdlog::info("SIGHUP: reloading knowledge");
      reload_knowledge(*holder, sources, metrics.get());
      await_hangup();
    });
  };
  await_hangup();
  std::thread reload_thread([&] { reload_context.run(); });
  const auto stop_reloads = [&] {
    reload_context.stop();
    reload_thread.join();
  };
  warn_about_trust(config);
  spdlog::info(
      "vcf-cds {} listening on {}:{} ({}, {} threads), public base URL {}, knowledge {}, "
      "audit {} ({}), new-window {} days",
      VCF_CDS_VERSION, server_options.address, server.port(),
      config.tls_cert.empty() ? "plain HTTP" : "HTTPS", config.threads, config.public_base_url,
      knowledge->version, store->health().backend,
      config.database_url.empty() ? config.data_dir : "database-url", config.new_window_days);
  server.wait();
  stop_reloads();
  return 0;
}

}  // namespace vcf_cds::app
