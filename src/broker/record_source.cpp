#include "broker/record_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {

class consumer_source final : public record_source {
 public:
  consumer_source(const asio::any_io_executor& ex, const composed_config& config, consumer_options options)
      : consumer_(ex, config, std::move(options)) {}

  void subscribe(const std::vector<std::string>& topics) override { consumer_.subscribe(topics); }
  asio::awaitable<std::tuple<error_code, std::vector<message>>> receive(std::size_t max) override {
    co_return co_await consumer_.async_receive_batch(max, asio::as_tuple(asio::use_awaitable));
  }
  error_code store_offset(const message& msg) override { return consumer_.store_offset(msg); }
  asio::awaitable<error_code> commit() override {
    auto [ec] = co_await consumer_.async_commit(asio::as_tuple(asio::use_awaitable));
    co_return ec;
  }
  asio::awaitable<error_code> close() override {
    auto [ec] = co_await consumer_.async_close(asio::as_tuple(asio::use_awaitable));
    co_return ec;
  }
  void cancel() override { consumer_.cancel(); }
  std::string fatal_reason() const override { return consumer_.fatal_reason(); }
  consumer* kafka() noexcept override { return &consumer_; }

 private:
  consumer consumer_;
};

}  // namespace

std::unique_ptr<record_source> make_consumer_source(const asio::any_io_executor& ex, const composed_config& config,
                                                    consumer_options options) {
  return std::make_unique<consumer_source>(ex, config, std::move(options));
}

}  // namespace asiokafka::detail
