// A small Mustache subset for card text held as data under cards/templates/.
//
// Supports {{name}} (dotted names are plain keys), {{#name}}…{{/name}} (repeat over a list, or
// show when a flag/text is set) and {{^name}}…{{/name}} (show when unset/empty). Section tags
// alone on a line take the line with them, so Markdown stays tidy. No escaping is done here:
// values from patient data are escaped by the caller (cards/markdown.hpp) before they are set.
// Not kainjow::mustache: Debian 12's 4.1 keeps the line of a standalone section tag whose section
// is not shown, and counts empty text as set (README, "Libraries and why").
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vcf_cds::cards {

// Values for one rendering. Keys are placeholder names, in practice string literals: they are
// kept as views and must outlive the data. Text given as std::string (or a number, a literal) is
// owned; set_ref borrows text that outlives the rendering (knowledge base rows, card text, the
// decision), so building a card's data copies little.
class TemplateData {
 public:
  TemplateData& set(std::string_view key, std::string value);
  TemplateData& set(std::string_view key, const char* value) {
    return set(key, std::string(value));
  }
  TemplateData& set(std::string_view key, bool flag);
  TemplateData& set(std::string_view key, int value) { return set(key, std::to_string(value)); }
  TemplateData& set_ref(std::string_view key, std::string_view text);
  // Room for `entries` values before the first reallocation (which moves every entry); without
  // it a data starts with room for 4, what a list item holds.
  void reserve(std::size_t entries) { entries_.reserve(entries); }
  // Appends an item to the list `key` (created on first use) and returns it to fill.
  TemplateData& add(std::string_view key);
  // Makes `key` the list `items`, borrowed: prepared once (cards/prepared_rows.hpp) and outliving
  // the rendering.
  TemplateData& set_list_ref(std::string_view key, const std::vector<TemplateData>& items);

  struct Entry {
    std::string_view key;
    std::string owned;          // the text, unless borrowed
    std::string_view borrowed;  // the text when set with set_ref
    bool is_borrowed = false;
    bool flag = false;
    std::vector<TemplateData> items;
    const std::vector<TemplateData>* borrowed_items = nullptr;  // set by set_list_ref
    bool is_list = false;
    // Not a stored view of `owned`: a short string moves with its Entry.
    std::string_view text() const { return is_borrowed ? borrowed : std::string_view(owned); }
    const std::vector<TemplateData>& list() const {
      return borrowed_items != nullptr ? *borrowed_items : items;
    }
  };
  const Entry* find(std::string_view key) const;

 private:
  Entry& entry(std::string_view key);
  std::vector<Entry> entries_;
};

// This thread's buffer for text rendered only to be copied into a card at once, emptied on each
// call: it keeps its capacity, so steady-state rendering allocates nothing (a card's templates
// grew fresh strings ~40 times per request). Finish with one text before asking again.
std::string& rendered_text_buffer();

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
  // Appends the rendering to `out` (e.g. a reused buffer: rendered_text_buffer()).
  void render_to(const TemplateData& data, std::string& out) const;

  struct Node;

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
  std::size_t text_size_ = 0;  // literal text in the template: the output's size, roughly
};

}  // namespace vcf_cds::cards
