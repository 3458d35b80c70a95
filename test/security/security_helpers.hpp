// What the security tests share: reading the files scripts/kafka wrote for the fixture's
// cluster, and a recorder of everything a client's log and error sinks received.
#pragma once

#include <asiokafka/error.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/sinks.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asiokafka::test {

inline std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  BOOST_REQUIRE_MESSAGE(std::getline(in, line) && !line.empty(),
                        "cannot read " << path << ": the secure1 fixture did not start the cluster");
  return line;
}

inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Everything a log sink or error sink received.
struct recorder {
  std::vector<std::string> lines;
  std::vector<std::pair<asiokafka::error_code, std::string>> errors;

  asiokafka::log_sink log() {
    return [this](asiokafka::log_level, std::string_view facility, std::string_view line) {
      lines.push_back(std::string(facility) + " " + std::string(line));
    };
  }
  asiokafka::error_sink on_error() {
    return [this](const asiokafka::error_info& e) {
      errors.emplace_back(e.code, e.describe());
      lines.push_back(e.code.message() + " (" + e.describe() + ")");
    };
  }
  bool saw(int rd_error) const {
    return std::any_of(errors.begin(), errors.end(),
                       [&](const auto& e) { return e.first == asiokafka::make_kafka_error_code(rd_error); });
  }
  std::size_t lines_containing(const std::string& needle) const {
    return static_cast<std::size_t>(std::count_if(
        lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; }));
  }
};

}  // namespace asiokafka::test
