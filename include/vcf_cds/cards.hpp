// File: cards.hpp — CDS Hooks response rendering (CONTRACT §5).
//
// Input: the decisions for the orders of one request (criteria.hpp), the request itself (for the
// draft orders it copies into suggestions and system actions) and the card text under
// cards/templates/. Output: the response body and, per rated order, the ids the audit stage
// records. Wording lives in data; this stage decides only structure and order.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vcf_cds/criteria.hpp"
#include "vcf_cds/facts.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::cards {

class CardText;  // loaded cards/templates/: immutable once loaded

// Start-up boundary: throws TemplateError (std::runtime_error) naming the file and field.
std::shared_ptr<const CardText> load_card_text(const std::filesystem::path& folder);

// Start-up: every reason a clarification suggestion adds to an order must be read back by the
// facts stage as the fact it answers (the fact's ValueSet holds it); throws TemplateError naming
// the card-text field otherwise.
void check_clarifications(const CardText& text, const facts::Terminology& terminology);

// The card text's word lists that other stages show beside the criteria (the evidence pages and
// the console), by their card-text.json keys.
enum class WordList { population, facts, assumptions, rrl_meaning };
using Words = std::map<std::string, std::string, std::less<>>;
const Words& word_list(const CardText& text, WordList list);
// Lookup with the key itself as fallback, so a missing wording never drops a fact. The view is
// into `text` or `key`.
std::string_view word(const CardText& text, WordList list, std::string_view key);
// What an RRL value means ("O 0 mSv" reads as "O", any ☢ level as "☢"); a view into `text` or
// `rrl`.
std::string_view rrl_meaning(const CardText& text, std::string_view rrl);
// The PubMed link for a positive numeric PMID; empty for anything else.
std::string pubmed_link(const CardText& text, std::string_view pmid);
// The name of the criteria's source ("ACR Appropriateness Criteria®").
const std::string& source_label(const CardText& text);

// A fact's sources, bounded: a patient with thousands of matching records would otherwise list
// every one in every card and audit record. At most `keep` of `evidence`, the newest (undated
// ones first: like the order's own reasons, they count as new), shown in their original order;
// the rest is only counted (evidence.size() minus the result's size).
inline constexpr std::size_t kSourcesShown = 5;
std::vector<const facts::Evidence*> newest_evidence(const std::vector<facts::Evidence>& evidence,
                                                    std::size_t keep = kSourcesShown);

// The card parts that depend only on a row and the card text, built once per knowledge load
// (cards/prepared_rows.hpp). Keeps both alive.
class PreparedRows;
std::shared_ptr<const PreparedRows> prepare_rows(
    std::shared_ptr<const criteria::KnowledgeBase> knowledge, std::shared_ptr<const CardText> text);

struct Settings {
  std::string qcdsm_id = "vcf-cds";  // pama-rating-qcdsm-consulted (a site's CMS G-code)
  std::string canonical_base = "https://vcf-cds.example.org/fhir";  // project CodeSystem base
  // Where the evidence pages are published (criteria::evidence_path under it): the card's link
  // and `pama-rating-auc-applied`. The service serves them itself under its public base URL.
  std::string evidence_base = "http://127.0.0.1:8080";
  // No card for a firm Usually appropriate answer (its PAMA system action is still sent).
  bool quiet_when_appropriate = false;
};

// What one order's consult produced; consult_id is the audit key.
struct ConsultIds {
  std::string order_ref;
  std::string consult_id;  // "urn:uuid:…", per card
  std::string card_uuid;   // empty for PAMA-only (no-criteria-apply) consults
  std::vector<std::string> suggestion_uuids;
  // "appropriate" | "not-appropriate" | "no-criteria-apply"; empty when no PAMA rating was sent
  // (an order that is not advanced imaging: treatment, referral, biopsy).
  std::string pama_rating;
  std::string card_json;  // the card as sent (empty without a card)
  std::string repeat_of;  // RenderInput::repeat_of for this order: no card was written
};

struct Rendered {
  std::string body;  // {"cards":[…],"systemActions":[…],"extension":{"systemActions":[…]}}
  std::vector<ConsultIds> consults;  // one per rated or no-criteria-apply decision, in order
};

struct RenderInput {
  const criteria::KnowledgeBase* knowledge = nullptr;
  const facts::Terminology* terminology = nullptr;
  const CardText* text = nullptr;
  // From prepare_rows(knowledge, text); null: the row parts are built per card (same bytes).
  const PreparedRows* prepared = nullptr;
  const hooks::HookRequest* request = nullptr;
  // decisions[i] is for orders[i]; orders are the draft order resources being rated.
  std::vector<const rapidjson::Value*> orders;
  const std::vector<criteria::Decision>* decisions = nullptr;
  // repeat_of[i], when set, is the consult id of an order-select that already rated orders[i]
  // the same way (CONTRACT §7): no second card, the PAMA system action all the same. Shorter
  // than `decisions` (or empty): the rest are not repeats.
  std::vector<std::string> repeat_of;
  Settings settings;
  std::function<std::string()> new_uuid;  // injected so tests are deterministic
};

Rendered render(const RenderInput& input);

// A random RFC 9562 version-4 UUID (lowercase, no "urn:uuid:" prefix), from OpenSSL's CSPRNG:
// for secrets such as the console token.
std::string random_uuid();

// An RFC 9562 version-7 UUID: the 48-bit Unix time in ms, then 74 CSPRNG bits. Consult, card and
// suggestion ids: the audit trail indexes them, and ids that grow with time are appended at the
// right edge of those indexes instead of touching a random page per consult.
std::string time_ordered_uuid();
std::string time_ordered_uuid(std::chrono::system_clock::time_point now);

}  // namespace vcf_cds::cards
