// Replays every input in tests/fuzz/regressions/ through the fuzzer's request path (see
// tests/fuzz/README.md), so inputs that once crashed stay fixed in the normal suite, where
// the ASan/UBSan build checks them too.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/request_path.hpp"
#include "support/temp_dir.hpp"

namespace {

using vcf_cds::testing::source_path;

TEST_SUITE("hooks") {
  TEST_CASE("fuzz regressions: every saved input runs the request path without failing") {
    const vcf_cds::consult::Knowledge knowledge =
        vcf_cds::fuzz::load_fuzz_knowledge(source_path(""));
    std::size_t replayed = 0;
    for (const auto& file :
         std::filesystem::directory_iterator(source_path("tests/fuzz/regressions"))) {
      if (!file.is_regular_file() || file.path().filename().string().starts_with('.')) continue;
      std::ifstream in(file.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      INFO("regression input: ", file.path().filename().string());
      CHECK_NOTHROW(vcf_cds::fuzz::run_request(knowledge, bytes.str()));
      ++replayed;
    }
    CHECK(replayed > 0);
  }
}

}  // namespace
