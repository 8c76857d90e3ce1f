// The parts of a card that depend only on a procedure row and the card text: the detail's vote
// bars and reference list, and the extension's tabulation and references JSON. They are the same
// for every consult that lands on the row, so they are built once per knowledge load instead of
// per card (a sixth of the large request's decision path). `prepare_row` is also the
// fallback when a RenderInput has no PreparedRows, so both paths write the same bytes.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cards/card_text.hpp"
#include "cards/template.hpp"
#include "vcf_cds/cards.hpp"
#include "vcf_cds/criteria.hpp"

namespace vcf_cds::cards {

struct RowParts {
  std::vector<TemplateData> votes;       // {{#votes}}: bucket, bar, count for ratings 1..9
  std::vector<TemplateData> references;  // {{#references}}: one item holding {{#items}}, or none
  std::string evidence_members;  // "tabulation":[…],"references":[…] (criteria::write_row_evidence)
};

RowParts prepare_row(const criteria::ProcedureRow& row, const CardText& text);

class PreparedRows {
 public:
  PreparedRows(std::shared_ptr<const criteria::KnowledgeBase> knowledge,
               std::shared_ptr<const CardText> text);
  // Null for a row of another knowledge base (e.g. one loaded after this was built).
  const RowParts* find(const criteria::ProcedureRow* row) const;

 private:
  // Held so the rows the parts were built from (and borrow text from) outlive them.
  std::shared_ptr<const criteria::KnowledgeBase> knowledge_;
  std::shared_ptr<const CardText> text_;
  std::unordered_map<const criteria::ProcedureRow*, RowParts> parts_;
};

}  // namespace vcf_cds::cards
