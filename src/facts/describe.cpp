// Human wording of facts and the one-line explanation recorded with each decision.
#include <array>
#include <string>

#include "common/time.hpp"
#include "facts/codes.hpp"
#include "vcf_cds/facts.hpp"

namespace vcf_cds::facts {
namespace {

constexpr std::array<std::string_view, kFactKindCount> kDescriptions = {
    "VCF",
    "osteoporosis or osteoporotic VCF",
    "pathological (neoplastic) VCF",
    "bone malignancy",
    "malignancy (active or history)",
    "back pain",
    "asymptomatic",
    "prior vertebral augmentation",
    "prior spine surgery",
    "deformity or pulmonary dysfunction",
    "bone marrow edema or intravertebral cleft",
    "worsening pain",
    "no bone marrow edema or intravertebral cleft",
    "pain not worsening",
};

// "Condition/c1 M80.08XA, 2026-11-01" (", history" when not current).
void append_source(std::string& out, const Evidence& evidence) {
  out += evidence.source.reference;
  if (!evidence.source.code.empty()) {
    out += ' ';
    out += evidence.source.code;
  }
  if (evidence.date) {
    out += ", ";
    out += common::iso_date(*evidence.date);
  }
  if (!evidence.current) out += ", history";
}

}  // namespace

std::string_view describe(FactKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kDescriptions.size() ? kDescriptions[index] : "unknown fact";
}

std::string_view describe(Region region) {
  switch (region) {
    case Region::cervical:
      return "cervical spine";
    case Region::thoracic:
      return "thoracic spine";
    case Region::lumbar:
      return "lumbar spine";
    case Region::whole_body:
      return "whole body";
    case Region::none:
      break;
  }
  return "";
}

// One line for logs and audit: each fact with evidence, in FactKind order, with its sources.
std::string explain(const ClinicalFacts& facts) {
  std::string out;
  for (std::size_t k = 0; k < kFactKindCount; ++k) {
    const auto& evidence = facts.evidence[k];
    if (evidence.empty()) continue;
    if (!out.empty()) out += "; ";
    out += describe(static_cast<FactKind>(k));
    out += " (";
    for (std::size_t i = 0; i < evidence.size(); ++i) {
      if (i > 0) out += " | ";
      append_source(out, evidence[i]);
    }
    out += ')';
  }
  if (facts.pediatric) {
    if (!out.empty()) out += "; ";
    out += "pediatric";
    if (facts.age_years) out += " (age " + std::to_string(*facts.age_years) + ")";
  }
  return out.empty() ? std::string("no facts recorded") : out;
}

}  // namespace vcf_cds::facts
