// Which thread runs what: calls on the compute pool, their waits and every other handler on the
// worker pool (a compute pool the size of the core count; a wait must not hold it).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::testing;

struct Seen {
  std::mutex mutex;
  std::set<std::thread::id> quick_calls, offloaded, feedback;
  void add(std::set<std::thread::id>& where) {
    std::lock_guard lock(mutex);
    where.insert(std::this_thread::get_id());
  }
};

TEST_SUITE("integration") {
  TEST_CASE("server: call on the compute pool, offloaded work and feedback on workers") {
    Seen seen;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> waiting;

    http::Handlers handlers;
    handlers.call = [&](std::string_view, std::string&& body, std::string_view,
                        const http::Offload& offload,
                        std::function<void(Result<std::string>)> done) {
      if (body == "wait") {
        offload(http::WaitOn::fhir_server, [&, done] {
          seen.add(seen.offloaded);
          waiting.set_value();
          released.wait_for(std::chrono::seconds(10));  // bounded: a failed REQUIRE never opens it
          done(std::string("{\"waited\":true}"));
        });
        return;
      }
      seen.add(seen.quick_calls);
      done(std::string("{\"cards\":[]}"));
    };
    handlers.feedback = [&](std::string_view, std::string&&, std::string_view) -> Status {
      seen.add(seen.feedback);
      return Ok{};
    };
    auto options = test_server_options();
    options.compute_threads = 1;
    options.worker_threads = 2;
    http::Server server(options, std::move(handlers));
    server.start();

    TestClient waiter(server.port());
    REQUIRE_FALSE(waiter.send(raw_request("POST", "/cds-services/vcf-imaging-select", "wait")));
    waiting.get_future().wait();
    // The one compute thread is free while the offloaded work waits.
    for (int i = 0; i < 4; ++i) {
      auto response = exchange(server.port(), "POST", "/cds-services/vcf-imaging-select", "{}");
      REQUIRE(response);
      CHECK(response->result_int() == 200);
      CHECK(response->body() == "{\"cards\":[]}");
    }
    auto feedback =
        exchange(server.port(), "POST", "/cds-services/vcf-imaging-select/feedback", "{}");
    REQUIRE(feedback);
    CHECK(feedback->result_int() == 200);
    release.set_value();
    auto late = waiter.read();
    REQUIRE(late);
    CHECK(late->result_int() == 200);
    CHECK(late->body() == "{\"waited\":true}");
    server.shutdown();
    server.wait();

    // Four calls, one compute thread; the wait and the feedback ran elsewhere.
    REQUIRE(seen.quick_calls.size() == 1);
    const auto compute = *seen.quick_calls.begin();
    REQUIRE(seen.offloaded.size() == 1);
    CHECK(*seen.offloaded.begin() != compute);
    REQUIRE(seen.feedback.size() == 1);
    CHECK(*seen.feedback.begin() != compute);
    CHECK(*seen.feedback.begin() != std::this_thread::get_id());
  }

  TEST_CASE("server: offloaded work that throws -> 500 OperationOutcome, the server goes on") {
    http::Handlers handlers;
    handlers.call = [](std::string_view, std::string&& body, std::string_view,
                       const http::Offload& offload,
                       std::function<void(Result<std::string>)> done) {
      if (body == "throw") {
        offload(http::WaitOn::store, [] { throw std::runtime_error("lost the FHIR page"); });
        return;
      }
      done(std::string("{\"cards\":[]}"));
    };
    auto options = test_server_options();
    options.compute_threads = 1;
    http::Server server(options, std::move(handlers));
    server.start();
    auto failed = exchange(server.port(), "POST", "/cds-services/vcf-imaging-select", "throw");
    REQUIRE(failed);
    CHECK(failed->result_int() == 500);
    CHECK(failed->body().find("\"resourceType\":\"OperationOutcome\"") != std::string::npos);
    CHECK(failed->body().find("lost the FHIR page") == std::string::npos);  // no internals out
    auto next = exchange(server.port(), "POST", "/cds-services/vcf-imaging-select", "{}");
    REQUIRE(next);
    CHECK(next->result_int() == 200);
    server.shutdown();
    server.wait();
  }
}

}  // namespace
