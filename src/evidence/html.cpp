// HTML of the evidence pages. The panel's votes are drawn as an inline SVG bar chart, so the page
// needs no script and no external resource (its Content-Security-Policy allows none).
#include "evidence/html.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace vcf_cds::evidence {
namespace {

using criteria::KnowledgeBase;
using criteria::ProcedureRow;
using criteria::Variant;

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1b1b;line-height:1.45}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}"
    "table{border-collapse:collapse}td,th{padding:.25rem .6rem;text-align:left;"
    "border-bottom:1px solid #ddd;vertical-align:top}.muted{color:#555}"
    ".ua{color:#176117}.mba{color:#7a5b00}.una{color:#a11d1d}";

std::string open_page(std::string_view title) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>{}</title><style>{}</style></head><body>\n",
      escape(title), kStyle);
}

std::string close_page(const KnowledgeBase& kb) {
  return fmt::format(
      "<p class=\"muted\">{} — {}. Source: <a href=\"{}\">{}</a>. Knowledge version "
      "<code>{}</code>. This page holds the published criteria only, never patient data.</p>\n"
      "</body></html>\n",
      escape(kb.title), escape(kb.publisher), escape(kb.url), escape(kb.url), escape(kb.version));
}

std::string_view category_class(criteria::Category category) {
  switch (category) {
    case criteria::Category::usually_appropriate:
      return "ua";
    case criteria::Category::may_be_appropriate:
      return "mba";
    case criteria::Category::usually_not_appropriate:
      break;
  }
  return "una";
}

// Nine bars, one per rating 1..9, heights proportional to the votes.
std::string votes_svg(const ProcedureRow& row) {
  const int most = std::max(1, *std::max_element(row.tabulation.begin(), row.tabulation.end()));
  constexpr int kBar = 28;
  constexpr int kGap = 8;
  constexpr int kHeight = 120;
  std::string svg = fmt::format(
      "<svg role=\"img\" aria-label=\"Panel votes for ratings 1 to 9\" width=\"{}\" "
      "height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\" "
      "font-family=\"sans-serif\">",
      9 * (kBar + kGap), kHeight + 36);
  for (int i = 0; i < 9; ++i) {
    const int votes = row.tabulation[static_cast<std::size_t>(i)];
    const int height = votes * kHeight / most;
    const int x = i * (kBar + kGap);
    const std::string_view fill = i < 3 ? "#c0392b" : (i < 6 ? "#d4a017" : "#2e8b57");
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>rating {}: {} "
        "votes</title></rect><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        x, 12 + kHeight - height, kBar, height, fill, i + 1, votes, x + kBar / 2,
        10 + kHeight - height, votes, x + kBar / 2, kHeight + 28, i + 1);
  }
  svg += "</svg>";
  return svg;
}

std::string references_html(const ProcedureRow& row, const cards::CardText& text) {
  if (row.references.empty()) return "<p>No references listed for this row.</p>\n";
  std::string out = "<ol class=\"refs\">\n";
  for (const auto& ref : row.references) {
    const std::string url = cards::pubmed_link(text, ref.pmid);
    const std::string pmid =
        url.empty() ? fmt::format("PMID {}", escape(ref.pmid))
                    : fmt::format("<a href=\"{}\">PMID {}</a>", escape(url), escape(ref.pmid));
    // The list number is the citation number of the ACR document.
    out += fmt::format("<li value=\"{}\">{} (study quality {})</li>\n", ref.n, pmid,
                       escape(ref.quality));
  }
  return out + "</ol>\n";
}

std::string rrl_cell(std::string_view rrl, const cards::CardText& text) {
  return fmt::format("{} <span class=\"muted\">({})</span>", escape(rrl),
                     escape(cards::rrl_meaning(text, rrl)));
}

}  // namespace

std::string index_html(const KnowledgeBase& kb) {
  std::string out = open_page(kb.title);
  out += fmt::format("<h1>{}</h1>\n<ul>\n", escape(kb.title));
  for (const auto& variant : kb.variants) {
    out += fmt::format("<li><a href=\"{}\">Variant {}</a>: {}</li>\n",
                       escape(criteria::variant_path(variant.number)), variant.number,
                       escape(variant.text));
  }
  return out + "</ul>\n" + close_page(kb);
}

std::string variant_html(const KnowledgeBase& kb, const Variant& variant) {
  std::string out = open_page(fmt::format("Variant {} — {}", variant.number, kb.title));
  out += fmt::format(
      "<p><a href=\"{}\">{}</a></p>\n<h1>Variant {}</h1>\n<p>{}</p>\n"
      "<table><tr><th>Procedure</th><th>Appropriateness</th><th>Rating</th></tr>\n",
      escape(criteria::kEvidencePath), escape(kb.title), variant.number, escape(variant.text));
  for (const auto& row : variant.rows) {
    out += fmt::format(
        "<tr><td><a href=\"{}\">{}</a></td><td class=\"{}\">{}{}</td><td>{}/9</td></tr>\n",
        escape(criteria::evidence_path(variant.number, row.name)), escape(row.name),
        category_class(row.category), escape(criteria::to_string(row.category)),
        row.disagreement ? " (Disagreement)" : "", row.rating);
  }
  return out + "</table>\n" + close_page(kb);
}

std::string row_html(const KnowledgeBase& kb, const Variant& variant, const ProcedureRow& row,
                     const cards::CardText& text) {
  std::string out = open_page(fmt::format("{} — variant {}", row.name, variant.number));
  out += fmt::format(
      "<p><a href=\"{}\">{}</a> › <a href=\"{}\">Variant {}</a></p>\n<h1>{}</h1>\n"
      "<p>Variant {}: {}</p>\n",
      escape(criteria::kEvidencePath), escape(kb.title),
      escape(criteria::variant_path(variant.number)), variant.number, escape(row.name),
      variant.number, escape(variant.text));
  out += fmt::format(
      "<table>\n<tr><th>Appropriateness</th><td class=\"{}\">{}{}</td></tr>\n"
      "<tr><th>Rating</th><td>{}/9</td></tr>\n<tr><th>Median panel rating</th><td>{}</td></tr>\n"
      "<tr><th>Strength of evidence</th><td>{}</td></tr>\n"
      "<tr><th>Relative radiation level, {}</th><td>{}</td></tr>\n"
      "<tr><th>Relative radiation level, {}</th><td>{}</td></tr>\n</table>\n",
      category_class(row.category), escape(criteria::to_string(row.category)),
      row.disagreement ? " (panel disagreement)" : "", row.rating, row.median, escape(row.soe),
      escape(cards::word(text, cards::WordList::population, "adult")),
      rrl_cell(row.rrl_adult, text),
      escape(cards::word(text, cards::WordList::population, "pediatric")),
      rrl_cell(row.rrl_pediatric, text));
  out += "<h2>Panel votes</h2>\n" + votes_svg(row) + "\n";
  out += "<h2>References</h2>\n" + references_html(row, text);
  return out + close_page(kb);
}

std::string not_found_html(const KnowledgeBase& kb) {
  return open_page("Not found") +
         fmt::format(
             "<h1>Not found</h1><p>No variant or procedure row at this path. See <a "
             "href=\"{}\">the criteria</a>.</p>\n",
             escape(criteria::kEvidencePath)) +
         close_page(kb);
}

}  // namespace vcf_cds::evidence
