#include "common/log_limiter.hpp"

namespace vcf_cds::common {

LogLimiter::LogLimiter(std::chrono::steady_clock::duration window, Now now)
    : window_(window), now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::steady_clock::now(); };
}

std::optional<std::uint64_t> LogLimiter::admit() {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  if (last_ && now - *last_ < window_) {
    ++quiet_;
    return std::nullopt;
  }
  last_ = now;
  const std::uint64_t left_out = quiet_;
  quiet_ = 0;
  return left_out;
}

std::string LogLimiter::left_out(std::uint64_t count) {
  if (count == 0) return {};
  return " (and " + std::to_string(count) + " more like it since the last such line)";
}

}  // namespace vcf_cds::common
