// Uses a little of asiokafka's public API through the installed headers and library:
// prints the error categories' names and exits 0 when they behave as documented. The
// umbrella header checks that every public header is installed and self-contained.
#include <asiokafka/asiokafka.hpp>

#include <iostream>
#include <string_view>

int main() {
  const asiokafka::error_code none = asiokafka::make_kafka_error_code(0);
  const asiokafka::error_code closed = asiokafka::make_error_code(asiokafka::error::closed);
  std::cout << asiokafka::error_category().name() << " " << asiokafka::kafka_category().name() << " "
            << closed.message() << "\n";
  const bool ok = !none && closed && closed.category() == asiokafka::error_category() &&
                  std::string_view(asiokafka::error_category().name()) != "";
  return ok ? 0 : 1;
}
