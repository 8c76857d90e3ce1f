// A small Mustache subset for card text held as data under cards/templates/.
//
// Supports {{name}} (dotted names are plain keys), {{#name}}…{{/name}} (repeat over a list, or
// show when a flag/text is set) and {{^name}}…{{/name}} (show when unset/empty). Section tags
// alone on a line take the line with them, so Markdown stays tidy. No escaping is done here:
// values from patient data are escaped by the caller (cards/markdown.hpp) before they are set.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vcf_cds::cards {

class TemplateData {
 public:
  TemplateData& set(std::string key, std::string value);
  TemplateData& set(std::string key, bool flag);
  TemplateData& set(std::string key, int value) { return set(std::move(key), std::to_string(value)); }
  TemplateData& set(std::string key, const char* value) { return set(std::move(key), std::string(value)); }
  // Appends an item to the list `key` (created on first use) and returns it to fill.
  TemplateData& add(std::string_view key);

  struct Entry {
    std::string key;
    std::string text;
    bool flag = false;
    std::vector<TemplateData> items;
    bool is_list = false;
  };
  const Entry* find(std::string_view key) const;

 private:
  Entry& entry(std::string key);
  std::vector<Entry> entries_;
};

class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parsed once at load; rendering is a walk over the node list.
class Template {
 public:
  // Throws TemplateError naming `origin` on unbalanced or malformed tags.
  static Template parse(std::string_view text, std::string origin);
  std::string render(const TemplateData& data) const;

  struct Node;

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
};

}  // namespace vcf_cds::cards
