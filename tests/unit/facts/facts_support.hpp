// Shared helpers of the facts tests: the committed profiles, fixture scenarios as HookRequests.
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/json_file.hpp"
#include "support/temp_dir.hpp"
#include "vcf_cds/facts.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::facts::testing {

using namespace std::chrono_literals;
// Fixed evaluation day so "new" windows and ages are deterministic.
inline constexpr std::chrono::sys_days kToday{2026y / std::chrono::November / 25};

inline std::filesystem::path profiles_dir() {
  return vcf_cds::testing::source_path("fhir-profiles");
}

inline const Terminology& profiles() {
  static const std::shared_ptr<const Terminology> loaded = load_terminology(profiles_dir());
  return *loaded;
}

// One scenario of a fixture file: {"<name>": {"patient", "conditions", "procedures",
// "observations", "draftOrders", "rate"}}; `rate` names the order to rate (default: the first).
class Scenario {
 public:
  Scenario(std::string_view file, std::string_view name) {
    const auto path =
        vcf_cds::testing::source_path("tests/fixtures/facts") / (std::string(file) + ".json");
    doc_ = common::parse_json_file(path);
    const auto it = doc_.FindMember(rapidjson::StringRef(name.data(), name.size()));
    INFO("fixture " << file << " scenario " << name);
    REQUIRE(it != doc_.MemberEnd());
    const rapidjson::Value& s = it->value;
    request_.hook = hooks::Hook::order_sign;
    if (s.HasMember("patient")) request_.data.patient = &s["patient"];
    add_all(s, "conditions", request_.data.conditions);
    add_all(s, "procedures", request_.data.procedures);
    add_all(s, "observations", request_.data.observations);
    add_all(s, "draftOrders", request_.draft_orders);
    if (request_.draft_orders.empty()) {
      fallback_.Parse(R"({"resourceType":"ServiceRequest","id":"o1"})");
      request_.draft_orders.push_back(&fallback_);
    }
    rate_ = request_.draft_orders.front();
    if (s.HasMember("rate")) rate_ = order(s["rate"].GetString());
  }

  Scenario(const Scenario&) = delete;  // the request points into this object
  Scenario& operator=(const Scenario&) = delete;

  const hooks::HookRequest& request() const { return request_; }
  const rapidjson::Value& rated() const { return *rate_; }
  const rapidjson::Value* order(std::string_view id) const {
    for (const auto* o : request_.draft_orders) {
      if (o->HasMember("id") && std::string_view((*o)["id"].GetString()) == id) return o;
    }
    FAIL("no draft order " << id);
    return nullptr;
  }
  ClinicalFacts facts(const Terminology& terminology = profiles(), Options options = {}) const {
    return extract(terminology, request_, *rate_, kToday, options);
  }
  OrderedProcedure mapped(std::string_view id) const {
    return map_order(profiles(), *order(id), request_.draft_orders);
  }

 private:
  static void add_all(const rapidjson::Value& s, const char* name,
                      std::vector<const rapidjson::Value*>& out) {
    if (!s.HasMember(name)) return;
    for (const auto& v : s[name].GetArray()) out.push_back(&v);
  }

  rapidjson::Document doc_;
  rapidjson::Document fallback_;
  hooks::HookRequest request_;
  const rapidjson::Value* rate_ = nullptr;
};

// A copy of the committed profiles in a temporary folder, for editing.
inline void copy_profiles(const vcf_cds::testing::TempDir& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(profiles_dir())) {
    std::filesystem::copy_file(entry.path(), dir.path() / entry.path().filename());
  }
}

// Rewrites one profile file of the copy after `mutate` edits its JSON.
inline void edit(const vcf_cds::testing::TempDir& dir, const std::string& file,
                 const std::function<void(rapidjson::Document&)>& mutate) {
  rapidjson::Document doc = vcf_cds::common::parse_json_file(dir.path() / file);
  mutate(doc);
  dir.write(file, vcf_cds::common::to_compact_json(doc));
}

inline std::size_t count(const ClinicalFacts& f, FactKind kind) {
  return f.of(kind).size();
}

}  // namespace vcf_cds::facts::testing
