// A subscriber's options as configuration: the checks that belong to its configuration (ack
// policy against guarantee and mode, limits, dead-letter topic, subscription) and the consumer
// scope it gives the config composer (the keys asiokafka owns or defaults for its mode).
// Pure: no I/O, unit-tested without Kafka.
#pragma once

#include <asiokafka/config.hpp>
#include <asiokafka/subscriber.hpp>

#include <string>
#include <vector>

namespace asiokafka::detail {

/// Checks the options of a subscriber of `topics` (`batch`: its handler takes a vector) and
/// returns its consumer scope. Throws config_error naming the key and the subscriber.
consumer_scope subscriber_consumer_scope(const std::vector<std::string>& topics, const subscriber_options& options,
                                         bool batch);

/// Checks what the composed configuration of that subscriber must hold: a group.id for a
/// group member; the user's own group.id for partitions that start at their committed offset.
void check_composed_subscriber(const subscriber_options& options, const composed_config& composed);

}  // namespace asiokafka::detail
