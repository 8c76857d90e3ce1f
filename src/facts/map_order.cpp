// One draft order to a procedure row through the ConceptMap (CONTRACT §4, §7).
#include "facts/codes.hpp"
#include "facts/fhir_json.hpp"
#include "facts/terminology.hpp"

namespace vcf_cds::facts {
namespace {

using json::Value;

// The draft order other than `order` with a coding whose key is `wanted` (e.g. 62284), or null.
const Value* other_draft_with(const Terminology& terminology, std::string_view wanted,
                              const Value& order, const std::vector<const Value*>& draft_orders) {
  std::string key;
  for (const Value* other : draft_orders) {
    if (other == nullptr || other == &order) continue;
    bool found = false;
    json::for_each_coding(json::member(other, "code"),
                          [&](std::string_view system, std::string_view code, std::string_view) {
                            found =
                                found || (terminology.make_key(system, code, key) && key == wanted);
                          });
    if (found) return other;
  }
  return nullptr;
}

// The target a code's entries choose: a same-draft target whose partner is present wins over
// the plain one (72126 + 62284 -> CT myelography; 72126 alone -> CT with IV contrast). `partner`
// is set to the draft order that completed a same-draft target.
const MapTarget* choose_target(const Terminology& terminology,
                               const std::vector<MapTarget>& targets, const Value& order,
                               const std::vector<const Value*>& draft_orders,
                               const Value*& partner) {
  const MapTarget* plain = nullptr;
  for (const MapTarget& target : targets) {
    if (target.depends_on.empty()) {
      if (plain == nullptr) plain = &target;
    } else if (const Value* other =
                   other_draft_with(terminology, target.depends_on, order, draft_orders)) {
      partner = other;
      return &target;
    }
  }
  return plain;
}

Region body_site_region(const Terminology& terminology, const Value& order) {
  Region region = Region::none;
  std::string key;
  json::for_each_item(json::member(&order, "bodySite"), [&](const Value& site) {
    json::for_each_coding(
        &site, [&](std::string_view system, std::string_view code, std::string_view display) {
          if (region != Region::none) return;
          if (terminology.make_key(system, code, key)) region = terminology.region(key);
          if (region == Region::none) region = region_from_text(display);
        });
    if (region == Region::none) region = region_from_text(json::string_member(&site, "text"));
  });
  return region;
}

}  // namespace

OrderedProcedure map_order(const Terminology& terminology, const rapidjson::Value& order,
                           const std::vector<const rapidjson::Value*>& draft_orders) {
  OrderedProcedure out;
  if (!order.IsObject()) return out;
  out.order_ref = json::reference_of(order, "ServiceRequest");
  json::for_each_coding(
      json::member(&order, "code"),
      [&](std::string_view system, std::string_view code, std::string_view display) {
        out.codes.push_back({std::string(system), std::string(code), std::string(display)});
      });
  // ServiceRequest (R4) and ProcedureRequest (STU3) are orders; anything else is not rated.
  const std::string_view type = json::string_member(&order, "resourceType");
  if (type != "ServiceRequest" && type != "ProcedureRequest") return out;

  const MapTarget* chosen = nullptr;
  const Value* chosen_partner = nullptr;
  Region coded_region = Region::none;
  std::string key;
  for (const Coding& coding : out.codes) {
    if (!terminology.make_key(coding.system, coding.code, key)) continue;
    if ((terminology.kinds(key) & kAdvancedImagingBit) != 0) out.advanced_imaging = true;
    const auto* targets = terminology.targets(key);
    if (targets == nullptr) continue;
    const Value* partner = nullptr;
    const MapTarget* target = choose_target(terminology, *targets, order, draft_orders, partner);
    if (target == nullptr) continue;
    out.advanced_imaging = out.advanced_imaging || target->advanced_imaging;
    if (chosen == nullptr) {  // the first coding that maps decides the row
      chosen = target;
      chosen_partner = partner;
    }
    if (coded_region == Region::none) coded_region = target->region;
  }
  if (chosen == nullptr) return out;
  out.row_name = chosen->row_name;
  if (chosen_partner != nullptr) {
    out.paired_orders.push_back(json::reference_of(*chosen_partner, "ServiceRequest"));
  }
  // Region from the code (any coding), else from the order's bodySite (§7).
  out.region = chosen->region != Region::none ? chosen->region : coded_region;
  if (out.region == Region::none) {
    out.region = body_site_region(terminology, order);
  } else if (out.region == Region::whole_body) {
    out.body_site_region = body_site_region(terminology, order);
  }
  return out;
}

}  // namespace vcf_cds::facts
