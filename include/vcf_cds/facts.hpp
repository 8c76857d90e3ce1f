// File: facts.hpp — from FHIR data to clinical facts, through terminology held as data.
//
// Input: `hooks::HookRequest` (borrowed FHIR JSON) and the `Terminology` loaded from
// fhir-profiles/ (ValueSets, project CodeSystem, procedure ConceptMap). Output: plain structs —
// `ClinicalFacts` per rated order and `OrderedProcedure` per order — that own their strings and
// keep the FHIR references they came from. Knows nothing of variants, ratings or cards.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "vcf_cds/hooks.hpp"

namespace vcf_cds::facts {

// One per ValueSet in fhir-profiles/ (CONTRACT §2).
enum class FactKind : std::uint8_t {
  vcf,
  osteoporotic,      // osteoporotic VCF code, or osteoporosis
  pathological_vcf,  // neoplastic pathological VCF code (M84.58)
  bone_malignancy,   // with a VCF, makes it pathological
  malignancy,        // active or history
  back_pain,
  asymptomatic,
  prior_augmentation,
  prior_spine_surgery,
  deformity_or_pulmonary,
  edema_or_cleft,
  worsening_pain,
  // Explicit absence of the two facts above (a reason code, or a finding recorded false); the
  // same role that `asymptomatic` plays for back pain.
  edema_or_cleft_absent,
  worsening_pain_absent,
};
inline constexpr std::size_t kFactKindCount = 14;
std::string_view to_string(FactKind kind);  // "vcf", "osteoporotic", ...
// Human wording for cards and audit, e.g. "history of malignancy".
std::string_view describe(FactKind kind);

enum class Region : std::uint8_t { none, cervical, thoracic, lumbar, whole_body };
std::string_view to_string(Region region);  // "none", "cervical", ..., "whole_body"
// Human wording: "cervical spine", "thoracic spine", "lumbar spine", "whole body"; "" for none.
std::string_view describe(Region region);

// Contrast of an imaging code, from the procedure ConceptMap (none for non-imaging codes).
enum class Contrast : std::uint8_t { none, without, with, without_and_with, intrathecal };
std::string_view to_string(Contrast contrast);  // "none", "without", ..., "intrathecal"

enum class Tri : std::uint8_t { absent, present, unknown };
std::string_view to_string(Tri value);  // "absent", "present", "unknown"

// Where a fact came from: "Condition/abc", "Procedure/p1", "ServiceRequest/o1 (reasonCode)".
struct Source {
  std::string reference;
  std::string system;
  std::string code;
  std::string display;
};

struct Evidence {
  Source source;
  std::optional<std::chrono::sys_days> date;  // newest of onset/recorded; none if undated
  bool current = true;  // clinicalStatus active/recurrence/relapse/absent (CONTRACT §7)
  // VCF identity "<ICD-10-CM code without 7th char>@<bodySite>", either part possibly empty.
  std::string distinct_key;
};

// What one order's decision may use: the patient's record plus that order's own reasons.
struct ClinicalFacts {
  bool pediatric = false;  // birthDate under 18 years at evaluation time
  std::optional<int> age_years;
  std::array<std::vector<Evidence>, kFactKindCount> evidence;  // indexed by FactKind

  // Derived, per CONTRACT §2–§3 and §7.
  bool vcf = false;       // current VCF record
  bool vcf_new = false;   // within the window, or undated
  int distinct_vcfs = 0;  // current + history, by distinct_key
  bool osteoporotic = false;
  bool pathological = false;
  bool malignancy = false;         // any status except entered-in-error/refuted
  Tri symptomatic = Tri::unknown;  // pain (or worsening pain) > asymptomatic > unknown
  bool new_back_pain = false;
  bool prior_augmentation = false;
  bool prior_spine_surgery = false;
  bool deformity_or_pulmonary = false;
  // Three-valued (CONTRACT §3): present on a record of the finding, absent on an explicit
  // record of its absence, else unknown; a present record wins over an absent one.
  Tri edema_or_cleft = Tri::unknown;
  Tri worsening_pain = Tri::unknown;
  Region vcf_region = Region::none;  // from the VCF's ICD-10-CM site or bodySite, for suggestions

  const std::vector<Evidence>& of(FactKind kind) const {
    return evidence[static_cast<std::size_t>(kind)];
  }
};

struct Coding {
  std::string system;
  std::string code;
  std::string display;
};

// An order mapped through the procedure ConceptMap.
struct OrderedProcedure {
  std::string order_ref;      // "ServiceRequest/<id>"
  std::vector<Coding> codes;  // ServiceRequest.code codings as sent
  std::string row_name;       // procedure row name as in the seed; empty when no row maps
  Region region = Region::none;
  bool advanced_imaging = false;  // MRI, CT, nuclear medicine, PET (PAMA no-criteria-apply)
  // The spine region the order's bodySite names when its code names the whole body (a bone
  // scan "for the lumbar spine"): suggestions keep it. (A code naming no region takes the
  // bodySite's as `region` itself.)
  Region body_site_region = Region::none;
  // The other draft orders that made this row together with it ("ServiceRequest/<id>" of the
  // 62284 injection that turns CT with contrast into CT myelography): a replacement deletes them.
  std::vector<std::string> paired_orders;
};

struct Options {
  std::chrono::days new_window{90};
};

class Terminology;  // defined in src/facts; immutable once loaded

// Start-up boundary: an invalid profile file throws this naming the file and field.
class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads every *.json under `folder` (ValueSets, CodeSystems, ConceptMaps) into hash tables.
std::shared_ptr<const Terminology> load_terminology(const std::filesystem::path& folder);

// The orderable code for a procedure row in a region (the reverse of the ConceptMap), preferring
// CPT; nullopt when no code is mapped (e.g. "Medical management only"). A row with spine-region
// codes (MRI, CT, vertebral augmentation) has no answer for Region::none or whole_body: its
// region-less codes (22510 cervicothoracic, the add-on 22512) never stand in for an unknown level.
std::optional<Coding> orderable_code(const Terminology& terminology, std::string_view row_name,
                                     Region region);

// What the profiles say about one orderable code on its own (a same-draft target such as CT
// myelography is not considered): its row (empty when none), region, contrast, advanced imaging.
struct CodeInfo {
  std::string row_name;
  Region region = Region::none;
  Contrast contrast = Contrast::none;
  bool advanced_imaging = false;
};
CodeInfo describe_code(const Terminology& terminology, std::string_view system,
                       std::string_view code);

// Whether (system, code) is in a ValueSet feeding `kind`, i.e. whether a record carrying it is
// read as that fact (used to check the codes a card offers to document a fact).
bool codes_fact(const Terminology& terminology, FactKind kind, std::string_view system,
                std::string_view code);

// The project CodeSystem's override reasons (concepts with property group = override-reason), in
// file order, each with the CodeSystem url as system.
const std::vector<Coding>& override_reasons(const Terminology& terminology);

// "sha256:<hex>" over the names and bytes of the loaded profile files, for audit records.
const std::string& version(const Terminology& terminology);

// Maps one draft order (and the other draft orders it combines with, e.g. 62284) to a row.
OrderedProcedure map_order(const Terminology& terminology, const rapidjson::Value& order,
                           const std::vector<const rapidjson::Value*>& draft_orders);

// Facts for one order. `today` is injected so tests and "new" windows are deterministic.
ClinicalFacts extract(const Terminology& terminology, const hooks::HookRequest& request,
                      const rapidjson::Value& order, std::chrono::sys_days today,
                      const Options& options = {});

// One line naming the facts and their sources, e.g.
// "VCF (Condition/c1 M80.08XA, 2026-11-01), back pain (ServiceRequest/o1 reasonCode 279039007)".
std::string explain(const ClinicalFacts& facts);

}  // namespace vcf_cds::facts
