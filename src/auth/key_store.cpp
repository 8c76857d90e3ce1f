#include "auth/key_store.hpp"

#include <stdexcept>

#include "auth/jwt.hpp"
#include "common/json_file.hpp"

namespace vcf_cds::auth {
namespace {

bool is_url(std::string_view s) {
  return s.starts_with("https://") || s.starts_with("http://");
}

void require_https(const std::string& iss, const std::string& url) {
  if (!url.starts_with("https://")) {
    throw std::runtime_error("trusted issuer " + iss + ": JWK Set URL " + url +
                             " must use https://");
  }
}

std::shared_ptr<const KeySet> load_file(const std::string& file) {
  auto set = parse_jwks(common::read_file(file), JwksMode::strict);
  if (!set) {
    const Error& error = set.error();
    throw std::runtime_error(file + ": " + (error.field.empty() ? "" : error.field + ": ") +
                             error.message);
  }
  return std::make_shared<const KeySet>(std::move(set).value());
}

std::shared_ptr<const VerifyKey> key_in(const std::shared_ptr<const KeySet>& set,
                                        std::string_view kid) {
  const VerifyKey* key = set ? set->find(kid) : nullptr;
  // Aliasing constructor: the key pointer shares ownership of its whole set.
  return key != nullptr ? std::shared_ptr<const VerifyKey>(set, key) : nullptr;
}

}  // namespace

KeyStore::KeyStore(const std::vector<TrustedIssuer>& issuers, JwksFetcher fetcher)
    : fetcher_(std::move(fetcher)) {
  issuers_.reserve(issuers.size());
  for (const TrustedIssuer& config : issuers) {
    if (config.iss.empty() || config.jwks_file_or_url.empty()) {
      throw std::runtime_error("trusted issuer \"" + config.iss + "\": iss and JWK Set required");
    }
    if (!by_iss_.emplace(config.iss, issuers_.size()).second) {
      throw std::runtime_error("trusted issuer " + config.iss + " is configured twice");
    }
    IssuerKeys entry{config, {}, {}};
    const bool remote = is_url(config.jwks_file_or_url);
    if (remote) {
      require_https(config.iss, config.jwks_file_or_url);
      entry.configured.url = config.jwks_file_or_url;
    } else {
      entry.configured.keys = load_file(config.jwks_file_or_url);
    }
    for (const std::string& url : config.allowed_jku) {
      require_https(config.iss, url);
      if (url != entry.configured.url) entry.jku.push_back(Source{url, nullptr, std::nullopt});
    }
    if ((remote || !entry.jku.empty()) && !fetcher_) {
      throw std::runtime_error("trusted issuer " + config.iss +
                               ": a JWK Set URL needs a fetcher (internal wiring error)");
    }
    issuers_.push_back(std::move(entry));
  }
}

std::optional<std::size_t> KeyStore::find_issuer(std::string_view iss) const {
  const auto it = by_iss_.find(std::string(iss));
  if (it == by_iss_.end()) return std::nullopt;
  return it->second;
}

std::uint64_t KeyStore::fetches() const {
  const std::lock_guard lock(mutex_);
  return fetches_;
}

Result<std::shared_ptr<const VerifyKey>> KeyStore::find_key(std::size_t index, std::string_view kid,
                                                            const std::optional<std::string>& jku,
                                                            time_point now) {
  IssuerKeys& issuer = issuers_[index];
  std::vector<Source*> sources{&issuer.configured};
  // A jku off the allow-list is never fetched; the configured keys may still verify the token.
  bool jku_refused = false;
  if (jku && *jku != issuer.configured.url) {
    Source* allowed = nullptr;
    for (Source& source : issuer.jku) {
      if (source.url == *jku) allowed = &source;
    }
    if (allowed != nullptr) {
      sources.push_back(allowed);
    } else {
      jku_refused = true;
    }
  }
  {
    const std::lock_guard lock(mutex_);
    for (const Source* source : sources) {
      if (auto key = key_in(source->keys, kid)) return key;
    }
  }
  bool failed = false;
  for (Source* source : sources) {
    if (source->url.empty()) continue;
    if (auto key = key_in(refresh(*source, now, failed), kid)) return key;
  }
  if (jku_refused) {
    return auth_error(Reason::jku_not_allowed, "kid not among the keys of " + issuer.config.iss +
                                                   " and the token's jku is not on its allow-list");
  }
  if (failed) {
    return auth_error(Reason::jwks_unavailable,
                      "JWK Set of " + issuer.config.iss + " could not be fetched or parsed");
  }
  return auth_error(Reason::unknown_kid, "kid not among the keys of " + issuer.config.iss);
}

std::shared_ptr<const KeySet> KeyStore::refresh(Source& source, time_point now, bool& failed) {
  {
    const std::lock_guard lock(mutex_);
    if (source.last_attempt && now - *source.last_attempt < refresh_interval) return nullptr;
    source.last_attempt = now;
    ++fetches_;
  }
  // Network I/O happens outside the lock so other issuers' tokens keep verifying.
  auto body = fetcher_(source.url);
  auto set = body ? parse_jwks(body.value(), JwksMode::lenient) : Result<KeySet>(body.error());
  if (!set) {
    failed = true;
    return nullptr;
  }
  auto keys = std::make_shared<const KeySet>(std::move(set).value());
  const std::lock_guard lock(mutex_);
  source.keys = keys;
  return keys;
}

}  // namespace vcf_cds::auth
