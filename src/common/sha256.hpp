// SHA-256 and HMAC-SHA-256 as lowercase hex, via OpenSSL 3 EVP (no deprecated APIs).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace vcf_cds::common {

std::string sha256_hex(std::string_view data);
// The digest of the parts one after the other, without joining them first.
std::string sha256_hex(std::initializer_list<std::string_view> parts);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace vcf_cds::common
