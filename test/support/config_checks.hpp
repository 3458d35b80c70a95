// Checks shared by the config composer's unit tests.
#pragma once

#include <asiokafka/config/config_error.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string_view>

namespace asiokafka::test {

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

/// Runs `f`, which must throw config_error; returns it (its message goes to the test log).
template <class F>
config_error expect_config_error(F&& f) {
  try {
    f();
  } catch (const config_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return e;
  }
  BOOST_FAIL("expected asiokafka::config_error");
  throw std::logic_error("unreachable");
}

}  // namespace asiokafka::test
