// POST /cds-services/{id}: validating the request body and filling HookRequest
// (CDS Hooks 2.0 "Calling a CDS Service"; CONTRACT §6 and §7 "Required request fields").
//
// Tolerant by design: unknown members and `extension` are ignored anywhere, draft orders of any
// resource type are kept (R4 ServiceRequest, STU3 ProcedureRequest, ...), and partially filled
// drafts (`code.coding: [{}]`, `reasonCode: []`) pass untouched to the decision.
#include <string>

#include "hooks/json_util.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {
namespace {

Error invalid(std::string field, std::string message) {
  return make_error(ErrorCode::bad_request, std::move(field), std::move(message));
}

// A required, non-empty string member; `path` names it in the error.
Result<std::string> required_string(const rapidjson::Value& object, std::string_view name,
                                    std::string path) {
  const rapidjson::Value* value = json::find(object, name);
  if (value == nullptr || value->IsNull()) return invalid(path, path + " is required");
  if (!value->IsString() || value->GetStringLength() == 0) {
    return invalid(path, path + " must be a non-empty string");
  }
  return std::string(json::view(*value));
}

// An optional string member: empty when absent; an error when present with another type.
Result<std::string> optional_string(const rapidjson::Value& object, std::string_view name,
                                    std::string path) {
  const rapidjson::Value* value = json::find(object, name);
  if (value == nullptr || value->IsNull()) return std::string();
  if (!value->IsString()) return invalid(path, path + " must be a string");
  return std::string(json::view(*value));
}

Error too_large(std::string field, std::size_t count, std::size_t limit, std::string_view what) {
  std::string message = field + " has " + std::to_string(count) + " " + std::string(what) +
                        "; the limit is " + std::to_string(limit);
  return make_error(ErrorCode::payload_too_large, std::move(field), std::move(message));
}

Status parse_draft_orders(const rapidjson::Value& context, HookRequest& request,
                          const JsonLimits& limits) {
  const rapidjson::Value* bundle = json::find(context, "draftOrders");
  if (bundle == nullptr || bundle->IsNull()) {
    return invalid("context.draftOrders", "context.draftOrders is required");
  }
  if (!bundle->IsObject() || json::resource_type(*bundle) != "Bundle") {
    return invalid("context.draftOrders", "context.draftOrders must be a FHIR Bundle");
  }
  const rapidjson::Value* entries = json::find(*bundle, "entry");
  if (entries == nullptr || entries->IsNull()) return Ok{};  // an empty Bundle: nothing to rate
  if (!entries->IsArray()) {
    return invalid("context.draftOrders.entry", "context.draftOrders.entry must be an array");
  }
  if (entries->Size() > limits.max_draft_orders) {
    return too_large("context.draftOrders", entries->Size(), limits.max_draft_orders, "entries");
  }
  for (const rapidjson::Value& entry : entries->GetArray()) {
    const rapidjson::Value* resource = json::find(entry, "resource");
    // Entries without a resource carry nothing to rate; skip rather than reject.
    if (resource != nullptr && resource->IsObject()) request.draft_orders.push_back(resource);
  }
  return Ok{};
}

Status parse_selections(const rapidjson::Value& context, HookRequest& request) {
  const rapidjson::Value* selections = json::find(context, "selections");
  if (selections == nullptr || selections->IsNull()) {
    return invalid("context.selections", "context.selections is required for order-select");
  }
  if (!selections->IsArray() || selections->Empty()) {
    return invalid("context.selections", "context.selections must be a non-empty array");
  }
  for (const rapidjson::Value& selection : selections->GetArray()) {
    if (!selection.IsString() || selection.GetStringLength() == 0) {
      return invalid("context.selections", "context.selections must hold references as strings");
    }
    request.selections.emplace_back(json::view(selection));
  }
  return Ok{};
}

// fhirServer / fhirAuthorization: the token is kept on the ParsedCall only, never in HookRequest.
Status parse_fhir_access(const rapidjson::Value& root, ParsedCall& consult) {
  auto server = optional_string(root, "fhirServer", "fhirServer");
  if (!server) return std::move(server).error();
  if (!server->empty() && !server->starts_with("https://") && !server->starts_with("http://")) {
    return invalid("fhirServer", "fhirServer must be an http(s) URL");
  }
  consult.request.fhir_server = std::move(*server);
  const rapidjson::Value* auth = json::find(root, "fhirAuthorization");
  if (auth == nullptr || auth->IsNull()) return Ok{};
  if (!auth->IsObject()) return invalid("fhirAuthorization", "fhirAuthorization must be an object");
  if (consult.request.fhir_server.empty()) {
    return invalid("fhirServer", "fhirServer is required when fhirAuthorization is sent");
  }
  auto token = required_string(*auth, "access_token", "fhirAuthorization.access_token");
  if (!token) return std::move(token).error();
  consult.access_token = std::move(*token);
  return Ok{};
}

Status parse_prefetch(const rapidjson::Value& root, ParsedCall& consult, const JsonLimits& limits) {
  const rapidjson::Value* prefetch = json::find(root, "prefetch");
  if (prefetch == nullptr || prefetch->IsNull()) return Ok{};
  if (!prefetch->IsObject()) return invalid("prefetch", "prefetch must be an object");
  // Our keys must hold a resource, a Bundle or null; other keys are not ours to judge.
  for (const auto& [key, tmpl] : consult.service->prefetch) {
    const rapidjson::Value* value = json::find(*prefetch, key);
    if (value != nullptr && !value->IsNull() && !value->IsObject()) {
      return invalid("prefetch." + key, "prefetch." + key + " must be a FHIR resource or null");
    }
    const rapidjson::Value* entries =
        value != nullptr && value->IsObject() ? json::find(*value, "entry") : nullptr;
    if (entries != nullptr && entries->IsArray() && entries->Size() > limits.max_prefetch_entries) {
      return too_large("prefetch." + key, entries->Size(), limits.max_prefetch_entries,
                       "Bundle entries");
    }
  }
  consult.prefetch = prefetch;
  return Ok{};
}

}  // namespace

Status parse_request(ParsedCall& consult, const ServiceDescriptor& service,
                     const JsonLimits& limits) {
  consult.service = &service;
  if (Status parsed = parse_json(consult.body, limits); !parsed) return parsed;
  const rapidjson::Value& root = consult.body.dom;
  if (!root.IsObject()) return invalid("", "the request body must be a JSON object");
  HookRequest& request = consult.request;
  request.service_id = service.id;
  request.hook = service.hook;

  auto hook = required_string(root, "hook", "hook");
  if (!hook) return std::move(hook).error();
  if (*hook != to_string(service.hook)) {
    return invalid("hook", "service " + service.id + " answers the " +
                               std::string(to_string(service.hook)) + " hook, not " + *hook);
  }
  auto instance = required_string(root, "hookInstance", "hookInstance");
  if (!instance) return std::move(instance).error();
  request.hook_instance = std::move(*instance);

  const rapidjson::Value* context = json::find(root, "context");
  if (context == nullptr || context->IsNull()) return invalid("context", "context is required");
  if (!context->IsObject()) return invalid("context", "context must be an object");
  auto user = required_string(*context, "userId", "context.userId");
  if (!user) return std::move(user).error();
  request.user_id = std::move(*user);
  auto patient = required_string(*context, "patientId", "context.patientId");
  if (!patient) return std::move(patient).error();
  request.patient_id = std::move(*patient);
  auto encounter = optional_string(*context, "encounterId", "context.encounterId");
  if (!encounter) return std::move(encounter).error();
  request.encounter_id = std::move(*encounter);
  if (Status orders = parse_draft_orders(*context, request, limits); !orders) return orders;
  if (service.hook == Hook::order_select) {
    if (Status selections = parse_selections(*context, request); !selections) return selections;
  }
  if (Status access = parse_fhir_access(root, consult); !access) return access;
  return parse_prefetch(root, consult, limits);
}

}  // namespace vcf_cds::hooks
