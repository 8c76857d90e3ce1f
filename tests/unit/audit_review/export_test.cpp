#include "vcf_cds/audit_review.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>

// GCC 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside std::regex's
// inlined matcher; the warning is about library code, so it is silenced for this test only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#include <sstream>

#include "support/temp_dir.hpp"
#include "unit/audit/audit_samples.hpp"

namespace {

using namespace vcf_cds::audit;
using namespace vcf_cds::audit_review;
using vcf_cds::testing::sample_consult;
using vcf_cds::testing::sample_feedback;

AuditExtract sample_extract() {
  AuditExtract extract;
  auto c1 = sample_consult(1);
  c1.seq = 1;
  c1.identifier_mode = "plain";
  c1.category = "Usually not appropriate";
  auto f1 = sample_feedback(c1.card_uuid, "overridden");
  f1.seq = 3;
  f1.known_card = true;
  auto c2 = sample_consult(2, 0);
  c2.seq = 2;
  c2.identifier_mode = "hmac-sha256";
  c2.patient_id = "hmac-sha256:" + std::string(64, 'f');
  extract.consults.push_back({c1, {f1}});
  extract.consults.push_back({c2, {}});
  auto unknown = sample_feedback("never-sent", "accepted");
  unknown.seq = 4;
  extract.unknown_card_feedback.push_back(unknown);
  return extract;
}

std::string base64_decode(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - std::count(text.end() - 2, text.end(), '='));
  return out;
}

bool is_nonempty_string(const rapidjson::Value& v) {
  return v.IsString() && v.GetStringLength() > 0;
}

// The R4 AuditEvent cardinalities and invariants the export promises.
void check_audit_event(const rapidjson::Value& e) {
  REQUIRE(e.IsObject());
  CHECK(std::string(e["resourceType"].GetString()) == "AuditEvent");
  CHECK(std::regex_match(e["id"].GetString(), std::regex(R"([A-Za-z0-9\-\.]{1,64})")));
  REQUIRE(e.HasMember("type"));  // 1..1 Coding
  CHECK(is_nonempty_string(e["type"]["system"]));
  CHECK(is_nonempty_string(e["type"]["code"]));
  CHECK(std::string("CRUDE").find(e["action"].GetString()) != std::string::npos);
  CHECK(std::regex_match(e["recorded"].GetString(),  // 1..1 instant
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))")));
  CHECK(std::string(e["outcome"].GetString()) == "0");
  REQUIRE(e["agent"].IsArray());  // 1..*
  REQUIRE(e["agent"].Size() >= 1);
  for (const auto& a : e["agent"].GetArray()) {
    CHECK(a["requestor"].IsBool());  // 1..1
    CHECK(is_nonempty_string(a["who"]["identifier"]["value"]));
  }
  CHECK(std::string(e["source"]["observer"]["display"].GetString()) == "vcf-cds");  // 1..1
  REQUIRE(e["entity"].IsArray());
  for (const auto& entity : e["entity"].GetArray()) {
    CHECK_FALSE((entity.HasMember("name") && entity.HasMember("query")));  // sev-1
    if (!entity.HasMember("detail")) continue;
    REQUIRE(entity["detail"].Size() >= 1);
    for (const auto& d : entity["detail"].GetArray()) {
      CHECK(is_nonempty_string(d["type"]));                                       // 1..1
      CHECK(d.HasMember("valueString") + d.HasMember("valueBase64Binary") == 1);  // value[x] 1..1
    }
  }
}

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("fhir export: a site's canonical base -> every AuditEvent subtype under it") {
    std::ostringstream out;
    write_fhir_bundle(sample_extract(), out, "https://cds.hospital.org/fhir");
    rapidjson::Document bundle;
    bundle.Parse(out.str().c_str());
    REQUIRE_FALSE(bundle.HasParseError());
    REQUIRE(bundle["entry"].Size() > 0);
    for (const auto& entry : bundle["entry"].GetArray()) {
      CHECK(std::string(entry["resource"]["subtype"][0]["system"].GetString()) ==
            "https://cds.hospital.org/fhir/CodeSystem/audit-event");
    }
  }

  TEST_CASE("fhir export: consults and feedback -> Bundle of R4 AuditEvents, required elements") {
    std::ostringstream out;
    const auto extract = sample_extract();
    write_fhir_bundle(extract, out);
    rapidjson::Document bundle;
    bundle.Parse(out.str().c_str());
    REQUIRE_FALSE(bundle.HasParseError());
    CHECK(std::string(bundle["resourceType"].GetString()) == "Bundle");
    CHECK(std::string(bundle["type"].GetString()) == "collection");
    CHECK_FALSE(bundle.HasMember("total"));  // bdl-1: only searchset/history
    const auto& entries = bundle["entry"];
    REQUIRE(entries.Size() == 4);  // consult 1, its feedback, consult 2, unknown-card feedback
    for (const auto& entry : entries.GetArray()) check_audit_event(entry["resource"]);

    const auto& consult = entries[0]["resource"];
    CHECK(std::string(entries[0]["fullUrl"].GetString()) == extract.consults[0].consult.consult_id);
    CHECK(std::string(consult["entity"][0]["what"]["reference"].GetString()) ==
          "ServiceRequest/sr-1");
    const auto& details = consult["entity"][0]["detail"];
    CHECK(std::string(details[0]["type"].GetString()) == "decision");
    rapidjson::Document decision;
    decision.Parse(details[0]["valueString"].GetString());
    CHECK(decision["rating"].GetInt() == 9);
    CHECK(std::string(decision["category"].GetString()) == "Usually not appropriate");
    CHECK(std::string(details[1]["type"].GetString()) == "card");
    CHECK(base64_decode(details[1]["valueBase64Binary"].GetString()) ==
          extract.consults[0].consult.card);
    CHECK(std::string(consult["entity"][1]["what"]["reference"].GetString()) == "Patient/pat-1");

    // Hashed patient: an identifier, never a resolvable reference.
    const auto& hashed = entries[2]["resource"]["entity"][1]["what"];
    CHECK_FALSE(hashed.HasMember("reference"));
    CHECK(std::string(hashed["identifier"]["value"].GetString()).starts_with("hmac-sha256:"));
    // Feedback for an unknown card still has an entity (its card uuid) and knownCard false.
    const auto& unknown = entries[3]["resource"];
    CHECK(std::string(unknown["entity"][0]["what"]["identifier"]["value"].GetString()) ==
          "never-sent");
    CHECK(std::string(unknown["entity"][0]["detail"][0]["valueString"].GetString())
              .find(R"("knownCard":false)") != std::string::npos);
  }

  TEST_CASE("fhir export: empty trail -> Bundle without entry (FHIR forbids empty arrays)") {
    std::ostringstream out;
    write_fhir_bundle({}, out);
    rapidjson::Document bundle;
    bundle.Parse(out.str().c_str());
    CHECK_FALSE(bundle.HasMember("entry"));
  }

  TEST_CASE("summary: per variant and row -> rated, UNA share, latest outcome and reasons") {
    const auto rows = summarize(sample_extract());
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].variant == 0);
    CHECK(rows[1].variant == 1);
    CHECK(rows[1].rated == 1);
    CHECK(rows[1].usually_not_appropriate == 1);
    CHECK(rows[1].overridden == 1);
    CHECK(rows[1].override_reasons.at("clinical-judgement Clinical judgement") == 1);
  }

  TEST_CASE("ndjson import: a line that is not a record -> bad_request naming the line") {
    vcf_cds::testing::TempDir dir;
    StoreConfig config;
    config.data_dir = dir.path();
    auto store = open_store(config);
    std::istringstream in(R"({"kind":"consult","consult_id":"urn:uuid:1","variant":1})"
                          "\n\n"
                          R"({"kind":"consult","variant":"two"})"
                          "\n");
    auto result = import_ndjson(in, *store);
    REQUIRE_FALSE(result);
    CHECK(result.error().field == "line 3");
    CHECK(result.error().message.find("\"variant\" must be an integer") != std::string::npos);
    std::istringstream other(R"({"kind":"audit"})");
    CHECK(import_ndjson(other, *store).error().field == "line 1");
  }

  TEST_CASE("csv export: quotes, commas and newlines -> RFC 4180 quoting") {
    auto extract = sample_extract();
    extract.consults[0].feedback[0].user_comment = "said \"no\", twice\nreally";
    std::ostringstream out;
    write_csv(extract, out);
    CHECK(out.str().find(R"("said ""no"", twice)"
                         "\nreally\"") != std::string::npos);
    CHECK(out.str().starts_with("seq,consult_id,time,"));
  }
}
