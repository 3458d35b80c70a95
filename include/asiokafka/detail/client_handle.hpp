// What consumer, producer and admin share: shared ownership of the implementation (operations
// in flight keep it alive), its start on construction and its shutdown on destruction or
// move-assignment, and the executor kept by value, so get_executor() works on a moved-from
// client as it does on Asio's I/O objects. Internal: the members are defined in
// src/detail/client_handle_impl.hpp and instantiated for each client in its source file.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace asiokafka::detail {

template <class Impl>
class client_handle {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Starts `impl` (its event bridge on `ex`).
  client_handle(executor_type ex, std::shared_ptr<Impl> impl);
  client_handle(client_handle&& other) noexcept;
  /// Shuts this client's implementation down first, then takes the other's.
  client_handle& operator=(client_handle&& other) noexcept;
  client_handle(const client_handle&) = delete;
  client_handle& operator=(const client_handle&) = delete;
  ~client_handle();

  const executor_type& executor() const noexcept { return executor_; }
  explicit operator bool() const noexcept { return impl_ != nullptr; }
  Impl* operator->() const noexcept { return impl_.get(); }
  Impl& operator*() const noexcept { return *impl_; }

 private:
  executor_type executor_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace asiokafka::detail
