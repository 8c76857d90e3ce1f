// cards::random_uuid and time_ordered_uuid hand out ids from a per-thread pool of CSPRNG bytes.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "vcf_cds/cards.hpp"

namespace {

// 8-4-4-4-12 lowercase hex with the given version nibble and the RFC 9562 variant.
void check_shape(const std::string& id, char version) {
  REQUIRE(id.size() == 36);
  for (std::size_t k = 0; k < id.size(); ++k) {
    if (k == 8 || k == 13 || k == 18 || k == 23) {
      CHECK(id[k] == '-');
    } else {
      CHECK(((id[k] >= '0' && id[k] <= '9') || (id[k] >= 'a' && id[k] <= 'f')));
    }
  }
  CHECK(id[14] == version);
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);
}

// The 48-bit millisecond stamp of a version-7 id (its first 12 hex digits).
std::uint64_t stamp_of(const std::string& id) {
  const std::string hex = id.substr(0, 8) + id.substr(9, 4);
  return std::stoull(hex, nullptr, 16);
}

}  // namespace

TEST_SUITE("cards") {
  TEST_CASE("random_uuid: RFC 9562 version 4, lowercase, unique across pool refills") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {  // many times the pool size
      const std::string id = vcf_cds::cards::random_uuid();
      check_shape(id, '4');
      CHECK(seen.insert(id).second);
    }
  }

  TEST_CASE("time_ordered_uuid: version 7 carrying the time in ms, unique, ordered by time") {
    using namespace std::chrono;
    const auto ms = [](system_clock::time_point t) {
      return static_cast<std::uint64_t>(duration_cast<milliseconds>(t.time_since_epoch()).count());
    };
    // A fixed instant: 2026-11-25T18:00:00.123Z is 1795629600123 ms = 0x01a213dd4d7b.
    const system_clock::time_point fixed{milliseconds(1795629600123)};
    const std::string at_fixed = vcf_cds::cards::time_ordered_uuid(fixed);
    check_shape(at_fixed, '7');
    CHECK(stamp_of(at_fixed) == 1795629600123ULL);
    CHECK(at_fixed.substr(0, 13) == "01a213dd-4d7b");

    const auto before = ms(system_clock::now());
    std::set<std::string> seen;
    std::string previous;
    for (int i = 0; i < 1000; ++i) {
      const std::string id = vcf_cds::cards::time_ordered_uuid();
      check_shape(id, '7');
      CHECK(seen.insert(id).second);  // 74 random bits: unique within one millisecond too
      // Text order follows time order across milliseconds: what keeps index inserts at the edge.
      if (!previous.empty() && stamp_of(id) > stamp_of(previous)) CHECK(id > previous);
      CHECK(stamp_of(id) >= stamp_of(previous.empty() ? id : previous));
      previous = id;
    }
    const auto after = ms(system_clock::now());
    CHECK(stamp_of(previous) >= before);
    CHECK(stamp_of(previous) <= after);

    // Ids of the same millisecond still differ in their random bits.
    const std::string a = vcf_cds::cards::time_ordered_uuid(fixed);
    const std::string b = vcf_cds::cards::time_ordered_uuid(fixed);
    CHECK(a.substr(0, 13) == b.substr(0, 13));
    CHECK(a != b);
    // A clock before 1970 gives the zero stamp, not a wrapped one.
    CHECK(stamp_of(vcf_cds::cards::time_ordered_uuid(system_clock::time_point{} - hours(1))) == 0);
  }

  TEST_CASE("uuids: a forked child does not repeat the ids its parent draws next") {
    // The parent's pool holds bytes it has not handed out yet; a child that inherited the pool
    // would hand out the same ids (a consult id or card uuid twice in one audit trail). Both
    // generators draw from that pool; the child's two ids are compared with the parent's next two.
    (void)vcf_cds::cards::random_uuid();  // the pool is now filled, 15 ids left in it
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      const std::string ids = vcf_cds::cards::random_uuid() + vcf_cds::cards::time_ordered_uuid();
      const bool written =
          write(fds[1], ids.data(), ids.size()) == static_cast<ssize_t>(ids.size());
      _exit(written ? 0 : 1);
    }
    close(fds[1]);
    std::array<char, 72> buffer{};
    std::size_t got = 0;
    while (got < buffer.size()) {
      const ssize_t n = read(fds[0], buffer.data() + got, buffer.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    REQUIRE(got == buffer.size());
    const std::string child_random(buffer.data(), 36);
    const std::string child_ordered(buffer.data() + 36, 36);
    const std::string parent_random = vcf_cds::cards::random_uuid();
    const std::string parent_ordered = vcf_cds::cards::time_ordered_uuid();
    check_shape(child_random, '4');
    check_shape(child_ordered, '7');
    CHECK(child_random != parent_random);
    // The random tail (the stamp may match: same millisecond).
    CHECK(child_ordered.substr(14) != parent_ordered.substr(14));
  }
}
