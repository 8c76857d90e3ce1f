// Builds the template data for one card from a decision (CONTRACT §5 detail contents).
#pragma once

#include <span>

#include "cards/card_text.hpp"
#include "cards/prepared_rows.hpp"
#include "vcf_cds/criteria.hpp"

namespace vcf_cds::cards {

// Escapes text that came from the request (displays, ids) so it renders literally in Markdown
// and cannot inject HTML into clients that pass raw HTML through (the Sandbox does).
std::string escape_markdown(std::string_view text);

struct Alternative {
  const criteria::ProcedureRow* row = nullptr;
  std::optional<facts::Coding> code;  // the code to order in the suggestion region, if any
  bool regional = false;   // the code depends on the region (shown in the suggestion label)
  bool orderable = false;  // some code exists in some region ("Medical management only": none)
};

// Usually appropriate rows of the headline variant other than the ordered one, document order.
std::vector<Alternative> usually_appropriate_alternatives(const criteria::Decision& decision,
                                                          const facts::Terminology& terminology,
                                                          facts::Region region);

// Region for suggestions (CONTRACT §7): the spine region of the order's code or bodySite, else
// the VCF's ICD-10-CM site or bodySite; Region::none when no level is known (a whole-body order
// without one included).
facts::Region suggestion_region(const criteria::Decision& decision);

// A firm Usually appropriate answer: the card carries one line, not the whole detail (alert
// fatigue: nothing in it needs reading).
bool short_card(const criteria::Decision& decision);

std::string render_summary(const CardText& text, const criteria::Decision& decision);
// Appends the card's Markdown detail to `out`. `partial`: the request's data read only in part
// (hooks::ClinicalData::partial), said near the top so the clinician weighs the answer.
void render_detail(const CardText& text, const criteria::Decision& decision,
                   const std::vector<Alternative>& alternatives, const RowParts& row_parts,
                   std::string& out, std::span<const hooks::PartialRead> partial = {});

}  // namespace vcf_cds::cards
