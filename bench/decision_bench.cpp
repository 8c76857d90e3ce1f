// Micro benchmarks: the decision path alone and start-up knowledge loading.
//
// BM_Decision/{small,large}: one service call without HTTP and without audit:
//   copy body -> hooks::parse_request (parse_json in situ + validation) -> consult::run_pipeline
//   (facts -> decision -> cards), with ensure_clinical_data = hooks::complete_prefetch on the
//   request's own prefetch (never fetches: a fetch would fail the iteration) and no record.
// BM_Record/{small,large}: the same call, plus what a durable audit adds on the call's thread
//   (row (c)): the consult's audit record (consult::consult_records), validated and with its
//   canonical JSON drafted (audit::detail::queue_record), as BatchedStore does before the writer.
// BM_LoadKnowledge: consult::load_knowledge (criteria + version hash, profiles, card text).
//
// Allocations are counted by replacing the global operator new/delete in this binary only.
// Request bodies: BENCH_REQUEST_DIR (default ./) must hold small.json and large.json from
// bench/make_requests.py. Run from the source tree (knowledge paths are relative to it).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>
#include <string>

#include "audit/record.hpp"
#include "consult/audit_records.hpp"
#include "vcf_cds/consult.hpp"
#include "vcf_cds/hooks.hpp"

// ---- allocation counting ---------------------------------------------------------------------
namespace {
std::atomic<std::uint64_t> g_allocs{0};
std::atomic<std::uint64_t> g_bytes{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(size, std::memory_order_relaxed);
  return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& t) noexcept {
  return operator new(size, t);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace {

using namespace vcf_cds;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "decision_bench: cannot read " << path << '\n';
    std::exit(1);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string request_dir() {
  const char* dir = std::getenv("BENCH_REQUEST_DIR");
  return dir ? std::string(dir) + "/" : std::string("./");
}

const consult::Knowledge& knowledge() {
  static const consult::Knowledge loaded =
      consult::load_knowledge("cards/criteria.json", "fhir-profiles", "cards/templates");
  return loaded;
}

// Prefetch is always complete in the bench requests; a fetch attempt is a bench bug.
class NoFetch : public hooks::FhirFetcher {
 public:
  Result<hooks::FhirResponse> get(std::string_view url, std::string_view) override {
    return make_error(ErrorCode::unavailable, "bench", "unexpected FHIR GET " + std::string(url));
  }
};

// Drafts the call's audit records as a durable store does on the caller's thread.
Status draft_records(const consult::ConsultOutcome& outcome) {
  static const auth::ClientIdentity caller;
  for (auto& record : consult::consult_records(outcome, caller, std::chrono::system_clock::now())) {
    if (Status s = audit::detail::validate(record); !s) return s;
    auto queued = audit::detail::queue_record(std::move(record));
    benchmark::DoNotOptimize(queued.draft->text.data());
  }
  return Ok{};
}

// One call; returns the response size (0 on error, printed when `verbose`).
std::size_t decide_once(const std::string& body, bool verbose = false, bool record = false) {
  static NoFetch fetcher;
  static const hooks::PrefetchOptions prefetch_options;
  static const hooks::JsonLimits limits;
  const hooks::ServiceDescriptor& service = *hooks::find_service("vcf-imaging-select");
  hooks::ParsedCall parsed;
  parsed.service = &service;
  parsed.body.text = body;  // the server hands the pipeline an owned body; this copy is its cost
  const auto fail = [verbose](const Error& e) -> std::size_t {
    if (verbose) std::cerr << "decision_bench: " << e.field << ": " << e.message << '\n';
    return 0;
  };
  // parse_request runs hooks::parse_json (in situ) itself, despite its header comment.
  if (auto s = hooks::parse_request(parsed, service, limits); !s) return fail(s.error());
  consult::PipelineInput input;
  input.request = &parsed.request;
  input.now = std::chrono::system_clock::now();
  input.ensure_clinical_data = [&]() -> Status {
    return hooks::complete_prefetch(parsed, fetcher, prefetch_options);
  };
  if (record) input.record = draft_records;
  auto result = consult::run_pipeline(knowledge(), input);
  if (!result) return fail(result.error());
  return result->size();
}

void run_calls(benchmark::State& state, const char* file, bool record) {
  const std::string body = read_text(request_dir() + file);
  const std::size_t expected = decide_once(body, true, record);  // warm-up and sanity
  if (expected == 0) {
    state.SkipWithError("the request did not produce a response");
    return;
  }
  const std::uint64_t a0 = g_allocs.load(), b0 = g_bytes.load();
  for (auto _ : state) {
    benchmark::DoNotOptimize(decide_once(body, false, record));
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["allocs/req"] = static_cast<double>(g_allocs.load() - a0) / n;
  state.counters["alloc_KiB/req"] = static_cast<double>(g_bytes.load() - b0) / n / 1024.0;
  state.counters["body_B"] = static_cast<double>(body.size());
  state.counters["resp_B"] = static_cast<double>(expected);
}

void BM_Decision(benchmark::State& state, const char* file) {
  run_calls(state, file, false);
}

void BM_Record(benchmark::State& state, const char* file) {
  run_calls(state, file, true);
}

void BM_LoadKnowledge(benchmark::State& state) {
  const std::uint64_t a0 = g_allocs.load();
  for (auto _ : state) {
    auto k = consult::load_knowledge("cards/criteria.json", "fhir-profiles", "cards/templates");
    benchmark::DoNotOptimize(k.version.data());
  }
  state.counters["allocs"] =
      static_cast<double>(g_allocs.load() - a0) / static_cast<double>(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(BM_Decision, small, "small.json")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decision, large, "large.json")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Record, small, "small.json")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Record, large, "large.json")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LoadKnowledge)->Unit(benchmark::kMillisecond)->MinTime(2.0);

BENCHMARK_MAIN();
