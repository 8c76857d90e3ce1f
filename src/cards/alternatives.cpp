#include "cards/alternatives.hpp"

#include <tuple>

namespace vcf_cds::cards {

int radiation_rank(std::string_view rrl) {
  constexpr std::string_view kLevel = "☢";
  constexpr int kUnknown = 100;
  if (rrl.rfind("O ", 0) == 0 || rrl == "O" || rrl == "N/A") return 0;
  int levels = 0;
  for (auto at = rrl.find(kLevel); at != std::string_view::npos;
       at = rrl.find(kLevel, at + kLevel.size())) {
    ++levels;
  }
  return levels > 0 ? levels : kUnknown;
}

std::string_view modality(std::string_view row_name) {
  return row_name.substr(0, row_name.find(' '));
}

bool ranks_before(const Alternative& a, const Alternative& b, const criteria::Decision& decision) {
  const bool pediatric = decision.facts.pediatric;
  const std::string_view ordered = modality(decision.headline.row->name);
  // Smaller is better: -rating, radiation, not the ordered modality.
  const auto rank = [&](const Alternative& alternative) {
    const auto& row = *alternative.row;
    return std::make_tuple(-row.rating,
                           radiation_rank(pediatric ? row.rrl_pediatric : row.rrl_adult),
                           modality(row.name) != ordered);
  };
  return rank(a) < rank(b);
}

std::string_view service_kind(const CardText& text, const criteria::ProcedureRow& row,
                              criteria::Phase phase) {
  if (auto it = text.service_kind.find(row.name); it != text.service_kind.end()) return it->second;
  return criteria::to_string(phase);
}

SuggestionChange suggestion_change(const CardText& text, const criteria::Decision& decision,
                                   const Alternative& alternative) {
  const auto phase = decision.headline.variant->phase;
  const std::string_view ordered = service_kind(text, *decision.headline.row, phase);
  const std::string_view offered = service_kind(text, *alternative.row, phase);
  if (ordered == offered) return SuggestionChange::replace;
  for (const auto& kept : text.kept_service_kinds) {
    if (ordered == kept) return SuggestionChange::add;
  }
  return SuggestionChange::replace_other_kind;
}

}  // namespace vcf_cds::cards
