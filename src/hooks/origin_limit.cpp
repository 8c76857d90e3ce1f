// The per-origin limit of the prefetch fallback: a count of calls in flight per FHIR server,
// checked and raised under one lock, so two calls racing for the last place cannot both get it.
#include <algorithm>
#include <map>
#include <mutex>
#include <string>

#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {

struct FhirOriginLimiter::Permit::Counts {
  std::mutex mutex;
  std::map<std::string, std::size_t, std::less<>> in_flight;  // no entry: none in flight
};

std::string origin_key(std::string_view url) {
  const auto origin = parse_origin(url);
  if (!origin) return std::string(url);
  const bool ipv6 = origin->host.find(':') != std::string::npos;
  return std::string(origin->tls ? "https://" : "http://") + (ipv6 ? "[" : "") + origin->host +
         (ipv6 ? "]" : "") + ":" + origin->port;
}

FhirOriginLimiter::FhirOriginLimiter(std::size_t per_origin)
    : limit_(std::max<std::size_t>(1, per_origin)), counts_(std::make_shared<Permit::Counts>()) {}

Result<FhirOriginLimiter::Permit> FhirOriginLimiter::acquire(std::string_view fhir_server) {
  std::string origin = origin_key(fhir_server);
  {
    std::lock_guard lock(counts_->mutex);
    std::size_t& count = counts_->in_flight[origin];
    if (count >= limit_) {
      return make_error(ErrorCode::unavailable, "fhirServer",
                        "the FHIR server " + origin + " has " + std::to_string(count) +
                            " calls reading from it, the most allowed at once per server; "
                            "send the data as prefetch or try again shortly");
    }
    ++count;
  }
  return Permit(counts_, std::move(origin));
}

std::size_t FhirOriginLimiter::in_flight(std::string_view fhir_server) const {
  const std::string origin = origin_key(fhir_server);
  std::lock_guard lock(counts_->mutex);
  const auto found = counts_->in_flight.find(origin);
  return found == counts_->in_flight.end() ? 0 : found->second;
}

FhirOriginLimiter::Permit::Permit(std::shared_ptr<Counts> counts, std::string origin)
    : counts_(std::move(counts)), origin_(std::move(origin)) {}

FhirOriginLimiter::Permit::Permit(Permit&& other) noexcept
    : counts_(std::move(other.counts_)), origin_(std::move(other.origin_)) {}

FhirOriginLimiter::Permit& FhirOriginLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    counts_ = std::move(other.counts_);
    origin_ = std::move(other.origin_);
  }
  return *this;
}

FhirOriginLimiter::Permit::~Permit() {
  release();
}

void FhirOriginLimiter::Permit::release() {
  if (!counts_) return;
  {
    std::lock_guard lock(counts_->mutex);
    const auto found = counts_->in_flight.find(origin_);
    if (found != counts_->in_flight.end() && --found->second == 0) {
      counts_->in_flight.erase(found);
    }
  }
  counts_.reset();
}

}  // namespace vcf_cds::hooks
