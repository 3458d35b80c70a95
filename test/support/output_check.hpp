// Reading a topic whole with an isolation level, and checking that records carrying the
// sequence numbers 0..n-1 (as decimal text) are there exactly once each and in order per
// partition: the exactly-once tests' measure.
#pragma once

#include <asiokafka/cancel_after.hpp>
#include <asiokafka/consumer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace asiokafka::test {

/// Every record of `topic` (partitions 0..partitions-1, from the beginning), read with
/// isolation.level=`isolation`, until `idle` passes without a record once at least `at_least`
/// arrived (or `limit` passes).
inline boost::asio::awaitable<std::vector<message>> read_topic(const std::string& brokers, const std::string& topic,
                                                               int partitions, const std::string& isolation,
                                                               std::size_t at_least,
                                                               std::chrono::milliseconds idle = std::chrono::seconds(3),
                                                               std::chrono::seconds limit = std::chrono::seconds(120)) {
  auto ex = co_await boost::asio::this_coro::executor;
  consumer c(ex, consumer_config(brokers, unique_name("reader"), {{"isolation.level", isolation}}));
  topic_partition_list parts;
  for (int p = 0; p < partitions; ++p) parts.push_back({topic, p, offsets::beginning});
  c.assign(parts);
  std::vector<message> out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto [ec, m] = co_await c.async_receive(cancel_after(idle, boost::asio::as_tuple(boost::asio::use_awaitable)));
    if (!ec) {
      out.push_back(std::move(m));
      continue;
    }
    if (out.size() >= at_least) break;
  }
  co_await c.async_close(boost::asio::use_awaitable);
  co_return out;
}

/// How the sequence numbers 0..n-1 appear in a topic's records.
struct sequence_count {
  std::size_t records = 0;
  std::size_t distinct = 0;
  std::size_t lost = 0;
  std::size_t duplicated = 0;    // records beyond the first of each number
  std::size_t out_of_order = 0;  // a number not above the previous one of its partition
  std::size_t foreign = 0;       // not a number in 0..n-1

  bool exactly_once() const noexcept { return lost == 0 && duplicated == 0 && out_of_order == 0 && foreign == 0; }
};

inline std::ostream& operator<<(std::ostream& os, const sequence_count& c) {
  return os << c.records << " records, " << c.distinct << " distinct, lost " << c.lost << ", duplicated "
            << c.duplicated << ", out of order " << c.out_of_order << ", foreign " << c.foreign;
}

inline std::string describe(const sequence_count& c) {
  std::ostringstream os;
  os << c;
  return os.str();
}

/// `value_of(m)` is the decimal text of a record's sequence number. Order is checked per
/// partition only when `check_order` (records duplicated by at-least-once repeat earlier
/// numbers).
template <class ValueOf>
sequence_count count_sequences(const std::vector<message>& records, std::int64_t n, ValueOf value_of,
                               bool check_order = true) {
  sequence_count c;
  std::vector<int> seen(static_cast<std::size_t>(n), 0);
  std::map<std::int32_t, std::int64_t> last;
  for (const auto& m : records) {
    ++c.records;
    const std::string_view text = value_of(m);
    std::int64_t seq = -1;
    const auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), seq);
    if (err != std::errc() || ptr != text.data() + text.size() || seq < 0 || seq >= n) {
      ++c.foreign;
      continue;
    }
    if (seen[static_cast<std::size_t>(seq)]++ > 0) ++c.duplicated;
    if (check_order) {
      auto it = last.find(m.partition());
      if (it != last.end() && seq <= it->second) ++c.out_of_order;
      last[m.partition()] = seq;
    }
  }
  for (int s : seen) (s > 0 ? c.distinct : c.lost)++;
  return c;
}

/// Records whose payload is the sequence number.
inline sequence_count count_payload_sequences(const std::vector<message>& records, std::int64_t n,
                                              bool check_order = true) {
  return count_sequences(
      records, n, [](const message& m) { return m.payload(); }, check_order);
}

}  // namespace asiokafka::test
