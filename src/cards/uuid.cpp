// Ids for consults, cards and suggestions (CDS Hooks: "uuid"), from OpenSSL's CSPRNG.
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdlib>

#include "vcf_cds/cards.hpp"

namespace vcf_cds::cards {
namespace {

using UuidBytes = std::array<unsigned char, 16>;

// 16 bytes from OpenSSL's CSPRNG for each id (it reseeds itself in a forked child).
UuidBytes random_bytes() {
  UuidBytes bytes;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // The CSPRNG failing is not something input can cause: stop rather than reuse ids.
    std::abort();
  }
  return bytes;
}

// Sets the version nibble and the RFC 9562 variant, then writes 8-4-4-4-12 lowercase hex.
std::string format(UuidBytes bytes, unsigned version) {
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | (version << 4));
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t at = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++at;  // keep the dash
    out[at++] = kHex[bytes[i] >> 4];
    out[at++] = kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace

std::string random_uuid() {
  return format(random_bytes(), 4);
}

std::string time_ordered_uuid() {
  return time_ordered_uuid(std::chrono::system_clock::now());
}

std::string time_ordered_uuid(std::chrono::system_clock::time_point now) {
  UuidBytes bytes = random_bytes();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  // A clock before 1970 is a broken clock; 0 still gives a valid, unique id.
  const auto stamp = static_cast<std::uint64_t>(ms.count() > 0 ? ms.count() : 0);
  for (std::size_t i = 0; i < 6; ++i) {
    bytes[i] = static_cast<unsigned char>(stamp >> (8 * (5 - i)));  // 48-bit big-endian ms
  }
  return format(bytes, 7);
}

}  // namespace vcf_cds::cards
