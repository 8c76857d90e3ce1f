// HookRequest helpers: hook names and the orders a call rates (CONTRACT §5).
#include <algorithm>

#include "hooks/json_util.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {

std::string_view to_string(Hook hook) {
  switch (hook) {
    case Hook::order_select:
      return "order-select";
    case Hook::order_sign:
      return "order-sign";
  }
  return "unknown";
}

namespace {

// True when `selection` ("ServiceRequest/abc", or a bare id some clients send) names `order`.
bool selects(std::string_view selection, const rapidjson::Value& order) {
  const std::string_view type = json::resource_type(order);
  const std::string_view id = json::string_member(order, "id");
  if (id.empty()) return false;
  if (selection == id) return true;
  return selection.size() == type.size() + 1 + id.size() && selection.starts_with(type) &&
         selection[type.size()] == '/' && selection.ends_with(id);
}

}  // namespace

std::vector<const rapidjson::Value*> HookRequest::orders_to_rate() const {
  if (hook == Hook::order_sign) return draft_orders;
  // order-select: the selected orders, in selection order, each once.
  std::vector<const rapidjson::Value*> orders;
  for (const std::string& selection : selections) {
    for (const rapidjson::Value* order : draft_orders) {
      if (selects(selection, *order) &&
          std::find(orders.begin(), orders.end(), order) == orders.end()) {
        orders.push_back(order);
        break;
      }
    }
  }
  return orders;
}

}  // namespace vcf_cds::hooks
