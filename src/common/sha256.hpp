// SHA-256 and HMAC-SHA-256 as lowercase hex, via OpenSSL 3 EVP (no deprecated APIs).
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>

namespace vcf_cds::common {

// The raw 32-byte digest.
std::array<unsigned char, 32> sha256(std::string_view data);
std::string sha256_hex(std::string_view data);
// The digest of the parts one after the other, without joining them first.
std::string sha256_hex(std::initializer_list<std::string_view> parts);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace vcf_cds::common
