// Dates and times as FHIR and RFC 3339 write them.
#pragma once

#include <chrono>
#include <string>

namespace vcf_cds::common {

// "YYYY-MM-DD"
std::string iso_date(std::chrono::sys_days day);
// RFC 3339 UTC with milliseconds, e.g. "2026-11-25T15:16:51.123Z".
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace vcf_cds::common
