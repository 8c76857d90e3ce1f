#include "facts/codes.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace vcf_cds::facts {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `width` digits at `pos`; nullopt otherwise.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (text.size() < pos + width) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!is_digit(text[i])) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool contains_word(std::string_view haystack, std::string_view word) {
  return haystack.find(word) != std::string_view::npos;
}

// "t12", "l1", "c7", "th12" at a word start, with a level in the region's range.
Region vertebra_label(std::string_view lowered) {
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    if (i > 0 && std::isalnum(static_cast<unsigned char>(lowered[i - 1]))) continue;
    const char letter = lowered[i];
    std::size_t pos = i + 1;
    if (letter == 't' && pos < lowered.size() && lowered[pos] == 'h') ++pos;
    std::size_t end = pos;
    while (end < lowered.size() && end < pos + 2 && is_digit(lowered[end])) ++end;
    if (end == pos) continue;
    if (end < lowered.size() && std::isalnum(static_cast<unsigned char>(lowered[end]))) continue;
    const int level = *digits(lowered, pos, end - pos);
    if (letter == 'c' && level >= 1 && level <= 7) return Region::cervical;
    if (letter == 't' && level >= 1 && level <= 12) return Region::thoracic;
    if (letter == 'l' && level >= 1 && level <= 5) return Region::lumbar;
  }
  return Region::none;
}

template <class E, std::size_t N>
std::optional<E> from_names(std::string_view text, const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 5> kRegionNames = {"none", "cervical", "thoracic", "lumbar",
                                                          "whole_body"};
constexpr std::array<std::string_view, 5> kContrastNames = {"none", "without", "with",
                                                            "without_and_with", "intrathecal"};
constexpr std::array<std::string_view, kFactKindCount> kFactKindNames = {"vcf",
                                                                         "osteoporotic",
                                                                         "pathological_vcf",
                                                                         "bone_malignancy",
                                                                         "malignancy",
                                                                         "back_pain",
                                                                         "asymptomatic",
                                                                         "prior_augmentation",
                                                                         "prior_spine_surgery",
                                                                         "deformity_or_pulmonary",
                                                                         "edema_or_cleft",
                                                                         "worsening_pain",
                                                                         "edema_or_cleft_absent",
                                                                         "worsening_pain_absent"};

}  // namespace

void append_normalized(std::string& out, std::string_view code, bool icd) {
  code = trim(code);
  if (!icd) {
    out.append(code);
    return;
  }
  for (char c : code) {
    if (c == '.') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
}

std::string icd_without_extension(std::string_view code) {
  std::string normalized;
  append_normalized(normalized, code, true);
  if (normalized.size() == 7) normalized.pop_back();  // the 7th character is the encounter
  return normalized;
}

std::optional<std::chrono::sys_days> parse_fhir_date(std::string_view text) {
  using namespace std::chrono;
  const auto y = digits(text, 0, 4);
  if (!y) return std::nullopt;
  unsigned month = 1;
  unsigned day = 1;
  if (text.size() > 4) {
    const auto m = text[4] == '-' ? digits(text, 5, 2) : std::nullopt;
    if (!m) return std::nullopt;
    month = static_cast<unsigned>(*m);
    if (text.size() > 7) {
      const auto d = text[7] == '-' ? digits(text, 8, 2) : std::nullopt;
      if (!d) return std::nullopt;
      day = static_cast<unsigned>(*d);
      if (text.size() > 10 && text[10] != 'T') return std::nullopt;
    }
  }
  const year_month_day ymd{year{*y}, std::chrono::month{month}, std::chrono::day{day}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

int age_in_years(std::chrono::sys_days birth, std::chrono::sys_days today) {
  using namespace std::chrono;
  const year_month_day b{birth};
  const year_month_day t{today};
  int years = static_cast<int>(t.year()) - static_cast<int>(b.year());
  if (t.month() < b.month() || (t.month() == b.month() && t.day() < b.day())) --years;
  return years < 0 ? 0 : years;
}

Region region_from_text(std::string_view text) {
  std::string lowered;
  lowered.reserve(std::min<std::size_t>(text.size(), 256));
  for (char c : text.substr(0, 256)) lowered += lower(c);
  // Thoracolumbar is read as thoracic, like ICD-10-CM M48.55 in ValueSet-region-thoracic.json.
  if (contains_word(lowered, "cervical")) return Region::cervical;
  if (contains_word(lowered, "thora")) return Region::thoracic;
  if (contains_word(lowered, "lumb") || contains_word(lowered, "sacr")) return Region::lumbar;
  return vertebra_label(lowered);
}

std::optional<Region> region_from_string(std::string_view text) {
  return from_names<Region>(text, kRegionNames);
}

std::optional<Contrast> contrast_from_string(std::string_view text) {
  return from_names<Contrast>(text, kContrastNames);
}

std::optional<FactKind> fact_kind_from_string(std::string_view text) {
  return from_names<FactKind>(text, kFactKindNames);
}

std::string_view to_string(Region region) {
  const auto index = static_cast<std::size_t>(region);
  return index < kRegionNames.size() ? kRegionNames[index] : "none";
}

std::string_view to_string(Contrast contrast) {
  const auto index = static_cast<std::size_t>(contrast);
  return index < kContrastNames.size() ? kContrastNames[index] : "none";
}

std::string_view to_string(Tri value) {
  switch (value) {
    case Tri::present:
      return "present";
    case Tri::absent:
      return "absent";
    case Tri::unknown:
      break;
  }
  return "unknown";
}

std::string_view to_string(FactKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kFactKindNames.size() ? kFactKindNames[index] : "unknown";
}

}  // namespace vcf_cds::facts
