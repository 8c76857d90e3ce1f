// Clarification suggestions (CONTRACT §5): a card asks for the undocumented facts its category
// depends on, one suggestion per answer, each an `update` of the draft order adding a reason.
#pragma once

#include "cards/card_text.hpp"
#include "cards/json_writer.hpp"
#include "vcf_cds/cards.hpp"

namespace vcf_cds::cards {

// Appends one suggestion per decision.clarifications entry to the open `suggestions` array and
// records each uuid in ids.suggestion_uuids (feedback names them like any suggestion). Never
// recommended: only an alternative can be. The order must have an id (checked by the caller).
void write_clarifications(CardWriter& w, const RenderInput& in, const rapidjson::Value& order,
                          const criteria::Decision& decision, ConsultIds& ids);

}  // namespace vcf_cds::cards
