#include "app/criteria_cli.hpp"

#include "app/cli.hpp"
#include "common/text.hpp"
#include "vcf_cds/criteria.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "vcf_cds/criteria.hpp"

namespace vcf_cds::app {
namespace {

namespace po = boost::program_options;
using criteria::KnowledgeBase;
using criteria::ProcedureRow;
using criteria::Variant;

constexpr auto pad = common::pad_columns;

std::string votes(const ProcedureRow& row) {
  std::string text;
  for (std::size_t i = 0; i < row.tabulation.size(); ++i) {
    if (i) text += ' ';
    text += std::to_string(row.tabulation[i]);
  }
  return text;
}

void print_variant_table(const Variant& variant, std::ostream& out) {
  out << "Variant " << variant.number << " (" << criteria::to_string(variant.phase)
      << "): " << variant.text << "\n\n";
  out << pad("Procedure", 52) << pad("Category", 26) << pad("Rtg", 4) << pad("Med", 4)
      << pad("SOE", 17) << pad("Adult RRL", 16) << pad("Peds RRL", 16) << pad("Votes 1..9", 22)
      << "Refs\n";
  for (const auto& row : variant.rows) {
    std::string category(criteria::to_string(row.category));
    if (row.disagreement) category += " (D)";
    out << pad(row.name, 52) << pad(category, 26) << pad(std::to_string(row.rating), 4)
        << pad(std::to_string(row.median), 4) << pad(row.soe, 17) << pad(row.rrl_adult, 16)
        << pad(row.rrl_pediatric, 16) << pad(votes(row), 22) << row.references.size() << "\n";
  }
  bool any_disagreement = false;
  for (const auto& row : variant.rows) any_disagreement |= row.disagreement;
  if (any_disagreement) out << "\n(D) = the panel's ratings showed disagreement.\n";
}

void print_summary(const KnowledgeBase& kb, std::ostream& out) {
  out << kb.title << "\n"
      << kb.publisher << " — " << kb.url << "\n"
      << "knowledge version " << kb.version << " (from " << kb.source << ")\n\n";
  for (const auto& variant : kb.variants) {
    out << "Variant " << variant.number << " [" << criteria::to_string(variant.phase) << ", "
        << variant.rows.size() << " procedures] " << variant.text << "\n";
    for (const auto& row : variant.rows) {
      out << "    " << pad(std::to_string(row.rating), 3) << pad(row.name, 52)
          << criteria::to_string(row.category) << (row.disagreement ? " (Disagreement)" : "")
          << "\n";
    }
  }
}

template <class Writer>
void write_row(const ProcedureRow& row, Writer& w) {
  w.StartObject();
  w.Key("name");
  w.String(row.name);
  w.Key("category");
  w.String(criteria::to_string(row.category).data(),
           static_cast<rapidjson::SizeType>(criteria::to_string(row.category).size()));
  w.Key("disagreement");
  w.Bool(row.disagreement);
  w.Key("soe");
  w.String(row.soe);
  w.Key("rrlAdult");
  w.String(row.rrl_adult);
  w.Key("rrlPediatric");
  w.String(row.rrl_pediatric);
  w.Key("rating");
  w.Int(row.rating);
  w.Key("median");
  w.Int(row.median);
  criteria::write_row_evidence(w, row);
  w.EndObject();
}

// Prints the model as loaded (after validation), not the file: what the service believes.
void print_json(const KnowledgeBase& kb, const Variant* only, std::ostream& out) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("title");
  w.String(kb.title);
  w.Key("version");
  w.String(kb.version);
  w.Key("source");
  w.String(kb.source);
  w.Key("variants");
  w.StartArray();
  for (const auto& variant : kb.variants) {
    if (only && only != &variant) continue;
    w.StartObject();
    w.Key("number");
    w.Int(variant.number);
    w.Key("text");
    w.String(variant.text);
    w.Key("phase");
    w.String(criteria::to_string(variant.phase).data());
    w.Key("procedures");
    w.StartArray();
    for (const auto& row : variant.rows) write_row(row, w);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out << buffer.GetString() << "\n";
}

}  // namespace

int run_criteria_cli(int argc, char** argv) {
  po::options_description options("vcf-cds criteria [options]");
  options.add_options()("help,h", "show this help")(
      "knowledge", po::value<std::string>()->default_value("cards/criteria.json"),
      "knowledge base file")("variant", po::value<int>(), "print one variant (1-9) as a table")(
      "json", "print the loaded model as JSON");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vcf-cds criteria: " << e.what() << "\n" << options;
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << options;
    return kExitOk;
  }
  KnowledgeBase kb;
  try {
    kb = criteria::load_knowledge_base(vm["knowledge"].as<std::string>());
  } catch (const criteria::KnowledgeError& e) {
    std::cerr << "vcf-cds criteria: " << e.what() << "\n";
    return kExitFailure;
  }
  const Variant* only = nullptr;
  if (vm.count("variant")) {
    only = kb.variant(vm["variant"].as<int>());
    if (!only) {
      std::cerr << "vcf-cds criteria: --variant must be 1.." << kb.variants.size() << "\n";
      return kExitUsage;
    }
  }
  if (vm.count("json")) {
    print_json(kb, only, std::cout);
  } else if (only) {
    print_variant_table(*only, std::cout);
  } else {
    print_summary(kb, std::cout);
  }
  return kExitOk;
}

}  // namespace vcf_cds::app
