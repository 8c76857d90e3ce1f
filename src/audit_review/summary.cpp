// `vcf-cds audit summary`: what the service said, per variant and procedure row, and how
// clinicians answered — the numbers a site reviews before trusting (or tuning) the service.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <iomanip>
#include <sstream>

#include "common/text.hpp"
#include "vcf_cds/audit_review.hpp"

namespace vcf_cds::audit_review {

using namespace audit;  // the records and queries this stage reads
namespace {

constexpr auto pad = common::pad_columns;

std::string percent(int part, int whole) {
  if (whole == 0) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(0) << 100.0 * part / whole << "%";
  return out.str();
}

std::string variant_label(int variant) {
  return variant == 0 ? "-" : std::to_string(variant);
}

std::string row_label(const SummaryRow& row) {
  return row.procedure_row.empty() ? "(no criteria apply)" : row.procedure_row;
}

}  // namespace

void write_summary_text(const AuditExtract& extract, std::ostream& out) {
  const auto rows = summarize(extract);
  out << pad("Variant", 8) << pad("Procedure", 52) << pad("Rated", 7) << pad("UNA", 6)
      << pad("Accepted", 9) << pad("Overridden", 11) << "Override reasons\n";
  int rated = 0;
  int una = 0;
  int overridden = 0;
  for (const auto& row : rows) {
    std::string reasons;
    for (const auto& [reason, count] : row.override_reasons) {
      if (!reasons.empty()) reasons += "; ";
      reasons += reason + " ×" + std::to_string(count);
    }
    out << pad(variant_label(row.variant), 8) << pad(row_label(row), 52)
        << pad(std::to_string(row.rated), 7)
        << pad(percent(row.usually_not_appropriate, row.rated), 6)
        << pad(std::to_string(row.accepted), 9) << pad(std::to_string(row.overridden), 11)
        << reasons << "\n";
    rated += row.rated;
    una += row.usually_not_appropriate;
    overridden += row.overridden;
  }
  out << "\n"
      << rated << " orders rated, " << percent(una, rated) << " Usually not appropriate, "
      << overridden << " overridden";
  if (!extract.unknown_card_feedback.empty()) {
    out << "; " << extract.unknown_card_feedback.size() << " feedback for unknown cards";
  }
  out << ".\nUNA = share rated Usually not appropriate; outcomes are each card's latest "
         "feedback.\n";
}

void write_summary_json(const AuditExtract& extract, std::ostream& out) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("rows");
  write_summary_rows(w, summarize(extract));
  w.Key("unknownCardFeedback");
  w.Int(static_cast<int>(extract.unknown_card_feedback.size()));
  w.EndObject();
  out << buffer.GetString() << "\n";
}

}  // namespace vcf_cds::audit_review
