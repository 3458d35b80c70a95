#include "detail/blocking_pool.hpp"

#include <asiokafka/threads.hpp>

#include <mutex>
#include <stdexcept>
#include <string>

namespace asiokafka {
namespace {

std::mutex pool_mutex;
std::size_t pool_size = 1;
bool pool_started = false;

}  // namespace

void set_blocking_threads(std::size_t threads) {
  if (threads == 0) throw std::invalid_argument("asiokafka: the blocking pool needs at least one thread");
  std::lock_guard lock(pool_mutex);
  if (pool_started && threads != pool_size)
    throw std::logic_error("asiokafka: the blocking pool already runs with " + std::to_string(pool_size) +
                           " thread(s); set its size before the first client makes a blocking call");
  pool_size = threads;
}

std::size_t blocking_threads() noexcept {
  std::lock_guard lock(pool_mutex);
  return pool_size;
}

namespace detail {

boost::asio::thread_pool& blocking_pool() {
  static boost::asio::thread_pool pool([] {
    std::lock_guard lock(pool_mutex);
    pool_started = true;
    return pool_size;
  }());
  return pool;
}

}  // namespace detail
}  // namespace asiokafka
