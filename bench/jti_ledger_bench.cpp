// Cost of one JWT replay check: the shared PostgreSQL jti ledger against the in-memory one.
// C caller threads each check fresh ids back to back for N calls; reports the per-call latency
// (mean, p50, p99) and the checks per second, so the cost a shared ledger adds to every
// authenticated request can be read apart from HTTP and signature checks.
//
// usage: vcf_cds_jti_ledger_bench DATABASE_URL [callers=1] [calls_per_caller=5000] [sync=on|off]
// DATABASE_URL "memory" measures the in-memory ledger. Rows are left behind with a forget_after
// one hour ahead of the wall clock; a live service purges them once expired.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "vcf_cds/audit.hpp"
#include "vcf_cds/auth.hpp"

namespace {

using namespace vcf_cds;
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto at = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[at];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATABASE_URL|memory [callers] [calls] [sync=on|off]\n",
                 argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const int callers = argc > 2 ? std::atoi(argv[2]) : 1;
  const int calls = argc > 3 ? std::atoi(argv[3]) : 5000;
  const bool sync = argc > 4 ? std::string(argv[4]) != "off" : true;

  std::shared_ptr<auth::JtiLedger> ledger;
  if (url == "memory") {
    ledger = auth::make_memory_jti_ledger(static_cast<std::size_t>(callers) * calls + 1);
  } else {
    audit::PgJtiLedgerOptions options;
    options.connections = static_cast<std::size_t>(callers);
    options.synchronous_commit = sync;
    ledger = audit::open_pg_jti_ledger(url, options);
  }
  const std::string run = std::to_string(Clock::now().time_since_epoch().count());
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(callers));
  std::vector<int> errors(static_cast<std::size_t>(callers), 0);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&, c] {
      auto& mine = latencies[static_cast<std::size_t>(c)];
      mine.reserve(static_cast<std::size_t>(calls));
      for (int i = 0; i < calls; ++i) {
        const std::string jti = run + "-" + std::to_string(c) + "-" + std::to_string(i);
        const auto now = std::chrono::system_clock::now();
        const auto t0 = Clock::now();
        const auto first =
            ledger->first_use("https://bench.example.org", jti, now + std::chrono::hours(1), now);
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!first || !first.value()) ++errors[static_cast<std::size_t>(c)];
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  int failed = 0;
  for (std::size_t c = 0; c < latencies.size(); ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    failed += errors[c];
  }
  std::sort(all.begin(), all.end());
  double sum = 0;
  for (double v : all) sum += v;
  std::printf(
      "ledger=%s sync=%s callers=%d calls=%zu failed=%d  mean=%.1f us  p50=%.1f us  p99=%.1f us"
      "  %.0f checks/s\n",
      url == "memory" ? "memory" : "postgresql",
      url == "memory" ? "n/a"
      : sync          ? "on"
                      : "off",
      callers, all.size(), failed, sum / static_cast<double>(all.size()), percentile(all, 0.50),
      percentile(all, 0.99), static_cast<double>(all.size()) / seconds);
  return failed == 0 ? 0 : 1;
}
