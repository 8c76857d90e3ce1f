#include "common/time.hpp"

#include <cstdio>

namespace vcf_cds::common {

std::string iso_date(std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    // Never from FHIR data (4-digit years); kept exact for computed dates all the same.
    char buffer[32];  // room for any int year, so the compiler can prove no truncation
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", year, static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buffer;
  }
  // Fixed 10 characters without snprintf: every evidence line and card date goes through here.
  const auto digit = [](unsigned value) { return static_cast<char>('0' + value % 10); };
  const auto y = static_cast<unsigned>(year);
  const auto m = static_cast<unsigned>(ymd.month());
  const auto d = static_cast<unsigned>(ymd.day());
  return {digit(y / 1000), digit(y / 100), digit(y / 10), digit(y),      '-',
          digit(m / 10),   digit(m),       '-',           digit(d / 10), digit(d)};
}

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::hh_mm_ss clock{std::chrono::floor<std::chrono::milliseconds>(time - day)};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "T%02d:%02d:%02d.%03dZ",
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()),
                static_cast<int>(clock.subseconds().count()));
  return iso_date(day) + buffer;
}

}  // namespace vcf_cds::common
