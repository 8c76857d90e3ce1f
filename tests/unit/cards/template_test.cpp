#include "cards/template.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using vcf_cds::cards::Template;
using vcf_cds::cards::TemplateData;
using vcf_cds::cards::TemplateError;

TEST_SUITE("cards") {
  TEST_CASE("template: variables and missing names -> substituted, missing renders empty") {
    TemplateData data;
    data.set("name", "CT").set("rating", 3);
    CHECK(Template::parse("{{name}} {{rating}}/9{{absent}}", "t").render(data) == "CT 3/9");
  }

  TEST_CASE("template: list section -> repeated with item scope and parent fallback") {
    TemplateData data;
    data.set("unit", "votes");
    data.add("rows").set("n", 1);
    data.add("rows").set("n", 2);
    CHECK(Template::parse("{{#rows}}[{{n}} {{unit}}]{{/rows}}", "t").render(data) ==
          "[1 votes][2 votes]");
  }

  TEST_CASE("template: set_list_ref -> the borrowed items are repeated; empty counts as unset") {
    std::vector<TemplateData> prepared(2);
    prepared[0].set("n", 1);
    prepared[1].set("n", 2);
    const auto t = Template::parse("{{#rows}}[{{n}} {{unit}}]{{/rows}}{{^rows}}none{{/rows}}", "t");
    TemplateData data;
    data.set("unit", "votes").set_list_ref("rows", prepared);
    CHECK(t.render(data) == "[1 votes][2 votes]");
    prepared[1].set("n", 3);  // borrowed, not copied
    CHECK(t.render(data) == "[1 votes][3 votes]");
    const std::vector<TemplateData> empty;
    TemplateData none;
    none.set_list_ref("rows", empty);
    CHECK(t.render(none) == "none");
  }

  TEST_CASE("template: render_to appends; the thread's buffer comes back empty, capacity kept") {
    TemplateData data;
    data.set("name", "CT");
    const auto t = Template::parse("[{{name}}]", "t");
    std::string& buffer = vcf_cds::cards::rendered_text_buffer();
    CHECK(buffer.empty());
    t.render_to(data, buffer);
    t.render_to(data, buffer);
    CHECK(buffer == "[CT][CT]");
    CHECK(t.render(data) == "[CT]");
    buffer.reserve(4096);
    std::string& again = vcf_cds::cards::rendered_text_buffer();
    CHECK(&again == &buffer);
    CHECK(again.empty());
    CHECK(again.capacity() >= 4096);
  }

  TEST_CASE("template: flags and inverted sections -> shown only when set or unset") {
    TemplateData on, off;
    on.set("firm", true);
    off.set("firm", false);
    const auto t = Template::parse("{{#firm}}firm{{/firm}}{{^firm}}open{{/firm}}", "t");
    CHECK(t.render(on) == "firm");
    CHECK(t.render(off) == "open");
    CHECK(t.render(TemplateData{}) == "open");
  }

  TEST_CASE("template: section tags alone on a line -> the line is removed") {
    TemplateData data;
    data.add("items").set("x", "a");
    data.add("items").set("x", "b");
    const auto t = Template::parse("head\n{{#items}}\n- {{x}}\n{{/items}}\ntail\n", "t");
    CHECK(t.render(data) == "head\n- a\n- b\ntail\n");
    CHECK(t.render(TemplateData{}) == "head\ntail\n");
  }

  TEST_CASE("template: malformed -> TemplateError names the origin") {
    CHECK_THROWS_WITH_AS(Template::parse("{{#a}}x", "detail.md"), doctest::Contains("detail.md"),
                         TemplateError);
    CHECK_THROWS_WITH_AS(Template::parse("{{#a}}x{{/b}}", "detail.md"), doctest::Contains("{{/b}}"),
                         TemplateError);
    CHECK_THROWS_AS(Template::parse("{{name", "x"), TemplateError);
    CHECK_THROWS_AS(Template::parse("{{}}", "x"), TemplateError);
  }

  TEST_CASE("template: set_ref borrows the text, set copies it") {
    std::string name = "CT";
    std::string copied = "owned";
    TemplateData data;
    data.set_ref("name", name).set("copy", copied);
    name = "MR";  // borrowed: the rendering reads it now
    copied = "changed";
    CHECK(Template::parse("{{name}} {{copy}}", "t").render(data) == "MR owned");
  }

  TEST_CASE("template: many values, short and long, survive the data growing") {
    // Short owned strings live inside their entry; they must still render after the entry list
    // has grown (and moved) several times.
    static const std::string keys[] = {"k0",  "k1",  "k2",  "k3",  "k4",  "k5",  "k6",
                                       "k7",  "k8",  "k9",  "k10", "k11", "k12", "k13",
                                       "k14", "k15", "k16", "k17", "k18", "k19"};
    TemplateData data;
    std::string text;
    std::string expected;
    for (int i = 0; i < 20; ++i) {
      const std::string value =
          i % 2 ? std::string(40, static_cast<char>('a' + i)) : "v" + std::to_string(i);
      data.set(keys[i], value);
      text += "{{" + keys[i] + "}}|";
      expected += value + "|";
    }
    CHECK(Template::parse(text, "t").render(data) == expected);
  }
}
