// POST /console/api/try: facts + order code → FHIR → the same pipeline the hooks use.
#include <algorithm>
#include <array>
#include <optional>

#include "console/fhir.hpp"
#include "console/json.hpp"
#include "vcf_cds/console.hpp"

namespace vcf_cds::console {
namespace {

using console::JsonWriter;
using console::key_bool;
using console::key_int;
using console::key_str;
using console::Symptoms;
using console::TryFacts;

constexpr std::size_t kMaxBody = 64 * 1024;
constexpr std::size_t kMaxCodeLength = 256;

struct BoolField {
  const char* name;
  bool TryFacts::*member;
};
constexpr std::array<BoolField, 13> kBoolFields = {{
    {"vcf", &TryFacts::vcf},
    {"newVcf", &TryFacts::new_vcf},
    {"newPain", &TryFacts::new_pain},
    {"malignancy", &TryFacts::malignancy},
    {"osteoporotic", &TryFacts::osteoporotic},
    {"pathological", &TryFacts::pathological},
    {"priorAugmentation", &TryFacts::prior_augmentation},
    {"priorSpineSurgery", &TryFacts::prior_spine_surgery},
    {"multipleVcfs", &TryFacts::multiple_vcfs},
    {"edemaOrCleft", &TryFacts::edema_or_cleft},
    {"worseningPain", &TryFacts::worsening_pain},
    {"deformityOrPulmonary", &TryFacts::deformity_or_pulmonary},
    {"pediatric", &TryFacts::pediatric},
}};

Error invalid(std::string field, std::string message) {
  return make_error(ErrorCode::bad_request, std::move(field), std::move(message));
}

Result<TryFacts> parse_facts(const rapidjson::Value* value) {
  TryFacts f;
  if (value == nullptr) return f;
  if (!value->IsObject()) return invalid("facts", "facts must be an object");
  bool new_pain_given = false;
  for (const auto& m : value->GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    const std::string field = "facts." + name;
    if (name == "symptoms") {
      const std::string_view s = m.value.IsString() ? m.value.GetString() : "";
      if (s == "present")
        f.symptoms = Symptoms::present;
      else if (s == "absent")
        f.symptoms = Symptoms::absent;
      else if (s == "unknown")
        f.symptoms = Symptoms::unknown;
      else
        return invalid(field, "facts.symptoms must be \"present\", \"absent\" or \"unknown\"");
      continue;
    }
    const auto it = std::find_if(kBoolFields.begin(), kBoolFields.end(),
                                 [&](const BoolField& b) { return name == b.name; });
    if (it == kBoolFields.end()) return invalid(field, "unknown fact '" + name + "'");
    if (!m.value.IsBool()) return invalid(field, field + " must be true or false");
    f.*(it->member) = m.value.GetBool();
    new_pain_given |= name == "newPain";
  }
  if (!new_pain_given) f.new_pain = f.vcf ? f.new_vcf : true;
  if (!f.vcf && f.pathological) {
    return invalid("facts.pathological", "a pathological VCF is a VCF: set facts.vcf too");
  }
  if (!f.vcf && f.multiple_vcfs) {
    return invalid("facts.multipleVcfs", "several VCFs need a VCF: set facts.vcf too");
  }
  if (f.symptoms == Symptoms::absent && f.worsening_pain) {
    return invalid("facts.worseningPain",
                   "worsening pain is pain: it contradicts facts.symptoms \"absent\"");
  }
  return f;
}

Result<facts::Coding> parse_order(const rapidjson::Value* value) {
  if (value == nullptr || !value->IsObject()) {
    return invalid("order", "order must be an object with system and code");
  }
  facts::Coding coding;
  for (const char* name : {"system", "code", "display"}) {
    const std::string field = std::string("order.") + name;
    const auto it = value->FindMember(name);
    if (it == value->MemberEnd()) {
      if (std::string_view(name) == "display") continue;
      return invalid(field, field + " is required");
    }
    if (!it->value.IsString() || it->value.GetStringLength() == 0 ||
        it->value.GetStringLength() > kMaxCodeLength) {
      return invalid(field, field + " must be a non-empty string of at most 256 characters");
    }
    std::string text(it->value.GetString(), it->value.GetStringLength());
    if (std::string_view(name) == "system")
      coding.system = std::move(text);
    else if (std::string_view(name) == "code")
      coding.code = std::move(text);
    else
      coding.display = std::move(text);
  }
  for (const auto& m : value->GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "system" && name != "code" && name != "display") {
      return invalid("order." + std::string(name), "unknown field in order");
    }
  }
  return coding;
}

void write_match(JsonWriter& w, const criteria::VariantMatch& match) {
  w.StartObject();
  key_int(w, "variant", match.variant->number);
  key_str(w, "text", match.variant->text);
  key_str(w, "procedure", match.row->name);
  key_str(w, "category", criteria::to_string(match.row->category));
  key_int(w, "rating", match.row->rating);
  w.EndObject();
}

void write_facts(JsonWriter& w, const facts::ClinicalFacts& f) {
  w.StartObject();
  key_bool(w, "vcf", f.vcf);
  key_bool(w, "vcfNew", f.vcf_new);
  key_int(w, "distinctVcfs", f.distinct_vcfs);
  key_bool(w, "osteoporotic", f.osteoporotic);
  key_bool(w, "pathological", f.pathological);
  key_bool(w, "malignancy", f.malignancy);
  key_str(w, "symptomatic", facts::to_string(f.symptomatic));
  key_bool(w, "newBackPain", f.new_back_pain);
  key_bool(w, "priorAugmentation", f.prior_augmentation);
  key_bool(w, "priorSpineSurgery", f.prior_spine_surgery);
  key_bool(w, "deformityOrPulmonary", f.deformity_or_pulmonary);
  key_str(w, "edemaOrCleft", facts::to_string(f.edema_or_cleft));
  key_str(w, "worseningPain", facts::to_string(f.worsening_pain));
  key_bool(w, "pediatric", f.pediatric);
  w.EndObject();
}

const char* outcome_name(criteria::Outcome outcome) {
  switch (outcome) {
    case criteria::Outcome::rated:
      return "rated";
    case criteria::Outcome::no_criteria_apply:
      return "no-criteria-apply";
    case criteria::Outcome::not_applicable:
      break;
  }
  return "not-applicable";
}

// The decision of the one rated order, as the console shows it.
std::string decision_json(const criteria::Decision& d, const cards::ConsultIds& ids,
                          const cards::CardText& text) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key_str(w, "outcome", outcome_name(d.outcome));
  key_str(w, "pamaRating", ids.pama_rating);
  key_str(w, "consultId", ids.consult_id);
  key_str(w, "procedure", d.procedure.row_name);
  key_str(w, "region", facts::to_string(d.procedure.region));
  key_bool(w, "advancedImaging", d.procedure.advanced_imaging);
  w.Key("headline");
  if (d.headline.variant != nullptr && d.headline.row != nullptr) {
    write_match(w, d.headline);
  } else {
    w.Null();
  }
  key_bool(w, "firm", d.firm);
  w.Key("candidates");
  w.StartArray();
  for (const auto& m : d.candidates) write_match(w, m);
  w.EndArray();
  w.Key("otherVariants");
  w.StartArray();
  for (const auto& m : d.other_variants) write_match(w, m);
  w.EndArray();
  w.Key("assumptions");
  w.StartArray();
  for (const auto& a : d.assumptions) {
    w.StartObject();
    key_str(w, "fact", a.fact);
    key_bool(w, "assumedPresent", a.assumed_present);
    const std::string key = a.fact + (a.assumed_present ? ":true" : ":false");
    key_str(w, "text", cards::word(text, cards::WordList::assumptions, key));
    w.EndObject();
  }
  w.EndArray();
  w.Key("ifPresent");
  w.StartArray();
  for (const auto& p : d.if_present) {
    w.StartObject();
    key_str(w, "fact", p.fact);
    key_str(w, "text", cards::word(text, cards::WordList::facts, p.fact));
    w.Key("match");
    write_match(w, p.match);
    w.EndObject();
  }
  w.EndArray();
  w.Key("clarifications");
  w.StartArray();
  for (const auto& q : d.clarifications) {
    w.StartObject();
    key_str(w, "fact", q.fact);
    key_bool(w, "present", q.present);
    w.Key("result");
    if (q.result.variant != nullptr) {
      write_match(w, q.result);
    } else {
      w.Null();
    }
    key_bool(w, "firm", q.firm);
    w.EndObject();
  }
  w.EndArray();
  w.Key("facts");
  write_facts(w, d.facts);
  // Rated decisions only, as when decide() filled it in.
  key_str(w, "explanation",
          d.outcome == criteria::Outcome::rated ? facts::explain(d.facts) : std::string());
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

ConsoleResponse console_try(const consult::Knowledge& knowledge, const ExampleCodes& examples,
                            std::string_view body, std::chrono::system_clock::time_point now,
                            const facts::Options& fact_options) {
  if (body.size() > kMaxBody) {
    return console::error_response(ErrorCode::payload_too_large, "", "try-it body over 64 KiB");
  }
  hooks::JsonDocument input;
  input.text.assign(body);
  if (auto parsed = hooks::parse_json(input, hooks::JsonLimits{16, 2000}); !parsed) {
    return console::error_response(parsed.error());
  }
  if (!input.dom.IsObject()) return console::error_response(invalid("", "body must be an object"));
  for (const auto& m : input.dom.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "facts" && name != "order") {
      return console::error_response(invalid(std::string(name), "unknown field; use facts, order"));
    }
  }
  const auto member = [&](const char* name) -> const rapidjson::Value* {
    const auto it = input.dom.FindMember(name);
    return it == input.dom.MemberEnd() ? nullptr : &it->value;
  };
  auto tried = parse_facts(member("facts"));
  if (!tried) return console::error_response(tried.error());
  auto order = parse_order(member("order"));
  if (!order) return console::error_response(order.error());

  console::TryRequest built;
  const auto today = std::chrono::floor<std::chrono::days>(now);
  console::build_try_request(examples, *tried, *order, today, fact_options, built);

  std::optional<std::string> decision;
  consult::PipelineInput pipeline;
  pipeline.request = &built.request;
  pipeline.now = now;
  pipeline.fact_options = fact_options;
  pipeline.ensure_clinical_data = [] { return Status(Ok{}); };
  // Not the audit trail: the seam only lets the console show what was decided.
  pipeline.record = [&](const consult::ConsultOutcome& outcome) -> Status {
    if (!outcome.decisions->empty() && !outcome.rendered->consults.empty()) {
      decision = decision_json(outcome.decisions->front(), outcome.rendered->consults.front(),
                               *knowledge.card_text);
    }
    return Ok{};
  };
  auto response = consult::run_pipeline(knowledge, pipeline);
  if (!response) return console::error_response(response.error());

  const facts::CodeInfo info =
      facts::describe_code(*knowledge.terminology, order->system, order->code);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("response");
  w.RawValue(response->data(), response->size(), rapidjson::kObjectType);
  w.Key("decision");
  if (decision) {
    w.RawValue(decision->data(), decision->size(), rapidjson::kObjectType);
  } else {
    w.StartObject();
    key_str(w, "outcome", "not-applicable");
    key_str(w, "procedure", info.row_name);
    key_str(w, "region", facts::to_string(info.region));
    key_bool(w, "advancedImaging", info.advanced_imaging);
    w.EndObject();
  }
  w.Key("fhir");
  built.doc.Accept(w);
  w.EndObject();
  return console::json_ok({buffer.GetString(), buffer.GetSize()});
}

}  // namespace vcf_cds::console
