// Each trusted issuer's public keys: a JWK Set file loaded at start-up, or a JWK Set URL and
// allow-listed jku URLs fetched through the injected fetcher and cached (digest §7.2: "maintain
// a rotating cache of the client's JWKS"). Private to src/auth; thread-safe.
//
// Refresh policy: a URL is fetched when a kid is not in its cached set, at most once per 60 s per
// issuer and URL (measured on the injected clock), so a flood of tokens with random kids costs at
// most one fetch per URL per minute. A failed fetch keeps the previous keys. The fetcher runs
// without the lock held; a thread that finds a refresh already started reports unknown_kid.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/jwk.hpp"
#include "vcf_cds/auth.hpp"

namespace vcf_cds::auth {

class KeyStore {
 public:
  using time_point = std::chrono::system_clock::time_point;
  static constexpr std::chrono::seconds refresh_interval{60};

  // Loads every file-based JWK Set; throws std::runtime_error naming the issuer or file and the
  // problem (unreadable file, bad JSON, malformed or weak key, duplicate iss, http:// URL, a URL
  // without a fetcher).
  KeyStore(const std::vector<TrustedIssuer>& issuers, JwksFetcher fetcher);

  // Index of the issuer whose iss equals `iss` byte for byte.
  std::optional<std::size_t> find_issuer(std::string_view iss) const;
  const TrustedIssuer& issuer(std::size_t index) const { return issuers_[index].config; }

  // The key `kid` of issuer `index`, looked up in its configured keys and then, when `jku` is
  // allow-listed, in the jku's set. Errors (unauthorized): unknown_kid, jku_not_allowed,
  // jwks_unavailable. The returned pointer keeps its key set alive across a refresh.
  Result<std::shared_ptr<const VerifyKey>> find_key(std::size_t index, std::string_view kid,
                                                    const std::optional<std::string>& jku,
                                                    time_point now);

  std::uint64_t fetches() const;

 private:
  struct Source {
    std::string url;  // empty: keys came from a file and never change
    std::shared_ptr<const KeySet> keys;
    std::optional<time_point> last_attempt;
  };
  struct IssuerKeys {
    TrustedIssuer config;
    Source configured;
    std::vector<Source> jku;  // one per allowed_jku entry
  };

  // Fetches `source` unless it was tried less than refresh_interval ago; nullptr when skipped
  // or failed (`failed` says which).
  std::shared_ptr<const KeySet> refresh(Source& source, time_point now, bool& failed);

  JwksFetcher fetcher_;
  std::vector<IssuerKeys> issuers_;
  std::unordered_map<std::string, std::size_t> by_iss_;
  mutable std::mutex mutex_;  // guards every Source's keys and last_attempt, and fetches_
  std::uint64_t fetches_ = 0;
};

}  // namespace vcf_cds::auth
