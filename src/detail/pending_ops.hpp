// Completing pending operations: one place that takes them out of their container, clears
// their cancellation slots and completes them, so no path forgets a slot (a slot left
// connected would call back into a client that no longer knows the operation).
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

namespace asiokafka::detail {

/// How a completion reaches its handler. `post` from initiating functions and cancellation
/// (never inline); `immediate` from an initiating function that has its result at once: the
/// handler's associated immediate executor (Boost >= 1.82; by default the client's executor
/// without blocking, that is a post); `dispatch` from the drain loop, where a resumed
/// coroutine that starts the next operation costs no extra trip through the executor's queue;
/// `in_place` from the drain loop for a handler that runs on the client's own executor: it is
/// invoked there, as asio::dispatch would, without the type-erased executor trips.
enum class completion_mode { post, immediate, dispatch, in_place };

/// `mode` for a handler whose executor is (`runs_on_client`, detail::runs_on) the client's:
/// a dispatch becomes `in_place`.
constexpr completion_mode for_handler(completion_mode mode, bool runs_on_client) noexcept {
  return mode == completion_mode::dispatch && runs_on_client ? completion_mode::in_place : mode;
}

/// Removes and returns the pending operation with this id (cancellation paths), if present.
template <class Container>
std::optional<typename Container::value_type> take_by_id(Container& ops, std::uint64_t id) {
  auto it = std::find_if(ops.begin(), ops.end(), [id](const auto& op) { return op.id == id; });
  if (it == ops.end()) return std::nullopt;
  std::optional<typename Container::value_type> op(std::move(*it));
  ops.erase(it);
  return op;
}

/// The cancellation path of one operation: removes the operation with this id from `ops` and
/// completes it with `complete(op)`. Its slot is only forgotten, not cleared: this runs inside
/// the slot's own handler. False when no such operation is pending (it completed already).
template <class Container, class Complete>
bool cancel_by_id(Container& ops, std::uint64_t id, Complete&& complete) {
  auto op = take_by_id(ops, id);
  if (!op) return false;
  op->slot = {};
  complete(*op);
  return true;
}

/// Connects the operation's cancellation slot, when its handler has one, to
/// `(client.*Cancel)(id, type)`. The client (an enable_shared_from_this) is held weakly: a
/// cancellation emitted after the client is gone does nothing. `Cancel` is a template argument,
/// so the slot's handler holds only the weak reference and the id.
template <auto Cancel, class Client>
void connect_cancellation(boost::asio::cancellation_slot& slot, Client& client, std::uint64_t id) {
  // Checked before the weak reference is taken: this runs for every receive, and most handlers
  // have no slot (a plain callback; a coroutine spawned without one, as with detached).
  if (!slot.is_connected()) return;
  slot.assign([client = client.weak_from_this(), id](boost::asio::cancellation_type type) {
    if (auto self = client.lock()) ((*self).*Cancel)(id, type);
  });
}

namespace pending_ops_detail {
template <class Op>
Op& op_of(Op& op) noexcept {
  return op;
}
template <class Key, class Op>
Op& op_of(std::pair<const Key, Op>& entry) noexcept {
  return entry.second;
}
}  // namespace pending_ops_detail

/// Completes every operation in `ops` (a sequence, or a map keyed by id) with `complete(op)`,
/// in order, after clearing its cancellation slot; `ops` is empty afterwards. The container
/// is emptied first, so a completion that starts a new operation does not see the old ones.
/// Not for use inside a cancellation handler (a slot must not be cleared from its own handler).
template <class Container, class Complete>
void complete_all(Container& ops, Complete&& complete) {
  Container taken(std::move(ops));
  ops.clear();
  for (auto& entry : taken) {
    auto& op = pending_ops_detail::op_of(entry);
    op.slot.clear();
    complete(op);
  }
}

}  // namespace asiokafka::detail
