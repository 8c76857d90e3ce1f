#include "vcf_cds/http.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

namespace {

using namespace vcf_cds;
using namespace vcf_cds::http;

TEST_SUITE("http") {
  TEST_CASE("to_http_status: every ErrorCode -> its CONTRACT status and issue type") {
    struct Row {
      ErrorCode code;
      unsigned status;
      std::string_view issue;
    };
    for (const Row& row :
         {Row{ErrorCode::bad_request, 400, "invalid"}, Row{ErrorCode::unauthorized, 401, "login"},
          Row{ErrorCode::not_found, 404, "not-found"},
          Row{ErrorCode::method_not_allowed, 405, "not-supported"},
          Row{ErrorCode::precondition_failed, 412, "incomplete"},
          Row{ErrorCode::payload_too_large, 413, "too-long"},
          Row{ErrorCode::unavailable, 503, "transient"},
          Row{ErrorCode::internal, 500, "exception"}}) {
      CAPTURE(row.status);
      CHECK(to_http_status(row.code) == row.status);
      CHECK(to_issue_type(row.code) == row.issue);
      const Response response = error_response(make_error(row.code, "context.userId", "why"));
      CHECK(response.status == row.status);
      if (row.code == ErrorCode::unauthorized) {
        CHECK(response.body.empty());  // 401: no detail (CONTRACT §6)
        CHECK(response.content_type.empty());
        continue;
      }
      CHECK(response.content_type == "application/json");
      rapidjson::Document doc;
      doc.Parse(response.body.c_str());
      REQUIRE(doc.IsObject());
      CHECK(std::string_view(doc["resourceType"].GetString()) == "OperationOutcome");
      const auto& issue = doc["issue"][0];
      CHECK(std::string_view(issue["severity"].GetString()) == "error");
      CHECK(std::string_view(issue["code"].GetString()) == row.issue);
      CHECK(std::string_view(issue["diagnostics"].GetString()) == "why");
      CHECK(std::string_view(issue["expression"][0].GetString()) == "context.userId");
    }
  }

  TEST_CASE("to_operation_outcome: no field, quotes in message -> no expression, valid JSON") {
    const std::string json =
        to_operation_outcome(make_error(ErrorCode::bad_request, "", "bad \"quote\"\n"));
    CHECK(json ==
          R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",)"
          R"("diagnostics":"bad \"quote\"\n"}]})");
  }
}

}  // namespace
