// The CDS Hooks response: cards, suggestions and PAMA system actions (CONTRACT §5).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cards/card_text.hpp"
#include "cards/detail.hpp"
#include "cards/json_writer.hpp"
#include "cards/pama.hpp"
#include "vcf_cds/cards.hpp"

namespace vcf_cds::cards {
namespace {

using criteria::Category;
using criteria::Decision;
using criteria::Outcome;
using Writer = CardWriter;  // fast string writing (cards/json_writer.hpp)

void write_system_action(Writer& w, const RenderInput& in, const rapidjson::Value& order,
                         const Decision& d, const std::string& consult_id) {
  TemplateData data;
  data.set_ref("order", d.procedure.order_ref).set_ref("pamaRating", pama_code(d));
  w.StartObject();
  key_str(w, "type", "update");
  key_rendered(w, "description", in.text->update_description, data);
  w.Key("resource");
  write_rated_order(w, in, order, d, consult_id);
  w.EndObject();
}

}  // namespace

std::string write_card(const RenderInput& in, const rapidjson::Value& order, const Decision& d,
                       ConsultIds& ids);

Rendered render(const RenderInput& in) {
  Rendered out;
  const auto& decisions = *in.decisions;
  // Decisions that get a PAMA system action, with their consult's index: advanced diagnostic
  // imaging only (PAMA's AUC cover MRI, CT, nuclear medicine and PET; a treatment or referral
  // order gets its card and no pama-rating extensions).
  std::vector<std::pair<std::size_t, std::size_t>> acted;
  std::size_t cards_size = 0;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const Decision& d = decisions[i];
    if (d.outcome == Outcome::not_applicable) continue;
    ConsultIds ids;
    ids.order_ref = d.procedure.order_ref;
    ids.consult_id = "urn:uuid:" + in.new_uuid();
    if (d.procedure.advanced_imaging) ids.pama_rating = pama_code(d);
    if (i < in.repeat_of.size()) ids.repeat_of = in.repeat_of[i];
    // A site may silence firm Usually appropriate answers: no card, the PAMA rating still sent.
    const bool quiet =
        in.settings.quiet_when_appropriate && d.outcome == Outcome::rated && short_card(d);
    if (d.outcome == Outcome::rated && ids.repeat_of.empty() && !quiet) {
      ids.card_json = write_card(in, *in.orders[i], d, ids);
      cards_size += ids.card_json.size() + 1;
    }
    if (d.procedure.advanced_imaging) acted.emplace_back(i, out.consults.size());
    out.consults.push_back(std::move(ids));
  }

  // Actions once, then reused: top-level (CDS Hooks 2.0) and extension (Argonaut, Sandbox).
  rapidjson::StringBuffer actions_buffer(nullptr, 4096);
  if (!acted.empty()) {
    Writer aw(actions_buffer);
    aw.StartArray();
    for (const auto& [decision, consult] : acted) {
      write_system_action(aw, in, *in.orders[decision], decisions[decision],
                          out.consults[consult].consult_id);
    }
    aw.EndArray();
  }
  const std::string_view actions(actions_buffer.GetString(), actions_buffer.GetSize());

  // The envelope is fixed, so it is written as text around the finished cards and actions (what
  // a Writer with RawValue produced, without copying every byte through it again).
  std::string& body = out.body;
  body.reserve(cards_size + 2 * actions.size() + 80);
  body += R"({"cards":[)";
  bool first = true;
  for (const auto& consult : out.consults) {
    if (consult.card_json.empty()) continue;  // no-criteria-apply: PAMA rating only
    if (!first) body += ',';
    body += consult.card_json;
    first = false;
  }
  body += ']';
  if (!acted.empty()) {
    body += R"(,"systemActions":)";
    body += actions;
    body += R"(,"extension":{"systemActions":)";
    body += actions;
    body += '}';
  }
  body += '}';
  return out;
}

}  // namespace vcf_cds::cards
