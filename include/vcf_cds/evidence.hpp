// File: evidence.hpp — the evidence pages: one procedure row of one variant, as a clinician
// reads it in a browser (HTML) or a client reads it (JSON).
//
// Input: the loaded knowledge (criteria.hpp) and a request path under kEvidencePath. Output: a
// page. Knowledge only, never patient data, so the pages are served without authentication and
// the cards' `links` and the PAMA `pama-rating-auc-applied` extension can point at them.
#pragma once

#include <string>
#include <string_view>

#include "vcf_cds/cards.hpp"
#include "vcf_cds/criteria.hpp"

namespace vcf_cds::evidence {

// Every page lives under criteria::kEvidencePath: the index, /variant/{n} and
// /variant/{n}/row/{slug} (criteria::evidence_path).

enum class Format { html, json };
// `?_format=json|html` in the target wins (a link a person can paste); otherwise HTML when the
// Accept header names text/html (browsers), else JSON.
Format negotiate(std::string_view target, std::string_view accept);

struct Page {
  unsigned status = 200;  // 200, or 404 for a path that names no variant or row
  std::string content_type;
  std::string body;
};

// The page at `target` (query string ignored). Unknown paths answer 404 in the asked format.
// `text` gives the wording shared with the cards (RRL meanings, PubMed links, population).
Page render(const criteria::KnowledgeBase& knowledge, const cards::CardText& text,
            std::string_view target, Format format);

}  // namespace vcf_cds::evidence
