// GET /cds-services: the two services this server hosts (CDS Hooks 2.0 "Discovery").
// Order is fixed (order-select, then order-sign; prefetch keys as declared) so the document is
// byte-for-byte deterministic (STYLE §6.10).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {
namespace {

// What the decision reads (CONTRACT §2): Patient (age), Conditions (VCF, pain, malignancy...),
// Procedures (prior augmentation or surgery), Observations (explicit "asymptomatic").
std::vector<std::pair<std::string, std::string>> prefetch_templates() {
  return {
      {std::string(kPrefetchPatient), "Patient/{{context.patientId}}"},
      {std::string(kPrefetchConditions), "Condition?patient={{context.patientId}}"},
      {std::string(kPrefetchProcedures), "Procedure?patient={{context.patientId}}"},
      {std::string(kPrefetchObservations), "Observation?patient={{context.patientId}}"},
  };
}

constexpr const char* kUsage =
    "Reads the patient's Patient, Condition, Procedure and Observation records from prefetch or, "
    "when they are not prefetched, from the EHR's FHIR server (fhirServer and "
    "fhirAuthorization).";

std::vector<ServiceDescriptor> make_services() {
  return {
      ServiceDescriptor{
          "vcf-imaging-select",
          Hook::order_select,
          "ACR Appropriateness Criteria: vertebral compression fracture",
          "As soon as a spine imaging or vertebral compression fracture treatment order is "
          "selected, shows how the American College of Radiology Appropriateness Criteria rate it "
          "for this patient's clinical situation (Usually appropriate, May be appropriate or "
          "Usually not appropriate), with the evidence, the relative radiation level and, when "
          "the order is not usually appropriate, a usually appropriate alternative to order "
          "instead.",
          kUsage,
          prefetch_templates(),
      },
      ServiceDescriptor{
          "vcf-order-sign",
          Hook::order_sign,
          "ACR Appropriateness Criteria: vertebral compression fracture (check before signing)",
          "Before orders are signed, rates every spine imaging and vertebral compression fracture "
          "treatment order against the American College of Radiology Appropriateness Criteria "
          "for this patient, offers usually appropriate alternatives, and records the "
          "appropriate-use (PAMA) rating on each order.",
          kUsage,
          prefetch_templates(),
      },
  };
}

}  // namespace

bool is_required_prefetch_key(std::string_view key) {
  return key == kPrefetchPatient || key == kPrefetchConditions || key == kPrefetchProcedures;
}

const std::vector<ServiceDescriptor>& services() {
  static const std::vector<ServiceDescriptor> all = make_services();
  return all;
}

const ServiceDescriptor* find_service(std::string_view id) {
  for (const ServiceDescriptor& service : services()) {
    if (service.id == id) return &service;
  }
  return nullptr;
}

std::string discovery_json() {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("services");
  writer.StartArray();
  for (const ServiceDescriptor& service : services()) {
    writer.StartObject();
    writer.Key("hook");
    writer.String(to_string(service.hook).data(),
                  static_cast<rapidjson::SizeType>(to_string(service.hook).size()));
    writer.Key("title");
    writer.String(service.title);
    writer.Key("description");
    writer.String(service.description);
    writer.Key("id");
    writer.String(service.id);
    writer.Key("prefetch");
    writer.StartObject();
    for (const auto& [key, tmpl] : service.prefetch) {
      writer.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
      writer.String(tmpl);
    }
    writer.EndObject();
    writer.Key("usageRequirements");
    writer.String(service.usage_requirements);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace vcf_cds::hooks
