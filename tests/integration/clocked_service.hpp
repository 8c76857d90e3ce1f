// A service under test whose system clock the test holds (the order-sign repeat window, retries),
// and the fixture call re-sent as another hook of the same draft order.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "fakes/manual_clock.hpp"
#include "integration/service_fixture.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace vcf_cds::testing {

struct ClockedService {
  static ServiceExtras extras_with(const fakes::ManualSystemClock& clock) {
    ServiceExtras extras;
    extras.clock = clock.fn();
    return extras;
  }

  const fakes::ManualSystemClock clock;  // before `service`, which reads it
  ServiceUnderTest service{test_server_options(), std::chrono::milliseconds(300),
                           extras_with(clock)};
};

// `body` as a call of `hook` with `hook_instance`; order-sign has no selections.
inline std::string with_hook(std::string_view body, const char* hook, const char* hook_instance) {
  return edit_json(body, [&](rapidjson::Document& doc) {
    doc["hook"].SetString(rapidjson::StringRef(hook));
    doc["hookInstance"].SetString(rapidjson::StringRef(hook_instance));
    if (std::string_view(hook) == "order-sign") doc["context"].RemoveMember("selections");
  });
}

}  // namespace vcf_cds::testing
