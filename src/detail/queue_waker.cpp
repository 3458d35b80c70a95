#include "detail/queue_waker.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/system/system_error.hpp>

#include <cerrno>
#include <cstdint>

namespace asiokafka::detail {
namespace {

int make_eventfd() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0)
    throw boost::system::system_error(errno, boost::system::system_category(),
                                      "asiokafka: eventfd for librdkafka queue wake-ups");
  return fd;
}

// eventfd takes 8-byte native-endian counters; librdkafka writes this payload verbatim.
constexpr std::uint64_t wake_payload = 1;

}  // namespace

queue_waker::queue_waker(const boost::asio::any_io_executor& ex) : fd_(ex, make_eventfd()) {}

queue_waker::~queue_waker() = default;

void queue_waker::attach(rd_kafka_queue_t* q) {
  rd_kafka_queue_io_event_enable(q, fd_.native_handle(), &wake_payload, sizeof wake_payload);
}

void queue_waker::detach(rd_kafka_queue_t* q) { rd_kafka_queue_io_event_enable(q, -1, nullptr, 0); }

void queue_waker::async_wait(std::function<void(boost::system::error_code)> on_wake) {
  fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [this, on_wake = std::move(on_wake)](boost::system::error_code ec) {
                   if (!ec) {
                     std::uint64_t counter = 0;
                     // EAGAIN (already cleared) is fine: the wake-up is what matters.
                     [[maybe_unused]] auto n = ::read(fd_.native_handle(), &counter, sizeof counter);
                   }
                   on_wake(ec);
                 });
}

void queue_waker::cancel() { fd_.cancel(); }

}  // namespace asiokafka::detail
