// Chain format 2: a consult's JSON-text columns stored once per content.
//
// Most of a consult's bytes repeat: the evidence part of a card is the same for every consult of
// a knowledge version, variant and row; the facts repeat for each order of a call and again at
// order-sign. So in format 2 each of these columns (card, facts, candidates, assumptions,
// order_codes) holds either its text, when it is short (under 128 bytes, not starting with '@'),
// or "@" and the SHA-256 hex of a *recipe* blob in audit_blobs(hash, body):
//
//   recipe  = JSON array of strings: [flag, part, part, …]
//   flag    = "ids" when the card's ids were written as placeholders (below), else ""
//   part    = "@<sha256 hex>" (a segment blob, its body taken as is) | "=<text>" (text as is)
//   text    = the parts' bodies one after the other, then, with flag "ids", every JSON string
//             "@consult_id", "@card_uuid", "@suggestion_uuid/<i>" replaced by that id of the row
//
// Segments end at the commas between the members of the outer two levels of the JSON and after
// each paragraph break ("\n\n") inside a string, once they are 128 bytes long: a card's evidence
// paragraphs, its override reasons and each fact come out as their own segments, so a consult
// that shares them adds only what is its own. The ids become placeholders only when putting them
// back gives the card byte for byte; otherwise the recipe keeps the card as it is.
//
// The chain covers the stored values (the row's canonical JSON names the recipe hash); a recipe
// names its segments by hash, and `audit verify` checks every blob against its hash, so the
// shown text is covered through them. Blobs are never deleted or changed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "vcf_cds/audit.hpp"
#include "vcf_cds/result.hpp"

namespace vcf_cds::audit::detail {

inline constexpr int chain_format_texts = 1;  // every column holds its text (schema 1 to 3)
inline constexpr int chain_format_blobs = 2;

struct Blob {
  std::string hash;  // SHA-256 hex of body
  std::string body;
};

// Replaces the record's JSON-text columns by their stored values (chain format 2) and sets
// chain_format. `blobs` gains each blob the values name (recipes and segments).
void store_texts(ConsultRecord& record, std::vector<Blob>& blobs);

// A blob by hash; nullopt when the trail has none. Errors mean the store could not be read.
using BlobLookup = std::function<Result<std::optional<std::string>>(const std::string& hash)>;

// Reads blobs through `lookup`, each at most once while cached (the cache is bounded).
class BlobReader {
 public:
  explicit BlobReader(BlobLookup lookup) : lookup_(std::move(lookup)) {}
  // Error{unavailable} when the blob is missing: the trail is damaged (`audit verify` says where).
  Result<std::string> get(const std::string& hash);
  // nullopt when missing.
  Result<std::optional<std::string>> find(const std::string& hash);

 private:
  BlobLookup lookup_;
  std::vector<std::pair<std::string, std::string>> cache_;  // small: one trail's few recipes
};

// The texts of a record read from the trail (format 2); a format 1 record is left as it is.
Status expand_texts(ConsultRecord& record, BlobReader& blobs);

// For `audit verify`: the problem with the blobs a stored record names, or empty when every one
// is present and matches its hash. Each blob is checked once per verify (bounded memory).
class BlobChecker {
 public:
  explicit BlobChecker(BlobLookup lookup) : reader_(std::move(lookup)) {}
  Result<std::string> check(const ConsultRecord& record);

 private:
  Result<std::string> check_blob(std::string_view column, const std::string& hash, bool recipe);
  BlobReader reader_;
  std::unordered_set<std::string> verified_;
};

}  // namespace vcf_cds::audit::detail
