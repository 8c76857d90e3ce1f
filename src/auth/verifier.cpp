// auth::Verifier: the CDS Hooks 2.0 client-JWT checks (digest §7.2, best-practice steps 1-6) in
// an order that never trusts a claim before its signature is verified, and remembers a jti only
// for a token that passed every other check (so forged tokens cannot fill the replay ledger).
#include <algorithm>

#include "auth/jwt.hpp"
#include "auth/key_store.hpp"
#include "auth/signature.hpp"
#include "vcf_cds/auth.hpp"

namespace vcf_cds::auth {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// Far above any real token (the Sandbox's is ~700 bytes) and below the server's header limit.
constexpr std::size_t max_token_bytes = 8192;

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// RFC 6750 §2.1 credentials: "Bearer" (case-insensitive, RFC 7235 §2.1), spaces, the token.
Result<std::string_view> bearer_token(std::string_view header) {
  const auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  header = trim(header);
  if (header.empty()) return auth_error(Reason::missing_token, "no Authorization header");
  constexpr std::string_view scheme = "bearer";
  const bool is_bearer =
      header.size() > scheme.size() && header[scheme.size()] == ' ' &&
      std::equal(scheme.begin(), scheme.end(), header.begin(),
                 [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b); });
  if (!is_bearer) return auth_error(Reason::missing_token, "Authorization scheme is not Bearer");
  const std::string_view token = trim(header.substr(scheme.size()));
  if (token.size() > max_token_bytes) return auth_error(Reason::malformed, "token too long");
  if (token.empty() || !std::all_of(token.begin(), token.end(), is_token_char)) {
    return auth_error(Reason::malformed, "token has characters outside base64url and '.'");
  }
  return token;
}

system_clock::time_point at(std::int64_t numeric_date) {
  return system_clock::time_point(seconds(numeric_date));
}

}  // namespace

struct Verifier::Impl {
  Impl(AuthConfig c, Clock clk, JwksFetcher fetcher, std::shared_ptr<JtiLedger> ledger)
      : config(std::move(c)),
        clock(clk ? std::move(clk) : Clock([] { return system_clock::now(); })),
        keys(config.issuers, std::move(fetcher)),
        replay(ledger ? std::move(ledger) : make_memory_jti_ledger(replay_capacity(config))) {}

  Result<ClientIdentity> verify(std::string_view header, std::string_view expected_aud);
  Status check_claims(const Claims& claims, const TrustedIssuer& issuer,
                      std::string_view expected_aud, system_clock::time_point now) const;

  const AuthConfig config;
  const Clock clock;
  KeyStore keys;
  const std::shared_ptr<JtiLedger> replay;
};

Result<ClientIdentity> Verifier::Impl::verify(std::string_view header,
                                              std::string_view expected_aud) {
  auto token = bearer_token(header);
  if (!token) return std::move(token).error();
  auto parsed = parse_compact(token.value());
  if (!parsed) return std::move(parsed).error();
  const JoseHeader& jose = parsed->header;
  const Claims& claims = parsed->claims;
  const auto now = clock();

  // Which keys may sign: iss must be allow-listed and the kid one of its keys.
  if (jose.kid.empty()) return auth_error(Reason::missing_claim, "header has no kid");
  if (!claims.iss) return auth_error(Reason::missing_claim, "payload has no iss");
  const auto issuer_index = keys.find_issuer(*claims.iss);
  if (!issuer_index) return auth_error(Reason::unknown_iss, "iss is not a trusted issuer");
  const TrustedIssuer& issuer = keys.issuer(*issuer_index);
  auto key = keys.find_key(*issuer_index, jose.kid, jose.jku, now);
  if (!key) return std::move(key).error();
  if (!alg_fits(jose.alg, *key.value())) {
    return auth_error(
        Reason::alg_key_mismatch,
        std::string("alg ") + std::string(alg_name(jose.alg)) + " does not fit key type of kid");
  }
  if (!verify_signature(jose.alg, *key.value(), parsed->signing_input, parsed->signature)) {
    return auth_error(Reason::bad_signature, "signature does not verify for iss " + issuer.iss);
  }

  // The claims are now known to come from the issuer.
  const Status claims_ok = check_claims(claims, issuer, expected_aud, now);
  if (!claims_ok) return claims_ok.error();

  // Remembered until the token could no longer pass the exp check. A ledger that cannot answer
  // refuses the token (503): letting it in unchecked would reopen the replay.
  const auto forget_after = at(*claims.exp) + config.skew;
  auto first = replay->first_use(issuer.iss, *claims.jti, forget_after, now);
  if (!first) return std::move(first).error();
  if (!first.value()) {
    return auth_error(Reason::replayed_jti, "jti was already used by iss " + issuer.iss);
  }
  return ClientIdentity{issuer.iss, claims.sub.value_or(""), claims.tenant.value_or(""),
                        *claims.jti, jose.kid};
}

Status Verifier::Impl::check_claims(const Claims& claims, const TrustedIssuer& issuer,
                                    std::string_view expected_aud,
                                    system_clock::time_point now) const {
  if (!claims.has_aud || !claims.exp || !claims.iat || !claims.jti || claims.jti->empty()) {
    return auth_error(Reason::missing_claim, "aud, exp, iat and jti are required");
  }
  // aud MUST be the URL of the endpoint being invoked (digest §7.2): exact, no normalisation.
  if (std::find(claims.aud.begin(), claims.aud.end(), expected_aud) == claims.aud.end()) {
    return auth_error(Reason::bad_aud, "aud does not name this endpoint");
  }
  if (at(*claims.exp) <= now - config.skew) return auth_error(Reason::expired, "token expired");
  if (at(*claims.iat) > now + config.skew) {
    return auth_error(Reason::not_yet_valid, "iat is in the future");
  }
  if (claims.nbf && at(*claims.nbf) > now + config.skew) {
    return auth_error(Reason::not_yet_valid, "nbf is in the future");
  }
  if (*claims.exp < *claims.iat) return auth_error(Reason::malformed, "exp is before iat");
  if (seconds(*claims.exp - *claims.iat) > config.max_lifetime) {
    return auth_error(Reason::lifetime_too_long,
                      "exp - iat exceeds " + std::to_string(config.max_lifetime.count()) + " s");
  }
  if (issuer.tenant && claims.tenant != issuer.tenant) {
    return auth_error(Reason::tenant, "tenant is not the one configured for iss " + issuer.iss);
  }
  return Ok{};
}

std::chrono::seconds replay_window(const AuthConfig& config) {
  return config.max_lifetime + 2 * config.skew;
}

std::size_t replay_capacity(const AuthConfig& config) {
  if (config.replay_cache_capacity != 0) return config.replay_cache_capacity;
  return replay_design_rate * static_cast<std::size_t>(replay_window(config).count());
}

Verifier::Verifier(AuthConfig config, Clock clock, JwksFetcher fetcher,
                   std::shared_ptr<JtiLedger> ledger)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(clock), std::move(fetcher),
                                   std::move(ledger))) {}

Verifier::~Verifier() = default;

Result<ClientIdentity> Verifier::verify(std::string_view authorization_header,
                                        std::string_view expected_aud) const {
  return impl_->verify(authorization_header, expected_aud);
}

VerifierStats Verifier::stats() const {
  return VerifierStats{impl_->replay->stats(), impl_->keys.fetches()};
}

}  // namespace vcf_cds::auth
