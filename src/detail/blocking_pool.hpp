// The process-wide pool for the few librdkafka calls that only exist in blocking form
// (committed offsets, watermark queries, offsets for times, metadata): they run here, never
// on an application thread. Its size is set_blocking_threads()'s (asiokafka/threads.hpp).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <utility>

namespace asiokafka::detail {

boost::asio::thread_pool& blocking_pool();

/// Work on a client's executor that a call on the pool holds until its result is back there,
/// as Asio's own operations do: the io_context does not run out of work meanwhile, also when
/// the client was destroyed (the handler would be lost).
using pool_work = boost::asio::executor_work_guard<boost::asio::any_io_executor>;

/// From the pool: completes `completion` (a handler with its arguments appended, or a function)
/// through the executor of `work` and then releases `work` there: the handler runs on its associated executor, as
/// with `post(ex, completion)`. Released on the pool thread instead, the last work of an
/// io_context wakes its run() while the pool thread is still inside the io_context: an
/// application that destroys the io_context as soon as run() returns made that a use-after-free
/// (AddressSanitizer, test_consumer).
template <class Completion>
void post_back(pool_work work, Completion completion) {
  const auto ex = work.get_executor();
  boost::asio::post(ex, [work = std::move(work), completion = std::move(completion)]() mutable {
    boost::asio::dispatch(std::move(completion));
  });
}

}  // namespace asiokafka::detail
