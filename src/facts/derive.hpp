// From collected evidence to the derived booleans of ClinicalFacts (CONTRACT §2, §3, §7).
#pragma once

#include <chrono>

#include "vcf_cds/facts.hpp"

namespace vcf_cds::facts {

// Fills every derived field except `pediatric`, `age_years` and `vcf_region`, which the
// collector sets from the Patient and the VCF records themselves.
void derive(ClinicalFacts& facts, std::chrono::sys_days today, const Options& options);

// Evidence::distinct_key of a VCF record: "<ICD-10-CM code without 7th char>@<bodySite>", either
// part empty when unknown.
std::string make_distinct_key(std::string_view icd_code, std::string_view site_key);

// VCFs told apart by CONTRACT §7: two records differ when both carry ICD-10-CM codes and those
// differ, or both carry a bodySite and those differ. Records with neither count only when alone.
int count_distinct_vcfs(const std::vector<Evidence>& vcfs);

}  // namespace vcf_cds::facts
