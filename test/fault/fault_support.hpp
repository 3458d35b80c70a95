// What the fault tests share: the bootstrap address of their cluster, and the tally of
// handled sequence numbers into produced / handled / lost / duplicated.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace asiokafka::test {

/// The bootstrap address of the cluster `name` whose state scripts/kafka keeps under `state_dir`.
inline std::string cluster_bootstrap(const std::string& state_dir, const std::string& name) {
  const std::string path = state_dir + "/" + name + "/bootstrap";
  std::ifstream in(path);
  std::string bootstrap;
  BOOST_REQUIRE_MESSAGE(std::getline(in, bootstrap) && !bootstrap.empty(),
                        "no bootstrap address in " << path << ": the " << name << " fixture did not start it");
  return bootstrap;
}

struct delivery_counts {
  std::int64_t produced = 0;
  std::int64_t handled = 0;  // distinct
  std::int64_t lost = 0;
  std::int64_t duplicated = 0;
};

/// `times[seq]` is how often sequence number seq was handled, for seq in [0, produced).
inline delivery_counts tally(const std::vector<std::uint16_t>& times, std::int64_t produced) {
  delivery_counts c;
  c.produced = produced;
  for (std::int64_t seq = 0; seq < produced; ++seq) {
    const auto t = times[static_cast<std::size_t>(seq)];
    if (t == 0)
      ++c.lost;
    else
      ++c.handled;
    if (t > 1) c.duplicated += t - 1;
  }
  return c;
}

/// Logs the counts of `scenario`, also on stdout without --log_level, for the CI log.
inline void report(const std::string& scenario, const delivery_counts& c) {
  BOOST_TEST_MESSAGE(scenario << ": produced " << c.produced << ", handled " << c.handled << ", lost " << c.lost
                              << ", duplicated " << c.duplicated);
  std::printf("%s: produced %lld, handled %lld, lost %lld, duplicated %lld\n", scenario.c_str(),
              static_cast<long long>(c.produced), static_cast<long long>(c.handled), static_cast<long long>(c.lost),
              static_cast<long long>(c.duplicated));
  std::fflush(stdout);
}

}  // namespace asiokafka::test
