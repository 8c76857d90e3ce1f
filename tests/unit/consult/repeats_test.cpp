// The repeat lookup on both stores, and across two instances sharing one PostgreSQL database.
#include "consult/repeats.hpp"

#include <doctest/doctest.h>

#include "common/time.hpp"
#include "support/scenario.hpp"
#include "support/temp_dir.hpp"
#include "unit/audit/audit_samples.hpp"
#include "unit/audit/pg_server.hpp"

namespace {

using namespace vcf_cds;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow = testing::parse_day("2026-12-07") + std::chrono::hours(12);

struct Rated {
  criteria::Decision decision;
  hooks::HookRequest request;
};

// A rated order-sign decision for Patient/pat-1's ServiceRequest/sr-1, variant 1's first row.
Rated rated_sign() {
  const auto& variant = *testing::knowledge().criteria->variant(1);
  Rated r;
  r.decision.outcome = criteria::Outcome::rated;
  r.decision.headline = {&variant, &variant.rows.front()};
  r.decision.procedure.order_ref = "ServiceRequest/sr-1";
  r.request.hook = hooks::Hook::order_sign;
  r.request.patient_id = "Patient/pat-1";
  return r;
}

// The order-select consult that rated it, `ago` before kNow.
audit::ConsultRecord earlier_select(const Rated& r, Clock::duration ago) {
  auto c = testing::sample_consult(1);
  c.time = common::rfc3339_utc(kNow - ago);
  c.patient_id = r.request.patient_id;
  c.order_ref = r.decision.procedure.order_ref;
  c.procedure_row = r.decision.headline.row->name;
  c.category = std::string(criteria::to_string(r.decision.headline.row->category));
  c.rating = r.decision.headline.row->rating;
  return c;
}

void check_lookup(audit::Store& writer, audit::Store& reader) {
  const Rated r = rated_sign();
  const auto select = earlier_select(r, std::chrono::hours(3));
  REQUIRE(writer.record_consults({select}));
  const auto window = std::chrono::hours(24);
  CHECK(consult::EarlierRatings(reader, r.request, kNow, window).find(r.decision) ==
        select.consult_id);
  // Outside the window, another patient, another order, another rating: not a repeat.
  CHECK(consult::EarlierRatings(reader, r.request, kNow, std::chrono::hours(2))
            .find(r.decision)
            .empty());
  Rated other = rated_sign();
  other.request.patient_id = "Patient/pat-2";
  CHECK(consult::EarlierRatings(reader, other.request, kNow, window).find(other.decision).empty());
  other = rated_sign();
  other.decision.procedure.order_ref = "ServiceRequest/sr-2";
  CHECK(consult::EarlierRatings(reader, other.request, kNow, window).find(other.decision).empty());
  other = rated_sign();
  const auto& variant = *testing::knowledge().criteria->variant(1);
  for (const auto& row : variant.rows) {
    if (row.rating != r.decision.headline.row->rating) other.decision.headline.row = &row;
  }
  REQUIRE(other.decision.headline.row->rating != r.decision.headline.row->rating);
  CHECK(consult::EarlierRatings(reader, other.request, kNow, window).find(other.decision).empty());
}

}  // namespace

TEST_SUITE("app") {
  TEST_CASE("repeats: SQLite -> found within the window for the same patient, order and rating") {
    testing::TempDir dir;
    audit::StoreConfig config;
    config.data_dir = dir.path() / "data";
    auto store = audit::open_store(config);
    check_lookup(*store, *store);
  }

  TEST_CASE("repeats: an order-sign consult or one without a card is never the first rating") {
    testing::TempDir dir;
    audit::StoreConfig config;
    config.data_dir = dir.path() / "data";
    auto store = audit::open_store(config);
    const Rated r = rated_sign();
    auto sign = earlier_select(r, std::chrono::hours(1));
    sign.hook = "order-sign";
    auto quiet = earlier_select(r, std::chrono::hours(1));
    quiet.consult_id = testing::sample_consult(2).consult_id;
    quiet.card_uuid.clear();
    REQUIRE(store->record_consults({sign, quiet}));
    CHECK(consult::EarlierRatings(*store, r.request, kNow, std::chrono::hours(24))
              .find(r.decision)
              .empty());
  }

  TEST_CASE("repeats: hashed identifiers -> the plain patient id still finds the first rating") {
    testing::TempDir dir;
    audit::StoreConfig config;
    config.data_dir = dir.path() / "data";
    config.hash_identifiers = true;
    config.identifier_secret = "site-secret";
    auto store = audit::open_store(config);
    check_lookup(*store, *store);
  }

  TEST_CASE("repeats: two instances on one PostgreSQL database see each other's ratings") {
    auto db = testing::pg_test_database();
    if (!db) return;
    audit::StoreConfig config;
    config.database_url = db->url();
    auto first_instance = audit::open_store(config);
    auto second_instance = audit::open_store(config);
    check_lookup(*first_instance, *second_instance);
  }
}
