#include <asiokafka/consumer.hpp>

#include "consumer/consumer_impl.hpp"
#include "detail/client_handle_impl.hpp"

namespace asiokafka {

template class detail::client_handle<detail::consumer_impl>;

consumer::consumer(executor_type ex, const composed_config& config, consumer_options options)
    : impl_(ex, std::make_shared<detail::consumer_impl>(ex, config, std::move(options))) {}

consumer::consumer(consumer&&) noexcept = default;
consumer& consumer::operator=(consumer&&) noexcept = default;
consumer::~consumer() = default;

void consumer::subscribe(const std::vector<std::string>& topics) { impl_->subscribe(topics); }
void consumer::unsubscribe() { impl_->unsubscribe(); }
void consumer::assign(const topic_partition_list& partitions) { impl_->assign(partitions); }
topic_partition_list consumer::assignment() const { return impl_->assignment(); }
std::string consumer::member_id() const { return impl_->member_id(); }

error_code consumer::store_offset(const message& msg) { return impl_->store_offset(msg); }

void consumer::pause(const topic_partition_list& partitions) { impl_->pause(partitions); }
void consumer::resume(const topic_partition_list& partitions) { impl_->resume(partitions); }
void consumer::seek(const topic_partition& tp) { impl_->seek(tp); }
topic_partition_list consumer::position(const topic_partition_list& partitions) const {
  return impl_->position(partitions);
}

message consumer::try_receive(error_code& ec) { return impl_->try_receive(ec); }
void consumer::cancel() { impl_->cancel_receives(); }
error_code consumer::fatal_error() const { return impl_->fatal_error(); }
std::string consumer::fatal_reason() const { return impl_->fatal_reason(); }
std::size_t consumer::buffered() const { return impl_->buffered(); }
void* consumer::native_handle() const noexcept { return impl_->rk(); }

void consumer::start_receive(boost::asio::any_completion_handler<void(error_code, message)> handler, bool direct) {
  impl_->start_receive(std::move(handler), direct);
}
void consumer::start_receive_batch(std::size_t max,
                                   boost::asio::any_completion_handler<void(error_code, std::vector<message>)> handler,
                                   bool direct) {
  impl_->start_receive_batch(max, std::move(handler), direct);
}
void consumer::start_commit(topic_partition_list offsets, detail::commit_scope scope,
                            boost::asio::any_completion_handler<void(error_code)> handler) {
  impl_->start_commit(std::move(offsets), scope, std::move(handler));
}
void consumer::start_committed(topic_partition_list partitions, std::chrono::milliseconds timeout,
                               boost::asio::any_completion_handler<void(error_code, topic_partition_list)> handler) {
  impl_->start_committed(std::move(partitions), timeout, std::move(handler));
}
void consumer::start_watermarks(std::string topic, std::int32_t partition, std::chrono::milliseconds timeout,
                                boost::asio::any_completion_handler<void(error_code, watermarks)> handler) {
  impl_->start_watermarks(std::move(topic), partition, timeout, std::move(handler));
}
void consumer::start_offsets_for_times(
    topic_partition_list partitions, std::chrono::milliseconds timeout,
    boost::asio::any_completion_handler<void(error_code, topic_partition_list)> handler) {
  impl_->start_offsets_for_times(std::move(partitions), timeout, std::move(handler));
}
void consumer::start_seek_to_time(topic_partition_list partitions, std::chrono::milliseconds timeout,
                                  boost::asio::any_completion_handler<void(error_code, topic_partition_list)> handler) {
  impl_->start_seek_to_time(std::move(partitions), timeout, std::move(handler));
}
void consumer::start_close(boost::asio::any_completion_handler<void(error_code)> handler) {
  impl_->start_close(std::move(handler));
}

}  // namespace asiokafka
