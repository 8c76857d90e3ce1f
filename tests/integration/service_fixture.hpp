// Starts the real server in-process on a loopback port chosen by the kernel, wired exactly as
// `vcf-cds serve` wires it (app::make_handlers, the real knowledge and pipeline), with short
// timeouts so timeout tests stay fast.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include "app/serve.hpp"
#include "vcf_cds/http_client.hpp"
#include "vcf_cds/observability.hpp"

#include "support/temp_dir.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/auth.hpp"

namespace vcf_cds::testing {

inline std::shared_ptr<const consult::Knowledge> shared_knowledge() {
  static const auto knowledge = std::make_shared<const consult::Knowledge>(
      consult::load_knowledge(source_path("cards/criteria.json"), source_path("fhir-profiles"),
                              source_path("cards/templates")));
  return knowledge;
}

inline http::ServerOptions test_server_options() {
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.worker_threads = 2;
  options.body_limit = 64 * 1024;
  options.header_timeout = std::chrono::milliseconds(300);
  options.read_timeout = std::chrono::milliseconds(1000);
  options.idle_timeout = std::chrono::milliseconds(600);
  options.handle_signals = false;
  return options;
}

// Optional parts of the wiring: a JWT verifier (auth on) and the public base URL for `aud`.
struct ServiceExtras {
  std::shared_ptr<auth::Verifier> verifier;
  std::string public_base_url = "http://127.0.0.1";
  bool audit = true;  // false: no store wired (what bench (b) measures)
  std::function<std::chrono::system_clock::time_point()> clock{};  // empty: the system clock
  // FHIR servers the prefetch fallback may reach: the loopback test server by default.
  std::vector<std::string> fhir_server_allow{"http://127.0.0.1:*", "https://127.0.0.1:*"};
  // The call's FHIR fallback budget (PrefetchOptions defaults otherwise).
  std::optional<std::chrono::milliseconds> fhir_budget_time = std::nullopt;
  std::optional<std::size_t> fhir_budget_bytes = std::nullopt;
  std::size_t fhir_origin_concurrency = 8;  // calls reading from one FHIR server at once
  std::string console_token{};              // the review console, on when set
  // The heap trim run after a large exchange (ServerOptions::large_exchange_bytes); empty: none.
  std::function<void()> trim{};
};

class ServiceUnderTest {
 public:
  explicit ServiceUnderTest(http::ServerOptions options = test_server_options(),
                            std::chrono::milliseconds fhir_timeout = std::chrono::milliseconds(300),
                            ServiceExtras extras = {}) {
    app::ServiceWiring wiring;
    wiring.knowledge = knowledge_;
    wiring.metrics = metrics_;
    wiring.fetcher =
        std::make_shared<http_client::FhirClient>(http_client::FhirClientOptions{fhir_timeout});
    auto allowed = hooks::FhirServerAllowList::parse(extras.fhir_server_allow);
    REQUIRE(allowed.has_value());
    wiring.call_options.prefetch.fhir_servers = std::move(*allowed);
    if (extras.fhir_budget_time)
      wiring.call_options.prefetch.budget_time = *extras.fhir_budget_time;
    if (extras.fhir_budget_bytes)
      wiring.call_options.prefetch.budget_bytes = *extras.fhir_budget_bytes;
    wiring.fhir_origin_concurrency = extras.fhir_origin_concurrency;
    if (!extras.console_token.empty()) {
      wiring.console_token = extras.console_token;
      wiring.console_dir = source_path("deploy/console");
    }
    // A real embedded audit store, as `vcf-cds serve` opens it (no mocks).
    audit::StoreConfig store_config;
    store_config.data_dir = data_dir_.path();
    store_ = audit::open_store(store_config);
    if (extras.audit) wiring.store = store_;
    wiring.verifier = std::move(extras.verifier);
    wiring.public_base_url = std::move(extras.public_base_url);
    if (extras.clock) wiring.clock = std::move(extras.clock);
    wiring.drain = [this] { ++drained_; };
    if (extras.trim) {
      wiring.memory_trimmer = std::make_shared<common::MemoryTrimmer>(std::move(extras.trim));
    }
    server_ =
        std::make_unique<http::Server>(std::move(options), app::make_handlers(std::move(wiring)));
    server_->start();
  }
  ~ServiceUnderTest() { stop(); }

  unsigned short port() const { return server_->port(); }
  void stop() {
    server_->shutdown();
    server_->wait();
  }
  int drained() const { return drained_; }
  consult::KnowledgeHolder& knowledge() { return *knowledge_; }
  observability::Metrics& metrics() { return *metrics_; }
  audit::Store& store() { return *store_; }
  const std::filesystem::path& data_dir() const { return data_dir_.path(); }
  std::vector<audit::FeedbackRecord> feedback() {
    auto found = store_->find_feedback({});
    REQUIRE(found.has_value());
    return std::move(found).value();
  }
  std::vector<audit::ConsultRecord> consults() {
    auto found = store_->find_consults({});
    REQUIRE(found.has_value());
    return std::move(found).value();
  }

 private:
  TempDir data_dir_;
  std::shared_ptr<audit::Store> store_;
  std::shared_ptr<consult::KnowledgeHolder> knowledge_ =
      std::make_shared<consult::KnowledgeHolder>(shared_knowledge());
  std::shared_ptr<observability::Metrics> metrics_ = std::make_shared<observability::Metrics>();
  std::atomic<int> drained_{0};
  std::unique_ptr<http::Server> server_;
};

}  // namespace vcf_cds::testing
