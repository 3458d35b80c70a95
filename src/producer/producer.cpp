#include <asiokafka/producer.hpp>

#include "detail/client_handle_impl.hpp"
#include "producer/producer_impl.hpp"

#include <asiokafka/consumer.hpp>

namespace asiokafka {

template class detail::client_handle<detail::producer_impl>;

producer::producer(executor_type ex, const composed_config& config, producer_options options)
    : impl_(ex, std::make_shared<detail::producer_impl>(ex, config, std::move(options))) {}

producer::producer(producer&&) noexcept = default;
producer& producer::operator=(producer&&) noexcept = default;
producer::~producer() = default;
void producer::produce(record r) { impl_->start_produce(std::move(r), {}, false); }
std::size_t producer::in_flight() const noexcept { return impl_->in_flight(); }
std::uint64_t producer::delivered() const noexcept { return impl_->delivered(); }
std::uint64_t producer::failed() const noexcept { return impl_->failed(); }
void* producer::native_handle() const noexcept { return impl_->rk(); }

void producer::start_produce(record r, boost::asio::any_completion_handler<void(error_code, delivery_report)> handler,
                             bool direct) {
  impl_->start_produce(std::move(r), std::move(handler), direct);
}
void producer::begin_transaction() { impl_->begin_transaction(); }

void producer::start_transaction_call(transaction_call call, std::chrono::milliseconds timeout,
                                      boost::asio::any_completion_handler<void(error_code)> handler) {
  switch (call) {
    case transaction_call::init:
      return impl_->start_init_transactions(timeout, std::move(handler));
    case transaction_call::commit:
      return impl_->start_commit_transaction(timeout, std::move(handler));
    case transaction_call::abort:
      return impl_->start_abort_transaction(timeout, std::move(handler));
  }
}

void producer::start_send_offsets(topic_partition_list offsets, const consumer& c, std::chrono::milliseconds timeout,
                                  boost::asio::any_completion_handler<void(error_code)> handler) {
  impl_->start_send_offsets(std::move(offsets), static_cast<rd_kafka_t*>(c.native_handle()), timeout,
                            std::move(handler));
}

void producer::start_flush(boost::asio::any_completion_handler<void(error_code)> handler) {
  impl_->start_flush(std::move(handler));
}
void producer::start_close(boost::asio::any_completion_handler<void(error_code)> handler) {
  impl_->start_close(std::move(handler));
}

}  // namespace asiokafka
