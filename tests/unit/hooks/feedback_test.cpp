#include "vcf_cds/hooks.hpp"

#include <doctest/doctest.h>

#include "hooks_support.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::hooks;
using vcf_cds::testing::edit_json;
using vcf_cds::testing::hooks_fixture;
using vcf_cds::testing::without;

Result<Feedback> parse(std::string body) {
  return parse_feedback(std::move(body), "vcf-imaging-select", JsonLimits{});
}

void check_rejected(std::string body, std::string_view field) {
  auto result = parse(std::move(body));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::bad_request);
  CHECK(result.error().field == field);
}

TEST_SUITE("hooks") {
  TEST_CASE("parse_feedback: spec's accepted example -> parsed") {
    auto result = parse(hooks_fixture("feedback-accepted.json"));
    REQUIRE(result.has_value());
    CHECK(result->service_id == "vcf-imaging-select");
    REQUIRE(result->items.size() == 1);
    const FeedbackItem& item = result->items[0];
    CHECK(item.card == "4e0a3a1e-3283-4575-ab82-028d55fe2719");
    CHECK(item.outcome == Outcome::accepted);
    CHECK(item.accepted_suggestions ==
          std::vector<std::string>{"e56e1945-20b3-4393-8503-a1a20fd73152"});
    CHECK_FALSE(item.override_reason.has_value());
    CHECK(item.outcome_timestamp == "2021-12-11T10:05:31Z");
  }

  TEST_CASE("parse_feedback: overridden with reason and comment -> parsed") {
    auto result = parse(hooks_fixture("feedback-overridden.json"));
    REQUIRE(result.has_value());
    const FeedbackItem& item = result->items[0];
    CHECK(item.outcome == Outcome::overridden);
    REQUIRE(item.override_reason.has_value());
    REQUIRE(item.override_reason->reason.has_value());
    CHECK(item.override_reason->reason->code == "d7ecf885");
    CHECK(item.override_reason->reason->display.empty());  // the Sandbox sends none
    CHECK(item.override_reason->user_comment == "A comment entered by the clinician.");
  }

  TEST_CASE("parse_feedback: overridden without a reason -> accepted (dismissed)") {
    CHECK(parse(without(hooks_fixture("feedback-overridden.json"), "feedback")).has_value() ==
          false);
    const std::string body = edit_json(hooks_fixture("feedback-overridden.json"), [](auto& doc) {
      doc["feedback"][0].RemoveMember("overrideReason");
    });
    CHECK(parse(body).has_value());
  }

  TEST_CASE("parse_feedback: each invalid field -> 400 naming it") {
    const std::string accepted = hooks_fixture("feedback-accepted.json");
    const std::string overridden = hooks_fixture("feedback-overridden.json");
    check_rejected("{", "");
    check_rejected("[]", "");
    check_rejected("{}", "feedback");
    check_rejected(R"({"feedback":[]})", "feedback");
    check_rejected(R"({"feedback":{}})", "feedback");
    check_rejected(R"({"feedback":[7]})", "feedback[0]");
    check_rejected(edit_json(accepted, [](auto& d) { d["feedback"][0].RemoveMember("card"); }),
                   "feedback[0].card");
    check_rejected(edit_json(accepted, [](auto& d) { d["feedback"][0]["outcome"] = "ignored"; }),
                   "feedback[0].outcome");
    check_rejected(edit_json(accepted, [](auto& d) { d["feedback"][0].RemoveMember("outcome"); }),
                   "feedback[0].outcome");
    check_rejected(
        edit_json(accepted, [](auto& d) { d["feedback"][0].RemoveMember("acceptedSuggestions"); }),
        "feedback[0].acceptedSuggestions");
    check_rejected(
        edit_json(accepted, [](auto& d) { d["feedback"][0]["acceptedSuggestions"].SetArray(); }),
        "feedback[0].acceptedSuggestions");
    check_rejected(
        edit_json(accepted,
                  [](auto& d) { d["feedback"][0]["acceptedSuggestions"][0].RemoveMember("id"); }),
        "feedback[0].acceptedSuggestions[0].id");
    check_rejected(
        edit_json(accepted, [](auto& d) { d["feedback"][0].RemoveMember("outcomeTimestamp"); }),
        "feedback[0].outcomeTimestamp");
    check_rejected(
        edit_json(accepted, [](auto& d) { d["feedback"][0]["outcomeTimestamp"] = "yesterday"; }),
        "feedback[0].outcomeTimestamp");
    check_rejected(edit_json(overridden,
                             [](auto& d) {
                               d["feedback"][0]["overrideReason"]["reason"].RemoveMember("system");
                             }),
                   "feedback[0].overrideReason.reason.system");
    check_rejected(
        edit_json(overridden, [](auto& d) { d["feedback"][0]["overrideReason"] = "because"; }),
        "feedback[0].overrideReason");
    // The index names the offending item in a batch.
    check_rejected(edit_json(accepted,
                             [](auto& d) {
                               rapidjson::Value second(d["feedback"][0], d.GetAllocator());
                               second.RemoveMember("card");
                               d["feedback"].PushBack(second, d.GetAllocator());
                             }),
                   "feedback[1].card");
  }

  TEST_CASE("is_rfc3339_timestamp: RFC 3339 5.6 date-times -> accepted, others rejected") {
    for (const char* ok :
         {"2021-12-11T10:05:31Z", "1985-04-12T23:20:50.52Z", "1996-12-19T16:39:57-08:00",
          "2020-12-11t00:00:00z", "1990-12-31T23:59:60Z"}) {
      CAPTURE(ok);
      CHECK(is_rfc3339_timestamp(ok));
    }
    for (const char* bad : {"", "2021-12-11", "2021-12-11T10:05Z", "2021-13-11T10:05:31Z",
                            "2021-12-11T10:05:31", "2021-12-11T10:05:31.Z", "2021-12-11T25:05:31Z",
                            "2021-12-11T10:05:31+0100", "2021-12-11T10:05:31Zjunk"}) {
      CAPTURE(bad);
      CHECK_FALSE(is_rfc3339_timestamp(bad));
    }
  }

  TEST_CASE("receive_feedback: unknown service -> 404; valid -> sink called; sink error -> kept") {
    const FeedbackSink unreachable = [](const Feedback&) -> Status {
      FAIL("sink must not be called");
      return Ok{};
    };
    Status unknown =
        receive_feedback("nope", hooks_fixture("feedback-accepted.json"), {}, unreachable);
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().code == ErrorCode::not_found);

    std::vector<Feedback> stored;
    const FeedbackSink keep = [&](const Feedback& feedback) -> Status {
      stored.push_back(feedback);
      return Ok{};
    };
    CHECK(receive_feedback("vcf-order-sign", hooks_fixture("feedback-accepted.json"), {}, keep)
              .has_value());
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].service_id == "vcf-order-sign");

    const FeedbackSink down = [](const Feedback&) -> Status {
      return make_error(ErrorCode::unavailable, "", "audit store down");
    };
    Status failed =
        receive_feedback("vcf-order-sign", hooks_fixture("feedback-accepted.json"), {}, down);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().code == ErrorCode::unavailable);
  }
}

}  // namespace
