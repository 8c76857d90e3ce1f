// Issue #9 units: the JSON log formatter's escaping, and counters fed without a server.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <spdlog/details/log_msg.h>

#include "fakes/fhir_fetcher.hpp"
#include "vcf_cds/observability.hpp"

namespace {

using namespace vcf_cds;

// One formatted line as a parsed JSON object.
rapidjson::Document format_line(std::string_view message) {
  observability::JsonFormatter formatter;
  spdlog::details::log_msg msg(spdlog::source_loc{}, "test", spdlog::level::warn,
                               spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t buffer;
  formatter.format(msg, buffer);
  const std::string line(buffer.data(), buffer.size());
  CHECK(line.ends_with("}\n"));
  CHECK(line.find('\n') == line.size() - 1);  // exactly one line, whatever the message held
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

// "fail": a transport error, "404": not found, anything else: 200.
std::shared_ptr<testing::fakes::TableFetcher> stub_fetcher() {
  auto fetcher = std::make_shared<testing::fakes::TableFetcher>();
  fetcher->answers.emplace("fail", make_error(ErrorCode::unavailable, "", "connect refused"));
  fetcher->answers.emplace("404", hooks::FhirResponse{404, "{}"});
  fetcher->otherwise = hooks::FhirResponse{200, "{}"};
  return fetcher;
}

TEST_SUITE("app") {
  TEST_CASE("json log: quotes, backslashes, newlines and control characters are escaped") {
    const std::string message = "he said \"hi\"\nthen {\"x\":1}\\ \x02 \x1f\x7f\tdoné";
    const auto doc = format_line(message);
    CHECK(std::string(doc["msg"].GetString()) == message);
    CHECK(std::string(doc["level"].GetString()) == "warning");
    const std::string ts = doc["ts"].GetString();
    CHECK(ts.size() == 24);
    CHECK(ts[10] == 'T');
    CHECK(ts.ends_with("Z"));
    CHECK_FALSE(doc.HasMember("request_id"));
  }

  TEST_CASE("json log: request id and service appear inside a ScopedLogContext only") {
    {
      const observability::ScopedLogContext context("r-7", "vcf-order-sign");
      const auto doc = format_line("call done");
      CHECK(std::string(doc["request_id"].GetString()) == "r-7");
      CHECK(std::string(doc["service"].GetString()) == "vcf-order-sign");
    }
    CHECK_FALSE(format_line("after").HasMember("service"));
    CHECK(observability::next_request_id() != observability::next_request_id());
  }

  TEST_CASE("metrics: JWT reasons, FHIR fetch errors and unknown service ids") {
    auto metrics = std::make_shared<observability::Metrics>();
    metrics->count_jwt_failure("expired");
    metrics->count_jwt_failure("expired");
    metrics->count_jwt_failure("bad_signature");
    observability::CountingFetcher fetcher(stub_fetcher(), metrics);
    CHECK(fetcher.get("ok", ""));
    CHECK_FALSE(fetcher.get("fail", ""));
    CHECK(fetcher.get("404", ""));
    // A made-up id in the URL must not become a label value.
    metrics->observe_request(http::RouteKind::call, "no-such-service", 404,
                             std::chrono::milliseconds(3));
    const std::string text = metrics->render({});
    CHECK(text.find("vcf_cds_jwt_failures_total{reason=\"expired\"} 2\n") != std::string::npos);
    CHECK(text.find("vcf_cds_jwt_failures_total{reason=\"bad_signature\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("vcf_cds_fhir_fetch_errors_total 2\n") != std::string::npos);
    CHECK(text.find("no-such-service") == std::string::npos);
    CHECK(
        text.find("vcf_cds_request_duration_seconds_bucket{endpoint=\"call\",le=\"0.0025\"} 0\n") !=
        std::string::npos);
    CHECK(
        text.find("vcf_cds_request_duration_seconds_bucket{endpoint=\"call\",le=\"0.005\"} 1\n") !=
        std::string::npos);
    CHECK(text.find("vcf_cds_audit_writable") == std::string::npos);  // no store: not shown
    CHECK(observability::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  }
}

}  // namespace
