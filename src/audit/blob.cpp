#include "audit/blob.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "audit/record.hpp"
#include "common/json_text.hpp"
#include "common/sha256.hpp"

namespace vcf_cds::audit::detail {
namespace {

constexpr std::size_t inline_limit = 128;        // shorter texts stay in the row
constexpr std::size_t min_segment = 128;         // a cut is taken once the segment is this long
constexpr std::size_t min_blob_part = 64;        // shorter parts stay in the recipe
constexpr std::size_t reader_cache = 256;        // blobs a BlobReader keeps
constexpr std::size_t checker_memory = 1 << 16;  // hashes a BlobChecker remembers as verified

// The columns format 2 stores through blobs, in a fixed order.
constexpr std::array<std::pair<std::string_view, std::string ConsultRecord::*>, 5> blob_columns{{
    {"card", &ConsultRecord::card},
    {"facts", &ConsultRecord::facts},
    {"candidates", &ConsultRecord::candidates},
    {"assumptions", &ConsultRecord::assumptions},
    {"order_codes", &ConsultRecord::order_codes},
}};

bool is_reference(std::string_view value) {
  return !value.empty() && value.front() == '@';
}

// The card's ids and the placeholders that stand for them, in that order.
std::vector<std::pair<std::string, std::string>> card_ids(const ConsultRecord& r) {
  std::vector<std::pair<std::string, std::string>> ids;
  if (!r.consult_id.empty()) ids.emplace_back(r.consult_id, "@consult_id");
  if (!r.card_uuid.empty()) ids.emplace_back(r.card_uuid, "@card_uuid");
  for (std::size_t i = 0; i < r.suggestion_uuids.size(); ++i) {
    if (!r.suggestion_uuids[i].empty()) {
      ids.emplace_back(r.suggestion_uuids[i], "@suggestion_uuid/" + std::to_string(i));
    }
  }
  return ids;
}

std::vector<std::pair<std::string, std::string>> swapped(
    std::vector<std::pair<std::string, std::string>> pairs) {
  for (auto& [a, b] : pairs) std::swap(a, b);
  return pairs;
}

// Bytes the cut scan looks at: outside strings (1) and inside them (2).
constexpr std::array<std::uint8_t, 256> scan_stops = [] {
  std::array<std::uint8_t, 256> table{};
  for (unsigned char c : std::string_view("\"{}[],")) table[c] |= 1;
  for (unsigned char c : std::string_view("\\\"")) table[c] |= 2;
  return table;
}();

// Where the text is cut into segments (see blob.hpp); any cut gives the same text back, the
// choice only decides what repeats.
std::vector<std::string_view> segments(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  int depth = 0;
  bool in_string = false;
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t kind = in_string ? 2 : 1;
    while (i < n && (scan_stops[static_cast<unsigned char>(text[i])] & kind) == 0) ++i;
    if (i == n) break;
    const char c = text[i];
    std::size_t cut = 0;
    if (in_string) {
      if (c == '"') {
        in_string = false;
      } else if (text.compare(i, 4, "\\n\\n") == 0) {
        i += 3;
        cut = i + 1;
      } else {
        ++i;  // the escaped character
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (depth == 1 || depth == 2) {  // a comma
      cut = i;
    }
    if (cut > start && cut - start >= min_segment && cut < n) {
      out.push_back(text.substr(start, cut - start));
      start = cut;
    }
  }
  out.push_back(text.substr(start));
  return out;
}

// Hashes of texts hashed lately, shared by every thread: the evidence paragraphs, override
// reasons and recipes of a row repeat from consult to consult, and SHA-256 of them was a fifth
// of a consult's record cost. A hit is checked byte for byte, so it can only save time.
class HashMemo {
 public:
  std::string hash_of(std::string_view text) {
    const std::size_t key = std::hash<std::string_view>{}(text);
    Shard& shard = shards_[key % shards_.size()];
    {
      std::lock_guard lock(shard.mutex);
      const auto it = shard.entries.find(key);
      if (it != shard.entries.end() && it->second.text == text) return it->second.hash;
    }
    std::string hash = common::sha256_hex(text);
    if (text.size() > bytes_per_shard / 8) return hash;  // a rare long text would evict many
    std::lock_guard lock(shard.mutex);
    if (shard.bytes + text.size() > bytes_per_shard) {
      shard.entries.clear();
      shard.bytes = 0;
    }
    auto [it, added] = shard.entries.insert_or_assign(key, Entry{std::string(text), hash});
    if (added) shard.bytes += text.size();
    return hash;
  }

 private:
  static constexpr std::size_t bytes_per_shard = 256 * 1024;  // 4 MiB of texts at most
  struct Entry {
    std::string text;
    std::string hash;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::size_t, Entry> entries;
    std::size_t bytes = 0;
  };
  std::array<Shard, 16> shards_;
};

std::string add_blob(std::string body, std::vector<Blob>& blobs) {
  static HashMemo memo;
  std::string hash = memo.hash_of(body);
  blobs.push_back({hash, std::move(body)});
  return hash;
}

std::string stored_value(std::string_view text, bool ids, std::vector<Blob>& blobs) {
  const auto parts = segments(text);
  std::string recipe;
  recipe.reserve(8 + parts.size() * 70);
  recipe += ids ? "[\"ids\"" : "[\"\"";
  std::string literal;
  for (std::string_view part : parts) {
    if (part.size() < min_blob_part) {
      literal.assign(1, '=').append(part);
      recipe += ',';
      common::append_json_string(recipe, literal);
    } else {
      recipe.append(",\"@").append(add_blob(std::string(part), blobs)).append(1, '"');
    }
  }
  recipe += ']';
  return "@" + add_blob(std::move(recipe), blobs);
}

struct Recipe {
  bool ids = false;
  std::vector<std::string> parts;  // "@hash" | "=text"
};

std::optional<Recipe> parse_recipe(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsArray() || doc.Empty()) return std::nullopt;
  Recipe recipe;
  const auto& items = doc.GetArray();
  if (!items[0].IsString()) return std::nullopt;
  const std::string_view flag(items[0].GetString(), items[0].GetStringLength());
  if (flag != "ids" && !flag.empty()) return std::nullopt;
  recipe.ids = flag == "ids";
  for (rapidjson::SizeType i = 1; i < items.Size(); ++i) {
    if (!items[i].IsString() || items[i].GetStringLength() == 0) return std::nullopt;
    std::string part(items[i].GetString(), items[i].GetStringLength());
    if (part.front() != '@' && part.front() != '=') return std::nullopt;
    recipe.parts.push_back(std::move(part));
  }
  return recipe;
}

Error damaged(std::string_view column, std::string_view what) {
  return make_error(ErrorCode::unavailable, "audit",
                    "audit trail is damaged: " + std::string(column) + " " + std::string(what) +
                        " (run `vcf-cds audit verify`)");
}

}  // namespace

void store_texts(ConsultRecord& record, std::vector<Blob>& blobs) {
  record.chain_format = chain_format_blobs;
  for (const auto& [name, field] : blob_columns) {
    std::string& text = record.*field;
    if (text.size() < inline_limit && !is_reference(text)) continue;
    bool ids = false;
    std::string templated;
    if (field == &ConsultRecord::card) {
      const auto ids_to_placeholders = card_ids(record);
      templated = replace_json_strings(text, ids_to_placeholders);
      // Every placeholder is a JSON string starting "@: without that pair of bytes in the card,
      // none can be there already, so putting the ids back gives the card (the full check
      // otherwise).
      ids = templated != text &&
            (text.find("\"@") == std::string::npos ||
             replace_json_strings(templated, swapped(ids_to_placeholders)) == text);
    }
    text = stored_value(ids ? templated : text, ids, blobs);
  }
}

Result<std::optional<std::string>> BlobReader::find(const std::string& hash) {
  for (const auto& [h, body] : cache_) {
    if (h == hash) return std::optional<std::string>(body);
  }
  auto found = lookup_(hash);
  if (!found) return std::move(found).error();
  if (*found) {
    if (cache_.size() >= reader_cache) cache_.clear();
    cache_.emplace_back(hash, **found);
  }
  return found;
}

Result<std::string> BlobReader::get(const std::string& hash) {
  auto found = find(hash);
  if (!found) return std::move(found).error();
  if (!*found) return damaged("blob", hash + " is missing");
  return std::move(**found);
}

Status expand_texts(ConsultRecord& record, BlobReader& blobs) {
  if (record.chain_format != chain_format_blobs) return Ok{};
  for (const auto& [name, field] : blob_columns) {
    std::string& value = record.*field;
    if (!is_reference(value)) continue;
    auto body = blobs.get(value.substr(1));
    if (!body) return std::move(body).error();
    const auto recipe = parse_recipe(*body);
    if (!recipe) return damaged(name, "recipe " + value.substr(1) + " is not a recipe");
    std::string text;
    for (const auto& part : recipe->parts) {
      if (part.front() == '=') {
        text.append(part, 1);
        continue;
      }
      auto segment = blobs.get(part.substr(1));
      if (!segment) return std::move(segment).error();
      text += *segment;
    }
    value = recipe->ids ? replace_json_strings(text, swapped(card_ids(record))) : std::move(text);
  }
  return Ok{};
}

Result<std::string> BlobChecker::check_blob(std::string_view column, const std::string& hash,
                                            bool recipe) {
  if (verified_.count(hash) != 0) return std::string();
  auto body = reader_.find(hash);
  if (!body) return std::move(body).error();
  const std::string what = std::string(column) + (recipe ? " recipe " : " segment ") + hash;
  if (!*body) return what + " is missing";
  if (common::sha256_hex(**body) != hash) return what + " does not match its hash";
  if (recipe) {
    const auto parsed = parse_recipe(**body);
    if (!parsed) return what + " is not a recipe";
    for (const auto& part : parsed->parts) {
      if (part.front() != '@') continue;
      auto problem = check_blob(column, part.substr(1), false);
      if (!problem || !problem->empty()) return problem;
    }
  }
  if (verified_.size() >= checker_memory) verified_.clear();
  verified_.insert(hash);
  return std::string();
}

Result<std::string> BlobChecker::check(const ConsultRecord& record) {
  if (record.chain_format != chain_format_blobs) return std::string();
  for (const auto& [name, field] : blob_columns) {
    const std::string& value = record.*field;
    if (!is_reference(value)) continue;
    auto problem = check_blob(name, value.substr(1), true);
    if (!problem || !problem->empty()) return problem;
  }
  return std::string();
}

}  // namespace vcf_cds::audit::detail
