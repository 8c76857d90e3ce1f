// Chain format 2: texts stored once per content give every record back byte for byte, and
// repeated parts are stored once.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "audit/blob.hpp"
#include "audit/record.hpp"
#include "support/temp_dir.hpp"
#include "unit/audit/audit_samples.hpp"

namespace {

using namespace vcf_cds::audit;
using namespace vcf_cds::audit::detail;
using vcf_cds::testing::sample_consult;
using vcf_cds::testing::source_path;

// The first card of a golden response, as the service rendered it (~5.5 KB).
std::string golden_card(const std::string& name) {
  std::ifstream in(source_path("tests/fixtures/golden/" + name + ".response.json"));
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const std::size_t start = all.find("[{", all.find("\"cards\"")) + 1;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = start; i < all.size(); ++i) {
    const char c = all[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return all.substr(start, i + 1 - start);
    }
  }
  return {};
}

// A consult whose card is `card` with the consult's own ids written into it where the golden
// card has its ids, as the renderer does.
ConsultRecord consult_showing(int n, std::string card) {
  ConsultRecord r = sample_consult(n);
  const ConsultRecord golden_ids = [] {
    ConsultRecord g;
    g.consult_id = "urn:uuid:00000000-0000-4000-8000-100000000000";
    return g;
  }();
  r.card = replace_json_strings(card, {{golden_ids.consult_id, r.consult_id}});
  r.facts = R"([{"fact":"vcf","value":"present","sources":[)";
  for (int i = 0; i < 40; ++i)
    r.facts += (i ? "," : "") + std::string(R"("Condition/c)") + std::to_string(i) + "\"";
  r.facts += "]}]";
  return r;
}

struct MemoryBlobs {
  std::map<std::string, std::string> bodies;
  void add(const std::vector<Blob>& blobs) {
    for (const auto& b : blobs) {
      auto [it, inserted] = bodies.emplace(b.hash, b.body);
      CHECK(it->second == b.body);  // one hash, one body
    }
  }
  BlobLookup lookup() {
    return [this](const std::string& hash) -> vcf_cds::Result<std::optional<std::string>> {
      auto it = bodies.find(hash);
      if (it == bodies.end()) return std::optional<std::string>{};
      return std::optional<std::string>(it->second);
    };
  }
};

ConsultRecord stored(ConsultRecord r, MemoryBlobs& blobs) {
  std::vector<Blob> out;
  store_texts(r, out);
  blobs.add(out);
  return r;
}

ConsultRecord expanded(ConsultRecord r, MemoryBlobs& blobs) {
  BlobReader reader(blobs.lookup());
  REQUIRE(expand_texts(r, reader));
  return r;
}

void check_same_texts(const ConsultRecord& a, const ConsultRecord& b) {
  CHECK(a.card == b.card);
  CHECK(a.facts == b.facts);
  CHECK(a.candidates == b.candidates);
  CHECK(a.assumptions == b.assumptions);
  CHECK(a.order_codes == b.order_codes);
}

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("blobs: a rendered card, its facts and short texts come back byte for byte") {
    const std::string card = golden_card("variant-1");
    REQUIRE(card.size() > 4000);
    ConsultRecord original = consult_showing(1, card);
    original.card_uuid = "00000000-0000-4000-8000-100000000001";
    MemoryBlobs blobs;
    const ConsultRecord row = stored(original, blobs);
    CHECK(row.chain_format == chain_format_blobs);
    CHECK(row.card.size() == 65);  // "@" + the recipe's hash
    CHECK(row.card.front() == '@');
    CHECK(row.facts.front() == '@');
    CHECK(row.candidates == original.candidates);  // short: kept in the row
    CHECK(row.order_codes == original.order_codes);
    check_same_texts(expanded(row, blobs), original);
  }

  TEST_CASE("blobs: cards that differ only in their ids share one recipe; the ids come back") {
    const std::string card = golden_card("variant-1");
    MemoryBlobs blobs;
    ConsultRecord a = consult_showing(1, card);
    ConsultRecord b = consult_showing(2, card);
    // The golden card's suggestion uuids stand for b's own.
    b.card_uuid = "00000000-0000-4000-8000-100000000001";
    b.suggestion_uuids = {"00000000-0000-4000-8000-100000000002",
                          "00000000-0000-4000-8000-100000000003"};
    a.card = replace_json_strings(
        b.card, {{b.consult_id, a.consult_id},
                 {b.card_uuid, "11111111-0000-4000-8000-000000000001"},
                 {b.suggestion_uuids[0], "11111111-0000-4000-8000-000000000002"},
                 {b.suggestion_uuids[1], "11111111-0000-4000-8000-000000000003"}});
    a.card_uuid = "11111111-0000-4000-8000-000000000001";
    a.suggestion_uuids = {"11111111-0000-4000-8000-000000000002",
                          "11111111-0000-4000-8000-000000000003"};
    REQUIRE(a.card != b.card);
    const ConsultRecord row_a = stored(a, blobs);
    const std::size_t after_first = blobs.bodies.size();
    const ConsultRecord row_b = stored(b, blobs);
    CHECK(row_a.card == row_b.card);
    CHECK(blobs.bodies.size() == after_first);  // nothing new for the second consult
    check_same_texts(expanded(row_a, blobs), a);
    check_same_texts(expanded(row_b, blobs), b);
  }

  TEST_CASE("blobs: another patient's card adds its own paragraphs, not the evidence again") {
    MemoryBlobs blobs;
    const std::string card = golden_card("variant-1");
    (void)stored(consult_showing(1, card), blobs);
    const std::size_t bytes_before = [&] {
      std::size_t n = 0;
      for (const auto& [h, body] : blobs.bodies) n += body.size();
      return n;
    }();
    // The "Why" paragraph names the patient's conditions and dates.
    std::string other = card;
    const std::size_t at = other.find("since 2026-11-10");
    REQUIRE(at != std::string::npos);
    other.replace(at, 16, "since 2025-01-02");
    ConsultRecord second = consult_showing(2, other);
    const ConsultRecord row = stored(second, blobs);
    std::size_t bytes_after = 0;
    for (const auto& [h, body] : blobs.bodies) bytes_after += body.size();
    CHECK(bytes_after - bytes_before < card.size() / 3);
    check_same_texts(expanded(row, blobs), second);
  }

  TEST_CASE("blobs: texts that look like stored values or placeholders are kept exactly") {
    MemoryBlobs blobs;
    ConsultRecord r = sample_consult(3);
    r.facts = "@not-a-hash";                                     // short, but starts with '@'
    r.candidates = std::string(300, 'x');                        // long, no JSON at all
    r.assumptions = "[\"@card_uuid\",\"" + r.card_uuid + "\"]";  // a placeholder as data
    r.card = "{\"text\":\"@card_uuid\",\"uuid\":\"" + r.card_uuid + "\",\"pad\":\"" +
             std::string(400, 'y') + "\\n\\n\\\\n\\n" + std::string(200, 'z') + "\"}";
    r.order_codes = "";
    const ConsultRecord row = stored(r, blobs);
    CHECK(row.facts != r.facts);
    CHECK(row.order_codes.empty());
    check_same_texts(expanded(row, blobs), r);
  }

  TEST_CASE("blobs: every cut of a text gives it back (segments of odd JSON and escapes)") {
    MemoryBlobs blobs;
    const std::vector<std::string> texts = {
        std::string(1000, ','),
        "[" + std::string(500, '[') + std::string(500, ']') + "]",
        "{\"a\":\"" + std::string(300, '\\') + "\"}",  // broken JSON: odd run of backslashes
        "\"\\n\\n\\n\\n" + std::string(700, 'q') + "\\n\\n",
    };
    for (const auto& text : texts) {
      ConsultRecord r = sample_consult(4);
      r.card = text;
      r.facts = text;
      check_same_texts(expanded(stored(r, blobs), blobs), r);
    }
  }

  TEST_CASE("blobs: a missing or changed blob is an error on read and named by the checker") {
    MemoryBlobs blobs;
    const ConsultRecord row = stored(consult_showing(5, golden_card("variant-2")), blobs);
    {
      BlobChecker checker(blobs.lookup());
      auto problem = checker.check(row);
      REQUIRE(problem);
      CHECK(problem->empty());
    }
    // Change one segment (not the recipe) of the card.
    const std::string recipe = blobs.bodies.at(row.card.substr(1));
    const std::size_t at = recipe.find("\"@", 2);
    REQUIRE(at != std::string::npos);
    const std::string segment = recipe.substr(at + 2, 64);
    blobs.bodies[segment] += " ";
    {
      BlobChecker checker(blobs.lookup());
      auto problem = checker.check(row);
      REQUIRE(problem);
      CHECK(*problem == "card segment " + segment + " does not match its hash");
    }
    blobs.bodies.erase(segment);
    {
      BlobChecker checker(blobs.lookup());
      CHECK(*checker.check(row) == "card segment " + segment + " is missing");
      ConsultRecord copy = row;
      BlobReader reader(blobs.lookup());
      auto status = expand_texts(copy, reader);
      REQUIRE_FALSE(status);
      CHECK(status.error().message.find("is missing") != std::string::npos);
    }
  }

  TEST_CASE("blobs: the canonical JSON of format 2 names the format; format 1 is unchanged") {
    ConsultRecord r = sample_consult(6);
    const std::string format1 = canonical_json(r);
    CHECK(format1.find("chain_format") == std::string::npos);
    r.chain_format = chain_format_blobs;
    CHECK(canonical_json(r).find(",\"chain_format\":2,\"client_iss\"") != std::string::npos);
  }
}
