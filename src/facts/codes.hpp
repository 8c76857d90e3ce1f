// Small pure helpers of the facts stage: code normalisation, FHIR dates, enum spellings.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "vcf_cds/facts.hpp"

namespace vcf_cds::facts {

inline constexpr std::string_view kIcd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
inline constexpr std::string_view kCpt = "http://www.ama-assn.org/go/cpt";
inline constexpr std::string_view kLoinc = "http://loinc.org";
inline constexpr std::string_view kSnomed = "http://snomed.info/sct";

// Longest code the tables consider; anything longer cannot match and is not copied.
inline constexpr std::size_t kMaxCodeLength = 64;

// Appends the comparable form of `code` to `out`: ICD-10-CM uppercase without dots
// ("m80.08xa" -> "M8008XA"); other systems as sent, surrounding blanks trimmed.
void append_normalized(std::string& out, std::string_view code, bool icd);

// The ICD-10-CM code without its 7th character, for telling VCFs apart ("M8008XA" -> "M8008X").
std::string icd_without_extension(std::string_view code);

// FHIR date/dateTime ("YYYY", "YYYY-MM", "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ss+zz:zz") to a day; a
// partial date is taken as its first day. nullopt when malformed.
std::optional<std::chrono::sys_days> parse_fhir_date(std::string_view text);

// Whole years from `birth` to `today` (never negative).
int age_in_years(std::chrono::sys_days birth, std::chrono::sys_days today);

// Region named in free text or a vertebra label ("T12", "L1 vertebra", "lumbar spine").
Region region_from_text(std::string_view text);

std::optional<Region> region_from_string(std::string_view text);  // to_string(Region) inverse
std::optional<Contrast> contrast_from_string(std::string_view text);
std::optional<FactKind> fact_kind_from_string(std::string_view text);

}  // namespace vcf_cds::facts
