// The process-wide pool for the few librdkafka calls that only exist in blocking form
// (committed offsets, watermark queries, offsets for times, metadata): they run here, never
// on an application thread. Its size is set_blocking_threads()'s (asiokafka/threads.hpp).
#pragma once

#include <boost/asio/thread_pool.hpp>

namespace asiokafka::detail {

boost::asio::thread_pool& blocking_pool();

}  // namespace asiokafka::detail
