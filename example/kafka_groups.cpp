// kafka_groups: an operator's view of consumer groups, on asiokafka's admin client.
//
//   kafka_groups --brokers host:port list
//   kafka_groups --brokers host:port describe GROUP
//
// `list` prints every group with its state. `describe` prints the group's protocol ("classic"
// or KIP-848's "consumer"), state, assignor and coordinator, each member (group.instance.id
// for static members, client id, host, assigned partitions, and under the consumer protocol
// the partitions the broker is moving it to) and the lag of every partition the group committed offsets for. Exit status: 0,
// 1 when the cluster or the group could not be described, 2 on a usage error.
#include <asiokafka/admin.hpp>
#include <asiokafka/config.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string partitions_of(const asiokafka::topic_partition_list& parts) {
  // "orders[0,3,5] refunds[1]"
  std::map<std::string, std::vector<std::int32_t>> by_topic;
  for (const auto& p : parts) by_topic[p.topic].push_back(p.partition);
  std::string out;
  for (auto& [topic, ps] : by_topic) {
    std::sort(ps.begin(), ps.end());
    out += (out.empty() ? "" : " ") + topic + "[";
    for (std::size_t i = 0; i < ps.size(); ++i) out += (i ? "," : "") + std::to_string(ps[i]);
    out += "]";
  }
  return out.empty() ? "-" : out;
}

asio::awaitable<int> list(asiokafka::admin& a, asiokafka::call_options call) {
  auto [ec, groups] = co_await a.async_list_groups(call, use_tuple);
  if (ec) {
    std::cerr << "kafka_groups: list: " << ec.message() << "\n";
    co_return 1;
  }
  for (const auto& g : groups.groups)
    std::cout << std::left << std::setw(40) << g.group_id << " " << g.state << (g.simple ? " (simple)" : "") << "\n";
  for (const auto& e : groups.errors) std::cerr << "kafka_groups: a broker did not answer: " << e.message << "\n";
  std::cout << groups.groups.size() << " groups\n";
  co_return groups.errors.empty() ? 0 : 1;
}

asio::awaitable<int> describe(asiokafka::admin& a, const std::string& group, asiokafka::call_options call) {
  std::vector<std::string> groups{group};
  auto [ec, described] = co_await a.async_describe_groups(groups, call, use_tuple);
  if (!ec && described.size() == 1 && described[0].error) ec = described[0].error;
  if (ec) {
    std::cerr << "kafka_groups: describe " << group << ": " << ec.message() << "\n";
    co_return 1;
  }
  const auto& g = described[0];
  std::cout << "group " << g.group_id << "  protocol " << (g.type.empty() ? "-" : g.type) << "  state " << g.state
            << "  assignor " << (g.assignor.empty() ? "-" : g.assignor) << "  coordinator " << g.coordinator.id << " ("
            << g.coordinator.host << ":" << g.coordinator.port << ")\n";
  std::cout << "members " << g.members.size() << "\n";
  for (const auto& m : g.members) {
    std::cout << "  instance " << m.group_instance_id.value_or("(dynamic)") << "  client " << m.client_id << "  host "
              << m.host << "  partitions " << partitions_of(m.assignment);
    if (!m.target_assignment.empty() && m.target_assignment != m.assignment)
      std::cout << "  moving to " << partitions_of(m.target_assignment);
    std::cout << "\n";
  }

  auto [lag_ec, lags] = co_await a.async_group_lag(group, call, use_tuple);
  if (lag_ec) {
    std::cerr << "kafka_groups: lag of " << group << ": " << lag_ec.message() << "\n";
    co_return 1;
  }
  std::cout << "lag\n";
  std::int64_t total = 0;
  int failed = 0;
  for (const auto& l : lags) {
    std::cout << "  " << l.topic << "[" << l.partition << "]  committed " << l.committed << "  end " << l.high_watermark
              << "  lag ";
    if (l.error) {
      std::cout << "? (" << l.error.message() << ")\n";
      ++failed;
      continue;
    }
    std::cout << l.lag << "\n";
    total += l.lag;
  }
  std::cout << "total lag " << total << " over " << lags.size() << " partitions\n";
  co_return failed ? 1 : 0;
}

int usage() {
  std::cerr << "usage: kafka_groups --brokers host:port list\n"
               "       kafka_groups --brokers host:port describe GROUP\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc)
      brokers = argv[++i];
    else
      command.push_back(arg);
  }
  const bool is_list = command.size() == 1 && command[0] == "list";
  const bool is_describe = command.size() == 2 && command[0] == "describe";
  if (brokers.empty() || !(is_list || is_describe)) return usage();

  try {
    asio::io_context io;
    asiokafka::client_options cluster;
    cluster.bootstrap_servers = brokers;
    asiokafka::admin_options options;
    options.log = asiokafka::log_to_stderr(asiokafka::log_level::error);
    asiokafka::admin a(io.get_executor(), asiokafka::config_composer(cluster).compose_producer(), options);
    const asiokafka::call_options call{10s};
    int status = 1;
    asio::co_spawn(io, is_list ? list(a, call) : describe(a, command[1], call), [&](std::exception_ptr e, int rc) {
      status = e ? 1 : rc;
      io.stop();
    });
    io.run();
    return status;
  } catch (const std::exception& e) {
    std::cerr << "kafka_groups: " << e.what() << "\n";
    return 1;
  }
}
