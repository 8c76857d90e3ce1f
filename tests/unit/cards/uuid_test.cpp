// cards::random_uuid hands out ids from a per-thread pool of CSPRNG bytes (issue #8).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
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

  TEST_CASE("random_uuid: a forked child does not repeat the ids its parent draws next") {
    // The parent's pool holds ids it has not handed out yet; a child that inherited the pool
    // would hand out the same ones (a consult id or card uuid twice in one audit trail).
    (void)vcf_cds::cards::random_uuid();  // the pool is now filled, 15 ids left in it
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      const std::string id = vcf_cds::cards::random_uuid();
      const bool written = write(fds[1], id.data(), id.size()) == static_cast<ssize_t>(id.size());
      _exit(written ? 0 : 1);
    }
    close(fds[1]);
    std::array<char, 36> buffer{};
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
    const std::string child_id(buffer.data(), buffer.size());
    const std::string parent_next = vcf_cds::cards::random_uuid();
    CHECK(child_id.size() == 36);
    CHECK(child_id != parent_next);
  }
}
