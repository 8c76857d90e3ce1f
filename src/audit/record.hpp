// Audit records as the chain sees them: validation, identifier hashing and the canonical JSON
// that each record's hash covers. Shared by the SQLite and PostgreSQL stores so both produce
// byte-identical chains for the same records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "audit/blob.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/result.hpp"

namespace vcf_cds::audit::detail {

using Record = std::variant<ConsultRecord, FeedbackRecord>;

// The prev_hash of the first record: 64 zeros.
inline constexpr std::string_view genesis_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Error{bad_request, "audit.<field>"} when a string holds a NUL byte or invalid UTF-8 (PostgreSQL
// would reject it and fail the whole batch, i.e. other callers' consults) or latency is not finite.
Status validate(const ConsultRecord& record);
Status validate(const FeedbackRecord& record);

// "hmac-sha256:<hex>" of `id` under `secret`; empty stays empty (nothing to hide).
std::string hash_identifier(std::string_view secret, std::string_view id);

// Sets identifier_mode and, in hashed mode, replaces patient_id and user_id by their HMAC.
// Records that already say identifier_mode_hmac (an imported trail) are left as they are.
void apply_identifier_mode(ConsultRecord& record, const StoreConfig& config);

// The canonical JSON of a record: one object, keys in byte order, no whitespace, every field
// (including kind, seq, identifier_mode / known_card) and JSON-text fields as JSON strings, so the
// bytes never depend on how a database returns a column.
std::string canonical_json(const ConsultRecord& record);
std::string canonical_json(const FeedbackRecord& record);
std::string canonical_json(const Record& record);

// hash = sha256_hex(prev_hash_hex || canonical_json), as lowercase hex.
std::string chain_hash(std::string_view prev_hash, std::string_view canonical);

// A consult's canonical JSON with the value of "seq" left out: `text` holds every other byte and
// the seq digits belong at `seq_at`. Nothing else in a consult depends on the chain, so the
// caller's thread drafts it and the writer thread, the serial part of every commit, only hashes
// it. canonical_json(consult) is built the same way, so the bytes cannot differ.
struct CanonicalDraft {
  std::string text;
  std::size_t seq_at = 0;
};
CanonicalDraft canonical_draft(const ConsultRecord& record);
// chain_hash(prev_hash, canonical_json(record)) for the record `draft` was made from, once its
// seq is `seq`.
std::string chain_hash(std::string_view prev_hash, const CanonicalDraft& draft, std::int64_t seq);

// A record on its way to the writer. Consults carry their draft; feedback does not (its
// known_card is looked up on the writer, inside the transaction).
struct QueuedRecord {
  Record record;
  std::optional<CanonicalDraft> draft;
  std::vector<Blob> blobs;  // what a consult's stored texts name (store_texts)
  // A consult of a service call: it joins an earlier record of the same hook call and order
  // instead of being appended (a retry). `call` tells the records of one call apart from
  // another's in the same batch; the committer sets `joined` when the record joined one.
  bool joins_retries = false;
  std::uint64_t call = 0;
  std::optional<JoinedRetry> joined;
};
// A consult's texts become their stored values (store_texts) and its canonical JSON is drafted.
QueuedRecord queue_record(Record record);

// `text` with every JSON string equal to a pair's first replaced by the pair's second, in one
// pass (ids are UUIDs: a whole-string match cannot touch anything else).
std::string replace_json_strings(std::string_view text,
                                 const std::vector<std::pair<std::string, std::string>>& pairs);

// The join of `retry` to `earlier` when `earlier` records the same hook call and order, decided
// and shown the same way (JoinedRetry); nullopt otherwise.
std::optional<JoinedRetry> retry_join(const ConsultRecord& retry, const ConsultRecord& earlier);

// ["a","b"] <-> vector; parse returns {} on anything that is not an array of strings.
std::string to_json_array(const std::vector<std::string>& items);
std::vector<std::string> parse_json_array(std::string_view text);

std::int64_t seq_of(const Record& record);
std::string_view kind_of(const Record& record);  // "consult" | "feedback"
// consult_id, or the card uuid for feedback: what a verify report names.
std::string_view id_of(const Record& record);

}  // namespace vcf_cds::audit::detail
