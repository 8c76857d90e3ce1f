// The tamper-evident chain: every record, consult or feedback, in insertion (seq) order, links to
// the one before it. For record n (seq = n, starting at 1):
//   prev_hash(n) = hash(n-1), prev_hash(1) = 64 zeros
//   hash(n)      = sha256_hex(prev_hash(n) || canonical_json(record n))
// and audit_chain_head holds seq and hash of the last record. Verification recomputes this from
// the stored columns, so editing any column, deleting or reordering rows, or cutting the tail
// (head no longer matches) is reported at the first record where it shows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "audit/record.hpp"
#include "audit/schema.hpp"
#include "vcf_cds/audit.hpp"

namespace vcf_cds::audit::detail {

struct ChainRow {
  Record record;
  ChainLink link;
};

// One table's rows in seq order; nullopt at the end. Errors mean the store could not be read.
class ChainCursor {
 public:
  virtual ~ChainCursor() = default;
  virtual Result<std::optional<ChainRow>> next() = 0;
};

struct ChainHead {
  std::int64_t seq = 0;
  std::string hash;
};

// Walks both tables merged by seq and reports the first record that does not check out,
// including a blob a consult names that is missing or does not match its hash.
Result<VerifyResult> verify_chain(ChainCursor& consults, ChainCursor& feedback,
                                  const ChainHead& head, BlobLookup blobs);

// The blobs a committer has written. A batch inserts only those not known to be there; they
// count as known once its transaction committed (bounded: forgetting one only repeats an
// insert that is then skipped by the database).
class KnownBlobs {
 public:
  // The blobs of the records of `batch` that are appended, not known, each once.
  std::vector<const Blob*> unknown(const std::vector<QueuedRecord>& batch) const;
  void committed(const std::vector<const Blob*>& blobs);

 private:
  std::unordered_set<std::string> known_;
};

// Sets `joined` on each record of `batch` that repeats an earlier consult of another call: one of
// `committed` (the trail's consults for retry_candidate_queries, in seq order) or a record of
// another call earlier in this batch. The earliest match wins, so every retry joins the first
// record.
void join_retries(std::vector<QueuedRecord>& batch, std::vector<ConsultRecord> committed);

// The rows of several retry_candidate_queries in one seq order, each row once.
void merge_by_seq(std::vector<ConsultRecord>& rows);

// Gives each record of `batch` the next seq after `head`, computes its link and advances `head`;
// a record that joined an earlier one is not appended. `prepare` runs before hashing (the store
// sets known_card there); `append` writes the row.
template <class Prepare, class Append>
Status append_batch(std::vector<QueuedRecord>& batch, ChainHead& head, Prepare&& prepare,
                    Append&& append) {
  for (auto& queued : batch) {
    if (queued.joined) continue;
    Record& record = queued.record;
    const std::optional<CanonicalDraft>& draft = queued.draft;
    std::visit([&](auto& r) { r.seq = head.seq + 1; }, record);
    if (Status s = prepare(record); !s) return s;
    ChainLink link{head.hash, draft ? chain_hash(head.hash, *draft, head.seq + 1)
                                    : chain_hash(head.hash, canonical_json(record))};
    if (Status s = append(record, link); !s) return s;
    head.seq += 1;
    head.hash = std::move(link.hash);
  }
  return Ok{};
}

}  // namespace vcf_cds::audit::detail
