// The consult pipeline behind a service call: facts → criteria → cards → audit.
// Wired by src/app; the HTTP/hooks side hands it a parsed request and a way to complete
// the clinical data (prefetch or FHIR fetch), which it calls only when some order is ratable.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "vcf_cds/cards.hpp"
#include "vcf_cds/criteria.hpp"
#include "vcf_cds/facts.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/result.hpp"

namespace vcf_cds::app {

// Everything loaded from cards/ and fhir-profiles/; swapped as a whole on reload.
struct Knowledge {
  std::shared_ptr<const criteria::KnowledgeBase> criteria;
  std::shared_ptr<const facts::Terminology> terminology;
  std::shared_ptr<const cards::CardText> card_text;
  std::shared_ptr<const cards::PreparedRows> card_rows;  // from criteria and card_text
  // Recorded in audit and shown by /metrics: "<criteria sha256:…>+profiles:sha256:…+cards:sha256:…"
  // (criteria content hash, facts::version of the profile files, hash of the card text files).
  std::string version;
};

// Start-up boundary: loads and validates all three; throws naming file and field.
Knowledge load_knowledge(const std::filesystem::path& criteria_file,
                         const std::filesystem::path& profiles_folder,
                         const std::filesystem::path& card_text_folder);

// What one service call decided and said, for the audit trail.
struct ConsultOutcome {
  const hooks::HookRequest* request = nullptr;
  const std::vector<criteria::Decision>* decisions = nullptr;  // rated/no-criteria-apply only
  const cards::Rendered* rendered = nullptr;  // rendered->consults[i] is for decisions[i]
  std::chrono::system_clock::time_point started;
  std::string knowledge_version;
};

struct PipelineInput {
  const hooks::HookRequest* request = nullptr;
  std::chrono::system_clock::time_point now;
  // Called at most once, before facts are read, only if some order maps to a row or is advanced
  // imaging. Fills request->data from prefetch or the FHIR server; returns 412 when it cannot.
  std::function<Status()> ensure_clinical_data;
  // Called with every consult before the body is returned (CONTRACT §6: audited before the
  // response). An error here (store unavailable) becomes the call's error: no unaudited card.
  std::function<Status(const ConsultOutcome&)> record;
  // For each rated order: the consult id of an earlier rating that makes this one a repeat (no
  // second card, CONTRACT §7), or "". Empty function: nothing is a repeat (order-select).
  std::function<std::string(const criteria::Decision&)> earlier_rating;
  cards::Settings card_settings;
  facts::Options fact_options;
  std::function<std::string()> new_uuid = [] { return cards::time_ordered_uuid(); };
};

// Returns the CDS Hooks response body ({"cards": [...], ...}) or an error to map to a status.
Result<std::string> run_pipeline(const Knowledge& knowledge, PipelineInput& input);

}  // namespace vcf_cds::app
