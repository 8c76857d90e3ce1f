// Runs a FHIR scenario (tests/fixtures/scenarios/*.json format) through the decision pipeline
// with a fixed clock and deterministic ids; the audit seam captures each decision.
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <sstream>

#include "support/temp_dir.hpp"
#include "vcf_cds/consult.hpp"

namespace vcf_cds::testing {

inline const consult::Knowledge& knowledge() {
  static const consult::Knowledge loaded =
      consult::load_knowledge(source_path("cards/criteria.json"), source_path("fhir-profiles"),
                              source_path("cards/templates"));
  return loaded;
}

inline std::chrono::system_clock::time_point parse_day(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char dash = 0;
  std::istringstream in(text);
  in >> y >> dash >> m >> dash >> d;
  return std::chrono::sys_days{std::chrono::year{y} / m / d} + std::chrono::hours{12};
}

inline std::string str(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

inline std::vector<const rapidjson::Value*> list(const rapidjson::Value& scenario,
                                                 const char* name) {
  std::vector<const rapidjson::Value*> out;
  auto it = scenario.FindMember(name);
  if (it != scenario.MemberEnd()) {
    for (const auto& item : it->value.GetArray()) out.push_back(&item);
  }
  return out;
}

struct Seen {
  std::vector<std::string> assumptions;
  std::vector<int> other_variants;
  std::vector<int> candidates;
  // "<fact>:<true|false>=<variant the answer gives, 0 for none>", in the decision's order.
  std::vector<std::string> questions;
  std::vector<bool> questions_firm;  // per question: the answer alone settles the rating
  bool firm = false;
};

struct Outcome {
  std::string body;
  std::map<std::string, Seen> by_order;  // from the audit seam
};

inline Outcome run_scenario(const rapidjson::Value& scenario) {
  vcf_cds::hooks::HookRequest request;
  request.service_id = "test";
  request.hook = str(scenario, "hook") == "order-sign" ? vcf_cds::hooks::Hook::order_sign
                                                       : vcf_cds::hooks::Hook::order_select;
  request.hook_instance = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea";
  request.user_id = "Practitioner/dr1";
  request.patient_id = "p1";
  request.draft_orders = list(scenario, "orders");
  if (auto it = scenario.FindMember("selections"); it != scenario.MemberEnd()) {
    for (const auto& s : it->value.GetArray()) request.selections.emplace_back(s.GetString());
  } else {
    for (const auto* order : request.draft_orders) {
      request.selections.push_back("ServiceRequest/" + str(*order, "id"));
    }
  }
  if (auto it = scenario.FindMember("patient"); it != scenario.MemberEnd()) {
    request.data.patient = &it->value;
  }
  request.data.conditions = list(scenario, "conditions");
  request.data.procedures = list(scenario, "procedures");
  request.data.observations = list(scenario, "observations");

  Outcome outcome;
  int next_id = 0;
  consult::PipelineInput input;
  input.request = &request;
  input.now = parse_day(str(scenario, "today"));
  input.ensure_clinical_data = [] { return vcf_cds::Status(vcf_cds::Ok{}); };
  input.new_uuid = [&next_id] {
    return "00000000-0000-4000-8000-" + std::to_string(100000000000 + next_id++);
  };
  input.record = [&outcome](const consult::ConsultOutcome& recorded) {
    for (const auto& d : *recorded.decisions) {
      Seen seen;
      for (const auto& a : d.assumptions) {
        seen.assumptions.push_back(a.fact + (a.assumed_present ? ":true" : ":false"));
      }
      for (const auto& o : d.other_variants) seen.other_variants.push_back(o.variant->number);
      for (const auto& c : d.candidates) seen.candidates.push_back(c.variant->number);
      for (const auto& q : d.clarifications) {
        seen.questions.push_back(q.fact + (q.present ? ":true=" : ":false=") +
                                 std::to_string(q.result.variant ? q.result.variant->number : 0));
        seen.questions_firm.push_back(q.firm);
      }
      seen.firm = d.firm;
      outcome.by_order[d.procedure.order_ref] = seen;
    }
    return vcf_cds::Status(vcf_cds::Ok{});
  };
  auto body = consult::run_pipeline(knowledge(), input);
  REQUIRE(body.has_value());
  outcome.body = std::move(body).value();
  return outcome;
}

}  // namespace vcf_cds::testing
