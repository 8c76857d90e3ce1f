// File: result.hpp — errors as values on the request path.
//
// `Result<T>` is shaped like C++23 `std::expected<T, Error>` (has_value, value, error) so it can
// become an alias later. `Error::code` maps 1:1 to the HTTP statuses of CONTRACT.md §6; the one
// mapping to status and OperationOutcome lives in src/http. Exceptions are used only at start-up
// (knowledge, profiles, configuration), never across a stage on the request path.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace vcf_cds {

enum class ErrorCode {
  bad_request,          // 400: malformed JSON, wrong hook, missing or invalid field
  unauthorized,         // 401: bad or missing JWT
  not_found,            // 404: unknown service or path
  method_not_allowed,   // 405
  precondition_failed,  // 412: required data neither prefetched nor fetchable
  payload_too_large,    // 413: body or element limits
  unavailable,          // 503: audit store or upstream down
  internal,             // 500
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string field;    // FHIRPath-like location of the problem, e.g. "context.draftOrders"
  std::string message;  // one sentence a developer can act on
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit like std::expected
  Result(Error error) : state_(std::move(error)) {}  // NOLINT

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorCode code, std::string field, std::string message) {
  return Error{code, std::move(field), std::move(message)};
}

}  // namespace vcf_cds
