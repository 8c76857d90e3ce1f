// No repeat at order-sign (CONTRACT §7): the order-select consult that already rated an order.
#pragma once

#include <chrono>
#include <string>

#include "vcf_cds/audit.hpp"
#include "vcf_cds/criteria.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::app {

// The consult id of the order-select consult that rated `decision`'s order the same way (same
// variant, row, category and rating) for the request's patient within `window` before `now`;
// "" when there is none, or when the trail cannot be read (then the card is shown again: a
// second card is better than a hidden one). The trail is the shared store, so an order-select
// answered by another instance on the same PostgreSQL database counts too.
std::string earlier_rating(audit::Store& store, const hooks::HookRequest& request,
                           const criteria::Decision& decision,
                           std::chrono::system_clock::time_point now, std::chrono::hours window);

}  // namespace vcf_cds::app
