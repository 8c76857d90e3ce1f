// `vcf-cds serve`: configuration -> knowledge -> verifier and audit store -> HTTP server wired to
// the handlers, then SIGHUP reloads until shutdown. Start-up problems stop the process
// (kExitFailure).
#include "app/serve.hpp"

#include <spdlog/spdlog.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/serve_config.hpp"
#include "common/json_file.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/auth.hpp"
#include "vcf_cds/consult.hpp"
#include "vcf_cds/criteria.hpp"
#include "vcf_cds/facts.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"
#include "vcf_cds/http_client.hpp"
#include "vcf_cds/observability.hpp"

namespace vcf_cds::app {
namespace {

namespace fs = std::filesystem;

// JWKS URLs are fetched with the same verified-TLS client as FHIR data.
auth::JwksFetcher jwks_fetcher(std::shared_ptr<http_client::FhirClient> client) {
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

// With a PostgreSQL store the jti ledger lives in that database, so every instance sharing it
// refuses a replay; otherwise the verifier keeps its own in-memory ledger.
std::shared_ptr<auth::Verifier> make_verifier(const ServeConfig& config,
                                              std::shared_ptr<http_client::FhirClient> client) {
  if (config.trust_issuers.empty()) return nullptr;
  auth::AuthConfig auth_config;
  auth_config.skew = std::chrono::seconds(config.jwt_skew_seconds);
  auth_config.max_lifetime = std::chrono::seconds(config.jwt_max_lifetime_seconds);
  auth_config.replay_cache_capacity = config.jwt_replay_capacity;
  for (const auto& flag : config.trust_issuers) {
    auto issuer = auth::parse_trust_issuer(flag);
    if (!issuer) throw UsageError("--trust-issuer " + flag + ": " + issuer.error().message);
    auth_config.issuers.push_back(std::move(issuer).value());
  }
  std::shared_ptr<auth::JtiLedger> ledger;
  if (!config.database_url.empty()) {
    audit::PgJtiLedgerOptions options;
    options.synchronous_commit = config.jwt_replay_durable;
    ledger = audit::open_pg_jti_ledger(config.database_url, options);
  }
  spdlog::info("JWT replay check: {}, tokens accepted for at most {} s",
               ledger ? "jti ledger shared through PostgreSQL"
                      : "in-memory jti ledger of " +
                            std::to_string(auth::replay_capacity(auth_config)) + " entries",
               auth_config.max_lifetime.count());
  return std::make_shared<auth::Verifier>(std::move(auth_config), auth::Clock{},
                                          jwks_fetcher(std::move(client)), std::move(ledger));
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

// glibc gives threads their own malloc arenas, up to 8 per core; with 64 workers that is 16
// arenas, each keeping its freed memory: ~6 MiB more peak RSS under the large-request load and no
// measured throughput gain (bench/RESULTS.md). MALLOC_ARENA_MAX in the environment still wins.
void cap_malloc_arenas() {
#ifdef __GLIBC__
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 4);
#endif
}

}  // namespace

int run_serve(int argc, char** argv) {
  cap_malloc_arenas();
  ServeConfig config;
  try {
    if (!parse_config(argc, argv, config)) return kExitOk;
  } catch (const std::exception& e) {  // po::error, UsageError, bad numbers
    std::cerr << "vcf-cds serve: " << e.what() << "\n(see vcf-cds serve --help)\n";
    return kExitUsage;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  observability::configure_logging(config.log_format);  // validated by parse_config

  http::ServerOptions server_options;
  std::shared_ptr<const consult::Knowledge> knowledge;
  try {
    std::tie(server_options.address, server_options.port) = split_listen(config.listen);
    fs::create_directories(config.data_dir);
    if (!fs::is_directory(config.profiles)) {
      throw std::runtime_error(config.profiles + ": not a folder of FHIR profiles");
    }
    knowledge = std::make_shared<const consult::Knowledge>(
        consult::load_knowledge(config.knowledge, config.profiles, config.card_text));
  } catch (const UsageError& e) {
    std::cerr << "vcf-cds serve: " << e.what() << '\n';
    return kExitUsage;
  } catch (const std::exception& e) {  // KnowledgeError, ProfileError, TemplateError, I/O
    spdlog::critical("start-up failed: {}", e.what());
    return kExitFailure;
  }
  server_options.threads = config.threads;
  server_options.worker_threads = config.worker_threads;
  server_options.compute_threads = config.compute_threads;
  server_options.body_limit = config.body_limit;
  server_options.max_connections = config.max_connections;
  server_options.large_exchange_bytes = config.trim_after_bytes;
  server_options.cors_origin = config.cors_origin;
  server_options.tls_cert_file = config.tls_cert;
  server_options.tls_key_file = config.tls_key;
  server_options.header_timeout = std::chrono::milliseconds(config.header_timeout_ms);
  server_options.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  server_options.idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms);

  auto fetcher = std::make_shared<http_client::FhirClient>(
      http_client::FhirClientOptions{std::chrono::milliseconds(config.fhir_timeout_ms)});
  ServiceWiring wiring;
  const consult::KnowledgeSources sources{config.knowledge, config.profiles, config.card_text};
  const auto holder = std::make_shared<consult::KnowledgeHolder>(knowledge);
  const auto metrics = std::make_shared<observability::Metrics>();
  wiring.knowledge = holder;
  wiring.metrics = metrics;
  wiring.fetcher = fetcher;
  if (config.trim_after_bytes > 0)
    wiring.memory_trimmer = std::make_shared<common::MemoryTrimmer>();
  wiring.fact_options.new_window = std::chrono::days(config.new_window_days);
  wiring.repeat_window = std::chrono::hours(config.repeat_window_hours);
  {
    auto allowed = hooks::FhirServerAllowList::parse(config.fhir_server_allow);
    if (!allowed) {
      std::cerr << "vcf-cds serve: --fhir-server-allow: " << allowed.error().message << '\n';
      return kExitUsage;
    }
    wiring.call_options.prefetch.fhir_servers = std::move(*allowed);
    wiring.call_options.prefetch.budget_time = std::chrono::milliseconds(config.fhir_budget_ms);
    wiring.call_options.prefetch.budget_bytes = config.fhir_budget_bytes;
    wiring.fhir_origin_concurrency = config.fhir_origin_concurrency;
    if (config.fhir_server_allow.empty()) {
      spdlog::warn(
          "no --fhir-server-allow: data missing from prefetch is never fetched (412 when the "
          "decision needs it)");
    }
  }
  wiring.card_settings.qcdsm_id = config.qcdsm_id;
  wiring.card_settings.canonical_base = config.canonical_base;
  wiring.card_settings.evidence_base = config.evidence_base_url;
  wiring.card_settings.quiet_when_appropriate = config.quiet_when_appropriate;
  wiring.public_base_url = config.public_base_url;
  wiring.allow_anonymous = config.allow_unauthenticated;
  if (!config.console_token.empty()) {
    wiring.console_token =
        config.console_token == "auto" ? cards::random_uuid() : config.console_token;
    wiring.console_dir = config.console_dir;
    wiring.console_js_dir = config.console_js_dir;
    try {
      console::check_console_libraries(wiring.console_js_dir);
      wiring.console_examples =
          console::load_example_codes(wiring.console_dir / "example-codes.json");
      if (auto checked =
              console::check_example_codes(*wiring.console_examples, *knowledge->terminology);
          !checked) {
        throw std::runtime_error(checked.error().message);
      }
    } catch (const std::exception& e) {
      spdlog::critical("start-up failed: console: {}", e.what());
      return kExitFailure;
    }
    if (config.console_token == "auto") {
      // Printed once so the person who started the quick start can open the console.
      // The token rides in the fragment, which browsers never send to the server.
      std::cerr << "review console: " << config.public_base_url
                << "/console/#token=" << wiring.console_token << "\n";
    }
  }
  try {
    wiring.store = open_audit_store(config);  // first: its errors name a bad database URL
    wiring.verifier = make_verifier(config, fetcher);
  } catch (const UsageError& e) {
    std::cerr << "vcf-cds serve: " << e.what() << '\n';
    return kExitUsage;
  } catch (const std::exception& e) {  // bad JWKS file, audit store cannot be opened
    spdlog::critical("start-up failed: {}", e.what());
    return kExitFailure;
  }
  const auto store = wiring.store;
  // SIGHUP (systemd ExecReload) reloads the knowledge on a thread of its own, so a slow load
  // never holds an I/O thread; the server's own signal_set keeps SIGINT/SIGTERM. Installed
  // before the server answers /healthz: a SIGHUP that arrives once it looks ready must not
  // meet the default action (terminate).
  boost::asio::io_context reload_context;
  boost::asio::signal_set hangup(reload_context, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;  // cancelled at shutdown
      spdlog::info("SIGHUP: reloading knowledge");
      consult::reload_knowledge(*holder, sources, metrics.get());
      await_hangup();
    });
  };
  await_hangup();
  std::thread reload_thread([&] { reload_context.run(); });
  const auto stop_reloads = [&] {
    reload_context.stop();
    reload_thread.join();
  };
  http::Server server(server_options, make_handlers(std::move(wiring)));
  try {
    server.start();
  } catch (const std::exception& e) {
    // Bind failures, and a TLS certificate or key that cannot be used (the message names it).
    spdlog::critical("cannot listen on {}: {}", config.listen, e.what());
    stop_reloads();
    return kExitFailure;
  }
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
  return kExitOk;
}

}  // namespace vcf_cds::app
