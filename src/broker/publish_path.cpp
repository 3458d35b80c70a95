#include "broker/publish_path.hpp"

#include <asiokafka/detail/publish_link.hpp>

#include <asiokafka/wire.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {

bool has_header(const record& r, std::string_view name) {
  return std::any_of(r.headers.begin(), r.headers.end(), [&](const header& h) { return h.name == name; });
}

// A publish span that ends when the record's delivery report arrives.
struct publish_span {
  trace_context context;
  std::optional<trace_context::span_id_type> parent;
  std::string topic;
  std::string correlation_id;
  std::optional<std::string> encode_failure;  // the encoder's message, the span's error text

  void emit(const span_sink& sink, span_event::phase phase, const delivery_report* report = nullptr,
            error_code ec = {}) const {
    const std::string name = topic + " publish";
    const std::string what = !ec ? std::string() : encode_failure ? *encode_failure : ec.message();
    span_event e = make_span_event(span_event::kind::publish, phase, name, context, parent, topic, correlation_id);
    if (report) {
      e.partition = report->partition;
      e.offset = report->offset;
    }
    e.error = ec;
    e.error_text = what;
    sink(e);
  }
};

// Wraps a publish's handler to end its span; keeps the handler's executor and cancellation slot.
class traced_handler {
 public:
  using cancellation_slot_type = asio::cancellation_slot;

  traced_handler(publish_path::handler_type handler, publish_span span, span_sink sink)
      : handler_(std::move(handler)), span_(std::move(span)), sink_(std::move(sink)) {}

  cancellation_slot_type get_cancellation_slot() const noexcept { return handler_.get_cancellation_slot(); }
  const publish_path::handler_type& inner() const noexcept { return handler_; }

  void operator()(error_code ec, delivery_report report) {
    span_.emit(sink_, span_event::phase::end, &report, ec);
    std::move(handler_)(ec, std::move(report));
  }

 private:
  publish_path::handler_type handler_;
  publish_span span_;
  span_sink sink_;
};

std::optional<std::string_view> header_value(const record& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (h.name == name && h.value) return std::string_view(*h.value);
  return std::nullopt;
}

}  // namespace

void write_wire_headers(outbound_record& out, const publish_origin& origin, const trace_context& span) {
  if (out.verbatim_headers) return;
  auto& headers = out.rec.headers;
  headers.reserve(headers.size() + 5);  // content-type, correlation_id, reply_to, traceparent, tracestate
  if (out.content_type && !has_header(out.rec, wire::content_type_header))
    headers.push_back({std::string(wire::content_type_header), std::move(*out.content_type)});
  // A hyphenated header the caller wrote by hand is read as the same thing and written again
  // in FastStream's spelling, which is the one FastStream reads.
  if (!has_header(out.rec, wire::correlation_id_header)) {
    const auto alt = header_value(out.rec, wire::correlation_id_header_alt);
    std::string id = out.correlation_id      ? std::move(*out.correlation_id)
                     : alt                   ? std::string(*alt)
                     : origin.correlation_id ? std::string(*origin.correlation_id)
                                             : wire::new_correlation_id();
    headers.push_back({std::string(wire::correlation_id_header), std::move(id)});
  }
  if (!has_header(out.rec, wire::reply_to_header)) {
    if (!out.reply_to)
      if (const auto alt = header_value(out.rec, wire::reply_to_header_alt)) out.reply_to = std::string(*alt);
    if (out.reply_to) headers.push_back({std::string(wire::reply_to_header), std::move(*out.reply_to)});
  }
  // The record is the publish span's: its traceparent replaces one given by the caller (the
  // span's parent) or copied from another record.
  std::erase_if(
      headers, [](const header& h) { return h.name == wire::traceparent_header || h.name == wire::tracestate_header; });
  headers.push_back({std::string(wire::traceparent_header), span.traceparent()});
  if (!span.tracestate().empty()) headers.push_back({std::string(wire::tracestate_header), span.tracestate()});
}

span_event make_span_event(span_event::kind kind, span_event::phase phase, std::string_view name,
                           const trace_context& context, std::optional<trace_context::span_id_type> parent,
                           std::string_view topic, std::string_view correlation_id) {
  span_event e;
  e.span_kind = kind;
  e.span_phase = phase;
  e.name = name;
  e.context = &context;
  e.parent_span_id = parent;
  e.topic = topic;
  e.correlation_id = correlation_id;
  e.time = std::chrono::system_clock::now();
  return e;
}

std::string_view written_correlation_id(const record& r) noexcept {
  for (const auto& h : r.headers)
    if (h.name == wire::correlation_id_header && h.value) return *h.value;
  return {};
}

publish_path::publish_path(asio::any_io_executor ex, std::function<composed_config()> make_config, log_sink log,
                           oauthbearer_token_provider token_provider, span_sink on_span)
    : publish_path(asio::make_strand(std::move(ex)), std::move(make_config), std::move(log), std::move(token_provider),
                   std::move(on_span), completion::delivered) {}

publish_path::publish_path(asio::strand<asio::any_io_executor> strand, std::function<composed_config()> make_config,
                           log_sink log, oauthbearer_token_provider token_provider, span_sink on_span,
                           enum completion c, error_sink on_error)
    : completion_(c),
      strand_(std::move(strand)),
      make_config_(std::move(make_config)),
      log_(std::move(log)),
      token_provider_(std::move(token_provider)),
      on_span_(std::move(on_span)),
      on_error_(std::move(on_error)) {}

producer& publish_path::producer_here() {
  if (!producer_) {
    producer_options popts;
    popts.log = log_;
    popts.on_error = on_error_;
    popts.token_provider = token_provider_;
    popts.on_statistics = [this](std::string_view json) {
      try {
        auto parsed = parse_statistics(json);
        std::lock_guard lock(statistics_mutex_);
        statistics_ = std::move(parsed);
      } catch (const std::exception& e) {
        log_(log_level::warning, "BROKER", std::string("unreadable statistics: ") + e.what());
      }
    };
    producer_ = std::make_unique<producer>(strand_, make_config_(), popts);
  }
  return *producer_;
}

void publish_path::start(outbound_record r, const publish_origin& origin, handler_type handler) {
  // The parent: the handling the publish is part of, else a traceparent the caller put in the
  // headers (e.g. from an HTTP request), else none: a new trace.
  std::optional<trace_context> given;
  if (!origin.span && !r.verbatim_headers)
    if (const auto tp = header_value(r.rec, wire::traceparent_header))
      given = trace_context::parse(*tp, header_value(r.rec, wire::tracestate_header).value_or(std::string_view()));
  const trace_context* parent = origin.span ? origin.span : given ? &*given : nullptr;
  const trace_context span = parent ? parent->child() : trace_context::new_root();
  write_wire_headers(r, origin, span);
  // A value its encoder refused: the publish fails, nothing is produced.
  std::optional<std::string> failure = std::move(r.encode_failure);
  if (failure)
    log_(log_level::error, "BROKER",
         "publish to \"" + r.rec.topic + "\" failed, nothing produced: the value could not be encoded: " + *failure);
  if (!on_span_) {
    asio::dispatch(strand_, [self = shared_from_this(), rec = std::move(r.rec), h = std::move(handler),
                             refused = failure.has_value()]() mutable {
      if (refused)
        self->refuse(std::move(rec.topic), std::move(h));
      else
        self->produce(std::move(rec), std::move(h));
    });
    return;
  }
  publish_span ps{span, parent ? std::optional(parent->span_id()) : std::nullopt, r.rec.topic,
                  std::string(written_correlation_id(r.rec)), std::move(failure)};
  ps.emit(on_span_, span_event::phase::start);
  const bool refused = ps.encode_failure.has_value();
  asio::dispatch(strand_, [self = shared_from_this(), rec = std::move(r.rec),
                           h = traced_handler(std::move(handler), std::move(ps), on_span_), refused]() mutable {
    if (refused)
      self->refuse(std::move(rec.topic), std::move(h));
    else
      self->produce(std::move(rec), std::move(h));
  });
}

template <class Handler>
void publish_path::refuse(std::string topic, Handler&& h) {
  // Posted: never completes inside the initiating call. On the handler's executor, else the
  // strand (the broker's executor).
  asio::post(strand_, asio::append(std::forward<Handler>(h), make_error_code(error::encode_failed),
                                   delivery_report{std::move(topic), -1, offsets::invalid}));
}

template <class Handler>
void publish_path::produce(record rec, Handler&& h) {
  auto& p = producer_here();
  if (completion_ == completion::delivered) {
    p.async_produce(std::move(rec), std::forward<Handler>(h));
    return;
  }
  // In a transaction the commit is the delivery, so the record is done once the producer has
  // it. A record refused at once (no such partition, too large) never joins the transaction:
  // the commit would succeed without it, so its failure is kept for take_failure().
  delivery_report accepted{rec.topic, rec.partition.value_or(-1), offsets::invalid};
  p.async_produce(std::move(rec), [self = shared_from_this()](error_code ec, delivery_report) {
    if (ec && !self->failure_) self->failure_ = ec;
  });
  asio::dispatch(asio::append(std::forward<Handler>(h), error_code{}, std::move(accepted)));
}

asio::awaitable<delivery_report> publish_path::publish(outbound_record r, const publish_origin& origin) {
  const std::string topic = r.rec.topic;
  const std::optional<std::string> encode_failure = r.encode_failure;
  constexpr auto token = asio::as_tuple(asio::use_awaitable);
  auto [ec, report] = co_await asio::async_initiate<decltype(token), void(error_code, delivery_report)>(
      [this, &origin](auto handler, outbound_record rec) { start(std::move(rec), origin, std::move(handler)); }, token,
      std::move(r));
  if (ec)
    throw boost::system::system_error(
        ec, "asiokafka: publish to \"" + topic + "\"" + (encode_failure ? ": " + *encode_failure : std::string()));
  co_return report;
}

asio::awaitable<error_code> publish_path::close() {
  if (!producer_) co_return error_code{};
  auto [ec] = co_await producer_->async_close(asio::as_tuple(asio::use_awaitable));
  producer_.reset();
  co_return ec;
}

void publish_link::start(outbound_record r, publish_path::handler_type handler) const {
  if (auto p = path.lock()) {
    p->start(std::move(r), {}, std::move(handler));
    return;
  }
  asio::post(executor, asio::append(std::move(handler), make_error_code(error::closed),
                                    delivery_report{std::move(r.rec.topic), -1, offsets::invalid}));
}

std::optional<client_metrics> publish_path::statistics() const {
  std::lock_guard lock(statistics_mutex_);
  return statistics_;
}

}  // namespace asiokafka::detail

template <class Candidate>
struct boost::asio::associated_executor<asiokafka::detail::traced_handler, Candidate> {
  using type =
      typename boost::asio::associated_executor<asiokafka::detail::publish_path::handler_type, Candidate>::type;
  static type get(const asiokafka::detail::traced_handler& h, const Candidate& c = Candidate()) noexcept {
    return boost::asio::get_associated_executor(h.inner(), c);
  }
};
