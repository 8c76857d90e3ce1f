// Choosing among the usually appropriate alternatives a card suggests (CONTRACT §5, §7): which
// one is recommended, and whether a suggestion replaces the order or is added beside it.
#pragma once

#include <string_view>
#include <vector>

#include "cards/card_text.hpp"
#include "cards/detail.hpp"

namespace vcf_cds::cards {

// Ionising radiation of an RRL for ranking: "O 0 mSv" and "N/A" (not imaging) 0, each ☢ one
// more, "Varies" and anything unrecognised after every level (the dose is not known to be low).
int radiation_rank(std::string_view rrl);

// The modality a row name starts with ("MRI", "CT", "Bone", "FDG-PET/CT", "Percutaneous"): the
// seed names every row modality first.
std::string_view modality(std::string_view row_name);

// Whether `a` is recommended before `b`: higher rating, then lower radiation for the patient's
// age group, then the ordered modality. Equal ranks are false both ways: the caller keeps the
// first in document order.
bool ranks_before(const Alternative& a, const Alternative& b, const criteria::Decision& decision);

// What a suggestion does with the draft order (README, Decisions): same kind of service ->
// replace it; an order of a kept kind (card-text.json "keptServiceKinds": referral, biopsy) with
// a different kind -> add beside it (the specialist or the tissue answers a question the
// alternative does not); any other change of kind -> replace, and the label says it is a
// different kind of service.
enum class SuggestionChange { replace, replace_other_kind, add };

// The service kind of a row: card-text.json "serviceKind", else the variant's phase
// ("imaging" | "treatment").
std::string_view service_kind(const CardText& text, const criteria::ProcedureRow& row,
                              criteria::Phase phase);

SuggestionChange suggestion_change(const CardText& text, const criteria::Decision& decision,
                                   const Alternative& alternative);

}  // namespace vcf_cds::cards
