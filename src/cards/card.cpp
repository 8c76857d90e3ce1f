// One card: summary, detail, suggestions, override reasons and the vcf-cds extension.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>

#include "cards/alternatives.hpp"
#include "cards/card_text.hpp"
#include "cards/clarify.hpp"
#include "cards/detail.hpp"
#include "cards/json_writer.hpp"
#include "cards/prepared_rows.hpp"
#include "vcf_cds/cards.hpp"

namespace vcf_cds::cards {
namespace {

using criteria::Category;
using criteria::Decision;
using Writer = CardWriter;  // fast string writing (cards/json_writer.hpp)

// Copies `name` from the draft order when present (subject, encounter, requester, reasons).
void copy_member(Writer& w, const rapidjson::Value& order, const char* name) {
  auto it = order.FindMember(name);
  if (it == order.MemberEnd() || it->value.IsNull()) return;
  if (it->value.IsArray() && it->value.Empty()) return;  // never emit empty optionals
  w.Key(name);
  it->value.Accept(w);
}

std::string_view order_string(const rapidjson::Value& order, const char* name) {
  auto it = order.FindMember(name);
  if (it == order.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

void write_new_order(Writer& w, const rapidjson::Value& order, const facts::Coding& code,
                     const std::string& text) {
  w.StartObject();
  const auto type = order_string(order, "resourceType");
  key_str(w, "resourceType", type.empty() ? "ServiceRequest" : type);
  key_str(w, "status", "draft");
  const auto intent = order_string(order, "intent");
  key_str(w, "intent", intent.empty() ? "order" : intent);
  w.Key("code");
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  w.StartObject();
  key_str(w, "system", code.system);
  key_str(w, "code", code.code);
  if (!code.display.empty()) key_str(w, "display", code.display);
  w.EndObject();
  w.EndArray();
  key_str(w, "text", text);
  w.EndObject();
  // FHIR element order; the clinician's context (who, where, why, which level, how urgent, and
  // their note) carries over to the alternative.
  for (const char* name : {"priority", "subject", "encounter", "requester", "reasonCode",
                           "reasonReference", "bodySite", "note"}) {
    copy_member(w, order, name);
  }
  w.EndObject();
}

bool is_order_reference(std::string_view ref) {
  return !ref.empty() && ref.back() != '/';
}

void write_delete(Writer& w, std::string_view ref, const Template& description,
                  const TemplateData& data) {
  w.StartObject();
  key_str(w, "type", "delete");
  key_rendered(w, "description", description, data);
  key_str(w, "resourceId", ref);
  w.EndObject();
}

// Views card text or the static region name.
std::string_view region_word(const CardText& text, facts::Region region) {
  if (region == facts::Region::none) return {};
  return CardText::word(text.regions, facts::to_string(region));
}

void write_suggestions(Writer& w, const RenderInput& in, const rapidjson::Value& order,
                       const Decision& d, const std::vector<Alternative>& alternatives,
                       ConsultIds& ids) {
  const auto region = suggestion_region(d);
  const auto& ref = d.procedure.order_ref;
  // Replacing needs the order's id; adding beside it does not.
  const auto offered = [&](const Alternative& a) {
    return a.code &&
           (is_order_reference(ref) || suggestion_change(*in.text, d, a) == SuggestionChange::add);
  };
  const Alternative* best = nullptr;  // ties keep the first in document order
  for (const auto& a : alternatives) {
    if (offered(a) && (best == nullptr || ranks_before(a, *best, d))) best = &a;
  }
  // A question updates the order: it needs the order's id.
  const bool asks = !d.clarifications.empty() && is_order_reference(ref);
  if (best == nullptr && !asks) return;
  const auto phase = d.headline.variant->phase;
  w.Key("suggestions");
  w.StartArray();
  for (const auto& a : alternatives) {
    if (!offered(a)) continue;
    const std::string uuid = in.new_uuid();
    ids.suggestion_uuids.push_back(uuid);
    const auto change = suggestion_change(*in.text, d, a);
    TemplateData data;  // borrows from the knowledge base, card text and decision
    data.reserve(7);
    data.set_ref("procedure", a.row->name)
        .set_ref("region", region_word(*in.text, a.regional ? region : facts::Region::none))
        .set_ref("category", criteria::to_string(a.row->category))
        .set("rating", a.row->rating)
        .set_ref("order", ref)
        .set_ref("ordered", d.headline.row->name)
        .set_ref("kind", CardText::word(in.text->service_kind_words,
                                        service_kind(*in.text, *a.row, phase)));
    const Template& label = change == SuggestionChange::add ? in.text->suggestion_label_add
                            : change == SuggestionChange::replace_other_kind
                                ? in.text->suggestion_label_other_kind
                                : in.text->suggestion_label;
    w.StartObject();
    key_rendered(w, "label", label, data);
    key_str(w, "uuid", uuid);
    if (&a == best) {
      w.Key("isRecommended");
      w.Bool(true);
    }
    w.Key("actions");
    w.StartArray();
    if (change != SuggestionChange::add) {
      TemplateData removed;
      removed.set_ref("order", ref).set_ref("procedure", d.headline.row->name);
      write_delete(w, ref, in.text->delete_description, removed);
      // CT myelography's injection (62284) is part of the replaced study.
      for (const auto& paired : d.procedure.paired_orders) {
        if (!is_order_reference(paired)) continue;
        TemplateData injection;
        injection.set_ref("order", paired).set_ref("procedure", d.headline.row->name);
        write_delete(w, paired, in.text->delete_paired_description, injection);
      }
    }
    w.StartObject();
    key_str(w, "type", "create");
    key_rendered(w, "description", in.text->create_description, data);
    w.Key("resource");
    std::string code_text = a.row->name;
    if (a.regional) {
      code_text += " (";
      code_text += region_word(*in.text, region);
      code_text += ')';
    }
    write_new_order(w, order, *a.code, code_text);
    w.EndObject();
    w.EndArray();
    w.EndObject();
  }
  if (asks) write_clarifications(w, in, order, d, ids);  // the same at-most-one choice
  w.EndArray();
  key_str(w, "selectionBehavior", "at-most-one");
}

void write_extension(Writer& w, const Decision& d, const ConsultIds& ids, const RowParts& parts) {
  const auto& row = *d.headline.row;
  w.Key("extension");
  w.StartObject();
  w.Key("vcf-cds");
  w.StartObject();
  key_str(w, "order", d.procedure.order_ref);
  w.Key("variant");
  w.Int(d.headline.variant->number);
  key_str(w, "procedure", row.name);
  key_str(w, "category", criteria::to_string(row.category));
  w.Key("disagreement");
  w.Bool(row.disagreement);
  w.Key("rating");
  w.Int(row.rating);
  w.Key("median");
  w.Int(row.median);
  key_str(w, "soe", row.soe);
  w.Key("rrl");
  w.StartObject();
  key_str(w, "population", d.facts.pediatric ? "pediatric" : "adult");
  key_str(w, "value", d.facts.pediatric ? row.rrl_pediatric : row.rrl_adult);
  w.EndObject();
  w.raw_members(parts.evidence_members, 2);  // tabulation, references
  key_str(w, "consultId", ids.consult_id);
  w.Key("otherVariants");
  w.StartArray();
  for (const auto& other : d.other_variants) {
    w.StartObject();
    w.Key("variant");
    w.Int(other.variant->number);
    key_str(w, "category", criteria::to_string(other.row->category));
    w.Key("rating");
    w.Int(other.row->rating);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string write_card(const RenderInput& in, const rapidjson::Value& order, const Decision& d,
                       ConsultIds& ids) {
  const CardText& text = *in.text;
  const auto alternatives =
      usually_appropriate_alternatives(d, *in.terminology, suggestion_region(d));
  ids.card_uuid = in.new_uuid();
  const RowParts* parts = in.prepared != nullptr ? in.prepared->find(d.headline.row) : nullptr;
  std::optional<RowParts> built;
  if (parts == nullptr) parts = &built.emplace(prepare_row(*d.headline.row, text));

  rapidjson::StringBuffer buffer(nullptr, 16 * 1024);  // a card is ~8 KB: grow rarely
  Writer w(buffer);
  w.StartObject();
  key_str(w, "uuid", ids.card_uuid);
  key_str(w, "summary", render_summary(text, d));
  key_str(w, "indicator",
          CardText::word(text.indicator, criteria::to_string(d.headline.row->category)));
  const std::vector<hooks::PartialRead> no_partial_reads;
  const auto& partial = in.request != nullptr ? in.request->data.partial : no_partial_reads;
  // A record read only in part is said in the full detail, never hidden behind a short card.
  if (short_card(d) && partial.empty()) {
    TemplateData row;
    row.reserve(5);
    row.set_ref("procedure", d.headline.row->name)
        .set_ref("category", criteria::to_string(d.headline.row->category))
        .set("rating", d.headline.row->rating)
        .set("variant", d.headline.variant->number)
        .set_ref("situation", text.situation(d.headline.variant->number));
    key_rendered(w, "detail", text.short_detail, row);
  } else {
    std::string& detail = rendered_text_buffer();
    render_detail(text, d, alternatives, *parts, detail, partial);
    key_str(w, "detail", detail);
  }
  w.Key("source");
  w.StartObject();
  key_str(w, "label", text.source_label);
  key_str(w, "url", text.source_url);
  w.EndObject();
  w.Key("links");
  w.StartArray();
  w.StartObject();
  key_str(w, "label", text.evidence_link_label);
  key_str(w, "url",
          in.settings.evidence_base +
              criteria::evidence_path(d.headline.variant->number, d.headline.row->name));
  key_str(w, "type", "absolute");
  w.EndObject();
  w.EndArray();
  // Alternatives only for an order that is not Usually appropriate; questions for any.
  static const std::vector<Alternative> kNone;
  write_suggestions(
      w, in, order, d,
      d.headline.row->category != Category::usually_appropriate ? alternatives : kNone, ids);
  w.Key("overrideReasons");
  w.StartArray();
  const std::string system = in.settings.canonical_base + "/CodeSystem/vcf-cds";
  for (const auto& reason : text.override_reasons) {
    w.StartObject();
    key_str(w, "code", reason.code);
    key_str(w, "system", system);
    key_str(w, "display", reason.display);
    w.EndObject();
  }
  w.EndArray();
  write_extension(w, d, ids, *parts);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace vcf_cds::cards
