// Audit commit path alone (row (c) of bench/run.sh): N caller threads each record one consult at a time
// (as one HTTP call does) into a real durable store for D seconds. Reports consults/s, records per
// transaction and the commit time, so the cost of durability can be read apart from HTTP.
//
// usage: vcf_cds_audit_bench DATA_DIR [callers=32] [seconds=5] [card_bytes=6400]
// A fresh DATA_DIR each run. The sample card and facts repeat across records, so they are stored
// once (chain format 2) and the file grows by the rows alone; bench/run.sh measures real cards.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "vcf_cds/audit.hpp"

namespace {

using namespace vcf_cds;

// Sized like the large bench request's record: card ~6.4 KB, facts ~1.5 KB.
audit::ConsultRecord sample_record(std::size_t card_bytes, std::uint64_t n) {
  audit::ConsultRecord r;
  r.consult_id = "urn:uuid:00000000-0000-4000-8000-" + std::to_string(100000000000 + n);
  r.time = "2026-11-25T18:00:00.000Z";
  r.service_id = "vcf-imaging-select";
  r.hook = "order-select";
  r.hook_instance = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea";
  r.user_id = "Practitioner/example";
  r.patient_id = "Patient/" + std::to_string(n % 997);
  r.order_ref = "ServiceRequest/example-request-id";
  r.order_codes = R"([{"system":"http://www.ama-assn.org/go/cpt","code":"72149"}])";
  r.procedure_row = "MRI lumbar spine without and with IV contrast";
  r.variant = 1;
  r.category = "Usually not appropriate";
  r.rating = 3;
  r.median = 3;
  r.pama_rating = "not-appropriate";
  r.facts = std::string(1500, 'f');
  r.candidates = R"([{"variant":1,"category":"Usually not appropriate","rating":3}])";
  r.assumptions = R"({"assumed":[{"fact":"symptomatic","present":true}]})";
  r.card_uuid = "card-" + std::to_string(n);
  r.suggestion_uuids = {"s1-" + std::to_string(n), "s2-" + std::to_string(n)};
  r.card.reserve(card_bytes);
  while (r.card.size() < card_bytes) r.card += R"({"summary":"Usually not appropriate: MRI",)";
  r.knowledge_version = "sha256:0123456789abcdef";
  r.service_version = "0.1.0";
  r.latency_ms = 0.5;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR [callers] [seconds] [card_bytes]\n", argv[0]);
    return 2;
  }
  const int callers = argc > 2 ? std::atoi(argv[2]) : 32;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::size_t card_bytes = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 6400;

  audit::StoreConfig config;
  config.data_dir = argv[1];
  config.database_url =
      std::getenv("VCF_CDS_BENCH_PG_URL") ? std::getenv("VCF_CDS_BENCH_PG_URL") : "";
  auto store = audit::open_store(config);

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> done{0}, failed{0}, next{0};
  std::vector<std::thread> threads;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < callers; ++i) {
    threads.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        std::vector<audit::ConsultRecord> records;
        records.push_back(sample_record(card_bytes, next.fetch_add(1)));
        if (store->record_consults(std::move(records))) {
          done.fetch_add(1);
        } else {
          failed.fetch_add(1);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  const auto health = store->health();
  std::printf(
      "backend=%s callers=%d seconds=%.2f consults=%llu failed=%llu consults_per_s=%.0f "
      "commits=%llu records_per_commit=%.1f last_commit_ms=%.3f\n",
      health.backend.c_str(), callers, took.count(), static_cast<unsigned long long>(done.load()),
      static_cast<unsigned long long>(failed.load()), done.load() / took.count(),
      static_cast<unsigned long long>(health.commits),
      health.commits ? double(health.records) / double(health.commits) : 0.0,
      health.last_commit_ms);
  return failed.load() == 0 ? 0 : 1;
}
