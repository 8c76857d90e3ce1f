#include "common/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace vcf_cds::common {
namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = digits[bytes[i] >> 4];
    hex[2 * i + 1] = digits[bytes[i] & 0xf];
  }
  return hex;
}

// SHA-256 fetched once: EVP_sha256() in a digest call makes OpenSSL 3 look the algorithm up
// under a lock each time, and the audit hashes a few dozen texts per consult on every thread.
const EVP_MD* sha256_md() {
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
      EVP_MD_fetch(nullptr, "SHA256", nullptr), &EVP_MD_free);
  if (!md) throw std::runtime_error("EVP_MD_fetch(SHA256) failed");
  return md.get();
}

// One context per thread, reset by each init: no allocation per digest.
EVP_MD_CTX* thread_context() {
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 &EVP_MD_CTX_free);
  if (!ctx) throw std::runtime_error("EVP_MD_CTX_new failed");
  return ctx.get();
}

template <class Parts>
std::array<unsigned char, 32> digest_of(const Parts& parts) {
  EVP_MD_CTX* ctx = thread_context();
  bool ok = EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) == 1;
  for (const std::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
  }
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  if (!ok || EVP_DigestFinal_ex(ctx, digest.data(), &size) != 1 || size != digest.size()) {
    throw std::runtime_error("EVP_Digest(sha256) failed");
  }
  return digest;
}

}  // namespace

std::array<unsigned char, 32> sha256(std::string_view data) {
  return digest_of(std::array<std::string_view, 1>{data});
}

std::string sha256_hex(std::string_view data) {
  const auto digest = sha256(data);
  return to_hex(digest.data(), digest.size());
}

std::string sha256_hex(std::initializer_list<std::string_view> parts) {
  const auto digest = digest_of(parts);
  return to_hex(digest.data(), digest.size());
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
           &size) == nullptr) {
    throw std::runtime_error("HMAC(sha256) failed");
  }
  return to_hex(digest.data(), size);
}

}  // namespace vcf_cds::common
