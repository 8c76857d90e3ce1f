// The request the prefetch fallback tests send: the Sandbox PAMA order (MRI lumbar with contrast
// for a VCF) with nothing prefetched, so the service reads the patient's record from the FHIR
// server the request names.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "unit/hooks/hooks_support.hpp"

namespace vcf_cds::testing {

// `token` empty: no fhirAuthorization (an unauthenticated fetch, as the Sandbox does).
inline std::string fallback_request(const std::string& fhir_server, std::string_view token = {},
                                    const char* patient = "p1") {
  return edit_json(hooks_fixture("order-select-pama.json"), [&](rapidjson::Document& doc) {
    auto& a = doc.GetAllocator();
    doc.RemoveMember("prefetch");
    doc["context"]["patientId"].SetString(patient, a);
    doc["fhirServer"].SetString(fhir_server.c_str(), a);
    if (!token.empty()) {
      rapidjson::Value auth(rapidjson::kObjectType);
      auth.AddMember("access_token", rapidjson::Value(token.data(), a), a);
      auth.AddMember("token_type", "Bearer", a);
      auth.AddMember("expires_in", 300, a);
      auth.AddMember("scope", "user/*.read", a);
      auth.AddMember("subject", "vcf-cds", a);
      doc.AddMember("fhirAuthorization", auth, a);
    }
  });
}

}  // namespace vcf_cds::testing
