#include "cards/template.hpp"

#include <algorithm>

namespace vcf_cds::cards {

struct Template::Node {
  enum class Kind { text, variable, section, inverted } kind = Kind::text;
  std::string value;  // text, or the key
  std::vector<Node> children;
};

namespace {

using Node = Template::Node;

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; });
}

struct Parser {
  std::string_view text;
  std::string origin;
  std::size_t pos = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw TemplateError(origin + ": " + what + " at offset " + std::to_string(pos));
  }

  // Parses until {{/closing}} (or end when closing is empty).
  std::vector<Node> parse_until(std::string_view closing) {
    std::vector<Node> nodes;
    while (pos < text.size()) {
      const std::size_t open = text.find("{{", pos);
      if (open == std::string_view::npos) {
        nodes.push_back({Node::Kind::text, std::string(text.substr(pos)), {}});
        pos = text.size();
        break;
      }
      const std::size_t close = text.find("}}", open + 2);
      if (close == std::string_view::npos) fail("unterminated tag");
      const std::string_view tag = text.substr(open + 2, close - open - 2);
      if (tag.empty()) fail("empty tag");
      const char sigil = tag.front();
      const bool structural = sigil == '#' || sigil == '^' || sigil == '/';

      std::string_view before = text.substr(pos, open - pos);
      std::size_t after = close + 2;
      if (structural) {
        // A section tag alone on its line removes the whole line.
        const std::size_t nl = open == 0 ? std::string_view::npos : text.rfind('\n', open - 1);
        const std::size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
        const std::size_t eol = text.find('\n', after);
        const std::size_t line_end = eol == std::string_view::npos ? text.size() : eol;
        if (line_start >= pos && is_blank(text.substr(line_start, open - line_start)) &&
            is_blank(text.substr(after, line_end - after))) {
          before.remove_suffix(open - line_start);
          after = eol == std::string_view::npos ? text.size() : eol + 1;
        }
      }
      if (!before.empty()) nodes.push_back({Node::Kind::text, std::string(before), {}});
      pos = after;

      const std::string key(structural ? tag.substr(1) : tag);
      if (sigil == '/') {
        if (key != closing) fail("unexpected {{/" + key + "}}");
        return nodes;
      }
      if (sigil == '#' || sigil == '^') {
        Node section{sigil == '#' ? Node::Kind::section : Node::Kind::inverted, key, {}};
        section.children = parse_until(key);
        nodes.push_back(std::move(section));
      } else {
        nodes.push_back({Node::Kind::variable, key, {}});
      }
    }
    if (!closing.empty()) fail("missing {{/" + std::string(closing) + "}}");
    return nodes;
  }
};

// Literal text of the nodes, sections counted once.
std::size_t literal_size(const std::vector<Node>& nodes) {
  std::size_t size = 0;
  for (const auto& node : nodes) size += node.value.size() + literal_size(node.children);
  return size;
}

const TemplateData::Entry* lookup(const std::vector<const TemplateData*>& scopes,
                                  std::string_view key) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    if (const auto* entry = (*it)->find(key)) return entry;
  }
  return nullptr;
}

bool truthy(const TemplateData::Entry* entry) {
  if (entry == nullptr) return false;
  if (entry->is_list) return !entry->list().empty();
  return entry->flag || !entry->text().empty();
}

void render_nodes(const std::vector<Node>& nodes, std::vector<const TemplateData*>& scopes,
                  std::string& out) {
  for (const auto& node : nodes) {
    switch (node.kind) {
      case Node::Kind::text:
        out += node.value;
        break;
      case Node::Kind::variable:
        if (const auto* entry = lookup(scopes, node.value); entry && !entry->is_list) {
          out += entry->text();
        }
        break;
      case Node::Kind::section: {
        const auto* entry = lookup(scopes, node.value);
        if (!truthy(entry)) break;
        if (entry->is_list) {
          for (const auto& item : entry->list()) {
            scopes.push_back(&item);
            render_nodes(node.children, scopes, out);
            scopes.pop_back();
          }
        } else {
          render_nodes(node.children, scopes, out);
        }
        break;
      }
      case Node::Kind::inverted:
        if (!truthy(lookup(scopes, node.value))) render_nodes(node.children, scopes, out);
        break;
    }
  }
}

}  // namespace

TemplateData::Entry& TemplateData::entry(std::string_view key) {
  for (auto& e : entries_) {
    if (e.key == key) return e;
  }
  if (entries_.capacity() == 0) entries_.reserve(4);  // list items hold 2-4 values
  entries_.push_back(Entry{key, {}, {}, false, false, {}, nullptr, false});
  return entries_.back();
}

TemplateData& TemplateData::set(std::string_view key, std::string value) {
  auto& e = entry(key);
  e.owned = std::move(value);
  e.is_borrowed = false;
  e.flag = !e.owned.empty();
  return *this;
}

TemplateData& TemplateData::set_ref(std::string_view key, std::string_view text) {
  auto& e = entry(key);
  e.borrowed = text;
  e.is_borrowed = true;
  e.flag = !text.empty();
  return *this;
}

TemplateData& TemplateData::set(std::string_view key, bool flag) {
  auto& e = entry(key);
  e.flag = flag;
  e.borrowed = flag ? "true" : "";
  e.is_borrowed = true;
  return *this;
}

TemplateData& TemplateData::add(std::string_view key) {
  auto& e = entry(key);
  e.is_list = true;
  e.borrowed_items = nullptr;
  return e.items.emplace_back();
}

TemplateData& TemplateData::set_list_ref(std::string_view key,
                                         const std::vector<TemplateData>& items) {
  auto& e = entry(key);
  e.is_list = true;
  e.items.clear();
  e.borrowed_items = &items;
  return *this;
}

const TemplateData::Entry* TemplateData::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

Template Template::parse(std::string_view text, std::string origin) {
  Parser parser{text, std::move(origin)};
  Template result;
  result.nodes_ = std::make_shared<const std::vector<Node>>(parser.parse_until({}));
  result.text_size_ = literal_size(*result.nodes_);
  return result;
}

std::string Template::render(const TemplateData& data) const {
  std::string out;
  out.reserve(text_size_ + text_size_ / 2);  // values and repeated sections on top of the text
  render_to(data, out);
  return out;
}

void Template::render_to(const TemplateData& data, std::string& out) const {
  // One scope stack per thread, kept with its capacity: a card renders a dozen templates (labels,
  // descriptions, each fact's date), and a fresh stack allocated for each. Rendering never
  // starts another rendering, so the stack is free here.
  thread_local std::vector<const TemplateData*> scopes;
  scopes.assign(1, &data);
  if (nodes_) render_nodes(*nodes_, scopes, out);
}

std::string& rendered_text_buffer() {
  thread_local std::string buffer;
  buffer.clear();
  return buffer;
}

}  // namespace vcf_cds::cards
