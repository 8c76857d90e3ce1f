// Keeps a repeated log line from flooding the log: within each window the first occurrence is
// logged and the rest only counted; the next line logged says how many were left out. Counters
// in /metrics stay exact — this bounds only the text, which an attacker (a flood of bad tokens)
// or an outage (every call failing the same way) would otherwise grow by a line per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace vcf_cds::common {

class LogLimiter {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  // `now` empty: the steady clock (tests inject their own).
  explicit LogLimiter(std::chrono::steady_clock::duration window = std::chrono::seconds(10),
                      Now now = {});

  // Thread-safe. nullopt: stay quiet (the occurrence is counted). A value: log this one, noting
  // that many occurrences left out since the previous line logged (0 for the first).
  std::optional<std::uint64_t> admit();

  // " (and N more like it since the last such line)", or "" for none: for the line's end.
  static std::string left_out(std::uint64_t count);

 private:
  std::chrono::steady_clock::duration window_;
  Now now_;
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  std::uint64_t quiet_ = 0;
};

}  // namespace vcf_cds::common
