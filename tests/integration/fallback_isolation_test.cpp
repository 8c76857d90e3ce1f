// A stalled FHIR server must not take the service with it: 70 calls whose prefetch must be
// read from one stalled server, through the real server, consult stage and FHIR client. The
// per-server limit admits 8 and answers the rest 503 at once; while the 8 are held, discovery,
// feedback, the console and prefetched calls (order-select on the compute pool, order-sign with
// its trail read on the workers) are answered. The FHIR server decides when the 8 end.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "fakes/fhir_server.hpp"
#include "integration/fallback_request.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds::testing;
using fakes::FhirTestServer;

constexpr int kCalls = 70;
constexpr int kLimit = 8;

// Counts answered calls, so the test can wait for the refusals without polling.
struct Answered {
  std::mutex mutex;
  std::condition_variable changed;
  int count = 0;
  void add() {
    {
      std::lock_guard lock(mutex);
      ++count;
    }
    changed.notify_all();
  }
  // Bounded, so a broken limiter fails the test instead of hanging it.
  bool wait_for(int wanted) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(30), [&] { return count >= wanted; });
  }
  int now() {
    std::lock_guard lock(mutex);
    return count;
  }
};

struct ReleaseOnExit {
  FhirTestServer& fhir;
  ~ReleaseOnExit() { fhir.release_stalled(); }
};

std::string order_sign_body() {
  return edit_json(hooks_fixture("order-select-pama.json"), [](rapidjson::Document& doc) {
    doc["hook"] = "order-sign";
    doc["context"].RemoveMember("selections");
  });
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE(
      "fallback: 70 calls on a stalled FHIR server -> 8 held, 62 refused 503, the rest "
      "of the service answers") {
    FhirTestServer fhir;
    auto options = test_server_options();
    options.worker_threads = 4;
    options.fallback_threads = 3;  // one worker kept for feedback, the console and trail reads
    ServiceExtras extras;
    extras.fhir_origin_concurrency = kLimit;
    extras.console_token = "console-secret";
    // Neither the per-GET timeout nor the budget ends a held call before the test releases it.
    extras.fhir_budget_time = std::chrono::milliseconds(60'000);
    ServiceUnderTest service(options, std::chrono::milliseconds(60'000), extras);

    const std::string stalled = fallback_request(fhir.base("/stalled"), "secret-token");
    Answered answered;
    std::vector<std::future<std::optional<HttpResponse>>> calls;
    // A failed REQUIRE must not leave the held calls waiting for their 60 s timeouts.
    const ReleaseOnExit release_on_exit{fhir};
    for (int i = 0; i < kCalls; ++i) {
      calls.push_back(std::async(std::launch::async, [&] {
        TestClient client(service.port());
        std::optional<HttpResponse> response;
        if (!client.send(raw_request("POST", "/cds-services/vcf-imaging-select", stalled))) {
          response = client.read(std::chrono::milliseconds(60'000));
        }
        answered.add();
        return response;
      }));
    }
    // The over-limit calls are answered at once; the admitted ones wait on the FHIR server.
    REQUIRE(answered.wait_for(kCalls - kLimit));
    fhir.wait_seen(static_cast<std::size_t>(options.fallback_threads));

    // While those wait: discovery, feedback, the console, a prefetched order-select (compute
    // pool) and a prefetched order-sign (its repeat check reads the trail on a worker).
    auto discovery = exchange(service.port(), "GET", "/cds-services");
    REQUIRE(discovery);
    CHECK(discovery->result_int() == 200);
    auto feedback = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select/feedback",
                             hooks_fixture("feedback-accepted.json"));
    REQUIRE(feedback);
    CHECK(feedback->result_int() == 200);
    auto console = exchange(service.port(), "GET", "/console/api/criteria", {},
                            "Authorization: Bearer console-secret\r\n");
    REQUIRE(console);
    CHECK(console->result_int() == 200);
    auto selected = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             hooks_fixture("order-select-pama.json"));
    REQUIRE(selected);
    CHECK(selected->result_int() == 200);
    CHECK(selected->body().find("\"summary\"") != std::string::npos);
    auto signed_ =
        exchange(service.port(), "POST", "/cds-services/vcf-order-sign", order_sign_body());
    REQUIRE(signed_);
    CHECK(signed_->result_int() == 200);
    // All of that was answered while the admitted calls were still held.
    CHECK(answered.now() == kCalls - kLimit);
    auto scrape = exchange(service.port(), "GET", "/metrics");
    REQUIRE(scrape);
    CHECK(scrape->body().find("\nvcf_cds_fhir_origin_refusals_total 62\n") != std::string::npos);

    fhir.release_stalled();
    int refused = 0;
    int held = 0;
    for (auto& call : calls) {
      const auto response = call.get();
      REQUIRE(response);
      INFO(response->body());
      if (response->result_int() == 503) {
        ++refused;
        rapidjson::Document doc;
        doc.Parse(response->body().c_str());
        REQUIRE(doc.IsObject());
        CHECK(std::string(doc["issue"][0]["code"].GetString()) == "transient");
        CHECK(std::string(doc["issue"][0]["expression"][0].GetString()) == "fhirServer");
        CHECK(response->body().find(fhir.base("") + " has 8 calls reading from it") !=
              std::string::npos);
      } else {
        ++held;
        // Released: the stalled server now answers 503, so the required Patient is missing.
        CHECK(response->result_int() == 412);
      }
    }
    CHECK(refused == kCalls - kLimit);
    CHECK(held == kLimit);
    // Every admitted call reached the server once its turn came; no refused call did.
    CHECK(fhir.seen().size() == static_cast<std::size_t>(kLimit));
  }

  TEST_CASE("fallback: a held call released -> the server takes a new call again") {
    FhirTestServer fhir;
    ServiceExtras extras;
    extras.fhir_origin_concurrency = 1;
    extras.fhir_budget_time = std::chrono::milliseconds(60'000);
    auto options = test_server_options();
    options.worker_threads = 3;  // two for fallback work: the held call and one elsewhere
    ServiceUnderTest service(options, std::chrono::milliseconds(60'000), extras);
    const std::string stalled = fallback_request(fhir.base("/stalled"));
    const ReleaseOnExit release_on_exit{fhir};

    TestClient first(service.port());
    REQUIRE_FALSE(first.send(raw_request("POST", "/cds-services/vcf-imaging-select", stalled)));
    fhir.wait_seen(1);
    auto refused = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select", stalled);
    REQUIRE(refused);
    CHECK(refused->result_int() == 503);
    // Another origin has its own count: the same server under another port is not refused.
    FhirTestServer other;
    auto elsewhere = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                              fallback_request(other.base()));
    REQUIRE(elsewhere);
    CHECK(elsewhere->result_int() == 200);

    fhir.release_stalled();
    auto late = first.read(std::chrono::milliseconds(60'000));
    REQUIRE(late);
    CHECK(late->result_int() == 412);
    // The permit went back with the call: the next one reaches the server.
    auto again = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                          fallback_request(fhir.base()));
    REQUIRE(again);
    CHECK(again->result_int() == 200);
  }
}
