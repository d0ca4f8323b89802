// EnumNames: the one table between an enum and the words plan.json writes for it, read both ways
// (name to write, parse to read back, refusing any other word), so a value the writer would never
// write cannot enter through the reader.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbs {

template <class Enum, std::size_t N>
struct EnumNames {
  std::array<std::pair<Enum, const char*>, N> entries;

  constexpr const char* name(Enum value) const {
    for (const auto& [e, word] : entries)
      if (e == value) return word;
    return "";
  }
  std::optional<Enum> parse(std::string_view word) const {
    for (const auto& [e, w] : entries)
      if (word == w) return e;
    return std::nullopt;
  }
  // Every word, in the table's order: the keys a JSON object per value has, the choices of an option.
  std::vector<std::string> words() const {
    std::vector<std::string> out;
    for (const auto& entry : entries) out.emplace_back(entry.second);
    return out;
  }
  // "\"a\", \"b\" or \"c\"": for an error message naming what is accepted.
  std::string alternatives() const {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
      if (i > 0) out += i + 1 == N ? " or " : ", ";
      out += std::string("\"") + entries[i].second + "\"";
    }
    return out;
  }
};

}  // namespace dbs
