// SHA-256 and HMAC-SHA-256 as lowercase hex, via OpenSSL 3 EVP (no deprecated APIs).
#pragma once

#include <string>
#include <string_view>

namespace vcf_cds::common {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace vcf_cds::common
