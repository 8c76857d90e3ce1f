// The Argonaut "CDS Hooks for PAMA" rating written onto a draft order (CONTRACT §5).
#pragma once

#include <functional>
#include <string>

#include "cards/json_writer.hpp"
#include "vcf_cds/cards.hpp"

namespace vcf_cds::cards {

// "appropriate" | "not-appropriate" | "no-criteria-apply".
const char* pama_code(const criteria::Decision& decision);

// The order as sent, with this consult's PAMA extensions replacing any earlier ones and, when
// `add_reason` is set, the reason it writes appended to reasonCode: no other change.
void write_rated_order(CardWriter& w, const RenderInput& in, const rapidjson::Value& order,
                       const criteria::Decision& decision, const std::string& consult_id,
                       const std::function<void(CardWriter&)>& add_reason = {});

}  // namespace vcf_cds::cards
