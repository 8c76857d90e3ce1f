// Test support for the auth suite: keys, JWK Sets and tokens made by tools/mint_jwt.py (Python
// standard library + the openssl CLI), never by the code under test. Keys are generated at test
// time, once per build directory, into <build>/test-keys/auth-v1 (git-ignored), so no private key
// is committed; all times derive from a fixed clock, so tests are deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fakes/manual_clock.hpp"
#include "support/temp_dir.hpp"
#include "vcf_cds/auth.hpp"

namespace vcf_cds::testing::auth {

inline constexpr std::int64_t now_s = 1'800'000'000;  // 2027-01-15T08:00:00Z
inline constexpr std::string_view issuer = "https://ehr.example.org";
inline constexpr std::string_view audience = "https://cds.example.org/cds-services/vcf-imaging";

std::chrono::system_clock::time_point at(std::int64_t seconds);

// A clock the test can move, starting at `now_s`; copies share the same time.
class FakeClock : public fakes::ManualSystemClock {
 public:
  FakeClock() : ManualClock(at(now_s)) {}
};

// A JSON object as ordered (name, raw JSON) pairs, so a test can drop or replace one member.
class Json {
 public:
  Json& raw(std::string name, std::string json);
  Json& str(std::string name, std::string_view value) { return raw(std::move(name), quote(value)); }
  Json& num(std::string name, std::int64_t value) {
    return raw(std::move(name), std::to_string(value));
  }
  Json& erase(std::string_view name);
  std::string dump() const;
  static std::string quote(std::string_view text);

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

// {"alg": alg, "typ": "JWT", "kid": kid}
Json header(std::string_view alg, std::string_view kid);
// iss, aud, exp = now + 300, iat = now, and a jti unique within the test process.
Json claims();

// Keys generated once: "ec384", "ec256", "rsa" (2048 bits), "ec384b" (never trusted),
// "rsa1024", "ec521", and public halves "ec384.pub", "rsa.pub". trusted_jwks() lists ec384, ec256
// and rsa under their names as kid.
class Keys {
 public:
  static const Keys& get();
  std::filesystem::path pem(std::string_view name) const;
  // JWK Set JSON for specs "name:kid[:alg]".
  std::string jwks(const std::vector<std::string>& specs) const;
  const std::filesystem::path& trusted_jwks() const { return trusted_; }

 private:
  Keys();
  static void generate(const std::filesystem::path& dir);
  std::filesystem::path dir_;
  std::filesystem::path trusted_;
};

// Runs tools/mint_jwt.py sign. `key` names a key of Keys; for HS* its PEM bytes are the secret.
std::string mint(const Json& header, const Json& payload, std::string_view alg = "ES384",
                 std::string_view key = "ec384", bool der_signature = false);
// The same with header and payload given as raw bytes (for malformed JSON).
std::string mint_raw(std::string_view header, std::string_view payload, std::string_view alg,
                     std::string_view key, bool der_signature = false);
// Runs a shell command and returns its stdout; throws when it fails.
std::string run(const std::string& command);

// A config trusting `issuer` with trusted_jwks().
vcf_cds::auth::AuthConfig trusted_config();

inline std::string bearer(std::string_view token) {
  return "Bearer " + std::string(token);
}

// "accepted", the reason label of an unauthorized error, or "wrong code" — one value a CHECK
// can print.
inline std::string outcome(const Result<vcf_cds::auth::ClientIdentity>& result) {
  if (result.has_value()) return "accepted";
  if (result.error().code != ErrorCode::unauthorized) return "wrong code";
  return result.error().field;
}

}  // namespace vcf_cds::testing::auth
