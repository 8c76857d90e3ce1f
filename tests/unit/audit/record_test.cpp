#include "audit/record.hpp"

#include <doctest/doctest.h>

#include <functional>

#include "audit/chain.hpp"
#include "common/sha256.hpp"
#include "unit/audit/audit_samples.hpp"

namespace {

using namespace vcf_cds::audit;
using namespace vcf_cds::audit::detail;
using vcf_cds::testing::sample_feedback;

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("canonical json: feedback record -> sorted keys, no whitespace, every field") {
    auto f = sample_feedback("card-1", "accepted");
    f.seq = 7;
    f.known_card = true;
    f.user_comment = "line\nbreak \"q\" é";
    CHECK(canonical_json(f) ==
          R"({"accepted_suggestions":["sugg-a"],"card_uuid":"card-1",)"
          R"("client_iss":"https://sandbox.cds-hooks.org","client_sub":"client-x",)"
          R"("client_tenant":"","kind":"feedback","known_card":true,"outcome":"accepted",)"
          R"("outcome_timestamp":"2024-05-01T10:05:00Z","override_reason_code":"",)"
          R"("override_reason_display":"","override_reason_system":"",)"
          R"("received_time":"2024-05-01T10:05:01Z","seq":7,"service_id":"vcf-order-select",)"
          R"("user_comment":"line\nbreak \"q\" é"})");
  }

  TEST_CASE("canonical json: consult record -> JSON-text fields kept verbatim as strings") {
    auto c = vcf_cds::testing::sample_consult(3);
    c.seq = 1;
    c.identifier_mode = "plain";
    const std::string json = canonical_json(c);
    CHECK(json.starts_with(R"({"assumptions":"[]","candidates":"[1]","card":"{\"summary\")"));
    CHECK(json.find(R"("latency_ms":4.25,)") != std::string::npos);
    CHECK(json.find(R"("seq":1,)") != std::string::npos);
    CHECK(json.find(R"("suggestion_uuids":["sugg-3-a","sugg-3-b"])") != std::string::npos);
    CHECK(json.ends_with(R"("user_id":"Practitioner/doc-0","variant":1})"));
    // Any change to a field changes the bytes, hence the hash.
    auto changed = c;
    changed.rating = 8;
    CHECK(canonical_json(changed) != json);
  }

  TEST_CASE("chain hash: sha256 of the previous hash's hex followed by the record's JSON") {
    const std::string canonical = R"({"kind":"feedback"})";
    CHECK(chain_hash(genesis_hash, canonical) ==
          vcf_cds::common::sha256_hex(std::string(genesis_hash) + canonical));
    CHECK(genesis_hash.size() == 64);
  }

  TEST_CASE("canonical draft: the consult's JSON with seq left out, hashed as the whole") {
    // Seqs of every digit count, and a record whose strings need escaping around the seq key.
    auto c = vcf_cds::testing::sample_consult(4);
    c.rating = 7;
    c.service_id = "svc \"quoted\"\n";
    const CanonicalDraft draft = canonical_draft(c);  // drafted before the seq is known
    CHECK(draft.text.find(R"("seq":,)") == draft.seq_at - 6);
    for (const std::int64_t seq : {1LL, 9LL, 10LL, 12345LL, 9007199254740993LL}) {
      CAPTURE(seq);
      c.seq = seq;
      const std::string whole = canonical_json(c);
      std::string joined = draft.text;
      joined.insert(draft.seq_at, std::to_string(seq));
      CHECK(joined == whole);
      CHECK(chain_hash(genesis_hash, draft, seq) == chain_hash(genesis_hash, whole));
    }
    // Feedback is not drafted: its known_card is set on the writer.
    CHECK_FALSE(queue_record(sample_feedback("card-1", "accepted")).draft.has_value());
    CHECK(queue_record(c).draft.has_value());
  }

  TEST_CASE("append_batch: records get consecutive seq and each links to the one before") {
    std::vector<QueuedRecord> batch{queue_record(vcf_cds::testing::sample_consult(1)),
                                    queue_record(sample_feedback("card-1", "accepted"))};
    ChainHead head{5, std::string(64, 'a')};
    std::vector<ChainLink> links;
    auto status = append_batch(
        batch, head, [](Record&) -> vcf_cds::Status { return vcf_cds::Ok{}; },
        [&](const Record&, const ChainLink& link) -> vcf_cds::Status {
          links.push_back(link);
          return vcf_cds::Ok{};
        });
    REQUIRE(status);
    CHECK(seq_of(batch[0].record) == 6);
    CHECK(seq_of(batch[1].record) == 7);
    CHECK(links[0].prev_hash == std::string(64, 'a'));
    // The consult was hashed from its draft, the feedback from its JSON: both as the verifier does.
    CHECK(links[0].hash == chain_hash(std::string(64, 'a'), canonical_json(batch[0].record)));
    CHECK(links[1].prev_hash == links[0].hash);
    CHECK(links[1].hash == chain_hash(links[0].hash, canonical_json(batch[1].record)));
    CHECK(head.seq == 7);
    CHECK(head.hash == links[1].hash);
  }

  TEST_CASE("hash_identifier: an id -> prefixed HMAC-SHA-256 under the secret, empty stays empty") {
    const auto hashed = hash_identifier("secret", "Patient/1");
    CHECK(hashed == "hmac-sha256:" + vcf_cds::common::hmac_sha256_hex("secret", "Patient/1"));
    CHECK(hashed != hash_identifier("other secret", "Patient/1"));
    CHECK(hash_identifier("secret", "").empty());

    StoreConfig config;
    config.hash_identifiers = true;
    config.identifier_secret = "secret";
    auto c = vcf_cds::testing::sample_consult(1);
    apply_identifier_mode(c, config);
    CHECK(c.identifier_mode == "hmac-sha256");
    CHECK(c.patient_id ==
          hash_identifier("secret", vcf_cds::testing::sample_consult(1).patient_id));
    const auto once = c.patient_id;
    apply_identifier_mode(c, config);  // already hashed (an imported trail): not hashed twice
    CHECK(c.patient_id == once);
  }

  TEST_CASE("validate: strings PostgreSQL would reject -> bad_request naming the field") {
    auto c = vcf_cds::testing::sample_consult(1);
    CHECK(validate(c));
    SUBCASE("NUL byte") {
      c.client.sub = std::string("a\0", 2);
    }
    SUBCASE("lone continuation byte") {
      c.client.sub = "\x80";
    }
    SUBCASE("truncated sequence") {
      c.client.sub = "\xE2\x98";
    }
    SUBCASE("UTF-16 surrogate") {
      c.client.sub = "\xED\xA0\x80";
    }
    SUBCASE("beyond U+10FFFF") {
      c.client.sub = "\xF4\x90\x80\x80";
    }
    auto status = validate(c);
    REQUIRE_FALSE(status);
    CHECK(status.error().code == vcf_cds::ErrorCode::bad_request);
    CHECK(status.error().field == "audit.client.sub");
  }

  TEST_CASE("validate: non-finite latency -> bad_request") {
    auto c = vcf_cds::testing::sample_consult(1);
    c.latency_ms = std::numeric_limits<double>::infinity();
    CHECK(validate(c).error().field == "audit.latency_ms");
  }
}

TEST_SUITE("audit") {
  TEST_CASE("with_recorded_ids: whole JSON strings only, every id at once") {
    JoinedRetry join;
    join.ids = {{"id-1", "id-2"}, {"id-2", "id-3"}, {"urn:uuid:c", "urn:uuid:d"}};
    CHECK(with_recorded_ids(R"({"a":"id-1","b":"id-2","c":"id-10","d":"x id-1"})", join) ==
          R"({"a":"id-2","b":"id-3","c":"id-10","d":"x id-1"})");
    CHECK(with_recorded_ids(R"(["urn:uuid:c","\"id-1\""])", join) ==
          R"(["urn:uuid:d","\"id-1\""])");
    CHECK(with_recorded_ids("\"id-1", join) == "\"id-1");  // unterminated: left alone
    CHECK(with_recorded_ids("text", JoinedRetry{}) == "text");
  }

  TEST_CASE("retry_join: the same call and decision -> joined; any difference -> not") {
    using vcf_cds::testing::consult_with_card_ids;
    using vcf_cds::testing::retried;
    const ConsultRecord first = consult_with_card_ids(1);
    const ConsultRecord retry = retried(first, "-r");
    const auto join = retry_join(retry, first);
    REQUIRE(join);
    CHECK(join->consult_id == retry.consult_id);
    CHECK(join->recorded_consult_id == first.consult_id);
    CHECK(join->ids.size() == 4);  // consult id, card uuid, two suggestions
    CHECK(with_recorded_ids(retry.card, *join) == first.card);

    const std::function<void(ConsultRecord&)> changes[] = {
        [](ConsultRecord& r) { r.hook_instance = "hook-2"; },
        [](ConsultRecord& r) { r.order_ref = "ServiceRequest/sr-2"; },
        [](ConsultRecord& r) { r.patient_id = "Patient/other"; },
        [](ConsultRecord& r) { r.client.iss = "https://other.example"; },
        [](ConsultRecord& r) { r.service_id = "vcf-order-sign"; },
        [](ConsultRecord& r) { r.variant = 2; },
        [](ConsultRecord& r) { r.rating = 8; },
        [](ConsultRecord& r) { r.pama_rating = "not-appropriate"; },
        [](ConsultRecord& r) { r.repeat_of = "urn:uuid:x"; },
        [](ConsultRecord& r) { r.suggestion_uuids.pop_back(); },
        [](ConsultRecord& r) { r.card = R"({"summary":"another card"})"; },
        [](ConsultRecord& r) { r.order_ref = "ServiceRequest/"; },  // no id: cannot be told apart
    };
    for (const auto& change : changes) {
      ConsultRecord other = retry;
      change(other);
      CHECK_FALSE(retry_join(other, first));
    }
  }

  TEST_CASE("join_retries: in one batch -> another call's record is joined, the same call's not") {
    using vcf_cds::testing::consult_with_card_ids;
    using vcf_cds::testing::retried;
    const ConsultRecord first = consult_with_card_ids(1);
    std::vector<QueuedRecord> batch;
    auto add = [&batch](const ConsultRecord& r, std::uint64_t call) {
      batch.push_back(queue_record(r));
      batch.back().joins_retries = true;
      batch.back().call = call;
    };
    add(first, 1);
    add(retried(first, "-same-call"), 1);  // two orders of one call with the same id
    add(retried(first, "-retry"), 2);
    add(retried(first, "-retry-2"), 3);
    join_retries(batch, {});
    CHECK_FALSE(batch[0].joined);
    CHECK_FALSE(batch[1].joined);
    REQUIRE(batch[2].joined);
    CHECK(batch[2].joined->recorded_consult_id == first.consult_id);
    REQUIRE(batch[3].joined);
    CHECK(batch[3].joined->recorded_consult_id == first.consult_id);

    // A committed record comes first; records of record_consults (no joins_retries) never join.
    std::vector<QueuedRecord> later;
    later.push_back(queue_record(retried(first, "-later")));
    later.back().joins_retries = true;
    later.push_back(queue_record(retried(first, "-import")));
    join_retries(later, {first});
    REQUIRE(later[0].joined);
    CHECK(later[0].joined->recorded_consult_id == first.consult_id);
    CHECK_FALSE(later[1].joined);
  }
}

TEST_SUITE("audit") {
  TEST_CASE("retry_candidate_queries: only joinable orders, a bounded number of parameters each") {
    std::vector<QueuedRecord> batch;
    for (int n = 1; n <= 600; ++n) {
      batch.push_back(queue_record(vcf_cds::testing::sample_consult(n)));
      batch.back().joins_retries = true;
    }
    const auto queries = retry_candidate_queries(Dialect::postgresql, batch);
    REQUIRE(queries.size() == 3);  // 250 + 250 + 100 records
    CHECK(queries[0].params.size() == 500);
    CHECK(queries[2].params.size() == 200);
    CHECK(queries[2].sql.find("$200") != std::string::npos);
    CHECK(queries[2].sql.find("$201") == std::string::npos);

    // Records of record_consults, and orders without an id, are never looked up.
    for (auto& queued : batch) queued.joins_retries = false;
    CHECK(retry_candidate_queries(Dialect::sqlite, batch).empty());
    auto no_id = vcf_cds::testing::sample_consult(1);
    no_id.order_ref = "ServiceRequest/";
    std::vector<QueuedRecord> unnamed{queue_record(no_id)};
    unnamed.back().joins_retries = true;
    CHECK(retry_candidate_queries(Dialect::sqlite, unnamed).empty());
  }
}
