// The HTTP handlers of `vcf-cds serve`: the CDS Hooks routes go to the consult stage; the console,
// evidence pages, readiness, metrics and drain are wired here.
#include <spdlog/spdlog.h>

#include "app/serve.hpp"
#include "vcf_cds/evidence.hpp"
#include "vcf_cds/observability.hpp"

namespace vcf_cds::app {

http::Handlers make_handlers(ServiceWiring wiring) {
  const consult::Service service(static_cast<consult::Context>(wiring));
  // The service owns the metrics and counting fetcher it made; the other routes share them.
  static_cast<consult::Context&>(wiring) = service.context();
  auto shared = std::make_shared<const ServiceWiring>(std::move(wiring));
  http::Handlers handlers;
  handlers.discovery = [service](std::string_view authorization) {
    return service.discovery(authorization);
  };
  handlers.call = [service](std::string_view id, std::string&& body, std::string_view authorization,
                            const http::Offload& offload, consult::Answer done) {
    service.run({std::string(id), std::string(authorization), std::move(body)}, offload,
                std::move(done));
  };
  handlers.feedback = [service](std::string_view id, std::string&& body,
                                std::string_view authorization) {
    return service.feedback(id, std::move(body), authorization);
  };
  if (!shared->console_token.empty()) {
    handlers.console = [shared](std::string_view method, std::string_view target,
                                std::string_view authorization, std::string&& body) {
      const auto knowledge = shared->knowledge->load();  // one version for the whole request
      console::ConsoleContext context;
      context.root = shared->console_dir;
      context.js_dir = shared->console_js_dir;
      context.token = shared->console_token;
      context.knowledge = knowledge.get();
      context.examples = shared->console_examples.get();
      context.store = shared->store.get();
      context.fact_options = shared->fact_options;
      auto answer = console::console_handle(context, method, target, authorization, body,
                                            std::chrono::system_clock::now());
      http::Response response{static_cast<unsigned>(answer.status),
                              std::move(answer.content_type),
                              std::move(answer.body),
                              {},
                              {}};
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
  handlers.evidence = [shared](std::string_view target, std::string_view accept) {
    const auto knowledge = shared->knowledge->load();
    auto page = evidence::render(*knowledge->criteria, *knowledge->card_text, target,
                                 evidence::negotiate(target, accept));
    http::Response response{
        page.status, std::move(page.content_type), std::move(page.body), {}, {}};
    // Knowledge only: any cache may keep it; Vary because one URL has two representations.
    response.headers.emplace_back("Vary", "Accept");
    response.headers.emplace_back("Cache-Control", "public, max-age=300");
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
    return response;
  };
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
    observability::ScrapeSources sources;
    sources.knowledge_version = [&] {
      const auto knowledge = shared->knowledge ? shared->knowledge->load() : nullptr;
      return knowledge ? knowledge->version : std::string();
    };
    if (shared->store) sources.audit_health = [&] { return shared->store->health(); };
    if (shared->verifier) sources.replay_ledger = [&] { return shared->verifier->stats().replay; };
    return shared->metrics->render(sources);
  };
  handlers.observe = [metrics = shared->metrics](http::RouteKind kind, std::string_view id,
                                                 unsigned status,
                                                 std::chrono::steady_clock::duration duration) {
    metrics->observe_request(kind, id, status, duration);
  };
  handlers.connection_refused = [metrics = shared->metrics] {
    metrics->count_connection_refused();
  };
  if (shared->memory_trimmer) {
    handlers.after_large_exchange = [shared](std::size_t request_bytes,
                                             std::size_t response_bytes) {
      const auto start = std::chrono::steady_clock::now();
      const auto trims = shared->memory_trimmer->request();
      shared->metrics->count_memory_trims(trims);
      if (trims > 0) {
        spdlog::debug("memory trimmed {} time(s) in {} ms after a call of {} B in, {} B out", trims,
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count(),
                      request_bytes, response_bytes);
      }
    };
  }
  // "Flush audit": runs after the last in-flight request finished.
  handlers.drain = [shared] {
    if (shared->store) shared->store->flush();
    if (shared->drain) shared->drain();
    spdlog::default_logger()->flush();
  };
  return handlers;
}

}  // namespace vcf_cds::app
