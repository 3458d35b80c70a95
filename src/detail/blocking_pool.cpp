#include "detail/blocking_pool.hpp"

namespace asiokafka::detail {

boost::asio::thread_pool& blocking_pool() {
  static boost::asio::thread_pool pool(1);
  return pool;
}

}  // namespace asiokafka::detail
