// A consumer group on the real broker for the group tests: members whose rebalance hooks
// record what they own and how often they were rebalanced, joined under either group
// protocol (classic, or KIP-848's consumer protocol).
#pragma once

#include <asiokafka/config.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace asiokafka::test {

using partition_set = std::set<std::int32_t>;

// A group member whose rebalance hooks record what it owns and how often it was rebalanced.
struct member {
  std::unique_ptr<consumer> c;
  partition_set owned;
  int assigned_events = 0;
  int revoked_events = 0;
  std::vector<error_code> errors;

  int rebalance_events() const { return assigned_events + revoked_events; }

  // Consumer options whose hooks keep `owned`, the rebalance counts and `errors` up to date.
  consumer_options tracking_options() {
    consumer_options opts;
    opts.hooks.on_assigned = [this](const topic_partition_list& parts) -> boost::asio::awaitable<void> {
      ++assigned_events;
      for (const auto& p : parts) owned.insert(p.partition);
      co_return;
    };
    auto lose = [this](const topic_partition_list& parts) -> boost::asio::awaitable<void> {
      ++revoked_events;
      for (const auto& p : parts) owned.erase(p.partition);
      co_return;
    };
    opts.hooks.on_revoked = lose;
    opts.hooks.on_lost = lose;
    opts.on_error = [this](const asiokafka::error_info& e) { errors.push_back(e.code); };
    return opts;
  }
};

struct group_fixture {
  boost::asio::io_context io;
  std::string brokers = real_brokers();
  std::string topic = unique_name("cg");
  /// The protocol join() uses; classic members get a 10 s session timeout (the consumer
  /// protocol takes the group's consumer.session.timeout.ms, 45 s by default).
  group_protocol protocol = group_protocol::classic;

  std::unique_ptr<member> join(const std::string& group, std::optional<std::string> instance_id, raw_config raw = {}) {
    auto m = std::make_unique<member>();
    client_options broker;
    broker.bootstrap_servers = brokers;
    client_options sub;
    sub.group_id = group;
    sub.group_instance_id = std::move(instance_id);
    if (protocol == group_protocol::consumer)
      sub.group_protocol = protocol;
    else
      sub.session_timeout = std::chrono::seconds(10);
    sub.auto_offset_reset = offset_reset::earliest;
    sub.raw = std::move(raw);
    auto config = config_composer(broker).compose_consumer({"member", sub, {}});
    m->c = std::make_unique<consumer>(io.get_executor(), config, m->tracking_options());
    m->c->subscribe({topic});
    return m;
  }

  // Until the two members own `partitions` between them, each at least one.
  static boost::asio::awaitable<bool> settled(const member& a, const member& b, std::size_t partitions) {
    co_return co_await wait_until(
        [&] { return !a.owned.empty() && !b.owned.empty() && a.owned.size() + b.owned.size() == partitions; },
        std::chrono::seconds(60));
  }

  // Closes `m`, waits `pause` (a restart that takes that long) and joins `group` again with
  // `instance_id`.
  boost::asio::awaitable<std::unique_ptr<member>> restart(std::unique_ptr<member> m, const std::string& group,
                                                          std::optional<std::string> instance_id,
                                                          std::chrono::milliseconds pause) {
    co_await m->c->async_close(boost::asio::use_awaitable);
    m.reset();
    if (pause.count() > 0) co_await sleep_for(pause);
    co_return join(group, std::move(instance_id));
  }

  // Fills the topic with `n` records round-robin over its partitions, valued "m<first>",
  // "m<first + 1>", ...
  boost::asio::awaitable<void> fill(int n, int first = 0) {
    auto ex = co_await boost::asio::this_coro::executor;
    producer p(ex, producer_config(brokers, {{"linger.ms", "5"}}));
    for (int i = first; i < first + n; ++i)
      p.produce(record{topic, {}, std::to_string(i), "m" + std::to_string(i), {}, {}});
    co_await p.async_flush(boost::asio::use_awaitable);
    BOOST_REQUIRE_EQUAL(p.failed(), 0u);
  }
};

}  // namespace asiokafka::test
