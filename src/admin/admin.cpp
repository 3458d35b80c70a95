// The admin operations: each builds librdkafka's request objects from asiokafka's types and
// hands them to admin_impl::request with the parser of its result.
#include <asiokafka/admin.hpp>

#include "admin/admin_impl.hpp"
#include "admin/admin_results.hpp"
#include "admin/alter_configs.hpp"
#include "detail/blocking_pool.hpp"
#include "detail/client_handle_impl.hpp"
#include "detail/partition_list.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <string>
#include <utility>

namespace asio = boost::asio;

namespace asiokafka {

template class detail::client_handle<detail::admin_impl>;

namespace {

item_result refusal(std::string name, const char* reason) {
  return {std::move(name), make_kafka_error_code(RD_KAFKA_RESP_ERR__INVALID_ARG), reason};
}

/// Owns request objects and frees them with librdkafka's `destroy_array` function; the items
/// librdkafka refused locally are kept as results.
template <class T, void (*Destroy)(T**, std::size_t)>
struct rd_objects {
  std::vector<T*> items;
  std::vector<item_result> refused;
  rd_objects() = default;
  rd_objects(const rd_objects&) = delete;
  rd_objects& operator=(const rd_objects&) = delete;
  ~rd_objects() { Destroy(items.data(), items.size()); }
  /// Keeps `item`, or (null: librdkafka refused it with `reason`) records the refusal of `name`.
  bool keep(T* item, const std::string& name, const char* reason) {
    if (!item) {
      refused.push_back(refusal(name, reason));
      return false;
    }
    items.push_back(item);
    return true;
  }
  /// The last item kept is refused after all (one of its settings was).
  void refuse_last(const std::string& name, const std::string& reason) {
    refused.push_back(refusal(name, reason.c_str()));
    Destroy(&items.back(), 1);
    items.pop_back();
  }
  /// The request's send step: librdkafka's `Send` with every object.
  template <auto Send>
  auto send() {
    return [this](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      Send(rk, items.data(), items.size(), o, q);
    };
  }
};

std::vector<std::string> names_of(const std::vector<std::string>& names) { return names; }
template <class T>
std::vector<std::string> names_of(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) {
    if constexpr (requires { i.resource; })
      out.push_back(i.resource.name);
    else if constexpr (requires { i.topic; })
      out.push_back(i.topic);
    else
      out.push_back(i.name);
  }
  return out;
}

/// The item results parser for operations where librdkafka may refuse items locally.
std::function<std::vector<item_result>(rd_kafka_event_t*)> item_parser(
    std::vector<std::string> names, std::vector<item_result> refused,
    std::vector<item_result> (*parse)(rd_kafka_event_t*)) {
  return [names = std::move(names), refused = std::move(refused), parse](rd_kafka_event_t* ev) {
    return detail::in_input_order(names, parse(ev), refused);
  };
}

/// Sends a request of items librdkafka may refuse locally (their results are merged in input
/// order), or completes at once when it refused every item.
template <auto Send, class Objects, class Handler>
void request_items(detail::admin_impl& impl, rd_kafka_admin_op_t kind, call_options call,
                   std::vector<std::string> names, Objects& objs, std::vector<item_result> (*parse)(rd_kafka_event_t*),
                   Handler h) {
  if (objs.items.empty()) return impl.complete_now(std::move(h), {}, detail::in_input_order(names, {}, objs.refused));
  impl.request(kind, call, item_parser(std::move(names), objs.refused, parse), std::move(h),
               objs.template send<Send>());
}

/// The three group-offset operations differ only in librdkafka's types and functions: one
/// request object for `group` and `list`, sent by `Send`, read by group_offsets_result.
template <class T, void (*Destroy)(T**, std::size_t), T* (*New)(const char*, const rd_kafka_topic_partition_list_t*),
          void (*Send)(rd_kafka_t*, T**, std::size_t, const rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>
void group_offsets_request(detail::admin_impl& impl, rd_kafka_admin_op_t kind, const std::string& group,
                           const rd_kafka_topic_partition_list_t* list, call_options call,
                           boost::asio::any_completion_handler<void(error_code, group_offsets)> h) {
  rd_objects<T, Destroy> objs;
  objs.items.push_back(New(group.c_str(), list));
  impl.request<group_offsets>(kind, call, &detail::group_offsets_result, std::move(h), objs.template send<Send>());
}

std::vector<item_result> config_item_results(rd_kafka_event_t* ev) {
  std::vector<item_result> out;
  for (auto& rc : detail::config_results(ev))
    out.push_back({std::move(rc.resource.name), rc.error, std::move(rc.message)});
  return out;
}

}  // namespace

std::string_view to_string(resource_type t) noexcept {
  switch (t) {
    case resource_type::broker:
      return "broker";
    case resource_type::group:
      return "group";
    case resource_type::topic:
      break;
  }
  return "topic";
}

admin::admin(executor_type ex, const composed_config& config, admin_options options)
    : impl_(ex, std::make_shared<detail::admin_impl>(ex, config, std::move(options))) {}

admin::admin(admin&&) noexcept = default;
admin& admin::operator=(admin&&) noexcept = default;
admin::~admin() = default;
void* admin::native_handle() const noexcept { return impl_->rk(); }

void admin::start_create_topics(std::vector<new_topic> topics, call_options call, handler<std::vector<item_result>> h) {
  rd_objects<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy_array> objs;
  for (const auto& t : topics) {
    char errstr[512] = "";
    auto* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, errstr, sizeof errstr);
    if (!objs.keep(nt, t.name, errstr)) continue;
    for (const auto& [key, value] : t.configs) {
      if (rd_kafka_NewTopic_set_config(nt, key.c_str(), value.c_str()) == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      objs.refuse_last(t.name, "config " + key + " refused");
      break;
    }
  }
  request_items<rd_kafka_CreateTopics>(*impl_, RD_KAFKA_ADMIN_OP_CREATETOPICS, call, names_of(topics), objs,
                                       &detail::topic_results, std::move(h));
}

void admin::start_delete_topics(std::vector<std::string> topics, call_options call,
                                handler<std::vector<item_result>> h) {
  rd_objects<rd_kafka_DeleteTopic_t, rd_kafka_DeleteTopic_destroy_array> objs;
  for (const auto& t : topics) objs.items.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  if (objs.items.empty()) return impl_->complete_now(std::move(h), {}, std::vector<item_result>{});
  impl_->request(RD_KAFKA_ADMIN_OP_DELETETOPICS, call, item_parser(names_of(topics), {}, &detail::topic_results),
                 std::move(h), objs.send<rd_kafka_DeleteTopics>());
}

void admin::start_create_partitions(std::vector<new_partitions> topics, call_options call,
                                    handler<std::vector<item_result>> h) {
  rd_objects<rd_kafka_NewPartitions_t, rd_kafka_NewPartitions_destroy_array> objs;
  for (const auto& t : topics) {
    char errstr[512] = "";
    objs.keep(rd_kafka_NewPartitions_new(t.topic.c_str(), static_cast<std::size_t>(std::max(t.total, 0)), errstr,
                                         sizeof errstr),
              t.topic, errstr);
  }
  request_items<rd_kafka_CreatePartitions>(*impl_, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, call, names_of(topics), objs,
                                           &detail::topic_results, std::move(h));
}

void admin::start_describe_configs(std::vector<config_resource> resources, call_options call,
                                   handler<std::vector<resource_configs>> h) {
  rd_objects<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy_array> objs;
  for (const auto& r : resources)
    objs.items.push_back(rd_kafka_ConfigResource_new(detail::to_rd_resource_type(r.type), r.name.c_str()));
  if (objs.items.empty()) return impl_->complete_now(std::move(h), {}, std::vector<resource_configs>{});
  impl_->request<std::vector<resource_configs>>(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, call, &detail::config_results,
                                                std::move(h), objs.send<rd_kafka_DescribeConfigs>());
}

void admin::start_alter_configs(std::vector<config_change> changes, call_options call,
                                handler<std::vector<item_result>> h) {
  rd_objects<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy_array> objs;
  for (const auto& c : changes) {
    auto* r = rd_kafka_ConfigResource_new(detail::to_rd_resource_type(c.resource.type), c.resource.name.c_str());
    objs.items.push_back(r);
    for (const auto& [key, value] : c.set) {
      if (detail::add_config_setting(r, key, value)) continue;
      objs.refuse_last(c.resource.name, "config " + key + " refused");
      break;
    }
  }
  request_items<detail::alter_configs>(*impl_, detail::alter_configs_op, call, names_of(changes), objs,
                                       &config_item_results, std::move(h));
}

void admin::start_delete_records(topic_partition_list before, call_options call, handler<topic_partition_list> h) {
  if (before.empty()) return impl_->complete_now(std::move(h), {}, topic_partition_list{});
  auto list = detail::to_rd_list(before);
  rd_objects<rd_kafka_DeleteRecords_t, rd_kafka_DeleteRecords_destroy_array> objs;
  objs.items.push_back(rd_kafka_DeleteRecords_new(list.get()));
  impl_->request<topic_partition_list>(RD_KAFKA_ADMIN_OP_DELETERECORDS, call, &detail::delete_records_result,
                                       std::move(h), objs.send<rd_kafka_DeleteRecords>());
}

void admin::start_list_groups(call_options call, handler<group_list> h) {
  impl_->request<group_list>(
      RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, call, &detail::list_groups_result, std::move(h),
      [](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) { rd_kafka_ListConsumerGroups(rk, o, q); });
}

void admin::start_describe_groups(std::vector<std::string> groups, call_options call,
                                  handler<std::vector<group_description>> h) {
  if (groups.empty()) return impl_->complete_now(std::move(h), {}, std::vector<group_description>{});
  std::vector<const char*> ids;
  for (const auto& g : groups) ids.push_back(g.c_str());
  impl_->request<std::vector<group_description>>(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, call,
                                                 &detail::describe_groups_result, std::move(h),
                                                 [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                                                   rd_kafka_DescribeConsumerGroups(rk, ids.data(), ids.size(), o, q);
                                                 });
}

void admin::start_delete_groups(std::vector<std::string> groups, call_options call,
                                handler<std::vector<item_result>> h) {
  rd_objects<rd_kafka_DeleteGroup_t, rd_kafka_DeleteGroup_destroy_array> objs;
  for (const auto& g : groups) objs.items.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
  if (objs.items.empty()) return impl_->complete_now(std::move(h), {}, std::vector<item_result>{});
  impl_->request(RD_KAFKA_ADMIN_OP_DELETEGROUPS, call, item_parser(groups, {}, &detail::group_results), std::move(h),
                 objs.send<rd_kafka_DeleteGroups>());
}

void admin::start_list_group_offsets(std::string group, topic_partition_list partitions, call_options call,
                                     handler<group_offsets> h) {
  // No partitions: librdkafka lists every partition the group committed.
  auto list = partitions.empty() ? nullptr : detail::to_rd_list(partitions);
  group_offsets_request<rd_kafka_ListConsumerGroupOffsets_t, rd_kafka_ListConsumerGroupOffsets_destroy_array,
                        rd_kafka_ListConsumerGroupOffsets_new, rd_kafka_ListConsumerGroupOffsets>(
      *impl_, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, group, list.get(), call, std::move(h));
}

void admin::start_alter_group_offsets(std::string group, topic_partition_list offsets, call_options call,
                                      handler<group_offsets> h) {
  auto list = detail::to_rd_list(offsets);
  group_offsets_request<rd_kafka_AlterConsumerGroupOffsets_t, rd_kafka_AlterConsumerGroupOffsets_destroy_array,
                        rd_kafka_AlterConsumerGroupOffsets_new, rd_kafka_AlterConsumerGroupOffsets>(
      *impl_, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, group, list.get(), call, std::move(h));
}

void admin::start_delete_group_offsets(std::string group, topic_partition_list partitions, call_options call,
                                       handler<group_offsets> h) {
  auto list = detail::to_rd_list(partitions);
  group_offsets_request<rd_kafka_DeleteConsumerGroupOffsets_t, rd_kafka_DeleteConsumerGroupOffsets_destroy_array,
                        rd_kafka_DeleteConsumerGroupOffsets_new, rd_kafka_DeleteConsumerGroupOffsets>(
      *impl_, RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS, group, list.get(), call, std::move(h));
}

void admin::start_group_lag(std::string group, call_options call, handler<std::vector<partition_lag>> h) {
  // The committed offsets through the event loop (the user's cancellation slot applies to
  // them), then the watermarks on the blocking pool, then the completion on the handler's
  // executor.
  auto slot = asio::get_associated_cancellation_slot(h);
  auto on_offsets = [handle = impl_->handle(), ex = impl_->executor(), h = std::move(h), call](
                        error_code ec, group_offsets committed) mutable {
    if (!ec) ec = committed.error;
    if (ec) {
      asio::post(ex, asio::append(std::move(h), ec, std::vector<partition_lag>{}));
      return;
    }
    // The work guard keeps the client's io_context running until the result is posted, also
    // when the client was destroyed meanwhile.
    asio::post(detail::blocking_pool(), [handle, work = detail::pool_work(ex), parts = std::move(committed.partitions),
                                         call, h = std::move(h)]() mutable {
      std::vector<partition_lag> lags;
      for (const auto& p : parts) {
        partition_lag l{p.topic, p.partition, p.offset};
        l.error = p.error;
        std::int64_t low = 0;
        if (!l.error)
          l.error = make_kafka_error_code(rd_kafka_query_watermark_offsets(handle->rk, p.topic.c_str(), p.partition,
                                                                           &low, &l.high_watermark,
                                                                           static_cast<int>(call.timeout.count())));
        if (!l.error && l.committed >= 0 && l.high_watermark >= 0) l.lag = l.high_watermark - l.committed;
        lags.push_back(std::move(l));
      }
      std::sort(lags.begin(), lags.end(), [](const partition_lag& a, const partition_lag& b) {
        return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
      });
      detail::post_back(std::move(work), asio::append(std::move(h), error_code{}, std::move(lags)));
    });
  };
  start_list_group_offsets(std::move(group), {}, call, asio::bind_cancellation_slot(slot, std::move(on_offsets)));
}

}  // namespace asiokafka
