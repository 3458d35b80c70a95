// Bridges librdkafka queues into Asio: librdkafka writes to an eventfd when one of the attached
// queues goes from "served" to non-empty; the fd is watched by the reactor. One waker can
// serve several queues of one client.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <librdkafka/rdkafka.h>

#include <functional>

namespace asiokafka::detail {

class queue_waker {
 public:
  explicit queue_waker(const boost::asio::any_io_executor& ex);
  queue_waker(const queue_waker&) = delete;
  queue_waker& operator=(const queue_waker&) = delete;
  ~queue_waker();

  /// Makes librdkafka signal this waker when `q` gets ops. The queue must be drained until
  /// rd_kafka_queue_poll returns NULL after every wake-up: librdkafka writes only once per
  /// non-polling period, so a queue left non-empty never signals again.
  void attach(rd_kafka_queue_t* q);
  /// Stops signalling for `q` (before the queue is destroyed).
  void detach(rd_kafka_queue_t* q);

  /// Waits until an attached queue has ops. The eventfd is cleared before `on_wake` runs,
  /// so any op enqueued after that point produces another wake-up.
  void async_wait(std::function<void(boost::system::error_code)> on_wake);

  void cancel();

 private:
  boost::asio::posix::stream_descriptor fd_;
};

}  // namespace asiokafka::detail
