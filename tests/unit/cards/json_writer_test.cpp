// CardWriter::string must write exactly what RapidJSON's Writer::String writes.
#include "cards/json_writer.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>

namespace {

std::string with_rapidjson(const std::string& key, const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string with_card_writer(const std::string& key, const std::string& text) {
  rapidjson::StringBuffer buffer;
  vcf_cds::cards::CardWriter w(buffer);
  w.StartObject();
  vcf_cds::cards::key_str(w, key, text);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

TEST_SUITE("cards") {
  TEST_CASE("CardWriter: every byte escaped as RapidJSON's Writer escapes it") {
    for (int c = 1; c < 256; ++c) {  // NUL cannot be in a C string key; tested in text below
      const std::string one(1, static_cast<char>(c));
      CHECK(with_card_writer(one, "x" + one + "y") == with_rapidjson(one, "x" + one + "y"));
      // At every offset of the 8-byte scan and in the bytes after it.
      for (std::size_t at = 0; at < 20; ++at) {
        const std::string text = std::string(at, 'a') + one + std::string(10, 'b') + one;
        if (with_card_writer("k", text) != with_rapidjson("k", text)) {
          FAIL_CHECK("byte " << c << " at " << at);
        }
      }
    }
    std::string mixed = "plain \"quoted\" back\\slash\ttab\nline\x01\x1f";
    mixed += '\0';
    mixed += "end “UTF-8” ☢ █ \x7f/";
    CHECK(with_card_writer("k", mixed) == with_rapidjson("k", mixed));
    CHECK(with_card_writer("", "") == with_rapidjson("", ""));
    CHECK(with_card_writer("k", std::string(5000, 'a') + "\"") ==
          with_rapidjson("k", std::string(5000, 'a') + "\""));
    // Dense with specials: more room than guessed is pushed while writing (the buffer moves).
    CHECK(with_card_writer("k", std::string(20000, '"')) ==
          with_rapidjson("k", std::string(20000, '"')));
    CHECK(with_card_writer("k", std::string(3000, '\x01') + std::string(40, 'a')) ==
          with_rapidjson("k", std::string(3000, '\x01') + std::string(40, 'a')));
  }

  TEST_CASE("CardWriter: commas and colons between members and array items as Writer") {
    rapidjson::StringBuffer buffer;
    vcf_cds::cards::CardWriter w(buffer);
    w.StartObject();
    vcf_cds::cards::key_str(w, "a", "1");
    w.Key("b");
    w.StartArray();
    w.string("x");
    w.Int(2);
    w.string("y");
    w.EndArray();
    vcf_cds::cards::key_str(w, "c", "3");
    w.EndObject();
    CHECK(std::string(buffer.GetString(), buffer.GetSize()) ==
          R"({"a":"1","b":["x",2,"y"],"c":"3"})");
  }

  TEST_CASE("CardWriter: copying a DOM value (Accept) writes what Writer writes") {
    rapidjson::Document doc;
    doc.Parse(R"({"a":"x\"y","b\n":[1,"t\u0001",{"c":null,"d":true}],"e":2.5})");
    REQUIRE_FALSE(doc.HasParseError());
    rapidjson::StringBuffer fast_buffer;
    vcf_cds::cards::CardWriter fast(fast_buffer);
    doc.Accept(fast);
    rapidjson::StringBuffer plain_buffer;
    rapidjson::Writer<rapidjson::StringBuffer> plain(plain_buffer);
    doc.Accept(plain);
    CHECK(std::string(fast_buffer.GetString(), fast_buffer.GetSize()) ==
          std::string(plain_buffer.GetString(), plain_buffer.GetSize()));
  }
}
