#include "audit/chain.hpp"

#include <algorithm>

namespace vcf_cds::audit::detail {
namespace {

VerifyResult broken(std::int64_t checked, const Record& record, std::string reason) {
  VerifyResult r;
  r.ok = false;
  r.records = checked;
  r.broken_seq = seq_of(record);
  r.broken_kind = std::string(kind_of(record));
  r.broken_id = std::string(id_of(record));
  r.reason = std::move(reason);
  return r;
}

}  // namespace

Result<VerifyResult> verify_chain(ChainCursor& consults, ChainCursor& feedback,
                                  const ChainHead& head, BlobLookup blobs) {
  BlobChecker checker(std::move(blobs));
  auto c = consults.next();
  if (!c) return std::move(c).error();
  auto f = feedback.next();
  if (!f) return std::move(f).error();

  std::int64_t expected = 1;
  std::string prev(genesis_hash);
  std::int64_t checked = 0;
  while (c->has_value() || f->has_value()) {
    // Merge the two tables by seq; seq is unique across them.
    const bool take_consult =
        !f->has_value() || (c->has_value() && seq_of((*c)->record) < seq_of((*f)->record));
    Result<std::optional<ChainRow>>& source = take_consult ? c : f;
    ChainRow row = std::move(**source);

    const std::int64_t seq = seq_of(row.record);
    if (seq != expected) {
      return broken(
          checked, row.record,
          seq > expected
              ? "sequence gap: record " + std::to_string(expected) + " is missing"
              : "sequence repeats or goes back (expected " + std::to_string(expected) + ")");
    }
    if (row.link.prev_hash != prev) {
      return broken(checked, row.record, "prev_hash does not link to the record before it");
    }
    if (chain_hash(prev, canonical_json(row.record)) != row.link.hash) {
      return broken(checked, row.record, "hash mismatch: the record's content was changed");
    }
    if (const auto* consult = std::get_if<ConsultRecord>(&row.record)) {
      auto problem = checker.check(*consult);
      if (!problem) return std::move(problem).error();
      if (!problem->empty()) return broken(checked, row.record, "blob: " + *problem);
    }
    prev = row.link.hash;
    ++checked;
    ++expected;

    source = (take_consult ? consults : feedback).next();
    if (!source) return std::move(source).error();
  }

  if (head.seq != checked || head.hash != prev) {
    VerifyResult r;
    r.ok = false;
    r.records = checked;
    r.broken_seq = checked + 1;
    r.broken_kind = "head";
    r.reason = "chain head (seq " + std::to_string(head.seq) +
               ") does not match the last record (seq " + std::to_string(checked) +
               "): records were removed from the end or the head was edited";
    return r;
  }
  VerifyResult ok;
  ok.records = checked;
  return ok;
}

void merge_by_seq(std::vector<ConsultRecord>& rows) {
  const auto by_seq = [](const ConsultRecord& a, const ConsultRecord& b) { return a.seq < b.seq; };
  const auto same_seq = [](const ConsultRecord& a, const ConsultRecord& b) {
    return a.seq == b.seq;
  };
  std::stable_sort(rows.begin(), rows.end(), by_seq);
  rows.erase(std::unique(rows.begin(), rows.end(), same_seq), rows.end());
}

void join_retries(std::vector<QueuedRecord>& batch, std::vector<ConsultRecord> committed) {
  // Compared as stored: a record chained with its texts gets the values format 2 stores.
  std::vector<Blob> unused;
  for (auto& earlier : committed) {
    if (earlier.chain_format != chain_format_blobs) store_texts(earlier, unused);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    QueuedRecord& queued = batch[i];
    const auto* retry = std::get_if<ConsultRecord>(&queued.record);
    if (!queued.joins_retries || retry == nullptr) continue;
    for (const ConsultRecord& earlier : committed) {
      if ((queued.joined = retry_join(*retry, earlier))) break;
    }
    // A retry racing the first attempt may share its batch: the first is appended, this joins.
    for (std::size_t j = 0; j < i && !queued.joined; ++j) {
      const QueuedRecord& before = batch[j];
      const auto* earlier = std::get_if<ConsultRecord>(&before.record);
      if (earlier == nullptr || before.joined || before.call == queued.call) continue;
      queued.joined = retry_join(*retry, *earlier);
    }
  }
}

std::vector<const Blob*> KnownBlobs::unknown(const std::vector<QueuedRecord>& batch) const {
  std::vector<const Blob*> out;
  std::unordered_set<std::string_view> listed;
  for (const auto& queued : batch) {
    if (queued.joined) continue;
    for (const auto& blob : queued.blobs) {
      if (known_.count(blob.hash) == 0 && listed.insert(blob.hash).second) out.push_back(&blob);
    }
  }
  return out;
}

void KnownBlobs::committed(const std::vector<const Blob*>& blobs) {
  constexpr std::size_t most = 1 << 15;  // ~3 MiB of hashes
  if (known_.size() + blobs.size() > most) known_.clear();
  for (const Blob* blob : blobs) known_.insert(blob->hash);
}

}  // namespace vcf_cds::audit::detail
