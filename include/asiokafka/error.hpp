// asiokafka error codes.
//
// Two categories:
//  * asiokafka::error_category()  - conditions detected by asiokafka itself (enum `error`).
//  * asiokafka::kafka_category()  - librdkafka's rd_kafka_resp_err_t values, both broker
//    error codes (>= 0) and librdkafka-internal ones (< 0); message() is rd_kafka_err2str.
// (and the three transaction categories below, which carry librdkafka's codes too).
//
// Codes that have a generic meaning compare equal to boost::system::errc conditions, in
// every category: timeouts (_TIMED_OUT, _MSG_TIMED_OUT, REQUEST_TIMED_OUT, error::timeout) to
// errc::timed_out, authentication and authorization failures to permission_denied, a full
// queue to no_buffer_space, transport failures to connection_reset, all brokers down to
// not_connected, invalid arguments and configurations (error::invalid_config) to
// invalid_argument, purged or destroyed to operation_canceled, oversized messages to
// message_size. So `ec == boost::system::errc::timed_out` holds for a commit that timed out
// whatever category carries it.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace asiokafka {

using boost::system::error_code;

/// Errors raised by asiokafka itself.
enum class error {
  /// The consumer/producer was closed (or is closing) while the operation was pending
  /// or was started after close.
  closed = 1,
  /// The client hit a fatal librdkafka error (e.g. FENCED_INSTANCE_ID); the handle is
  /// unusable. The librdkafka code is available from the client's `fatal_error()`.
  fatal,
  /// Configuration rejected at compose time (unknown key, bad value, conflicting scopes).
  invalid_config,
  /// A message payload could not be decoded into the handler's type.
  decode_failed,
  /// An operation that may only have one instance pending was started twice.
  already_pending,
  /// The operation needs a group membership / assignment that the consumer does not have.
  not_assigned,
  /// A hook threw: a broker's startup or shutdown hook (its message is logged), or a
  /// consumer's rebalance hook (reported to the error sink; the rebalance proceeds and the
  /// consumer keeps running, so this is not fatal).
  hook_failed,
  /// A request got no reply within its timeout (broker::async_request).
  timeout,
  /// A subscriber's handler threw (the error of its span, see broker_options::on_span; the
  /// message follows the ack policy).
  handler_failed,
  /// A value could not be encoded (its encoder threw, or JSON refused it: NaN, an unnamed
  /// enumerator): the publish produced nothing. The encoder's message is logged and is the
  /// publish span's error text; a context::publish throws it in its system_error.
  encode_failed,
  /// A transactional producer's call (init, send offsets, commit, abort) did not return
  /// within its timeout and a grace period: librdkafka can wait forever for a group
  /// coordinator that went away (librdkafka issues 5456 and 5511, open in 2.14.2). The call
  /// stays blocked on the producer's transaction thread; this and every later transaction
  /// call of the producer complete with this error. Make a new producer with the same
  /// transactional.id: its init fences this one and aborts the open transaction.
  transaction_stalled,
};

const boost::system::error_category& error_category() noexcept;
const boost::system::error_category& kafka_category() noexcept;

inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

/// Wraps a librdkafka `rd_kafka_resp_err_t` value (passed as int) into an error_code.
/// 0 (RD_KAFKA_RESP_ERR_NO_ERROR) yields a success error_code.
error_code make_kafka_error_code(int rd_kafka_resp_err) noexcept;

/// True for errors after which the client cannot continue (librdkafka fatal errors such as
/// FENCED_INSTANCE_ID, asiokafka's `error::fatal`, and fatal transaction errors).
bool is_fatal(const error_code& ec) noexcept;

/// True for errors that librdkafka reports as transient (timeouts, transport failures,
/// leader changes, ...); retrying the operation may succeed. For a transaction operation's
/// error: librdkafka classified it retriable (the same call may be made again).
bool is_retriable(const error_code& ec) noexcept;

/// How a transactional producer's operation failed, as librdkafka classifies it
/// (`rd_kafka_error_is_retriable`, `rd_kafka_error_txn_requires_abort`,
/// `rd_kafka_error_is_fatal`). The error_code's value is librdkafka's code (as in
/// kafka_category()), its category one of the three below, so the classification travels with
/// the code through any completion token:
///  * retriable: the call may be made again (e.g. a commit that timed out);
///  * abortable: the transaction must be aborted (async_abort_transaction), then the work
///    redone in a new one;
///  * fatal: the producer is unusable (e.g. fenced by a newer instance with the same
///    transactional.id); a new producer is needed.
/// An unclassified failure (e.g. a call in the wrong state) keeps kafka_category().
enum class transaction_error_class { retriable, abortable, fatal };

const boost::system::error_category& transaction_category(transaction_error_class c) noexcept;

/// librdkafka's code `rd_kafka_resp_err` in the category of `c`.
error_code make_transaction_error_code(int rd_kafka_resp_err, transaction_error_class c) noexcept;

/// True for a transaction operation's error after which the open transaction must be aborted.
bool requires_abort(const error_code& ec) noexcept;

}  // namespace asiokafka

namespace boost::system {
template <>
struct is_error_code_enum<asiokafka::error> : std::true_type {};
}  // namespace boost::system
