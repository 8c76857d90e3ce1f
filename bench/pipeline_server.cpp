// Bench (b): order-select through the real wiring (app::make_handlers -> consult::Service::run ->
// consult::run_pipeline) with ServiceWiring.store = nullptr, i.e. no audit record and no fsync.
// Everything else mirrors `vcf-cds serve --allow-unauthenticated` with its defaults (knowledge
// paths relative to the working directory, logging at info, FHIR client for missing prefetch).
//
//   vcf_cds_pipeline_server PORT THREADS [LOG_LEVEL [AUDIT_DIR [COMPUTE]]]
// Run from the source tree. LOG_LEVEL defaults to info, as `vcf-cds serve` (one line per call).
// Experiments only (not part of (b)): AUDIT_DIR wires the real SQLite store (as (c); "" leaves it
// off), COMPUTE sets http::ServerOptions::compute_threads (serve's default 0 = THREADS).
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "app/serve.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/consult.hpp"
#include "vcf_cds/http.hpp"
#include "vcf_cds/http_client.hpp"

int main(int argc, char** argv) {
  using namespace vcf_cds;
  if (argc < 3 || argc > 6) {
    std::cerr << "usage: vcf_cds_pipeline_server PORT THREADS [LOG_LEVEL [AUDIT_DIR [COMPUTE]]]\n";
    return 1;
  }
  spdlog::set_level(spdlog::level::from_str(argc >= 4 ? argv[3] : "info"));
  http::ServerOptions options;
  options.port = static_cast<unsigned short>(std::atoi(argv[1]));
  options.threads = static_cast<unsigned>(std::atoi(argv[2]));

  app::ServiceWiring wiring;
  wiring.knowledge =
      std::make_shared<consult::KnowledgeHolder>(std::make_shared<const consult::Knowledge>(
          consult::load_knowledge("cards/criteria.json", "fhir-profiles", "cards/templates")));
  wiring.fetcher = std::make_shared<http_client::FhirClient>(http_client::FhirClientOptions{});
  wiring.public_base_url = "http://127.0.0.1:" + std::to_string(options.port);
  wiring.allow_anonymous = true;
  wiring.verifier = nullptr;
  wiring.store = nullptr;                 // the point of this binary: no audit
  if (argc >= 5 && argv[4][0] != '\0') {  // "": no store (COMPUTE alone)
    audit::StoreConfig store_config;
    store_config.data_dir = argv[4];
    wiring.store = audit::open_store(store_config);
  }
  options.worker_threads = 64;  // serve's default
  if (argc >= 6) options.compute_threads = static_cast<unsigned>(std::atoi(argv[5]));

  http::Server server(options, app::make_handlers(std::move(wiring)));
  server.start();
  spdlog::info("pipeline server (no audit) on 127.0.0.1:{} ({} threads)", server.port(),
               options.threads);
  server.wait();
  return 0;
}
