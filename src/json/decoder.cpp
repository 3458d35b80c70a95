// decoder: one parser (precise_parser.hpp: Boost.JSON's, with correctly rounded doubles) plus
// an arena the parsed documents live in, and the flat-struct parser (direct_parser.hpp), which
// needs neither.
//
// Each payload's DOM is built in a monotonic_resource over a buffer owned by the decoder and
// dropped wholesale after the conversion (monotonic_resource is deallocate-trivial, so the
// DOM's destructor does not even walk it). When a document outgrows the buffer, the resource
// borrows from the heap for that call and the buffer is enlarged afterwards, so a steady
// stream of similar payloads settles to zero allocations for the document.
#include <asiokafka/json.hpp>

#include "direct_parser.hpp"
#include "precise_parser.hpp"

#include <boost/json/monotonic_resource.hpp>

#include <algorithm>
#include <bit>
#include <new>
#include <optional>

namespace asiokafka::json {

namespace {

// The arena's upstream: the heap, counting what the arena had to borrow so the buffer can be
// sized for the next payload.
class counting_heap_resource final : public boost::json::memory_resource {
 public:
  std::size_t borrowed = 0;

 private:
  void* do_allocate(std::size_t n, std::size_t align) override {
    void* p = align > __STDCPP_DEFAULT_NEW_ALIGNMENT__ ? ::operator new(n, std::align_val_t(align)) : ::operator new(n);
    borrowed += n;
    return p;
  }
  void do_deallocate(void* p, std::size_t, std::size_t align) override {
    if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__)
      ::operator delete(p, std::align_val_t(align));
    else
      ::operator delete(p);
  }
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override { return this == &other; }
};

boost::json::parse_options make_parse_options(const decoder_options& options) {
  boost::json::parse_options p;
  p.max_depth = options.max_depth;
  p.allow_invalid_utf8 = false;
  p.allow_comments = false;
  p.allow_trailing_commas = false;
  return p;
}

void fail_parse(decode_error& err, const boost::system::error_code& ec, std::size_t offset) {
  err.path.clear();
  err.message = "not JSON: ";
  err.message += ec.message();
  err.message += " at offset ";
  err.message += std::to_string(offset);
}

void fail_empty(decode_error& err) {
  err.path.clear();
  err.message = "empty payload";
}

}  // namespace

struct decoder::impl {
  explicit impl(const decoder_options& opts)
      : options(opts),
        buffer_size(std::max<std::size_t>(opts.initial_buffer_size, 64)),
        buffer(new unsigned char[buffer_size]),
        parser(make_parse_options(opts)),
        direct(make_parse_options(opts)) {
    arena.emplace(buffer.get(), buffer_size, boost::json::storage_ptr(&upstream));
  }

  boost::json::storage_ptr arena_storage() { return boost::json::storage_ptr(&*arena); }

  // Called with no document alive. Whenever the arena had to borrow, it is rebuilt: Boost.JSON
  // 1.81's monotonic_resource::release() keeps the doubled size of its last upstream block, so
  // an arena reused across payloads would ask for twice as much on every oversized payload
  // (found by fuzz/json_decoder: a stream of ~25 kB payloads reached a 2 GiB request).
  void grow_if_borrowed() noexcept {
    if (upstream.borrowed == 0) return;
    const std::size_t wanted =
        std::min(std::bit_ceil(buffer_size + upstream.borrowed), options.max_retained_buffer_size);
    upstream.borrowed = 0;
    parser.reset();  // drop the parser's pointer to the arena before replacing it
    arena.reset();
    if (wanted > buffer_size) {
      // Without memory for a bigger buffer, keep the current one; the next large payload
      // borrows again.
      if (std::unique_ptr<unsigned char[]> bigger(new (std::nothrow) unsigned char[wanted]); bigger) {
        buffer = std::move(bigger);
        buffer_size = wanted;
      }
    }
    arena.emplace(buffer.get(), buffer_size, boost::json::storage_ptr(&upstream));
  }

  decoder_options options;
  counting_heap_resource upstream;
  std::size_t buffer_size;
  std::unique_ptr<unsigned char[]> buffer;
  std::optional<boost::json::monotonic_resource> arena;
  // Declared after the arena: destroyed first, while the arena it may point to still exists.
  detail::precise_parser parser;
  detail::direct_parser direct;
  std::optional<boost::json::value> document;
};

decoder::decoder() : decoder(decoder_options{}) {}
decoder::decoder(const decoder_options& options) : impl_(std::make_unique<impl>(options)) {}
decoder::decoder(decoder&&) noexcept = default;
decoder& decoder::operator=(decoder&&) noexcept = default;
decoder::~decoder() = default;

bool decoder::decode_direct(std::string_view payload, void* out, detail::direct_schema schema) {
  return impl_->options.direct_structs && impl_->direct.decode(payload, out, schema);
}

const boost::json::value* decoder::parse(std::string_view payload, decode_error& err) {
  if (payload.empty()) {
    fail_empty(err);
    return nullptr;
  }
  impl& s = *impl_;
  s.parser.reset(s.arena_storage());
  boost::system::error_code ec;
  const std::size_t consumed = s.parser.write(payload.data(), payload.size(), ec);
  if (ec) {
    fail_parse(err, ec, consumed);
    s.parser.reset();  // it may still hold parts of the document, which live in the arena
    release();
    return nullptr;
  }
  return &s.document.emplace(s.parser.release());
}

bool decoder::parse_into(std::string_view payload, boost::json::value& out, decode_error& err) {
  if (payload.empty()) {
    fail_empty(err);
    return false;
  }
  impl& s = *impl_;
  s.parser.reset(out.storage());
  boost::system::error_code ec;
  const std::size_t consumed = s.parser.write(payload.data(), payload.size(), ec);
  if (ec) {
    fail_parse(err, ec, consumed);
    s.parser.reset();  // frees the partial document now rather than at the next call
    return false;
  }
  out = s.parser.release();  // same storage: a move, not a copy
  s.parser.reset();
  return detail::check_finite(out, err);
}

void decoder::release() noexcept {
  impl& s = *impl_;
  s.document.reset();
  s.arena->release();
  s.grow_if_borrowed();
}

}  // namespace asiokafka::json
