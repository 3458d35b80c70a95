// libFuzzer target: the config composer fed raw librdkafka property maps parsed from the
// input. The input is split at '\n' into lines and each line at the first '=' into key and
// value; lines before a line "--" form the broker scope, lines after it the subscriber
// scope (and the producer scope). The first byte picks the merge policy and the static-id
// policy.
//
// config_error is the expected outcome for most inputs. Anything else escaping, a crash or a
// sanitizer report is a finding, and so is a secret value showing up in explain() or in a
// config_error's message (see secret_marker).
#include <asiokafka/config.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct parsed {
  std::map<std::string, std::string> broker;
  std::map<std::string, std::string> subscriber;
};

parsed parse(std::string_view text) {
  parsed out;
  auto* scope = &out.broker;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line == "--") {
      scope = &out.subscriber;
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    (*scope)[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  return out;
}

// Secret values are recognised by a marker: when the marker appears in the input only inside
// values of secret keys (sasl.password, *.secret, ...), it must appear in no output either.
constexpr std::string_view secret_marker = "S3CR3T";

bool marker_only_in_secrets(const std::map<std::string, std::string>& raw) {
  for (const auto& [key, value] : raw) {
    if (key.find(secret_marker) != std::string::npos) return false;
    if (!asiokafka::is_secret_key(key) && value.find(secret_marker) != std::string::npos) return false;
  }
  return true;
}

bool leaks(const std::string& text, const parsed& p) {
  return marker_only_in_secrets(p.broker) && marker_only_in_secrets(p.subscriber) &&
         text.find(secret_marker) != std::string::npos;
}

void check(const asiokafka::composed_config& config, const parsed& p) {
  const std::string table = config.explain();
  if (leaks(table, p)) std::abort();
  for (const auto& e : config.entries()) (void)config.get(e.key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const parsed p = parse(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));

  asiokafka::client_options broker;
  broker.raw = p.broker;
  asiokafka::client_options subscriber;
  subscriber.raw = p.subscriber;

  asiokafka::merge_policy policy = asiokafka::more_specific_wins{};
  if (selector & 1) policy = asiokafka::broker_scope_wins{};
  asiokafka::static_id_policy ids = asiokafka::derive_from_broker_base{};
  if (selector & 2) ids = asiokafka::from_environment{"ASIOKAFKA_FUZZ_POD_NAME"};

  try {
    const asiokafka::config_composer composer(broker, policy, ids);
    try {
      check(composer.compose_consumer({.name = "fuzzed", .options = subscriber}), p);
    } catch (const asiokafka::config_error& e) {
      if (leaks(e.what(), p)) std::abort();
    }
    try {
      check(composer.compose_producer(subscriber), p);
    } catch (const asiokafka::config_error& e) {
      if (leaks(e.what(), p)) std::abort();
    }
    try {
      // Two subscribers of one group with the subscriber scope each: ids must differ or fail.
      const auto both =
          composer.compose_consumers({{.name = "a", .options = subscriber},
                                      {.name = "b",
                                       .options = subscriber,
                                       .owned = {{"enable.auto.offset.store", "false", "at-least-once acks"}}}});
      for (const auto& c : both) check(c, p);
    } catch (const asiokafka::config_error& e) {
      if (leaks(e.what(), p)) std::abort();
    }
  } catch (const asiokafka::config_error& e) {
    if (leaks(e.what(), p)) std::abort();
  }
  return 0;
}
