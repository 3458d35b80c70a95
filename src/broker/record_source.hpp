// What a subscriber's runner needs of its consumer, as a narrow interface: subscribe, receive
// batches, store, commit, close, cancel. The library's source is the Kafka consumer
// (make_consumer_source); a unit test gives the runner a scripted source instead
// (subscriber_runner::setup::make_source) and so runs its sequences (a revoke in the middle of
// a batch, a stop while a handler runs, a full queue, a fatal error) without Kafka. The
// rebalance hooks and the error sink travel in consumer_options: the source calls them as the
// consumer would.
#pragma once

#include <asiokafka/config.hpp>
#include <asiokafka/consumer.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace asiokafka::detail {

class record_source {
 public:
  virtual ~record_source() = default;

  virtual void subscribe(const std::vector<std::string>& topics) = 0;
  /// Up to `max` records (at least one), or an error: error::closed once closed,
  /// operation_aborted after cancel(), a fatal error. Rebalance hooks run before it completes.
  virtual boost::asio::awaitable<std::tuple<error_code, std::vector<message>>> receive(std::size_t max) = 0;
  /// The record is done: its offset commits with the next commit (consumer::store_offset).
  virtual error_code store_offset(const message& msg) = 0;
  /// Commits the stored offsets.
  virtual boost::asio::awaitable<error_code> commit() = 0;
  /// Leaves the group (revoking through the hooks) and closes.
  virtual boost::asio::awaitable<error_code> close() = 0;
  /// Completes a pending receive with operation_aborted.
  virtual void cancel() = 0;
  /// librdkafka's text for the fatal error that stopped the source ("" when none).
  virtual std::string fatal_reason() const = 0;
  /// The Kafka consumer behind the source, for what only Kafka does (explicit partitions'
  /// lookups, transactions' offsets); nullptr for a scripted source.
  virtual consumer* kafka() noexcept = 0;
};

/// Makes a subscriber's source on its strand from its composed configuration.
using record_source_factory = std::function<std::unique_ptr<record_source>(
    const boost::asio::any_io_executor& ex, const composed_config& config, consumer_options options)>;

/// The Kafka consumer as a record source.
std::unique_ptr<record_source> make_consumer_source(const boost::asio::any_io_executor& ex,
                                                    const composed_config& config, consumer_options options);

}  // namespace asiokafka::detail
