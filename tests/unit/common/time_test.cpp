// common::iso_date writes dates without snprintf; it must match "%04d-%02u-%02u".
#include "common/time.hpp"

#include <doctest/doctest.h>

#include <cstdio>

namespace {

using namespace std::chrono;

std::string with_printf(sys_days day) {
  const year_month_day ymd{day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buffer;
}

}  // namespace

TEST_SUITE("common") {
  TEST_CASE("iso_date: fixed-width YYYY-MM-DD, same as printf for every year range") {
    CHECK(vcf_cds::common::iso_date(sys_days{2026y / November / 1}) == "2026-11-01");
    CHECK(vcf_cds::common::iso_date(sys_days{7y / January / 9}) == "0007-01-09");
    CHECK(vcf_cds::common::iso_date(sys_days{9999y / December / 31}) == "9999-12-31");
    for (int y : {-40, -1, 0, 1, 99, 1900, 1970, 2000, 2024, 9999, 10000, 12345}) {
      for (unsigned m : {1u, 2u, 9u, 10u, 12u}) {
        const sys_days day{year{y} / month{m} / 28};
        CHECK(vcf_cds::common::iso_date(day) == with_printf(day));
      }
    }
  }
}
