// The evidence pages as HTML for a clinician's browser: static markup, no script, every text
// from the knowledge file escaped.
#pragma once

#include <string>

#include "vcf_cds/cards.hpp"
#include "vcf_cds/criteria.hpp"

namespace vcf_cds::evidence {

std::string index_html(const criteria::KnowledgeBase& kb);
std::string variant_html(const criteria::KnowledgeBase& kb, const criteria::Variant& variant);
std::string row_html(const criteria::KnowledgeBase& kb, const criteria::Variant& variant,
                     const criteria::ProcedureRow& row, const cards::CardText& text);
std::string not_found_html(const criteria::KnowledgeBase& kb);

}  // namespace vcf_cds::evidence
