// Facts for one order: the patient's Conditions, Procedures and Observations, plus that order's
// own reasons (CONTRACT §2, §7). Input is untrusted: every read is type-checked, nothing throws.
#include <algorithm>
#include <array>
#include <initializer_list>
#include <utility>

#include "facts/codes.hpp"
#include "facts/derive.hpp"
#include "facts/fhir_json.hpp"
#include "facts/terminology.hpp"

namespace vcf_cds::facts {
namespace {

using json::reference_of;
using json::Value;
using std::chrono::sys_days;

constexpr std::string_view kNeverCount[] = {"refuted", "entered-in-error"};
constexpr std::string_view kHistoryOnly[] = {"inactive", "remission", "resolved"};
constexpr std::string_view kObservationVoid[] = {"entered-in-error", "cancelled"};

// How evidence names its record: "<resourceType>/<id>" of a resource in the request, or a label
// for the order's own reasons. Spelled out only when evidence is found: most records of a chart
// match no fact, and building the name for each was a string allocation per record.
struct RecordName {
  const Value* resource = nullptr;  // named by reference_of(*resource, fallback_type) ...
  std::string_view fallback_type;
  std::string label;  // ... or by this, when resource is null
  std::string text() const { return resource ? reference_of(*resource, fallback_type) : label; }
};

// What all codings of one record share.
struct Record {
  RecordName name;  // "Condition/c1", "ServiceRequest/o1 (reasonCode)"
  std::optional<sys_days> date;
  bool current = true;
  std::string site_key;  // bodySite identity, "" when none
  Region site_region = Region::none;
};

// The first dated field among `names`, in order.
std::optional<sys_days> first_date(
    const Value& resource, std::initializer_list<std::pair<const char*, const char*>> names) {
  for (const auto& [name, sub] : names) {
    const Value* value = json::member(&resource, name);
    if (sub != nullptr) value = json::member(value, sub);
    if (const auto day = parse_fhir_date(json::as_string(value))) return day;
  }
  return std::nullopt;
}

// What a finding recorded as false says: the explicit absence of the three-valued findings
// (CONTRACT §3). A negated VCF, pain or any other code says nothing.
KindMask negated_kinds(KindMask mask) {
  KindMask out = 0;
  if ((mask & kind_bit(FactKind::edema_or_cleft)) != 0) {
    out |= kind_bit(FactKind::edema_or_cleft_absent);
  }
  if ((mask & kind_bit(FactKind::worsening_pain)) != 0) {
    out |= kind_bit(FactKind::worsening_pain_absent);
  }
  return out;
}

class Collector {
 public:
  Collector(const Terminology& terminology, ClinicalFacts& facts)
      : terminology_(terminology), facts_(facts) {}

  // bodySite: identity for telling VCFs apart, and a region for suggestions.
  void read_body_site(const Value& resource, Record& record) const {
    json::for_each_item(json::member(&resource, "bodySite"), [&](const Value& site) {
      if (!record.site_key.empty()) return;
      json::for_each_coding(
          &site, [&](std::string_view system, std::string_view code, std::string_view display) {
            if (!record.site_key.empty()) return;
            record.site_key = std::string(system) + "|" + std::string(code);
            std::string key;
            if (terminology_.make_key(system, code, key)) {
              record.site_region = terminology_.region(key);
            }
            if (record.site_region == Region::none) record.site_region = region_from_text(display);
          });
      const std::string_view text = json::string_member(&site, "text");
      if (record.site_key.empty() && !text.empty()) record.site_key = std::string(text);
      if (record.site_region == Region::none) record.site_region = region_from_text(text);
    });
  }

  // Adds one Evidence per fact kind that some coding of `concept_value` belongs to. A negated
  // concept (a finding recorded as false) is evidence of the finding's absence, for the facts
  // that have one (negated_kinds); other kinds it would feed are dropped.
  void add_concept(const Value* concept_value, const Record& record, bool negated = false) {
    KindMask seen = 0;
    std::string icd_vcf;
    Region code_region = Region::none;
    // Views into the request DOM, copied into a Source only for the kinds found: most
    // concepts match no kind, and building twelve empty Sources per concept was measurable.
    struct Found {
      std::string_view system, code, display;
    };
    std::array<Found, kFactKindCount> sources;  // read only for the kinds in `seen`
    std::string key;
    json::for_each_coding(concept_value, [&](std::string_view system, std::string_view code,
                                             std::string_view display) {
      if (!terminology_.make_key(system, code, key)) return;
      KindMask mask = terminology_.kinds(key) & ~kAdvancedImagingBit;
      if (negated) mask = negated_kinds(mask);
      if (mask == 0) return;
      for (std::size_t k = 0; k < kFactKindCount; ++k) {
        if ((mask & (KindMask{1} << k)) == 0 || (seen & (KindMask{1} << k)) != 0) continue;
        sources[k] = Found{system, code, display};
      }
      seen |= mask;
      if ((mask & kind_bit(FactKind::vcf)) != 0) {
        if (icd_vcf.empty() && terminology_.is_icd_key(key)) icd_vcf = icd_without_extension(code);
        if (code_region == Region::none) code_region = terminology_.region(key);
      }
    });
    for (std::size_t k = 0; k < kFactKindCount; ++k) {
      if ((seen & (KindMask{1} << k)) == 0) continue;
      const Found& found = sources[k];
      Evidence evidence{Source{record.name.text(), std::string(found.system),
                               std::string(found.code), std::string(found.display)},
                        record.date,
                        record.current,
                        {}};
      if (static_cast<FactKind>(k) == FactKind::vcf) {
        evidence.distinct_key = make_distinct_key(icd_vcf, record.site_key);
        note_vcf_region(record, code_region != Region::none ? code_region : record.site_region);
      }
      facts_.evidence[k].push_back(std::move(evidence));
    }
  }

  void add_condition(const Value& condition, RecordName name) {
    if (!condition.IsObject()) return;
    if (json::has_status(json::member(&condition, "verificationStatus"), kNeverCount)) return;
    Record record{std::move(name), {}, true, {}, Region::none};
    record.current = !json::has_status(json::member(&condition, "clinicalStatus"), kHistoryOnly);
    record.date = first_date(
        condition,
        {{"onsetDateTime", nullptr}, {"onsetPeriod", "start"}, {"recordedDate", nullptr}});
    read_body_site(condition, record);
    add_concept(json::member(&condition, "code"), record);
  }

  void add_procedure(const Value& procedure) {
    if (!procedure.IsObject()) return;
    // Completed, or no status at all; a malformed status is not "completed".
    const Value* status = json::member(&procedure, "status");
    if (status != nullptr && json::as_string(status) != "completed") return;
    Record record{{&procedure, "Procedure", {}}, {}, true, {}, Region::none};
    record.date =
        first_date(procedure, {{"performedDateTime", nullptr}, {"performedPeriod", "start"}});
    add_concept(json::member(&procedure, "code"), record);
  }

  void add_observation(const Value& observation, RecordName name) {
    if (!observation.IsObject()) return;
    const std::string_view status = json::string_member(&observation, "status");
    if (std::find(std::begin(kObservationVoid), std::end(kObservationVoid), status) !=
        std::end(kObservationVoid)) {
      return;
    }
    Record record{std::move(name), {}, true, {}, Region::none};
    record.date = first_date(
        observation,
        {{"effectiveDateTime", nullptr}, {"effectivePeriod", "start"}, {"issued", nullptr}});
    read_body_site(observation, record);
    // A finding coded in Observation.code with valueBoolean false records its absence.
    const Value* value = json::member(&observation, "valueBoolean");
    const bool negated = value != nullptr && value->IsBool() && !value->GetBool();
    add_concept(json::member(&observation, "code"), record, negated);
    add_concept(json::member(&observation, "valueCodeableConcept"), record);
  }

  Region vcf_region() const { return vcf_region_; }

 private:
  // The region of the most recent current VCF that has one; undated records (the order's own
  // reasons) rank as most recent.
  void note_vcf_region(const Record& record, Region region) {
    if (!record.current || region == Region::none) return;
    const bool better = vcf_region_ == Region::none || (!record.date && region_date_) ||
                        (record.date && region_date_ && *record.date > *region_date_);
    if (!better) return;
    vcf_region_ = region;
    region_date_ = record.date;
  }

  const Terminology& terminology_;
  ClinicalFacts& facts_;
  Region vcf_region_ = Region::none;
  std::optional<sys_days> region_date_;
};

// Resolves a reasonReference against the prefetched Conditions/Observations or the order's
// contained resources; null when it names nothing available.
const Value* resolve(const hooks::HookRequest& request, const Value& order,
                     std::string_view reference, std::string_view& type) {
  auto id_matches = [](const Value* resource, std::string_view id) {
    return resource != nullptr && json::string_member(resource, "id") == id;
  };
  if (reference.size() < 2 || reference.back() == '/') return nullptr;  // names no resource
  if (reference.front() == '#') {
    const Value* found = nullptr;
    json::for_each_item(json::member(&order, "contained"), [&](const Value& resource) {
      if (found == nullptr && id_matches(&resource, reference.substr(1))) found = &resource;
    });
    if (found != nullptr) type = json::string_member(found, "resourceType");
    return found;
  }
  const auto slash = reference.rfind('/');
  if (slash == std::string_view::npos) return nullptr;
  const std::string_view id = reference.substr(slash + 1);
  const auto before = reference.substr(0, slash);
  type = before.substr(before.rfind('/') == std::string_view::npos ? 0 : before.rfind('/') + 1);
  const std::vector<const Value*>* pool = nullptr;
  if (type == "Condition") pool = &request.data.conditions;
  if (type == "Observation") pool = &request.data.observations;
  if (pool == nullptr) return nullptr;
  for (const Value* resource : *pool) {
    if (id_matches(resource, id)) return resource;
  }
  return nullptr;
}

void add_patient(const Value* patient, sys_days today, ClinicalFacts& facts) {
  const auto birth = parse_fhir_date(json::string_member(patient, "birthDate"));
  if (!birth) return;  // CONTRACT §7: no birthDate -> adult
  facts.age_years = age_in_years(*birth, today);
  facts.pediatric = *facts.age_years < 18;
}

}  // namespace

ClinicalFacts extract(const Terminology& terminology, const hooks::HookRequest& request,
                      const rapidjson::Value& order, sys_days today, const Options& options) {
  ClinicalFacts facts;
  Collector collector(terminology, facts);
  add_patient(request.data.patient, today, facts);
  for (const Value* condition : request.data.conditions) {
    if (condition != nullptr) {
      collector.add_condition(*condition, {condition, "Condition", {}});
    }
  }
  for (const Value* procedure : request.data.procedures) {
    if (procedure != nullptr) collector.add_procedure(*procedure);
  }
  for (const Value* observation : request.data.observations) {
    if (observation != nullptr) {
      collector.add_observation(*observation, {observation, "Observation", {}});
    }
  }

  // Only this order's reasons count (§7); they are undated, hence new.
  const std::string order_ref = reference_of(order, "ServiceRequest");
  const Record reason{{nullptr, {}, order_ref + " (reasonCode)"}, {}, true, {}, Region::none};
  json::for_each_item(json::member(&order, "reasonCode"), [&](const Value& concept_value) {
    collector.add_concept(&concept_value, reason);
  });
  json::for_each_item(json::member(&order, "reasonReference"), [&](const Value& ref) {
    const std::string_view target = json::string_member(&ref, "reference");
    std::string_view type;
    const Value* resource = resolve(request, order, target, type);
    if (resource == nullptr) return;
    RecordName label{nullptr, {}, order_ref + " (reasonReference " + std::string(target) + ")"};
    if (type == "Condition") collector.add_condition(*resource, std::move(label));
    if (type == "Observation") collector.add_observation(*resource, std::move(label));
  });

  derive(facts, today, options);
  facts.vcf_region = collector.vcf_region();
  return facts;
}

}  // namespace vcf_cds::facts
