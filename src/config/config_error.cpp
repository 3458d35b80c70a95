#include <asiokafka/config/config_error.hpp>

#include <utility>

namespace asiokafka {
namespace {

std::string sentence(const std::string& key, config_scope scope, const std::string& subscriber,
                     const std::string& detail) {
  std::string s = "config error: ";
  if (!key.empty()) s += "key \"" + key + "\" ";
  s += "at ";
  s += to_string(scope);
  s += " scope";
  if (!subscriber.empty()) s += " (subscriber \"" + subscriber + "\")";
  s += ": " + detail;
  return s;
}

}  // namespace

std::string_view to_string(config_scope scope) noexcept {
  switch (scope) {
    case config_scope::library_default:
      return "library_default";
    case config_scope::broker:
      return "broker";
    case config_scope::subscriber:
      return "subscriber";
    case config_scope::producer:
      return "producer";
    case config_scope::library_owned:
      return "library_owned";
  }
  return "invalid config_scope";
}

config_error::config_error(std::string key, config_scope scope, std::string subscriber, const std::string& detail)
    : boost::system::system_error(make_error_code(error::invalid_config)),
      sentence_(sentence(key, scope, subscriber, detail)),
      key_(std::move(key)),
      scope_(scope),
      subscriber_(std::move(subscriber)) {}

}  // namespace asiokafka
