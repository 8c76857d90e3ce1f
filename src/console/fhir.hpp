// "Try it": from the facts a reviewer picks to real FHIR resources and an order-select request.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <string>

#include "vcf_cds/console.hpp"
#include "vcf_cds/facts.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::console {

enum class Symptoms { unknown, present, absent };

struct TryFacts {
  bool vcf = false;
  bool new_vcf = true;
  bool new_pain = true;  // defaults to new_vcf when a VCF is given
  Symptoms symptoms = Symptoms::unknown;
  bool malignancy = false;
  bool osteoporotic = false;
  bool pathological = false;
  bool prior_augmentation = false;
  bool prior_spine_surgery = false;
  bool multiple_vcfs = false;
  bool edema_or_cleft = false;
  bool worsening_pain = false;
  bool deformity_or_pulmonary = false;
  bool pediatric = false;
};

// Owns the generated FHIR JSON; `request` and `order` borrow from `doc`. Not copyable or movable.
struct TryRequest {
  TryRequest() = default;
  TryRequest(const TryRequest&) = delete;
  TryRequest& operator=(const TryRequest&) = delete;

  // {"patient": {...}, "conditions": [...], "procedures": [...], "observations": [...],
  //  "draftOrders": [ServiceRequest]}
  rapidjson::Document doc;
  hooks::HookRequest request;
  const rapidjson::Value* order = nullptr;
};

inline constexpr const char* kTryPatientId = "console-patient";
inline constexpr const char* kTryOrderId = "console-order";

// Builds the resources for `facts` (dates relative to `today` and the "new" window) and an
// order-select request selecting one draft ServiceRequest coded `order`. Every example key the
// facts need must be in `examples` (load_example_codes guarantees the full set).
void build_try_request(const ExampleCodes& examples, const TryFacts& facts,
                       const facts::Coding& order, std::chrono::sys_days today,
                       const facts::Options& options, TryRequest& out);

// A single-resource request holding `example` (for check_example_codes and its test).
void build_example_request(const ExampleCode& example, std::chrono::sys_days today,
                           TryRequest& out);

}  // namespace vcf_cds::console
