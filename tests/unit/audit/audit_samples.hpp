// Sample audit records and store checks shared by the SQLite and PostgreSQL tests, so both
// backends are held to exactly the same behaviour.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "vcf_cds/audit.hpp"

namespace vcf_cds::testing {

inline audit::ConsultRecord sample_consult(int n, int variant = 1) {
  audit::ConsultRecord r;
  const std::string id = std::to_string(n);
  r.consult_id = "urn:uuid:00000000-0000-4000-8000-" + std::string(12 - id.size(), '0') + id;
  r.time = "2024-05-01T10:00:" + std::string(n % 60 < 10 ? "0" : "") + std::to_string(n % 60) + "Z";
  r.service_id = "vcf-order-select";
  r.hook = "order-select";
  r.hook_instance = "hook-" + id;
  r.client.iss = "https://sandbox.cds-hooks.org";
  r.client.sub = "client-" + id;
  r.client.tenant = "tenant-a";
  r.user_id = "Practitioner/doc-" + std::to_string(n % 3);
  r.patient_id = "Patient/pat-" + std::to_string(n % 5);
  r.encounter_id = "Encounter/enc-" + id;
  r.order_ref = "ServiceRequest/sr-" + id;
  r.order_codes = R"([{"system":"http://www.ama-assn.org/go/cpt","code":"72148"}])";
  r.procedure_row = "MRI lumbar spine without IV contrast";
  r.variant = variant;
  r.category = variant == 0 ? "" : "Usually appropriate";
  r.rating = variant == 0 ? 0 : 9;
  r.median = variant == 0 ? 0 : 8;
  r.pama_rating = variant == 0 ? "no-criteria-apply" : "appropriate";
  r.facts = R"([{"fact":"vcf","source":"Condition/c1"}])";
  r.candidates = R"([1])";
  r.assumptions = "[]";
  r.card_uuid = variant == 0 ? "" : "card-" + id;
  r.suggestion_uuids = variant == 0
                           ? std::vector<std::string>{}
                           : std::vector<std::string>{"sugg-" + id + "-a", "sugg-" + id + "-b"};
  r.card = variant == 0 ? "" : R"j({"summary":"MRI: Usually appropriate (9)","indicator":"info"})j";
  r.knowledge_version = "sha256:abc";
  r.service_version = "0.1.0";
  r.latency_ms = 1.25 + n;
  return r;
}

inline audit::FeedbackRecord sample_feedback(const std::string& card, const std::string& outcome) {
  audit::FeedbackRecord f;
  f.service_id = "vcf-order-select";
  f.card_uuid = card;
  f.outcome = outcome;
  if (outcome == "accepted") f.accepted_suggestions = {"sugg-a"};
  if (outcome == "overridden") {
    f.override_reason_system = "https://vcf-cds.example.org/fhir/CodeSystem/vcf-cds";
    f.override_reason_code = "clinical-judgement";
    f.override_reason_display = "Clinical judgement";
    f.user_comment = "red flags";
  }
  f.outcome_timestamp = "2024-05-01T10:05:00Z";
  f.received_time = "2024-05-01T10:05:01Z";
  f.client.iss = "https://sandbox.cds-hooks.org";
  f.client.sub = "client-x";
  f.client.tenant = "";
  return f;
}

// Query builders: designated initializers would trip -Wmissing-field-initializers on g++ 12.
inline audit::Query patient(std::string id) {
  audit::Query q;
  q.patient_id = std::move(id);
  return q;
}
inline audit::Query user(std::string id) {
  audit::Query q;
  q.user_id = std::move(id);
  return q;
}
inline audit::Query variant(int n) {
  audit::Query q;
  q.variant = n;
  return q;
}
inline audit::Query outcome(audit::OutcomeFilter filter) {
  audit::Query q;
  q.outcome = filter;
  return q;
}
inline audit::Query between(std::string from, std::string to) {
  audit::Query q;
  q.from = std::move(from);
  q.to = std::move(to);
  return q;
}

inline void check_filters(audit::Store& store) {
  using namespace audit;
  std::vector<ConsultRecord> records;
  for (int n = 1; n <= 10; ++n) records.push_back(sample_consult(n, n == 10 ? 0 : 1 + n % 2));
  REQUIRE(store.record_consults(records));
  REQUIRE(store.record_feedback({sample_feedback("card-1", "overridden"),
                                 sample_feedback("card-2", "overridden"),
                                 sample_feedback("card-2", "accepted")}));
  auto count = [&](const Query& q) { return store.find_consults(q)->size(); };
  CHECK(count({}) == 10);
  CHECK(count(between("2024-05-01T10:00:03Z", "2024-05-01T10:00:05Z")) == 2);
  CHECK(count(patient("Patient/pat-1")) == 2);    // n = 1, 6
  CHECK(count(user("Practitioner/doc-0")) == 3);  // n = 3, 6, 9
  CHECK(count(variant(0)) == 1);
  CHECK(count(variant(2)) == 5);
  CHECK(count(outcome(OutcomeFilter::overridden)) == 1);  // card-2's latest is accepted
  CHECK(count(outcome(OutcomeFilter::accepted)) == 1);
  CHECK(count(outcome(OutcomeFilter::none)) == 8);
  Query by_id;
  by_id.consult_id = records[3].consult_id;
  auto one = store.find_consults(by_id);
  REQUIRE(one);
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].consult_id == records[3].consult_id);
  by_id.consult_id = "urn:uuid:00000000-0000-4000-8000-000000000000";
  CHECK(count(by_id) == 0);
  CHECK(store.find_feedback({"card-2", "", ""})->size() == 2);
  CHECK(store.find_feedback({"", "2024-05-01T10:06:00Z", ""})->empty());
}

// Every field written comes back, in order, with seq and identifier_mode set.
inline void check_round_trip(audit::Store& store) {
  auto first = sample_consult(1);
  auto second = sample_consult(2, 0);
  second.repeat_of = first.consult_id;
  REQUIRE(store.record_consults({first, second}));
  auto found = store.find_consults({});
  REQUIRE(found);
  REQUIRE(found->size() == 2);
  const auto& back = (*found)[0];
  CHECK(back.seq == 1);
  CHECK(back.identifier_mode == "plain");
  CHECK(back.consult_id == first.consult_id);
  CHECK(back.time == first.time);
  CHECK(back.client.iss == first.client.iss);
  CHECK(back.client.sub == first.client.sub);
  CHECK(back.client.tenant == first.client.tenant);
  CHECK(back.user_id == first.user_id);
  CHECK(back.patient_id == first.patient_id);
  CHECK(back.encounter_id == first.encounter_id);
  CHECK(back.order_ref == first.order_ref);
  CHECK(back.order_codes == first.order_codes);
  CHECK(back.procedure_row == first.procedure_row);
  CHECK(back.variant == 1);
  CHECK(back.category == first.category);
  CHECK(back.rating == 9);
  CHECK(back.median == 8);
  CHECK(back.pama_rating == "appropriate");
  CHECK(back.facts == first.facts);
  CHECK(back.candidates == first.candidates);
  CHECK(back.assumptions == first.assumptions);
  CHECK(back.card_uuid == first.card_uuid);
  CHECK(back.suggestion_uuids == first.suggestion_uuids);
  CHECK(back.card == first.card);
  CHECK(back.knowledge_version == first.knowledge_version);
  CHECK(back.service_version == first.service_version);
  CHECK(back.latency_ms == first.latency_ms);
  CHECK(back.repeat_of.empty());
  CHECK((*found)[1].repeat_of == first.consult_id);
  CHECK((*found)[1].pama_rating == "no-criteria-apply");
  CHECK((*found)[1].variant == 0);

  auto feedback = sample_feedback(first.card_uuid, "overridden");
  REQUIRE(store.record_feedback({feedback}));
  auto fb = store.find_feedback({first.card_uuid, "", ""});
  REQUIRE(fb);
  REQUIRE(fb->size() == 1);
  CHECK((*fb)[0].seq == 3);
  CHECK((*fb)[0].known_card);
  CHECK((*fb)[0].override_reason_code == "clinical-judgement");
  CHECK((*fb)[0].override_reason_display == "Clinical judgement");
  CHECK((*fb)[0].user_comment == "red flags");
  CHECK((*fb)[0].outcome_timestamp == feedback.outcome_timestamp);
  CHECK((*fb)[0].received_time == feedback.received_time);

  auto verified = store.verify_chain();
  REQUIRE(verified);
  CHECK(verified->ok);
  CHECK(verified->records == 3);
}

// 8 threads x 50 single-record calls: all land, the chain holds, and transactions < records.
inline void check_group_commit(audit::Store& store) {
  constexpr int threads = 8;
  constexpr int per_thread = 50;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        if (!store.record_consults({sample_consult(t * per_thread + i + 1)})) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(failures == 0);
  auto found = store.find_consults({});
  REQUIRE(found);
  CHECK(found->size() == threads * per_thread);
  auto verified = store.verify_chain();
  REQUIRE(verified);
  CHECK(verified->ok);
  CHECK(verified->records == threads * per_thread);
  const auto health = store.health();
  CHECK(health.records == threads * per_thread);
  CHECK(health.commits < health.records);
  MESSAGE(health.backend << ": " << health.records << " records in " << health.commits
                         << " transactions");
}

// Feedback for a card no consult carries is stored with known_card = false.
inline void check_unknown_card(audit::Store& store) {
  REQUIRE(store.record_consults({sample_consult(1)}));
  REQUIRE(store.record_feedback(
      {sample_feedback("no-such-card", "accepted"), sample_feedback("card-1", "accepted")}));
  auto all = store.find_feedback({});
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].card_uuid == "no-such-card");
  CHECK_FALSE((*all)[0].known_card);
  CHECK((*all)[1].known_card);
  auto verified = store.verify_chain();
  REQUIRE(verified);
  CHECK(verified->ok);
}

// A consult whose card names its ids, as a rendered card does (uuid, suggestions, consultId),
// and is long enough to be stored through blobs (evidence paragraphs, facts with sources).
inline audit::ConsultRecord consult_with_card_ids(int n) {
  audit::ConsultRecord r = sample_consult(n);
  std::string evidence;
  for (int i = 1; i <= 6; ++i) {
    evidence += "**Evidence " + std::to_string(i) + ":** median rating 8, strength of evidence " +
                "Limited; panel votes and references as in the ACR table.\\n\\n";
  }
  r.card = R"({"uuid":")" + r.card_uuid + R"(","detail":"Patient )" + r.patient_id + R"(\n\n)" +
           evidence + R"(","suggestions":[{"uuid":")" + r.suggestion_uuids[0] + R"("},{"uuid":")" +
           r.suggestion_uuids[1] + R"("}],"extension":{"consultId":")" + r.consult_id + R"("}})";
  r.facts = R"([{"fact":"vcf","value":"present","sources":[)";
  for (int i = 0; i < 30; ++i) {
    r.facts += (i > 0 ? "," : "") + std::string(R"("Condition/c)") + std::to_string(i) + "\"";
  }
  r.facts += "]}]";
  return r;
}

// The same hook call answered again (an EHR retry after a timeout): rendered with new ids, a
// second later, deciding and showing the same.
inline audit::ConsultRecord retried(const audit::ConsultRecord& first, const std::string& tag) {
  audit::ConsultRecord r = first;
  audit::JoinedRetry renamed;
  renamed.ids = {{first.consult_id, first.consult_id + tag}};
  if (!first.card_uuid.empty()) renamed.ids.emplace_back(first.card_uuid, first.card_uuid + tag);
  for (const auto& uuid : first.suggestion_uuids) renamed.ids.emplace_back(uuid, uuid + tag);
  r.card = audit::with_recorded_ids(first.card, renamed);
  r.consult_id += tag;
  if (!r.card_uuid.empty()) r.card_uuid += tag;
  for (auto& uuid : r.suggestion_uuids) uuid += tag;
  r.time = "2024-05-01T10:00:59Z";
  r.latency_ms += 100;
  return r;
}

// record_call_async, waited for.
inline Result<std::vector<audit::JoinedRetry>> record_call(
    audit::Store& store, std::vector<audit::ConsultRecord> records) {
  std::promise<Result<std::vector<audit::JoinedRetry>>> answer;
  auto future = answer.get_future();
  store.record_call_async(std::move(records), [&answer](Result<std::vector<audit::JoinedRetry>> r) {
    answer.set_value(std::move(r));
  });
  return future.get();
}

inline void check_verified(audit::Store& store, std::int64_t records) {
  auto verified = store.verify_chain();
  REQUIRE(verified);
  CHECK(verified->ok);
  CHECK(verified->records == records);
}

// Records with long cards and facts read back byte for byte and verify; the blobs they share
// are stored once (`blob_rows` counts the store's blobs).
template <class CountBlobs>
inline void check_blob_texts(audit::Store& store, CountBlobs&& blob_rows) {
  std::vector<audit::ConsultRecord> records;
  for (int n = 1; n <= 30; ++n) records.push_back(consult_with_card_ids(n));
  REQUIRE(store.record_consults({records.begin(), records.begin() + 10}));
  const auto after_ten = blob_rows();
  REQUIRE(store.record_consults({records.begin() + 10, records.end()}));
  // Cards differ in ids and one of five patients: the later twenty add no new blob.
  CHECK(blob_rows() == after_ten);
  CHECK(after_ten < 40);
  auto found = store.find_consults({});
  REQUIRE(found);
  REQUIRE(found->size() == records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    CHECK((*found)[i].card == records[i].card);
    CHECK((*found)[i].facts == records[i].facts);
    CHECK((*found)[i].chain_format == 2);
  }
  check_verified(store, static_cast<std::int64_t>(records.size()));
}

// A retried call joins the first record: one consult, the answer's ids are the recorded ones,
// feedback on the card finds it, and the chain verifies. Anything that makes it another call or
// another decision is recorded on its own.
inline void check_retry_joins(audit::Store& store) {
  using namespace audit;
  const ConsultRecord first = consult_with_card_ids(1);
  auto appended = record_call(store, {first});
  REQUIRE(appended);
  CHECK(appended->empty());

  const ConsultRecord retry = retried(first, "-r1");
  auto joined = record_call(store, {retry});
  REQUIRE(joined);
  REQUIRE(joined->size() == 1);
  const JoinedRetry& join = joined->front();
  CHECK(join.consult_id == retry.consult_id);
  CHECK(join.recorded_consult_id == first.consult_id);
  CHECK(with_recorded_ids(retry.card, join) == first.card);
  CHECK(with_recorded_ids(R"({"card":")" + retry.card_uuid + R"("})", join) ==
        R"({"card":")" + first.card_uuid + R"("})");

  // A second retry joins the first record too, not the retry.
  auto again = record_call(store, {retried(first, "-r2")});
  REQUIRE(again);
  REQUIRE(again->size() == 1);
  CHECK(again->front().recorded_consult_id == first.consult_id);

  auto found = store.find_consults({});
  REQUIRE(found);
  REQUIRE(found->size() == 1);
  CHECK(found->front().consult_id == first.consult_id);
  CHECK(found->front().time == first.time);
  check_verified(store, 1);
  REQUIRE(store.record_feedback({sample_feedback(first.card_uuid, "accepted")}));
  CHECK(store.find_feedback({})->back().known_card);

  // Another hook call, another order of the same call, or the same call deciding differently:
  // each is a consult of its own.
  ConsultRecord other_call = retried(first, "-h");
  other_call.hook_instance = "hook-other";
  ConsultRecord other_order = retried(first, "-o");
  other_order.order_ref = "ServiceRequest/sr-other";
  ConsultRecord rerated = retried(first, "-d");
  rerated.rating = 8;
  ConsultRecord other_card = retried(first, "-c");
  other_card.card += " ";
  for (const auto& record : {other_call, other_order, rerated, other_card}) {
    auto answer = record_call(store, {record});
    REQUIRE(answer);
    CHECK(answer->empty());
  }
  // Two orders of one call are never each other's retry, even with the same id.
  ConsultRecord twin_a = retried(first, "-t1");
  twin_a.hook_instance = "hook-twins";
  const ConsultRecord twin_b = retried(twin_a, "-t2");
  auto one_call = record_call(store, {twin_a, twin_b});
  REQUIRE(one_call);
  CHECK(one_call->empty());
  // An order without an id cannot be told from another order: it is never joined.
  ConsultRecord no_id = retried(first, "-n1");
  no_id.hook_instance = "hook-no-id";
  no_id.order_ref = "ServiceRequest/";
  for (const auto& record : {no_id, retried(no_id, "-n2")}) {
    auto answer = record_call(store, {record});
    REQUIRE(answer);
    CHECK(answer->empty());
  }
  // record_consults appends as given (an import keeps every record it reads).
  REQUIRE(store.record_consults({retried(first, "-i")}));
  CHECK(store.find_consults({})->size() == 1 + 4 + 2 + 2 + 1);
  check_verified(store, 11);  // and the feedback
}

// The first attempt and its retry racing, on two stores (two instances on one database) or one:
// whichever commits first is the record, the other joins it. Rounds of distinct calls.
inline void check_retry_race(audit::Store& a, audit::Store& b) {
  using namespace audit;
  constexpr int rounds = 20;
  int joins = 0;
  for (int round = 1; round <= rounds; ++round) {
    const ConsultRecord first = consult_with_card_ids(round);
    const ConsultRecord retry = retried(first, "-race");
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    Result<std::vector<JoinedRetry>> answers[2] = {std::vector<JoinedRetry>{},
                                                   std::vector<JoinedRetry>{}};
    std::thread one([&] {
      start.wait();
      answers[0] = record_call(a, {first});
    });
    std::thread two([&] {
      start.wait();
      answers[1] = record_call(b, {retry});
    });
    go.set_value();
    one.join();
    two.join();
    REQUIRE(answers[0]);
    REQUIRE(answers[1]);
    // Exactly one of the two joined the other.
    CHECK(answers[0]->size() + answers[1]->size() == 1);
    joins += static_cast<int>(answers[0]->size() + answers[1]->size());
  }
  CHECK(joins == rounds);
  auto found = a.find_consults({});
  REQUIRE(found);
  CHECK(found->size() == rounds);
  check_verified(a, rounds);
}

}  // namespace vcf_cds::testing
