// `vcf-cds serve`: configuration (flags and an optional INI-style file), knowledge loading and
// the wiring of the HTTP server to the hooks protocol and the consult pipeline (issue #3).
#pragma once

#include <functional>
#include <memory>

#include "app/console_api.hpp"
#include "app/knowledge_reload.hpp"
#include "app/metrics.hpp"
#include "app/pipeline.hpp"
#include "common/log_limiter.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/auth.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"

namespace vcf_cds::app {

// What the HTTP handlers are wired to; the integration tests build the same wiring.
struct ServiceWiring {
  std::shared_ptr<KnowledgeHolder> knowledge;  // each call uses one snapshot; SIGHUP swaps it
  std::shared_ptr<Metrics> metrics;            // null: make_handlers makes a private one
  std::shared_ptr<hooks::FhirFetcher> fetcher;
  facts::Options fact_options;
  hooks::CallOptions call_options;
  cards::Settings card_settings;
  std::string public_base_url;               // JWT `aud` is this + the endpoint path
  std::shared_ptr<auth::Verifier> verifier;  // null: no JWT checks at all
  bool allow_anonymous = false;              // --allow-unauthenticated: no token is accepted
  std::shared_ptr<audit::Store> store;       // null: nothing recorded (tests only)
  // The review console (/console/): off unless a token is set.
  std::string console_token;
  std::filesystem::path console_dir;
  std::filesystem::path console_js_dir;
  std::shared_ptr<const ExampleCodes> console_examples;
  std::function<void()> drain;  // extra work at shutdown, after the audit flush
  // order-sign after order-select (CONTRACT §7): an order rated the same way within this window
  // gets no second card. 0: off.
  std::chrono::hours repeat_window{24};
  // The time a call is decided at (the "new" window, the repeat window, audit times); injected
  // so tests can move it.
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
  // Time source of the log limiters below (tests inject one); empty: the steady clock.
  common::LogLimiter::Now log_clock;
  // Made by make_handlers: one line per window for refused tokens and for calls answered 503
  // (an audit store outage fails every call the same way); /metrics still counts each.
  std::shared_ptr<common::LogLimiter> refused_token_log;
  std::shared_ptr<common::LogLimiter> unavailable_log;
};

// Discovery, service calls (hooks::call_service -> app::run_pipeline), feedback and /metrics.
// The FHIR fetcher is wrapped to count fetch errors; JWT refusals and decisions are counted too.
http::Handlers make_handlers(ServiceWiring wiring);

// argv[0] is "serve" or the program name; flags follow. Returns the exit code: 0 after a
// graceful shutdown, 1 for a usage error, 2 when start-up fails (knowledge, profiles, bind).
int run_serve(int argc, char** argv);

}  // namespace vcf_cds::app
