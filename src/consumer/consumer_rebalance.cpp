// Group membership: subscription and manual assignment, and the rebalances librdkafka
// delivers as events, run one at a time with the user's hooks.
#include "consumer/consumer_impl.hpp"

#include "detail/partition_list.hpp"
#include "detail/rd_error.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace asiokafka::detail {

void consumer_impl::subscribe(const std::vector<std::string>& topics) {
  rd_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  std::string names;
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    names += (names.empty() ? "" : ",") + t;
  }
  throw_if(rd_kafka_subscribe(rk_, list.get()), "asiokafka: subscribe to " + names);
}

void consumer_impl::unsubscribe() { throw_if(rd_kafka_unsubscribe(rk_), "asiokafka: unsubscribe"); }

void consumer_impl::assign(const topic_partition_list& partitions) {
  buffer_.clear();
  held_.clear();
  tracker_.clear();
  user_paused_.clear();
  throw_if(rd_kafka_assign(rk_, partitions.empty() ? nullptr : to_rd_list(partitions).get()),
           "asiokafka: assign " + describe(partitions));
  if (flow_.paused()) pause_for_flow(partitions);
}

topic_partition_list consumer_impl::assignment() const {
  rd_kafka_topic_partition_list_t* list = nullptr;
  throw_if(rd_kafka_assignment(rk_, &list), "asiokafka: assignment");
  auto out = from_rd_list(list);
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

std::string consumer_impl::member_id() const {
  char* id = rd_kafka_memberid(rk_);
  std::string out = id ? id : "";
  if (id) rd_kafka_mem_free(rk_, id);
  return out;
}

void consumer_impl::start_rebalance_driver() {
  if (rebalancing_) return;
  rebalancing_ = true;
  asio::co_spawn(
      executor(), [self = shared_from_this()]() { return self->rebalance_driver(); }, asio::detached);
}

asio::awaitable<void> consumer_impl::rebalance_driver() {
  auto self = shared_from_this();
  while (!rebalances_.empty() && !close_seq_.closed()) {
    rd_kafka_event_t* ev = rebalances_.front();
    rebalances_.pop_front();
    co_await run_rebalance(ev);
  }
  rebalancing_ = false;
  check_closed();
}

// A hook's failure is the application's, not the client's: the consumer keeps running, so it
// is reported as error::hook_failed, which is_fatal() does not count as fatal.
asio::awaitable<void> consumer_impl::run_hook(const partition_hook& hook, const topic_partition_list& parts,
                                              const char* name) {
  if (!hook || parts.empty()) co_return;
  try {
    co_await hook(parts);
  } catch (const std::exception& e) {
    const std::string what = std::string(name) + " threw: " + e.what();
    core_.report({.code = make_error_code(error::hook_failed), .operation = "hook", .detail = what});
  }
}

std::size_t consumer_impl::assignment_size() const {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_, &list) || !list) return 0;
  const auto n = static_cast<std::size_t>(list->cnt);
  rd_kafka_topic_partition_list_destroy(list);
  return n;
}

// One line per rebalance event, for operators watching a fleet (docs: README, operations).
// With cooperative-sticky every member gets an event per rebalance, also when nothing of its
// own moves ("assigned nothing").
void consumer_impl::log_rebalance(std::string_view kind, const topic_partition_list& parts,
                                  std::size_t assigned_after) {
  core_.log(log_level::info, "REBALANCE",
            std::string(kind) + " " + (parts.empty() ? std::string("nothing") : describe(parts)) +
                " (rebalance event #" + std::to_string(++rebalance_events_) + ": " + std::to_string(parts.size()) +
                " partition(s), " + std::to_string(assigned_after) + " assigned after it)");
}

void consumer_impl::report_rebalance_error(const error_code& ec, std::string_view operation,
                                           const topic_partition_list& parts) {
  const std::string what = describe(parts);
  core_.report({.code = ec, .operation = operation, .detail = what});
}

asio::awaitable<void> consumer_impl::run_rebalance(rd_kafka_event_t* ev) {
  const auto err = rd_kafka_event_error(ev);
  const rd_kafka_topic_partition_list_t* rd_parts = rd_kafka_event_topic_partition_list(ev);
  const auto parts = from_rd_list(rd_parts);
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk_)) == "COOPERATIVE";

  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_, rd_parts)) {
        report_rebalance_error(make_kafka_error_code(rd_kafka_error_code(e)), "assign", parts);
        rd_kafka_error_destroy(e);
      }
    } else if (auto e = rd_kafka_assign(rk_, rd_parts)) {
      report_rebalance_error(make_kafka_error_code(e), "assign", parts);
    }
    rd_kafka_event_destroy(ev);
    if (flow_.paused()) pause_for_flow(parts);
    log_rebalance("assigned", parts, assignment_size());
    co_await run_hook(opts_.hooks.on_assigned, parts, "on_assigned");
    co_return;
  }

  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    const bool lost = rd_kafka_assignment_lost(rk_) != 0;
    // Undelivered messages go to the next owner; messages already handed out may still be
    // finished (and stored) by the hook, which runs before the commit.
    drop_buffered(parts);
    const std::size_t size = assignment_size();
    log_rebalance(lost ? "lost" : "revoked", parts, cooperative ? size - std::min(size, parts.size()) : 0);
    co_await run_hook(lost ? opts_.hooks.on_lost : opts_.hooks.on_revoked, parts, lost ? "on_lost" : "on_revoked");
    if (!lost && !fatal_) {
      // Offsets of finished messages are committed before the partitions go to another member.
      error_code ec;
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      co_await asio::async_initiate<decltype(token), void(error_code)>(
          [this](auto h) { start_commit({}, commit_scope::stored_offsets, plain_handler(std::move(h))); }, token);
      if (ec && ec != make_error_code(error::closed)) {
        const std::string what = "before revoking " + describe(parts);
        core_.report({.code = ec, .operation = "commit", .detail = what});
      }
    }
    purge_partitions(parts);
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_, rd_parts)) {
        report_rebalance_error(make_kafka_error_code(rd_kafka_error_code(e)), "revoke", parts);
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk_, nullptr);
    }
    rd_kafka_event_destroy(ev);
    co_return;
  }

  core_.report({.code = make_kafka_error_code(err), .operation = "rebalance"});
  rd_kafka_assign(rk_, nullptr);
  rd_kafka_event_destroy(ev);
}

}  // namespace asiokafka::detail
