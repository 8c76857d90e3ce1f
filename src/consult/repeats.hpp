// No repeat at order-sign (CONTRACT §7): the order-select consult that already rated an order.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "vcf_cds/audit.hpp"
#include "vcf_cds/criteria.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::consult {

// The order-select consults of one order-sign call's patient within the repeat window, read from
// the trail once, on the first rated order that asks (one read per call, however many orders).
// The trail is the shared store, so an order-select answered by another instance on the same
// PostgreSQL database counts too.
class EarlierRatings {
 public:
  EarlierRatings(audit::Store& store, const hooks::HookRequest& request,
                 std::chrono::system_clock::time_point now, std::chrono::hours window)
      : store_(store), request_(request), now_(now), window_(window) {}

  // The consult id of the order-select consult that rated `decision`'s order the same way (same
  // variant, row, category and rating) with a card; "" when there is none, or when the trail
  // cannot be read (then the card is shown again: a second card is better than a hidden one).
  std::string find(const criteria::Decision& decision);

 private:
  audit::Store& store_;
  const hooks::HookRequest& request_;
  std::chrono::system_clock::time_point now_;
  std::chrono::hours window_;
  std::optional<std::vector<audit::ConsultRecord>> selects_;  // newest first, once read
};

}  // namespace vcf_cds::consult
