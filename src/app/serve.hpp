// `vcf-cds serve`: configuration (flags and an optional INI-style file), knowledge loading and
// the wiring of the HTTP server to the hooks protocol and the consult pipeline (issue #3).
#pragma once

#include <functional>
#include <memory>

#include "app/pipeline.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"

namespace vcf_cds::app {

// What the HTTP handlers are wired to; the integration tests build the same wiring.
struct ServiceWiring {
  std::shared_ptr<const Knowledge> knowledge;
  std::shared_ptr<hooks::FhirFetcher> fetcher;
  facts::Options fact_options;
  hooks::CallOptions call_options;
  hooks::FeedbackSink feedback_sink;  // the audit store (issue #7); empty: validate and log
  std::function<void()> drain;        // "flush audit" at shutdown; empty: flush the log
};

// Discovery, service calls (hooks::call_service -> app::run_pipeline) and feedback.
http::Handlers make_handlers(ServiceWiring wiring);

// argv[0] is "serve" or the program name; flags follow. Returns the exit code: 0 after a
// graceful shutdown, 1 for a usage error, 2 when start-up fails (knowledge, profiles, bind).
int run_serve(int argc, char** argv);

}  // namespace vcf_cds::app
