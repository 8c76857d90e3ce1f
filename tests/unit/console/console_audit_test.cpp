// Audit dashboard JSON over a seeded SQLite store: numbers, lists, filters, one consult, chain.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <sstream>
#include <string>

#include "unit/console/console_support.hpp"
#include "vcf_cds/audit_review.hpp"

namespace {

using namespace vcf_cds;
using console_testing::at;
using console_testing::expression;
using console_testing::parse;
using console_testing::text;
using vcf_cds::testing::TempDir;

audit::ConsultRecord consult(int n, const char* time, const char* user, int variant,
                             const char* procedure, const char* category, int rating) {
  audit::ConsultRecord c;
  c.consult_id = "urn:uuid:6f1c2a8e-0000-4000-8000-00000000000" + std::to_string(n);
  c.time = time;
  c.service_id = "vcf-imaging-select";
  c.hook = "order-select";
  c.hook_instance = "h" + std::to_string(n);
  c.user_id = user;
  c.patient_id = "Patient/pat-" + std::to_string(n % 3);
  c.order_ref = "ServiceRequest/sr-" + std::to_string(n);
  c.order_codes = R"([{"system":"http://www.ama-assn.org/go/cpt","code":"72149"}])";
  c.procedure_row = procedure;
  c.variant = variant;
  c.category = category;
  c.rating = rating;
  c.median = rating;
  c.pama_rating = variant == 0  ? "no-criteria-apply"
                  : rating <= 3 ? "not-appropriate"
                                : "appropriate";
  c.facts = R"([{"fact":"vcf","source":"Condition/c1","code":"M48.50XA"}])";
  c.candidates = "[1]";
  c.assumptions = R"(["symptomatic:true"])";
  if (variant != 0) {
    const std::string id = std::to_string(n);
    c.card_uuid = "card-" + id;
    c.suggestion_uuids = {"s-" + id + "a", "s-" + id + "b"};
    c.card =
        R"({"uuid":"card-)" + id + R"(","summary":"row: )" + category +
        R"(","indicator":"info","suggestions":[{"uuid":"s-)" + id +
        R"(a","label":"Order MRI spine area of interest without IV contrast (lumbar spine) instead"},{"uuid":"s-)" +
        id + R"(b","label":"Order CT instead"}]})";
  }
  c.knowledge_version = "sha256:k";
  c.service_version = "0.1.0";
  c.latency_ms = 2.5;
  return c;
}

audit::FeedbackRecord feedback(const std::string& card, const char* outcome, const char* code = "",
                               const char* display = "") {
  audit::FeedbackRecord f;
  f.service_id = "vcf-imaging-select";
  f.card_uuid = card;
  f.outcome = outcome;
  if (std::string_view(outcome) == "accepted")
    f.accepted_suggestions = {"s-" + card.substr(5) + "a"};
  if (*code != 0) f.override_reason_system = "https://vcf-cds.example.org/fhir/CodeSystem/vcf-cds";
  f.override_reason_code = code;
  f.override_reason_display = display;
  f.outcome_timestamp = "2024-05-05T00:00:00Z";
  f.received_time = "2024-05-05T00:00:01Z";
  return f;
}

constexpr const char* kCt = "CT spine area of interest with IV contrast";
constexpr const char* kMri = "MRI spine area of interest without IV contrast";
constexpr const char* kAug = "Percutaneous vertebral augmentation";
constexpr const char* kUna = "Usually not appropriate";

// 7 consults over 4 days (one no-criteria-apply), feedback on 5 cards and one unknown card.
struct Seeded {
  TempDir dir;
  std::unique_ptr<audit::Store> store;
  Seeded() {
    audit::StoreConfig config;
    config.data_dir = dir.path() / "data";
    store = audit::open_store(config);
    REQUIRE(store->record_consults({
        consult(1, "2024-05-01T09:00:00Z", "Practitioner/doc-1", 1, kCt, kUna, 3),
        consult(2, "2024-05-01T10:00:00Z", "Practitioner/doc-2", 1, kMri, "Usually appropriate", 9),
        consult(3, "2024-05-02T08:00:00Z", "Practitioner/doc-1", 2, "Bone scan whole body", kUna,
                2),
        consult(4, "2024-05-02T09:00:00Z", "Practitioner/doc-3", 5, kAug, kUna, 2),
        consult(5, "2024-05-03T12:00:00Z", "Practitioner/doc-1", 0, "", "", 0),
        consult(6, "2024-05-03T13:00:00Z", "Practitioner/doc-2", 1, kCt, kUna, 3),
        consult(7, "2024-05-04T00:00:00Z", "Practitioner/doc-2", 6, kAug, "May be appropriate", 5),
    }));
    REQUIRE(store->record_feedback({
        feedback("card-1", "accepted"),
        feedback("card-3", "overridden", "clinical-judgement", "Clinical judgement"),
        feedback("card-4", "overridden", "patient-preference", "Patient preference"),
        feedback("card-6", "overridden"),
        feedback("card-7", "accepted"),
        feedback("never-sent", "accepted"),
    }));
    store->flush();
  }
  console::ConsoleResponse get(const std::string& path) {
    return console::console_audit(*store, "/console/api/audit/" + path);
  }
  void tamper(const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path() / "data" / "audit.sqlite3").c_str(), &db) == SQLITE_OK);
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }
};

int integer(const rapidjson::Value& root, const char* pointer) {
  const auto& v = at(root, pointer);
  REQUIRE(v.IsInt());
  return v.GetInt();
}

}  // namespace

TEST_SUITE("console") {
  TEST_CASE("console_audit summary: the dashboard numbers equal the store's") {
    Seeded s;
    const auto r = s.get("summary");
    REQUIRE(r.status == 200);
    const auto doc = parse(r.body);
    CHECK(integer(doc, "/totals/consults") == 7);
    CHECK(integer(doc, "/totals/rated") == 6);
    CHECK(integer(doc, "/totals/noCriteriaApply") == 1);
    CHECK(integer(doc, "/totals/usuallyNotAppropriate") == 4);
    CHECK(integer(doc, "/totals/accepted") == 2);
    CHECK(integer(doc, "/totals/overridden") == 3);
    CHECK(integer(doc, "/totals/noFeedback") == 2);
    CHECK(integer(doc, "/totals/unknownCardFeedback") == 1);

    const auto& days = at(doc, "/perDay");
    REQUIRE(days.Size() == 4);
    CHECK(text(doc, "/perDay/0/day") == "2024-05-01");
    const int per_day[] = {2, 2, 2, 1};
    const int una_per_day[] = {1, 2, 1, 0};
    for (rapidjson::SizeType i = 0; i < 4; ++i) {
      CHECK(days[i]["consults"].GetInt() == per_day[i]);
      CHECK(days[i]["usuallyNotAppropriate"].GetInt() == una_per_day[i]);
    }
    CHECK(text(doc, "/byCategory/2/category") == kUna);
    CHECK(integer(doc, "/byCategory/0/consults") == 1);
    CHECK(integer(doc, "/byCategory/1/consults") == 1);
    CHECK(integer(doc, "/byCategory/2/consults") == 4);
    CHECK(text(doc, "/byCategory/3/category") == "No criteria apply");
    CHECK(integer(doc, "/byCategory/3/consults") == 1);
    CHECK(at(doc, "/byCategory/2/share").GetDouble() == doctest::Approx(4.0 / 7));
    // Variant 0 first (present here), then 1..9.
    CHECK(integer(doc, "/byVariant/0/variant") == 0);
    CHECK(integer(doc, "/byVariant/1/consults") == 3);
    CHECK(at(doc, "/byVariant").Size() == 10);

    CHECK(integer(doc, "/usuallyNotAppropriate/orders") == 4);
    CHECK(integer(doc, "/usuallyNotAppropriate/accepted") == 1);
    CHECK(integer(doc, "/usuallyNotAppropriate/overridden") == 3);
    CHECK(integer(doc, "/usuallyNotAppropriate/noFeedback") == 0);
    CHECK(at(doc, "/usuallyNotAppropriate/overrideReasons").Size() == 3);
    CHECK(at(doc, "/overrideReasons").Size() == 3);

    CHECK(text(doc, "/byUser/0/user") == "Practitioner/doc-1");  // 3 consults, first by name
    CHECK(integer(doc, "/byUser/0/consults") == 3);
    CHECK(integer(doc, "/byUser/0/usuallyNotAppropriate") == 2);
    CHECK(integer(doc, "/byUser/0/accepted") == 1);
    CHECK(integer(doc, "/byUser/0/overridden") == 1);
    CHECK(text(doc, "/byUser/2/user") == "Practitioner/doc-3");
    CHECK(at(doc, "/byProcedure").Size() == 5);

    CHECK(at(doc, "/chain/ok").GetBool());
    CHECK(integer(doc, "/chain/records") == 13);
  }

  TEST_CASE("console_audit summary: rows equal `vcf-cds audit summary --json`") {
    Seeded s;
    const auto doc = parse(s.get("summary").body);
    auto extract = audit_review::load_extract(*s.store, {});
    REQUIRE(extract);
    std::ostringstream cli;
    audit_review::write_summary_json(*extract, cli);
    const auto expected = parse(cli.str());
    CHECK(at(doc, "/rows") == expected["rows"]);
    CHECK(integer(doc, "/totals/unknownCardFeedback") == expected["unknownCardFeedback"].GetInt());
  }

  TEST_CASE("console_audit summary: date range filters, bad bounds are 400") {
    Seeded s;
    const auto doc = parse(s.get("summary?from=2024-05-02&to=2024-05-03").body);
    CHECK(integer(doc, "/totals/consults") == 2);
    CHECK(text(doc, "/filter/from") == "2024-05-02T00:00:00Z");
    CHECK(integer(doc, "/totals/unknownCardFeedback") == 0);  // only for the whole trail
    CHECK(integer(parse(s.get("summary?from=2024-05-01T09%3A30%3A00Z").body), "/totals/consults") ==
          6);
    for (const char* bad : {"summary?from=yesterday", "summary?to=2024-05-01T10:00:00%2B02:00",
                            "summary?from=2024-5-1", "summary?variant=1", "summary?from=%zz"}) {
      CAPTURE(bad);
      const auto r = s.get(bad);
      CHECK(r.status == 400);
    }
    CHECK(expression(s.get("summary?from=yesterday").body) == "from");
    CHECK(expression(s.get("summary?variant=1").body) == "variant");
    CHECK(s.get("nothing").status == 404);
    CHECK(console::console_audit(*s.store, "/console/api/other").status == 404);
  }

  TEST_CASE("console_audit consults: newest first, filters, outcomes and reasons") {
    Seeded s;
    auto doc = parse(s.get("consults").body);
    CHECK(integer(doc, "/total") == 7);
    CHECK(text(doc, "/consults/0/consultId").ends_with("7"));
    CHECK(text(doc, "/consults/6/consultId").ends_with("1"));
    CHECK(text(doc, "/consults/6/outcome") == "accepted");
    CHECK(text(doc, "/consults/6/acceptedSuggestion") ==
          "Order MRI spine area of interest without IV contrast (lumbar spine) instead");
    CHECK(text(doc, "/consults/4/overrideReason") == "clinical-judgement Clinical judgement");
    CHECK(text(doc, "/consults/1/overrideReason") == "(no reason)");
    CHECK(text(doc, "/consults/2/category") == "No criteria apply");

    const auto total = [&](const std::string& query) {
      const auto r = s.get("consults?" + query);
      REQUIRE(r.status == 200);
      return integer(parse(r.body), "/total");
    };
    CHECK(total("category=Usually+not+appropriate") == 4);
    CHECK(total("category=No%20criteria%20apply") == 1);
    CHECK(total("outcome=overridden") == 3);
    CHECK(total("outcome=none") == 2);
    CHECK(total("variant=1") == 3);
    CHECK(total("variant=0") == 1);
    CHECK(total("user=Practitioner%2Fdoc-1") == 3);
    CHECK(total("patient=Patient/pat-1") == 3);  // n = 1, 4, 7
    CHECK(total("procedure=Percutaneous%20vertebral%20augmentation") == 2);
    CHECK(total("from=2024-05-02&to=2024-05-04&category=Usually%20not%20appropriate") == 3);

    doc = parse(s.get("consults?limit=2&offset=1").body);
    CHECK(integer(doc, "/total") == 7);
    REQUIRE(at(doc, "/consults").Size() == 2);
    CHECK(text(doc, "/consults/0/consultId").ends_with("6"));
    CHECK(at(parse(s.get("consults?offset=50").body), "/consults").Size() == 0);

    for (const auto& [query, field] :
         std::initializer_list<std::pair<const char*, const char*>>{{"variant=12", "variant"},
                                                                    {"variant=x", "variant"},
                                                                    {"outcome=maybe", "outcome"},
                                                                    {"category=Bad", "category"},
                                                                    {"limit=0", "limit"},
                                                                    {"limit=5000", "limit"},
                                                                    {"offset=-1", "offset"},
                                                                    {"foo=1", "foo"},
                                                                    {"user=a&user=b", "user"}}) {
      CAPTURE(query);
      const auto r = s.get(std::string("consults?") + query);
      CHECK(r.status == 400);
      CHECK(expression(r.body) == field);
    }
  }

  TEST_CASE("console_audit consult: full record, feedback, chain status") {
    Seeded s;
    const auto r = s.get("consults/urn%3Auuid%3A6f1c2a8e-0000-4000-8000-000000000003");
    REQUIRE(r.status == 200);
    const auto doc = parse(r.body);
    CHECK(text(doc, "/consult/consultId") == "urn:uuid:6f1c2a8e-0000-4000-8000-000000000003");
    CHECK(integer(doc, "/consult/seq") == 3);
    CHECK(text(doc, "/consult/procedure") == "Bone scan whole body");
    CHECK(text(doc, "/consult/facts/0/source") == "Condition/c1");  // JSON text embedded
    CHECK(text(doc, "/consult/card/uuid") == "card-3");
    CHECK(text(doc, "/consult/orderCodes/0/code") == "72149");
    REQUIRE(at(doc, "/feedback").Size() == 1);
    CHECK(text(doc, "/feedback/0/outcome") == "overridden");
    CHECK(text(doc, "/feedback/0/overrideReasonCode") == "clinical-judgement");
    CHECK(at(doc, "/chain/ok").GetBool());
    CHECK(at(doc, "/recordVerified").GetBool());

    // Unencoded colons work too; no-criteria-apply consults have no card and no feedback.
    const auto pama = parse(s.get("consults/urn:uuid:6f1c2a8e-0000-4000-8000-000000000005").body);
    CHECK(text(pama, "/consult/card") == "");
    CHECK(at(pama, "/feedback").Size() == 0);

    CHECK(s.get("consults/urn%3Auuid%3Anope").status == 404);
    CHECK(s.get("consults/a%2Fb").status == 400);
    CHECK(s.get("consults/%zz").status == 400);
  }

  TEST_CASE("console_audit: a tampered record shows as a broken chain") {
    Seeded s;
    s.tamper("UPDATE audit_consults SET rating = 9 WHERE seq = 3");
    const auto summary = parse(s.get("summary").body);
    CHECK_FALSE(at(summary, "/chain/ok").GetBool());
    CHECK(integer(summary, "/chain/brokenSeq") == 3);
    CHECK(text(summary, "/chain/brokenKind") == "consult");
    const auto before = parse(s.get("consults/urn:uuid:6f1c2a8e-0000-4000-8000-000000000001").body);
    CHECK(at(before, "/recordVerified").GetBool());
    const auto broken = parse(s.get("consults/urn:uuid:6f1c2a8e-0000-4000-8000-000000000003").body);
    CHECK_FALSE(at(broken, "/recordVerified").GetBool());
    const auto after = parse(s.get("consults/urn:uuid:6f1c2a8e-0000-4000-8000-000000000006").body);
    CHECK_FALSE(at(after, "/recordVerified").GetBool());
  }

  TEST_CASE("console_handle: audit and try through the entry point") {
    Seeded s;
    console::ConsoleContext context;
    context.root = vcf_cds::testing::source_path("deploy/console");
    context.token = "t0ken";
    context.knowledge = &vcf_cds::testing::knowledge();
    context.examples = &console_testing::examples();
    context.store = s.store.get();
    const auto now = console_testing::today();
    const auto summary = console::console_handle(context, "GET", "/console/api/audit/summary",
                                                 "Bearer t0ken", "", now);
    CHECK(summary.status == 200);
    CHECK(integer(parse(summary.body), "/totals/consults") == 7);
    const auto criteria =
        console::console_handle(context, "GET", "/console/api/criteria", "Bearer t0ken", "", now);
    CHECK(criteria.status == 200);
    const auto tried = console::console_handle(
        context, "POST", "/console/api/try", "Bearer t0ken",
        R"({"facts":{"vcf":true},"order":{"system":"http://www.ama-assn.org/go/cpt","code":"72149"}})",
        now);
    CHECK(tried.status == 200);
    // Try-it writes nothing to the audit store.
    CHECK(s.store->find_consults({})->size() == 7);
    CHECK(console::console_handle(context, "GET", "/console/", "", "", now).status == 200);
  }
}
