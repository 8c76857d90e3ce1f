// Observability over real sockets: /metrics after a call, a 404 and a feedback; knowledge reload
// (a changed copy swaps in and changes decision and version; a broken copy is refused).
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "common/json_file.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "support/log_capture.hpp"
#include "unit/hooks/hooks_support.hpp"
#include "vcf_cds/consult.hpp"

namespace {

using namespace vcf_cds::testing;
namespace fs = std::filesystem;

std::string sign_body() {
  return edit_json(hooks_fixture("order-select-pama.json"), [](rapidjson::Document& doc) {
    doc["hook"] = "order-sign";
    doc["context"].RemoveMember("selections");
  });
}

// Every line is `# HELP|TYPE …` or `name{labels} value` (Prometheus text format 0.0.4).
bool parses_as_exposition(const std::string& text) {
  static const std::regex comment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
  static const std::regex sample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"((-?[0-9.]+(e[-+]?[0-9]+)?|\+Inf|NaN))");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!std::regex_match(line, comment) && !std::regex_match(line, sample)) {
      MESSAGE("not exposition format: " << line);
      return false;
    }
  }
  return !text.empty() && text.back() == '\n';
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// A copy of the shipped knowledge files, for reload tests to edit.
struct KnowledgeCopy {
  TempDir dir;
  KnowledgeCopy() {
    fs::copy(source_path("cards"), dir.path() / "cards", fs::copy_options::recursive);
    fs::copy(source_path("fhir-profiles"), dir.path() / "fhir-profiles",
             fs::copy_options::recursive);
  }
  vcf_cds::consult::KnowledgeSources sources() const {
    return {dir.path() / "cards/criteria.json", dir.path() / "fhir-profiles",
            dir.path() / "cards/templates"};
  }
  void replace(const std::string& file, const std::string& from, const std::string& to) const {
    std::string text = vcf_cds::common::read_file(dir.path() / file);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    dir.write(file, text);
  }
};

TEST_SUITE("integration") {
  TEST_CASE("metrics: a call, a 404 and a feedback are counted and /metrics parses") {
    ServiceUnderTest service;
    auto call = exchange(service.port(), "POST", "/cds-services/vcf-order-sign", sign_body());
    REQUIRE(call);
    REQUIRE(call->result_int() == 200);
    CHECK(call->body().find("\"summary\"") != std::string::npos);  // a card: a decision
    auto missing = exchange(service.port(), "GET", "/nothing-here");
    REQUIRE(missing);
    CHECK(missing->result_int() == 404);
    auto feedback = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select/feedback",
                             hooks_fixture("feedback-accepted.json"));
    REQUIRE(feedback);
    CHECK(feedback->result_int() == 200);

    auto scrape = exchange(service.port(), "GET", "/metrics");
    REQUIRE(scrape);
    CHECK(scrape->result_int() == 200);
    CHECK(std::string((*scrape)[boost::beast::http::field::content_type])
              .starts_with("text/plain; version=0.0.4"));
    const std::string text = scrape->body();
    CHECK(parses_as_exposition(text));
    CHECK(has_line(text, R"(vcf_cds_requests_total{endpoint="call",service="vcf-order-sign",)"
                         R"(hook="order-sign",status="200"} 1)"));
    CHECK(has_line(text, R"(vcf_cds_requests_total{endpoint="other",service="",hook="",)"
                         R"(status="404"} 1)"));
    CHECK(has_line(text, R"(vcf_cds_requests_total{endpoint="feedback",)"
                         R"(service="vcf-imaging-select",hook="order-select",status="200"} 1)"));
    CHECK(has_line(text, R"(vcf_cds_request_duration_seconds_count{endpoint="call"} 1)"));
    CHECK(
        has_line(text, R"(vcf_cds_request_duration_seconds_bucket{endpoint="call",le="+Inf"} 1)"));
    CHECK(text.find("vcf_cds_decisions_total{variant=") != std::string::npos);
    CHECK(has_line(text, "vcf_cds_audit_writable 1"));
    CHECK(has_line(text, "vcf_cds_audit_queue_depth 0"));
    CHECK(has_line(text, "vcf_cds_fhir_fetch_errors_total 0"));
    CHECK(has_line(text, R"(vcf_cds_knowledge_info{version=")" +
                             service.knowledge().load()->version + R"("} 1)"));
    CHECK(text.find("vcf_cds_audit_commits_total ") != std::string::npos);
    // One call is far from the first checkpoint; the series exist from the start.
    CHECK(has_line(text, R"(vcf_cds_audit_wal_checkpoints_total{by="thread"} 0)"));
    CHECK(has_line(text, R"(vcf_cds_audit_wal_checkpoints_total{by="commit"} 0)"));
    CHECK(has_line(text, R"(vcf_cds_knowledge_reloads_total{result="failed"} 0)"));
  }

  TEST_CASE("log: a call's line names the consult ids it recorded; a refused call names none") {
    LogCapture capture;
    std::string log;
    std::vector<vcf_cds::audit::ConsultRecord> consults;
    {
      ServiceUnderTest service;
      auto call = exchange(service.port(), "POST", "/cds-services/vcf-order-sign", sign_body());
      auto bad = exchange(service.port(), "POST", "/cds-services/vcf-order-sign", "{}");
      service.stop();
      log = capture.stop();
      REQUIRE(call);
      CHECK(call->result_int() == 200);
      REQUIRE(bad);
      CHECK(bad->result_int() == 400);
      consults = service.consults();
    }
    REQUIRE(consults.size() == 1);
    CHECK(log.find("call vcf-order-sign: 200 in ") != std::string::npos);
    CHECK(log.find("consults [" + consults[0].consult_id + "]") != std::string::npos);
    CHECK(log.find("consults []") != std::string::npos);  // the 400 recorded nothing
  }

  TEST_CASE("no audit store wired: the call is answered and counted, and names no consults") {
    // The wiring bench (b) uses: no record is built, so the log line names none, and the store
    // the fixture opened stays empty; the answer and the decision metrics are unchanged.
    LogCapture capture;
    ServiceExtras extras;
    extras.audit = false;
    ServiceUnderTest service(test_server_options(), std::chrono::milliseconds(300), extras);
    auto call = exchange(service.port(), "POST", "/cds-services/vcf-order-sign", sign_body());
    auto metrics = exchange(service.port(), "GET", "/metrics", "");
    service.stop();
    const std::string log = capture.stop();
    REQUIRE(call);
    CHECK(call->result_int() == 200);
    CHECK(call->body().find("\"cards\":[{") != std::string::npos);
    REQUIRE(metrics);
    CHECK(metrics->body().find("vcf_cds_decisions_total{variant=") != std::string::npos);
    CHECK(log.find("call vcf-order-sign: 200 in ") != std::string::npos);
    CHECK(log.find("consults []") != std::string::npos);
    CHECK(service.consults().empty());
  }

  TEST_CASE("reload: a changed copy swaps in (decision and version change); a bad one does not") {
    ServiceUnderTest service;
    const auto original = service.knowledge().load();
    CHECK(original->version.find("+profiles:sha256:") != std::string::npos);
    CHECK(original->version.find("+cards:sha256:") != std::string::npos);
    auto before = exchange(service.port(), "POST", "/cds-services/vcf-order-sign", sign_body());
    REQUIRE(before);
    REQUIRE(before->result_int() == 200);
    CHECK(before->body() != R"({"cards":[]})");

    // The order's CPT code no longer maps to a criteria row: no card, only PAMA no-criteria-apply
    // (72149 is still advanced imaging).
    KnowledgeCopy copy;
    copy.replace("fhir-profiles/ConceptMap-procedure-rows.json", R"("72149")", R"("72149-x")");
    CHECK(vcf_cds::consult::reload_knowledge(service.knowledge(), copy.sources(),
                                             &service.metrics()));
    const auto changed = service.knowledge().load();
    CHECK(changed->version != original->version);
    CHECK(changed->version.starts_with(original->criteria->version + "+profiles:"));
    auto after = exchange(service.port(), "POST", "/cds-services/vcf-order-sign", sign_body());
    REQUIRE(after);
    CHECK(after->body().starts_with(R"({"cards":[],"systemActions":)"));
    CHECK(after->body().find("no-criteria-apply") != std::string::npos);

    // Audit records carry the version that decided them.
    const auto consults = service.consults();
    REQUIRE(consults.size() >= 2);
    CHECK(consults.front().knowledge_version == original->version);
    CHECK(consults.front().variant != 0);
    CHECK(consults.back().knowledge_version == changed->version);
    CHECK(consults.back().pama_rating == "no-criteria-apply");

    // A broken criteria file: refused, the previous knowledge stays.
    KnowledgeCopy broken;
    broken.dir.write("cards/criteria.json", "{ not json");
    CHECK_FALSE(vcf_cds::consult::reload_knowledge(service.knowledge(), broken.sources(),
                                                   &service.metrics()));
    CHECK(service.knowledge().load() == changed);

    auto scrape = exchange(service.port(), "GET", "/metrics");
    REQUIRE(scrape);
    CHECK(has_line(scrape->body(), R"(vcf_cds_knowledge_reloads_total{result="ok"} 1)"));
    CHECK(has_line(scrape->body(), R"(vcf_cds_knowledge_reloads_total{result="failed"} 1)"));
    CHECK(has_line(scrape->body(),
                   R"(vcf_cds_knowledge_info{version=")" + changed->version + R"("} 1)"));
  }
}

}  // namespace
