// The start of a subscriber of explicit partitions: the partitions are checked against the
// cluster's metadata, times are looked up, and the consumer is assigned exactly those
// partitions (no group membership). Blocking librdkafka calls run on the blocking pool.
#include "broker/explicit_partitions.hpp"
#include "broker/subscriber_runner.hpp"
#include "detail/blocking_pool.hpp"

#include <librdkafka/rdkafka.h>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {
// Bounds each metadata and offset lookup of the start.
constexpr std::chrono::milliseconds start_timeout{30000};
}  // namespace

error_code subscriber_runner::start_failed(const error_code& ec, std::string what) {
  log(log_level::error, "cannot start: " + what + "; the subscriber stops");
  start_failure_ = std::move(what);
  dispatch_.stop();
  return ec;
}

asio::awaitable<error_code> subscriber_runner::assign_partitions() {
  const auto& parts = setup_.options.partitions;
  const std::vector<std::string> topics = topics_of(parts);
  auto counted = co_await asio::async_initiate<decltype(asio::use_awaitable), void(partition_counts)>(
      [this, &topics](auto handler) {
        asio::post(blocking_pool(),
                   [rk = kafka().native_handle(), topics, strand = strand_, h = std::move(handler)]() mutable {
                     asio::post(strand, asio::append(std::move(h), lookup_partition_counts(rk, topics, start_timeout)));
                   });
      },
      asio::use_awaitable);
  if (counted.error) co_return start_failed(counted.error, counted.what + ": " + counted.error.message());
  if (std::string missing = missing_partition(parts, counted.counts); !missing.empty())
    co_return start_failed(make_kafka_error_code(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION), missing);

  topic_partition_list found;
  topic_partition_list queries = time_queries(parts);
  if (!queries.empty()) {
    auto [ec, answer] = co_await kafka().async_offsets_for_times(std::move(queries), {start_timeout},
                                                                 asio::as_tuple(asio::use_awaitable));
    if (ec) co_return start_failed(ec, "looking up the offsets for the start times: " + ec.message());
    found = std::move(answer);
  }
  resolved_starts resolved = resolve_starts(parts, found);
  if (resolved.error) co_return start_failed(resolved.error, resolved.what + ": " + resolved.error.message());

  error_code assign_error;
  std::string assign_what;
  try {
    kafka().assign(resolved.assignment);
  } catch (const boost::system::system_error& e) {
    assign_error = e.code();
    assign_what = e.what();
  }
  if (assign_error) co_return start_failed(assign_error, assign_what);
  std::string where;
  for (const auto& p : resolved.assignment)
    where +=
        (where.empty() ? "" : ", ") + p.topic + "[" + std::to_string(p.partition) + "]@" + std::to_string(p.offset);
  log(log_level::info, "assigned " + where + " (explicit partitions, no group membership)");
  std::lock_guard lock(observed_mutex_);
  health_.assigned_partitions = resolved.assignment.size();
  co_return error_code{};
}

}  // namespace asiokafka::detail
