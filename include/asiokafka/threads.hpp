// The threads asiokafka starts besides the application's own, and how many.
//
// Handlers always run on the executors the application gives; these threads only wait for
// librdkafka:
//  * librdkafka's own threads, per client (its main thread and one per broker connection);
//  * one process-wide pool for the librdkafka calls that exist only in blocking form
//    (committed offsets, watermark queries, offsets for times, metadata for explicit
//    partitions and the reply topic, the admin client's group-offset reads): 1 thread unless
//    set_blocking_threads() says otherwise, started by the first such call and joined at exit;
//  * one worker thread per transactional producer (exactly-once subscribers), started by its
//    first transaction call and joined when the producer is destroyed; a producer with a call
//    in flight lives until that call has completed on its executor.
// No thread is detached.
#pragma once

#include <cstddef>

namespace asiokafka {

/// Sets the number of threads of the process-wide blocking pool (default 1). A call there may
/// block for its timeout (a committed-offsets query while the group coordinator is away), and
/// later calls of every client wait behind it; give more threads to a process with many
/// clients making such calls. Call before the first client makes one (early in main).
/// Throws std::invalid_argument for 0 and std::logic_error once the pool runs (its size
/// named). Thread-safe.
void set_blocking_threads(std::size_t threads);

/// The blocking pool's size: as set, else 1.
std::size_t blocking_threads() noexcept;

}  // namespace asiokafka
