// Audit reports for people and other systems: CSV, NDJSON (also the import format), a FHIR R4
// Bundle of AuditEvents, and the per-variant summary. Used by `vcf-cds audit` (src/app).
// Read-only over a Store; nothing here writes to the trail except `import_ndjson`.
#pragma once

#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "vcf_cds/audit.hpp"

namespace vcf_cds::audit_review {

using audit::ConsultRecord;
using audit::FeedbackRecord;
using audit::Query;
using audit::Store;

// A consult and every feedback on its card, in seq order.
struct AuditedConsult {
  ConsultRecord consult;
  std::vector<FeedbackRecord> feedback;

  // The latest feedback decides: "accepted", "overridden" or "" (no feedback).
  const FeedbackRecord* latest() const { return feedback.empty() ? nullptr : &feedback.back(); }
};

struct AuditExtract {
  std::vector<AuditedConsult> consults;
  // Feedback whose card no consult carries (CONTRACT §7: stored and flagged). Only filled when
  // the query selects the whole trail, since such feedback has no patient, user or variant.
  std::vector<FeedbackRecord> unknown_card_feedback;
};

// Unavailable when the store cannot be read.
Result<AuditExtract> load_extract(Store& store, const Query& query);
bool selects_everything(const Query& query);

// One row per consult with the latest feedback; RFC 4180 quoting, header first.
void write_csv(const AuditExtract& extract, std::ostream& out);
// One JSON object per line, records in seq order, "kind": "consult" | "feedback". JSON-text
// fields (facts, card, …) are embedded as JSON when they parse, else as strings.
void write_ndjson(const AuditExtract& extract, std::ostream& out);
// Bundle (type collection) of R4 AuditEvents: one per consult, one per feedback.
// `canonical_base`: the project's (serve's --canonical-base); the AuditEvent subtype codes are
// `{canonical_base}/CodeSystem/audit-event`.
void write_fhir_bundle(const AuditExtract& extract, std::ostream& out,
                       std::string_view canonical_base = "https://vcf-cds.example.org/fhir");

// Per (variant, procedure row): orders rated, share "Usually not appropriate", overrides and why.
struct SummaryRow {
  int variant = 0;
  std::string procedure_row;
  int rated = 0;
  int usually_not_appropriate = 0;
  int accepted = 0;
  int overridden = 0;
  std::map<std::string, int> override_reasons;  // "code display" (or "(no reason)") → count
};
std::vector<SummaryRow> summarize(const AuditExtract& extract);
// How an override's reason is counted: "code display", either alone, or "(no reason)".
std::string override_reason_key(const FeedbackRecord& feedback);
// The rows as a JSON array, the one shape `vcf-cds audit summary --json` and the console's
// dashboard share. Any RapidJSON-style writer.
template <class Writer>
void write_summary_rows(Writer& w, const std::vector<SummaryRow>& rows) {
  const auto string = [&w](const std::string& text) {
    w.String(text.data(), static_cast<unsigned>(text.size()));
  };
  w.StartArray();
  for (const auto& row : rows) {
    w.StartObject();
    w.Key("variant");
    w.Int(row.variant);
    w.Key("procedure");
    string(row.procedure_row);
    w.Key("rated");
    w.Int(row.rated);
    w.Key("usuallyNotAppropriate");
    w.Int(row.usually_not_appropriate);
    w.Key("usuallyNotAppropriateShare");
    w.Double(row.rated == 0 ? 0.0 : static_cast<double>(row.usually_not_appropriate) / row.rated);
    w.Key("accepted");
    w.Int(row.accepted);
    w.Key("overridden");
    w.Int(row.overridden);
    w.Key("overrideReasons");
    w.StartObject();
    for (const auto& [reason, count] : row.override_reasons) {
      w.Key(reason.data(), static_cast<unsigned>(reason.size()));
      w.Int(count);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
}
void write_summary_text(const AuditExtract& extract, std::ostream& out);
void write_summary_json(const AuditExtract& extract, std::ostream& out);

// Appends the records of an NDJSON export (same format as write_ndjson) to `store` as new
// records of its chain, in file order, in batches. Error{bad_request} names the line.
struct ImportResult {
  std::size_t consults = 0;
  std::size_t feedback = 0;
};
Result<ImportResult> import_ndjson(std::istream& in, Store& store);

}  // namespace vcf_cds::audit_review
