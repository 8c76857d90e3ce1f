// The per-server limit of the prefetch fallback: calls are counted per origin (scheme, host,
// port), one over the limit is refused at once with 503 naming the server, and a permit gives
// its place back when released, destroyed or moved over.
#include "vcf_cds/hooks.hpp"

#include <doctest/doctest.h>

#include <barrier>
#include <optional>
#include <thread>
#include <vector>

namespace {

using namespace vcf_cds;
using namespace vcf_cds::hooks;

}  // namespace

TEST_SUITE("hooks") {
  TEST_CASE("origin_key: scheme, lower-case host and port, default port filled in") {
    CHECK(origin_key("https://EHR.example.org/fhir/r4") == "https://ehr.example.org:443");
    CHECK(origin_key("http://ehr.example.org/fhir") == "http://ehr.example.org:80");
    CHECK(origin_key("http://127.0.0.1:08080/fhir?x=1") == "http://127.0.0.1:8080");
    CHECK(origin_key("https://[::1]:9443/fhir") == "https://[::1]:9443");
    // Not a plain http(s) URL: the text itself, so it still counts against something.
    CHECK(origin_key("ftp://ehr.example.org/") == "ftp://ehr.example.org/");
  }

  TEST_CASE("FhirOriginLimiter: the limit per origin -> one more is 503 naming the server") {
    FhirOriginLimiter limiter(2);
    auto first = limiter.acquire("https://ehr.example.org/fhir/r4");
    auto second = limiter.acquire("https://EHR.example.org:443/other/path");  // same origin
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->origin() == "https://ehr.example.org:443");
    CHECK(limiter.in_flight("https://ehr.example.org/") == 2);

    auto third = limiter.acquire("https://ehr.example.org/fhir/r4");
    REQUIRE_FALSE(third);
    CHECK(third.error().code == ErrorCode::unavailable);
    CHECK(third.error().field == "fhirServer");
    CHECK(third.error().message.find("https://ehr.example.org:443 has 2 calls reading from it") !=
          std::string::npos);
    CHECK(limiter.in_flight("https://ehr.example.org/") == 2);  // a refusal takes no place

    // Other origins have their own count: another port, another scheme, another host.
    CHECK(limiter.acquire("https://ehr.example.org:8443/fhir"));
    CHECK(limiter.acquire("http://ehr.example.org/fhir"));
    CHECK(limiter.acquire("https://other.example.org/fhir"));
  }

  TEST_CASE("FhirOriginLimiter: release, destruction and move give the place back once") {
    FhirOriginLimiter limiter(1);
    const std::string server = "http://127.0.0.1:8081/fhir";
    {
      auto permit = limiter.acquire(server);
      REQUIRE(permit);
      CHECK_FALSE(limiter.acquire(server));
      permit->release();
      permit->release();  // idempotent: no second place freed
      CHECK(limiter.in_flight(server) == 0);
    }
    CHECK(limiter.in_flight(server) == 0);
    {
      auto permit = limiter.acquire(server);
      REQUIRE(permit);
    }  // destroyed: released
    auto held = limiter.acquire(server);
    REQUIRE(held);
    // Moved: the moved-from permit no longer counts, the new owner does.
    FhirOriginLimiter::Permit moved = std::move(*held);
    held = Error{};  // destroys the moved-from permit
    CHECK(limiter.in_flight(server) == 1);
    CHECK_FALSE(limiter.acquire(server));
    // Assigned over: the permit it held is given back first.
    auto other = limiter.acquire("http://127.0.0.1:8082/fhir");
    REQUIRE(other);
    moved = std::move(*other);
    CHECK(limiter.in_flight(server) == 0);
    CHECK(limiter.in_flight("http://127.0.0.1:8082/") == 1);
  }

  TEST_CASE("FhirOriginLimiter: a limit of 0 is read as 1; a permit outlives its limiter") {
    std::optional<FhirOriginLimiter::Permit> kept;
    {
      FhirOriginLimiter limiter(0);
      CHECK(limiter.limit() == 1);
      auto permit = limiter.acquire("https://ehr.example.org/");
      REQUIRE(permit);
      CHECK_FALSE(limiter.acquire("https://ehr.example.org/"));
      kept.emplace(std::move(*permit));
    }
    kept.reset();  // the counts live as long as a permit: no dangling release
  }

  TEST_CASE("FhirOriginLimiter: 16 threads race for 5 places -> exactly 5 admitted") {
    FhirOriginLimiter limiter(5);
    constexpr int kThreads = 16;
    std::barrier start(kThreads);
    std::vector<std::optional<FhirOriginLimiter::Permit>> permits(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        if (auto permit = limiter.acquire("https://ehr.example.org/fhir")) {
          permits[static_cast<std::size_t>(i)].emplace(std::move(*permit));
        }
      });
    }
    for (auto& thread : threads) thread.join();
    int admitted = 0;
    for (const auto& permit : permits) admitted += permit ? 1 : 0;
    CHECK(admitted == 5);
    CHECK(limiter.in_flight("https://ehr.example.org/") == 5);
    permits.clear();
    CHECK(limiter.in_flight("https://ehr.example.org/") == 0);
  }
}
