#include <asiokafka/error.hpp>

#include <librdkafka/rdkafka.h>

#include <string>

namespace asiokafka {
namespace {

namespace errc = boost::system::errc;

// The generic condition (errno-like) of a librdkafka code, for `ec == errc::timed_out` and the
// like across the kafka and transaction categories; the code's own in `category` for codes
// without a close match.
boost::system::error_condition kafka_condition(const boost::system::error_category& category, int ev) noexcept {
  const auto generic = [](errc::errc_t c) { return errc::make_error_condition(c); };
  switch (static_cast<rd_kafka_resp_err_t>(ev)) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return generic(errc::timed_out);
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
      return generic(errc::connection_reset);
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return generic(errc::not_connected);
    case RD_KAFKA_RESP_ERR__RESOLVE:
      return generic(errc::host_unreachable);
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return generic(errc::permission_denied);
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return generic(errc::no_buffer_space);
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
      return generic(errc::invalid_argument);
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
      return generic(errc::operation_canceled);
    case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return generic(errc::not_supported);
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      return generic(errc::message_size);
    case RD_KAFKA_RESP_ERR__IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS:
      return generic(errc::operation_in_progress);
    default:
      return {ev, category};
  }
}

class asiokafka_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "asiokafka"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::closed:
        return "client closed";
      case error::fatal:
        return "client hit a fatal error";
      case error::invalid_config:
        return "invalid configuration";
      case error::decode_failed:
        return "message could not be decoded";
      case error::already_pending:
        return "operation already pending";
      case error::not_assigned:
        return "partition not assigned";
      case error::hook_failed:
        return "a startup, shutdown or rebalance hook failed";
      case error::timeout:
        return "no reply within the request timeout";
      case error::handler_failed:
        return "the handler failed";
      case error::encode_failed:
        return "the value could not be encoded";
      case error::transaction_stalled:
        return "a transaction call did not return within its timeout: the producer is unusable";
    }
    return "unknown asiokafka error " + std::to_string(ev);
  }
  boost::system::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<error>(ev)) {
      case error::timeout:
        return errc::make_error_condition(errc::timed_out);
      case error::invalid_config:
        return errc::make_error_condition(errc::invalid_argument);
      default:
        return {ev, *this};
    }
  }
};

class kafka_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "kafka"; }
  std::string message(int ev) const override { return rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(ev)); }
  boost::system::error_condition default_error_condition(int ev) const noexcept override {
    return kafka_condition(*this, ev);
  }
};

class transaction_category_impl final : public boost::system::error_category {
 public:
  explicit transaction_category_impl(transaction_error_class c) noexcept : class_(c) {}
  const char* name() const noexcept override {
    switch (class_) {
      case transaction_error_class::retriable:
        return "kafka.transaction.retriable";
      case transaction_error_class::abortable:
        return "kafka.transaction.abortable";
      case transaction_error_class::fatal:
        break;
    }
    return "kafka.transaction.fatal";
  }
  std::string message(int ev) const override {
    std::string text = rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(ev));
    switch (class_) {
      case transaction_error_class::retriable:
        return text + " (retriable)";
      case transaction_error_class::abortable:
        return text + " (the transaction must be aborted)";
      case transaction_error_class::fatal:
        break;
    }
    return text + " (fatal: the producer is unusable)";
  }
  boost::system::error_condition default_error_condition(int ev) const noexcept override {
    return kafka_condition(*this, ev);
  }
  transaction_error_class error_class() const noexcept { return class_; }

 private:
  transaction_error_class class_;
};

const transaction_category_impl* transaction_category_of(const error_code& ec) noexcept {
  return dynamic_cast<const transaction_category_impl*>(&ec.category());
}

bool is_retriable_code(rd_kafka_resp_err_t e) noexcept {
  switch (e) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
      return true;
    default:
      return false;
  }
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const asiokafka_category_impl instance;
  return instance;
}

const boost::system::error_category& kafka_category() noexcept {
  static const kafka_category_impl instance;
  return instance;
}

const boost::system::error_category& transaction_category(transaction_error_class c) noexcept {
  static const transaction_category_impl retriable(transaction_error_class::retriable);
  static const transaction_category_impl abortable(transaction_error_class::abortable);
  static const transaction_category_impl fatal(transaction_error_class::fatal);
  switch (c) {
    case transaction_error_class::retriable:
      return retriable;
    case transaction_error_class::abortable:
      return abortable;
    case transaction_error_class::fatal:
      break;
  }
  return fatal;
}

error_code make_transaction_error_code(int rd_kafka_resp_err, transaction_error_class c) noexcept {
  return {rd_kafka_resp_err, transaction_category(c)};
}

bool requires_abort(const error_code& ec) noexcept {
  const auto* c = transaction_category_of(ec);
  return c && c->error_class() == transaction_error_class::abortable;
}

error_code make_kafka_error_code(int rd_kafka_resp_err) noexcept {
  if (rd_kafka_resp_err == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  return {rd_kafka_resp_err, kafka_category()};
}

bool is_fatal(const error_code& ec) noexcept {
  if (ec.category() == error_category()) return ec.value() == static_cast<int>(error::fatal);
  if (const auto* c = transaction_category_of(ec)) return c->error_class() == transaction_error_class::fatal;
  if (ec.category() != kafka_category()) return false;
  switch (static_cast<rd_kafka_resp_err_t>(ec.value())) {
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      return true;
    default:
      return false;
  }
}

bool is_retriable(const error_code& ec) noexcept {
  if (const auto* c = transaction_category_of(ec)) return c->error_class() == transaction_error_class::retriable;
  return ec.category() == kafka_category() && is_retriable_code(static_cast<rd_kafka_resp_err_t>(ec.value()));
}

}  // namespace asiokafka
