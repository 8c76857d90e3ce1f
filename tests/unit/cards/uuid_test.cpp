// cards::random_uuid hands out ids from a per-thread pool of CSPRNG bytes (issue #8).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "vcf_cds/cards.hpp"

TEST_SUITE("cards") {
  TEST_CASE("random_uuid: RFC 4122 version 4, lowercase, unique across pool refills") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {  // many times the pool size
      const std::string id = vcf_cds::cards::random_uuid();
      REQUIRE(id.size() == 36);
      for (std::size_t k = 0; k < id.size(); ++k) {
        if (k == 8 || k == 13 || k == 18 || k == 23) {
          CHECK(id[k] == '-');
        } else {
          CHECK(((id[k] >= '0' && id[k] <= '9') || (id[k] >= 'a' && id[k] <= 'f')));
        }
      }
      CHECK(id[14] == '4');                                          // version 4
      CHECK(std::string("89ab").find(id[19]) != std::string::npos);  // RFC 4122 variant
      CHECK(seen.insert(id).second);
    }
  }
}
