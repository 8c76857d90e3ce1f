// A request with a long problem list: the Sandbox PAMA call whose conditions Bundle holds `count`
// low back pain Conditions, ids c-1..c-count, onset 2026-01-01 plus i days (the last is newest).
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <string>

#include "common/time.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace vcf_cds::testing {

inline std::string many_pain_records(int count) {
  return edit_json(hooks_fixture("order-select-pama.json"), [&](rapidjson::Document& doc) {
    auto& a = doc.GetAllocator();
    auto& entries = doc["prefetch"]["conditions"]["entry"];
    const rapidjson::Value first(entries[0], a);
    entries.Clear();
    for (int i = 1; i <= count; ++i) {
      rapidjson::Value entry(first, a);
      const std::string id = "c-" + std::to_string(i);
      entry["resource"]["id"].SetString(id.c_str(), a);
      const auto day =
          std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + std::chrono::days(i);
      const std::string onset = common::iso_date(day);
      entry["resource"]["onsetDateTime"].SetString(onset.c_str(), a);
      entries.PushBack(entry, a);
    }
  });
}

}  // namespace vcf_cds::testing
