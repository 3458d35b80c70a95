// A declared publisher's link to its broker's publish path, held weakly: a publisher that
// outlives its broker completes its publishes with error::closed instead of reaching a
// broker that is gone. Internal: used by publisher.hpp.
#pragma once

#include <asiokafka/detail/outbound.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/publish.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace asiokafka::detail {

class publish_path;

struct publish_link {
  std::weak_ptr<publish_path> path{};
  /// The broker's executor: where a publish after the broker completes, unless its handler
  /// has an executor of its own.
  boost::asio::any_io_executor executor{};
  /// broker_options::encoder, for the values a publisher without an encoder publishes as JSON.
  payload_encoder broker_encoder{};

  /// Publishes `r` like broker::async_publish, or completes `handler` with error::closed
  /// (posted) when the broker's publish path is gone.
  void start(outbound_record r, boost::asio::any_completion_handler<void(error_code, delivery_report)> handler) const;
};

}  // namespace asiokafka::detail
