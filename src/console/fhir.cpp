// Example codes (deploy/console/example-codes.json) and the FHIR resources "try it" sends.
#include "console/fhir.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

#include "common/json_file.hpp"
#include "common/time.hpp"

namespace vcf_cds::console {
namespace {

using rapidjson::Value;
using namespace std::chrono_literals;

struct RequiredExample {
  std::string_view key;
  std::string_view fact_kind;
};
// What each form fact is: the file names the codes, this table the meaning it must carry.
constexpr std::array<RequiredExample, 12> kRequired = {{
    {"vcf", "vcf"},
    {"secondVcf", "vcf"},
    {"pathological", "pathological_vcf"},
    {"malignancy", "malignancy"},
    {"osteoporotic", "osteoporotic"},
    {"backPain", "back_pain"},
    {"asymptomatic", "asymptomatic"},
    {"priorAugmentation", "prior_augmentation"},
    {"priorSpineSurgery", "prior_spine_surgery"},
    {"edemaOrCleft", "edema_or_cleft"},
    {"worseningPain", "worsening_pain"},
    {"deformityOrPulmonary", "deformity_or_pulmonary"},
}};

std::string text_member(const Value& object, const char* name, const std::string& where) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0) {
    throw std::runtime_error(where + "." + name + ": required non-empty string");
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

// Builds FHIR JSON into one document; values are added by copy into its allocator.
class Builder {
 public:
  explicit Builder(rapidjson::Document& doc) : doc_(doc), alloc_(doc.GetAllocator()) {
    doc_.SetObject();
    for (const char* list : {"conditions", "procedures", "observations", "draftOrders"}) {
      doc_.AddMember(Value(list, alloc_), Value(rapidjson::kArrayType), alloc_);
    }
  }

  Value str(std::string_view text) {
    return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), alloc_);
  }
  Value concept_of(const facts::Coding& coding) {
    Value c(rapidjson::kObjectType);
    c.AddMember("system", str(coding.system), alloc_);
    c.AddMember("code", str(coding.code), alloc_);
    if (!coding.display.empty()) c.AddMember("display", str(coding.display), alloc_);
    Value codings(rapidjson::kArrayType);
    codings.PushBack(c, alloc_);
    Value concept_value(rapidjson::kObjectType);
    concept_value.AddMember("coding", codings, alloc_);
    if (!coding.display.empty()) concept_value.AddMember("text", str(coding.display), alloc_);
    return concept_value;
  }
  Value status_concept(const char* system, const char* code) {
    return concept_of(facts::Coding{system, code, ""});
  }
  Value subject() {
    Value ref(rapidjson::kObjectType);
    ref.AddMember("reference", str(std::string("Patient/") + console::kTryPatientId), alloc_);
    return ref;
  }

  // One resource of the example's type, coded with its coding, dated `day`.
  void add(const ExampleCode& example, const std::string& id, std::chrono::sys_days day) {
    Value r(rapidjson::kObjectType);
    r.AddMember("resourceType", str(example.resource_type), alloc_);
    r.AddMember("id", str(id), alloc_);
    const std::string date = common::iso_date(day);
    if (example.resource_type == "Condition") {
      r.AddMember(
          "clinicalStatus",
          status_concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
          alloc_);
      r.AddMember(
          "verificationStatus",
          status_concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
          alloc_);
      r.AddMember("code", concept_of(example.coding), alloc_);
      r.AddMember("subject", subject(), alloc_);
      r.AddMember("onsetDateTime", str(date), alloc_);
      list("conditions").PushBack(r, alloc_);
    } else if (example.resource_type == "Procedure") {
      r.AddMember("status", "completed", alloc_);
      r.AddMember("code", concept_of(example.coding), alloc_);
      r.AddMember("subject", subject(), alloc_);
      r.AddMember("performedDateTime", str(date), alloc_);
      list("procedures").PushBack(r, alloc_);
    } else {
      r.AddMember("status", "final", alloc_);
      r.AddMember("code", concept_of(example.coding), alloc_);
      r.AddMember("subject", subject(), alloc_);
      r.AddMember("effectiveDateTime", str(date), alloc_);
      r.AddMember("valueBoolean", true, alloc_);
      list("observations").PushBack(r, alloc_);
    }
  }

  void patient(std::string birth_date) {
    Value p(rapidjson::kObjectType);
    p.AddMember("resourceType", "Patient", alloc_);
    p.AddMember("id", str(console::kTryPatientId), alloc_);
    p.AddMember("birthDate", str(birth_date), alloc_);
    doc_.AddMember("patient", p, alloc_);
  }

  void order(const facts::Coding& coding) {
    Value o(rapidjson::kObjectType);
    o.AddMember("resourceType", "ServiceRequest", alloc_);
    o.AddMember("id", str(console::kTryOrderId), alloc_);
    o.AddMember("status", "draft", alloc_);
    o.AddMember("intent", "order", alloc_);
    o.AddMember("code", concept_of(coding), alloc_);
    o.AddMember("subject", subject(), alloc_);
    Value requester(rapidjson::kObjectType);
    requester.AddMember("reference", "Practitioner/console", alloc_);
    o.AddMember("requester", requester, alloc_);
    list("draftOrders").PushBack(o, alloc_);
  }

  // Called once everything is added: arrays no longer move, so pointers are stable.
  void wire(hooks::HookRequest& request, const rapidjson::Value*& order) const {
    request.service_id = "console-try";
    request.hook = hooks::Hook::order_select;
    request.hook_instance = "console-try";
    request.user_id = "Practitioner/console";
    request.patient_id = console::kTryPatientId;
    if (doc_.HasMember("patient")) request.data.patient = &doc_["patient"];
    for (const auto& v : doc_["conditions"].GetArray()) request.data.conditions.push_back(&v);
    for (const auto& v : doc_["procedures"].GetArray()) request.data.procedures.push_back(&v);
    for (const auto& v : doc_["observations"].GetArray()) request.data.observations.push_back(&v);
    for (const auto& v : doc_["draftOrders"].GetArray()) request.draft_orders.push_back(&v);
    order = request.draft_orders.empty() ? nullptr : request.draft_orders.front();
    if (order != nullptr)
      request.selections.push_back(std::string("ServiceRequest/") + console::kTryOrderId);
  }

 private:
  Value& list(const char* name) { return doc_[name]; }
  rapidjson::Document& doc_;
  rapidjson::Document::AllocatorType& alloc_;
};

std::chrono::sys_days years_before(std::chrono::sys_days today, int years) {
  const std::chrono::year_month_day ymd{today};
  std::chrono::year_month_day then{ymd.year() - std::chrono::years{years}, ymd.month(), ymd.day()};
  if (!then.ok()) then = then.year() / then.month() / std::chrono::last;
  return std::chrono::sys_days{then};
}

}  // namespace

const ExampleCode* ExampleCodes::find(std::string_view key) const {
  for (const auto& code : codes) {
    if (code.key == key) return &code;
  }
  return nullptr;
}

std::shared_ptr<const ExampleCodes> load_example_codes(const std::filesystem::path& file) {
  const rapidjson::Document doc = common::parse_json_file(file);
  const std::string name = file.string();
  if (!doc.IsObject() || !doc.HasMember("examples") || !doc["examples"].IsArray()) {
    throw std::runtime_error(name + ": examples: required array");
  }
  auto examples = std::make_shared<ExampleCodes>();
  std::size_t index = 0;
  for (const auto& item : doc["examples"].GetArray()) {
    const std::string where = name + ": examples[" + std::to_string(index++) + "]";
    if (!item.IsObject()) throw std::runtime_error(where + ": must be an object");
    ExampleCode code;
    code.key = text_member(item, "key", where);
    code.resource_type = text_member(item, "resourceType", where);
    code.fact_kind = text_member(item, "factKind", where);
    code.coding.system = text_member(item, "system", where);
    code.coding.code = text_member(item, "code", where);
    code.coding.display = text_member(item, "display", where);
    if (code.resource_type != "Condition" && code.resource_type != "Procedure" &&
        code.resource_type != "Observation") {
      throw std::runtime_error(where + ".resourceType: Condition, Procedure or Observation");
    }
    if (examples->find(code.key) != nullptr) {
      throw std::runtime_error(where + ".key: duplicate '" + code.key + "'");
    }
    examples->codes.push_back(std::move(code));
  }
  for (const auto& required : kRequired) {
    const ExampleCode* code = examples->find(required.key);
    if (code == nullptr) {
      throw std::runtime_error(name + ": examples: missing key '" + std::string(required.key) +
                               "'");
    }
    if (code->fact_kind != required.fact_kind) {
      throw std::runtime_error(name + ": examples[" + code->key + "].factKind: must be '" +
                               std::string(required.fact_kind) + "'");
    }
  }
  return examples;
}

Status check_example_codes(const ExampleCodes& examples, const facts::Terminology& terminology) {
  const std::chrono::sys_days today{2024y / 1 / 15};
  for (const auto& example : examples.codes) {
    console::TryRequest built;
    console::build_example_request(example, today, built);
    const facts::ClinicalFacts found =
        facts::extract(terminology, built.request, *built.order, today);
    bool fed = false;
    for (std::size_t k = 0; k < facts::kFactKindCount; ++k) {
      fed |= facts::to_string(static_cast<facts::FactKind>(k)) == example.fact_kind &&
             !found.evidence[k].empty();
    }
    if (!fed) {
      return make_error(ErrorCode::internal, "examples[" + example.key + "]",
                        example.coding.system + " " + example.coding.code +
                            " is not in the fhir-profiles ValueSet of " + example.fact_kind);
    }
  }
  return Ok{};
}

void build_example_request(const ExampleCode& example, std::chrono::sys_days today,
                           TryRequest& out) {
  Builder b(out.doc);
  b.add(example, "example-1", today - std::chrono::days{1});
  b.order(facts::Coding{"http://www.ama-assn.org/go/cpt", "72148", ""});
  b.wire(out.request, out.order);
}

void build_try_request(const ExampleCodes& examples, const TryFacts& f, const facts::Coding& order,
                       std::chrono::sys_days today, const facts::Options& options,
                       TryRequest& out) {
  // "New" is inside the window (never before its first day), "old" well outside it.
  const std::chrono::days window = options.new_window;
  const auto recent = today - std::min(std::chrono::days{7}, window / 2);
  const auto old = today - window - std::chrono::days{60};
  const auto long_ago = years_before(today, 2);
  Builder b(out.doc);
  const auto add = [&](std::string_view key, const std::string& id, std::chrono::sys_days day) {
    if (const ExampleCode* code = examples.find(key)) b.add(*code, id, day);
  };
  b.patient(common::iso_date(years_before(today, f.pediatric ? 12 : 70)));
  if (f.vcf) add(f.pathological ? "pathological" : "vcf", "vcf-1", f.new_vcf ? recent : old);
  if (f.vcf && f.multiple_vcfs) add("secondVcf", "vcf-2", long_ago);
  if (f.malignancy) add("malignancy", "malignancy-1", long_ago);
  if (f.osteoporotic) add("osteoporotic", "osteoporosis-1", long_ago);
  const auto pain_day = f.new_pain ? recent : old;
  if (f.symptoms == Symptoms::present) add("backPain", "pain-1", pain_day);
  if (f.symptoms == Symptoms::absent) add("asymptomatic", "asymptomatic-1", recent);
  if (f.worsening_pain) add("worseningPain", "worsening-pain-1", pain_day);
  if (f.prior_augmentation) add("priorAugmentation", "augmentation-1", long_ago);
  if (f.prior_spine_surgery) add("priorSpineSurgery", "spine-surgery-1", long_ago);
  if (f.edema_or_cleft) add("edemaOrCleft", "edema-1", recent);
  if (f.deformity_or_pulmonary) add("deformityOrPulmonary", "deformity-1", long_ago);
  b.order(order);
  b.wire(out.request, out.order);
}

}  // namespace vcf_cds::console
