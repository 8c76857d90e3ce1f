// File: auth.hpp — the auth stage: CDS Hooks 2.0 "Trusting CDS Clients" JWT verification.
//
// Input: the raw `Authorization` header value and the externally visible URL of the endpoint
// being called (`{public-base-url}/cds-services`, `…/cds-services/{id}` or
// `…/cds-services/{id}/feedback`). Output: the verified client identity, or an `unauthorized`
// Error whose `field` is a stable reason label (see `Reason`) and whose message never contains
// the token; or an `unavailable` Error (503) when the jti ledger cannot answer. Synchronous, no
// Beast; remote JWK Sets come through an injected fetcher, time through an injected clock, and a
// shared jti ledger through an injected JtiLedger (digest §7.2, CONTRACT §6: 401, empty body).
//
//   auth::Verifier verifier(config);  // throws at start-up on a bad JWKS file
//   auto identity = verifier.verify(request_authorization, public_base + "/cds-services/vcf");
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vcf_cds/result.hpp"

namespace vcf_cds::auth {

// ClientIdentity: who called, from a verified token. `sub` and `tenant` are empty when absent.
// Safe to log and audit (CDS Hooks best practice: log iss, tenant, jti — never the token).
struct ClientIdentity {
  std::string iss, sub, tenant, jti, kid;
};

// TrustedIssuer: one allow-listed `iss` and where its public keys come from.
struct TrustedIssuer {
  std::string iss;               // compared byte for byte with the token's `iss`
  std::string jwks_file_or_url;  // a JWK Set file (read at start-up) or an https:// URL (fetched)
  std::vector<std::string> allowed_jku;  // `jku` URLs this issuer may point at (exact match)
  std::optional<std::string> tenant;     // when set, the token's `tenant` must equal it
};

// AuthConfig: the trust list and the time rules shared by all issuers.
struct AuthConfig {
  std::vector<TrustedIssuer> issuers;
  std::chrono::seconds skew{60};  // clock leeway for exp, iat and nbf
  // Reject tokens whose exp - iat exceeds this. 15 min: the CDS Hooks Sandbox mints 5 min tokens
  // and Epic's example 15 min ones; best practice caps at 1 h. It also bounds how long a jti must
  // be remembered (replay_window) and so the in-memory cache's size.
  std::chrono::seconds max_lifetime{900};
  // jti entries the in-memory ledger holds; 0 = replay_window x replay_design_rate. When full it
  // refuses new tokens (503) instead of forgetting a live one.
  std::size_t replay_cache_capacity = 0;
};

// Accepted tokens per second the default in-memory ledger is sized for, sustained over a whole
// replay window (204,000 entries, ~11 MB when full, with the default lifetime and skew).
inline constexpr std::size_t replay_design_rate = 200;

// The longest a jti must be remembered: a token may carry iat = now + skew and
// exp = iat + max_lifetime, and passes the exp check until exp + skew.
std::chrono::seconds replay_window(const AuthConfig& config);
// replay_cache_capacity, or the default derived from replay_window.
std::size_t replay_capacity(const AuthConfig& config);

// Reason: why a token was refused. The label (`reason_label`) is what `Error::field` holds; it
// is stable, so metrics, logs and tests may key on it.
enum class Reason {
  missing_token,      // no Authorization header, or not "Bearer <token>"
  malformed,          // segments, base64url, JSON, header fields, claim types, token size
  alg_not_allowed,    // alg other than ES256/ES384/RS256/RS384 (none and HS* included)
  unknown_iss,        // iss not on the allow-list
  unknown_kid,        // no key with this kid, even after a (rate-limited) refresh
  jku_not_allowed,    // kid unknown and the token's jku is not on the issuer's allow-list
  jwks_unavailable,   // the issuer's JWK Set could not be fetched or parsed
  alg_key_mismatch,   // alg does not fit the key type, curve or the JWK's own "alg"
  bad_signature,      // signature does not verify (including DER-encoded ECDSA signatures)
  missing_claim,      // kid, iss, aud, exp, iat or jti absent
  bad_aud,            // aud does not contain the endpoint URL
  expired,            // exp <= now - skew
  not_yet_valid,      // iat or nbf > now + skew
  lifetime_too_long,  // exp - iat > max_lifetime
  replayed_jti,       // this iss + jti was accepted before and has not expired
  tenant,             // the issuer is pinned to a tenant and the token's differs or is absent
};

std::string_view reason_label(Reason reason);

// The `--trust-issuer ISS=JWKS_FILE_OR_URL` flag. The part after the first '=' is a URL when it
// starts with https:// (http:// is refused), otherwise a file path. Errors: bad_request.
Result<TrustedIssuer> parse_trust_issuer(std::string_view flag);

using Clock = std::function<std::chrono::system_clock::time_point()>;
// Returns the body of a GET on `url` (a JWK Set), or an Error. Called without internal locks
// held, from the verifying thread; it should time out on its own.
using JwksFetcher = std::function<Result<std::string>(const std::string& url)>;

// What a JtiLedger has done since it was made.
struct JtiLedgerStats {
  std::size_t entries = 0;          // jti currently remembered (in-memory ledger only)
  std::size_t capacity = 0;         // most entries it holds (0: bounded by the database)
  std::uint64_t evictions = 0;      // entries forgotten because their token had expired
  std::uint64_t full_refusals = 0;  // valid tokens refused (503) because the ledger was full
  std::uint64_t errors = 0;         // checks that failed because the store was unreachable (503)
};

// JtiLedger: remembers accepted token ids (iss + jti) until their tokens expire, so a captured
// token cannot be replayed (digest §7.2 step 6). Thread-safe. The in-memory ledger serves one
// process; instances sharing a PostgreSQL database share one ledger (audit::open_pg_jti_ledger),
// so a replay to any instance is refused. A ledger never forgets a live entry to make room.
class JtiLedger {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~JtiLedger() = default;

  // true: first use, now remembered until `forget_after`. false: remembered and `now` is before
  // its forget_after (a replay). Error{unavailable} (field "replay_cache_full" or
  // "replay_ledger"): the ledger cannot remember it, so the token must be refused, never let in
  // unchecked.
  virtual Result<bool> first_use(std::string_view iss, std::string_view jti,
                                 time_point forget_after, time_point now) = 0;
  virtual JtiLedgerStats stats() const = 0;
};

// The single-process ledger: at most `capacity` entries (54 bytes each), refusing new ones when
// full until entries expire.
std::shared_ptr<JtiLedger> make_memory_jti_ledger(std::size_t capacity);

struct VerifierStats {
  JtiLedgerStats replay;
  std::uint64_t jwks_fetches = 0;  // calls made to the fetcher
};

// Verifier: thread-safe; one per process, shared by all I/O threads.
//
// Keys: each issuer's JWK Set file is loaded by the constructor, which throws
// std::runtime_error naming the file and the problem. A JWK Set URL is fetched on first use and
// cached; an unknown kid triggers a refresh at most once per 60 s per issuer and URL. A token's
// `jku` is fetched only when it is on that issuer's `allowed_jku` (or equals its configured URL);
// any other `jku` is ignored, so a kid found in the configured keys still verifies (the CDS Hooks
// Sandbox always sends its public jku) — and if the kid is not there the reason is
// jku_not_allowed.
class Verifier {
 public:
  // `clock` defaults to system_clock::now. `fetcher` is required only when an issuer uses a URL
  // or allows a jku (the constructor throws otherwise). `ledger` defaults to an in-memory one of
  // replay_capacity(config) entries.
  explicit Verifier(AuthConfig config, Clock clock = {}, JwksFetcher fetcher = {},
                    std::shared_ptr<JtiLedger> ledger = {});
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Checks, in order: "Bearer" scheme, compact form, alg allow-list, typ, iss allow-list, key
  // (kid, jku), alg/key fit, signature, required claims, aud, exp, iat, nbf, lifetime, tenant,
  // and finally jti replay (only a fully valid token is remembered). Errors: unauthorized (401);
  // unavailable (503) when the jti ledger cannot tell whether the token was used before.
  Result<ClientIdentity> verify(std::string_view authorization_header,
                                std::string_view expected_aud) const;

  VerifierStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vcf_cds::auth
