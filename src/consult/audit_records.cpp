#include "consult/audit_records.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_write.hpp"
#include "common/time.hpp"
#include "vcf_cds/cards.hpp"

namespace vcf_cds::consult {
namespace {

using Writer = common::JsonWriter;

using common::key_str;

// The facts as the decision saw them, each with the resources it came from, and (only when
// it happened) which of the patient's data was read in part.
std::string facts_json(const facts::ClinicalFacts& f,
                       const std::vector<hooks::PartialRead>& partial) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("pediatric");
  w.Bool(f.pediatric);
  if (f.age_years) {
    w.Key("ageYears");
    w.Int(*f.age_years);
  }
  key_str(w, "symptomatic", facts::to_string(f.symptomatic));
  key_str(w, "edemaOrCleft", facts::to_string(f.edema_or_cleft));
  key_str(w, "worseningPain", facts::to_string(f.worsening_pain));
  const std::pair<const char*, bool> flags[] = {
      {"vcf", f.vcf},
      {"vcfNew", f.vcf_new},
      {"osteoporotic", f.osteoporotic},
      {"pathological", f.pathological},
      {"malignancy", f.malignancy},
      {"newBackPain", f.new_back_pain},
      {"priorAugmentation", f.prior_augmentation},
      {"priorSpineSurgery", f.prior_spine_surgery},
      {"deformityOrPulmonary", f.deformity_or_pulmonary},
  };
  for (const auto& [name, value] : flags) {
    w.Key(name);
    w.Bool(value);
  }
  w.Key("distinctVcfs");
  w.Int(f.distinct_vcfs);
  key_str(w, "vcfRegion", facts::to_string(f.vcf_region));
  w.Key("evidence");
  w.StartArray();
  std::vector<std::pair<facts::FactKind, std::size_t>> omitted;
  for (std::size_t k = 0; k < facts::kFactKindCount; ++k) {
    // The newest few, as the card shows them; the rest only counted (evidenceOmitted).
    const auto shown = cards::newest_evidence(f.evidence[k]);
    if (shown.size() < f.evidence[k].size()) {
      omitted.emplace_back(static_cast<facts::FactKind>(k), f.evidence[k].size() - shown.size());
    }
    for (const auto* shown_evidence : shown) {
      const auto& e = *shown_evidence;
      w.StartObject();
      key_str(w, "fact", facts::to_string(static_cast<facts::FactKind>(k)));
      key_str(w, "reference", e.source.reference);
      key_str(w, "system", e.source.system);
      key_str(w, "code", e.source.code);
      if (e.date) key_str(w, "date", common::iso_date(*e.date));
      w.Key("current");
      w.Bool(e.current);
      w.EndObject();
    }
  }
  w.EndArray();
  if (!omitted.empty()) {
    w.Key("evidenceOmitted");
    w.StartObject();
    for (const auto& [kind, count] : omitted) {
      w.Key(std::string(facts::to_string(kind)).c_str());
      w.Uint64(count);
    }
    w.EndObject();
  }
  if (!partial.empty()) {
    // Decided on part of the record: the flag and what was missing, as the card said.
    w.Key("readInPart");
    w.Bool(true);
    w.Key("partialReads");
    w.StartArray();
    for (const auto& read : partial) {
      w.StartObject();
      key_str(w, "key", read.key);
      key_str(w, "reason", hooks::to_string(read.reason));
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

void write_match(Writer& w, const criteria::VariantMatch& match) {
  w.StartObject();
  w.Key("variant");
  w.Int(match.variant->number);
  key_str(w, "category", criteria::to_string(match.row->category));
  w.Key("rating");
  w.Int(match.row->rating);
  w.EndObject();
}

std::string candidates_json(const criteria::Decision& d) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const auto& candidate : d.candidates) write_match(w, candidate);
  w.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string assumptions_json(const criteria::Decision& d) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("assumed");
  w.StartArray();
  for (const auto& a : d.assumptions) {
    w.StartObject();
    key_str(w, "fact", a.fact);
    w.Key("present");
    w.Bool(a.assumed_present);
    w.EndObject();
  }
  w.EndArray();
  w.Key("ifPresent");
  w.StartArray();
  for (const auto& alt : d.if_present) {
    w.StartObject();
    key_str(w, "fact", alt.fact);
    w.Key("would");
    write_match(w, alt.match);
    w.EndObject();
  }
  w.EndArray();
  // The questions the card asked: each answer and the variant it would give (null: none).
  w.Key("clarifications");
  w.StartArray();
  for (const auto& q : d.clarifications) {
    w.StartObject();
    key_str(w, "fact", q.fact);
    w.Key("present");
    w.Bool(q.present);
    w.Key("would");
    if (q.result.variant != nullptr) {
      write_match(w, q.result);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string codes_json(const std::vector<facts::Coding>& codes) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const auto& c : codes) {
    w.StartObject();
    key_str(w, "system", c.system);
    key_str(w, "code", c.code);
    if (!c.display.empty()) key_str(w, "display", c.display);
    w.EndObject();
  }
  w.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::vector<audit::ConsultRecord> consult_records(const ConsultOutcome& outcome,
                                                  const auth::ClientIdentity& caller,
                                                  std::chrono::system_clock::time_point now) {
  const auto& request = *outcome.request;
  const auto& decisions = *outcome.decisions;
  const auto& consults = outcome.rendered->consults;
  const std::string time = common::rfc3339_utc(outcome.started);
  const double latency_ms =
      std::chrono::duration<double, std::milli>(now - outcome.started).count();
  std::vector<audit::ConsultRecord> records;
  records.reserve(decisions.size());
  for (std::size_t i = 0; i < decisions.size() && i < consults.size(); ++i) {
    const auto& d = decisions[i];
    const auto& ids = consults[i];
    audit::ConsultRecord r;
    r.consult_id = ids.consult_id;
    r.time = time;
    r.service_id = request.service_id;
    r.hook = std::string(hooks::to_string(request.hook));
    r.hook_instance = request.hook_instance;
    r.client.iss = caller.iss;
    r.client.sub = caller.sub;
    r.client.tenant = caller.tenant;
    r.user_id = request.user_id;
    r.patient_id = request.patient_id;
    r.encounter_id = request.encounter_id;
    r.order_ref = ids.order_ref;
    r.order_codes = codes_json(d.procedure.codes);
    r.pama_rating = ids.pama_rating;
    if (d.outcome == criteria::Outcome::rated) {
      r.procedure_row = d.headline.row->name;
      r.variant = d.headline.variant->number;
      r.category = std::string(criteria::to_string(d.headline.row->category));
      r.rating = d.headline.row->rating;
      r.median = d.headline.row->median;
    }
    r.facts = facts_json(d.facts, request.data.partial);
    r.candidates = candidates_json(d);
    r.assumptions = assumptions_json(d);
    r.card_uuid = ids.card_uuid;
    r.suggestion_uuids = ids.suggestion_uuids;
    r.card = ids.card_json;
    r.knowledge_version = outcome.knowledge_version;
    r.service_version = VCF_CDS_VERSION;
    r.latency_ms = latency_ms;
    r.repeat_of = ids.repeat_of;
    records.push_back(std::move(r));
  }
  return records;
}

std::vector<audit::FeedbackRecord> feedback_records(const hooks::Feedback& feedback,
                                                    const auth::ClientIdentity& caller,
                                                    std::chrono::system_clock::time_point now) {
  std::vector<audit::FeedbackRecord> records;
  const std::string received = common::rfc3339_utc(now);
  for (const auto& item : feedback.items) {
    audit::FeedbackRecord r;
    r.service_id = feedback.service_id;
    r.card_uuid = item.card;
    r.outcome = item.outcome == hooks::Outcome::accepted ? "accepted" : "overridden";
    r.accepted_suggestions = item.accepted_suggestions;
    if (item.override_reason) {
      if (item.override_reason->reason) {
        r.override_reason_system = item.override_reason->reason->system;
        r.override_reason_code = item.override_reason->reason->code;
        r.override_reason_display = item.override_reason->reason->display;
      }
      r.user_comment = item.override_reason->user_comment;
    }
    r.outcome_timestamp = item.outcome_timestamp;
    r.received_time = received;
    r.client.iss = caller.iss;
    r.client.sub = caller.sub;
    r.client.tenant = caller.tenant;
    records.push_back(std::move(r));
  }
  return records;
}

}  // namespace vcf_cds::consult
