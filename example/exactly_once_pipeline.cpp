// Exactly-once consume-transform-produce with a plain consumer and a transactional producer,
// for applications that do not use the broker layer (which does all of this per subscriber
// with processing_guarantee::exactly_once).
//
//   exactly_once_pipeline                      # embedded Kafka (librdkafka's mock cluster)
//   exactly_once_pipeline --brokers host:port  # a real cluster
//
// Reads amounts from "pipeline.amounts" (one partition, created if missing), publishes each doubled to "pipeline.doubled", and
// commits the outputs together with the input offsets, one transaction per received batch. A
// failed transaction is aborted and its batch read again from where it started. At the end it
// reads the output back with isolation.level=read_committed and checks that every input is
// there exactly once.
#include <asiokafka/asiokafka.hpp>
#include <asiokafka/cancel_after.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::use_awaitable;

constexpr int amounts = 1000;
constexpr asiokafka::call_options txn_call{.timeout = 30s};
const std::string input = "pipeline.amounts";
const std::string output = "pipeline.doubled";

// Fills the input topic (outside any transaction).
asio::awaitable<void> fill(const asiokafka::config_composer& composer) {
  // Named locals, not temporaries, inside coroutines: GCC 12 mis-compiles the latter.
  const asiokafka::client_options producer_scope;
  const auto config = composer.compose_producer(producer_scope);
  asiokafka::producer p(co_await asio::this_coro::executor, config);
  for (int i = 0; i < amounts; ++i) p.produce({input, {}, std::to_string(i), std::to_string(i), {}, {}});
  co_await p.async_flush(use_awaitable);
  std::cout << "filled " << input << " with " << amounts << " amounts (" << p.failed() << " failed)\n";
}

asio::awaitable<int> pipeline(const asiokafka::config_composer& composer) {
  auto ex = co_await asio::this_coro::executor;
  // The consumer commits nothing itself: its offsets travel in the producer's transactions.
  // read_committed: it never sees what an aborted upstream transaction wrote.
  asiokafka::client_options consumer_scope;
  consumer_scope.group_id = "pipeline";
  consumer_scope.enable_auto_commit = false;
  consumer_scope.raw["isolation.level"] = "read_committed";
  asiokafka::client_options producer_scope;
  producer_scope.transactional_id = "pipeline-1";  // stable across restarts: fences a zombie

  // A transaction is open from begin to commit/abort; a rebalance waits for it to end, so the
  // offsets of partitions leaving this member are committed (or their batch aborted) first.
  bool in_transaction = false;
  asio::steady_timer transaction_ended(ex, asio::steady_timer::time_point::max());
  asiokafka::consumer_options copts;
  copts.hooks.on_revoked = [&](const asiokafka::topic_partition_list&) -> asio::awaitable<void> {
    while (in_transaction) co_await transaction_ended.async_wait(asio::as_tuple(use_awaitable));
  };
  const asiokafka::consumer_scope consumer_config{"pipeline", consumer_scope, {}, {}};
  const auto composed_consumer = composer.compose_consumer(consumer_config);
  const auto composed_producer = composer.compose_producer(producer_scope);
  asiokafka::consumer consumer(ex, composed_consumer, copts);
  asiokafka::producer producer(ex, composed_producer);
  co_await producer.async_init_transactions(txn_call, use_awaitable);
  std::cout << "transactions initialised\n";
  consumer.subscribe({input});

  int done = 0, aborted = 0;
  while (done < amounts) {
    auto [rec, batch] =
        co_await consumer.async_receive_batch(500, asiokafka::cancel_after(500ms, asio::as_tuple(use_awaitable)));
    if (rec) continue;  // nothing within 500 ms
    in_transaction = true;
    producer.begin_transaction();
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> first, next;
    for (const auto& m : batch) {
      const auto tp = std::make_pair(std::string(m.topic()), m.partition());
      first.try_emplace(tp, m.offset());
      next[tp] = m.offset() + 1;
      const std::string doubled = std::to_string(2 * std::stoll(std::string(m.payload())));
      producer.produce({output, m.partition(), std::string(m.key().value_or("")), doubled, {}, {}});
    }
    asiokafka::topic_partition_list offsets;
    for (const auto& [tp, offset] : next) offsets.push_back({tp.first, tp.second, offset});
    auto [ec] =
        co_await producer.async_send_offsets_to_transaction(offsets, consumer, txn_call, asio::as_tuple(use_awaitable));
    if (!ec) std::tie(ec) = co_await producer.async_commit_transaction(txn_call, asio::as_tuple(use_awaitable));
    if (ec && asiokafka::is_fatal(ec)) {  // fenced: another instance took over
      std::cerr << "fatal: " << ec.message() << "\n";
      co_return 1;
    }
    if (ec) {  // abortable, or retriable (this example does not retry): redo the batch
      ++aborted;
      std::cerr << "transaction failed (" << ec.message() << "): aborting, the batch is read again\n";
      co_await producer.async_abort_transaction(txn_call, use_awaitable);
      for (const auto& [tp, offset] : first) consumer.seek({tp.first, tp.second, offset});
    } else {
      done += static_cast<int>(batch.size());
    }
    in_transaction = false;
    transaction_ended.cancel();
  }
  std::cout << "pipeline: " << done << " amounts doubled and committed in transactions (" << aborted << " aborted)\n";
  co_await producer.async_close(use_awaitable);
  co_await consumer.async_close(use_awaitable);
  co_return 0;
}

// Reads the whole output with read_committed: each input's doubled value exactly once.
asio::awaitable<bool> verify(const asiokafka::config_composer& composer) {
  asiokafka::client_options scope;
  scope.group_id = "pipeline-verify";
  scope.raw["isolation.level"] = "read_committed";
  const asiokafka::consumer_scope reader_config{"verify", scope, {}, {}};
  const auto composed = composer.compose_consumer(reader_config);
  asiokafka::consumer reader(co_await asio::this_coro::executor, composed);
  const asiokafka::topic_partition_list from_start{{output, 0, asiokafka::offsets::beginning}};
  reader.assign(from_start);
  std::multiset<long long> values;
  for (;;) {
    auto [ec, m] = co_await reader.async_receive(asiokafka::cancel_after(3s, asio::as_tuple(use_awaitable)));
    if (ec) break;
    values.insert(std::stoll(std::string(m.payload())));
  }
  co_await reader.async_close(use_awaitable);
  std::set<long long> distinct(values.begin(), values.end());
  bool ok = values.size() == static_cast<std::size_t>(amounts) && distinct.size() == values.size();
  for (int i = 0; ok && i < amounts; ++i) ok = distinct.count(2LL * i) == 1;
  std::cout << "read_committed output: " << values.size() << " records, " << distinct.size() << " distinct\n";
  co_return ok;
}

int main(int argc, char** argv) {
  std::cout << std::unitbuf;
  std::string brokers;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--brokers" && i + 1 < argc) {
      brokers = argv[++i];
    } else {
      std::cerr << "usage: exactly_once_pipeline [--brokers host:port]\n";
      return 2;
    }
  }
  std::optional<asiokafka::testing::embedded_kafka> embedded;
  if (brokers.empty()) {
    embedded.emplace();
    embedded->create_topic(input, 1);
    embedded->create_topic(output, 1);
    brokers = embedded->bootstrap_servers();
  }
  asiokafka::client_options broker_scope;
  broker_scope.bootstrap_servers = brokers;
  broker_scope.auto_offset_reset = asiokafka::offset_reset::earliest;
  const asiokafka::config_composer composer(broker_scope);

  asio::io_context io;
  int status = 1;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await fill(composer);
        status = co_await pipeline(composer);
        if (status == 0 && co_await verify(composer))
          std::cout << "exactly-once pipeline OK\n";
        else
          status = 1;
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::cerr << "exactly_once_pipeline: " << ex.what() << "\n";
        }
        status = 1;
      });
  io.run();
  return status;
}
