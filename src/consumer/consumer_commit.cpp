// Offsets: storing finished messages' offsets, commits awaiting the group coordinator's
// answer, and the offset queries that run off the event loop.
#include "consumer/consumer_impl.hpp"

#include "detail/blocking_pool.hpp"
#include "detail/partition_list.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <utility>

namespace asio = boost::asio;

namespace asiokafka::detail {

error_code consumer_impl::store_offset(const message& msg) {
  if (!msg) return make_error_code(error::not_assigned);
  const auto* m = static_cast<const rd_kafka_message_t*>(msg.native_handle());
  if (!track_offsets_)  // librdkafka stores `offset + 1`, the next offset to consume
    return make_kafka_error_code(rd_kafka_offset_store(m->rkt, msg.partition(), msg.offset()));
  bool tracked = false;
  auto next = tracker_.finished({msg.topic(), msg.partition()}, msg.offset(), &tracked);
  if (!tracked) return make_error_code(error::not_assigned);
  if (next) defer_store(msg.topic(), msg.partition(), *next);
  return {};
}

// A store per finished message would cost librdkafka's partition lookup and lock each time:
// the furthest offset per partition waits here and goes to librdkafka in one call, from a
// posted flush, the end of a drain, every store_batch stores (a handler that finishes many
// records without yielding keeps auto-commit current), or before anything that reads the
// stored offsets (a commit, a seek, a revocation, close).
void consumer_impl::defer_store(std::string_view topic, std::int32_t partition, std::int64_t next) {
  // From the back: records come in runs per partition, so the one stored last is the usual match.
  auto it = std::find_if(pending_stores_.rbegin(), pending_stores_.rend(),
                         [&](const topic_partition& p) { return p.partition == partition && p.topic == topic; });
  if (it != pending_stores_.rend())
    it->offset = next;
  else
    pending_stores_.push_back({std::string(topic), partition, next});
  if (++deferred_stores_ >= store_batch) {
    flush_stores();
    return;
  }
  if (store_flush_posted_) return;
  store_flush_posted_ = true;
  asio::post(executor(), [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->flush_stores();
  });
}

void consumer_impl::flush_stores() {
  store_flush_posted_ = false;
  deferred_stores_ = 0;
  if (pending_stores_.empty() || fatal_) {
    pending_stores_.clear();
    return;
  }
  auto list = to_rd_list(pending_stores_);
  pending_stores_.clear();
  if (auto err = rd_kafka_offsets_store(rk_, list.get()); err && err != RD_KAFKA_RESP_ERR__STATE) {
    const std::string what = describe(from_rd_list(list.get()));
    core_.report({.code = make_kafka_error_code(err), .operation = "store", .detail = what});
  }
  // Per partition: a partition no longer assigned (_STATE) goes to its next owner unstored.
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err && e.err != RD_KAFKA_RESP_ERR__STATE)
      core_.report({.code = make_kafka_error_code(e.err),
                    .operation = "store",
                    .topic = e.topic,
                    .partition = e.partition,
                    .offset = e.offset});
  }
}

void consumer_impl::start_commit(topic_partition_list offsets, commit_scope scope, plain_handler h) {
  if (fatal_ || close_seq_.closed()) {
    asio::post(executor(), asio::append(std::move(h), fatal_ ? fatal_ : make_error_code(error::closed)));
    return;
  }
  const std::uint64_t id = next_id_++;
  commit_waiter c{std::move(h), {}};
  c.slot = c.handler.slot();
  connect_cancellation<&consumer_impl::cancel_commit>(c.slot, *this, id);
  commits_.emplace(id, std::move(c));
  send_commit(offsets, scope, id);
}

// Terminal only: the request already sent still takes effect, only the waiting ends. Runs
// inside the slot's handler: the slot is left alone.
void consumer_impl::cancel_commit(std::uint64_t id, asio::cancellation_type type) {
  if (!(type & asio::cancellation_type::terminal)) return;
  auto it = commits_.find(id);
  if (it == commits_.end()) return;
  auto handler = it->second.handler.take();
  commits_.erase(it);
  asio::post(executor(), asio::append(std::move(handler), asio::error::operation_aborted));
}

void consumer_impl::send_commit(const topic_partition_list& offsets, commit_scope scope, std::uint64_t id) {
  flush_stores();
  rd_list_ptr list;
  if (scope == commit_scope::explicit_offsets) list = to_rd_list(offsets);
  const auto err =
      rd_kafka_commit_queue(rk_, list.get(), ops_q_, nullptr, reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)));
  if (err)
    complete_commit(id, err == RD_KAFKA_RESP_ERR__NO_OFFSET ? error_code{} : make_kafka_error_code(err),
                    completion_mode::post);
}

bool consumer_impl::complete_commit(std::uint64_t id, const error_code& ec, completion_mode mode) {
  auto it = commits_.find(id);
  if (it == commits_.end()) return false;
  auto c = std::move(it->second);
  commits_.erase(it);
  c.slot.clear();
  core_.complete(mode, c.handler.take(), ec);
  return true;
}

void consumer_impl::handle_commit_result(rd_kafka_event_t* ev) {
  const auto id = reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(ev));
  const rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
  error_info failure{.operation = "commit"};
  topic_partition failed_partition;
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    failure.code = make_kafka_error_code(err);
  } else if (!err) {
    for (auto& p : from_rd_list(rd_kafka_event_topic_partition_list(ev))) {
      if (p.error) {
        failed_partition = std::move(p);
        failure.code = failed_partition.error;
        failure.topic = failed_partition.topic;
        failure.partition = failed_partition.partition;
        failure.offset = failed_partition.offset;
        break;
      }
    }
  }
  // Not found: an auto-commit (opaque 0) or a commit whose waiter was cancelled; its failure
  // has no handler to go to, so it is reported.
  if (!complete_commit(id, failure.code, completion_mode::dispatch) && failure.code) core_.report(failure);
}

void consumer_impl::fail_commits(const error_code& ec) {
  complete_all(commits_, [&](commit_waiter& c) { asio::post(executor(), asio::append(c.handler.take(), ec)); });
}

// The blocking queries below hold work on the consumer's executor (pool_work) until their
// result has run there (post_back, blocking_pool.hpp).
void consumer_impl::start_committed(topic_partition_list partitions, std::chrono::milliseconds timeout,
                                    asio::any_completion_handler<void(error_code, topic_partition_list)> h) {
  asio::post(blocking_pool(), [handle = core_.handle(), work = pool_work(executor()), parts = std::move(partitions),
                               timeout, h = std::move(h)]() mutable {
    auto list = to_rd_list(parts);
    const auto err = rd_kafka_committed(handle->rk, list.get(), static_cast<int>(timeout.count()));
    post_back(std::move(work), asio::append(std::move(h), make_kafka_error_code(err), from_rd_list(list.get())));
  });
}

void consumer_impl::start_watermarks(std::string topic, std::int32_t partition, std::chrono::milliseconds timeout,
                                     asio::any_completion_handler<void(error_code, watermarks)> h) {
  asio::post(blocking_pool(), [handle = core_.handle(), work = pool_work(executor()), topic = std::move(topic),
                               partition, timeout, h = std::move(h)]() mutable {
    watermarks w;
    const auto err = rd_kafka_query_watermark_offsets(handle->rk, topic.c_str(), partition, &w.low, &w.high,
                                                      static_cast<int>(timeout.count()));
    post_back(std::move(work), asio::append(std::move(h), make_kafka_error_code(err), w));
  });
}

namespace {

// On a pool thread. librdkafka answers "no record that recent" with offset -1, which is
// offsets::end.
std::pair<error_code, topic_partition_list> offsets_for_times(rd_kafka_t* rk, const topic_partition_list& parts,
                                                              std::chrono::milliseconds timeout) {
  auto list = to_rd_list(parts);
  const auto err = rd_kafka_offsets_for_times(rk, list.get(), static_cast<int>(timeout.count()));
  return {make_kafka_error_code(err), from_rd_list(list.get())};
}

}  // namespace

void consumer_impl::start_offsets_for_times(topic_partition_list partitions, std::chrono::milliseconds timeout,
                                            asio::any_completion_handler<void(error_code, topic_partition_list)> h) {
  asio::post(blocking_pool(), [handle = core_.handle(), work = pool_work(executor()), parts = std::move(partitions),
                               timeout, h = std::move(h)]() mutable {
    auto [ec, found] = offsets_for_times(handle->rk, parts, timeout);
    post_back(std::move(work), asio::append(std::move(h), ec, std::move(found)));
  });
}

void consumer_impl::start_seek_to_time(topic_partition_list partitions, std::chrono::milliseconds timeout,
                                       asio::any_completion_handler<void(error_code, topic_partition_list)> h) {
  asio::post(blocking_pool(),
             [handle = core_.handle(), weak = weak_from_this(), ex = executor(), work = pool_work(executor()),
              parts = std::move(partitions), timeout, h = std::move(h)]() mutable {
               auto [ec, found] = offsets_for_times(handle->rk, parts, timeout);
               // Back on the consumer's executor, where seek() may be called.
               post_back(std::move(work), [weak, ex, ec = ec, found = std::move(found), h = std::move(h)]() mutable {
                 auto self = weak.lock();
                 if (!self || !self->close_seq_.open() || self->fatal_) {
                   const error_code why = self && self->fatal_ ? self->fatal_ : make_error_code(error::closed);
                   asio::post(ex, asio::append(std::move(h), why, topic_partition_list{}));
                   return;
                 }
                 for (const auto& p : found)
                   if (!ec && p.error) ec = p.error;
                 try {
                   for (const auto& p : found)
                     if (!ec) self->seek(p);
                 } catch (const boost::system::system_error& e) {
                   ec = e.code();
                 }
                 self->core_.complete(completion_mode::dispatch, std::move(h), ec, std::move(found));
               });
             });
}

}  // namespace asiokafka::detail
