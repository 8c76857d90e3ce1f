// Quiet under attack: a flood of refused tokens gives a bounded number of log lines while the
// metric counts every one, and connections over --max-connections are refused with a 503.
#include <doctest/doctest.h>

#include <regex>

#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "support/log_capture.hpp"
#include "unit/auth/token_factory.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::testing;
using namespace std::chrono_literals;
namespace tok = vcf_cds::testing::auth;

int count_of(const std::string& text, const std::string& needle) {
  int count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// The value of one sample line (`name{labels} value`) in the exposition text; -1 when absent.
double sample(const std::string& text, const std::string& name_and_labels) {
  const auto at = ("\n" + text).find("\n" + name_and_labels + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name_and_labels.size() + 1));
}

// An audit store in an outage: every commit fails as a lost PostgreSQL connection would.
class DownStore : public audit::Store {
 public:
  Status record_consults(std::vector<audit::ConsultRecord>) override { return down(); }
  void record_call_async(std::vector<audit::ConsultRecord>, CallDone done) override {
    done(down());
  }
  Status record_feedback(std::vector<audit::FeedbackRecord>) override { return down(); }
  Result<std::vector<audit::ConsultRecord>> find_consults(const audit::Query&) override {
    return down();
  }
  Result<std::vector<audit::FeedbackRecord>> find_feedback(const audit::FeedbackQuery&) override {
    return down();
  }
  Result<audit::VerifyResult> verify_chain() override { return down(); }
  audit::Health health() const override { return {}; }
  void flush() override {}

 private:
  static Error down() {
    return make_error(ErrorCode::unavailable, "audit", "server closed the connection");
  }
};

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("quiet: audit store down, 200 calls -> each answered 503, one log line per window") {
    std::chrono::steady_clock::time_point now{};
    app::ServiceWiring wiring;
    wiring.knowledge = std::make_shared<consult::KnowledgeHolder>(shared_knowledge());
    wiring.fetcher =
        std::make_shared<http_client::FhirClient>(http_client::FhirClientOptions{});  // as serve
    wiring.store = std::make_shared<DownStore>();
    wiring.log_clock = [&] { return now; };
    const http::Handlers handlers = app::make_handlers(std::move(wiring));
    const http::Offload inline_offload = [](http::WaitOn, std::function<void()> work) { work(); };

    LogCapture capture;
    int unavailable = 0;
    const auto call = [&] {
      handlers.call("vcf-imaging-select", hooks_fixture("order-select-pama.json"), "",
                    inline_offload, [&](Result<std::string> result) {
                      if (!result && result.error().code == ErrorCode::unavailable) {
                        ++unavailable;
                      }
                    });
    };
    for (int i = 0; i < 200; ++i) call();
    now += 11s;
    call();
    const std::string log = capture.stop();
    INFO(log);
    CHECK(unavailable == 201);  // every caller is told, whatever the log says
    CHECK(count_of(log, ": 503 (") == 2);
    CHECK(count_of(log, "(and 199 more like it since the last such line)") == 1);
  }

  TEST_CASE("quiet: 1,000 refused tokens -> one log line per window, every one counted") {
    std::chrono::steady_clock::time_point now{};
    consult::Context wiring;
    wiring.knowledge = std::make_shared<consult::KnowledgeHolder>(shared_knowledge());
    wiring.verifier =
        std::make_shared<vcf_cds::auth::Verifier>(tok::trusted_config(), tok::FakeClock().fn());
    wiring.public_base_url = "https://cds.example.org";
    wiring.log_clock = [&] { return now; };
    auto metrics = std::make_shared<observability::Metrics>();
    wiring.metrics = metrics;
    const consult::Service service(std::move(wiring));

    LogCapture capture;
    for (int i = 0; i < 1000; ++i) {
      auto caller = service.authenticate(http::RouteKind::call, "vcf-imaging-select",
                                         "Bearer not-a-jwt-" + std::to_string(i));
      REQUIRE_FALSE(caller.has_value());
    }
    now += 11s;  // the next window: one line, saying how many were left out
    REQUIRE_FALSE(
        service.authenticate(http::RouteKind::call, "vcf-imaging-select", "Bearer again"));
    const std::string log = capture.stop();
    INFO(log);
    CHECK(count_of(log, "401 for ") == 2);
    CHECK(count_of(log, "(and 999 more like it since the last such line)") == 1);
    CHECK(log.find("not-a-jwt") == std::string::npos);  // never the token

    const std::string exposition = metrics->render({});
    double total = 0;
    std::istringstream lines(exposition);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("vcf_cds_jwt_failures_total{"))
        total += std::stod(line.substr(line.rfind(' ')));
    }
    CHECK(total == 1001);
  }

  TEST_CASE("quiet: connections over --max-connections -> 503 and closed; counted; room again") {
    auto options = test_server_options();
    options.max_connections = 2;
    // Long enough that the two held connections are not closed while the test runs.
    options.header_timeout = 30s;
    options.idle_timeout = 30s;
    ServiceUnderTest service(options);
    auto first = std::make_unique<TestClient>(service.port());
    TestClient second(service.port());
    // The listener accepts in order: by the time it takes the third, the first two are open.
    TestClient third(service.port());
    auto refused = third.read();
    REQUIRE(refused);
    CHECK(refused->result_int() == 503);
    CHECK((*refused)[boost::beast::http::field::retry_after] == "1");
    CHECK(third.closed_within(2000ms));

    // The second connection still works, and /metrics counts the refusal.
    REQUIRE_FALSE(second.send(raw_request("GET", "/metrics")));
    auto metrics = second.read();
    REQUIRE(metrics);
    CHECK(metrics->result_int() == 200);
    CHECK(sample(metrics->body(), "vcf_cds_connections_refused_total") == 1);

    // Once one closes, a new connection is served (its Session ends just after the close, so
    // a connection made in between may still be refused; each such refusal is counted).
    first.reset();
    int refusals = 1;
    bool served = false;
    for (int attempt = 0; attempt < 500 && !served; ++attempt) {
      auto response = exchange(service.port(), "GET", "/healthz");
      REQUIRE(response);
      if (response->result_int() == 503) {
        ++refusals;
      } else {
        CHECK(response->result_int() == 200);
        served = true;
      }
    }
    CHECK(served);
    REQUIRE_FALSE(second.send(raw_request("GET", "/metrics")));
    metrics = second.read();
    REQUIRE(metrics);
    CHECK(sample(metrics->body(), "vcf_cds_connections_refused_total") == refusals);
  }
}
