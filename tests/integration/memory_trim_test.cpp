// Memory is returned after a big call (issue #23): once a call whose request body or response
// reached --trim-after-bytes has been answered and let go, the server trims the heap on a worker
// thread (one trim at a time); small calls never trim, and 0 turns trimming off. The trims are
// counted by an injected trimmer and by /metrics; stopping the server joins its workers, so the
// counts are final without waiting.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <atomic>

#include "integration/long_problem_list.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::testing;
using namespace std::chrono_literals;

constexpr std::size_t kThreshold = 64 * 1024;
constexpr std::string_view kCall = "/cds-services/vcf-imaging-select";

// The value of one sample line (`name{labels} value`) in the exposition text; -1 when absent.
double sample(const std::string& text, const std::string& name_and_labels) {
  const auto at = ("\n" + text).find("\n" + name_and_labels + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name_and_labels.size() + 1));
}

double trims_metric(ServiceUnderTest& service) {
  return sample(service.metrics().render({}), "vcf_cds_memory_trims_total");
}

http::ServerOptions trimming_options(std::size_t threshold) {
  auto options = test_server_options();
  options.body_limit = 1024 * 1024;
  options.large_exchange_bytes = threshold;
  return options;
}

ServiceExtras counting_trims(std::atomic<int>& trims) {
  ServiceExtras extras;
  extras.trim = [&trims] { ++trims; };
  return extras;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("memory trim: a small call -> no trim; a call over --trim-after-bytes -> one trim") {
    std::atomic<int> trims{0};
    ServiceUnderTest service(trimming_options(kThreshold), 300ms, counting_trims(trims));

    const std::string small = hooks_fixture("order-select-pama.json");
    auto response = exchange(service.port(), "POST", kCall, small);
    REQUIRE(response);
    REQUIRE(response->result_int() == 200);
    REQUIRE(small.size() < kThreshold);
    REQUIRE(response->body().size() < kThreshold);

    const std::string big = many_pain_records(1000);
    REQUIRE(big.size() >= kThreshold);
    response = exchange(service.port(), "POST", kCall, big);
    REQUIRE(response);
    REQUIRE(response->result_int() == 200);

    service.stop();  // joins the workers: a trim the big call started has finished
    CHECK(trims == 1);
    CHECK(trims_metric(service) == 1);
  }

  TEST_CASE("memory trim: a small request whose response reaches the threshold -> one trim") {
    // The PAMA call's response (one card) is larger than its request: a threshold between the
    // two makes the response alone count.
    const std::string small = hooks_fixture("order-select-pama.json");
    std::size_t response_size = 0;
    {
      ServiceUnderTest probe;
      auto response = exchange(probe.port(), "POST", kCall, small);
      REQUIRE(response);
      REQUIRE(response->result_int() == 200);
      response_size = response->body().size();
    }
    REQUIRE(response_size > small.size());
    std::atomic<int> trims{0};
    ServiceUnderTest service(trimming_options(small.size() + 1), 300ms, counting_trims(trims));
    auto response = exchange(service.port(), "POST", kCall, small);
    REQUIRE(response);
    REQUIRE(response->result_int() == 200);
    service.stop();
    CHECK(trims == 1);
    CHECK(trims_metric(service) == 1);
  }

  TEST_CASE("memory trim: --trim-after-bytes 0 -> a big call never trims") {
    std::atomic<int> trims{0};
    ServiceUnderTest service(trimming_options(0), 300ms, counting_trims(trims));
    auto response = exchange(service.port(), "POST", kCall, many_pain_records(1000));
    REQUIRE(response);
    REQUIRE(response->result_int() == 200);
    service.stop();
    CHECK(trims == 0);
    CHECK(trims_metric(service) == 0);
  }
}
