// `vcf-cds serve`: configuration (flags and an optional INI-style file), knowledge loading and
// the wiring of the HTTP server to the consult stage, the console and the evidence pages.
#pragma once

#include <functional>
#include <memory>

#include "common/memory_trim.hpp"
#include "vcf_cds/console.hpp"
#include "vcf_cds/consult.hpp"
#include "vcf_cds/http.hpp"

namespace vcf_cds::app {

// What the HTTP handlers are wired to; the integration tests build the same wiring.
struct ServiceWiring : consult::Context {
  // The review console (/console/): off unless a token is set.
  std::string console_token;
  std::filesystem::path console_dir;
  std::filesystem::path console_js_dir;
  std::shared_ptr<const console::ExampleCodes> console_examples;
  std::function<void()> drain;  // extra work at shutdown, after the audit flush
  // Run after each large exchange (http::ServerOptions::large_exchange_bytes), counted in
  // vcf_cds_memory_trims_total. Null: nothing runs.
  std::shared_ptr<common::MemoryTrimmer> memory_trimmer;
};

// Discovery, service calls and feedback (consult::Service), the console, evidence pages,
// readiness, /metrics and drain. The FHIR fetcher is wrapped to count fetch errors.
http::Handlers make_handlers(ServiceWiring wiring);

// argv[0] is "serve" or the program name; flags follow. Returns the exit code (app/cli.hpp):
// kExitOk after a graceful shutdown, kExitUsage, or kExitFailure when start-up fails.
int run_serve(int argc, char** argv);

}  // namespace vcf_cds::app
