// asiokafka::admin - Kafka's admin API (topics, configs, records, consumer groups) in an Asio
// event loop.
//
// librdkafka answers admin requests with events on a queue; that queue is bridged to the
// reactor like the consumer's and producer's, so every operation completes from the event
// loop without a thread of its own. The one exception is group_lag's watermark queries, which
// librdkafka 2.0.2 only offers in blocking form: they run on asiokafka's small blocking pool.
#pragma once

#include <asiokafka/admin_types.hpp>
#include <asiokafka/detail/bound_initiation.hpp>
#include <asiokafka/detail/client_handle.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/oauthbearer.hpp>
#include <asiokafka/sinks.hpp>
#include <asiokafka/topic_partition.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <memory>
#include <string>
#include <vector>

namespace asiokafka {

class composed_config;

namespace detail {
class admin_impl;
}

struct admin_options {
  /// Client errors (e.g. all brokers down) as error_info (sinks.hpp). Default: the log sink,
  /// warning level.
  error_sink on_error{};
  /// librdkafka's statistics JSON (statistics.interval.ms), on the admin client's executor.
  statistics_sink on_statistics{};
  /// Default: log_to_stderr().
  log_sink log{};
  /// SASL/OAUTHBEARER tokens (sasl.mechanism=OAUTHBEARER); see oauthbearer_token_provider.
  oauthbearer_token_provider token_provider{};
};

/// An admin client.
///
/// Common to every async_* operation below:
///  * Completion signature `void(error_code, R)`. The first error_code is the operation's:
///    error::closed (the client was destroyed), boost::asio::error::operation_aborted
///    (cancelled), or librdkafka's error when the request as a whole failed (e.g. _TIMED_OUT
///    before any broker answered, _INVALID_ARG for a malformed request). When it is empty, R
///    holds one result per item, each with its own error (a topic that exists, a group that
///    does not) - check them.
///  * The handler runs on its associated executor (the client's by default), never inline.
///  * Cancellation (terminal, partial, total): the operation completes at once with
///    operation_aborted. A request already sent is not recalled: the broker may still apply
///    it (a cancelled create_topics may create the topics), its answer is discarded.
///  * `call.timeout` bounds the operation (call_options). It completes with
///    _TIMED_OUT when it passes. A request to a group's coordinator (group offsets, describe
///    and delete groups) is timed out as a whole (no per-group results) by asiokafka, not
///    librdkafka, whose own timeout of such a request aborts the process when the coordinator
///    comes back (librdkafka 2.0.2 to at least 2.14.2): librdkafka keeps the request until the
///    coordinator answers (at most an hour), and that late answer is discarded.
///  * Thread safety: like Asio's I/O objects, start operations from the client's executor (or
///    one thread at a time); any number may be pending at once.
///
/// Destroying the client completes pending operations with error::closed.
class admin {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// `config`: the connection settings (bootstrap.servers, security) as for a producer - e.g.
  /// `config_composer{broker_scope}.compose_producer()`. Throws system_error
  /// (error::invalid_config) when librdkafka refuses the configuration. The client's
  /// metadata.max.age.ms is at most 1 s (a longer value is lowered): librdkafka 2.10+ may keep
  /// a forgotten broker as a group's coordinator until that entry goes unused for so long.
  admin(executor_type ex, const composed_config& config, admin_options options = {});
  admin(admin&&) noexcept;
  admin& operator=(admin&&) noexcept;
  admin(const admin&) = delete;
  admin& operator=(const admin&) = delete;
  ~admin();

  /// The executor given at construction; also after a move (as Asio's I/O objects).
  executor_type get_executor() const noexcept { return impl_.executor(); }

  /// Creates topics. R = std::vector<item_result>, one per topic in input order (e.g.
  /// TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR).
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<item_result>))
                CompletionToken = boost::asio::deferred_t>
  auto async_create_topics(std::vector<new_topic> topics, call_options call, CompletionToken&& token = {}) {
    return initiate<std::vector<item_result>>(&admin::start_create_topics, token, std::move(topics), call);
  }

  /// Deletes topics. R = std::vector<item_result> (e.g. UNKNOWN_TOPIC_OR_PART).
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<item_result>))
                CompletionToken = boost::asio::deferred_t>
  auto async_delete_topics(std::vector<std::string> topics, call_options call, CompletionToken&& token = {}) {
    return initiate<std::vector<item_result>>(&admin::start_delete_topics, token, std::move(topics), call);
  }

  /// Raises topics' partition counts. R = std::vector<item_result>, one per topic.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<item_result>))
                CompletionToken = boost::asio::deferred_t>
  auto async_create_partitions(std::vector<new_partitions> topics, call_options call, CompletionToken&& token = {}) {
    return initiate<std::vector<item_result>>(&admin::start_create_partitions, token, std::move(topics), call);
  }

  /// Reads resources' configurations. R = std::vector<resource_configs>, one per resource.
  /// Sensitive values (passwords) never come back from the broker: value is nullopt.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<resource_configs>))
                CompletionToken = boost::asio::deferred_t>
  auto async_describe_configs(std::vector<config_resource> resources, call_options call, CompletionToken&& token = {}) {
    return initiate<std::vector<resource_configs>>(&admin::start_describe_configs, token, std::move(resources), call);
  }

  /// Replaces resources' dynamic configurations (see config_change). R =
  /// std::vector<item_result>, one per resource (name = the resource's name).
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<item_result>))
                CompletionToken = boost::asio::deferred_t>
  auto async_alter_configs(std::vector<config_change> changes, call_options call, CompletionToken&& token = {}) {
    return initiate<std::vector<item_result>>(&admin::start_alter_configs, token, std::move(changes), call);
  }

  /// Deletes the records before each partition's `offset` (offsets::end: all of them). R =
  /// topic_partition_list: per partition its new low watermark in `offset`, or its `error`.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, topic_partition_list))
                CompletionToken = boost::asio::deferred_t>
  auto async_delete_records(topic_partition_list before, call_options call, CompletionToken&& token = {}) {
    return initiate<topic_partition_list>(&admin::start_delete_records, token, std::move(before), call);
  }

  /// Lists the cluster's consumer groups. R = group_list (with the brokers that failed).
  /// Destroying the client while this is in flight makes librdkafka 2.14.2 leak one of the
  /// handle's queues (192 bytes; README, known limits): let it complete first.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, group_list)) CompletionToken = boost::asio::deferred_t>
  auto async_list_groups(call_options call, CompletionToken&& token = {}) {
    return initiate<group_list>(&admin::start_list_groups, token, call);
  }

  /// Describes consumer groups: state, assignor, coordinator and members (member id,
  /// group.instance.id, client id, host, assignment). R = std::vector<group_description>, one
  /// per group. A group nobody uses is described in state "Dead" with no members.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<group_description>))
                CompletionToken = boost::asio::deferred_t>
  auto async_describe_groups(std::vector<std::string> groups, call_options call, CompletionToken&& token = {}) {
    return initiate<std::vector<group_description>>(&admin::start_describe_groups, token, std::move(groups), call);
  }

  /// Deletes consumer groups (they must have no members). R = std::vector<item_result>
  /// (e.g. GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP).
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<item_result>))
                CompletionToken = boost::asio::deferred_t>
  auto async_delete_groups(std::vector<std::string> groups, call_options call, CompletionToken&& token = {}) {
    return initiate<std::vector<item_result>>(&admin::start_delete_groups, token, std::move(groups), call);
  }

  /// A group's committed offsets: of `partitions`, or of every partition it committed when
  /// empty. R = group_offsets (offset offsets::invalid: nothing committed).
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, group_offsets)) CompletionToken = boost::asio::deferred_t>
  auto async_list_group_offsets(std::string group, topic_partition_list partitions, call_options call,
                                CompletionToken&& token = {}) {
    return initiate<group_offsets>(&admin::start_list_group_offsets, token, std::move(group), std::move(partitions),
                                   call);
  }

  /// Sets a group's committed offsets (the group must have no active members). R =
  /// group_offsets with each partition's outcome.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, group_offsets)) CompletionToken = boost::asio::deferred_t>
  auto async_alter_group_offsets(std::string group, topic_partition_list offsets, call_options call,
                                 CompletionToken&& token = {}) {
    return initiate<group_offsets>(&admin::start_alter_group_offsets, token, std::move(group), std::move(offsets),
                                   call);
  }

  /// Deletes a group's committed offsets of `partitions` (not of topics the group is
  /// subscribed to). R = group_offsets with each partition's outcome.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, group_offsets)) CompletionToken = boost::asio::deferred_t>
  auto async_delete_group_offsets(std::string group, topic_partition_list partitions, call_options call,
                                  CompletionToken&& token = {}) {
    return initiate<group_offsets>(&admin::start_delete_group_offsets, token, std::move(group), std::move(partitions),
                                   call);
  }

  /// A group's lag on every partition it has committed offsets for: committed offset against
  /// high watermark. R = std::vector<partition_lag>, sorted by topic and partition; a
  /// partition whose watermark query failed has lag -1 and its error. The committed offsets
  /// come from the event loop; the watermark queries run on the blocking pool (librdkafka
  /// 2.0.2 has no asynchronous form), bounded by `call.timeout` each.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<partition_lag>))
                CompletionToken = boost::asio::deferred_t>
  auto async_group_lag(std::string group, call_options call, CompletionToken&& token = {}) {
    return initiate<std::vector<partition_lag>>(&admin::start_group_lag, token, std::move(group), call);
  }

  /// The librdkafka handle (`rd_kafka_t*`), for what asiokafka does not wrap.
  void* native_handle() const noexcept;

 private:
  template <class R>
  using handler = boost::asio::any_completion_handler<void(error_code, R)>;

  template <class R, class Start, class CompletionToken, class... Args>
  auto initiate(Start start, CompletionToken& token, Args&&... args) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, R)>(
        detail::bound_initiation{
            this, [start](admin& self, auto h, auto... a) { (self.*start)(std::move(a)..., std::move(h)); }},
        token, std::forward<Args>(args)...);
  }

  void start_create_topics(std::vector<new_topic> topics, call_options call, handler<std::vector<item_result>> h);
  void start_delete_topics(std::vector<std::string> topics, call_options call, handler<std::vector<item_result>> h);
  void start_create_partitions(std::vector<new_partitions> topics, call_options call,
                               handler<std::vector<item_result>> h);
  void start_describe_configs(std::vector<config_resource> resources, call_options call,
                              handler<std::vector<resource_configs>> h);
  void start_alter_configs(std::vector<config_change> changes, call_options call, handler<std::vector<item_result>> h);
  void start_delete_records(topic_partition_list before, call_options call, handler<topic_partition_list> h);
  void start_list_groups(call_options call, handler<group_list> h);
  void start_describe_groups(std::vector<std::string> groups, call_options call,
                             handler<std::vector<group_description>> h);
  void start_delete_groups(std::vector<std::string> groups, call_options call, handler<std::vector<item_result>> h);
  void start_list_group_offsets(std::string group, topic_partition_list partitions, call_options call,
                                handler<group_offsets> h);
  void start_alter_group_offsets(std::string group, topic_partition_list offsets, call_options call,
                                 handler<group_offsets> h);
  void start_delete_group_offsets(std::string group, topic_partition_list partitions, call_options call,
                                  handler<group_offsets> h);
  void start_group_lag(std::string group, call_options call, handler<std::vector<partition_lag>> h);

  detail::client_handle<detail::admin_impl> impl_;
};

}  // namespace asiokafka
