#include "cards/prepared_rows.hpp"

#include <algorithm>
#include <string_view>

#include "cards/json_writer.hpp"
#include "vcf_cds/criteria.hpp"

namespace vcf_cds::cards {

RowParts prepare_row(const criteria::ProcedureRow& row, const CardText& text) {
  RowParts parts;
  for (std::size_t bucket = 0; bucket < row.tabulation.size(); ++bucket) {
    std::string bar;
    bar.reserve(3 * static_cast<std::size_t>(std::max(row.tabulation[bucket], 0)));
    for (int i = 0; i < row.tabulation[bucket]; ++i) bar += "█";
    parts.votes.emplace_back()
        .set("bucket", static_cast<int>(bucket + 1))
        .set("bar", std::move(bar))
        .set("count", row.tabulation[bucket]);
  }
  if (!row.references.empty()) {
    auto& section = parts.references.emplace_back();
    for (const auto& ref : row.references) {
      auto& item = section.add("items");
      item.set("n", ref.n).set_ref("pmid", ref.pmid).set_ref("quality", ref.quality);
      if (auto url = text.pubmed_link(ref.pmid); !url.empty()) item.set("url", std::move(url));
    }
  }
  // Written as a whole object by the one evidence writer, then kept without its braces.
  rapidjson::StringBuffer buffer;
  CardWriter w(buffer);
  w.StartObject();
  criteria::write_row_evidence(w, row);
  w.EndObject();
  const std::string_view object(buffer.GetString(), buffer.GetSize());
  parts.evidence_members = std::string(object.substr(1, object.size() - 2));
  return parts;
}

PreparedRows::PreparedRows(std::shared_ptr<const criteria::KnowledgeBase> knowledge,
                           std::shared_ptr<const CardText> text)
    : knowledge_(std::move(knowledge)), text_(std::move(text)) {
  for (const auto& variant : knowledge_->variants) {
    for (const auto& row : variant.rows) parts_.emplace(&row, prepare_row(row, *text_));
  }
}

const RowParts* PreparedRows::find(const criteria::ProcedureRow* row) const {
  const auto it = parts_.find(row);
  return it == parts_.end() ? nullptr : &it->second;
}

std::shared_ptr<const PreparedRows> prepare_rows(
    std::shared_ptr<const criteria::KnowledgeBase> knowledge,
    std::shared_ptr<const CardText> text) {
  return std::make_shared<const PreparedRows>(std::move(knowledge), std::move(text));
}

}  // namespace vcf_cds::cards
