// libFuzzer target for the request path (see README.md): bytes are a POST /cds-services body.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>

#include "fuzz/request_path.hpp"

namespace {

const vcf_cds::consult::Knowledge& knowledge() {
  // Loaded once: start-up files are trusted input and not what is being fuzzed.
  static const vcf_cds::consult::Knowledge loaded =
      vcf_cds::fuzz::load_fuzz_knowledge(VCF_CDS_SOURCE_DIR);
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // prefetch warnings would drown the fuzzer's output
  (void)knowledge();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vcf_cds::fuzz::run_request(knowledge(),
                             std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
