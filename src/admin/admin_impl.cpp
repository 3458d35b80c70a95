#include "admin/admin_impl.hpp"

#include <asiokafka/config.hpp>

#include "admin/alter_configs.hpp"
#include "config/property_catalog.hpp"
#include "detail/rd_conf.hpp"

#include <boost/asio/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {

constexpr int admin_result_events =
    RD_KAFKA_EVENT_CREATETOPICS_RESULT | RD_KAFKA_EVENT_DELETETOPICS_RESULT | RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT |
    alter_configs_result_event | RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT | RD_KAFKA_EVENT_DELETERECORDS_RESULT |
    RD_KAFKA_EVENT_DELETEGROUPS_RESULT | RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT |
    RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT | RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT |
    RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT | RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT;

bool is_admin_result(rd_kafka_event_type_t type) {
  switch (type) {
    case RD_KAFKA_EVENT_CREATETOPICS_RESULT:
    case RD_KAFKA_EVENT_DELETETOPICS_RESULT:
    case RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT:
    case alter_configs_result_event:
    case RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT:
    case RD_KAFKA_EVENT_DELETERECORDS_RESULT:
    case RD_KAFKA_EVENT_DELETEGROUPS_RESULT:
    case RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT:
    case RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT:
    case RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT:
    case RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT:
    case RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT:
      return true;
    default:
      return false;
  }
}

// librdkafka (2.0.2 to at least 2.14.2) answers a group-offsets read whose coordinator is not
// ready (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE: a fresh cluster, a coordinator that moved
// during a broker restart) by asking the handle's own consumer group to look for its
// coordinator again, without checking that the handle has one: on a producer-type handle the
// process dies with SIGSEGV. So the admin's handle is a consumer that never subscribes, with a
// group id of its own that never joins a group (librdkafka only looks up its coordinator);
// that re-query lands there and the read fails with the broker's error. The keys given for a
// producer that a consumer does not take are left out (an admin client produces nothing).
//
// librdkafka 2.10 and later forget ("decommission") a broker that metadata stops listing, but
// the coordinator cache may keep the forgotten broker as a group's coordinator; a request to
// that coordinator then waits for a broker that never comes back, and each new request's
// look-up keeps the entry from expiring (librdkafka issue 5511): after a broker restart, every
// group read of a lag poller timed out. The cache forgets an entry unused for
// metadata.max.age.ms, so the admin handle's is at most a second: the read after a timed-out
// one looks the coordinator up again. Its topic metadata expires as fast, which also matters:
// librdkafka takes a partition the cache lists without a leader (as a broker going down or
// starting up reports it) for a permanent error, and group_lag's watermark queries failed at
// once with LEADER_NOT_AVAILABLE, asking for no new metadata, until the entry expired. The
// cost: one more Metadata request per read that needs partition leaders.
constexpr int admin_metadata_max_age_ms = 1000;

rd_conf_ptr admin_conf(const composed_config& config) {
  auto conf = make_rd_conf(config, client_kind::consumer);
  static std::atomic<unsigned> admins{0};
  const std::string group = "asiokafka-admin-" + std::to_string(::getpid()) + "-" + std::to_string(admins++);
  const auto given_age = config.get("metadata.max.age.ms");
  const int age = std::min(given_age ? std::stoi(*given_age) : admin_metadata_max_age_ms, admin_metadata_max_age_ms);
  char errstr[512];
  for (const auto& [key, value] : {std::pair<const char*, std::string>{"group.id", group},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"metadata.max.age.ms", std::to_string(age)}})
    if (rd_kafka_conf_set(conf.get(), key, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
      throw config_error(key, config_scope::library_owned, config.name(), errstr);
  return conf;
}

}  // namespace

admin_impl::admin_impl(asio::any_io_executor ex, const composed_config& config, admin_options options)
    : core_(std::move(ex), RD_KAFKA_CONSUMER, admin_conf(config), admin_result_events,
            {std::move(options.on_error), std::move(options.on_statistics), std::move(options.log),
             std::move(options.token_provider)},
            "asiokafka admin"),
      main_q_(core_.bridge(rd_kafka_queue_get_main(core_.rk()))) {}

void admin_impl::start() {
  core_.start(
      shared_from_this(), [this] { drain(); }, [this] { return !closed_; });
}

void admin_impl::shutdown() {
  closed_ = true;
  core_.stop();
  complete_all(pending_, [this](pending_op& p) {
    p.op->finish(*this, make_error_code(error::closed), nullptr, completion_mode::post);
  });
}

std::optional<std::chrono::milliseconds> admin_impl::deadline_for(rd_kafka_admin_op_t kind, call_options call) {
  const bool to_coordinator =
      kind == RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS || kind == RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS ||
      kind == RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS || kind == RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS ||
      kind == RD_KAFKA_ADMIN_OP_DELETEGROUPS;
  if (!to_coordinator || call.timeout.count() < 0) return std::nullopt;
  return call.timeout;
}

admin_options_ptr admin_impl::make_options(rd_kafka_admin_op_t kind, call_options call, std::uint64_t id,
                                           error_code& ec) {
  admin_options_ptr options(rd_kafka_AdminOptions_new(rk(), kind));
  rd_kafka_AdminOptions_set_opaque(options.get(), reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)));
  // librdkafka's longest request timeout (an hour) for a coordinator request: see deadline_for.
  constexpr std::int64_t longest_ms = 3600 * 1000;
  const int ms = deadline_for(kind, call)
                     ? static_cast<int>(longest_ms)
                     : static_cast<int>(std::clamp<std::int64_t>(call.timeout.count(), -1, INT32_MAX));
  char errstr[256] = "";
  auto err = rd_kafka_AdminOptions_set_request_timeout(options.get(), ms, errstr, sizeof errstr);
  // Only the operations the controller completes later take an operation timeout.
  if (!err && (kind == RD_KAFKA_ADMIN_OP_CREATETOPICS || kind == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
               kind == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS || kind == RD_KAFKA_ADMIN_OP_DELETERECORDS))
    err = rd_kafka_AdminOptions_set_operation_timeout(options.get(), ms, errstr, sizeof errstr);
  if (err) {
    ec = make_kafka_error_code(err);
    core_.log(log_level::warning, "ADMIN", std::string("admin timeout refused: ") + errstr);
    return nullptr;
  }
  return options;
}

void admin_impl::enlist(std::uint64_t id, std::unique_ptr<op_base> op,
                        std::optional<std::chrono::milliseconds> deadline) {
  auto slot = op->slot();
  std::unique_ptr<asio::steady_timer> timer;
  if (deadline) {
    timer = std::make_unique<asio::steady_timer>(executor(), *deadline);
    // Ends with operation_aborted when the operation completes first (its timer goes with it).
    timer->async_wait([self = weak_from_this(), id](error_code ec) {
      if (ec) return;
      if (auto s = self.lock()) s->expire(id);
    });
  }
  pending_.push_back({id, slot, std::move(op), std::move(timer)});
  connect_cancellation<&admin_impl::cancel>(slot, *this, id);
}

void admin_impl::expire(std::uint64_t id) {
  auto op = take_by_id(pending_, id);
  if (!op) return;
  op->slot.clear();
  core_.log(log_level::info, "ADMIN",
            "a request to a group coordinator timed out; its answer, if one comes, is discarded");
  op->op->finish(*this, make_kafka_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT), nullptr, completion_mode::post);
}

void admin_impl::cancel(std::uint64_t id, asio::cancellation_type type) {
  if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
               asio::cancellation_type::total)) == asio::cancellation_type::none)
    return;
  cancel_by_id(pending_, id, [this](pending_op& p) {
    p.op->finish(*this, asio::error::operation_aborted, nullptr, completion_mode::post);
  });
}

void admin_impl::drain() {
  auto self = shared_from_this();
  core_.drain(main_q_, [this](rd_kafka_event_t* ev) {
    const auto type = rd_kafka_event_type(ev);
    if (is_admin_result(type))
      handle_result(ev);
    else if (type == RD_KAFKA_EVENT_ERROR)
      core_.report({.code = make_kafka_error_code(rd_kafka_event_error(ev)),
                    .operation = "client",
                    .detail = rd_kafka_event_error_string(ev)});
    else
      core_.serve_common_event(ev);
    rd_kafka_event_destroy(ev);
    return !closed_;
  });
}

void admin_impl::handle_result(rd_kafka_event_t* ev) {
  const auto id = reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(ev));
  auto op = take_by_id(pending_, id);
  if (!op) return;  // cancelled: the answer is discarded
  op->slot.clear();
  op->op->finish(*this, {}, ev, completion_mode::dispatch);
}

error_code admin_impl::request_error(rd_kafka_event_t* ev) {
  const auto err = rd_kafka_event_error(ev);
  if (!err) return {};
  core_.log(log_level::info, "ADMIN",
            std::string(rd_kafka_event_name(ev)) + " failed: " + rd_kafka_event_error_string(ev));
  return make_kafka_error_code(err);
}

}  // namespace asiokafka::detail
